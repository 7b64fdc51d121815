// How small can the seed's MNIST model get? Sparsity by proximal steps, masked fine-tuning, then
// compaction, against an unregularized baseline trained for the same epochs.
//
//   mnist_compression --out out/compression            # none, l1_prox, group_prox, sparse_group_prox
//   mnist_compression --reg none,group_prox --lambdas 1e-5,3e-5 --epochs 3 --fine-tune-epochs 2
//
// Model: the seed's 784-512-128-10 (relu, relu, softmax), Adam (lr 1e-3), categorical
// cross-entropy, batch 128, validation_split 0.1 (the last 6000 training images). Each sparse
// method puts its penalty on both hidden kernels and walks a warm-started λ path (--lambdas,
// ascending): at each λ it trains --epochs epochs by proximal Adam from where the previous λ
// stopped (weights and Adam moments), then a copy of that model is fine-tuned for
// --fine-tune-epochs epochs without any penalty, by plain Adam (--fine-tune-lr) with
// FitOptions::freeze_zeros (the zeros stay exactly zero, the survivors are retrained: Han et al.
// 2015's retraining after pruning), and compacted (Sequential::compact: dead units and inputs go).
//   l1_prox:           L1(λ), soft thresholding: single weights
//   group_prox:        GroupLasso(λ) by rows: a zero row of the first kernel drops a pixel, of the
//                      second kernel a hidden unit of the first layer
//   sparse_group_prox: both, λ each
// The baseline ("none") trains as many epochs as the longest path plus its fine-tuning, and its
// test error is taken after every epoch, so every point is compared with the baseline trained for
// the same number of epochs.
//
// stdout: one JSON line per point (and the baseline): test error before and after fine-tuning,
// nonzero weights (kernel entries) and parameters before compaction, the compact model's nonzero
// weights and the compression ratio (the baseline's weights over those), the compact model's
// parameters and .npz size, and predict times at batch 1 (µs per image, over --timing-rows test
// images) and 128 (ms per batch, the whole test set) for the dense baseline, the fine-tuned model
// on sparse kernels (ad::SparseKernels::automatic), the compact model on dense kernels, and the
// compact model on sparse kernels; times are medians of 7 rounds that alternate the four, in one
// process, on this machine's threads (batch-1 rounds first, then batch-128 rounds).
// stderr: progress, the compact model's summary, and the table of every point.
// Files:  <out>/mnist_compression.png (test error against nonzero weights, log x; the baseline and
//         the 0.3-point band around it; the 12x line), <out>/mnist_compression_<point>.npz (the
//         compact weights) and <out>/mnist_compression_dense.npz (the baseline's).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include <autodiff/sparse.hpp>

#include "experiment.hpp"
#include "mnist_data.hpp"
#include "plot.hpp"

namespace {

using Model = nn::Sequential<float>;
using experiment::Variant;

constexpr std::size_t batch = 128;
constexpr double error_band = 0.3;      // points of test error the issue allows above the baseline
constexpr double ratio_target = 12;     // Han et al. 2015: LeNet-300-100 to 8% of its weights
constexpr double speedup_target = 3, size_target = 5;

struct Settings {
  std::vector<double> lambdas{2e-5, 5e-5, 1e-4, 2e-4, 4e-4};
  int fine_tune_epochs = 4;
  double fine_tune_lr = 1e-4;
  std::size_t timing_rows = 1000;
};

Model make_model(Variant v, double lambda, std::uint64_t seed, nn::OptimizerConfig optimizer) {
  const nn::Regularizer reg = experiment::regularizer(v, lambda);
  Model model(seed);
  model.add(nn::Input({784}));
  model.add(nn::Dense(512, "relu", {.kernel_regularizer = reg}));
  model.add(nn::Dense(128, "relu", {.kernel_regularizer = reg}));
  model.add(nn::Dense(10, "softmax"));
  model.compile(std::move(optimizer), "categorical_crossentropy", {"accuracy"});
  model.build({784});
  return model;
}

void copy_weights(const Model& from, Model& to) {
  const auto src = from.parameters(), dst = to.parameters();
  for (std::size_t i = 0; i < dst.size(); ++i) {
    auto v = dst[i].var;
    v.mutable_value() = src.at(i).var.value();
  }
}

// Adds "test_error" (percent) to every epoch's logs.
class TestError : public nn::Callback<float> {
 public:
  explicit TestError(const experiment::MnistFlat& data) : data_(data) {}
  void on_epoch_end(int /*epoch*/, nn::Logs& logs) override {
    logs["test_error"] = 100 * (1 - model().evaluate(data_.x_test, data_.y_test, 1000).at("accuracy"));
  }

