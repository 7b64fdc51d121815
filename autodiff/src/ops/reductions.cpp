// Reductions: sum, mean, max, min, logsumexp, softmax, l1/l2 norms; sums and maxima over axes.

#include <algorithm>
#include <cmath>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "reduce.hpp"
#include "tape.hpp"

namespace ad {

template <class T>
Var<T> sum_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims) {
  Array<T> v = reduce::reduce_keepdims<reduce::Sum>(x.value(), axes);
  if (!keepdims) v.reshape(reduced_shape(x.shape(), axes));
  return make_output<T>("sum", std::move(v), {&x}, [axes, keepdims](BackwardContext<T>& c) {
    // Hand back the gradient in keepdims shape; the sweep broadcasts it only where needed.
    const Shape kshape = keepdims_shape(c.in[0].shape(), axes);
    c.grads[0] = keepdims ? c.g : reshape(c.g, kshape);
  });
}

template <class T>
Var<T> max_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims) {
  if (x.size() == 0) throw ShapeError("max: empty input of shape " + shape_str(x.shape()));
  Array<T> m = reduce::reduce_keepdims<reduce::Max>(x.value(), axes);
  Array<T> v = m;
  if (!keepdims) v.reshape(reduced_shape(x.shape(), axes));
  return make_output<T>("max", std::move(v), {&x}, [axes, keepdims, m](BackwardContext<T>& c) {
    // The gradient goes to the maximal elements, split evenly among ties.
    const Array<T>& xv = c.in[0].value();
    Array<T> mask = xt::cast<T>(xt::equal(xv, materialize(m, to_shape(xv.shape()))));
    const Array<T> count = reduce::reduce_keepdims<reduce::Sum>(mask, axes);
    mask /= count;
    const Shape kshape = keepdims_shape(xv.shape(), axes);
    Var<T> gk = keepdims ? c.g : reshape(c.g, kshape);
    c.grads[0] = broadcast_to(gk, to_shape(xv.shape())) * constant<T>(std::move(mask));
  });
}


template <class T>
Var<T> sum(const Var<T>& x) {
  return sum_axes(x, all_axes(x.dim()), false);
}

template <class T>
Var<T> sum(const Var<T>& x, const Axes& axes, bool keepdims) {
  return sum_axes(x, normalize_axes("sum", axes, x.dim()), keepdims);
}

template <class T>
Var<T> mean(const Var<T>& x) {
  if (x.size() == 0) throw ShapeError("mean: empty input of shape " + shape_str(x.shape()));
  return sum(x) / static_cast<T>(x.size());
}

template <class T>
Var<T> mean(const Var<T>& x, const Axes& axes, bool keepdims) {
  const auto ax = normalize_axes("mean", axes, x.dim());
  std::size_t n = 1;
  for (auto a : ax) n *= x.shape()[a];
  if (n == 0) throw ShapeError("mean: empty reduction over shape " + shape_str(x.shape()));
  return sum_axes(x, ax, keepdims) / static_cast<T>(n);
}

template <class T>
Var<T> max(const Var<T>& x) {
  return max_axes(x, all_axes(x.dim()), false);
}

template <class T>
Var<T> max(const Var<T>& x, const Axes& axes, bool keepdims) {
  return max_axes(x, normalize_axes("max", axes, x.dim()), keepdims);
}

template <class T>
Var<T> logsumexp(const Var<T>& x, const Axes& axes, bool keepdims) {
  const auto ax = normalize_axes("logsumexp", axes, x.dim());
  // Shift by the (constant) maximum so exp never overflows; the result does not depend on the
  // shift, so no gradient needs to flow through it.
  Array<T> m = reduce::reduce_keepdims<reduce::Max>(x.value(), ax);
  m = xt::where(xt::isfinite(m), m, T(0));
  const Var<T> shift = constant<T>(std::move(m));
  Var<T> r = log(sum_axes(exp(x - shift), ax, true)) + shift;
  return keepdims ? r : reshape(r, reduced_shape(x.shape(), ax));
}

template <class T>
Var<T> softmax(const Var<T>& x, std::ptrdiff_t axis) {
  normalize_axis("softmax", axis, x.dim());
  return exp(log_softmax(x, axis));
}

template <class T>
Var<T> log_softmax(const Var<T>& x, std::ptrdiff_t axis) {
  normalize_axis("log_softmax", axis, x.dim());
  return x - logsumexp(x, {axis}, true);
}

template <class T>
Var<T> l1_norm(const Var<T>& x) {
  // One pass forward and one backward (g * sign(x), fused), with no |x| temporary: |x| goes
  // through a small cache-resident block into the vectorized sum kernel.
  Array<T> v = Array<T>::from_shape({});
  const T* p = x.value().data();
  const std::size_t n = x.size();
  constexpr std::size_t block = 2048;
  T buffer[block];
  T total = 0;
  for (std::size_t i = 0; i < n; i += block) {
    const std::size_t m = std::min(block, n - i);
    for (std::size_t j = 0; j < m; ++j) buffer[j] = std::abs(p[i + j]);
    total += reduce::Sum::contiguous(buffer, m);
  }
  v() = total;
  return make_output<T>("l1_norm", std::move(v), {&x}, [](BackwardContext<T>& c) {
    c.grads[0] = mul_slope(c.g, c.in[0], SlopeOf<T>{Slope::abs}, "abs_backward");
  });
}

template <class T>
Var<T> l2_norm(const Var<T>& x) {
  return l2_norm_axes(x, all_axes(x.dim()), false);
}

// ---- min, logsumexp over all elements --------------------------------------------------------

// min(x) = -max(-x): the same tie splitting and NaN propagation as max.
template <class T>
Var<T> min_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims) {
  if (x.size() == 0) throw ShapeError("min: empty input of shape " + shape_str(x.shape()));
  return -max_axes(-x, axes, keepdims);
}

template <class T>
Var<T> min(const Var<T>& x) {
  return min_axes(x, all_axes(x.dim()), false);
}

template <class T>
Var<T> min(const Var<T>& x, const Axes& axes, bool keepdims) {
  return min_axes(x, normalize_axes("min", axes, x.dim()), keepdims);
}

template <class T>
Var<T> logsumexp(const Var<T>& x) {
  const auto all = all_axes(x.dim());
  return logsumexp(x, Axes(all.begin(), all.end()), false);
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> sum(const Var<T>&);                                                                          \
  template Var<T> sum(const Var<T>&, const Axes&, bool);                                                       \
  template Var<T> mean(const Var<T>&);                                                                         \
  template Var<T> mean(const Var<T>&, const Axes&, bool);                                                      \
  template Var<T> max(const Var<T>&);                                                                          \
  template Var<T> max(const Var<T>&, const Axes&, bool);                                                       \
  template Var<T> logsumexp(const Var<T>&, const Axes&, bool);                                                 \
  template Var<T> softmax(const Var<T>&, std::ptrdiff_t);                                                      \
  template Var<T> log_softmax(const Var<T>&, std::ptrdiff_t);                                                  \
  template Var<T> l1_norm(const Var<T>&);                                                                      \
  template Var<T> l2_norm(const Var<T>&);                                                                      \
  template Var<T> sum_axes(const Var<T>&, const std::vector<std::size_t>&, bool);                              \
  template Var<T> max_axes(const Var<T>&, const std::vector<std::size_t>&, bool);                              \
  template Var<T> min(const Var<T>&);                                                                          \
  template Var<T> min(const Var<T>&, const Axes&, bool);                                                       \
  template Var<T> logsumexp(const Var<T>&);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
