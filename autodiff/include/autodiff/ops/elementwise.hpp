// Elementwise math. Subgradients: abs'(0) = 0, sign' = 0, clip passes the gradient on the closed
// interval [lo, hi], maximum/minimum send a tie to the first operand.
// NaN propagates as in numpy: a NaN input gives a NaN output in every op here (pow(NaN, 0) = 1,
// as IEEE has it), sign(NaN) = NaN (numpy's; torch 1.13 gives 0) and clip(NaN) = NaN included.
// maximum/minimum return a NaN whichever side it is on, as torch.maximum does; its gradient goes
// to that operand (to the first when both are NaN). abs'(NaN) = clip'(NaN) = 0, as in PyTorch.
// pow(a, b) follows PyTorch at the edges: no gradient to a where b = 0, none to b where a = 0 and
// b >= 0; the gradient to b is NaN where a < 0.
#pragma once

#include <cstddef>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

template <class T> Var<T> pow(const Var<T>& x, Scalar<T> exponent);
template <class T> Var<T> pow(const Var<T>& base, const Var<T>& exponent);  // broadcasting
template <class T> Var<T> pow(Scalar<T> base, const Var<T>& exponent);
template <class T> Var<T> square(const Var<T>& x);
template <class T> Var<T> sqrt(const Var<T>& x);
template <class T> Var<T> exp(const Var<T>& x);
template <class T> Var<T> log(const Var<T>& x);
template <class T> Var<T> log1p(const Var<T>& x);  // log(1 + x), accurate near 0
template <class T> Var<T> expm1(const Var<T>& x);  // e^x - 1, accurate near 0
template <class T> Var<T> reciprocal(const Var<T>& x);  // 1 / x
template <class T> Var<T> rsqrt(const Var<T>& x);  // 1 / sqrt(x)
template <class T> Var<T> sin(const Var<T>& x);
template <class T> Var<T> cos(const Var<T>& x);
template <class T> Var<T> tan(const Var<T>& x);
template <class T> Var<T> erf(const Var<T>& x);
template <class T> Var<T> abs(const Var<T>& x);
template <class T> Var<T> sign(const Var<T>& x);
template <class T> Var<T> clip(const Var<T>& x, Scalar<T> lo, Scalar<T> hi);
template <class T> Var<T> maximum(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> minimum(const Var<T>& a, const Var<T>& b);
// Elementwise choice; mask, a and b broadcast together. No gradient flows to the mask.
template <class T> Var<T> where(const xt::xarray<bool>& mask, const Var<T>& a, const Var<T>& b);

}  // namespace ad
