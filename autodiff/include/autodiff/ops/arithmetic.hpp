// Arithmetic: +, -, *, / between Vars (broadcasting as numpy; the backward sums the gradient back
// to each operand's shape) and with scalars on either side.
#pragma once

#include "autodiff/var.hpp"

namespace ad {

template <class T> Var<T> operator+(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> operator-(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> operator*(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> operator/(const Var<T>& a, const Var<T>& b);
template <class T> Var<T> operator-(const Var<T>& x);
template <class T> Var<T> operator+(const Var<T>& x, Scalar<T> s);
template <class T> Var<T> operator+(Scalar<T> s, const Var<T>& x);
template <class T> Var<T> operator-(const Var<T>& x, Scalar<T> s);
template <class T> Var<T> operator-(Scalar<T> s, const Var<T>& x);
template <class T> Var<T> operator*(const Var<T>& x, Scalar<T> s);
template <class T> Var<T> operator*(Scalar<T> s, const Var<T>& x);
template <class T> Var<T> operator/(const Var<T>& x, Scalar<T> s);
template <class T> Var<T> operator/(Scalar<T> s, const Var<T>& x);

}  // namespace ad
