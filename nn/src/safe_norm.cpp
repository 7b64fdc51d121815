#include "safe_norm.hpp"

#include <autodiff/autodiff.hpp>

namespace nn::detail {

template <class T>
ad::Var<T> safe_l2_norm(const ad::Var<T>& x, const ad::Axes& axes, bool keepdims) {
  const ad::Var<T> squares = ad::sum(ad::square(x), axes, keepdims);
  const xt::xarray<bool> nonzero = squares.value() > T(0);
  const ad::Var<T> root = ad::sqrt(ad::where(nonzero, squares, ad::Var<T>::scalar(T(1))));
  return ad::where(nonzero, root, ad::Var<T>::scalar(T(0)));
}

template ad::Var<float> safe_l2_norm(const ad::Var<float>&, const ad::Axes&, bool);
template ad::Var<double> safe_l2_norm(const ad::Var<double>&, const ad::Axes&, bool);

}  // namespace nn::detail
