// L1 as feature selection: does an L1 penalty on the first kernel switch off the inputs that
// carry no information?
//
//   l1_feature_selection --out out/l1fs                   # none, l1, l1_prox; 15 epochs
//   l1_feature_selection --reg l1,l1_prox --epochs 40 --seed 7
//
// Data (generated, documented here; datasets::RandomState(seed), numpy's legacy stream):
//   x = rng.standard_normal((n, 20))           row-major, train rows first (4000), then test (2000)
//   features 0..4 are informative, 5..19 are pure noise (independent of the label):
//     s = x0 - 0.8 x1 + 0.6 x2 + sin(2 x3) + 0.5 (x4^2 - 1) + 0.1 e,   e ~ N(0, 1) drawn per row
//     y = 1 if s > 0 else 0
// The noise draws e come after all the features of the same set (train: 4000 e's, then the test
// set's features and e's).
//
// Model: 20-128-64-1 (relu, relu, sigmoid), L1(0.001) on the first kernel only (none: no
// penalty), Adam(lr 0.001), binary cross-entropy, 15 epochs, batch 128, validation_split 0.1.
// For each model: the L2 norm of each input feature's row of the (20, 128) first kernel, the
// exact zeros there, the features switched off (row norm < 1e-3), and the accuracy on the 2000
// generated test rows, plus the dead hidden units (all-zero kernel columns) and the ratio of the
// mean noise-feature norm to the mean informative-feature norm. One JSON line per model on stdout; <out>/feature_norms.png compares the
// per-feature norms of every model (log y); <out>/l1fs_<model>_loss.png the loss curves.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
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
constexpr double lambda = 0.001;
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

nn::Model build_model(experiment::Variant v, std::uint64_t seed) {
  nn::Model model(seed);
  model.add(nn::Input({n_features}));
  model.add(nn::Dense(128, "relu", {.kernel_regularizer = experiment::regularizer(v, lambda)}));
  model.add(nn::Dense(64, "relu"));
  model.add(nn::Dense(1, "sigmoid"));
  model.compile(experiment::adam(v, 0.001), "binary_crossentropy", {"accuracy"});
  return model;
}

}  // namespace

