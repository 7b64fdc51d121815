// Statistics: variance and standard deviation over all elements or over axes, with ddof.

#include <cmath>
#include <string>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "tape.hpp"

namespace ad {

namespace {

// The number of elements each group of the reduction holds.
template <class T>
std::size_t group_size(const Var<T>& x, const std::vector<std::size_t>& axes) {
  std::size_t n = 1;
  for (auto a : axes) n *= x.shape()[a];
  return n;
}

// n - ddof, the divisor of the sum of squared deviations; ddof >= n is a ValueError.
template <class T>
T divisor(const char* op, std::size_t n, std::size_t ddof) {
  if (ddof >= n) {
    throw ValueError(std::string(op) + ": ddof " + std::to_string(ddof) + " is not less than the number of elements " +
                     "reduced, " + std::to_string(n));
  }
  return static_cast<T>(n - ddof);
}

// x minus its mean over the axes (keepdims, so it broadcasts back).
template <class T>
Var<T> centered(const Var<T>& x, const std::vector<std::size_t>& axes, std::size_t n) {
  return x - sum_axes(x, axes, true) / static_cast<T>(n);
}

template <class T>
Var<T> var_axes(const Var<T>& x, const std::vector<std::size_t>& axes, std::size_t ddof, bool keepdims) {
  const std::size_t n = group_size(x, axes);
  const T d = divisor<T>("var", n, ddof);
  return sum_axes(square(centered(x, axes, n)), axes, keepdims) / d;
}

// sqrt(var) as the L2 norm of the deviations: its gradient is 0 (not NaN) where they are all 0.
template <class T>
Var<T> std_axes(const Var<T>& x, const std::vector<std::size_t>& axes, std::size_t ddof, bool keepdims) {
  const std::size_t n = group_size(x, axes);
  const T d = divisor<T>("std", n, ddof);
  return l2_norm_axes(centered(x, axes, n), axes, keepdims) / std::sqrt(d);
}

}  // namespace

template <class T>
Var<T> var(const Var<T>& x, std::size_t ddof) {
  return var_axes(x, all_axes(x.dim()), ddof, false);
}

template <class T>
Var<T> var(const Var<T>& x, const Axes& axes, std::size_t ddof, bool keepdims) {
  return var_axes(x, normalize_axes("var", axes, x.dim()), ddof, keepdims);
}

template <class T>
Var<T> std(const Var<T>& x, std::size_t ddof) {
  return std_axes(x, all_axes(x.dim()), ddof, false);
}

template <class T>
Var<T> std(const Var<T>& x, const Axes& axes, std::size_t ddof, bool keepdims) {
  return std_axes(x, normalize_axes("std", axes, x.dim()), ddof, keepdims);
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> var(const Var<T>&, std::size_t);                                                             \
  template Var<T> var(const Var<T>&, const Axes&, std::size_t, bool);                                          \
  template Var<T> std(const Var<T>&, std::size_t);                                                             \
  template Var<T> std(const Var<T>&, const Axes&, std::size_t, bool);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