 private:
  const experiment::MnistFlat& data_;
};

double test_error(Model& m, const experiment::MnistFlat& d) {
  return 100 * (1 - m.evaluate(d.x_test, d.y_test, 1000).at("accuracy"));
}

struct Counts {
  std::size_t weights = 0, weights_nonzero = 0, params = 0, params_nonzero = 0;
};

Counts count(const Model& m) {
  Counts c;
  for (const auto& p : m.parameters()) {
    const auto& v = p.var.value();
    const auto nonzero = static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [](float w) { return w != 0; }));
    c.params += v.size();
    c.params_nonzero += nonzero;
    if (p.name.ends_with("/kernel")) {
      c.weights += v.size();
      c.weights_nonzero += nonzero;
    }
  }
  return c;
}

// Predict times of several (model, kernel mode) configurations, alternated over 7 rounds (the
// median is reported). All batch-1 rounds run before the batch-128 ones, so a whole-test-set
// predict never flushes the caches just before a batch-1 measurement.
struct Timing {
  double batch1_us = 0, batch128_ms = 0;
};
struct Config {
  Model* model;
  ad::SparseKernels mode;
};

std::vector<Timing> time_predict(const std::vector<Config>& configs, const xt::xarray<float>& x_test,
                                 std::size_t rows) {
  using Clock = std::chrono::steady_clock;
  constexpr int rounds = 7;
  std::vector<xt::xarray<float>> singles;
  for (std::size_t i = 0; i < rows; ++i) singles.push_back(xt::xarray<float>(xt::view(x_test, xt::range(i, i + 1))));
  std::vector<std::vector<double>> one(configs.size()), full(configs.size());
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t c = 0; c < configs.size(); ++c) {
      ad::set_sparse_kernels(configs[c].mode);
      const auto t0 = Clock::now();
      for (const auto& x : singles) configs[c].model->predict(x, 1);
      one[c].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / double(rows));
    }
  }
  const double batches = std::ceil(double(x_test.shape()[0]) / double(batch));
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t c = 0; c < configs.size(); ++c) {
      ad::set_sparse_kernels(configs[c].mode);
      const auto t0 = Clock::now();
      configs[c].model->predict(x_test, batch);
      full[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / batches);
    }
  }
  ad::set_sparse_kernels(ad::SparseKernels::automatic);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<Timing> out;
  for (std::size_t c = 0; c < configs.size(); ++c) out.push_back({median(one[c]), median(full[c])});
  return out;
}

struct Baseline {
  std::unique_ptr<Model> model;
  std::vector<double> error_after_epoch;  // test error (%) after epoch e + 1
  Counts counts;
  double npz_bytes = 0;
};

double npz_size(const Model& m, const std::string& path) {
  m.save_weights(path);
  return double(std::filesystem::file_size(path));
}

