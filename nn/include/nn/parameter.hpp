// A trainable parameter as optimizers and serializers see it.
#pragma once

#include <string>

#include <autodiff/var.hpp>

namespace nn {

template <class T>
struct Parameter {
  std::string name;  // unique within a model, e.g. "dense_1/kernel"
  ad::Var<T> var;    // a leaf that requires grad
  // Coefficient of the L1 part of the regularizer attached to this parameter (0 if none). A
  // proximal optimizer leaves that part out of the loss and soft-thresholds by lr * l1 instead.
  double l1 = 0;
};

}  // namespace nn
