// Every primitive op: its forward and, right below it, its backward, written with these same
// differentiable ops so that grad(..., create_graph = true) records the backward pass too.
// Composite ops (mean, softmax, norms, ...) are plain compositions and need no backward.

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autodiff/ops.hpp"
#include "gemm.hpp"
#include "reduce.hpp"
#include "tape.hpp"

namespace ad {
namespace {

template <class T>
using Array = xt::xarray<T>;

template <class S>
Shape to_shape(const S& s) {
  return Shape(s.begin(), s.end());
}

// xtensor 0.24 with xsimd miscomputes comparisons and where() when an operand is broadcast
// along the last axis (wrong elements, no error). Every operand of a comparison or selection
// is therefore materialized at the full shape first.
template <class E>
auto full(const E& e, const Shape& shape) {
  using V = typename std::decay_t<E>::value_type;
  return xt::xarray<V>(xt::broadcast(e, shape));
}

// numpy's broadcasting rule, with an error that names the op and both shapes.
template <class S1, class S2>
Shape broadcast_shapes(const char* op, const S1& a, const S2& b) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape r(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                       " cannot be broadcast together");
    }
    r[i] = da == 1 ? db : da;
  }
  return r;
}

std::size_t normalize_axis(const char* op, std::ptrdiff_t axis, std::size_t dim) {
  const auto d = static_cast<std::ptrdiff_t>(dim);
  if (axis < -d || axis >= d) {
    throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for a " +
                     std::to_string(dim) + "-dimensional input");
  }
  return static_cast<std::size_t>(axis < 0 ? axis + d : axis);
}

// Sorted, unique, non-negative axes; all axes when `axes` is empty is NOT implied here.
std::vector<std::size_t> normalize_axes(const char* op, const Axes& axes, std::size_t dim) {
  std::vector<std::size_t> r;
  for (auto a : axes) r.push_back(normalize_axis(op, a, dim));
  std::sort(r.begin(), r.end());
  if (std::adjacent_find(r.begin(), r.end()) != r.end()) {
    throw ShapeError(std::string(op) + ": repeated axis in the reduction axes");
  }
  return r;
}

std::vector<std::size_t> all_axes(std::size_t dim) {
  std::vector<std::size_t> r(dim);
  std::iota(r.begin(), r.end(), 0);
  return r;
}

template <class S>
Shape keepdims_shape(const S& shape, const std::vector<std::size_t>& axes) {
  Shape r = to_shape(shape);
  for (auto a : axes) r[a] = 1;
  return r;
}

template <class S>
Shape reduced_shape(const S& shape, const std::vector<std::size_t>& sorted_axes) {
  Shape r;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (!std::binary_search(sorted_axes.begin(), sorted_axes.end(), i)) r.push_back(shape[i]);
  }
  return r;
}

template <class T>
Var<T> constant(Array<T>&& value) {
  return Var<T>(std::move(value), false);
}

// ---- scaling by a constant (also x/s and unary minus) ----------------------------------------

template <class T>
Var<T> scale(const Var<T>& x, T c, const char* op) {
  Array<T> v = c * x.value();
  return make_output<T>(
      op, std::move(v), {&x}, [c](BackwardContext<T>& b) { b.grads[0] = scale(b.g, c, "mul_scalar"); },
      /*takes_broadcast_grad=*/true);
}

template <class T>
Var<T> divide_by(const Var<T>& x, T s) {
  Array<T> v = x.value() / s;
  return make_output<T>(
      "div_scalar", std::move(v), {&x}, [s](BackwardContext<T>& b) { b.grads[0] = divide_by(b.g, s); }, true);
}

template <class T>
Var<T> add_scalar(const Var<T>& x, T s) {
  Array<T> v = x.value() + s;
  return make_output<T>("add_scalar", std::move(v), {&x}, [](BackwardContext<T>& b) { b.grads[0] = b.g; }, true);
}

// ---- a + alpha * b, c * a * b, a / b ---------------------------------------------------------

template <class T>
Var<T> add_scaled(const Var<T>& a, const Var<T>& b, T alpha, const char* op) {
  broadcast_shapes(op, a.shape(), b.shape());
  Array<T> v = alpha == T(1) ? Array<T>(a.value() + b.value()) : Array<T>(a.value() + alpha * b.value());
  return make_output<T>(op, std::move(v), {&a, &b}, [alpha](BackwardContext<T>& c) {
    if (c.needs(0)) c.grads[0] = sum_to_shape(c.g, to_shape(c.in[0].shape()));
    if (c.needs(1)) {
      c.grads[1] = sum_to_shape(alpha == T(1) ? c.g : scale(c.g, alpha, "mul_scalar"), to_shape(c.in[1].shape()));
    }
  });
}

template <class T>
Var<T> scaled_mul(const Var<T>& a, const Var<T>& b, T k, const char* op) {
  broadcast_shapes(op, a.shape(), b.shape());
  Array<T> v = k == T(1) ? Array<T>(a.value() * b.value()) : Array<T>(k * a.value() * b.value());
  return make_output<T>(op, std::move(v), {&a, &b}, [k](BackwardContext<T>& c) {
    if (c.needs(0)) c.grads[0] = sum_to_shape(scaled_mul(c.g, c.in[1], k, "mul"), to_shape(c.in[0].shape()));
    if (c.needs(1)) c.grads[1] = sum_to_shape(scaled_mul(c.g, c.in[0], k, "mul"), to_shape(c.in[1].shape()));
  });
}

