// Dense against sparse-weight products, for the threshold in autodiff/src/sparse_mode.cpp.
#include "bench_sparse.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include <autodiff/autodiff.hpp>
#include <nn/nn.hpp>

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Sample {
  std::vector<double> dense, sparse;  // seconds per call, one per round
};

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// W (k×n) with each entry nonzero (uniform in [-1, 1]) with probability density.
ad::Var<float> random_weight(std::size_t k, std::size_t n, double density, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::bernoulli_distribution keep(density);
  xt::xarray<float> w = xt::xarray<float>::from_shape({k, n});
  for (auto& v : w) v = keep(rng) ? u(rng) : 0.0f;
  return ad::Var<float>(std::move(w), true);  // a leaf, as a layer's kernel
}

ad::Var<float> random_input(std::size_t m, std::size_t k, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  xt::xarray<float> x = xt::xarray<float>::from_shape({m, k});
  for (auto& v : x) v = u(rng);
  return ad::Var<float>(std::move(x));
}

// Seconds per call of x·op(W) in the given mode, over reps calls.
double time_product(const ad::Var<float>& x, const ad::Var<float>& w, bool tw, ad::SparseKernels mode, int reps) {
  ad::set_sparse_kernels(mode);
  volatile float sink = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) sink = ad::matmul(x, w, false, tw).value().data()[0];
  (void)sink;
  return std::chrono::duration<double>(Clock::now() - t0).count() / reps;
}

// Alternating rounds of dense and sparse, each about target_s long.
Sample measure(const ad::Var<float>& x, const ad::Var<float>& w, bool tw, int rounds, double target_s) {
  const double one = std::max(time_product(x, w, tw, ad::SparseKernels::off, 3),
                              time_product(x, w, tw, ad::SparseKernels::on, 3));  // warm-up, builds the cache
  const int reps = std::max(1, static_cast<int>(target_s / std::max(one, 1e-9)));
  Sample s;
  for (int r = 0; r < rounds; ++r) {
    s.dense.push_back(time_product(x, w, tw, ad::SparseKernels::off, reps));
    s.sparse.push_back(time_product(x, w, tw, ad::SparseKernels::on, reps));
  }
  return s;
}

void print(std::size_t k, std::size_t n, std::size_t m, double density, bool tw, const Sample& s) {
  const double dense = median_of(s.dense), sparse = median_of(s.sparse);
  std::printf("{\"bench\":\"sparse\",\"shape\":[%zu,%zu],\"batch\":%zu,\"density\":%.3f,\"product\":\"%s\","
              "\"dense_us\":%.2f,\"sparse_us\":%.2f,\"dense_min_us\":%.2f,\"sparse_min_us\":%.2f,\"ratio\":%.3f,"
              "\"auto_sparse\":%s}\n",
              k, n, m, density, tw ? "input_grad" : "forward", dense * 1e6, sparse * 1e6,
              *std::min_element(s.dense.begin(), s.dense.end()) * 1e6,
              *std::min_element(s.sparse.begin(), s.sparse.end()) * 1e6, sparse / dense,
              density <= ad::sparse_max_density(m, tw ? n : k, tw ? k : n) ? "true" : "false");
  std::fflush(stdout);
}

// The seed MNIST MLP (784-512-128-10) with every kernel at `density` nonzeros: seconds per
// predict of `rows` rows (batches of 32, predict's default) in the given mode.
double time_predict(nn::Sequential<float>& model, const xt::xarray<float>& x, ad::SparseKernels mode, int reps) {
  ad::set_sparse_kernels(mode);
  volatile float sink = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) sink = model.predict(x).data()[0];
  (void)sink;
  return std::chrono::duration<double>(Clock::now() - t0).count() / reps;
}

// One JSON line per (rows, density): predict of the whole model, off against automatic.
void bench_predict(bool quick, std::mt19937& rng) {
  for (const double density : {0.02, 0.05, 0.1}) {
    nn::Sequential<float> model(/*seed=*/1);
    model.add(nn::Dense(512, "relu"));
    model.add(nn::Dense(128, "relu"));
    model.add(nn::Dense(10, "softmax"));
    model.build({784});
    for (const auto& p : model.parameters()) {
      if (p.var.dim() == 2) p.var.mutable_value() = random_weight(p.var.shape()[0], p.var.shape()[1], density, rng).value();
    }
    for (const std::size_t rows : {std::size_t{1}, std::size_t{1000}}) {
      const xt::xarray<float> x = random_input(rows, 784, rng).value();
      const double one = time_predict(model, x, ad::SparseKernels::off, 2);
      const int reps = std::max(1, static_cast<int>((quick ? 2e-4 : 1e-2) / std::max(one, 1e-9)));
      Sample s;
      for (int r = 0; r < (quick ? 3 : 9); ++r) {
        s.dense.push_back(time_predict(model, x, ad::SparseKernels::off, reps));
        s.sparse.push_back(time_predict(model, x, ad::SparseKernels::automatic, reps));
      }
      std::printf("{\"bench\":\"sparse_predict\",\"model\":\"784-512-128-10\",\"rows\":%zu,\"density\":%.3f,"
                  "\"dense_us\":%.2f,\"auto_us\":%.2f,\"ratio\":%.3f}\n",
                  rows, density, median_of(s.dense) * 1e6, median_of(s.sparse) * 1e6,
                  median_of(s.sparse) / median_of(s.dense));
      std::fflush(stdout);
    }
  }
}

}  // namespace

void bench_sparse(bool quick) {
  const ad::SparseKernels before = ad::sparse_kernels();
  const std::size_t shapes[][2] = {{784, 512}, {512, 128}, {128, 10}};
  const std::vector<std::size_t> batches = quick ? std::vector<std::size_t>{1, 128}
                                                 : std::vector<std::size_t>{1, 2, 4, 8, 32, 64, 100, 128};
  const std::vector<double> densities = quick ? std::vector<double>{0.05, 0.5}
                                              : std::vector<double>{0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3,
                                                                    0.4, 0.6};
  std::mt19937 rng(14);
  for (const auto& shape : shapes) {
    for (const std::size_t m : batches) {
      for (const double density : densities) {
        const ad::Var<float> w = random_weight(shape[0], shape[1], density, rng);
        for (const bool tw : {false, true}) {
          const ad::Var<float> x = random_input(m, tw ? shape[1] : shape[0], rng);
          print(shape[0], shape[1], m, density, tw, measure(x, w, tw, quick ? 3 : 9, quick ? 2e-4 : 3e-3));
        }
      }
    }
  }
  bench_predict(quick, rng);
  ad::set_sparse_kernels(before);
}

}  // namespace bench
