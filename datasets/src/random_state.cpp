#include "datasets/random_state.hpp"

#include <cmath>
#include <numeric>

namespace datasets {

namespace {

constexpr std::size_t kN = RandomState::state_size;
constexpr std::size_t kM = 397;
constexpr std::uint32_t kMatrixA = 0x9908b0dfU;
constexpr std::uint32_t kUpperMask = 0x80000000U;
constexpr std::uint32_t kLowerMask = 0x7fffffffU;

// numpy's C code is compiled without floating-point contraction: every product is rounded to a
// double before it is added. This project compiles with FMA available (-march=native), and
// C++ compilers may fuse a*b + c into one fma (GCC does so across statements), which rounds once
// and changes the last bit. Routing a product through a volatile forces the separate rounding.
double rounded_product(double a, double b) {
  volatile double p = a * b;
  return p;
}

// The smallest all-ones bit mask >= v.
std::uint64_t mask_for(std::uint64_t v) {
  v |= v >> 1;
  v |= v >> 2;
  v |= v >> 4;
  v |= v >> 8;
  v |= v >> 16;
  v |= v >> 32;
  return v;
}

std::size_t element_count(const std::vector<std::size_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

}  // namespace

void RandomState::reseed(std::uint32_t seed) {
  // init_genrand: key[0] = seed, key[i] = 1812433253 * (key[i-1] ^ (key[i-1] >> 30)) + i, mod 2**32.
  key_[0] = seed;
  for (std::size_t i = 1; i < kN; ++i)
    key_[i] = 1812433253U * (key_[i - 1] ^ (key_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
  pos_ = kN;
  has_gauss_ = false;
  gauss_ = 0.0;
}

void RandomState::twist() {
  for (std::size_t k = 0; k < kN; ++k) {
    const std::uint32_t y = (key_[k] & kUpperMask) | (key_[(k + 1) % kN] & kLowerMask);
    key_[k] = key_[(k + kM) % kN] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
  }
  pos_ = 0;
}

std::uint32_t RandomState::next_uint32() {
  if (pos_ >= kN) twist();
  std::uint32_t y = key_[pos_++];
  // Tempering.
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

std::uint64_t RandomState::next_uint64() {
  const std::uint64_t high = next_uint32();
  const std::uint64_t low = next_uint32();
  return (high << 32) | low;
}

double RandomState::random_sample() {
  const std::uint32_t a = next_uint32() >> 5;  // 27 bits
  const std::uint32_t b = next_uint32() >> 6;  // 26 bits
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double RandomState::standard_normal() {
  if (has_gauss_) {
    has_gauss_ = false;
    const double kept = gauss_;
    gauss_ = 0.0;
    return kept;
  }
  double x1 = 0.0, x2 = 0.0, r2 = 0.0;
  do {
    x1 = 2.0 * random_sample() - 1.0;
    x2 = 2.0 * random_sample() - 1.0;
    r2 = rounded_product(x1, x1) + rounded_product(x2, x2);
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

double RandomState::normal(double loc, double scale) {
  if (!(scale >= 0.0))
    throw std::invalid_argument("RandomState::normal: scale must be >= 0, got " + std::to_string(scale));
  return loc + rounded_product(scale, standard_normal());
}

double RandomState::uniform(double low, double high) {
  return low + rounded_product(high - low, random_sample());
}

std::int64_t RandomState::randint(std::int64_t low, std::int64_t high) {
  if (low >= high)
    throw std::invalid_argument("RandomState::randint: low >= high (low=" + std::to_string(low) +
                                ", high=" + std::to_string(high) + ")");
  // The span high - 1 - low fits in 64 bits unsigned; so does low + offset modulo 2**64.
  const std::uint64_t span = static_cast<std::uint64_t>(high) - 1U - static_cast<std::uint64_t>(low);
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + random_interval(span));
}

std::uint64_t RandomState::random_interval(std::uint64_t max) {
  if (max == 0) return 0;
  const std::uint64_t mask = mask_for(max);
  std::uint64_t value = 0;
  if (max <= 0xffffffffULL) {
    do value = next_uint32() & mask;
    while (value > max);
  } else {
    do value = next_uint64() & mask;
    while (value > max);
  }
  return value;
}

std::vector<std::size_t> RandomState::permutation(std::size_t n) {
  std::vector<std::size_t> p(n);
  std::iota(p.begin(), p.end(), std::size_t{0});
  shuffle(p);
  return p;
}

xt::xarray<double> RandomState::random_sample(const std::vector<std::size_t>& shape) {
  xt::xarray<double> out = xt::xarray<double>::from_shape(shape);
  for (std::size_t i = 0, n = element_count(shape); i < n; ++i) out.data()[i] = random_sample();
  return out;
}

xt::xarray<double> RandomState::standard_normal(const std::vector<std::size_t>& shape) {
  xt::xarray<double> out = xt::xarray<double>::from_shape(shape);
  for (std::size_t i = 0, n = element_count(shape); i < n; ++i) out.data()[i] = standard_normal();
  return out;
}

xt::xarray<double> RandomState::normal(double loc, double scale, const std::vector<std::size_t>& shape) {
  if (!(scale >= 0.0))
    throw std::invalid_argument("RandomState::normal: scale must be >= 0, got " + std::to_string(scale));
  xt::xarray<double> out = xt::xarray<double>::from_shape(shape);
  for (std::size_t i = 0, n = element_count(shape); i < n; ++i) out.data()[i] = normal(loc, scale);
  return out;
}

xt::xarray<double> RandomState::uniform(double low, double high, const std::vector<std::size_t>& shape) {
  xt::xarray<double> out = xt::xarray<double>::from_shape(shape);
  for (std::size_t i = 0, n = element_count(shape); i < n; ++i) out.data()[i] = uniform(low, high);
  return out;
}

}  // namespace datasets
