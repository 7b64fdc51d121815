// Activation functions. relu'(0) = 0, leaky_relu'(0) = slope.
#pragma once

#include <cstddef>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

template <class T> Var<T> relu(const Var<T>& x);
template <class T> Var<T> leaky_relu(const Var<T>& x, Scalar<T> slope = T(0.01));
template <class T> Var<T> elu(const Var<T>& x, Scalar<T> alpha = T(1));
template <class T> Var<T> sigmoid(const Var<T>& x);
template <class T> Var<T> tanh(const Var<T>& x);
template <class T> Var<T> softplus(const Var<T>& x);

}  // namespace ad
