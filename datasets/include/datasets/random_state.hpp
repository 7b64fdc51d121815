// RandomState: numpy's legacy numpy.random.RandomState, bit for bit, for the calls scikit-learn's
// data generators and splitters make (make_moons, make_circles, train_test_split, KFold).
//
//   datasets::RandomState rng(42);             // numpy.random.RandomState(42)
//   double u = rng.random_sample();            // rng.random_sample()
//   auto perm = rng.permutation(10);           // rng.permutation(10)
//   auto g = rng.normal(0.0, 0.25, {100, 2});  // rng.normal(scale=0.25, size=(100, 2))
//
// The algorithms (numpy's legacy stream, which numpy keeps frozen for reproducibility):
//   * MT19937, seeded for an integer seed by Matsumoto & Nishimura's init_genrand(seed). numpy
//     accepts integer seeds 0 <= seed <= 2**32 - 1 only; so does this class.
//   * a double in [0, 1) from two 32-bit outputs a, b: ((a >> 5) * 2**26 + (b >> 6)) / 2**53.
//   * gaussians by the polar (Marsaglia) Box-Muller method: draw x1, x2 = 2u - 1 until
//     0 < r2 = x1^2 + x2^2 < 1, f = sqrt(-2 log(r2) / r2); return f*x2 and keep f*x1 for the next
//     call. The kept value survives calls that draw no gaussians (random_sample, shuffle, ...).
//   * a bounded integer in [0, max] by masking 32-bit outputs (64-bit ones when max >= 2**32)
//     with the smallest all-ones mask >= max and rejecting values above max.
//   * shuffle (Fisher-Yates): for i = n-1 down to 1, swap items i and random_interval(i).
//     Multi-dimensional arrays are shuffled along their first axis with the same draws.
//     permutation(n) shuffles arange(n).
//   * a 64-bit output is the first 32-bit output shifted up 32 bits, OR'ed with the second.
//
// Only the legacy RandomState stream is reproduced, not numpy.random.Generator (PCG64).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

namespace datasets {

class RandomState {
 public:
  static constexpr std::size_t state_size = 624;  // MT19937's 624 32-bit words

  // numpy.random.RandomState(seed): any integer type; a seed outside [0, 2**32 - 1] throws
  // std::invalid_argument, as numpy raises ValueError.
  template <std::integral I>
  explicit RandomState(I seed) {
    if (!std::in_range<std::uint32_t>(seed))
      throw std::invalid_argument("RandomState: seed must be between 0 and 2**32 - 1, got " +
                                  std::to_string(seed));
    reseed(static_cast<std::uint32_t>(seed));
  }
  RandomState() : RandomState(0) {}

  // Re-seeds in place (numpy's rng.seed(seed)); drops a kept gaussian.
  void reseed(std::uint32_t seed);

  // The next raw MT19937 output (numpy: rng.randint(0, 2**32, dtype=np.uint32)).
  std::uint32_t next_uint32();
  // Two raw outputs, the first in the high half.
  std::uint64_t next_uint64();

  // Uniform double in [0, 1) with 53 random bits (numpy: random_sample / random / rand).
  double random_sample();
  xt::xarray<double> random_sample(const std::vector<std::size_t>& shape);

  // Standard normal by the legacy polar method (numpy: standard_normal / randn).
  double standard_normal();
  xt::xarray<double> standard_normal(const std::vector<std::size_t>& shape);

  // loc + scale * standard_normal(); scale < 0 or NaN throws std::invalid_argument.
  double normal(double loc, double scale);
  xt::xarray<double> normal(double loc, double scale, const std::vector<std::size_t>& shape);

  // low + (high - low) * random_sample() (numpy: uniform(low, high)).
  double uniform(double low, double high);
  xt::xarray<double> uniform(double low, double high, const std::vector<std::size_t>& shape);

  // Integer in [low, high) (numpy: randint(low, high), int64); low >= high throws
  // std::invalid_argument. high - low == 1 draws nothing, as in numpy.
  std::int64_t randint(std::int64_t low, std::int64_t high);

  // Integer in [0, max] by masked rejection (numpy's legacy random_interval); max == 0 draws
  // nothing.
  std::uint64_t random_interval(std::uint64_t max);

  // numpy's rng.shuffle(x) on a 1-D sequence.
  template <class T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(random_interval(i - 1));
      std::swap(items[i - 1], items[j]);
    }
  }

  // numpy's rng.shuffle(x) on an array: along the first axis (rows of a matrix).
  template <class T>
  void shuffle(xt::xarray<T>& a) {
    if (a.dimension() == 0) throw std::invalid_argument("RandomState::shuffle: a 0-d array has no axis to shuffle");
    const std::size_t n = a.shape()[0];
    if (n == 0) return;
    const std::size_t row = a.size() / n;
    T* data = a.data();
    for (std::size_t i = n; i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(random_interval(i - 1));
      if (j != i - 1)
        for (std::size_t k = 0; k < row; ++k) std::swap(data[(i - 1) * row + k], data[j * row + k]);
    }
  }

  // numpy's rng.permutation(n): a shuffled 0, 1, ..., n-1.
  std::vector<std::size_t> permutation(std::size_t n);

  // The generator's state, as numpy's get_state() reports it: the 624 key words, the position
  // in them (624 right after seeding), and the kept gaussian.
  const std::array<std::uint32_t, state_size>& key() const { return key_; }
  std::size_t pos() const { return pos_; }
  bool has_gauss() const { return has_gauss_; }
  double gauss() const { return gauss_; }

 private:
  void twist();

  std::array<std::uint32_t, state_size> key_{};
  std::size_t pos_ = state_size;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

}  // namespace datasets
