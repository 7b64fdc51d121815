// Differentiable ops on Var<T>. Elementwise binary ops broadcast as numpy does; their backward
// sums the gradient back to each operand's shape. Scalars on either side convert to T.
//
//   auto y = ad::relu(ad::matmul(X, W) + b);                       // b of shape (n) onto (m, n)
//   auto loss = ad::mean(ad::square(y - target)) + 1e-3 * ad::sum(ad::abs(W));
//   auto p = ad::softmax(logits, -1);                              // stable for logits of ±1e4
//
// Subgradient conventions (tested by value): abs'(0) = 0, relu'(0) = 0, sign' = 0,
// leaky_relu'(0) = slope, clip passes the gradient on the closed interval [lo, hi],
// maximum/minimum send a tie to the first operand, max over axes splits a tie evenly.
#pragma once

#include <string_view>
#include <type_traits>
#include <vector>

#include "autodiff/activation.hpp"
#include "autodiff/var.hpp"

namespace ad {

template <class T>
using Scalar = std::type_identity_t<T>;  // scalars do not take part in deducing T

// ---- arithmetic (broadcasting) ---------------------------------------------------------------
template <class T> Var<T> operator+(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> operator-(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> operator*(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> operator/(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> operator-(const Var<T>& x);
template <class T> Var<T> operator+(const Var<T>& x, Scalar<T> s);
template <class T> Var<T> operator+(Scalar<T> s, const Var<T>& x);
template <class T> Var<T> operator-(const Var<T>& x, Scalar<T> s);
template <class T> Var<T> operator-(Scalar<T> s, const Var<T>& x);
template <class T> Var<T> operator*(const Var<T>& x, Scalar<T> s);
template <class T> Var<T> operator*(Scalar<T> s, const Var<T>& x);
template <class T> Var<T> operator/(const Var<T>& x, Scalar<T> s);
template <class T> Var<T> operator/(Scalar<T> s, const Var<T>& x);

// ---- elementwise math ------------------------------------------------------------------------
template <class T> Var<T> pow(const Var<T>& x, Scalar<T> exponent);
template <class T> Var<T> square(const Var<T>& x);
template <class T> Var<T> sqrt(const Var<T>& x);
template <class T> Var<T> exp(const Var<T>& x);
template <class T> Var<T> log(const Var<T>& x);
template <class T> Var<T> abs(const Var<T>& x);
template <class T> Var<T> sign(const Var<T>& x);
template <class T> Var<T> clip(const Var<T>& x, Scalar<T> lo, Scalar<T> hi);
template <class T> Var<T> maximum(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> minimum(const Var<T>& a, const Var<T>& b);
// Elementwise choice; mask, a and b broadcast together. No gradient flows to the mask.
template <class T> Var<T> where(const xt::xarray<bool>& mask, const Var<T>& a, const Var<T>& b);

// ---- activations -----------------------------------------------------------------------------
template <class T> Var<T> relu(const Var<T>& x);
template <class T> Var<T> leaky_relu(const Var<T>& x, Scalar<T> slope = T(0.01));
template <class T> Var<T> elu(const Var<T>& x, Scalar<T> alpha = T(1));
template <class T> Var<T> sigmoid(const Var<T>& x);
template <class T> Var<T> tanh(const Var<T>& x);
template <class T> Var<T> softplus(const Var<T>& x);

// ---- linear algebra --------------------------------------------------------------------------
// op(a) · op(b) for 2-D operands through BLAS gemm; op transposes when its flag is set, without
// copying the operand.
template <class T> Var<T> matmul(const Var<T>& a, const Var<T>& b, bool transpose_a = false,
                                 bool transpose_b = false);
// activation(x·weight + bias), the dense layer: x (m, k), weight (k, n), bias (n) or undefined.
// One op (one array, one pass after the gemm) for linear and relu; other activations follow it
// as ad::activate applies them.
template <class T> Var<T> linear(const Var<T>& x, const Var<T>& weight, const Var<T>& bias = {},
                                 Activation activation = Activation::linear);
template <class T> Var<T> transpose(const Var<T>& x);  // reverses the axes
template <class T> Var<T> transpose(const Var<T>& x, const std::vector<std::size_t>& permutation);

// ---- shape -----------------------------------------------------------------------------------
// One entry may be ad::infer (size_t(-1)): it becomes whatever makes the element count match.
inline constexpr std::size_t infer = static_cast<std::size_t>(-1);
template <class T> Var<T> reshape(const Var<T>& x, const Shape& shape);
template <class T> Var<T> flatten(const Var<T>& x, std::size_t start_axis = 0);  // keeps axes before start_axis
template <class T> Var<T> broadcast_to(const Var<T>& x, const Shape& shape);
// Sums x down to `shape` (the inverse of broadcasting `shape` up to x's shape).
template <class T> Var<T> sum_to_shape(const Var<T>& x, const Shape& shape);
// Rows x[indices[0]], x[indices[1]], ... along axis 0 (minibatches). Indices may repeat.
template <class T> Var<T> gather_rows(const Var<T>& x, const std::vector<std::size_t>& indices);
// The adjoint of gather_rows: a (rows, ...) zero tensor with x's rows added at `indices`.
template <class T> Var<T> scatter_add_rows(const Var<T>& x, const std::vector<std::size_t>& indices,
                                           std::size_t rows);
template <class T> Var<T> concat(const std::vector<Var<T>>& xs, std::ptrdiff_t axis = 0);
// Elements [begin, end) along `axis`.
template <class T> Var<T> slice(const Var<T>& x, std::ptrdiff_t axis, std::size_t begin, std::size_t end);
// The adjoint of slice: x placed at `begin` along `axis` in zeros of length `size` there.
template <class T> Var<T> pad_axis(const Var<T>& x, std::ptrdiff_t axis, std::size_t begin, std::size_t size);

// ---- reductions ------------------------------------------------------------------------------
template <class T> Var<T> sum(const Var<T>& x);  // all elements, 0-dimensional result
template <class T> Var<T> sum(const Var<T>& x, const Axes& axes, bool keepdims = false);
template <class T> Var<T> mean(const Var<T>& x);
template <class T> Var<T> mean(const Var<T>& x, const Axes& axes, bool keepdims = false);
template <class T> Var<T> max(const Var<T>& x);
template <class T> Var<T> max(const Var<T>& x, const Axes& axes, bool keepdims = false);
template <class T> Var<T> logsumexp(const Var<T>& x, const Axes& axes, bool keepdims = false);
template <class T> Var<T> softmax(const Var<T>& x, std::ptrdiff_t axis = -1);
template <class T> Var<T> log_softmax(const Var<T>& x, std::ptrdiff_t axis = -1);
template <class T> Var<T> l1_norm(const Var<T>& x);  // sum |x|
template <class T> Var<T> l2_norm(const Var<T>& x);  // sqrt(sum x^2)

}  // namespace ad
