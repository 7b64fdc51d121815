// A trainable parameter as optimizers and serializers see it.
#pragma once

#include <string>

#include <autodiff/var.hpp>

#include "nn/regularizers.hpp"

namespace nn {

template <class T>
struct Parameter {
  std::string name;  // unique within a model, e.g. "dense_1/kernel"
  ad::Var<T> var;    // a leaf that requires grad
  // The regularizer registered with this parameter (empty if none). A proximal optimizer asks
  // it for prox() after each step.
  Regularizer regularizer{};
};

}  // namespace nn
