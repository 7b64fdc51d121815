// L1 as feature selection: does an L1 penalty on the first kernel switch off the inputs that
// carry no information? And a group lasso over the first kernel's rows (one group per input)?
//
//   l1_feature_selection --out out/l1fs                   # none, l1, l1_prox, group_prox; 15 epochs
//   l1_feature_selection --reg l1,l1_prox --epochs 40 --seed 7 --lambda 3e-3
//
// Data (generated, documented here; datasets::RandomState(seed), numpy's legacy stream):
//   x = rng.standard_normal((n, 20))           row-major, train rows first (4000), then test (2000)
//   features 0..4 are informative, 5..19 are pure noise (independent of the label):
//     s = x0 - 0.8 x1 + 0.6 x2 + sin(2 x3) + 0.5 (x4^2 - 1) + 0.1 e,   e ~ N(0, 1) drawn per row
//     y = 1 if s > 0 else 0
// The noise draws e come after all the features of the same set (train: 4000 e's, then the test
// set's features and e's).
//
// Model: 20-128-64-1 (relu, relu, sigmoid), L1(--lambda, 0.001) on the first kernel only (none: no
// penalty; group_prox: GroupLasso(--lambda, GroupBy::input), one group per input feature's row,
// by proximal Adam), Adam(lr 0.001), binary cross-entropy, 15 epochs, batch 128,
// validation_split 0.1. For each model: the L2 norm of each input feature's row of the (20, 128)
// first kernel, the exact zeros there, the features switched off (row norm < 1e-3) and those
// whose row is exactly zero, and the accuracy on the 2000 generated test rows, plus the dead
// hidden units (all-zero kernel columns), the ratio of the mean noise-feature norm to the mean
// informative-feature norm, and what model.compact() keeps (input features, parameters). One
// JSON line per model on stdout;
// <out>/feature_norms.png compares the per-feature norms of every model (bars side by side, log y);
// <out>/l1fs_<model>_loss.png the loss curves.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <datasets/random_state.hpp>

#include "experiment.hpp"
#include "plot.hpp"

namespace {

constexpr std::size_t n_features = 20, n_informative = 5;
constexpr std::size_t n_train = 4000, n_test = 2000;
constexpr double switched_off_below = 1e-3;  // row norm under which a feature counts as off
constexpr double plot_floor = 1e-6;          // where exact-zero norms are drawn on the log axis

struct Data {
  xt::xarray<float> x, y;  // (n, 20), (n, 1)
};

Data generate(datasets::RandomState& rng, std::size_t n) {
  const auto features = rng.standard_normal({n, n_features});
  const auto noise = rng.standard_normal({n});
  Data d{xt::xarray<float>::from_shape({n, n_features}), xt::xarray<float>::from_shape({n, 1})};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n_features; ++j) d.x(i, j) = static_cast<float>(features(i, j));
    const double s = features(i, 0) - 0.8 * features(i, 1) + 0.6 * features(i, 2) + std::sin(2 * features(i, 3)) +
                     0.5 * (features(i, 4) * features(i, 4) - 1) + 0.1 * noise(i);
    d.y(i, 0) = s > 0 ? 1.0f : 0.0f;
  }
  return d;
}

nn::Model build_model(experiment::Variant v, double lambda, std::uint64_t seed) {
  nn::Model model(seed);
  model.add(nn::Input({n_features}));
  model.add(nn::Dense(128, "relu", {.kernel_regularizer = experiment::regularizer(v, lambda)}));
  model.add(nn::Dense(64, "relu"));
  model.add(nn::Dense(1, "sigmoid"));
  model.compile(experiment::adam(v, 0.001), "binary_crossentropy", {"accuracy"});
  return model;
}

// What the first kernel (20, 128) says about each input feature.
struct Kernel {
  std::vector<double> row_norm;
  std::vector<std::size_t> row_zeros, switched_off, exactly_off;  // exactly_off: rows all exactly zero
  std::size_t zero_weights = 0, zero_rows = 0, zero_units = 0, size = 0;
  double informative_mean = 0, noise_mean = 0;
};

