// Linear algebra: matmul through BLAS, the fused dense layer, transpose.
#pragma once

#include <cstddef>
#include <vector>

#include "autodiff/var.hpp"
#include "autodiff/activation.hpp"

namespace ad {

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

}  // namespace ad
