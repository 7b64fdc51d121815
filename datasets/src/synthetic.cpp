#include "datasets/synthetic.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace datasets {

namespace {

// A product rounded to double before any addition (no fused multiply-add): numpy's arithmetic.
double rounded_product(double a, double b) {
  volatile double p = a * b;
  return p;
}

void check_noise(const char* fn, double noise) {
  if (!std::isfinite(noise) || noise < 0.0)
    throw std::invalid_argument(std::string(fn) + ": noise must be a finite standard deviation >= 0, got " +
                                std::to_string(noise));
}

// Rows (x0, x1) of the outer shape then the inner one; labels 0 then 1.
struct Points {
  xt::xarray<double> x;
  xt::xarray<double> y;
};

Points allocate(std::size_t n_out, std::size_t n_in) {
  const std::size_t n = n_out + n_in;
  Points p{xt::xarray<double>::from_shape({n, 2}), xt::xarray<double>::from_shape({n})};
  for (std::size_t i = 0; i < n; ++i) p.y(i) = i < n_out ? 0.0 : 1.0;
  return p;
}

// sklearn's `if shuffle: X, y = util.shuffle(X, y, random_state=rng)` (which shuffles
// arange(n) with rng.shuffle and takes those rows), then `X += rng.normal(scale=noise, size=X.shape)`.
template <class T>
SyntheticData<T> shuffle_and_add_noise(Points p, double noise, RandomState& rng, bool shuffle) {
  const std::size_t n = p.y.size();
  if (shuffle) {
    const std::vector<std::size_t> order = rng.permutation(n);
    Points s{xt::xarray<double>::from_shape({n, 2}), xt::xarray<double>::from_shape({n})};
    for (std::size_t i = 0; i < n; ++i) {
      s.x(i, 0) = p.x(order[i], 0);
      s.x(i, 1) = p.x(order[i], 1);
      s.y(i) = p.y(order[i]);
    }
    p = std::move(s);
  }
  if (noise != 0.0)
    for (std::size_t i = 0; i < 2 * n; ++i) p.x.data()[i] += rng.normal(0.0, noise);
  if constexpr (std::is_same_v<T, double>) {
    return {std::move(p.x), std::move(p.y)};
  } else {
    return {xt::xarray<T>(xt::cast<T>(p.x)), xt::xarray<T>(xt::cast<T>(p.y))};
  }
}

}  // namespace

xt::xarray<double> linspace(double start, double stop, std::size_t num, bool endpoint) {
  xt::xarray<double> y = xt::xarray<double>::from_shape({num});
  const std::size_t div = endpoint ? (num == 0 ? 0 : num - 1) : num;
  const double delta = stop - start;
  const double step = div > 0 ? delta / static_cast<double>(div) : 0.0;
  for (std::size_t i = 0; i < num; ++i) {
    const double k = static_cast<double>(i);
    double v = 0.0;
    if (div == 0)
      v = rounded_product(k, delta);  // 0 or 1 item: numpy multiplies by delta
    else if (step == 0.0)
      v = rounded_product(k / static_cast<double>(div), delta);  // numpy's subnormal-step branch
    else
      v = rounded_product(k, step);
    y(i) = v + start;
  }
  if (endpoint && num > 1) y(num - 1) = stop;
  return y;
}

template <class T>
SyntheticData<T> make_moons(std::size_t n_samples, double noise, RandomState& rng, bool shuffle) {
  check_noise("make_moons", noise);
  const std::size_t n_out = n_samples / 2, n_in = n_samples - n_out;
  const xt::xarray<double> t_out = linspace(0.0, std::numbers::pi, n_out);
  const xt::xarray<double> t_in = linspace(0.0, std::numbers::pi, n_in);
  Points p = allocate(n_out, n_in);
  for (std::size_t i = 0; i < n_out; ++i) {
    p.x(i, 0) = std::cos(t_out(i));
    p.x(i, 1) = std::sin(t_out(i));
  }
  for (std::size_t i = 0; i < n_in; ++i) {
    p.x(n_out + i, 0) = 1.0 - std::cos(t_in(i));
    p.x(n_out + i, 1) = (1.0 - std::sin(t_in(i))) - 0.5;
  }
  return shuffle_and_add_noise<T>(std::move(p), noise, rng, shuffle);
}

template <class T>
SyntheticData<T> make_moons(std::size_t n_samples, double noise, std::int64_t random_state, bool shuffle) {
  RandomState rng(random_state);
  return make_moons<T>(n_samples, noise, rng, shuffle);
}

template <class T>
SyntheticData<T> make_circles(std::size_t n_samples, double noise, RandomState& rng, double factor, bool shuffle) {
  if (!(factor >= 0.0 && factor < 1.0))
    throw std::invalid_argument("make_circles: factor must be in [0, 1), got " + std::to_string(factor));
  check_noise("make_circles", noise);
  const std::size_t n_out = n_samples / 2, n_in = n_samples - n_out;
  const xt::xarray<double> t_out = linspace(0.0, 2.0 * std::numbers::pi, n_out, false);
  const xt::xarray<double> t_in = linspace(0.0, 2.0 * std::numbers::pi, n_in, false);
  Points p = allocate(n_out, n_in);
  for (std::size_t i = 0; i < n_out; ++i) {
    p.x(i, 0) = std::cos(t_out(i));
    p.x(i, 1) = std::sin(t_out(i));
  }
  for (std::size_t i = 0; i < n_in; ++i) {
    p.x(n_out + i, 0) = std::cos(t_in(i)) * factor;
    p.x(n_out + i, 1) = std::sin(t_in(i)) * factor;
  }
  return shuffle_and_add_noise<T>(std::move(p), noise, rng, shuffle);
}

template <class T>
SyntheticData<T> make_circles(std::size_t n_samples, double noise, std::int64_t random_state, double factor,
                              bool shuffle) {
  RandomState rng(random_state);
  return make_circles<T>(n_samples, noise, rng, factor, shuffle);
}

#define DATASETS_INSTANTIATE(T)                                                                         \
  template SyntheticData<T> make_moons<T>(std::size_t, double, std::int64_t, bool);                      \
  template SyntheticData<T> make_moons<T>(std::size_t, double, RandomState&, bool);                      \
  template SyntheticData<T> make_circles<T>(std::size_t, double, std::int64_t, double, bool);            \
  template SyntheticData<T> make_circles<T>(std::size_t, double, RandomState&, double, bool);
DATASETS_INSTANTIATE(float)
DATASETS_INSTANTIATE(double)
#undef DATASETS_INSTANTIATE

}  // namespace datasets
