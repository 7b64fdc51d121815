// Shape ops: reshape, broadcasting, concatenation and stacking, splitting and slicing, squeezing,
// flipping, tiling, repeating, padding, gathering rows. Semantics follow numpy; every axis argument
// may be negative (counting from the end), every op is differentiable to any order.
#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <utility>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

// One entry may be ad::infer (size_t(-1)): it becomes whatever makes the element count match.
inline constexpr std::size_t infer = static_cast<std::size_t>(-1);
template <class T> Var<T> reshape(const Var<T>& x, const Shape& shape);
// A shape with signed entries, as numpy writes it: -1 (one entry at most) is inferred; any other
// negative entry is a ShapeError. Defined in shape.cpp.
Shape unsigned_shape(const std::vector<std::ptrdiff_t>& dims);
// reshape(x, {3, -1}): a braced list of one integer type, signed or not. (A list mixing types, such
// as {ad::infer, 4}, takes the Shape overload above; so does reshape(x, {}).)
template <class T, std::integral I>
Var<T> reshape(const Var<T>& x, std::initializer_list<I> shape) {
  if constexpr (std::is_signed_v<I>) {
    return reshape(x, unsigned_shape(std::vector<std::ptrdiff_t>(shape.begin(), shape.end())));
  } else {
    return reshape(x, Shape(shape.begin(), shape.end()));
  }
}
// reshape(x, dims) for a std::vector<std::ptrdiff_t> dims. A constrained template rather than a
// plain overload, so that a braced list never has two vector overloads to choose from.
template <class T, class S>
  requires std::same_as<S, std::vector<std::ptrdiff_t>>
Var<T> reshape(const Var<T>& x, const S& shape) {
  return reshape(x, unsigned_shape(shape));
}
// Keeps the axes before start_axis and merges the rest into one. start_axis is in [-dim, dim]:
// -1 keeps all but the last axis as they are, dim appends an axis of length 1.
template <class T> Var<T> flatten(const Var<T>& x, std::ptrdiff_t start_axis = 0);
template <class T> Var<T> broadcast_to(const Var<T>& x, const Shape& shape);
// Sums x down to `shape` (the inverse of broadcasting `shape` up to x's shape).
template <class T> Var<T> sum_to_shape(const Var<T>& x, const Shape& shape);
// Rows x[indices[0]], x[indices[1]], ... along axis 0 (minibatches): gather(x, indices, 0) for
// unsigned indices. Indices may repeat.
template <class T> Var<T> gather_rows(const Var<T>& x, const std::vector<std::size_t>& indices);
// The adjoint of gather_rows: a (rows, ...) zero tensor with x's rows added at `indices`.
template <class T> Var<T> scatter_add_rows(const Var<T>& x, const std::vector<std::size_t>& indices,
                                           std::size_t rows);
template <class T> Var<T> concat(const std::vector<Var<T>>& xs, std::ptrdiff_t axis = 0);
// Elements [begin, end) along `axis`.
template <class T> Var<T> slice(const Var<T>& x, std::ptrdiff_t axis, std::size_t begin, std::size_t end);
// The adjoint of slice: x placed at `begin` along `axis` in zeros of length `size` there.
template <class T> Var<T> pad_axis(const Var<T>& x, std::ptrdiff_t axis, std::size_t begin, std::size_t size);

// Joins inputs of equal shapes along a new axis, in [-dim-1, dim] (np.stack).
template <class T> Var<T> stack(const std::vector<Var<T>>& xs, std::ptrdiff_t axis = 0);
// `sections` equal parts along `axis` (a ShapeError unless the length divides evenly).
template <class T> std::vector<Var<T>> split(const Var<T>& x, std::size_t sections, std::ptrdiff_t axis = 0);
// Consecutive parts of the given lengths, which must add up to the axis length (torch.split).
// Note: split(x, {4}) means 4 sections; write std::vector<std::size_t>{4} for one part of length 4.
template <class T> std::vector<Var<T>> split(const Var<T>& x, const std::vector<std::size_t>& sizes,
                                             std::ptrdiff_t axis = 0);
template <class T> Var<T> squeeze(const Var<T>& x);  // drops every axis of length 1
// Drops the named axes; a ShapeError if one of them is not of length 1.
template <class T> Var<T> squeeze(const Var<T>& x, const Axes& axes);
// Inserts an axis of length 1 at `axis`, in [-dim-1, dim]: -1 appends it.
template <class T> Var<T> unsqueeze(const Var<T>& x, std::ptrdiff_t axis);
// Reverses the order of the elements along each of `axes` (np.flip). Its own adjoint.
template <class T> Var<T> flip(const Var<T>& x, const Axes& axes);
// np.tile: x repeated reps[i] times along axis i. Shorter reps are padded with leading 1s; longer
// ones give x leading axes of length 1.
template <class T> Var<T> tile(const Var<T>& x, const Shape& reps);
// Each element repeated n times in place along `axis` (np.repeat, torch.repeat_interleave).
template <class T> Var<T> repeat(const Var<T>& x, std::size_t n, std::ptrdiff_t axis);
// Constant padding on several axes at once: widths[i] = {before, after} for axis i (one pair per
// axis), the new elements equal to `value` (np.pad with mode "constant"). Its gradient is a slice.
using PadWidths = std::vector<std::pair<std::size_t, std::size_t>>;
template <class T> Var<T> pad(const Var<T>& x, const PadWidths& widths, Scalar<T> value = 0);

}  // namespace ad
