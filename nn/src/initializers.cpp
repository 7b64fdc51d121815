#include "nn/initializers.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "check.hpp"

namespace nn {

Random Random::stream(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  // seed_seq mixes all words, so nearby (seed, a, b) triples give unrelated streams.
  Random r;
  r.seed_words_ = {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                   static_cast<std::uint32_t>(a),    static_cast<std::uint32_t>(a >> 32),
                   static_cast<std::uint32_t>(b),    static_cast<std::uint32_t>(b >> 32)};
  r.seed_sequence_ = true;
  return r;
}

std::mt19937_64& Random::engine() {
  if (!engine_) {
    if (seed_sequence_) {
      std::seed_seq seq(seed_words_.begin(), seed_words_.end());
      engine_.emplace(seq);
    } else {
      engine_.emplace(std::uint64_t(seed_words_[0]) | (std::uint64_t(seed_words_[1]) << 32));
    }
  }
  return *engine_;
}

double Random::uniform() { return static_cast<double>(engine()() >> 11) * 0x1.0p-53; }

double Random::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

double Random::normal() {
  double u1;
  do u1 = uniform();
  while (u1 <= 0);
  const double u2 = uniform();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

std::uint64_t Random::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("Random::below: n must be positive");
  const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n);  // reject the biased tail
  std::uint64_t v;
  std::mt19937_64& e = engine();
  do v = e();
  while (v >= limit);
  return v % n;
}

Initializer Initializer::constant(double value) {
  detail::require_finite("nn::Initializer::constant", "value", value);
  return Initializer(Kind::constant, value);
}

Initializer Initializer::from_name(const std::string& name) {
  if (name == "glorot_uniform") return glorot_uniform();
  if (name == "glorot_normal") return glorot_normal();
  if (name == "he_uniform") return he_uniform();
  if (name == "he_normal") return he_normal();
  if (name == "lecun_normal") return lecun_normal();
  if (name == "zeros") return zeros();
  if (name == "ones") return ones();
  throw std::invalid_argument("unknown initializer '" + name +
                              "' (known: glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_normal, "
                              "zeros, ones; constant via Initializer::constant(value))");
}

std::string Initializer::name() const {
  switch (kind_) {
    case Kind::glorot_uniform: return "glorot_uniform";
    case Kind::glorot_normal: return "glorot_normal";
    case Kind::he_uniform: return "he_uniform";
    case Kind::he_normal: return "he_normal";
    case Kind::lecun_normal: return "lecun_normal";
    case Kind::zeros: return "zeros";
    case Kind::ones: return "ones";
    case Kind::constant: return "constant";
  }
  return "?";
}

template <class T>
xt::xarray<T> Initializer::operator()(const ad::Shape& shape, Random& rng) const {
  xt::xarray<T> w = xt::xarray<T>::from_shape(shape);
  double fan_in = 1, fan_out = 1;
  if (shape.size() == 1) {
    fan_in = fan_out = static_cast<double>(shape[0]);
  } else if (shape.size() >= 2) {
    double receptive = 1;
    for (std::size_t i = 0; i + 2 < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
    fan_in = receptive * static_cast<double>(shape[shape.size() - 2]);
    fan_out = receptive * static_cast<double>(shape[shape.size() - 1]);
  }
  auto fill_uniform = [&](double limit) {
    for (auto& e : w) e = static_cast<T>(rng.uniform(-limit, limit));
  };
  auto fill_truncated_normal = [&](double stddev) {
    const double s = stddev / 0.87962566103423978;  // std of a unit normal truncated to [-2, 2]
    for (auto& e : w) {
      double z;
      do z = rng.normal();
      while (std::abs(z) > 2);
      e = static_cast<T>(s * z);
    }
  };
  switch (kind_) {
    case Kind::glorot_uniform: fill_uniform(std::sqrt(6 / (fan_in + fan_out))); break;
    case Kind::glorot_normal: fill_truncated_normal(std::sqrt(2 / (fan_in + fan_out))); break;
    case Kind::he_uniform: fill_uniform(std::sqrt(6 / fan_in)); break;
    case Kind::he_normal: fill_truncated_normal(std::sqrt(2 / fan_in)); break;
    case Kind::lecun_normal: fill_truncated_normal(std::sqrt(1 / fan_in)); break;
    case Kind::zeros: w.fill(T(0)); break;
    case Kind::ones: w.fill(T(1)); break;
    case Kind::constant: w.fill(static_cast<T>(value_)); break;
  }
  return w;
}

template xt::xarray<float> Initializer::operator()(const ad::Shape&, Random&) const;
template xt::xarray<double> Initializer::operator()(const ad::Shape&, Random&) const;

}  // namespace nn