template <class T>
Var<T> divide(const Var<T>& a, const Var<T>& b) {
  broadcast_shapes("div", a.shape(), b.shape());
  Array<T> v = a.value() / b.value();
  return make_output<T>("div", std::move(v), {&a, &b}, [](BackwardContext<T>& c) {
    if (c.needs(0)) c.grads[0] = sum_to_shape(c.g / c.in[1], to_shape(c.in[0].shape()));
    // d(a/b)/db = -(a/b)/b
    if (c.needs(1)) c.grads[1] = sum_to_shape(scaled_mul(c.g, c.out, T(-1), "mul") / c.in[1], to_shape(c.in[1].shape()));
  });
}

// ---- g * f'(x) for piecewise-linear f: one fused pass; f'' = 0 -------------------------------

enum class Slope { relu, leaky_relu, abs, clip };

template <class T>
struct SlopeOf {
  Slope kind;
  T a = 0, b = 0;  // leaky_relu: a = slope; clip: [a, b]
};

template <class T, class F>
void map_with_grad(const Array<T>& g, const Array<T>& x, Array<T>& out, F f) {
  const T* xs = x.data();
  T* o = out.data();
  const std::size_t n = x.size();
  if (g.size() == n) {
    const T* gs = g.data();
    for (std::size_t i = 0; i < n; ++i) o[i] = f(gs[i], xs[i]);
  } else if (g.size() == 1) {
    const T g0 = g.data()[0];
    for (std::size_t i = 0; i < n; ++i) o[i] = f(g0, xs[i]);
  } else {
    Array<T> full = xt::broadcast(g, x.shape());
    const T* gs = full.data();
    for (std::size_t i = 0; i < n; ++i) o[i] = f(gs[i], xs[i]);
  }
}

template <class T>
Var<T> mul_slope(const Var<T>& g, const Var<T>& x, SlopeOf<T> s, const char* op) {
  Array<T> out = Array<T>::from_shape(x.shape());
  const T a = s.a, b = s.b;
  switch (s.kind) {
    case Slope::relu:
      map_with_grad<T>(g.value(), x.value(), out, [](T gi, T xi) { return xi > T(0) ? gi : T(0); });
      break;
    case Slope::leaky_relu:
      map_with_grad<T>(g.value(), x.value(), out, [a](T gi, T xi) { return xi > T(0) ? gi : gi * a; });
      break;
    case Slope::abs:
      map_with_grad<T>(g.value(), x.value(), out,
                       [](T gi, T xi) { return xi > T(0) ? gi : (xi < T(0) ? -gi : T(0)); });
      break;
    case Slope::clip:
      map_with_grad<T>(g.value(), x.value(), out, [a, b](T gi, T xi) { return xi >= a && xi <= b ? gi : T(0); });
      break;
  }
  return make_output<T>(
      op, std::move(out), {&g, &x},
      [s, op](BackwardContext<T>& c) {
        if (c.needs(0)) c.grads[0] = sum_to_shape(mul_slope(c.g, c.in[1], s, op), to_shape(c.in[0].shape()));
      },
      true);
}

// ---- g * y(1-y) and g * (1-y^2): the backward of sigmoid and tanh as ops of their own ---------

template <class T>
Var<T> sigmoid_backward(const Var<T>& g, const Var<T>& y) {
  Array<T> v = g.value() * y.value() * (T(1) - y.value());
  return make_output<T>("sigmoid_backward", std::move(v), {&g, &y}, [](BackwardContext<T>& c) {
    const Var<T>& g_in = c.in[0];
    const Var<T>& y_in = c.in[1];
    if (c.needs(0)) c.grads[0] = sigmoid_backward(c.g, y_in);
    if (c.needs(1)) c.grads[1] = c.g * g_in * (T(1) - scale(y_in, T(2), "mul_scalar"));
  });
}

template <class T>
Var<T> tanh_backward(const Var<T>& g, const Var<T>& y) {
  Array<T> v = g.value() * (T(1) - y.value() * y.value());
  return make_output<T>("tanh_backward", std::move(v), {&g, &y}, [](BackwardContext<T>& c) {
    const Var<T>& g_in = c.in[0];
    const Var<T>& y_in = c.in[1];
    if (c.needs(0)) c.grads[0] = tanh_backward(c.g, y_in);
    if (c.needs(1)) c.grads[1] = scaled_mul(c.g * g_in, y_in, T(-2), "mul");
  });
}

// ---- BLAS ------------------------------------------------------------------------------------

template <class T>
Var<T> matmul_flags(const Var<T>& a, const Var<T>& b, bool ta, bool tb) {
  if (a.dim() != 2 || b.dim() != 2) {
    throw ShapeError("matmul: needs 2-D operands, got shapes " + shape_str(a.shape()) + " and " +
                     shape_str(b.shape()));
  }
  const std::size_t m = ta ? a.shape()[1] : a.shape()[0], ka = ta ? a.shape()[0] : a.shape()[1];
  const std::size_t kb = tb ? b.shape()[1] : b.shape()[0], n = tb ? b.shape()[0] : b.shape()[1];
  if (ka != kb) {
    throw ShapeError("matmul: inner dimensions differ: " + shape_str(a.shape()) + (ta ? "^T" : "") + " times " +
                     shape_str(b.shape()) + (tb ? "^T" : ""));
  }
  Array<T> v = Array<T>::from_shape({m, n});
  if (ka == 0) {
    v.fill(T(0));
  } else if (m > 0 && n > 0) {
    detail::gemm(ta, tb, m, n, ka, a.value().data(), b.value().data(), v.data());
  }
  return make_output<T>("matmul", std::move(v), {&a, &b}, [ta, tb](BackwardContext<T>& c) {
    const Var<T>& A = c.in[0];
    const Var<T>& B = c.in[1];
    const Var<T>& g = c.g;
    // C = op(A) op(B); each case reads the needed transposes off the flags instead of copying.
    if (c.needs(0)) {
      c.grads[0] = !ta ? matmul_flags(g, B, false, !tb) : (tb ? matmul_flags(B, g, true, true)
                                                              : matmul_flags(B, g, false, true));
    }
    if (c.needs(1)) {
      c.grads[1] = !tb ? matmul_flags(A, g, !ta, false) : (ta ? matmul_flags(g, A, true, true)
                                                              : matmul_flags(g, A, true, false));
    }
  });
}

