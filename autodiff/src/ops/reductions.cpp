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
    // The gradient goes to the maximal elements, split evenly among ties; where the maximum is
    // NaN, to the NaN elements.
    const Array<T>& xv = c.in[0].value();
    const auto is_max = [](T e, T top) { return e == top || (e != e && top != top); };
    Array<T> mask = xt::cast<T>(compare_values("max", xv, m, is_max));
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

// softmax (log = false) or log_softmax (log = true) of every line of x along `axis`, one line at
// a time: shifted by the line's maximum m, e_k = exp(x_k - m), s = sum e_k; softmax = e_k / s,
// log_softmax = (x_k - m) - log s. As in PyTorch, a line holding NaN or +inf, or all -inf, is NaN.
template <class T>
Array<T> softmax_values(const Array<T>& x, std::size_t axis, bool log) {
  const AxisBlocks b(x.shape(), axis);
  Array<T> v = Array<T>::from_shape(x.shape());
  if (b.length == 0) return v;
  for (std::size_t o = 0; o < b.outer; ++o) {
    for (std::size_t i = 0; i < b.inner; ++i) {
      const std::size_t at = o * b.length * b.inner + i, step = b.inner;
      const T* p = x.data() + at;
      T* q = v.data() + at;
      T m = p[0];
      for (std::size_t k = 1; k < b.length; ++k) m = reduce::Max::combine(m, p[k * step]);
      T s = 0;
      for (std::size_t k = 0; k < b.length; ++k) s += q[k * step] = std::exp(p[k * step] - m);
      if (log) {
        const T log_s = std::log(s);
        for (std::size_t k = 0; k < b.length; ++k) q[k * step] = (p[k * step] - m) - log_s;
      } else {
        for (std::size_t k = 0; k < b.length; ++k) q[k * step] /= s;
      }
    }
  }
  return v;
}

// One op each (PyTorch's formulas), not exp/sum/log chains: the forward makes one array, and the
// backward reads the output y. softmax: dx = y * (g - sum(g * y)); log_softmax: dx = g - exp(y) *
// sum(g), sums along the axis. Both are written with ops, so they differentiate again.
template <class T>
Var<T> softmax(const Var<T>& x, std::ptrdiff_t axis) {
  const std::size_t ax = normalize_axis("softmax", axis, x.dim());
  return make_output<T>("softmax", softmax_values(x.value(), ax, false), {&x}, [ax](BackwardContext<T>& c) {
    const Var<T>& y = c.out;
    c.grads[0] = y * (c.g - sum_axes(c.g * y, {ax}, true));
  });
}

template <class T>
Var<T> log_softmax(const Var<T>& x, std::ptrdiff_t axis) {
  const std::size_t ax = normalize_axis("log_softmax", axis, x.dim());
  return make_output<T>("log_softmax", softmax_values(x.value(), ax, true), {&x}, [ax](BackwardContext<T>& c) {
    c.grads[0] = c.g - exp(c.out) * sum_axes(c.g, {ax}, true);
  });
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