int main(int argc, char** argv) {
  experiment::Options opt;
  opt.epochs = 15;
  opt.reg = "none,l1,l1_prox";
  CLI::App app{"L1 feature selection: 5 informative + 15 noise inputs, a 20-128-64-1 classifier with L1 on the first kernel"};
  experiment::add_options(app, opt);
  CLI11_PARSE(app, argc, argv);

  try {
    const auto variants = experiment::variants(opt.reg);
    datasets::RandomState rng(static_cast<std::uint32_t>(opt.seed & 0xffffffffu));
    const Data train = generate(rng, n_train);
    const Data test = generate(rng, n_test);
    double positives = 0;
    for (float v : train.y) positives += v;
    std::cerr << "[l1fs] " << n_train << " training rows (" << positives / n_train * 100
              << "% positive), " << n_test << " test rows; features 0-4 informative, 5-19 noise\n";

    plot::Figure norms{.title = "First-kernel row norm per input feature (features 0-4 informative, 5-19 noise)",
                       .xlabel = "input feature",
                       .ylabel = "L2 norm of the feature's 128 weights (exact 0 drawn at 1e-6)",
                       .series = {},
                       .logy = true,
                       .width = 1100,
                       .height = 620};
    for (std::size_t j = 0; j < n_features; ++j) {
      norms.xtics.emplace_back(double(j), (j < n_informative ? "*" : "") + std::to_string(j));
    }
    norms.xlabel = "input feature (* = informative)";
    bool summary_printed = false, any_zero_row = false;
    const std::vector<std::string> point_types = {"pt 7", "pt 5", "pt 9", "pt 11", "pt 13"};

    for (std::size_t k = 0; k < variants.size(); ++k) {
      const auto v = variants[k];
      const std::string model_name = experiment::name(v);
      auto model = build_model(v, opt.seed);
      model.build({n_features});
      if (!summary_printed) {
        std::cerr << model.summary() << '\n';
        summary_printed = true;
      }
      std::cerr << "[l1fs] training '" << model_name << "' for " << opt.epochs << " epochs..." << std::flush;
      const auto history = model.fit(train.x, train.y, {.epochs = opt.epochs, .batch_size = 128,
                                                        .validation_split = 0.1, .seed = opt.seed, .verbose = 0});
      const auto p = model.predict(test.x, 1024);
      std::size_t correct = 0;
      for (std::size_t i = 0; i < n_test; ++i) correct += (p(i, 0) > 0.5f) == (test.y(i, 0) > 0.5f);
      const double accuracy = double(correct) / double(n_test);

      const auto& kernel = model.parameters().front().var.value();  // (20, 128)
      const std::size_t units = kernel.shape()[1];
      std::vector<double> row_norm(n_features);
      std::vector<std::size_t> row_zeros(n_features), switched_off;
      std::size_t zero_weights = 0, zero_rows = 0;
      for (std::size_t j = 0; j < n_features; ++j) {
        double sq = 0;
        for (std::size_t u = 0; u < units; ++u) {
          const double w = kernel(j, u);
          sq += w * w;
          row_zeros[j] += w == 0.0;
        }
        row_norm[j] = std::sqrt(sq);
        zero_weights += row_zeros[j];
        zero_rows += row_zeros[j] == units;
        if (row_norm[j] < switched_off_below) switched_off.push_back(j);
      }
      std::size_t zero_units = 0;  // hidden units whose whole input column is zero (dead units)
      for (std::size_t u = 0; u < units; ++u) {
        bool all_zero = true;
        for (std::size_t j = 0; j < n_features && all_zero; ++j) all_zero = kernel(j, u) == 0.0f;
        zero_units += all_zero;
      }
      double informative_mean = 0, noise_mean = 0;
      for (std::size_t j = 0; j < n_features; ++j) (j < n_informative ? informative_mean : noise_mean) += row_norm[j];
      informative_mean /= double(n_informative);
      noise_mean /= double(n_features - n_informative);
      any_zero_row = any_zero_row || zero_rows > 0;
      const auto informative_off =
          std::count_if(switched_off.begin(), switched_off.end(), [](std::size_t j) { return j < n_informative; });

      auto r = experiment::report("l1_feature_selection", model_name, history, model);
      r.test_metric = "test_accuracy";
      r.test_value = accuracy;
      r.extra["feature_norms"] = row_norm;
      r.extra["feature_exact_zero_weights"] = row_zeros;
      r.extra["first_layer_exact_zeros"] = zero_weights;
      r.extra["first_layer_zero_rows"] = zero_rows;
      r.extra["first_layer_zero_units"] = zero_units;
      r.extra["noise_to_informative_norm_ratio"] = noise_mean / informative_mean;
      r.extra["switched_off"] = switched_off;
      r.extra["informative_kept"] = static_cast<std::size_t>(n_informative - informative_off);
      r.extra["noise_switched_off"] = switched_off.size() - static_cast<std::size_t>(informative_off);
      r.extra["val_accuracy"] = history["val_accuracy"].back();
      std::ostringstream off;
      for (std::size_t j : switched_off) off << (off.tellp() > 0 ? "," : "") << j;
      std::cerr << " " << r.train_seconds << " s, test accuracy " << accuracy << ", exact-zero weights "
                << zero_weights << "/" << kernel.size() << " (" << zero_units << " dead units), noise/informative norm "
                << noise_mean / informative_mean << ", switched off: [" << off.str() << "]\n";
      experiment::print_report(r);
      experiment::plot_losses("L1 feature selection, " + model_name + ": loss per epoch", history,
                              opt.out + "/l1fs_" + model_name + "_loss.png");

      // One marker series per model, shifted sideways so the models sit next to each other.
      plot::Series s{.title = model_name + " (test acc " + std::to_string(accuracy).substr(0, 5) + ", " +
                              std::to_string(switched_off.size()) + " off)",
                     .x = {},
                     .y = {},
                     .style = "points " + point_types[k % point_types.size()] + " ps 1.6"};
      const double shift = (double(k) - (double(variants.size()) - 1) / 2) * 0.22;
      for (std::size_t j = 0; j < n_features; ++j) {
        s.x.push_back(double(j) + shift);
        s.y.push_back(std::max(row_norm[j], plot_floor));
      }
      norms.series.push_back(std::move(s));
    }
    norms.series.push_back({.title = "switched-off threshold 1e-3",
                            .x = {-0.5, double(n_features) - 0.5},
                            .y = {switched_off_below, switched_off_below},
                            .style = "lines dt 2 lc rgb 'gray40'"});
    // Room for the exact zeros drawn at the floor, or at least for the threshold line.
    norms.ymin = any_zero_row ? plot_floor / 2 : switched_off_below / 2;
    plot::save_png(norms, opt.out + "/feature_norms.png");
  } catch (const std::exception& e) {
    std::cerr << "l1_feature_selection: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