// ---- reductions ------------------------------------------------------------------------------

template <class T>
Var<T> sum_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims) {
  Array<T> v = reduce::reduce_keepdims<reduce::Sum>(x.value(), axes);
  if (!keepdims) v.reshape(reduced_shape(x.shape(), axes));
  return make_output<T>("sum", std::move(v), {&x}, [axes, keepdims](BackwardContext<T>& c) {
    // Hand back the gradient in keepdims shape; the sweep broadcasts it only where needed.
    const Shape kshape = keepdims_shape(c.in[0].shape(), axes);
    c.grads[0] = keepdims ? c.g : reshape(c.g, kshape);
  });
}

template <class T>
Var<T> max_axes(const Var<T>& x, const std::vector<std::size_t>& axes, bool keepdims) {
  if (x.size() == 0) throw ShapeError("max: empty input of shape " + shape_str(x.shape()));
  Array<T> m = reduce::reduce_keepdims<reduce::Max>(x.value(), axes);
  Array<T> v = m;
  if (!keepdims) v.reshape(reduced_shape(x.shape(), axes));
  return make_output<T>("max", std::move(v), {&x}, [axes, keepdims, m](BackwardContext<T>& c) {
    // The gradient goes to the maximal elements, split evenly among ties.
    const Array<T>& xv = c.in[0].value();
    Array<T> mask = xt::cast<T>(xt::equal(xv, full(m, to_shape(xv.shape()))));
    const Array<T> count = reduce::reduce_keepdims<reduce::Sum>(mask, axes);
    mask /= count;
    const Shape kshape = keepdims_shape(xv.shape(), axes);
    Var<T> gk = keepdims ? c.g : reshape(c.g, kshape);
    c.grads[0] = broadcast_to(gk, to_shape(xv.shape())) * constant<T>(std::move(mask));
  });
}

// ---- copying blocks along one axis (concat, slice, pad) -------------------------------------

// Views a row-major array as (outer, length along `axis`, inner).
struct AxisBlocks {
  std::size_t outer = 1, length = 1, inner = 1;
  template <class S>
  AxisBlocks(const S& shape, std::size_t axis) {
    for (std::size_t i = 0; i < shape.size(); ++i) (i < axis ? outer : i == axis ? length : inner) *= shape[i];
  }
};

// Copies `count` positions along the axis, from src starting at src_at to dst starting at dst_at.
template <class T>
void copy_along_axis(const Array<T>& src, std::size_t src_at, Array<T>& dst, std::size_t dst_at, std::size_t count,
                     std::size_t axis) {
  const AxisBlocks s(src.shape(), axis), d(dst.shape(), axis);
  const std::size_t run = count * s.inner;
  for (std::size_t o = 0; o < s.outer; ++o) {
    std::copy_n(src.data() + (o * s.length + src_at) * s.inner, run, dst.data() + (o * d.length + dst_at) * d.inner);
  }
}

}  // namespace


// ---- arithmetic ------------------------------------------------------------------------------

template <class T> Var<T> operator+(const Var<T>& a, const Var<T>& b) { return add_scaled(a, b, T(1), "add"); }
template <class T> Var<T> operator-(const Var<T>& a, const Var<T>& b) { return add_scaled(a, b, T(-1), "sub"); }
template <class T> Var<T> operator*(const Var<T>& a, const Var<T>& b) { return scaled_mul(a, b, T(1), "mul"); }
template <class T> Var<T> operator/(const Var<T>& a, const Var<T>& b) { return divide(a, b); }
template <class T> Var<T> operator-(const Var<T>& x) { return scale(x, T(-1), "neg"); }
template <class T> Var<T> operator+(const Var<T>& x, Scalar<T> s) { return add_scalar(x, s); }
template <class T> Var<T> operator+(Scalar<T> s, const Var<T>& x) { return add_scalar(x, s); }
template <class T> Var<T> operator-(const Var<T>& x, Scalar<T> s) { return add_scalar(x, T(-s)); }
template <class T> Var<T> operator-(Scalar<T> s, const Var<T>& x) { return add_scalar(-x, s); }
template <class T> Var<T> operator*(const Var<T>& x, Scalar<T> s) { return scale(x, s, "mul_scalar"); }
template <class T> Var<T> operator*(Scalar<T> s, const Var<T>& x) { return scale(x, s, "mul_scalar"); }
template <class T> Var<T> operator/(const Var<T>& x, Scalar<T> s) { return divide_by(x, s); }
template <class T> Var<T> operator/(Scalar<T> s, const Var<T>& x) { return scale(pow(x, T(-1)), s, "mul_scalar"); }

// ---- elementwise math ------------------------------------------------------------------------