Baseline train_baseline(const experiment::MnistFlat& d, const experiment::Options& opt, int epochs) {
  Baseline b{std::make_unique<Model>(make_model(Variant::none, 0, opt.seed, nn::Adam{.learning_rate = 1e-3})), {}, {}, 0};
  std::cerr << b.model->summary() << "\ntraining the baseline for " << epochs << " epochs\n";
  const auto history = b.model->fit(d.x_train, d.y_train,
                                    {.epochs = epochs, .batch_size = batch, .validation_split = 0.1, .seed = opt.seed,
                                     .callbacks = {std::make_shared<TestError>(d)}});
  b.error_after_epoch = history["test_error"];
  b.counts = count(*b.model);
  b.npz_bytes = npz_size(*b.model, opt.out + "/mnist_compression_dense.npz");
  auto r = experiment::report("mnist_compression", "none", history, *b.model);
  r.test_metric = "test_error_percent";
  r.test_value = b.error_after_epoch.back();
  r.extra["test_error_by_epoch"] = b.error_after_epoch;
  r.extra["weights"] = b.counts.weights;
  r.extra["parameters"] = b.counts.params;
  r.extra["npz_bytes"] = b.npz_bytes;
  experiment::print_report(r);
  return b;
}

// One point of a method's path: the fine-tuned model, its compact form and their measurements.
struct Point {
  std::string method;
  double lambda = 0;
  int epochs = 0;
  double error_before_fine_tune = 0, error = 0, baseline_error = 0;
  Counts counts;
  std::size_t compact_params = 0, compact_weights_nonzero = 0;
  double npz_bytes = 0;
  std::vector<Timing> times;  // dense baseline, sparse, compact, compact + sparse
  // The baseline's weights over the compact model's nonzero weights (the units compaction removes
  // may still hold nonzero incoming weights in the uncompacted model).
  double ratio(const Baseline& b) const {
    return double(b.counts.weights) / double(std::max<std::size_t>(compact_weights_nonzero, 1));
  }
  // The speed target compares the models as a user runs them: the dense baseline with sparse
  // kernels off (dense BLAS), the compact model in the default mode (SparseKernels::automatic,
  // which keeps the BLAS for any kernel denser than the measured threshold).
  bool meets(const Baseline& b) const {
    return error - baseline_error <= error_band && ratio(b) >= ratio_target &&
           times[0].batch1_us >= speedup_target * times[3].batch1_us && b.npz_bytes >= size_target * npz_bytes;
  }
};

std::string point_name(const Point& p) {
  std::ostringstream s;
  s << p.method << "_" << p.lambda;
  return s.str();
}

// Fine-tunes a copy of `path` with its zeros frozen, compacts it and measures it.
Point measure_point(const Model& path, Variant v, double lambda, int epochs_done, const Settings& s,
                    const experiment::MnistFlat& d, const experiment::Options& opt, Baseline& base) {
  Point p;
  p.method = experiment::name(v);
  p.lambda = lambda;
  p.epochs = epochs_done + s.fine_tune_epochs;
  Model tuned = make_model(Variant::none, 0, opt.seed, nn::Adam{.learning_rate = s.fine_tune_lr});
  copy_weights(path, tuned);
  p.error_before_fine_tune = test_error(tuned, d);
  std::cerr << "fine-tuning " << point_name(p) << " with its zeros frozen\n";
  const nn::History history =
      tuned.fit(d.x_train, d.y_train,
                {.epochs = p.epochs, .batch_size = batch, .validation_split = 0.1, .seed = opt.seed,
                 .initial_epoch = epochs_done, .freeze_zeros = true});
  p.error = test_error(tuned, d);
  p.baseline_error = base.error_after_epoch.at(std::size_t(p.epochs) - 1);
  p.counts = count(tuned);
  nn::CompactionReport report;
  Model compact = tuned.compact(&report);
  p.compact_params = report.parameters_after;
  p.compact_weights_nonzero = count(compact).weights_nonzero;
  p.npz_bytes = npz_size(compact, opt.out + "/mnist_compression_" + point_name(p) + ".npz");
  p.times = time_predict({{base.model.get(), ad::SparseKernels::off},
                          {&tuned, ad::SparseKernels::automatic},
                          {&compact, ad::SparseKernels::off},
                          {&compact, ad::SparseKernels::automatic}},
                         d.x_test, s.timing_rows);
  if (p.meets(base)) std::cerr << "compact model of " << point_name(p) << ":\n" << compact.summary() << "\n";
  auto r = experiment::report("mnist_compression", point_name(p), history, tuned);
  r.test_metric = "test_error_percent";
  r.test_value = p.error;
  r.extra.update(nlohmann::json{{"method", p.method}, {"lambda", p.lambda}, {"epochs_total", p.epochs},
             {"test_error_before_fine_tune", p.error_before_fine_tune}, {"baseline_test_error", p.baseline_error},
             {"nonzero_weights", p.counts.weights_nonzero}, {"nonzero_parameters", p.counts.params_nonzero},
             {"compact_nonzero_weights", p.compact_weights_nonzero},
             {"compression_ratio", p.ratio(base)}, {"compact_parameters", p.compact_params},
             {"input_pixels_kept", report.kept_features.size()}, {"npz_bytes", p.npz_bytes},
             {"meets_targets", p.meets(base)}});
  const char* names[] = {"dense", "sparse", "compact", "compact_sparse"};
  for (std::size_t c = 0; c < 4; ++c) {
    r.extra["predict_batch1_us_" + std::string(names[c])] = p.times[c].batch1_us;
    r.extra["predict_batch128_ms_" + std::string(names[c])] = p.times[c].batch128_ms;
  }
  experiment::print_report(r);
  return p;
}

