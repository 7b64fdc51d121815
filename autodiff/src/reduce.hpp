// Private: sum and max over a set of axes of a row-major array. Adjacent reduced axes merge into
// one (outer, length, inner) pass whose inner loop is contiguous; contiguous sums use 16
// independent lanes, which vectorizes and keeps float round-off near pairwise summation.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include <xtensor/xarray.hpp>

namespace ad::reduce {

struct Sum {
  template <class T>
  static T contiguous(const T* p, std::size_t n) {
    constexpr std::size_t lanes = 16;
    T acc[lanes] = {};
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
      for (std::size_t l = 0; l < lanes; ++l) acc[l] += p[i + l];
    }
    T tail = 0;
    for (; i < n; ++i) tail += p[i];
    for (std::size_t w = lanes / 2; w > 0; w /= 2) {
      for (std::size_t l = 0; l < w; ++l) acc[l] += acc[l + w];
    }
    return acc[0] + tail;
  }
  template <class T>
  static T combine(T a, T b) { return a + b; }
};

struct Max {
  template <class T>
  static T contiguous(const T* p, std::size_t n) {
    T m = p[0];
    for (std::size_t i = 1; i < n; ++i) m = combine(m, p[i]);
    return m;
  }
  // The larger, or b if it is NaN: once a NaN is taken nothing replaces it, so it propagates.
  template <class T>
  static T combine(T a, T b) { return b > a || b != b ? b : a; }
};

// Reduces axes [first, last] (adjacent) of x, keeping them as length-1 axes.
template <class Op, class T>
xt::xarray<T> reduce_block(const xt::xarray<T>& x, std::size_t first, std::size_t last) {
  const auto& s = x.shape();
  std::size_t outer = 1, len = 1, inner = 1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    (i < first ? outer : i <= last ? len : inner) *= s[i];
  }
  auto shape = s;
  for (std::size_t i = first; i <= last; ++i) shape[i] = 1;
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  const T* in = x.data();
  T* o = out.data();
  if (len == 0) {
    std::fill(o, o + out.size(), T(0));
    return out;
  }
  if (inner == 1) {
    for (std::size_t r = 0; r < outer; ++r) o[r] = Op::contiguous(in + r * len, len);
    return out;
  }
  for (std::size_t r = 0; r < outer; ++r) {
    T* dst = o + r * inner;
    const T* src = in + r * len * inner;
    std::copy(src, src + inner, dst);
    for (std::size_t k = 1; k < len; ++k) {
      const T* row = src + k * inner;
      for (std::size_t i = 0; i < inner; ++i) dst[i] = Op::combine(dst[i], row[i]);
    }
  }
  return out;
}

// Reduces the sorted, unique `axes` of x; the result keeps them as length-1 axes (keepdims).
template <class Op, class T>
xt::xarray<T> reduce_keepdims(const xt::xarray<T>& x, const std::vector<std::size_t>& axes) {
  if (axes.empty()) return x;
  xt::xarray<T> r;
  const xt::xarray<T>* cur = &x;
  // Innermost group first, so each pass reads the smallest possible array next.
  std::size_t i = axes.size();
  while (i > 0) {
    std::size_t j = i - 1;
    while (j > 0 && axes[j - 1] + 1 == axes[j]) --j;
    r = reduce_block<Op>(*cur, axes[j], axes[i - 1]);
    cur = &r;
    i = j;
  }
  return r;
}

}  // namespace ad::reduce
