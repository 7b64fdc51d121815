// Elementwise math: pow, sqrt, exp, log, sin, erf, ..., abs, clip, maximum/minimum and where.

#include <cmath>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "tape.hpp"

namespace ad {

// ---- g * f'(x) for piecewise-linear f: one fused pass; f'' = 0 -------------------------------

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
      // !(x <= 0): a NaN input passes the gradient, as in PyTorch.
      map_with_grad<T>(g.value(), x.value(), out, [](T gi, T xi) { return xi <= T(0) ? T(0) : gi; });
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


template <class T>
Var<T> pow(const Var<T>& x, Scalar<T> p) {
  // std::pow, not xt::pow: xsimd's pow gets a zero base wrong (0^0 = 0, 0^-1 = 0).
  Array<T> v = map_values(x.value(), [p](T e) { return std::pow(e, T(p)); });
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

// a^b with broadcasting. PyTorch's conventions: no gradient to a where b = 0, and none to b
// where a = 0 and b >= 0 (elsewhere a^b·log(a), NaN for a < 0).
template <class T>
Var<T> pow(const Var<T>& a, const Var<T>& b) {
  Array<T> v = map_broadcast<T>("pow", a.value(), b.value(), [](T base, T e) { return std::pow(base, e); });
  return make_output<T>("pow", std::move(v), {&a, &b}, [](BackwardContext<T>& c) {
    const Var<T>&x = c.in[0], &p = c.in[1];
    const Var<T> zero = Var<T>::scalar(T(0));
    if (c.needs(0)) {
      const Var<T> d = ad::where(ad::equal(p, T(0)), zero, c.g * p * pow(x, p - T(1)));
      c.grads[0] = sum_to_shape(d, to_shape(x.shape()));
    }
    if (c.needs(1)) {
      // log(1) = 0 stands in for log(0) where that term is dropped, so no 0·inf appears.
      const xt::xarray<bool> dropped = compare_values("pow", x.value(), p.value(),
                                                      [](T base, T e) { return base == T(0) && e >= T(0); });
      const Var<T> safe_x = ad::where(dropped, Var<T>::scalar(T(1)), x);
      c.grads[1] = sum_to_shape(c.g * c.out * log(safe_x), to_shape(p.shape()));
    }
  });
}

template <class T>
Var<T> pow(Scalar<T> base, const Var<T>& exponent) {
  return pow(Var<T>::scalar(base), exponent);
}

template <class T>
Var<T> sin(const Var<T>& x) {
  Array<T> v = xt::sin(x.value());
  return make_output<T>("sin", std::move(v), {&x}, [](BackwardContext<T>& c) { c.grads[0] = c.g * cos(c.in[0]); });
}

template <class T>
Var<T> cos(const Var<T>& x) {
  Array<T> v = xt::cos(x.value());
  return make_output<T>("cos", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = scaled_mul(c.g, sin(c.in[0]), T(-1), "mul"); });
}

template <class T>
Var<T> tan(const Var<T>& x) {
  Array<T> v = xt::tan(x.value());
  return make_output<T>("tan", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = c.g * (square(c.out) + T(1)); });  // 1 + tan^2
}

template <class T>
Var<T> log1p(const Var<T>& x) {
  Array<T> v = xt::log1p(x.value());
  return make_output<T>("log1p", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = c.g / (c.in[0] + T(1)); });
}

template <class T>
Var<T> expm1(const Var<T>& x) {
  Array<T> v = xt::expm1(x.value());
  return make_output<T>("expm1", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = c.g * (c.out + T(1)); });
}

template <class T>
Var<T> reciprocal(const Var<T>& x) {
  Array<T> v = map_values(x.value(), [](T e) { return T(1) / e; });
  return make_output<T>("reciprocal", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = scaled_mul(c.g, square(c.out), T(-1), "mul"); });
}

template <class T>
Var<T> rsqrt(const Var<T>& x) {
  Array<T> v = map_values(x.value(), [](T e) { return T(1) / std::sqrt(e); });
  return make_output<T>("rsqrt", std::move(v), {&x}, [](BackwardContext<T>& c) {
    c.grads[0] = scaled_mul(c.g, c.out / c.in[0], T(-0.5), "mul");  // -x^(-3/2) / 2
  });
}

