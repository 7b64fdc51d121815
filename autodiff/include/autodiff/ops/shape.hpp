// Shape ops: reshape, broadcasting, concatenation, slicing, gathering rows.
#pragma once

#include <cstddef>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

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

}  // namespace ad
