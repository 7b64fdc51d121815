// Reductions over all elements or over axes (negative axes count from the end), softmax, norms.
// max over axes splits the gradient of a tie evenly.
//
// Also variance, cumulative sums and arg-extrema; a repeated axis is a ShapeError.
// Conventions (tested by value):
// - NaN propagates through every reduction: a group holding a NaN reduces to NaN.
// - max and min split the gradient of a tie evenly among the tied elements.
// - prod's gradient is exact with zeros in the group, as PyTorch's: one zero gets the product of
//   the others and every other element 0; two or more zeros give 0 everywhere. Second derivatives
//   are exact too (zeros included); third and higher derivatives through prod are not provided
//   (the third-order term in x is dropped).
// - var and std take ddof (delta degrees of freedom): the divisor is n - ddof, with n the number
//   of elements reduced. The default ddof is 0 (numpy, JAX, Keras reduce_variance); PyTorch's
//   default is 1 (unbiased). ddof >= n is a ValueError naming the op, ddof and n.
// - std's gradient where the spread is zero (all elements of a group equal) is 0, as is the L2
//   norm's at a zero group, where PyTorch gives NaN.
// - norm(x, p) for p = 1, 2 and infinity (std::numeric_limits<double>::infinity()); any other p is
//   a ValueError. p = 1: gradient sign(x), sign(0) = 0. p = 2: gradient x / norm, and 0 at a
//   group that is all zeros (the subgradient a group lasso needs, finite at second order too).
//   p = inf: max |x|, the gradient split evenly among the elements of largest |x|.
// - cumsum's gradient is the reverse cumulative sum of the seed.
// - argmax/argmin return indices (std::size_t, not differentiable): the first occurrence of a
//   tie, and a NaN counts as the extreme (the first NaN wins), as numpy.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

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
template <class T> Var<T> l2_norm(const Var<T>& x);  // sqrt(sum x^2), norm(x, 2): gradient 0 at x = 0

template <class T> Var<T> min(const Var<T>& x);
template <class T> Var<T> min(const Var<T>& x, const Axes& axes, bool keepdims = false);
template <class T> Var<T> logsumexp(const Var<T>& x);  // all elements
template <class T> Var<T> prod(const Var<T>& x);       // the empty product is 1
template <class T> Var<T> prod(const Var<T>& x, const Axes& axes, bool keepdims = false);

// Variance and standard deviation, sum((x - mean)^2) / (n - ddof); ddof defaults to 0 (see above).
template <class T> Var<T> var(const Var<T>& x, std::size_t ddof = 0);  // all elements
template <class T> Var<T> var(const Var<T>& x, const Axes& axes, std::size_t ddof = 0, bool keepdims = false);
template <class T> Var<T> std(const Var<T>& x, std::size_t ddof = 0);  // all elements
template <class T> Var<T> std(const Var<T>& x, const Axes& axes, std::size_t ddof = 0, bool keepdims = false);
// Braced axes, var(x, {1}), name axes (without these a braced {1} would be taken as ddof = 1).
template <class T>
Var<T> var(const Var<T>& x, std::initializer_list<std::ptrdiff_t> axes, std::size_t ddof = 0, bool keepdims = false) {
  return var(x, Axes(axes), ddof, keepdims);
}
template <class T>
Var<T> std(const Var<T>& x, std::initializer_list<std::ptrdiff_t> axes, std::size_t ddof = 0, bool keepdims = false) {
  return std(x, Axes(axes), ddof, keepdims);
}

// The p-norm, p = 1, 2 or infinity, over all elements or over axes.
template <class T> Var<T> norm(const Var<T>& x, double p);
template <class T> Var<T> norm(const Var<T>& x, double p, const Axes& axes, bool keepdims = false);

// Running sums along one axis; same shape as x.
template <class T> Var<T> cumsum(const Var<T>& x, std::ptrdiff_t axis);

// Index of the largest (smallest) element along `axis`: x's shape without that axis, or with it
// as length 1 when keepdims. Without an axis: the flat (row-major) index over all elements.
template <class T> xt::xarray<std::size_t> argmax(const Var<T>& x, std::ptrdiff_t axis, bool keepdims = false);
template <class T> xt::xarray<std::size_t> argmin(const Var<T>& x, std::ptrdiff_t axis, bool keepdims = false);
template <class T> std::size_t argmax(const Var<T>& x);
template <class T> std::size_t argmin(const Var<T>& x);

}  // namespace ad
