// ad::Generator: a seeded source of random numbers whose output depends on the seed alone: the
// same seed gives the same numbers on every platform, compiler and standard library.
//
//   ad::Generator gen(42);
//   auto W = ad::normal<float>({784, 128}, gen, 0.0f, 0.05f);   // autodiff/creation.hpp
//   double u = gen.uniform();                                   // [0, 1)
//
// Why it is portable: the bits come from std::mt19937_64, whose output sequence the C++ standard
// fixes exactly; the conversions to floating point are written here rather than taken from
// std::uniform_real_distribution / std::normal_distribution, whose algorithms each standard
// library chooses. uniform() uses the top 53 bits, scaled by 2^-53 (exact). normal() is
// Marsaglia's polar method, using only IEEE-754 +, -, *, /, sqrt (all correctly rounded) and a
// logarithm computed here from those operations (generator.cpp is compiled without FMA
// contraction), so not even libm's log can make two platforms differ.
#pragma once

#include <cstdint>
#include <random>

namespace ad {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : engine_(seed) {}

  std::uint64_t bits() { return engine_(); }  // the next 64 bits of mt19937_64
  double uniform();                           // in [0, 1), 53 random bits
  double normal();                            // standard normal (polar method)
  // Restarts the sequence from `seed`, as a new Generator(seed).
  void seed(std::uint64_t value);

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;  // the polar method makes normals in pairs
  double spare_ = 0;
};

}  // namespace ad