Kernel inspect(const xt::xarray<float>& kernel) {
  const std::size_t units = kernel.shape()[1];
  Kernel k{.row_norm = std::vector<double>(n_features), .row_zeros = std::vector<std::size_t>(n_features),
           .switched_off = {}, .exactly_off = {}, .size = kernel.size()};
  for (std::size_t j = 0; j < n_features; ++j) {
    double sq = 0;
    for (std::size_t u = 0; u < units; ++u) {
      const double w = kernel(j, u);
      sq += w * w;
      k.row_zeros[j] += w == 0.0;
    }
    k.row_norm[j] = std::sqrt(sq);
    k.zero_weights += k.row_zeros[j];
    k.zero_rows += k.row_zeros[j] == units;
    if (k.row_zeros[j] == units) k.exactly_off.push_back(j);
    if (k.row_norm[j] < switched_off_below) k.switched_off.push_back(j);
  }
  for (std::size_t u = 0; u < units; ++u) {  // hidden units whose whole input column is zero (dead units)
    bool all_zero = true;
    for (std::size_t j = 0; j < n_features && all_zero; ++j) all_zero = kernel(j, u) == 0.0f;
    k.zero_units += all_zero;
  }
  for (std::size_t j = 0; j < n_features; ++j) (j < n_informative ? k.informative_mean : k.noise_mean) += k.row_norm[j];
  k.informative_mean /= double(n_informative);
  k.noise_mean /= double(n_features - n_informative);
  return k;
}

experiment::Report feature_report(const std::string& model_name, const nn::History& history, const nn::Model& model,
                                  const Kernel& k, double accuracy) {
  const auto informative_off =
      std::count_if(k.switched_off.begin(), k.switched_off.end(), [](std::size_t j) { return j < n_informative; });
  auto r = experiment::report("l1_feature_selection", model_name, history, model);
  r.test_metric = "test_accuracy";
  r.test_value = accuracy;
  r.extra["feature_norms"] = k.row_norm;
  r.extra["feature_exact_zero_weights"] = k.row_zeros;
  r.extra["first_layer_exact_zeros"] = k.zero_weights;
  r.extra["first_layer_zero_rows"] = k.zero_rows;
  r.extra["first_layer_zero_units"] = k.zero_units;
  r.extra["noise_to_informative_norm_ratio"] = k.noise_mean / k.informative_mean;
  r.extra["switched_off"] = k.switched_off;
  r.extra["switched_off_exactly"] = k.exactly_off;
  r.extra["informative_kept"] = static_cast<std::size_t>(n_informative - informative_off);
  r.extra["noise_switched_off"] = k.switched_off.size() - static_cast<std::size_t>(informative_off);
  r.extra["val_accuracy"] = history["val_accuracy"].back();
  nn::CompactionReport compacted;
  model.compact(&compacted);
  r.extra["compact_kept_features"] = compacted.kept_features;
  r.extra["parameters"] = compacted.parameters_before;
  r.extra["compact_parameters"] = compacted.parameters_after;
  return r;
}

void print_progress(const experiment::Report& r, const Kernel& k) {
  std::ostringstream off;
  for (std::size_t j : k.switched_off) off << (off.tellp() > 0 ? "," : "") << j;
  std::cerr << " " << r.train_seconds << " s, test accuracy " << r.test_value << ", exact-zero weights "
            << k.zero_weights << "/" << k.size << " (" << k.zero_units << " dead units), noise/informative norm "
            << k.noise_mean / k.informative_mean << ", switched off: [" << off.str() << "] (" << k.exactly_off.size()
            << " rows exactly zero), informative kept " << r.extra["informative_kept"] << ", compact model "
            << r.extra["compact_parameters"] << " parameters\n";
}

// The feature-norm figure: one bar per (feature, model), the models' bars side by side.
plot::Figure norms_figure(std::size_t models) {
  plot::Figure norms{.title = "First-kernel row norm per input feature (features 0-4 informative, 5-19 noise)",
                     .xlabel = "input feature (* = informative)",
                     .ylabel = "L2 norm of the feature's 128 weights (exact 0 drawn at 1e-6)",
                     .series = {},
                     .logy = true,
                     .width = 1250,
                     .height = 620,
                     .boxwidth = 0.8 / double(models)};
  for (std::size_t j = 0; j < n_features; ++j) {
    norms.xtics.emplace_back(double(j), (j < n_informative ? "*" : "") + std::to_string(j));
  }
  return norms;
}

