// The seed workloads, timed: one program, one JSON line per measurement on stdout.
//
//   benchmark                         everything (about a minute on 2 cores)
//   benchmark --only mnist,moons      some sections: sgemm, tape, l1, hvp, mnist, moons, cnn, sparse
//   benchmark --quick                 a smoke run for CI: every line, far fewer repetitions
//   benchmark --threads 2             BLAS threads (default 1, as TAPEFLOW_NUM_THREADS)
//
// Sections:
//   sgemm  the BLAS's own sgemm GFLOP/s on the MNIST layer shapes, on the moons hidden layer
//          (32x128x128, a time per call) and on 1024^3: the roofline the training figures are
//          measured against.
//   mnist  the seed MNIST MLP (784-512-128-10 relu/relu/softmax, categorical cross-entropy,
//          Adam 1e-3, batch 128, validation_split 0.1: 54,000 training rows) with L1(0.001) on
//          both hidden kernels, as torch_seeds.py mnist --l1 0.001 runs it: seconds per epoch
//          (validation included, as Keras and the peer count it), achieved GFLOP/s, peak RSS and
//          the RSS after every epoch. Uses the fetched MNIST (fetch-data) or, without it,
//          random images of the same shape and 80% zeros ("data": "synthetic"); --dense-input
//          uses random pixels without zeros ("data": "dense"), which the zero-skipping matmul
//          cannot exploit (see autodiff/src/gemm.cpp).
//   moons  the seed moons run (scikit-learn's make_moons(100, 0.25, 2), 2-128-128-1 relu/relu/
//          sigmoid, binary cross-entropy, Adam 0.01, batch 32, 2000 epochs, last 20% held out).
//   cnn    the CNN of cnn_regularization on MNIST (not in the default list: ~15 s per epoch),
//          seconds per epoch; examples/torch_cnn.py is its PyTorch peer (see bench_cnn).
//   hvp    a Hessian-vector product (ad::hvp) over 1M parameters against one forward and one
//          backward pass of the same loss (see bench_hvp).
//   sparse dense (BLAS) against sparse-weight products (autodiff/sparse.hpp) over densities of W
//          on the MNIST layer shapes (not in the default list; see bench_sparse.hpp).
//   tape   tape overhead per recorded op on tiny and 1M-element tensors, against the same chain
//          in plain xtensor code (see chain_tape below); l1: the L1 term alone.
//
// examples/compare_peers.py runs this beside the PyTorch and LibTorch references in
// ../shared/peers/ and prints the ratios. Peak RSS is the process's, so run `--only mnist` in a
// process of its own to read the MNIST figure (the script does).
//
// tape_chain mirrors ../shared/peers/libtorch_tape.cpp exactly, so the numbers compare: a float
// leaf x of n elements that requires grad, K = 100 steps of y = y * 0.999 + 0.001 (2 recorded
// ops per step), then backward(sum(y)); ns per recorded op = total / (reps * (2K + 1)).
// plain_chain does the same 200 elementwise ops and the sum on xt::xarray<float> without a tape,
// and the backward by hand (a full-size gradient scaled 100 times, added to x's gradient);
// plain_chain_alloc the same forward with a freshly allocated array per op, as the tape does.
//
// l1_term times forward + backward of lam * sum(abs(W)) and of lam * l1_norm(W) for a 1M-element
// W (median of the repetitions; W's gradient is cleared outside the timed region), and
// plain_l1 the same arithmetic without a tape: sum |W| and lam * sign(W) into a preallocated
// gradient, as one hand-written loop and as xtensor expressions.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <cblas.h>

#include <CLI/CLI.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xview.hpp>

#include <autodiff/autodiff.hpp>
#include <datasets/errors.hpp>
#include <datasets/idx.hpp>
#include <datasets/paths.hpp>
#include <datasets/preprocessing.hpp>
#include <datasets/synthetic.hpp>
#include <nn/nn.hpp>