template <class T>
Var<T> pow(const Var<T>& x, Scalar<T> p) {
  Array<T> v = xt::pow(x.value(), p);
  return make_output<T>("pow", std::move(v), {&x}, [p](BackwardContext<T>& c) {
    if (p != T(0)) c.grads[0] = scaled_mul(c.g, pow(c.in[0], p - T(1)), p, "mul");
  });
}

template <class T>
Var<T> square(const Var<T>& x) {
  Array<T> v = x.value() * x.value();
  return make_output<T>("square", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = scaled_mul(c.g, c.in[0], T(2), "mul"); });
}

template <class T>
Var<T> sqrt(const Var<T>& x) {
  Array<T> v = xt::sqrt(x.value());
  return make_output<T>("sqrt", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = scale(c.g / c.out, T(0.5), "mul_scalar"); });
}

template <class T>
Var<T> exp(const Var<T>& x) {
  Array<T> v = xt::exp(x.value());
  return make_output<T>("exp", std::move(v), {&x}, [](BackwardContext<T>& c) { c.grads[0] = c.g * c.out; });
}

template <class T>
Var<T> log(const Var<T>& x) {
  Array<T> v = xt::log(x.value());
  return make_output<T>("log", std::move(v), {&x}, [](BackwardContext<T>& c) { c.grads[0] = c.g / c.in[0]; });
}

template <class T>
Var<T> abs(const Var<T>& x) {
  Array<T> v = xt::abs(x.value());
  return make_output<T>(
      "abs", std::move(v), {&x},
      [](BackwardContext<T>& c) { c.grads[0] = mul_slope(c.g, c.in[0], SlopeOf<T>{Slope::abs}, "abs_backward"); },
      true);
}

template <class T>
Var<T> sign(const Var<T>& x) {
  Array<T> v = xt::sign(x.value());
  return make_output<T>("sign", std::move(v), {&x}, [](BackwardContext<T>&) { /* zero almost everywhere */ });
}

template <class T>
Var<T> clip(const Var<T>& x, Scalar<T> lo, Scalar<T> hi) {
  if (!(lo <= hi)) {
    throw Error("clip: lower bound " + std::to_string(lo) + " exceeds upper bound " + std::to_string(hi));
  }
  Array<T> v = xt::clip(x.value(), lo, hi);
  return make_output<T>(
      "clip", std::move(v), {&x},
      [lo, hi](BackwardContext<T>& c) {
        c.grads[0] = mul_slope(c.g, c.in[0], SlopeOf<T>{Slope::clip, lo, hi}, "clip_backward");
      },
      true);
}

template <class T>
Var<T> where(const xt::xarray<bool>& mask_in, const Var<T>& a, const Var<T>& b) {
  const Shape ab = broadcast_shapes("where", a.shape(), b.shape());
  const Shape shape = broadcast_shapes("where", mask_in.shape(), ab);
  const bool same = a.shape() == b.shape() && mask_in.shape() == a.shape();
  xt::xarray<bool> mask = same ? mask_in : full(mask_in, shape);
  Array<T> v = same ? Array<T>(xt::where(mask, a.value(), b.value()))
                    : Array<T>(xt::where(mask, full(a.value(), shape), full(b.value(), shape)));
  return make_output<T>("where", std::move(v), {&a, &b}, [mask](BackwardContext<T>& c) {
    const Var<T> zero = Var<T>::scalar(T(0));
    if (c.needs(0)) c.grads[0] = sum_to_shape(ad::where(mask, c.g, zero), to_shape(c.in[0].shape()));
    if (c.needs(1)) c.grads[1] = sum_to_shape(ad::where(mask, zero, c.g), to_shape(c.in[1].shape()));
  });
}

template <class T>
Var<T> maximum(const Var<T>& a, const Var<T>& b) {
  const Shape s = broadcast_shapes("maximum", a.shape(), b.shape());
  return ad::where(xt::xarray<bool>(full(a.value(), s) >= full(b.value(), s)), a, b);  // a tie goes to a
}

template <class T>
Var<T> minimum(const Var<T>& a, const Var<T>& b) {
  const Shape s = broadcast_shapes("minimum", a.shape(), b.shape());
  return ad::where(xt::xarray<bool>(full(a.value(), s) <= full(b.value(), s)), a, b);  // a tie goes to a
}

// ---- activations -----------------------------------------------------------------------------

template <class T>
Var<T> relu(const Var<T>& x) {
  Array<T> v = xt::maximum(x.value(), T(0));
  return make_output<T>(
      "relu", std::move(v), {&x},
      [](BackwardContext<T>& c) { c.grads[0] = mul_slope(c.g, c.in[0], SlopeOf<T>{Slope::relu}, "relu_backward"); },
      true);
}

template <class T>
Var<T> leaky_relu(const Var<T>& x, Scalar<T> slope) {
  Array<T> v = xt::where(x.value() > T(0), x.value(), slope * x.value());
  return make_output<T>(
      "leaky_relu", std::move(v), {&x},
      [slope](BackwardContext<T>& c) {
        c.grads[0] = mul_slope(c.g, c.in[0], SlopeOf<T>{Slope::leaky_relu, slope}, "leaky_relu_backward");
      },
      true);
}

template <class T>
Var<T> elu(const Var<T>& x, Scalar<T> alpha) {
  xt::xarray<bool> positive = x.value() > T(0);
  Array<T> v = xt::where(positive, x.value(), alpha * (xt::exp(x.value()) - T(1)));
  return make_output<T>("elu", std::move(v), {&x}, [alpha, positive](BackwardContext<T>& c) {
    // elu' = 1 for x > 0, else elu(x) + alpha (= alpha e^x), which stays differentiable via out.
    c.grads[0] = ad::where(positive, c.g, c.g * (c.out + alpha));
  });
}

