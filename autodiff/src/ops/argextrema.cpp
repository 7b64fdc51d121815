// argmax and argmin: indices of the extreme elements, along an axis or over all elements. Not
// differentiable. A tie goes to the first occurrence, and a NaN counts as the extreme (the first
// NaN wins), as numpy.

#include <string>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "tape.hpp"

namespace ad {

namespace {

// Whether v replaces the current best: never once best is NaN; always when v is NaN; else by
// strict comparison, so the first of equal elements stays.
template <class T>
bool replaces(T v, T best, bool largest) {
  if (best != best) return false;
  if (v != v) return true;
  return largest ? v > best : v < best;
}

template <class T>
xt::xarray<std::size_t> arg_extreme(const char* op, const Array<T>& x, std::size_t axis, bool largest) {
  const AxisBlocks b(x.shape(), axis);
  if (b.length == 0) {
    throw ShapeError(std::string(op) + ": empty axis " + std::to_string(axis) + " of shape " + shape_str(x.shape()));
  }
  Shape s = to_shape(x.shape());
  s[axis] = 1;
  xt::xarray<std::size_t> out = xt::zeros<std::size_t>(s);
  for (std::size_t o = 0; o < b.outer; ++o) {
    for (std::size_t i = 0; i < b.inner; ++i) {
      const T* p = x.data() + o * b.length * b.inner + i;
      std::size_t at = 0;
      for (std::size_t k = 1; k < b.length; ++k) {
        if (replaces(p[k * b.inner], p[at * b.inner], largest)) at = k;
      }
      out.data()[o * b.inner + i] = at;
    }
  }
  return out;
}

template <class T>
xt::xarray<std::size_t> arg_along(const char* op, const Var<T>& x, std::ptrdiff_t axis, bool keepdims, bool largest) {
  const std::size_t ax = normalize_axis(op, axis, x.dim());
  xt::xarray<std::size_t> r = arg_extreme(op, x.value(), ax, largest);
  if (!keepdims) r.reshape(reduced_shape(x.shape(), {ax}));
  return r;
}

template <class T>
std::size_t arg_flat(const char* op, const Var<T>& x, bool largest) {
  if (x.size() == 0) throw ShapeError(std::string(op) + ": empty input of shape " + shape_str(x.shape()));
  Array<T> flat = x.value();
  flat.reshape({x.size()});
  return arg_extreme(op, flat, 0, largest)(0);
}

}  // namespace

template <class T>
xt::xarray<std::size_t> argmax(const Var<T>& x, std::ptrdiff_t axis, bool keepdims) {
  return arg_along("argmax", x, axis, keepdims, true);
}

template <class T>
xt::xarray<std::size_t> argmin(const Var<T>& x, std::ptrdiff_t axis, bool keepdims) {
  return arg_along("argmin", x, axis, keepdims, false);
}

template <class T>
std::size_t argmax(const Var<T>& x) {
  return arg_flat("argmax", x, true);
}

template <class T>
std::size_t argmin(const Var<T>& x) {
  return arg_flat("argmin", x, false);
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template xt::xarray<std::size_t> argmax(const Var<T>&, std::ptrdiff_t, bool);                                \
  template xt::xarray<std::size_t> argmin(const Var<T>&, std::ptrdiff_t, bool);                                \
  template std::size_t argmax(const Var<T>&);                                                                  \
  template std::size_t argmin(const Var<T>&);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
