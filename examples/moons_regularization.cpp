// Two moons with and without weight regularization: the classic "an over-sized network overfits
// 80 noisy points" demonstration, set up the Keras way.
//
//   moons_regularization --out out/moons                 # none, l1, l2, l1_prox, group_prox; 2000 epochs
//   moons_regularization --reg none,l1 --epochs 500 --lambda 1e-4
//
// Data: scikit-learn's make_moons(100, noise=0.25, random_state=2), point for point (written to
// <out>/data.csv). Model: 2-128-128-1 (relu, relu, sigmoid), Adam(lr 0.01), binary cross-entropy,
// batch 32, validation_split 0.2 (the LAST 20 rows, as Keras takes them). Regularized variants put
// λ = --lambda (0.001) on both hidden kernels; l1_prox trains with proximal Adam (soft-thresholding instead
// of the L1 subgradient), which can set weights exactly to zero; group_prox puts a group lasso on each
// hidden unit's incoming weights (see build_model), also by proximal Adam, which kills whole units.
//
// Output: one JSON line per model on stdout (test_metric val_accuracy on the 20 held-out rows;
// extra: first_layer_exact_zeros, first_layer_below_1e-3, first_layer_weights, val_loss,
// val_data_loss = val_loss without the penalty; what model.compact() keeps: hidden_units_alive per
// hidden layer, parameters -> compact_parameters, and compact_max_abs_diff, the largest difference
// between the two models' predictions over the plotted grid), progress on stderr, and PNGs:
//   moons_<model>_regions.png        P(class 1) over the plane, 0.5 boundary, the 100 points
//   moons_<model>_loss.png           training and validation loss per epoch
//   moons_first_layer_weights.png    histogram of the first-layer kernel weights, every model
//   moons_val_loss.png               validation loss per epoch, every model (faint) and its
//                                    mean over 50 epochs (bold)
#include <algorithm>
#include <cmath>
#include <cstddef>
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

constexpr double learning_rate = 0.01;
constexpr double validation_split = 0.2;

// group_prox groups each hidden kernel by its columns (GroupBy::output): a column is one unit's
// incoming weights, so a zeroed group is a dead unit of that layer (its output is the constant
// relu(bias), which compact() folds into the next bias). Rows would group the first kernel by
// its 2 inputs (both needed) and the second by the first layer's units again, leaving the
// second layer's units without a group.
nn::Model build_model(experiment::Variant v, double lambda, std::uint64_t seed) {
  const auto reg = experiment::regularizer(v, lambda, nn::GroupBy::output);
  nn::Model model(seed);
  model.add(nn::Input({2}));
  model.add(nn::Dense(128, "relu", {.kernel_regularizer = reg}));
  model.add(nn::Dense(128, "relu", {.kernel_regularizer = reg}));
  model.add(nn::Dense(1, "sigmoid"));
  model.compile(experiment::adam(v, learning_rate), "binary_crossentropy", {"accuracy"});
  return model;
}

std::vector<double> first_kernel(const nn::Model& model) {
  const auto& w = model.parameters().front().var.value();  // "dense/kernel", (2, 128)
  return {w.begin(), w.end()};
}

// The 100 points, written to <out>/data.csv, and the rows fit() holds out.
struct Moons {
  xt::xarray<float> x, y;  // (n, 2), (n, 1)
  std::size_t n = 0, split_at = 0;
};

Moons load_moons(const std::string& out) {
  auto moons = datasets::make_moons<float>(100, 0.25, 2);
  Moons m{.x = moons.x, .y = moons.y, .n = moons.x.shape()[0]};
  m.y.reshape({m.n, 1});
  std::ofstream csv(out + "/data.csv");  // out exists and is writable: add_options checked it
  csv << "x0,x1,y\n";
  csv.precision(9);
  for (std::size_t i = 0; i < m.n; ++i) csv << m.x(i, 0) << ',' << m.x(i, 1) << ',' << m.y(i, 0) << '\n';
  // The last 20% (Keras: split_at = int(n * (1 - split))).
  m.split_at = static_cast<std::size_t>(static_cast<double>(m.n) * (1.0 - validation_split));
  return m;
}