#include "bench_sparse.hpp"
#include "experiment.hpp"
#include "run_main.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int max_threads = 1024;  // what TAPEFLOW_NUM_THREADS accepts
constexpr int kSteps = 100;                        // K
constexpr double kOpsPerRep = 2.0 * kSteps + 1.0;  // 2 per step + the sum

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Keeps the optimizer from dropping a result nobody reads.
volatile float g_sink = 0;
// --quick: one warm-up repetition instead of a calibration run plus a longer warm-up.
bool g_quick = false;

xt::xarray<float> random_array(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  xt::xarray<float> a = xt::xarray<float>::from_shape({n});
  for (auto& v : a) v = u(rng);
  return a;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// Repetitions so that one timed batch takes about target_s, from the time of one repetition.
int reps_for(double one_rep_s, double target_s, int min_reps) {
  const double r = target_s / std::max(one_rep_s, 1e-9);
  return std::max(min_reps, static_cast<int>(std::min(r, 1e7)));
}

// ---- Hessian-vector product -------------------------------------------------------------------

// loss(W) = mean((tanh(X W) - Y)^2) for W (1000, 1000), 1M parameters, X (32, 1000): times of
// the forward, of one backward (ad::grad) and of ad::hvp(loss, W, V) (its own forward included),
// each the best of the repetitions (the machine is shared; the best is the least disturbed), the
// results freed outside the timed regions. backward_passes = (hvp - forward) / backward is what
// the Hessian-vector product costs beyond its forward, in backward passes: the gradient with
// create_graph, then the gradient of <gradient, V> through that record and the forward's.
void bench_hvp(int reps) {
  constexpr std::size_t n = 1000, batch = 32;
  ad::Generator gen(3);
  const auto X = ad::normal<float>({batch, n}, gen);
  const auto Y = ad::uniform<float>({batch, n}, gen, -0.5f, 0.5f);
  const auto W = ad::normal<float>({n, n}, gen, 0.0f, 0.03f, /*requires_grad=*/true);
  const auto V = ad::normal<float>({n, n}, gen);
  const auto loss = [&](const ad::Var<float>& w) { return ad::mean(ad::square(ad::tanh(ad::matmul(X, w)) - Y)); };
  double f = 1e30, b = 1e30, h = 1e30;
  for (int r = 0; r < reps + 1; ++r) {  // the first repetition warms up
    const auto t0 = Clock::now();
    ad::Var<float> l = loss(W);
    const auto t1 = Clock::now();
    std::vector<ad::Var<float>> g = ad::grad(l, {W});
    const auto t2 = Clock::now();
    g_sink = g[0].value().data()[0];
    l = g[0] = {};
    const auto t3 = Clock::now();
    auto hv = ad::hvp<float>(loss, W, V);
    const auto t4 = Clock::now();
    g_sink = hv.product.value().data()[0];
    if (r == 0) continue;
    f = std::min(f, std::chrono::duration<double>(t1 - t0).count() * 1e3);
    b = std::min(b, std::chrono::duration<double>(t2 - t1).count() * 1e3);
    h = std::min(h, std::chrono::duration<double>(t4 - t3).count() * 1e3);
  }
  std::printf(
      "{\"bench\":\"hvp\",\"framework\":\"tapeflow\",\"parameters\":%zu,\"batch\":%zu,\"reps\":%d,"
      "\"ms_forward_min\":%.2f,\"ms_backward_min\":%.2f,\"ms_hvp_min\":%.2f,\"backward_passes\":%.2f,"
      "\"hvp_over_forward_backward\":%.2f}\n",
      n * n, batch, reps, f, b, h, (h - f) / b, h / (f + b));
  std::fflush(stdout);
}

// ---- the chain on the tape -------------------------------------------------------------------

struct ChainTimes {
  double fwd_s = 0, bwd_s = 0;
};

ChainTimes chain_tape(ad::Var<float>& x, int reps) {
  ChainTimes t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    ad::Var<float> y = x;
    for (int k = 0; k < kSteps; ++k) y = y * 0.999f + 0.001f;  // 2 recorded ops per step
    ad::Var<float> s = ad::sum(y);
    const auto t1 = Clock::now();
    ad::backward(s);
    const auto t2 = Clock::now();
    t.fwd_s += std::chrono::duration<double>(t1 - t0).count();
    t.bwd_s += std::chrono::duration<double>(t2 - t1).count();
  }
  return t;
}

