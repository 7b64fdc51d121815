// Activation functions: relu, leaky_relu, elu, sigmoid, tanh, softplus.

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

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> relu(const Var<T>&);                                                                         \
  template Var<T> leaky_relu(const Var<T>&, Scalar<T>);                                                        \
  template Var<T> elu(const Var<T>&, Scalar<T>);                                                               \
  template Var<T> sigmoid(const Var<T>&);                                                                      \
  template Var<T> tanh(const Var<T>&);                                                                         \
  template Var<T> softplus(const Var<T>&);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
