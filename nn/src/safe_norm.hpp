// The Euclidean norm over axes with a usable derivative at zero. sqrt(sum(x²)) alone has an
// infinite (0·inf = NaN) gradient at an all-zero slice; here such a slice's norm is 0 with
// gradient 0 (the subgradient a penalty wants there) and finite second derivatives: the squares
// of zero slices are replaced by 1 before the sqrt, and the result by 0 after it, through
// ad::where with a constant mask. Elsewhere it is sqrt(sum(x²)) exactly.
//
// When ad::norm(x, p, axes, keepdims) (issue 13, zero-safe at 2) is on main, the body becomes
// `return ad::norm(x, 2.0, axes, keepdims);`.
#pragma once

#include <autodiff/var.hpp>

namespace nn::detail {

template <class T>
ad::Var<T> safe_l2_norm(const ad::Var<T>& x, const ad::Axes& axes, bool keepdims = false);

}  // namespace nn::detail
