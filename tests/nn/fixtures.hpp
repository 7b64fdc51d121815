// Small data and models for the nn tests that train: two Gaussian blobs and a little classifier.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <nn/nn.hpp>

namespace test {

// Two Gaussian blobs in 2-D, labels 0/1, rows interleaved.
inline std::pair<xt::xarray<float>, xt::xarray<float>> blobs(std::size_t n, std::uint64_t seed) {
  nn::Random r(seed);
  auto x = xt::xarray<float>::from_shape({n, 2}), y = xt::xarray<float>::from_shape({n, 1});
  for (std::size_t i = 0; i < n; ++i) {
    const float label = float(i % 2);
    x(i, 0) = float(r.normal() * 0.6 + (label ? 1.5 : -1.5));
    x(i, 1) = float(r.normal() * 0.6 + (label ? 1.0 : -1.0));
    y(i, 0) = label;
  }
  return {x, y};
}

inline nn::Sequential<float> small_model(std::uint64_t seed = 1, nn::Regularizer kernel_reg = {}) {
  nn::Sequential<float> m(seed);
  m.add(nn::Input({2}));
  m.add(nn::Dense(16, "relu", {.kernel_regularizer = kernel_reg}));
  m.add(nn::Dropout(0.1));
  m.add(nn::Dense(1, "sigmoid"));
  return m;
}

inline std::vector<xt::xarray<float>> weights(const nn::Sequential<float>& m) {
  std::vector<xt::xarray<float>> w;
  for (const auto& p : m.parameters()) w.push_back(p.var.value());
  return w;
}

}  // namespace test
