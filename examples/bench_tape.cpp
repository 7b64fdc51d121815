// Tape overhead benchmark. Prints one JSON line per measurement.
//
//   bench_tape            full run (each chain measurement takes about 1.5 s)
//   bench_tape --quick    a smoke run for CI: same lines, far fewer repetitions
//
// tape_chain mirrors ../shared/peers/libtorch_tape.cpp exactly, so the numbers compare: a float
// leaf x of n elements that requires grad, K = 100 steps of y = y * 0.999 + 0.001 (2 recorded
// ops per step), then backward(sum(y)); ns per recorded op = total / (reps * (2K + 1)).
// plain_chain does the same 200 elementwise ops and the sum on xt::xarray<float> without a tape,
// and the backward by hand (a full-size gradient scaled 100 times, added to x's gradient);
// plain_chain_alloc the same forward with a freshly allocated array per op, as the tape does.
// The tape keeps every intermediate alive until backward, so at n = 1M each op's result is new
// memory: the time depends on malloc keeping freed memory for reuse instead of returning it to
// the OS and page-faulting it back in. The library sets that up at first use (see tape.cpp);
// TAPEFLOW_MALLOC=system measures glibc's defaults.
//
// l1_term times forward + backward of lam * sum(abs(W)) and of lam * l1_norm(W) for a 1M-element
// W (median of the repetitions; W's gradient is cleared outside the timed region), and
// plain_l1 the same arithmetic without a tape: sum |W| and lam * sign(W) into a preallocated
// gradient, as one hand-written loop and as xtensor expressions.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xreducer.hpp>

#include <autodiff/autodiff.hpp>

namespace {

using Clock = std::chrono::steady_clock;
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

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
      return 2;
    }
  }
  g_quick = quick;
  const double target_s = quick ? 0.05 : 1.5;  // per chain measurement
  const int l1_reps = quick ? 5 : 50;
  const int l1_warmup = quick ? 1 : 5;

  bench_chain_tape(1, target_s, quick ? 10 : 1000);
  bench_chain_tape(1000000, target_s, quick ? 1 : 3);
  bench_chain_plain(1, target_s, quick ? 10 : 1000);
  bench_chain_plain(1000000, target_s, quick ? 1 : 3);
  bench_l1(1000000, l1_reps, l1_warmup);
  return 0;
}