void bench_chain_tape(std::size_t n, double target_s, int min_reps) {
  ad::Var<float> x(random_array(n, 1), /*requires_grad=*/true);
  const int calib = g_quick ? 1 : 2;
  const ChainTimes warm = chain_tape(x, calib);  // warm-up: caches, allocator, tape capacity
  const int reps = reps_for((warm.fwd_s + warm.bwd_s) / calib, target_s, min_reps);
  if (!g_quick) chain_tape(x, std::min(reps, 1 + reps / 10));  // more warm-up at the chosen size
  const auto t0 = Clock::now();
  const ChainTimes t = chain_tape(x, reps);
  const double total = seconds_since(t0);
  g_sink = x.grad().value().data()[0];
  const double denom = reps * kOpsPerRep;
  std::printf(
      "{\"bench\":\"tape_chain\",\"framework\":\"tapeflow\",\"elements\":%zu,\"reps\":%d,"
      "\"ns_per_op_fwd_bwd\":%.1f,\"ns_per_op_fwd\":%.1f,\"ns_per_op_bwd\":%.1f}\n",
      n, reps, total * 1e9 / denom, t.fwd_s * 1e9 / denom, t.bwd_s * 1e9 / denom);
  std::fflush(stdout);
}

// ---- the same chain as plain xtensor code ----------------------------------------------------

// Forward: the same 200 elementwise ops and the sum, each op writing into a preallocated buffer
// (no allocation). Backward by hand: d sum / dx = 0.999^K, computed as a full-size gradient
// scaled K times (what an autograd without a broadcast seed does) and added to x's gradient.
ChainTimes chain_plain(const xt::xarray<float>& x, xt::xarray<float>& x_grad, int reps) {
  ChainTimes t;
  xt::xarray<float> a = xt::xarray<float>::from_shape(x.shape());
  xt::xarray<float> b = xt::xarray<float>::from_shape(x.shape());
  xt::xarray<float> g = xt::xarray<float>::from_shape(x.shape());
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    xt::noalias(b) = x;
    for (int k = 0; k < kSteps; ++k) {
      xt::noalias(a) = b * 0.999f;
      xt::noalias(b) = a + 0.001f;
    }
    const float s = xt::sum(b)();
    const auto t1 = Clock::now();
    g.fill(1.0f);
    for (int k = 0; k < kSteps; ++k) xt::noalias(g) = g * 0.999f;
    xt::noalias(x_grad) = x_grad + g;
    const auto t2 = Clock::now();
    g_sink = s;
    t.fwd_s += std::chrono::duration<double>(t1 - t0).count();
    t.bwd_s += std::chrono::duration<double>(t2 - t1).count();
  }
  return t;
}

// The forward again, but every op materializes a fresh array, as the tape's ops do; the
// difference to chain_plain is the cost of allocating (and first touching) the results.
double chain_plain_alloc(const xt::xarray<float>& x, int reps) {
  const auto t0 = Clock::now();
  for (int r = 0; r < reps; ++r) {
    xt::xarray<float> y = x;
    for (int k = 0; k < kSteps; ++k) {
      xt::xarray<float> a = y * 0.999f;
      y = xt::xarray<float>(a + 0.001f);
    }
    g_sink = xt::sum(y)();
  }
  return seconds_since(t0);
}

