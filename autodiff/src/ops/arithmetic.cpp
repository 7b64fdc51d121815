// The arithmetic ops: +, -, *, / between Vars (broadcasting) and with scalars.

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "tape.hpp"

namespace ad {

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

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> operator+(const Var<T>&, const Var<T>&);                                                     \
  template Var<T> operator-(const Var<T>&, const Var<T>&);                                                     \
  template Var<T> operator*(const Var<T>&, const Var<T>&);                                                     \
  template Var<T> operator/(const Var<T>&, const Var<T>&);                                                     \
  template Var<T> operator-(const Var<T>&);                                                                    \
  template Var<T> operator+(const Var<T>&, Scalar<T>);                                                         \
  template Var<T> operator+(Scalar<T>, const Var<T>&);                                                         \
  template Var<T> operator-(const Var<T>&, Scalar<T>);                                                         \
  template Var<T> operator-(Scalar<T>, const Var<T>&);                                                         \
  template Var<T> operator*(const Var<T>&, Scalar<T>);                                                         \
  template Var<T> operator*(Scalar<T>, const Var<T>&);                                                         \
  template Var<T> operator/(const Var<T>&, Scalar<T>);                                                         \
  template Var<T> operator/(Scalar<T>, const Var<T>&);                                                         \
  template Var<T> scale(const Var<T>&, T, const char*);                                                        \
  template Var<T> divide_by(const Var<T>&, T);                                                                 \
  template Var<T> add_scalar(const Var<T>&, T);                                                                \
  template Var<T> add_scaled(const Var<T>&, const Var<T>&, T, const char*);                                    \
  template Var<T> scaled_mul(const Var<T>&, const Var<T>&, T, const char*);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
