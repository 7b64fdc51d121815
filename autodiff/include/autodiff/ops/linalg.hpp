// Linear algebra: matmul through BLAS, the fused dense layer, transpose.
#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <vector>

#include "autodiff/var.hpp"
#include "autodiff/activation.hpp"

namespace ad {

// op(a) · op(b) with np.matmul's rules; op transposes when its flag is set, without copying the
// operand. 2-D operands: one BLAS gemm. N-D operands: stacks of matrices in the last two axes, the
// leading (batch) axes broadcast as numpy does, one gemm per output matrix read in place from the
// operands (broadcast operands are not copied); the flags transpose the last two axes of their
// operand. A 1-D a is a row (1, k) and a 1-D b a column (k, 1), the added axis removed from the
// result (1-D · 1-D is a 0-D dot product); a flag set on a 1-D operand is a ValueError. The
// gradients of broadcast operands are summed over the broadcast batch axes.
template <class T> Var<T> matmul(const Var<T>& a, const Var<T>& b, bool transpose_a = false,
                                 bool transpose_b = false);
// activation(x·weight + bias), the dense layer: x (m, k), weight (k, n), bias (n) or undefined.
// One op (one array, one pass after the gemm) for linear and relu; other activations follow it
// as ad::activate applies them.
template <class T> Var<T> linear(const Var<T>& x, const Var<T>& weight, const Var<T>& bias = {},
                                 Activation activation = Activation::linear);
template <class T> Var<T> transpose(const Var<T>& x);  // reverses the axes
template <class T> Var<T> transpose(const Var<T>& x, const std::vector<std::size_t>& permutation);
// A permutation whose entries may be negative (counting from the end): transpose(x, {0, -1, -2}).
template <class T> Var<T> transpose(const Var<T>& x, const Axes& permutation);
template <class T, std::integral I>
Var<T> transpose(const Var<T>& x, std::initializer_list<I> permutation) {
  return transpose(x, Axes(permutation.begin(), permutation.end()));
}

}  // namespace ad
