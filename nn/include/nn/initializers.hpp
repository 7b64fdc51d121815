// Weight initializers with Keras's definitions, drawn from a seeded generator so that the same
// seed gives the same weights on every run and machine (the generator and the conversions to
// uniform and normal numbers are our own, not the standard library's unspecified ones).
//
//   nn::Dense(128, "relu", {.kernel_initializer = nn::Initializer::he_normal()})
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include <xtensor/xarray.hpp>

#include <autodiff/var.hpp>

namespace nn {

// A 64-bit Mersenne Twister with explicit uniform and normal conversions. Seeding one takes
// microseconds, so a stream is seeded at its first draw: fit() hands every layer a fresh stream
// each epoch and most layers never draw from it.
class Random {
 public:
  explicit Random(std::uint64_t seed = 0) : seed_words_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)} {}
  // An independent stream for (seed, a, b): e.g. (model seed, epoch, layer).
  static Random stream(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0);
  double uniform();                   // [0, 1), 53 random bits
  double uniform(double lo, double hi);
  double normal();                    // standard normal, Box-Muller
  std::uint64_t below(std::uint64_t n);  // uniform integer in [0, n), unbiased
  std::mt19937_64& engine();

 private:
  // Random(seed) seeds with the 64-bit seed itself; stream() with a seed_seq of six 32-bit words.
  std::array<std::uint32_t, 6> seed_words_{};  // Random(seed): the first two only
  bool seed_sequence_ = false;
  std::optional<std::mt19937_64> engine_;
};

class Initializer {
 public:
  enum class Kind { glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_normal, zeros, ones, constant };

  static Initializer glorot_uniform() { return Initializer(Kind::glorot_uniform); }  // U(±√(6/(in+out)))
  static Initializer glorot_normal() { return Initializer(Kind::glorot_normal); }    // TN(0, √(2/(in+out)))
  static Initializer he_uniform() { return Initializer(Kind::he_uniform); }          // U(±√(6/in))
  static Initializer he_normal() { return Initializer(Kind::he_normal); }            // TN(0, √(2/in))
  static Initializer lecun_normal() { return Initializer(Kind::lecun_normal); }      // TN(0, √(1/in))
  static Initializer zeros() { return Initializer(Kind::zeros); }
  static Initializer ones() { return Initializer(Kind::ones); }
  static Initializer constant(double value);  // value finite, else std::invalid_argument
  // By Keras name: "glorot_uniform", "he_normal", "zeros", ... (throws std::invalid_argument).
  static Initializer from_name(const std::string& name);

  // Fans follow Keras: for a 2-D (in, out) kernel fan_in = in, fan_out = out; for higher ranks
  // the leading axes are the receptive field. TN is a normal truncated at 2 standard deviations,
  // rescaled (÷ 0.8796) so that the truncated distribution keeps the intended variance.
  template <class T>
  xt::xarray<T> operator()(const ad::Shape& shape, Random& rng) const;

  Kind kind() const { return kind_; }
  std::string name() const;

 private:
  explicit Initializer(Kind kind, double value = 0) : kind_(kind), value_(value) {}
  Kind kind_;
  double value_;
};

}  // namespace nn