template <class T>
Var<T> sigmoid(const Var<T>& x) {
  Array<T> v = T(1) / (T(1) + xt::exp(-x.value()));
  return make_output<T>("sigmoid", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = sigmoid_backward(c.g, c.out); });
}

template <class T>
Var<T> tanh(const Var<T>& x) {
  Array<T> v = xt::tanh(x.value());
  return make_output<T>("tanh", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = tanh_backward(c.g, c.out); });
}

template <class T>
Var<T> softplus(const Var<T>& x) {
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
  Array<T> v = xt::maximum(x.value(), T(0)) + xt::log1p(xt::exp(-xt::abs(x.value())));
  return make_output<T>("softplus", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = c.g * sigmoid(c.in[0]); });
}

// ---- linear algebra --------------------------------------------------------------------------

template <class T>
Var<T> matmul(const Var<T>& a, const Var<T>& b, bool transpose_a, bool transpose_b) {
  return matmul_flags(a, b, transpose_a, transpose_b);
}

// act(x·W + b) as one op: the gemm writes the output and one pass adds the bias and applies a
// relu in place, where matmul, add and relu would make three arrays, three passes and three
// records. The backward is the three ops' backward, written with ops (second order works).
template <class T>
Var<T> linear_relu_or_identity(const Var<T>& x, const Var<T>& weight, const Var<T>& bias, bool relu_after) {
  if (x.dim() != 2 || weight.dim() != 2 || x.shape()[1] != weight.shape()[0] ||
      (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != weight.shape()[1]))) {
    throw ShapeError("linear: needs x (m, k), weight (k, n) and bias (n), got " + shape_str(x.shape()) + ", " +
                     shape_str(weight.shape()) + " and " + (bias.defined() ? shape_str(bias.shape()) : "no bias"));
  }
  const std::size_t m = x.shape()[0], k = x.shape()[1], n = weight.shape()[1];
  Array<T> v = Array<T>::from_shape({m, n});
  if (k == 0) {
    v.fill(T(0));
  } else if (m > 0 && n > 0) {
    detail::gemm(false, false, m, n, k, x.value().data(), weight.value().data(), v.data());
  }
  T* out = v.data();
  const T* b = bias.defined() ? bias.value().data() : nullptr;
  for (std::size_t i = 0; i < m; ++i) {
    T* row = out + i * n;
    if (b != nullptr)
      for (std::size_t j = 0; j < n; ++j) row[j] += b[j];
    if (relu_after)
      for (std::size_t j = 0; j < n; ++j) row[j] = row[j] > T(0) ? row[j] : T(0);
  }
  const Var<T>* inputs[] = {&x, &weight, &bias};
  return make_output<T>(relu_after ? "linear_relu" : "linear", std::move(v),
                        std::span<const Var<T>* const>(inputs, bias.defined() ? 3 : 2),
                        [relu_after](BackwardContext<T>& c) {
                          // relu'(z) = [y > 0]: the output carries the mask, z is not kept.
                          const Var<T> gz = relu_after ? mul_slope(c.g, c.out, SlopeOf<T>{Slope::relu}, "relu_backward")
                                                       : c.g;
                          if (c.needs(0)) c.grads[0] = matmul_flags(gz, c.in[1], false, true);
                          if (c.needs(1)) c.grads[1] = matmul_flags(c.in[0], gz, true, false);
                          if (c.in.size() > 2 && c.needs(2)) c.grads[2] = sum_axes(gz, {0}, false);
                        });
}

template <class T>
Var<T> linear(const Var<T>& x, const Var<T>& weight, const Var<T>& bias, Activation activation) {
  if (activation == Activation::relu) return linear_relu_or_identity(x, weight, bias, true);
  return activate(linear_relu_or_identity(x, weight, bias, false), activation);
}

template <class T>
Var<T> transpose(const Var<T>& x, const std::vector<std::size_t>& permutation) {
  std::vector<std::size_t> sorted = permutation;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != all_axes(x.dim())) {
    throw ShapeError("transpose: permutation of length " + std::to_string(permutation.size()) +
                     " is not a permutation of the axes of shape " + shape_str(x.shape()));
  }
  Array<T> v = xt::transpose(x.value(), permutation);
  return make_output<T>("transpose", std::move(v), {&x}, [permutation](BackwardContext<T>& c) {
    std::vector<std::size_t> inverse(permutation.size());
    for (std::size_t i = 0; i < permutation.size(); ++i) inverse[permutation[i]] = i;
    c.grads[0] = transpose(c.g, inverse);
  });
}

template <class T>
Var<T> transpose(const Var<T>& x) {
  std::vector<std::size_t> reversed = all_axes(x.dim());
  std::reverse(reversed.begin(), reversed.end());
  return transpose(x, reversed);
}

// ---- shape -----------------------------------------------------------------------------------

template <class T>
Var<T> reshape(const Var<T>& x, const Shape& requested) {
  Shape shape = requested;
  const auto inferred = std::find(shape.begin(), shape.end(), infer);
  if (inferred != shape.end()) {
    if (std::find(inferred + 1, shape.end(), infer) != shape.end()) {
      throw ShapeError("reshape: more than one inferred (-1) entry in the target shape");
    }
    std::size_t known = 1;
    for (auto d : shape) known *= d == infer ? 1 : d;
    if (known == 0 || x.size() % known != 0) {
      throw ShapeError("reshape: cannot infer an entry to reshape " + shape_str(x.shape()) + " (" +
                       std::to_string(x.size()) + " elements) with " + std::to_string(known) +
                       " elements in the other entries");
    }
    *inferred = x.size() / known;
  }
  const std::size_t n = std::accumulate(shape.begin(), shape.end(), std::size_t(1), std::multiplies<>());
  if (n != x.size()) {
    throw ShapeError("reshape: cannot reshape " + shape_str(x.shape()) + " (" + std::to_string(x.size()) +
                     " elements) to " + shape_str(shape));
  }
  Array<T> v = x.value();
  v.reshape(shape);
  return make_output<T>("reshape", std::move(v), {&x}, [](BackwardContext<T>& c) {
    c.grads[0] = reshape(c.g, to_shape(c.in[0].shape()));
  });
}

