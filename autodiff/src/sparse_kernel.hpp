// Products with a sparse right operand: x·W and x·Wᵀ from the nonzeros of a leaf W, compressed
// once per value of W (autodiff/sparse.hpp says when and why; sparse_kernel.cpp how).
#pragma once

#include <cstddef>

#include "autodiff/var.hpp"

namespace ad::detail {

// c (m×N) = x (m×K) · op(W), op(W) = Wᵀ if tw, when the sparse path applies (mode, W a 2-D leaf,
// its density, x finite); false, c untouched, when the caller should use the BLAS. m, K, N > 0.
template <class T>
bool sparse_right_product(const Var<T>& w, bool tw, std::size_t m, const T* x, T* c);

}  // namespace ad::detail