// The decision-region grid: the data range widened by 0.5 on every side, and the points on top.
struct Grid {
  std::vector<double> gx, gy;
  xt::xarray<float> points;  // (150 * 150, 2), row by row
};

Grid make_grid(const xt::xarray<float>& x) {
  double x0_lo = INFINITY, x0_hi = -INFINITY, x1_lo = INFINITY, x1_hi = -INFINITY;
  for (std::size_t i = 0; i < x.shape()[0]; ++i) {
    x0_lo = std::min(x0_lo, double(x(i, 0)));
    x0_hi = std::max(x0_hi, double(x(i, 0)));
    x1_lo = std::min(x1_lo, double(x(i, 1)));
    x1_hi = std::max(x1_hi, double(x(i, 1)));
  }
  constexpr std::size_t grid_n = 150;
  Grid g{.gx = std::vector<double>(grid_n), .gy = std::vector<double>(grid_n),
         .points = xt::xarray<float>::from_shape({grid_n * grid_n, 2})};
  for (std::size_t i = 0; i < grid_n; ++i) {
    const double t = double(i) / double(grid_n - 1);
    g.gx[i] = (x0_lo - 0.5) + t * ((x0_hi + 0.5) - (x0_lo - 0.5));
    g.gy[i] = (x1_lo - 0.5) + t * ((x1_hi + 0.5) - (x1_lo - 0.5));
  }
  for (std::size_t r = 0; r < grid_n; ++r) {
    for (std::size_t c = 0; c < grid_n; ++c) {
      g.points(r * grid_n + c, 0) = static_cast<float>(g.gx[c]);
      g.points(r * grid_n + c, 1) = static_cast<float>(g.gy[r]);
    }
  }
  return g;
}

// Accuracy on the held-out rows, recomputed from predict() (matches history's val_accuracy).
double val_accuracy(nn::Model& model, const Moons& m) {
  const auto p = model.predict(m.x);
  std::size_t correct = 0;
  for (std::size_t i = m.split_at; i < m.n; ++i) correct += (p(i, 0) > 0.5f) == (m.y(i, 0) > 0.5f);
  return double(correct) / double(m.n - m.split_at);
}

// What compact() keeps of the trained model: the surviving hidden units of each layer, the
// parameters, and the largest difference between the two models' predictions over the grid.
nlohmann::json compaction(nn::Model& model, const Grid& g) {
  nn::CompactionReport report;
  auto compact = model.compact(&report);
  const auto grid_p = model.predict(g.points, 4096);
  const auto compact_p = compact.predict(g.points, 4096);
  nlohmann::json j = {{"parameters", report.parameters_before},
                      {"compact_parameters", report.parameters_after},
                      {"compact_max_abs_diff", static_cast<double>(xt::amax(xt::abs(compact_p - grid_p))())}};
  std::vector<std::size_t> units;
  for (std::size_t l = 0; l + 1 < report.layers.size(); ++l) units.push_back(report.layers[l].units_after);
  j["hidden_units_alive"] = units;
  return j;
}

experiment::Report moons_report(const std::string& model_name, const nn::History& history, nn::Model& model,
                                const Moons& m, const Grid& g) {
  auto r = experiment::report("moons", model_name, history, model);
  r.test_metric = "val_accuracy";
  r.test_value = val_accuracy(model, m);
  const auto w1 = first_kernel(model);
  r.extra["first_layer_exact_zeros"] = static_cast<std::size_t>(std::count(w1.begin(), w1.end(), 0.0));
  r.extra["first_layer_below_1e-3"] = static_cast<std::size_t>(
      std::count_if(w1.begin(), w1.end(), [](double w) { return std::abs(w) < 1e-3; }));
  r.extra["first_layer_weights"] = w1.size();
  r.extra["val_loss"] = history["val_loss"].back();
  const xt::xarray<float> x_val = xt::view(m.x, xt::range(m.split_at, m.n));
  const xt::xarray<float> y_val = xt::view(m.y, xt::range(m.split_at, m.n));
  r.extra["val_data_loss"] = model.evaluate(x_val, y_val).at("data_loss");
  r.extra.update(compaction(model, g));
  return r;
}

