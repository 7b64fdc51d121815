// ad::Generator (see autodiff/generator.hpp). Only exactly rounded IEEE operations: this file is
// compiled with -ffp-contract=off (autodiff/CMakeLists.txt), so a*b+c is never fused into an FMA
// on one machine and not on another.
#include "autodiff/generator.hpp"

#include <cmath>

namespace ad {
namespace {

// ln(x) for a finite x > 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s) with
// s = (m - 1) / (m + 1), |s| < 0.1716, summed to 12 odd terms (the next is below 2^-58).
double portable_log(double x) {
  int e = 0;
  double m = std::frexp(x, &e);  // exact; m in [1/2, 1)
  if (m < 0.70710678118654752440) {
    m *= 2;
    --e;
  }
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  double term = s;
  double sum = 0;
  for (int k = 0; k < 12; ++k) {
    sum += term / (2 * k + 1);
    term *= s2;
  }
  constexpr double ln2 = 0.69314718055994530942;
  return 2 * sum + e * ln2;
}

}  // namespace

double Generator::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u = 0, v = 0, s = 0;
  do {
    u = 2 * uniform() - 1;
    v = 2 * uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  const double factor = std::sqrt(-2 * portable_log(s) / s);
  spare_ = v * factor;
  has_spare_ = true;
  return u * factor;
}

void Generator::seed(std::uint64_t value) {
  engine_.seed(value);
  has_spare_ = false;
}

}  // namespace ad