void bench_chain_plain(std::size_t n, double target_s, int min_reps) {
  const xt::xarray<float> x = random_array(n, 1);
  xt::xarray<float> x_grad = xt::zeros<float>({n});
  const int calib = g_quick ? 1 : 2;
  const ChainTimes warm = chain_plain(x, x_grad, calib);
  const int reps = reps_for((warm.fwd_s + warm.bwd_s) / calib, target_s, min_reps);
  if (!g_quick) chain_plain(x, x_grad, std::min(reps, 1 + reps / 10));
  const auto t0 = Clock::now();
  const ChainTimes t = chain_plain(x, x_grad, reps);
  const double total = seconds_since(t0);
  g_sink = x_grad.data()[0];
  const double denom = reps * kOpsPerRep;
  std::printf(
      "{\"bench\":\"plain_chain\",\"framework\":\"xtensor\",\"elements\":%zu,\"reps\":%d,"
      "\"ns_per_op_fwd_bwd\":%.1f,\"ns_per_op_fwd\":%.1f,\"ns_per_op_bwd\":%.1f}\n",
      n, reps, total * 1e9 / denom, t.fwd_s * 1e9 / denom, t.bwd_s * 1e9 / denom);

  const double warm_alloc = chain_plain_alloc(x, calib) / calib;
  const int reps_alloc = reps_for(warm_alloc, target_s, min_reps);
  const double alloc_s = chain_plain_alloc(x, reps_alloc);
  std::printf(
      "{\"bench\":\"plain_chain_alloc\",\"framework\":\"xtensor\",\"elements\":%zu,\"reps\":%d,"
      "\"ns_per_op_fwd\":%.1f}\n",
      n, reps_alloc, alloc_s * 1e9 / (reps_alloc * kOpsPerRep));
  std::fflush(stdout);
}

// ---- the L1 term -----------------------------------------------------------------------------

template <class F>
void report_l1(const char* bench, const char* framework, const char* variant, std::size_t n, int reps, int warmup,
               F&& run_once) {
  for (int i = 0; i < warmup; ++i) run_once();
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps; ++i) us.push_back(run_once());
  std::printf(
      "{\"bench\":\"%s\",\"framework\":\"%s\",\"variant\":\"%s\",\"elements\":%zu,\"reps\":%d,"
      "\"us_fwd_bwd_median\":%.1f,\"us_fwd_bwd_min\":%.1f}\n",
      bench, framework, variant, n, reps, median(us), *std::min_element(us.begin(), us.end()));
  std::fflush(stdout);
}

// sum |p[i]|, and g[i] = lam * sign(p[i]), in one pass; 16 independent partial sums vectorize.
float l1_loop(const float* p, float* g, std::size_t n, float lam) {
  constexpr std::size_t lanes = 16;
  const std::size_t body = n - n % lanes;
  float acc[lanes] = {};
  for (std::size_t i = 0; i < body; i += lanes) {
    for (std::size_t l = 0; l < lanes; ++l) {
      const float v = p[i + l];
      acc[l] += std::fabs(v);
      g[i + l] = v > 0.0f ? lam : (v < 0.0f ? -lam : 0.0f);
    }
  }
  float s = 0;
  for (std::size_t i = body; i < n; ++i) {
    s += std::fabs(p[i]);
    g[i] = p[i] > 0.0f ? lam : (p[i] < 0.0f ? -lam : 0.0f);
  }
  for (float a : acc) s += a;
  return s;
}

void bench_l1(std::size_t n, int reps, int warmup) {
  const float lam = 1e-3f;
  ad::Var<float> W(random_array(n, 2), /*requires_grad=*/true);

  report_l1("l1_term", "tapeflow", "lam*sum(abs(W))", n, reps, warmup, [&] {
    W.zero_grad();
    const auto t0 = Clock::now();
    ad::Var<float> loss = lam * ad::sum(ad::abs(W));
    ad::backward(loss);
    const double us = seconds_since(t0) * 1e6;
    g_sink = W.grad().value().data()[0];
    return us;
  });

  report_l1("l1_term", "tapeflow", "lam*l1_norm(W)", n, reps, warmup, [&] {
    W.zero_grad();
    const auto t0 = Clock::now();
    ad::Var<float> loss = lam * ad::l1_norm(W);
    ad::backward(loss);
    const double us = seconds_since(t0) * 1e6;
    g_sink = W.grad().value().data()[0];
    return us;
  });

  const xt::xarray<float>& w = W.value();
  xt::xarray<float> grad = xt::xarray<float>::from_shape(w.shape());

  report_l1("plain_l1", "plain-loop", "sum|W|, lam*sign(W)", n, reps, warmup, [&] {
    const auto t0 = Clock::now();
    const float s = l1_loop(w.data(), grad.data(), n, lam);
    const float loss = lam * s;
    const double us = seconds_since(t0) * 1e6;
    g_sink = loss + grad.data()[0];
    return us;
  });

  report_l1("plain_l1", "xtensor", "sum(abs(W)), lam*sign(W)", n, reps, warmup, [&] {
    const auto t0 = Clock::now();
    const float loss = lam * xt::sum(xt::abs(w))();
    xt::noalias(grad) = lam * xt::sign(w);
    const double us = seconds_since(t0) * 1e6;
    g_sink = loss + grad.data()[0];
    return us;
  });
}

