// Reductions over all elements or over axes (negative axes count from the end), softmax, norms.
// max over axes splits the gradient of a tie evenly. NaN propagates as in numpy: max over elements
// that include a NaN is NaN (its gradient goes to the NaN elements, split evenly), and so are
// logsumexp, softmax and log_softmax over them.
#pragma once

#include <cstddef>
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
template <class T> Var<T> l2_norm(const Var<T>& x);  // sqrt(sum x^2)

}  // namespace ad
