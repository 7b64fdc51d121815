// Comparisons: elementwise masks (xt::xarray<bool>) of two Vars broadcast together as numpy does,
// or of a Var and a scalar on either side, ready for ad::where. They carry no gradient. NaN
// compares as in numpy: every comparison with a NaN is false, except not_equal, which is true.
//
//   auto y = ad::where(ad::greater(x, 0.0), x, 0.1 * x);   // leaky relu by hand
#pragma once

#include <xtensor/xarray.hpp>

#include "autodiff/var.hpp"

namespace ad {

// a > b, a < b, a >= b, a <= b, a == b, a != b; ShapeError naming the op and both shapes when a
// and b do not broadcast together.
#define AD_DECLARE_COMPARISON(name)                                                 \
  template <class T> xt::xarray<bool> name(const Var<T>& a, const Var<T>& b);       \
  template <class T> xt::xarray<bool> name(const Var<T>& a, Scalar<T> b);           \
  template <class T> xt::xarray<bool> name(Scalar<T> a, const Var<T>& b);
AD_DECLARE_COMPARISON(greater)
AD_DECLARE_COMPARISON(less)
AD_DECLARE_COMPARISON(greater_equal)
AD_DECLARE_COMPARISON(less_equal)
AD_DECLARE_COMPARISON(equal)
AD_DECLARE_COMPARISON(not_equal)
#undef AD_DECLARE_COMPARISON

}  // namespace ad
