// A trainable parameter as optimizers and serializers see it.
#pragma once

#include <string>

#include <autodiff/var.hpp>

#include "nn/constraints.hpp"
#include "nn/regularizers.hpp"

namespace nn {

template <class T>
struct Parameter {
  std::string name;  // unique within a model, e.g. "dense_1/kernel"
  ad::Var<T> var;    // a leaf that requires grad
  // The regularizer registered with this parameter (empty if none). A proximal optimizer asks
  // it for prox() after each step.
  Regularizer regularizer{};
  // The constraint registered with this parameter (empty if none). Optimizers apply it after
  // each update of the parameter (after the proximal step, if any), as Keras does.
  Constraint constraint{};

  void apply_constraint() const {
    if (!constraint) return;
    auto v = var;
    constraint(v.mutable_value(), name);
  }
};

}  // namespace nn
