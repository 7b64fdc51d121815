// Private: the ops that op families build on but users do not call. Each is a recorded op with
// its own backward, defined (and instantiated for float and double) in the family file named.
#pragma once

#include <cstddef>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

// arithmetic.cpp: c * x, x / s, x + s, a + alpha * b, k * a * b (broadcasting), named `op`.
template <class T> Var<T> scale(const Var<T>& x, T c, const char* op);
template <class T> Var<T> divide_by(const Var<T>& x, T s);
template <class T> Var<T> add_scalar(const Var<T>& x, T s);
template <class T> Var<T> add_scaled(const Var<T>& a, const Var<T>& b, T alpha, const char* op);
template <class T> Var<T> scaled_mul(const Var<T>& a, const Var<T>& b, T k, const char* op);

// elementwise.cpp: g * f'(x) for a piecewise-linear f, in one fused pass (f'' = 0).
enum class Slope { relu, leaky_relu, abs, clip };
template <class T>
struct SlopeOf {
  Slope kind;
  T a = 0, b = 0;  // leaky_relu: a = slope; clip: [a, b]
};
template <class T> Var<T> mul_slope(const Var<T>& g, const Var<T>& x, SlopeOf<T> s, const char* op);

// linalg.cpp: op(a) · op(b) for 2-D operands, op transposing when its flag is set.
template <class T> Var<T> matmul_flags(const Var<T>& a, const Var<T>& b, bool ta, bool tb);

// reductions.cpp: sum and max over sorted, unique, non-negative axes.
template <class T> Var<T> sum_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims);
template <class T> Var<T> max_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims);

// norms.cpp: sqrt(sum x^2) over sorted, unique, non-negative axes, with gradient 0 at a zero group.
template <class T> Var<T> l2_norm_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims);

}  // namespace ad
