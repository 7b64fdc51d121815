// Activation functions. relu'(0) = 0, leaky_relu'(0) = slope.
// NaN propagates: a NaN input gives a NaN output in every activation, relu included (relu'(NaN)
// passes the gradient, leaky_relu'(NaN) = slope, as in PyTorch). sigmoid, tanh, softplus,
// log_sigmoid, gelu (both forms), silu and softsign neither overflow nor cancel in their tails:
// values and gradients stay finite and correct at ±1e4 in float and double.
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
// x Φ(x) (Φ the standard normal CDF); with tanh_approx, PyTorch's approximate='tanh' form
// x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))) / 2.
template <class T> Var<T> gelu(const Var<T>& x, bool tanh_approx = false);
template <class T> Var<T> silu(const Var<T>& x);         // x · sigmoid(x)
template <class T> Var<T> softsign(const Var<T>& x);      // x / (1 + |x|)
template <class T> Var<T> log_sigmoid(const Var<T>& x);   // log(sigmoid(x)) = -softplus(-x), stable

}  // namespace ad