void plot_regions(nn::Model& model, const experiment::Report& r, const Moons& m, const Grid& g,
                  const std::string& path) {
  const auto grid_p = model.predict(g.points, 4096);
  plot::DecisionRegions regions{.title = "Two moons, " + r.model + ": P(class 1), val loss " +
                                         std::to_string(r.final_val_loss).substr(0, 5) + ", val acc " +
                                         std::to_string(r.test_value).substr(0, 4),
                                .grid_x = g.gx,
                                .grid_y = g.gy,
                                .probability = {grid_p.begin(), grid_p.end()},
                                .point_x = {},
                                .point_y = {},
                                .point_label = {}};
  for (std::size_t i = 0; i < m.n; ++i) {
    regions.point_x.push_back(m.x(i, 0));
    regions.point_y.push_back(m.x(i, 1));
    regions.point_label.push_back(m.y(i, 0));
  }
  plot::save_png(regions, path);
}

void run(const experiment::Options& opt) {
  const auto variants = experiment::variants(opt.reg);
  const Moons m = load_moons(opt.out);
  const Grid grid = make_grid(m.x);
  plot::Histogram weights{.title = "First-layer kernel weights (2 x 128) after training",
                          .xlabel = "weight value",
                          .ylabel = "count (log scale)",
                          .samples = {},
                          .bins = 80,
                          .logy = true};
  plot::EpochCurves val_losses{.title = "Two moons: validation loss (20 held-out points, penalty included)",
                                     .ylabel = "validation loss (log scale)",
                                     .logy = true,
                                     .ymin = 0.05,
                                     .ymax = 2,
                                     .smooth = 50};
  for (const auto v : variants) {
    const std::string model_name = experiment::name(v);
    auto model = build_model(v, experiment::strength(opt, v), opt.seed);
    model.build({2});
    if (v == variants.front()) std::cerr << model.summary() << '\n';
    std::cerr << "[moons] training '" << model_name << "' for " << opt.epochs << " epochs..." << std::flush;
    const auto history = model.fit(m.x, m.y, {.epochs = opt.epochs, .batch_size = 32,
                                              .validation_split = validation_split, .seed = opt.seed, .verbose = 0});
    const auto r = moons_report(model_name, history, model, m, grid);
    const auto zeros = r.extra["first_layer_exact_zeros"].get<std::size_t>();
    const auto small = r.extra["first_layer_below_1e-3"].get<std::size_t>();
    std::cerr << " " << r.train_seconds << " s, val_loss " << r.final_val_loss << ", val_accuracy " << r.test_value
              << ", first-layer zeros " << zeros << "/" << r.extra["first_layer_weights"] << ", hidden units alive "
              << r.extra["hidden_units_alive"] << ", compact model " << r.extra["compact_parameters"]
              << " parameters (predictions differ by " << r.extra["compact_max_abs_diff"] << ")\n";
    experiment::print_report(r);

    plot_regions(model, r, m, grid, opt.out + "/moons_" + model_name + "_regions.png");
    experiment::plot_losses("Two moons, " + model_name + ": loss per epoch", history,
                            opt.out + "/moons_" + model_name + "_loss.png");
    weights.samples.emplace_back(
        model_name + ": " + std::to_string(zeros) + " exact zeros, " + std::to_string(small) + " below 1e-3",
        first_kernel(model));
    val_losses.add(model_name, history["val_loss"]);
  }
  plot::save_png(weights, opt.out + "/moons_first_layer_weights.png");
  plot::save_png(val_losses, opt.out + "/moons_val_loss.png");
}

}  // namespace

int main(int argc, char** argv) {
  return experiment::run_main(
      argc, argv, "Two moons (100 noisy points): a 2-128-128-1 network with and without L1/L2/group lasso kernel "
      "regularization",
      {.epochs = 2000, .reg = "none,l1,l2,l1_prox,group_prox", .lambda = 0.001}, run);
}