// ---- memory ----------------------------------------------------------------------------------

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

double current_rss_mb() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

std::string json_list(const std::vector<double>& v, int precision) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(precision);
  s << "[";
  for (std::size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  s << "]";
  return s.str();
}

// ---- the BLAS roofline -----------------------------------------------------------------------

// Median seconds of one C = A·B (m×k times k×n) with the given transposes, over enough calls.
double time_sgemm(int m, int n, int k, bool ta, bool tb, double target_s) {
  const std::size_t mk = std::size_t(m) * std::size_t(k), kn = std::size_t(k) * std::size_t(n);
  std::vector<float> a(mk), b(kn), c(std::size_t(m) * std::size_t(n));
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& v : a) v = u(rng);
  for (auto& v : b) v = u(rng);
  auto once = [&] {
    const auto t0 = Clock::now();
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
                a.data(), ta ? m : k, b.data(), tb ? k : n, 0.0f, c.data(), n);
    return seconds_since(t0);
  };
  for (int i = 0; i < 3; ++i) once();
  const int batches = g_quick ? 3 : 15;
  const int per_batch = std::max(1, static_cast<int>(target_s / batches / std::max(once(), 1e-9)));
  std::vector<double> t;
  for (int b2 = 0; b2 < batches; ++b2) {
    const auto t0 = Clock::now();
    for (int i = 0; i < per_batch; ++i) once();
    t.push_back(seconds_since(t0) / per_batch);
  }
  g_sink = c[0];
  return median(t);
}

void bench_sgemm() {
  struct Case {
    const char* name;
    int m, n, k;
    bool ta, tb;
  };
  // The MNIST layers at batch 128 (forward, weight gradient, input gradient), the moons hidden
  // layer at batch 32, and a large square product.
  const Case cases[] = {
      {"mnist_dense1_forward", 128, 512, 784, false, false}, {"mnist_dense1_weight_grad", 784, 512, 128, true, false},
      {"mnist_dense2_forward", 128, 128, 512, false, false}, {"mnist_dense2_input_grad", 128, 512, 128, false, true},
      {"moons_dense2_forward", 32, 128, 128, false, false},  {"square_1024", 1024, 1024, 1024, false, false},
  };
  for (const auto& c : cases) {
    const double s = time_sgemm(c.m, c.n, c.k, c.ta, c.tb, g_quick ? 0.02 : 0.4);
    std::printf("{\"bench\":\"sgemm\",\"case\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"us_per_call\":%.2f,\"gflops\":%.1f}\n",
                c.name, c.m, c.n, c.k, s * 1e6, 2.0 * c.m * c.n * c.k / s * 1e-9);
    std::fflush(stdout);
  }
}

// ---- the seed MNIST run ----------------------------------------------------------------------

// Multiply-adds of one epoch: forward, weight gradients and input gradients of layers 2 and 3
// for the training rows (the images need no gradient), forward for the validation rows.
double mnist_epoch_gflop(std::size_t n_train, std::size_t n_val) {
  const double fwd = 784.0 * 512 + 512.0 * 128 + 128.0 * 10;
  const double input_grads = 512.0 * 128 + 128.0 * 10;
  return 2.0 * (double(n_train) * (2 * fwd + input_grads) + double(n_val) * fwd) * 1e-9;
}

