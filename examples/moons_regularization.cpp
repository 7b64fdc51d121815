// Two moons with and without weight regularization: the classic "an over-sized network overfits
// 80 noisy points" demonstration, set up the Keras way.
//
//   moons_regularization --out out/moons                 # none, l1, l2, l1_prox; 2000 epochs
//   moons_regularization --reg none,l1 --epochs 500
//
// Data: scikit-learn's make_moons(100, noise=0.25, random_state=2), point for point (written to
// <out>/data.csv). Model: 2-128-128-1 (relu, relu, sigmoid), Adam(lr 0.01), binary cross-entropy,
// batch 32, validation_split 0.2 (the LAST 20 rows, as Keras takes them). Regularized variants put
// λ = 0.001 on both hidden kernels; l1_prox trains with proximal Adam (soft-thresholding instead
// of the L1 subgradient), which can set weights exactly to zero.
//
// Output: one JSON line per model on stdout (test_metric val_accuracy on the 20 held-out rows;
// extra: first_layer_exact_zeros, first_layer_below_1e-3, first_layer_weights, val_loss,
// val_data_loss = val_loss without the penalty), progress on stderr, and PNGs:
//   moons_<model>_regions.png        P(class 1) over the plane, 0.5 boundary, the 100 points
//   moons_<model>_loss.png           training and validation loss per epoch
//   moons_first_layer_weights.png    histogram of the first-layer kernel weights, every model
//   moons_val_loss.png               validation loss per epoch, every model
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xview.hpp>

#include <datasets/synthetic.hpp>

#include "experiment.hpp"
#include "plot.hpp"

namespace {

constexpr double lambda = 0.001;
constexpr double learning_rate = 0.01;
constexpr double validation_split = 0.2;

nn::Model build_model(experiment::Variant v, std::uint64_t seed) {
  nn::Model model(seed);
  model.add(nn::Input({2}));
  model.add(nn::Dense(128, "relu", {.kernel_regularizer = experiment::regularizer(v, lambda)}));
  model.add(nn::Dense(128, "relu", {.kernel_regularizer = experiment::regularizer(v, lambda)}));
  model.add(nn::Dense(1, "sigmoid"));
  model.compile(experiment::adam(v, learning_rate), "binary_crossentropy", {"accuracy"});
  return model;
}

std::vector<double> first_kernel(const nn::Model& model) {
  const auto& w = model.parameters().front().var.value();  // "dense/kernel", (2, 128)
  return {w.begin(), w.end()};
}

}  // namespace