template <class T>
Var<T> flatten(const Var<T>& x, std::size_t start_axis) {
  if (start_axis > x.dim()) {
    throw ShapeError("flatten: start axis " + std::to_string(start_axis) + " beyond shape " + shape_str(x.shape()));
  }
  Shape s(x.shape().begin(), x.shape().begin() + static_cast<std::ptrdiff_t>(start_axis));
  std::size_t rest = 1;
  for (std::size_t i = start_axis; i < x.dim(); ++i) rest *= x.shape()[i];
  s.push_back(rest);
  return reshape(x, s);
}

template <class T>
Var<T> broadcast_to(const Var<T>& x, const Shape& shape) {
  if (broadcast_shapes("broadcast_to", x.shape(), shape) != shape) {
    throw ShapeError("broadcast_to: cannot broadcast " + shape_str(x.shape()) + " to " + shape_str(shape));
  }
  Array<T> v = xt::broadcast(x.value(), shape);
  return make_output<T>("broadcast_to", std::move(v), {&x}, [](BackwardContext<T>& c) {
    c.grads[0] = sum_to_shape(c.g, to_shape(c.in[0].shape()));
  });
}

template <class T>
Var<T> sum_to_shape(const Var<T>& x, const Shape& shape) {
  if (std::equal(x.shape().begin(), x.shape().end(), shape.begin(), shape.end())) return x;
  if (broadcast_shapes("sum_to_shape", shape, x.shape()) != to_shape(x.shape())) {
    throw ShapeError("sum_to_shape: " + shape_str(shape) + " does not broadcast to " + shape_str(x.shape()));
  }
  // Sum the leading axes that broadcasting added, and the axes where the target has length 1.
  const std::size_t lead = x.dim() - shape.size();
  std::vector<std::size_t> axes;
  for (std::size_t i = 0; i < x.dim(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1)) axes.push_back(i);
  }
  Array<T> v = reduce::reduce_keepdims<reduce::Sum>(x.value(), axes);
  v.reshape(shape);
  return make_output<T>("sum_to_shape", std::move(v), {&x}, [](BackwardContext<T>& c) {
    c.grads[0] = broadcast_to(c.g, to_shape(c.in[0].shape()));
  });
}

template <class T>
Var<T> gather_rows(const Var<T>& x, const std::vector<std::size_t>& indices) {
  if (x.dim() == 0) throw ShapeError("gather_rows: needs at least 1-D input, got a 0-D one");
  const std::size_t rows = x.shape()[0], row_size = rows ? x.size() / rows : 0;
  Shape s = to_shape(x.shape());
  s[0] = indices.size();
  Array<T> v = Array<T>::from_shape(s);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= rows) {
      throw ShapeError("gather_rows: index " + std::to_string(indices[i]) + " at position " + std::to_string(i) +
                       " is out of range for shape " + shape_str(x.shape()));
    }
    std::memcpy(v.data() + i * row_size, x.value().data() + indices[i] * row_size, row_size * sizeof(T));
  }
  return make_output<T>("gather_rows", std::move(v), {&x}, [indices, rows](BackwardContext<T>& c) {
    c.grads[0] = scatter_add_rows(c.g, indices, rows);
  });
}

template <class T>
Var<T> scatter_add_rows(const Var<T>& x, const std::vector<std::size_t>& indices, std::size_t rows) {
  if (x.dim() == 0 || x.shape()[0] != indices.size()) {
    throw ShapeError("scatter_add_rows: " + std::to_string(indices.size()) + " indices for input of shape " +
                     shape_str(x.shape()));
  }
  Shape s = to_shape(x.shape());
  s[0] = rows;
  Array<T> v = xt::zeros<T>(s);
  const std::size_t row_size = indices.empty() ? 0 : x.size() / indices.size();
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= rows) {
      throw ShapeError("scatter_add_rows: index " + std::to_string(indices[i]) + " is out of range for " +
                       std::to_string(rows) + " rows");
    }
    T* dst = v.data() + indices[i] * row_size;
    const T* src = x.value().data() + i * row_size;
    for (std::size_t j = 0; j < row_size; ++j) dst[j] += src[j];
  }
  return make_output<T>("scatter_add_rows", std::move(v), {&x}, [indices](BackwardContext<T>& c) {
    c.grads[0] = gather_rows(c.g, indices);
  });
}