void bench_mnist(const std::string& data, int epochs, bool dense_input) {
  xt::xarray<float> x, y;
  std::string source = "mnist";
  if (dense_input) {
    // No zero pixels at all: every product goes to the BLAS, as for standardized features.
    source = "dense";
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(0.01f, 1);
    x = xt::xarray<float>::from_shape({60000, 784});
    for (auto& v : x) v = u(rng);
    xt::xarray<float> labels = xt::xarray<float>::from_shape({60000});
    for (auto& v : labels) v = float(rng() % 10);
    y = datasets::one_hot<float>(labels, 10);
  } else try {
    auto mnist = datasets::load_mnist(datasets::data_dir(data) + "/mnist");
    x = std::move(mnist.train_images);
    x.reshape({x.shape()[0], std::size_t{784}});
    y = datasets::one_hot<float>(mnist.train_labels, 10);
  } catch (const datasets::MissingDataError&) {
    // Same shapes, random pixels and labels: gemm and elementwise costs do not depend on values.
    source = "synthetic";
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(0, 1);
    x = xt::xarray<float>::from_shape({60000, 784});
    for (auto& v : x) v = u(rng) < 0.8f ? 0.0f : u(rng);  // MNIST is ~80% background
    xt::xarray<float> labels = xt::xarray<float>::from_shape({60000});
    for (auto& v : labels) v = float(rng() % 10);
    y = datasets::one_hot<float>(labels, 10);
  }
  if (g_quick) {  // a twentieth of the rows: the same code path in a second
    x = xt::xarray<float>(xt::view(x, xt::range(0, 3000)));
    y = xt::xarray<float>(xt::view(y, xt::range(0, 3000)));
  }
  const nn::Regularizer l1 = nn::L1(1e-3);
  nn::Sequential<float> model(1234);
  model.add(nn::Input({784}));
  model.add(nn::Dense(512, "relu", {.kernel_regularizer = l1}));
  model.add(nn::Dense(128, "relu", {.kernel_regularizer = l1}));
  model.add(nn::Dense(10, "softmax"));
  model.compile(nn::Adam{.learning_rate = 1e-3}, "categorical_crossentropy", {"accuracy"});

  std::vector<double> rss;
  const nn::History h = model.fit(
      x, y,
      {.epochs = epochs, .batch_size = 128, .validation_split = 0.1, .seed = 1234, .verbose = 0,
       .callbacks = {nn::LambdaCallback{[&](nn::EpochEnd&) { rss.push_back(current_rss_mb()); }}}});
  const std::size_t n_train = std::size_t(std::floor(double(x.shape()[0]) * 0.9));
  const std::size_t n_val = x.shape()[0] - n_train;
  const auto& secs = h["seconds"];
  // The first epoch warms caches and the allocator; the steady state is the median of the rest.
  std::vector<double> steady(secs.size() > 1 ? secs.begin() + 1 : secs.begin(), secs.end());
  const double per_epoch = median(steady);
  const double gflop = mnist_epoch_gflop(n_train, n_val);
  std::printf(
      "{\"bench\":\"mnist_l1\",\"framework\":\"tapeflow\",\"data\":\"%s\",\"train_rows\":%zu,\"epochs\":%d,"
      "\"seconds_per_epoch\":%.4f,\"first_epoch_seconds\":%.4f,\"epoch_seconds\":%s,\"gflop_per_epoch\":%.2f,"
      "\"gflops\":%.1f,\"final_loss\":%.5f,\"final_val_accuracy\":%.4f,\"peak_rss_mb\":%.1f,\"rss_mb_per_epoch\":%s}\n",
      source.c_str(), n_train, epochs, per_epoch, secs.front(), json_list(secs, 4).c_str(), gflop, gflop / per_epoch,
      h["loss"].back(), h["val_accuracy"].back(), peak_rss_mb(), json_list(rss, 1).c_str());
  std::fflush(stdout);
}

// ---- the seed moons run ----------------------------------------------------------------------

void bench_moons(int epochs) {
  const auto moons = datasets::make_moons<float>(100, 0.25, 2);
  xt::xarray<float> y = moons.y;
  y.reshape({y.size(), std::size_t{1}});
  nn::Sequential<float> model(1234);
  model.add(nn::Input({2}));
  model.add(nn::Dense(128, "relu"));
  model.add(nn::Dense(128, "relu"));
  model.add(nn::Dense(1, "sigmoid"));
  model.compile(nn::Adam{.learning_rate = 0.01}, "binary_crossentropy");
  const auto t0 = Clock::now();
  const nn::History h =
      model.fit(moons.x, y, {.epochs = epochs, .batch_size = 32, .validation_split = 0.2, .seed = 1234, .verbose = 0});
  const double total = seconds_since(t0);
  std::printf(
      "{\"bench\":\"moons\",\"framework\":\"tapeflow\",\"epochs\":%d,\"train_seconds\":%.4f,\"us_per_epoch\":%.1f,"
      "\"final_loss\":%.5f,\"final_val_loss\":%.5f}\n",
      epochs, total, total / epochs * 1e6, h["loss"].back(), h["val_loss"].back());
  std::fflush(stdout);
}

