// Private: helpers every op family shares: shapes, axes, broadcasting, copies along an axis.
#pragma once

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>

#include "autodiff/var.hpp"

namespace ad {

template <class T>
using Array = xt::xarray<T>;

template <class S>
Shape to_shape(const S& s) {
  return Shape(s.begin(), s.end());
}

// xtensor 0.24 with xsimd miscomputes comparisons and where() when an operand is broadcast
// along the last axis (wrong elements, no error). Every operand of a comparison or selection
// is therefore materialized at the full shape first.
template <class E>
auto materialize(const E& e, const Shape& shape) {
  using V = typename std::decay_t<E>::value_type;
  return xt::xarray<V>(xt::broadcast(e, shape));
}

// f applied to every element of x in one pass (GCC vectorizes it where f is a select or plain
// arithmetic). Every element of the result is written.
template <class T, class F>
xt::xarray<T> map_values(const xt::xarray<T>& x, F f) {
  xt::xarray<T> out = xt::xarray<T>::from_shape(x.shape());
  const T* xs = x.data();
  T* o = out.data();
  for (std::size_t i = 0, n = x.size(); i < n; ++i) o[i] = f(xs[i]);
  return out;
}

// numpy's broadcasting rule, with an error that names the op and both shapes.
template <class S1, class S2>
Shape broadcast_shapes(const char* op, const S1& a, const S2& b) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape r(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                       " cannot be broadcast together");
    }
    r[i] = da == 1 ? db : da;
  }
  return r;
}

// One operand of an elementwise comparison, read at the result's shape (n elements): in place
// with step 1 when it has the result's elements, step 0 when it has one, else through a
// materialized broadcast copy.
template <class T>
struct BroadcastOperand {
  xt::xarray<T> copy;
  const T* data;
  std::size_t step = 1;
  BroadcastOperand(const xt::xarray<T>& a, const Shape& shape, std::size_t n) : data(a.data()) {
    if (a.size() == n) return;
    if (a.size() == 1) {
      step = 0;
      return;
    }
    copy = materialize(a, shape);
    data = copy.data();
  }
};

// f(a, b) elementwise with a and b broadcast together, as an array of R; `op` names the op in a
// shape error. Every element of the result is written.
template <class R, class T, class F>
xt::xarray<R> map_broadcast(const char* op, const xt::xarray<T>& a, const xt::xarray<T>& b, F f) {
  const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
  xt::xarray<R> out = xt::xarray<R>::from_shape(shape);
  const std::size_t n = out.size();
  const BroadcastOperand<T> x(a, shape, n), y(b, shape, n);
  R* o = out.data();
  for (std::size_t i = 0; i < n; ++i) o[i] = f(x.data[i * x.step], y.data[i * y.step]);
  return out;
}

// The mask cmp(a, b) with a and b broadcast together.
template <class T, class Cmp>
xt::xarray<bool> compare_values(const char* op, const xt::xarray<T>& a, const xt::xarray<T>& b, Cmp cmp) {
  return map_broadcast<bool>(op, a, b, cmp);
}

inline std::size_t normalize_axis(const char* op, std::ptrdiff_t axis, std::size_t dim) {
  const auto d = static_cast<std::ptrdiff_t>(dim);
  if (axis < -d || axis >= d) {
    throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for a " +
                     std::to_string(dim) + "-dimensional input");
  }
  return static_cast<std::size_t>(axis < 0 ? axis + d : axis);
}

// Sorted, unique, non-negative axes; all axes when `axes` is empty is NOT implied here.
inline std::vector<std::size_t> normalize_axes(const char* op, const Axes& axes, std::size_t dim) {
  std::vector<std::size_t> r;
  for (auto a : axes) r.push_back(normalize_axis(op, a, dim));
  std::sort(r.begin(), r.end());
  if (std::adjacent_find(r.begin(), r.end()) != r.end()) {
    throw ShapeError(std::string(op) + ": axis " + std::to_string(*std::adjacent_find(r.begin(), r.end())) +
                     " is repeated in the axes");
  }
  return r;
}

inline std::vector<std::size_t> all_axes(std::size_t dim) {
  std::vector<std::size_t> r(dim);
  std::iota(r.begin(), r.end(), 0);
  return r;
}

template <class S>
Shape keepdims_shape(const S& shape, const std::vector<std::size_t>& axes) {
  Shape r = to_shape(shape);
  for (auto a : axes) r[a] = 1;
  return r;
}

template <class S>
Shape reduced_shape(const S& shape, const std::vector<std::size_t>& sorted_axes) {
  Shape r;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (!std::binary_search(sorted_axes.begin(), sorted_axes.end(), i)) r.push_back(shape[i]);
  }
  return r;
}


template <class T>
Var<T> constant(Array<T>&& value) {
  return Var<T>(std::move(value), false);
}

// Views a row-major array as (outer, length along `axis`, inner).
struct AxisBlocks {
  std::size_t outer = 1, length = 1, inner = 1;
  template <class S>
  AxisBlocks(const S& shape, std::size_t axis) {
    for (std::size_t i = 0; i < shape.size(); ++i) (i < axis ? outer : i == axis ? length : inner) *= shape[i];
  }
};

// Copies `count` positions along the axis, from src starting at src_at to dst starting at dst_at.
template <class T>
void copy_along_axis(const Array<T>& src, std::size_t src_at, Array<T>& dst, std::size_t dst_at, std::size_t count,
                     std::size_t axis) {
  const AxisBlocks s(src.shape(), axis), d(dst.shape(), axis);
  const std::size_t run = count * s.inner;
  for (std::size_t o = 0; o < s.outer; ++o) {
    std::copy_n(src.data() + (o * s.length + src_at) * s.inner, run, dst.data() + (o * d.length + dst_at) * d.inner);
  }
}

}  // namespace ad