template <class T>
Var<T> concat(const std::vector<Var<T>>& xs, std::ptrdiff_t axis) {
  if (xs.empty()) throw ShapeError("concat: no inputs");
  const std::size_t dim = xs[0].dim();
  const std::size_t ax = normalize_axis("concat", axis, dim);
  Shape s = to_shape(xs[0].shape());
  s[ax] = 0;
  for (const auto& x : xs) {
    bool same = x.dim() == dim;
    for (std::size_t i = 0; same && i < dim; ++i) same = i == ax || x.shape()[i] == xs[0].shape()[i];
    if (!same) {
      throw ShapeError("concat: shape " + shape_str(x.shape()) + " does not fit " + shape_str(xs[0].shape()) +
                       " along axis " + std::to_string(ax));
    }
    s[ax] += x.shape()[ax];
  }
  Array<T> v = Array<T>::from_shape(s);
  std::vector<std::size_t> offsets;
  std::size_t at = 0;
  for (const auto& x : xs) {
    offsets.push_back(at);
    copy_along_axis(x.value(), 0, v, at, x.shape()[ax], ax);
    at += x.shape()[ax];
  }
  std::vector<const Var<T>*> inputs;
  for (const auto& x : xs) inputs.push_back(&x);
  return make_output<T>("concat", std::move(v), std::span<const Var<T>* const>(inputs),
                        [ax, offsets](BackwardContext<T>& c) {
                          for (std::size_t i = 0; i < c.in.size(); ++i) {
                            if (c.needs(i)) {
                              c.grads[i] = slice(c.g, static_cast<std::ptrdiff_t>(ax), offsets[i],
                                                 offsets[i] + c.in[i].shape()[ax]);
                            }
                          }
                        });
}

template <class T>
Var<T> slice(const Var<T>& x, std::ptrdiff_t axis, std::size_t begin, std::size_t end) {
  const std::size_t ax = normalize_axis("slice", axis, x.dim());
  if (begin > end || end > x.shape()[ax]) {
    throw ShapeError("slice: range [" + std::to_string(begin) + ", " + std::to_string(end) + ") along axis " +
                     std::to_string(ax) + " of shape " + shape_str(x.shape()));
  }
  Shape s = to_shape(x.shape());
  s[ax] = end - begin;
  Array<T> v = Array<T>::from_shape(s);
  copy_along_axis(x.value(), begin, v, 0, end - begin, ax);
  return make_output<T>("slice", std::move(v), {&x}, [ax, begin](BackwardContext<T>& c) {
    c.grads[0] = pad_axis(c.g, static_cast<std::ptrdiff_t>(ax), begin, c.in[0].shape()[ax]);
  });
}

template <class T>
Var<T> pad_axis(const Var<T>& x, std::ptrdiff_t axis, std::size_t begin, std::size_t size) {
  const std::size_t ax = normalize_axis("pad_axis", axis, x.dim());
  const std::size_t len = x.shape()[ax];
  if (begin + len > size) {
    throw ShapeError("pad_axis: " + std::to_string(len) + " elements at " + std::to_string(begin) +
                     " do not fit in length " + std::to_string(size));
  }
  Shape s = to_shape(x.shape());
  s[ax] = size;
  Array<T> v = xt::zeros<T>(s);
  copy_along_axis(x.value(), 0, v, begin, len, ax);
  return make_output<T>("pad_axis", std::move(v), {&x}, [ax, begin](BackwardContext<T>& c) {
    c.grads[0] = slice(c.g, static_cast<std::ptrdiff_t>(ax), begin, begin + c.in[0].shape()[ax]);
  });
}

// ---- reductions ------------------------------------------------------------------------------

template <class T>
Var<T> sum(const Var<T>& x) {
  return sum_axes(x, all_axes(x.dim()), false);
}

template <class T>
Var<T> sum(const Var<T>& x, const Axes& axes, bool keepdims) {
  return sum_axes(x, normalize_axes("sum", axes, x.dim()), keepdims);
}

template <class T>
Var<T> mean(const Var<T>& x) {
  if (x.size() == 0) throw ShapeError("mean: empty input of shape " + shape_str(x.shape()));
  return sum(x) / static_cast<T>(x.size());
}

template <class T>
Var<T> mean(const Var<T>& x, const Axes& axes, bool keepdims) {
  const auto ax = normalize_axes("mean", axes, x.dim());
  std::size_t n = 1;
  for (auto a : ax) n *= x.shape()[a];
  if (n == 0) throw ShapeError("mean: empty reduction over shape " + shape_str(x.shape()));
  return sum_axes(x, ax, keepdims) / static_cast<T>(n);
}

template <class T>
Var<T> max(const Var<T>& x) {
  return max_axes(x, all_axes(x.dim()), false);
}

template <class T>
Var<T> max(const Var<T>& x, const Axes& axes, bool keepdims) {
  return max_axes(x, normalize_axes("max", axes, x.dim()), keepdims);
}

template <class T>
Var<T> logsumexp(const Var<T>& x, const Axes& axes, bool keepdims) {
  const auto ax = normalize_axes("logsumexp", axes, x.dim());
  // Shift by the (constant) maximum so exp never overflows; the result does not depend on the
  // shift, so no gradient needs to flow through it.
  Array<T> m = reduce::reduce_keepdims<reduce::Max>(x.value(), ax);
  m = xt::where(xt::isfinite(m), m, T(0));
  const Var<T> shift = constant<T>(std::move(m));
  Var<T> r = log(sum_axes(exp(x - shift), ax, true)) + shift;
  return keepdims ? r : reshape(r, reduced_shape(x.shape(), ax));
}

template <class T>
Var<T> softmax(const Var<T>& x, std::ptrdiff_t axis) {
  normalize_axis("softmax", axis, x.dim());
  return exp(log_softmax(x, axis));
}

template <class T>
Var<T> log_softmax(const Var<T>& x, std::ptrdiff_t axis) {
  normalize_axis("log_softmax", axis, x.dim());
  return x - logsumexp(x, {axis}, true);
}

