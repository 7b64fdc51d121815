// Indexing ops: picking elements along an axis by integer indices (np.take, np.take_along_axis)
// and their adjoints, which add values into zeros at the indices (repeated indices add up).
//
// Indices follow numpy: a negative index counts from the end of the axis (-1 is the last); an
// index outside [-length, length) is a ShapeError naming the op, the index and the axis length.
// Indices are signed (Indices below); an xt::xarray of another integer type converts to it.
#pragma once

#include <cstddef>

#include <xtensor/xarray.hpp>

#include "autodiff/var.hpp"

namespace ad {

using Indices = xt::xarray<std::ptrdiff_t>;

// np.take(x, indices, axis): the shape x.shape[:axis] + indices.shape + x.shape[axis+1:], element
// (..., i, j, ..., rest) taken from x at indices(i, j, ...) along `axis`. Any axis; indices of any
// rank (0-D indices drop the axis).
template <class T> Var<T> gather(const Var<T>& x, const Indices& indices, std::ptrdiff_t axis = 0);
// The adjoint of gather: zeros with an axis of length `length` in place of the indices' axes of x
// (x.shape = prefix + indices.shape + suffix, `axis` counted in the result), x's elements added at
// the indices along that axis.
template <class T> Var<T> scatter_add(const Var<T>& x, const Indices& indices, std::ptrdiff_t axis,
                                      std::size_t length);

// np.take_along_axis(x, indices, axis): indices of x's rank; result(..., j, ...) = x(..., indices(..., j,
// ...), ...) along `axis`. The other axes broadcast as in numpy (a length 1 on either side).
template <class T> Var<T> take_along_axis(const Var<T>& x, const Indices& indices, std::ptrdiff_t axis);
// The adjoint of take_along_axis: zeros of x's shape with `length` along `axis`, x(..., j, ...)
// added at indices(..., j, ...) along it. indices has x's shape.
template <class T> Var<T> scatter_add_along_axis(const Var<T>& x, const Indices& indices, std::ptrdiff_t axis,
                                                 std::size_t length);

}  // namespace ad
