// Activation functions: relu, leaky_relu, elu, sigmoid, tanh, softplus, gelu, silu, softsign,
// log_sigmoid.

#include <cmath>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "tape.hpp"

namespace ad {

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


template <class T>
Var<T> relu(const Var<T>& x) {
  // x <= 0 ? 0 : x keeps a NaN (xt::maximum drops it) and vectorizes to a compare and a select.
  Array<T> v = map_values(x.value(), [](T e) { return e <= T(0) ? T(0) : e; });
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

// ---- gelu, silu, softsign, log_sigmoid -------------------------------------------------------

// gelu'(x) = Φ(x) + x φ(x), written with ops.
template <class T>
Var<T> gelu_exact_derivative(const Var<T>& x) {
  const Var<T> cdf = scale(erf(scale(x, T(0.70710678118654752), "mul_scalar")), T(0.5), "mul_scalar") + T(0.5);
  const Var<T> pdf = scale(exp(scale(square(x), T(-0.5), "mul_scalar")), T(0.3989422804014327), "mul_scalar");
  return cdf + x * pdf;
}

// x (1 + tanh(u)) / 2 = x sigmoid(2u) with u = k (x + c x^3); its derivative, written with ops,
// is sigmoid(2u) + x sigmoid'(2u) 2u'.
template <class T>
Var<T> gelu_tanh_derivative(const Var<T>& x, T k, T c) {
  const Var<T> x2 = square(x);
  const Var<T> s = sigmoid(scale(x + c * x2 * x, T(2) * k, "mul_scalar"));
  const Var<T> du2 = scale(scale(x2, T(3) * c, "mul_scalar") + T(1), T(2) * k, "mul_scalar");
  return s + x * sigmoid_backward(du2, s);
}

template <class T>
Var<T> gelu(const Var<T>& x, bool tanh_approx) {
  const T k = T(0.7978845608028654), c = T(0.044715);  // sqrt(2 / pi), and PyTorch's cubic term
  // x Φ(x) with Φ(x) = erfc(-x / sqrt 2) / 2, and x sigmoid(2u) rather than x (1 + tanh(u)) / 2:
  // both stay accurate in the left tail, where 1 + tanh(u) and 1 + erf(.) cancel.
  const auto tanh_form = [k, c](T e) { return e / (T(1) + std::exp(T(-2) * k * (e + c * e * e * e))); };
  const auto erf_form = [](T e) { return T(0.5) * e * std::erfc(-e * T(0.70710678118654752)); };
  Array<T> v = tanh_approx ? map_values(x.value(), tanh_form) : map_values(x.value(), erf_form);
  return make_output<T>(tanh_approx ? "gelu_tanh" : "gelu", std::move(v), {&x},
                        [tanh_approx, k, c](BackwardContext<T>& b) {
                          const Var<T>& z = b.in[0];
                          b.grads[0] = b.g * (tanh_approx ? gelu_tanh_derivative(z, k, c) : gelu_exact_derivative(z));
                        });
}

template <class T>
Var<T> silu(const Var<T>& x) {
  Array<T> v = map_values(x.value(), [](T e) { return e / (T(1) + std::exp(-e)); });
  return make_output<T>("silu", std::move(v), {&x}, [](BackwardContext<T>& c) {
    const Var<T> s = sigmoid(c.in[0]);
    c.grads[0] = c.g * (s + sigmoid_backward(c.in[0], s));  // s (1 + x (1 - s))
  });
}

template <class T>
Var<T> softsign(const Var<T>& x) {
  Array<T> v = map_values(x.value(), [](T e) { return e / (T(1) + std::abs(e)); });
  return make_output<T>("softsign", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = c.g / square(abs(c.in[0]) + T(1)); });
}

template <class T>
Var<T> log_sigmoid(const Var<T>& x) {
  // -softplus(-x) = min(x, 0) - log1p(e^-|x|): no overflow for large |x|; a NaN stays NaN.
  Array<T> v = map_values(x.value(), [](T e) { return (e < T(0) ? e : T(0)) - std::log1p(std::exp(-std::abs(e))); });
  return make_output<T>("log_sigmoid", std::move(v), {&x},
                        [](BackwardContext<T>& c) { c.grads[0] = c.g * sigmoid(-c.in[0]); });
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> relu(const Var<T>&);                                                                         \
  template Var<T> leaky_relu(const Var<T>&, Scalar<T>);                                                        \
  template Var<T> elu(const Var<T>&, Scalar<T>);                                                               \
  template Var<T> sigmoid(const Var<T>&);                                                                      \
  template Var<T> tanh(const Var<T>&);                                                                         \
  template Var<T> softplus(const Var<T>&);                                                                     \
  template Var<T> gelu(const Var<T>&, bool);                                                                   \
  template Var<T> silu(const Var<T>&);                                                                         \
  template Var<T> softsign(const Var<T>&);                                                                     \
  template Var<T> log_sigmoid(const Var<T>&);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
