// Tensor creation (see autodiff/creation.hpp). Every array is either built by xtensor with all
// its values (zeros, ones) or made with from_shape and then written element by element. Compiled
// with -ffp-contract=off: mean + std * z and lo + (hi - lo) u round the same on every machine.
#include "autodiff/creation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <xtensor/xbuilder.hpp>

namespace ad {
namespace {

template <class T>
Var<T> leaf(xt::xarray<T> value, bool requires_grad) {
  return Var<T>(std::move(value), requires_grad);
}

// v for a message: short when that is exact, else all 17 digits.
std::string str_of(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  if (std::isfinite(v) && std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void require_finite(const char* op, const char* name, double v) {
  if (!std::isfinite(v)) throw ValueError(std::string(op) + ": " + name + " must be finite, got " + str_of(v));
}

// ceil((stop - start) / step) as numpy counts it, 0 if negative.
std::size_t arange_count(double start, double stop, double step) {
  require_finite("arange", "start", start);
  require_finite("arange", "stop", stop);
  require_finite("arange", "step", step);
  if (step == 0) throw ValueError("arange: step is 0; it must be non-zero");
  const double n = std::ceil((stop - start) / step);
  if (!(n > 0)) return 0;
  if (n > 0x1.0p52) throw ValueError("arange: " + str_of(n) + " values from " + str_of(start) + " to " + str_of(stop) + " by " +
                                     str_of(step) + " are too many");
  return static_cast<std::size_t>(n);
}

// n values start + i * step, rounded to T.
template <class T>
xt::xarray<T> ramp(double start, double step, std::size_t n) {
  auto a = xt::xarray<T>::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) a.data()[i] = static_cast<T>(start + static_cast<double>(i) * step);
  return a;
}

// A uniform draw in [lo, hi) of T: the rounding of lo + (hi - lo) u to T can reach hi.
template <class T>
T uniform_between(Generator& gen, T lo, T hi) {
  const T r = static_cast<T>(static_cast<double>(lo) + (static_cast<double>(hi) - lo) * gen.uniform());
  return r < hi ? r : std::nextafter(hi, lo);
}

}  // namespace

template <class T>
Var<T> zeros(const Shape& shape, bool requires_grad) {
  return leaf<T>(xt::zeros<T>(shape), requires_grad);
}

template <class T>
Var<T> ones(const Shape& shape, bool requires_grad) {
  return leaf<T>(xt::ones<T>(shape), requires_grad);
}

template <class T>
Var<T> full(const Shape& shape, Scalar<T> value, bool requires_grad) {
  auto a = xt::xarray<T>::from_shape(shape);
  a.fill(value);
  return leaf<T>(std::move(a), requires_grad);
}

template <class T>
Var<T> zeros_like(const Var<T>& x, bool requires_grad) {
  return zeros<T>(Shape(x.shape().begin(), x.shape().end()), requires_grad);
}

template <class T>
Var<T> ones_like(const Var<T>& x, bool requires_grad) {
  return ones<T>(Shape(x.shape().begin(), x.shape().end()), requires_grad);
}

template <class T>
Var<T> arange(Scalar<T> stop) {
  return arange<T>(0, stop, 1);
}

template <class T>
Var<T> arange(Scalar<T> start, Scalar<T> stop, Scalar<T> step) {
  return leaf<T>(ramp<T>(start, step, arange_count(start, stop, step)), false);
}

template <class T>
Var<T> linspace(Scalar<T> start, Scalar<T> stop, std::size_t num) {
  require_finite("linspace", "start", start);
  require_finite("linspace", "stop", stop);
  const double step = num > 1 ? (static_cast<double>(stop) - start) / static_cast<double>(num - 1) : 0;
  xt::xarray<T> a = ramp<T>(start, step, num);
  if (num > 1) a.data()[num - 1] = stop;  // exact, whatever the rounding of start + (num - 1) step
  return leaf<T>(std::move(a), false);
}

template <class T>
Var<T> eye(std::size_t n) {
  return eye<T>(n, n);
}

template <class T>
Var<T> eye(std::size_t n, std::size_t m) {
  xt::xarray<T> a = xt::zeros<T>(Shape{n, m});
  for (std::size_t i = 0; i < std::min(n, m); ++i) a(i, i) = T(1);
  return leaf<T>(std::move(a), false);
}

template <class T>
Var<T> from_vector(std::vector<T> values, const Shape& shape, bool requires_grad) {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  if (values.size() != n) {
    throw ShapeError("from_vector: " + std::to_string(values.size()) + " values for shape " + shape_str(shape) + " (" +
                     std::to_string(n) + " elements)");
  }
  auto a = xt::xarray<T>::from_shape(shape);
  std::copy(values.begin(), values.end(), a.data());
  return leaf<T>(std::move(a), requires_grad);
}

template <class T>
Var<T> normal(const Shape& shape, Generator& gen, Scalar<T> mean, Scalar<T> stddev, bool requires_grad) {
  require_finite("normal", "mean", mean);
  if (!(stddev >= 0) || !std::isfinite(stddev)) {
    throw ValueError("normal: std must be finite and >= 0, got " + str_of(stddev));
  }
  auto a = xt::xarray<T>::from_shape(shape);
  for (auto& e : a) e = static_cast<T>(static_cast<double>(mean) + static_cast<double>(stddev) * gen.normal());
  return leaf<T>(std::move(a), requires_grad);
}

template <class T>
Var<T> uniform(const Shape& shape, Generator& gen, Scalar<T> lo, Scalar<T> hi, bool requires_grad) {
  require_finite("uniform", "lo", lo);
  require_finite("uniform", "hi", hi);
  if (!(lo < hi)) throw ValueError("uniform: lo must be below hi, got lo " + str_of(lo) + " and hi " + str_of(hi));
  auto a = xt::xarray<T>::from_shape(shape);
  for (auto& e : a) e = uniform_between<T>(gen, lo, hi);
  return leaf<T>(std::move(a), requires_grad);
}

#define AD_INSTANTIATE(T)                                                                 \
  template Var<T> zeros<T>(const Shape&, bool);                                           \
  template Var<T> ones<T>(const Shape&, bool);                                            \
  template Var<T> full<T>(const Shape&, T, bool);                                         \
  template Var<T> zeros_like<T>(const Var<T>&, bool);                                     \
  template Var<T> ones_like<T>(const Var<T>&, bool);                                      \
  template Var<T> arange<T>(T);                                                           \
  template Var<T> arange<T>(T, T, T);                                                     \
  template Var<T> linspace<T>(T, T, std::size_t);                                         \
  template Var<T> eye<T>(std::size_t);                                                    \
  template Var<T> eye<T>(std::size_t, std::size_t);                                       \
  template Var<T> from_vector<T>(std::vector<T>, const Shape&, bool);                     \
  template Var<T> normal<T>(const Shape&, Generator&, T, T, bool);                        \
  template Var<T> uniform<T>(const Shape&, Generator&, T, T, bool);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