template <class T>
Var<T> l1_norm(const Var<T>& x) {
  // One pass forward and one backward (g * sign(x), fused), with no |x| temporary: |x| goes
  // through a small cache-resident block into the vectorized sum kernel.
  Array<T> v = Array<T>::from_shape({});
  const T* p = x.value().data();
  const std::size_t n = x.size();
  constexpr std::size_t block = 2048;
  T buffer[block];
  T total = 0;
  for (std::size_t i = 0; i < n; i += block) {
    const std::size_t m = std::min(block, n - i);
    for (std::size_t j = 0; j < m; ++j) buffer[j] = std::abs(p[i + j]);
    total += reduce::Sum::contiguous(buffer, m);
  }
  v() = total;
  return make_output<T>("l1_norm", std::move(v), {&x}, [](BackwardContext<T>& c) {
    c.grads[0] = mul_slope(c.g, c.in[0], SlopeOf<T>{Slope::abs}, "abs_backward");
  });
}

template <class T>
Var<T> l2_norm(const Var<T>& x) {
  return sqrt(sum(square(x)));
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE_OPS(T)                                                                               \
  template Var<T> operator+(const Var<T>&, const Var<T>&);                                                  \
  template Var<T> operator-(const Var<T>&, const Var<T>&);                                                  \
  template Var<T> operator*(const Var<T>&, const Var<T>&);                                                  \
  template Var<T> operator/(const Var<T>&, const Var<T>&);                                                  \
  template Var<T> operator-(const Var<T>&);                                                                 \
  template Var<T> operator+(const Var<T>&, Scalar<T>);                                                      \
  template Var<T> operator+(Scalar<T>, const Var<T>&);                                                      \
  template Var<T> operator-(const Var<T>&, Scalar<T>);                                                      \
  template Var<T> operator-(Scalar<T>, const Var<T>&);                                                      \
  template Var<T> operator*(const Var<T>&, Scalar<T>);                                                      \
  template Var<T> operator*(Scalar<T>, const Var<T>&);                                                      \
  template Var<T> operator/(const Var<T>&, Scalar<T>);                                                      \
  template Var<T> operator/(Scalar<T>, const Var<T>&);                                                      \
  template Var<T> pow(const Var<T>&, Scalar<T>);                                                            \
  template Var<T> square(const Var<T>&);                                                                    \
  template Var<T> sqrt(const Var<T>&);                                                                      \
  template Var<T> exp(const Var<T>&);                                                                       \
  template Var<T> log(const Var<T>&);                                                                       \
  template Var<T> abs(const Var<T>&);                                                                       \
  template Var<T> sign(const Var<T>&);                                                                      \
  template Var<T> clip(const Var<T>&, Scalar<T>, Scalar<T>);                                                \
  template Var<T> maximum(const Var<T>&, const Var<T>&);                                                    \
  template Var<T> minimum(const Var<T>&, const Var<T>&);                                                    \
  template Var<T> where(const xt::xarray<bool>&, const Var<T>&, const Var<T>&);                             \
  template Var<T> relu(const Var<T>&);                                                                      \
  template Var<T> leaky_relu(const Var<T>&, Scalar<T>);                                                     \
  template Var<T> elu(const Var<T>&, Scalar<T>);                                                            \
  template Var<T> sigmoid(const Var<T>&);                                                                   \
  template Var<T> tanh(const Var<T>&);                                                                      \
  template Var<T> softplus(const Var<T>&);                                                                  \
  template Var<T> matmul(const Var<T>&, const Var<T>&, bool, bool);                                         \
  template Var<T> linear(const Var<T>&, const Var<T>&, const Var<T>&, Activation);                          \
  template Var<T> transpose(const Var<T>&);                                                                 \
  template Var<T> transpose(const Var<T>&, const std::vector<std::size_t>&);                                \
  template Var<T> reshape(const Var<T>&, const Shape&);                                                     \
  template Var<T> flatten(const Var<T>&, std::size_t);                                                      \
  template Var<T> broadcast_to(const Var<T>&, const Shape&);                                                \
  template Var<T> sum_to_shape(const Var<T>&, const Shape&);                                                \
  template Var<T> gather_rows(const Var<T>&, const std::vector<std::size_t>&);                              \
  template Var<T> scatter_add_rows(const Var<T>&, const std::vector<std::size_t>&, std::size_t);            \
  template Var<T> concat(const std::vector<Var<T>>&, std::ptrdiff_t);                                       \
  template Var<T> slice(const Var<T>&, std::ptrdiff_t, std::size_t, std::size_t);                           \
  template Var<T> pad_axis(const Var<T>&, std::ptrdiff_t, std::size_t, std::size_t);                        \
  template Var<T> sum(const Var<T>&);                                                                       \
  template Var<T> sum(const Var<T>&, const Axes&, bool);                                                    \
  template Var<T> mean(const Var<T>&);                                                                      \
  template Var<T> mean(const Var<T>&, const Axes&, bool);                                                   \
  template Var<T> max(const Var<T>&);                                                                       \
  template Var<T> max(const Var<T>&, const Axes&, bool);                                                    \
  template Var<T> logsumexp(const Var<T>&, const Axes&, bool);                                              \
  template Var<T> softmax(const Var<T>&, std::ptrdiff_t);                                                   \
  template Var<T> log_softmax(const Var<T>&, std::ptrdiff_t);                                               \
  template Var<T> l1_norm(const Var<T>&);                                                                   \
  template Var<T> l2_norm(const Var<T>&);
AD_INSTANTIATE_OPS(float)
AD_INSTANTIATE_OPS(double)
#undef AD_INSTANTIATE_OPS

}  // namespace ad
