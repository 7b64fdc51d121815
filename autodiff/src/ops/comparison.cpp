// Comparisons: greater, less, greater_equal, less_equal, equal, not_equal as masks.

#include <functional>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"

namespace ad {

namespace {

template <class T>
Array<T> scalar_array(T s) {
  Array<T> a = Array<T>::from_shape({});
  a() = s;
  return a;
}

}  // namespace

// Each comparison for (Var, Var), (Var, scalar) and (scalar, Var), through compare_values, which
// reads every operand at the full shape (xtensor's own comparisons miscompute some broadcasts).
#define AD_DEFINE_COMPARISON(name, Cmp)                                                             \
  template <class T>                                                                                \
  xt::xarray<bool> name(const Var<T>& a, const Var<T>& b) {                                         \
    return compare_values(#name, a.value(), b.value(), Cmp<T>());                                   \
  }                                                                                                 \
  template <class T>                                                                                \
  xt::xarray<bool> name(const Var<T>& a, Scalar<T> b) {                                             \
    return compare_values(#name, a.value(), scalar_array<T>(b), Cmp<T>());                          \
  }                                                                                                 \
  template <class T>                                                                                \
  xt::xarray<bool> name(Scalar<T> a, const Var<T>& b) {                                             \
    return compare_values(#name, scalar_array<T>(a), b.value(), Cmp<T>());                          \
  }                                                                                                 \
  template xt::xarray<bool> name(const Var<float>&, const Var<float>&);                             \
  template xt::xarray<bool> name(const Var<float>&, Scalar<float>);                                 \
  template xt::xarray<bool> name(Scalar<float>, const Var<float>&);                                 \
  template xt::xarray<bool> name(const Var<double>&, const Var<double>&);                           \
  template xt::xarray<bool> name(const Var<double>&, Scalar<double>);                               \
  template xt::xarray<bool> name(Scalar<double>, const Var<double>&);

AD_DEFINE_COMPARISON(greater, std::greater)
AD_DEFINE_COMPARISON(less, std::less)
AD_DEFINE_COMPARISON(greater_equal, std::greater_equal)
AD_DEFINE_COMPARISON(less_equal, std::less_equal)
AD_DEFINE_COMPARISON(equal, std::equal_to)
AD_DEFINE_COMPARISON(not_equal, std::not_equal_to)
#undef AD_DEFINE_COMPARISON

}  // namespace ad
