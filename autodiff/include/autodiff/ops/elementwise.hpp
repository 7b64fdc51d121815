// Elementwise math. Subgradients: abs'(0) = 0, sign' = 0, clip passes the gradient on the closed
// interval [lo, hi], maximum/minimum send a tie to the first operand.
#pragma once

#include <cstddef>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

template <class T> Var<T> pow(const Var<T>& x, Scalar<T> exponent);
template <class T> Var<T> square(const Var<T>& x);
template <class T> Var<T> sqrt(const Var<T>& x);
template <class T> Var<T> exp(const Var<T>& x);
template <class T> Var<T> log(const Var<T>& x);
template <class T> Var<T> abs(const Var<T>& x);
template <class T> Var<T> sign(const Var<T>& x);
template <class T> Var<T> clip(const Var<T>& x, Scalar<T> lo, Scalar<T> hi);
template <class T> Var<T> maximum(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> minimum(const Var<T>& a, const Var<T>& b);
// Elementwise choice; mask, a and b broadcast together. No gradient flows to the mask.
template <class T> Var<T> where(const xt::xarray<bool>& mask, const Var<T>& a, const Var<T>& b);

}  // namespace ad
