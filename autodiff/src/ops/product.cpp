// prod over all elements or over axes, with an exact gradient where the input holds zeros: the
// gradient is the product of the other elements, computed from prefix and suffix products, never
// by dividing by x.

#include <algorithm>
#include <vector>

#include <xtensor/xmanipulation.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "tape.hpp"

namespace ad {

namespace {

// The groups of a reduction over `axes` as the rows of an (outer, n) array: the reduced axes
// moved last, in order.
struct Groups {
  std::vector<std::size_t> order;  // the kept axes, then the reduced ones
  Shape moved;                     // x's shape in that order
  std::size_t outer = 1, n = 1;

  template <class S>
  Groups(const S& shape, const std::vector<std::size_t>& axes) {
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (!std::binary_search(axes.begin(), axes.end(), i)) order.push_back(i);
    }
    order.insert(order.end(), axes.begin(), axes.end());
    for (auto a : order) moved.push_back(shape[a]);
    for (std::size_t i = 0; i < shape.size(); ++i) (i < shape.size() - axes.size() ? outer : n) *= moved[i];
  }

  template <class T>
  Array<T> rows(const Array<T>& x) const {
    Array<T> r = xt::transpose(x, order);
    r.reshape({outer, n});
    return r;
  }

  template <class T>
  Array<T> unrows(Array<T> r) const {
    std::vector<std::size_t> inverse(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) inverse[order[i]] = i;
    r.reshape(moved);
    return xt::transpose(r, inverse);
  }
};

// prefix[i] = product of x[k] over k < i, suffix[i] = over k > i, for one row of length n.
template <class T>
void prefix_suffix(const T* x, std::size_t n, T* prefix, T* suffix) {
  T p = 1, s = 1;
  for (std::size_t i = 0; i < n; ++i) {
    prefix[i] = p;
    p *= x[i];
  }
  for (std::size_t i = n; i-- > 0;) {
    suffix[i] = s;
    s *= x[i];
  }
}

// out[i] = product of x[k] over k != i.
template <class T>
void others_row(const T* x, std::size_t n, T* out) {
  std::vector<T> prefix(n), suffix(n);
  prefix_suffix(x, n, prefix.data(), suffix.data());
  for (std::size_t i = 0; i < n; ++i) out[i] = prefix[i] * suffix[i];
}

// out[j] = sum over i != j of u[i] * (product of x[k] over k != i, j): the vector-Jacobian
// product of others_row. Left to right, a = sum over i < j of u[i] * prod_{k < j, k != i} x[k];
// right to left, its mirror b; each meets the plain product on the other side of j.
template <class T>
void others_vjp_row(const T* u, const T* x, std::size_t n, T* out) {
  std::vector<T> prefix(n), suffix(n);
  prefix_suffix(x, n, prefix.data(), suffix.data());
  T a = 0, b = 0;
  for (std::size_t j = 0; j < n; ++j) {
    out[j] = a * suffix[j];
    a = a * x[j] + u[j] * prefix[j];
  }
  for (std::size_t j = n; j-- > 0;) {
    out[j] += prefix[j] * b;
    b = b * x[j] + u[j] * suffix[j];
  }
}

// Applies `row(u_row, x_row, n, out_row)` to every group (u_row null without u); the result has
// x's shape.
template <class T, class F>
Array<T> per_group(const Groups& groups, const Array<T>& x, const Array<T>* u, F row) {
  const Array<T> xr = groups.rows(x);
  const Array<T> ur = u ? groups.rows(*u) : Array<T>();
  Array<T> out = xt::zeros<T>(xr.shape());
  for (std::size_t r = 0; r < groups.outer; ++r) {
    const std::size_t at = r * groups.n;
    row(u ? ur.data() + at : nullptr, xr.data() + at, groups.n, out.data() + at);
  }
  return groups.unrows(std::move(out));
}

template <class T>
Var<T> prod_others_vjp(const Var<T>& u, const Var<T>& x, const std::vector<std::size_t>& axes);

// The product of the other elements of each element's group; same shape as x.
template <class T>
Var<T> prod_others(const Var<T>& x, const std::vector<std::size_t>& axes) {
  const Groups groups(x.shape(), axes);
  Array<T> v = per_group<T>(groups, x.value(), nullptr,
                             [](const T*, const T* xs, std::size_t n, T* out) { others_row(xs, n, out); });
  return make_output<T>("prod_others", std::move(v), {&x}, [axes](BackwardContext<T>& c) {
    c.grads[0] = prod_others_vjp(c.g, c.in[0], axes);
  });
}

// u (shape of x) through the Jacobian of prod_others at x. Linear and symmetric in u, so its
// gradient in u is itself; its gradient in x (a third derivative of prod) is not provided.
template <class T>
Var<T> prod_others_vjp(const Var<T>& u, const Var<T>& x, const std::vector<std::size_t>& axes) {
  const Groups groups(x.shape(), axes);
  Array<T> v = per_group<T>(groups, x.value(), &u.value(), others_vjp_row<T>);
  return make_output<T>("prod_others_backward", std::move(v), {&u, &x}, [axes](BackwardContext<T>& c) {
    if (c.needs(0)) c.grads[0] = prod_others_vjp(c.g, c.in[1], axes);
  });
}

template <class T>
Var<T> prod_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims) {
  const Groups groups(x.shape(), axes);
  const Array<T> xr = groups.rows(x.value());
  Array<T> v = xt::ones<T>(keepdims_shape(x.shape(), axes));
  for (std::size_t r = 0; r < groups.outer; ++r) {
    for (std::size_t i = 0; i < groups.n; ++i) v.data()[r] *= xr.data()[r * groups.n + i];
  }
  if (!keepdims) v.reshape(reduced_shape(x.shape(), axes));
  return make_output<T>("prod", std::move(v), {&x}, [axes, keepdims](BackwardContext<T>& c) {
    const Shape xshape = to_shape(c.in[0].shape());
    const Var<T> gk = keepdims ? c.g : reshape(c.g, keepdims_shape(xshape, axes));
    c.grads[0] = broadcast_to(gk, xshape) * prod_others(c.in[0], axes);
  });
}

}  // namespace

template <class T>
Var<T> prod(const Var<T>& x) {
  return prod_axes(x, all_axes(x.dim()), false);
}

template <class T>
Var<T> prod(const Var<T>& x, const Axes& axes, bool keepdims) {
  return prod_axes(x, normalize_axes("prod", axes, x.dim()), keepdims);
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> prod(const Var<T>&);                                                                         \
  template Var<T> prod(const Var<T>&, const Axes&, bool);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