template <class T>
Var<T> erf(const Var<T>& x) {
  Array<T> v = map_values(x.value(), [](T e) { return std::erf(e); });
  return make_output<T>("erf", std::move(v), {&x}, [](BackwardContext<T>& c) {
    const T two_over_sqrt_pi = T(1.1283791670955126);
    c.grads[0] = scaled_mul(c.g, exp(-square(c.in[0])), two_over_sqrt_pi, "mul");
  });
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
  // sign(NaN) = NaN as numpy (xt::sign gives 0); sign(±0) = 0.
  Array<T> v = map_values(x.value(), [](T e) { return e > T(0) ? T(1) : (e < T(0) ? T(-1) : (e == e ? T(0) : e)); });
  return make_output<T>("sign", std::move(v), {&x}, [](BackwardContext<T>&) { /* zero almost everywhere */ });
}

template <class T>
Var<T> clip(const Var<T>& x, Scalar<T> lo, Scalar<T> hi) {
  if (!(lo <= hi)) {
    throw Error("clip: lower bound " + std::to_string(lo) + " exceeds upper bound " + std::to_string(hi));
  }
  Array<T> v = map_values(x.value(), [lo, hi](T e) { return e < lo ? T(lo) : (e > hi ? T(hi) : e); });  // NaN stays
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
  xt::xarray<bool> mask = same ? mask_in : materialize(mask_in, shape);
  Array<T> v = same ? Array<T>(xt::where(mask, a.value(), b.value()))
                    : Array<T>(xt::where(mask, materialize(a.value(), shape), materialize(b.value(), shape)));
  return make_output<T>("where", std::move(v), {&a, &b}, [mask](BackwardContext<T>& c) {
    const Var<T> zero = Var<T>::scalar(T(0));
    if (c.needs(0)) c.grads[0] = sum_to_shape(ad::where(mask, c.g, zero), to_shape(c.in[0].shape()));
    if (c.needs(1)) c.grads[1] = sum_to_shape(ad::where(mask, zero, c.g), to_shape(c.in[1].shape()));
  });
}

template <class T>
Var<T> maximum(const Var<T>& a, const Var<T>& b) {
  // A tie goes to a; a NaN on either side is chosen, so it reaches the result.
  return ad::where(compare_values("maximum", a.value(), b.value(), [](T x, T y) { return x >= y || x != x; }), a, b);
}

template <class T>
Var<T> minimum(const Var<T>& a, const Var<T>& b) {
  return ad::where(compare_values("minimum", a.value(), b.value(), [](T x, T y) { return x <= y || x != x; }), a, b);
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> pow(const Var<T>&, Scalar<T>);                                                               \
  template Var<T> pow(const Var<T>&, const Var<T>&);                                                          \
  template Var<T> pow(Scalar<T>, const Var<T>&);                                                               \
  template Var<T> sin(const Var<T>&);                                                                          \
  template Var<T> cos(const Var<T>&);                                                                          \
  template Var<T> tan(const Var<T>&);                                                                          \
  template Var<T> log1p(const Var<T>&);                                                                        \
  template Var<T> expm1(const Var<T>&);                                                                        \
  template Var<T> reciprocal(const Var<T>&);                                                                   \
  template Var<T> rsqrt(const Var<T>&);                                                                        \
  template Var<T> erf(const Var<T>&);                                                                          \
  template Var<T> square(const Var<T>&);                                                                       \
  template Var<T> sqrt(const Var<T>&);                                                                         \
  template Var<T> exp(const Var<T>&);                                                                          \
  template Var<T> log(const Var<T>&);                                                                          \
  template Var<T> abs(const Var<T>&);                                                                          \
  template Var<T> sign(const Var<T>&);                                                                         \
  template Var<T> clip(const Var<T>&, Scalar<T>, Scalar<T>);                                                   \
  template Var<T> maximum(const Var<T>&, const Var<T>&);                                                       \
  template Var<T> minimum(const Var<T>&, const Var<T>&);                                                       \
  template Var<T> where(const xt::xarray<bool>&, const Var<T>&, const Var<T>&);                                \
  template Var<T> mul_slope(const Var<T>&, const Var<T>&, SlopeOf<T>, const char*);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
