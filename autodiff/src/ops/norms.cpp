// Norms: the p-norm for p = 1, 2 and infinity, and the L2 norm as a primitive whose gradient is 0
// at a zero group (group lasso), finite at every order.

#include <cmath>
#include <limits>
#include <sstream>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "reduce.hpp"
#include "tape.hpp"

namespace ad {

namespace {

// 1 / n where n != 0, else 0; its derivative -1 / n^2 likewise (0 where n = 0).
template <class T>
Var<T> safe_reciprocal(const Var<T>& n) {
  Array<T> v = xt::where(xt::equal(n.value(), T(0)), T(0), T(1) / n.value());
  return make_output<T>("safe_reciprocal", std::move(v), {&n}, [](BackwardContext<T>& c) {
    c.grads[0] = -(c.g * square(c.out));
  });
}

}  // namespace

template <class T>
Var<T> l2_norm_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims) {
  const Array<T>& xv = x.value();
  Array<T> v = xt::sqrt(reduce::reduce_keepdims<reduce::Sum>(Array<T>(xv * xv), axes));
  if (!keepdims) v.reshape(reduced_shape(x.shape(), axes));
  return make_output<T>("l2_norm", std::move(v), {&x}, [axes, keepdims](BackwardContext<T>& c) {
    // g * x / n, with 1 / n taken as 0 where n = 0: the gradient at a zero group is 0.
    const Shape kshape = keepdims_shape(c.in[0].shape(), axes);
    const Var<T> gk = keepdims ? c.g : reshape(c.g, kshape);
    const Var<T> nk = keepdims ? c.out : reshape(c.out, kshape);
    c.grads[0] = broadcast_to(gk * safe_reciprocal(nk), to_shape(c.in[0].shape())) * c.in[0];
  });
}

template <class T>
Var<T> norm_axes(const Var<T>& x, double p, const std::vector<std::size_t>& axes, bool keepdims) {
  if (p == 1) return sum_axes(abs(x), axes, keepdims);
  if (p == 2) return l2_norm_axes(x, axes, keepdims);
  if (p == std::numeric_limits<double>::infinity()) {
    if (x.size() == 0) throw ShapeError("norm: p = inf of an empty input of shape " + shape_str(x.shape()));
    return max_axes(abs(x), axes, keepdims);
  }
  std::ostringstream msg;
  msg << "norm: p = " << p << " is not supported (p must be 1, 2 or infinity)";
  throw ValueError(msg.str());
}

template <class T>
Var<T> norm(const Var<T>& x, double p) {
  return norm_axes(x, p, all_axes(x.dim()), false);
}

template <class T>
Var<T> norm(const Var<T>& x, double p, const Axes& axes, bool keepdims) {
  return norm_axes(x, p, normalize_axes("norm", axes, x.dim()), keepdims);
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> l2_norm_axes(const Var<T>&, const std::vector<std::size_t>&, bool);                          \
  template Var<T> norm(const Var<T>&, double);                                                                 \
  template Var<T> norm(const Var<T>&, double, const Axes&, bool);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