// ---- the CNN of cnn_regularization -------------------------------------------------------------

// Conv2D(32, 3x3, relu) - MaxPool 2 - Conv2D(64, 3x3, relu) - MaxPool 2 - Flatten - Dense(10,
// softmax) on 28x28x1 MNIST, Adam 1e-3, categorical cross-entropy, batch 128, validation_split
// 0.1, no penalty: what examples/torch_cnn.py runs in PyTorch. Seconds per epoch (validation
// included) is the median of the epochs after the first, as the peer reports it.
void bench_cnn(const std::string& data, int epochs) {
  xt::xarray<float> x, y;
  std::string source = "mnist";
  try {
    const auto mnist = datasets::load_mnist(datasets::data_dir(data) + "/mnist");
    x = mnist.train_images;
    y = datasets::one_hot<float>(mnist.train_labels, 10);
  } catch (const datasets::MissingDataError&) {
    source = "synthetic";  // the cost of a convolution does not depend on the pixel values
    std::mt19937 rng(6);
    std::uniform_real_distribution<float> u(0, 1);
    x = xt::xarray<float>::from_shape({60000, 28, 28});
    for (auto& v : x) v = u(rng);
    xt::xarray<float> labels = xt::xarray<float>::from_shape({60000});
    for (auto& v : labels) v = float(rng() % 10);
    y = datasets::one_hot<float>(labels, 10);
  }
  x.reshape({x.shape()[0], std::size_t{28}, std::size_t{28}, std::size_t{1}});
  if (g_quick) {
    x = xt::xarray<float>(xt::view(x, xt::range(0, 3000)));
    y = xt::xarray<float>(xt::view(y, xt::range(0, 3000)));
  }
  nn::Sequential<float> model(1234);
  model.add(nn::Input({28, 28, 1}));
  model.add(nn::Conv2D(32, {3, 3}, "relu"));
  model.add(nn::MaxPooling2D({2, 2}));
  model.add(nn::Conv2D(64, {3, 3}, "relu"));
  model.add(nn::MaxPooling2D({2, 2}));
  model.add(nn::Flatten{});
  model.add(nn::Dense(10, "softmax"));
  model.compile(nn::Adam{.learning_rate = 1e-3}, "categorical_crossentropy", {"accuracy"});
  const nn::History h =
      model.fit(x, y, {.epochs = epochs, .batch_size = 128, .validation_split = 0.1, .seed = 1234, .verbose = 0});
  const auto& secs = h["seconds"];
  std::vector<double> steady(secs.size() > 1 ? secs.begin() + 1 : secs.begin(), secs.end());
  std::printf(
      "{\"bench\":\"cnn\",\"framework\":\"tapeflow\",\"data\":\"%s\",\"train_rows\":%zu,\"epochs\":%d,"
      "\"seconds_per_epoch\":%.4f,\"first_epoch_seconds\":%.4f,\"epoch_seconds\":%s,\"final_loss\":%.5f,"
      "\"final_val_accuracy\":%.4f}\n",
      source.c_str(), std::size_t(std::floor(double(x.shape()[0]) * 0.9)), epochs, median(steady), secs.front(),
      json_list(secs, 4).c_str(), h["loss"].back(), h["val_accuracy"].back());
  std::fflush(stdout);
}

// --threads: the BLAS runs exactly that many threads, or the benchmark stops before measuring.
void set_threads(int threads) {
  ad::set_num_threads(threads);
  const int running = ad::num_threads();
  if (running != threads)
    throw std::invalid_argument("--threads: the BLAS runs at most " + std::to_string(running) + " threads here, got " +
                                std::to_string(threads));
}