// The warm-started λ path of one method: a point per λ.
std::vector<Point> walk_path(Variant v, const Settings& s, const experiment::MnistFlat& d,
                             const experiment::Options& opt, Baseline& base) {
  std::vector<Point> points;
  std::unique_ptr<Model> path;
  for (std::size_t k = 0; k < s.lambdas.size(); ++k) {
    auto next = std::make_unique<Model>(
        make_model(v, s.lambdas[k], opt.seed, nn::Adam{.learning_rate = 1e-3, .proximal = true}));
    if (path) {
      copy_weights(*path, *next);
      next->optimizer().load_state(path->optimizer().state());
    }
    path = std::move(next);
    std::cerr << "training " << experiment::name(v) << " at lambda " << s.lambdas[k] << "\n";
    const int first = int(k) * opt.epochs;
    path->fit(d.x_train, d.y_train,
              {.epochs = first + opt.epochs, .batch_size = batch, .validation_split = 0.1, .seed = opt.seed,
               .initial_epoch = first});
    points.push_back(measure_point(*path, v, s.lambdas[k], first + opt.epochs, s, d, opt, base));
  }
  return points;
}

void print_table(const std::vector<Point>& points, const Baseline& base) {
  std::cerr << "\n| model | λ | epochs | error % (before fine-tune) | baseline % | nonzero weights | ratio | compact params | "
               ".npz KB | batch-1 µs dense / sparse / compact / compact+sparse | batch-128 ms, same |\n";
  std::cerr << std::fixed;
  for (const auto& p : points) {
    std::cerr << "| " << p.method << " | " << std::defaultfloat << p.lambda << std::fixed << " | " << p.epochs << " | "
              << std::setprecision(2) << p.error << " (" << p.error_before_fine_tune << ") | " << p.baseline_error
              << " | " << p.compact_weights_nonzero << " | " << std::setprecision(1) << p.ratio(base) << "x | "
              << p.compact_params << " | " << std::setprecision(0) << p.npz_bytes / 1024 << " | " << std::setprecision(1);
    for (std::size_t c = 0; c < 4; ++c) std::cerr << p.times[c].batch1_us << (c < 3 ? " / " : " | ");
    std::cerr << std::setprecision(2);
    for (std::size_t c = 0; c < 4; ++c) std::cerr << p.times[c].batch128_ms << (c < 3 ? " / " : " |\n");
  }
  std::cerr << std::defaultfloat << "dense baseline: " << base.counts.weights << " weights, " << base.npz_bytes / 1024
            << " KB\n";
}