// A model's bars; its rows that are exactly zero also get a mark in `zero_marks` at the floor.
plot::Series norm_bars(const std::string& model_name, const Kernel& k, double accuracy, std::size_t index,
                       std::size_t models, plot::Series& zero_marks) {
  plot::Series s{.title = model_name + ": acc " + std::to_string(accuracy).substr(0, 5) + ", " +
                          std::to_string(k.switched_off.size()) + " off, " + std::to_string(k.exactly_off.size()) +
                          " exactly 0",
                 .x = {},
                 .y = {},
                 .style = "boxes fs solid 0.75 noborder"};
  const double width = 0.8 / double(models), shift = (double(index) - (double(models) - 1) / 2) * width;
  for (std::size_t j = 0; j < n_features; ++j) {
    s.x.push_back(double(j) + shift);
    s.y.push_back(std::max(k.row_norm[j], plot_floor));
  }
  for (std::size_t j : k.exactly_off) {
    zero_marks.x.push_back(double(j) + shift);
    zero_marks.y.push_back(plot_floor);
  }
  return s;
}

void run(const experiment::Options& opt) {
  const auto variants = experiment::variants(opt.reg);
  datasets::RandomState rng(static_cast<std::uint32_t>(opt.seed & 0xffffffffu));
  const Data train = generate(rng, n_train);
  const Data test = generate(rng, n_test);
  double positives = 0;
  for (float v : train.y) positives += v;
  std::cerr << "[l1fs] " << n_train << " training rows (" << positives / n_train * 100 << "% positive), " << n_test
            << " test rows; features 0-4 informative, 5-19 noise\n";
  plot::Figure norms = norms_figure(variants.size());
  plot::Series zero_marks{.title = "row exactly zero (drawn at 1e-6)", .x = {}, .y = {},
                          .style = "points pt 9 ps 1.5 lc rgb 'black'"};
  for (std::size_t m = 0; m < variants.size(); ++m) {
    const std::string model_name = experiment::name(variants[m]);
    auto model = build_model(variants[m], experiment::strength(opt, variants[m]), opt.seed);
    model.build({n_features});
    if (m == 0) std::cerr << model.summary() << '\n';
    std::cerr << "[l1fs] training '" << model_name << "' for " << opt.epochs << " epochs..." << std::flush;
    const auto history = model.fit(train.x, train.y, {.epochs = opt.epochs, .batch_size = 128,
                                                      .validation_split = 0.1, .seed = opt.seed, .verbose = 0});
    const auto p = model.predict(test.x, 1024);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < n_test; ++i) correct += (p(i, 0) > 0.5f) == (test.y(i, 0) > 0.5f);
    const double accuracy = double(correct) / double(n_test);
    const Kernel k = inspect(model.parameters().front().var.value());
    const auto r = feature_report(model_name, history, model, k, accuracy);
    print_progress(r, k);
    experiment::print_report(r);
    experiment::plot_losses("L1 feature selection, " + model_name + ": loss per epoch", history,
                            opt.out + "/l1fs_" + model_name + "_loss.png");
    norms.series.push_back(norm_bars(model_name, k, accuracy, m, variants.size(), zero_marks));
  }
  norms.series.push_back({.title = "switched-off threshold 1e-3",
                          .x = {-0.5, double(n_features) - 0.5},
                          .y = {switched_off_below, switched_off_below},
                          .style = "lines dt 2 lc rgb 'gray40'"});
  const bool any_zero_row = !zero_marks.x.empty();
  if (any_zero_row) norms.series.push_back(zero_marks);
  // Room for the exact zeros drawn at the floor, or at least for the threshold line.
  norms.ymin = any_zero_row ? plot_floor / 2 : switched_off_below / 2;
  plot::save_png(norms, opt.out + "/feature_norms.png");
}

}  // namespace

int main(int argc, char** argv) {
  return experiment::run_main(
      argc, argv,
      "L1 feature selection: 5 informative + 15 noise inputs, a 20-128-64-1 classifier with L1 (or, group_prox, "
      "a group lasso over each input's row) on the first kernel",
      {.epochs = 15, .reg = "none,l1,l1_prox,group_prox", .lambda = 0.001, .group_lambda = 0.005}, run);
}