// The --only list: known sections, as a set.
std::set<std::string> parse_sections(const std::string& only) {
  std::set<std::string> sections;
  const std::set<std::string> known{"sgemm", "tape", "l1", "hvp", "mnist", "moons", "cnn", "sparse"};
  std::stringstream list(only);
  for (std::string s; std::getline(list, s, ',');) {
    if (!known.count(s)) throw CLI::ValidationError("--only", "unknown section '" + s + "' (sgemm, tape, l1, hvp, mnist, moons, cnn, sparse)");
    sections.insert(s);
  }
  return sections;
}

struct Settings {
  std::string only = "sgemm,tape,l1,hvp,mnist,moons", data;
  std::set<std::string> sections;
  int threads = 0, mnist_epochs = 4, moons_epochs = 2000, cnn_epochs = 3;
  bool dense_input = false, threads_given = false;
};

void run(Settings s) {
  if (s.threads_given) set_threads(s.threads);
  std::printf("{\"bench\":\"config\",\"blas_threads\":%d,\"blas_kernels\":\"%s\",\"quick\":%s}\n", ad::num_threads(),
              ad::blas_kernels().c_str(), g_quick ? "true" : "false");
  std::fflush(stdout);
  if (g_quick) {
    s.mnist_epochs = 1;
    s.moons_epochs = 20;
  }
  // MNIST first, so that its peak RSS is not another section's.
  if (s.sections.count("mnist")) bench_mnist(s.data, s.mnist_epochs, s.dense_input);
  if (s.sections.count("moons")) bench_moons(s.moons_epochs);
  if (s.sections.count("cnn")) bench_cnn(s.data, g_quick ? 1 : s.cnn_epochs);
  if (s.sections.count("sgemm")) bench_sgemm();
  if (s.sections.count("sparse")) bench::bench_sparse(g_quick);
  if (s.sections.count("tape")) {
    const double target_s = g_quick ? 0.05 : 1.5;  // per chain measurement
    bench_chain_tape(1, target_s, g_quick ? 10 : 1000);
    bench_chain_tape(1000000, target_s, g_quick ? 1 : 3);
    bench_chain_plain(1, target_s, g_quick ? 10 : 1000);
    bench_chain_plain(1000000, target_s, g_quick ? 1 : 3);
  }
  if (s.sections.count("l1")) bench_l1(1000000, g_quick ? 5 : 50, g_quick ? 1 : 5);
  if (s.sections.count("hvp")) bench_hvp(g_quick ? 1 : 15);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The seed workloads timed (see the comment at the top of benchmark.cpp)"};
  Settings s;
  app.add_option("--only", s.only, "comma-separated sections: sgemm, tape, l1, hvp, mnist, moons, cnn, sparse")->capture_default_str();
  app.add_flag("--quick", g_quick, "smoke run: few repetitions, 3000 MNIST rows, 1 epoch, 20 moons epochs");
  app.add_option("--data", s.data, "data directory (default: $TAPEFLOW_DATA, then the build tree's data/)");
  app.add_option("--threads", s.threads, "BLAS threads (default: TAPEFLOW_NUM_THREADS, else 1)")
      ->check(cli::integer_in(1, max_threads));
  const auto epochs_range = cli::integer_in(1, experiment::max_epochs);
  app.add_option("--mnist-epochs", s.mnist_epochs, "MNIST epochs (the first is reported apart)")
      ->capture_default_str()
      ->check(epochs_range);
  app.add_option("--moons-epochs", s.moons_epochs, "moons epochs")->capture_default_str()->check(epochs_range);
  app.add_flag("--dense-input", s.dense_input, "MNIST section on random pixels without zeros (all products on the BLAS)");
  app.add_option("--cnn-epochs", s.cnn_epochs, "CNN epochs (the first is reported apart)")
      ->capture_default_str()
      ->check(epochs_range);
  // After every option's own check, before any work: the --only list (also when left at its default).
  app.final_callback([&] {
    s.sections = parse_sections(s.only);
    s.threads_given = app.count("--threads") > 0;
  });
  return cli::run_main(app, argc, argv, [&] { run(s); });
}