void plot_points(const std::vector<Point>& points, const Baseline& base, const std::string& out) {
  plot::Figure f{.title = "MNIST 784-512-128-10: test error against nonzero weights (after masked fine-tuning)",
                 .xlabel = "nonzero weights (log scale)",
                 .ylabel = "test error (%)",
                 .series = {},
                 .logx = true,
                 .width = 1100};
  const double lo = 1e3, hi = double(base.counts.weights) * 1.5;
  const double err = base.error_after_epoch.back();
  f.series.push_back({.title = "baseline (dense)", .x = {double(base.counts.weights)}, .y = {err}, .style = "points pt 7 ps 2"});
  f.series.push_back({.title = "baseline + 0.3 points", .x = {lo, hi}, .y = {err + error_band, err + error_band}, .style = "lines dt 2"});
  const double cut = double(base.counts.weights) / ratio_target;
  f.series.push_back({.title = "12x fewer weights", .x = {cut, cut}, .y = {err - 0.5, err + 2}, .style = "lines dt 3"});
  for (const char* method : {"l1_prox", "group_prox", "sparse_group_prox"}) {
    plot::Series s{.title = method, .x = {}, .y = {}, .style = "linespoints"};
    for (const auto& p : points) {
      if (p.method != method) continue;
      s.x.push_back(double(p.compact_weights_nonzero));
      s.y.push_back(p.error);
    }
    std::replace(s.title.begin(), s.title.end(), '_', ' ');  // gnuplot's enhanced text: no subscripts
    if (!s.x.empty()) f.series.push_back(s);
  }
  plot::save_png(f, out + "/mnist_compression.png");
}

void run(const experiment::Options& opt, const Settings& s) {
  const auto variants = experiment::variants(opt.reg);
  for (auto v : variants) {
    if (v != Variant::none && !experiment::proximal(v)) {
      throw std::invalid_argument("--reg: " + experiment::name(v) + " makes no exact zeros (use *_prox models)");
    }
  }
  if (!std::is_sorted(s.lambdas.begin(), s.lambdas.end()) ||
      std::adjacent_find(s.lambdas.begin(), s.lambdas.end()) != s.lambdas.end()) {
    throw std::invalid_argument("--lambdas: the path must ascend strictly (each lambda warm-starts the next)");
  }
  const auto d = experiment::load_mnist_flat(opt.data);
  const int total = int(s.lambdas.size()) * opt.epochs + s.fine_tune_epochs;
  Baseline base = train_baseline(d, opt, total);
  std::vector<Point> points;
  for (auto v : variants) {
    if (v == Variant::none) continue;
    for (auto& p : walk_path(v, s, d, opt, base)) points.push_back(std::move(p));
  }
  print_table(points, base);
  plot_points(points, base, opt.out);
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  return experiment::run_main(
      argc, argv, "Compressing the MNIST 784-512-128-10 model: proximal sparsity, masked fine-tuning, compaction",
      {.epochs = 3, .reg = "none,l1_prox,group_prox,sparse_group_prox", .lambda = std::nullopt},
      [&](const experiment::Options& opt) { run(opt, s); },
      [&](CLI::App& app) {
        app.get_option("--epochs")->description("proximal epochs at each lambda of the path");
        app.add_option("--lambdas", s.lambdas, "the lambda path, comma-separated, ascending, each > 0")
            ->delimiter(',')
            ->capture_default_str()
            ->check(cli::finite_positive());
        app.add_option("--fine-tune-epochs", s.fine_tune_epochs, "epochs of masked fine-tuning after each lambda")
            ->capture_default_str()
            ->check(cli::integer_in(1, experiment::max_epochs));
        app.add_option("--fine-tune-lr", s.fine_tune_lr, "Adam's learning rate while fine-tuning")
            ->capture_default_str()
            ->check(cli::finite_positive());
        app.add_option("--timing-rows", s.timing_rows, "test images predicted one at a time for the batch-1 times")
            ->capture_default_str()
            ->check(cli::integer_in<std::size_t>(1, 10000));
      });
}