int main(int argc, char** argv) {
  experiment::Options opt;
  opt.epochs = 2000;
  opt.reg = "none,l1,l2,l1_prox";
  CLI::App app{"Two moons (100 noisy points): a 2-128-128-1 network with and without L1/L2 kernel regularization"};
  experiment::add_options(app, opt);
  CLI11_PARSE(app, argc, argv);

  try {
    const auto variants = experiment::variants(opt.reg);
    auto moons = datasets::make_moons<float>(100, 0.25, 2);
    const std::size_t n = moons.x.shape()[0];
    xt::xarray<float> x = moons.x;
    xt::xarray<float> y = moons.y;
    y.reshape({n, 1});

    {  // opt.out exists and is writable: add_options checked it
      std::ofstream csv(opt.out + "/data.csv");
      csv << "x0,x1,y\n";
      csv.precision(9);
      for (std::size_t i = 0; i < n; ++i) csv << x(i, 0) << ',' << x(i, 1) << ',' << y(i, 0) << '\n';
    }

    // The rows fit() holds out: the last 20% (Keras: split_at = int(n * (1 - split))).
    const auto split_at = static_cast<std::size_t>(static_cast<double>(n) * (1.0 - validation_split));

    // The decision-region grid: the data range widened by 0.5 on every side.
    double x0_lo = INFINITY, x0_hi = -INFINITY, x1_lo = INFINITY, x1_hi = -INFINITY;
    for (std::size_t i = 0; i < n; ++i) {
      x0_lo = std::min(x0_lo, double(x(i, 0)));
      x0_hi = std::max(x0_hi, double(x(i, 0)));
      x1_lo = std::min(x1_lo, double(x(i, 1)));
      x1_hi = std::max(x1_hi, double(x(i, 1)));
    }
    constexpr std::size_t grid_n = 150;
    std::vector<double> gx(grid_n), gy(grid_n);
    for (std::size_t i = 0; i < grid_n; ++i) {
      const double t = double(i) / double(grid_n - 1);
      gx[i] = (x0_lo - 0.5) + t * ((x0_hi + 0.5) - (x0_lo - 0.5));
      gy[i] = (x1_lo - 0.5) + t * ((x1_hi + 0.5) - (x1_lo - 0.5));
    }
    xt::xarray<float> grid = xt::xarray<float>::from_shape({grid_n * grid_n, 2});
    for (std::size_t r = 0; r < grid_n; ++r) {
      for (std::size_t c = 0; c < grid_n; ++c) {
        grid(r * grid_n + c, 0) = static_cast<float>(gx[c]);
        grid(r * grid_n + c, 1) = static_cast<float>(gy[r]);
      }
    }
    std::vector<double> px(n), py(n), pl(n);
    for (std::size_t i = 0; i < n; ++i) {
      px[i] = x(i, 0);
      py[i] = x(i, 1);
      pl[i] = y(i, 0);
    }

    plot::Histogram weights{.title = "First-layer kernel weights (2 x 128) after training",
                            .xlabel = "weight value",
                            .ylabel = "count (log scale)",
                            .samples = {},
                            .bins = 80,
                            .logy = true};
    plot::Figure val_losses{.title = "Two moons: validation loss (20 held-out points, penalty included)",
                            .xlabel = "epoch",
                            .ylabel = "validation loss",
                            .series = {},
                            .logy = true};
    bool summary_printed = false;

    for (const auto v : variants) {
      const std::string model_name = experiment::name(v);
      auto model = build_model(v, opt.seed);
      model.build({2});
      if (!summary_printed) {
        std::cerr << model.summary() << '\n';
        summary_printed = true;
      }
      std::cerr << "[moons] training '" << model_name << "' for " << opt.epochs << " epochs..." << std::flush;
      const auto history = model.fit(x, y, {.epochs = opt.epochs, .batch_size = 32,
                                            .validation_split = validation_split, .seed = opt.seed, .verbose = 0});

      // Accuracy on the held-out rows, recomputed from predict() (matches history's val_accuracy).
      const auto p = model.predict(x);
      std::size_t correct = 0;
      for (std::size_t i = split_at; i < n; ++i) correct += (p(i, 0) > 0.5f) == (y(i, 0) > 0.5f);
      const double val_accuracy = double(correct) / double(n - split_at);

      auto r = experiment::report("moons", model_name, history, model);
      r.test_metric = "val_accuracy";
      r.test_value = val_accuracy;
      const auto w1 = first_kernel(model);
      const auto zeros = static_cast<std::size_t>(std::count(w1.begin(), w1.end(), 0.0));
      const auto small = static_cast<std::size_t>(
          std::count_if(w1.begin(), w1.end(), [](double w) { return std::abs(w) < 1e-3; }));
      r.extra["first_layer_exact_zeros"] = zeros;
      r.extra["first_layer_below_1e-3"] = small;
      r.extra["first_layer_weights"] = w1.size();
      r.extra["val_loss"] = history["val_loss"].back();
      const xt::xarray<float> x_val = xt::view(x, xt::range(split_at, n));
      const xt::xarray<float> y_val = xt::view(y, xt::range(split_at, n));
      r.extra["val_data_loss"] = model.evaluate(x_val, y_val).at("data_loss");
      std::cerr << " " << r.train_seconds << " s, val_loss " << r.final_val_loss << ", val_accuracy "
                << val_accuracy << ", first-layer zeros " << zeros << "/" << w1.size() << '\n';
      experiment::print_report(r);

      // Decision regions.
      const auto grid_p = model.predict(grid, 4096);
      plot::DecisionRegions regions{.title = "Two moons, " + model_name + ": P(class 1), val loss " +
                                             std::to_string(r.final_val_loss).substr(0, 5) + ", val acc " +
                                             std::to_string(val_accuracy).substr(0, 4),
                                    .grid_x = gx,
                                    .grid_y = gy,
                                    .probability = {grid_p.begin(), grid_p.end()},
                                    .point_x = px,
                                    .point_y = py,
                                    .point_label = pl};
      plot::save_png(regions, opt.out + "/moons_" + model_name + "_regions.png");
      experiment::plot_losses("Two moons, " + model_name + ": loss per epoch", history,
                              opt.out + "/moons_" + model_name + "_loss.png");

      weights.samples.emplace_back(model_name + ": " + std::to_string(zeros) + " exact zeros, " + std::to_string(small) +
                                       " below 1e-3",
                                   w1);
      std::vector<double> epochs;
      for (int e : history.epochs) epochs.push_back(e + 1);
      val_losses.series.push_back({.title = model_name, .x = epochs, .y = history["val_loss"]});
    }
    plot::save_png(weights, opt.out + "/moons_first_layer_weights.png");
    plot::save_png(val_losses, opt.out + "/moons_val_loss.png");
  } catch (const std::exception& e) {
    std::cerr << "moons_regularization: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
