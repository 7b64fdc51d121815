#include "group_prox.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nn::detail {

namespace {

// ‖u_g‖ for one group's values w and thresholds d_i = η_i·c (group_prox.hpp); 0 if u_g = 0.
template <class T>
T radius(const std::vector<T>& w, const std::vector<T>& d, bool one_step) {
  T scaled = 0, norm2 = 0, d_max = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const T a = w[i] / d[i];
    scaled += a * a;
    norm2 += w[i] * w[i];
    d_max = std::max(d_max, d[i]);
  }
  if (!(scaled > 1)) return T(0);
  T r = std::max(T(0), std::sqrt(norm2) - d_max);
  if (one_step) return r;  // equal d_i: ψ(r) = ‖w‖²/(r + d)², root ‖w‖ − d
  for (int k = 0; k < 100; ++k) {
    T psi = 0, cubes = 0;  // ψ(r) and −ψ'(r)/2
    for (std::size_t i = 0; i < w.size(); ++i) {
      const T a = w[i] / (r + d[i]);
      psi += a * a;
      cubes += a * a / (r + d[i]);
    }
    // Newton on h = ψ^(−1/2): h' = ψ^(−3/2)·cubes, so r += (1 − h)/h' = (ψ^(3/2) − ψ)/cubes.
    const T next = r + (psi * std::sqrt(psi) - psi) / cubes;
    if (!(next > r) || !std::isfinite(next)) break;  // at the root to rounding
    r = next;
  }
  return r;
}

}  // namespace

template <class T>
void group_prox(std::span<T> w, const GroupLayout& layout, double c, const ProxStep<T>& step) {
  const T threshold = static_cast<T>(c);
  const bool one_step = step.v == nullptr;
  std::vector<T> values, d;
  values.reserve(layout.group_size());
  d.reserve(layout.group_size());
  for (std::size_t g = 0; g < layout.count; ++g) {
    values.clear();
    d.clear();
    layout.for_each_in_group(g, [&](std::size_t i) {
      values.push_back(w[i]);
      d.push_back(step.times(threshold, i));
    });
    const T r = radius(values, d, one_step);
    layout.for_each_in_group(g, [&](std::size_t i) { w[i] = r > 0 ? w[i] * (r / (r + step.times(threshold, i))) : T(0); });
  }
}

template void group_prox(std::span<float>, const GroupLayout&, double, const ProxStep<float>&);
template void group_prox(std::span<double>, const GroupLayout&, double, const ProxStep<double>&);

}  // namespace nn::detail
