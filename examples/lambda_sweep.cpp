// Choosing the regularization strength λ by k-fold cross-validation.
//
// For each problem (two moons, Boston housing), each penalty (--reg: l1, l2, l1_prox) and each λ
// of the grid, the same network is trained from the same initial weights on k-1 folds and
// scored on the held-out fold; the score is the final epoch's validation DATA loss (binary
// cross-entropy or MSE, WITHOUT the penalty term, so that different λ are compared on the same
// scale). The chosen λ is the one with the lowest mean over the folds (ties: the larger λ).
//
//   lambda_sweep                                  # moons and boston, l1 and l2, 5 folds
//   lambda_sweep --problem moons --reg l1,l1_prox --lambdas 0,1e-4,1e-3 --folds 3
//
// Under mpirun (built with tapeflow::mpi) the (reg, λ, fold) fits are spread over the ranks, rank r
// training fits r, r + size, ... of the order one process runs them; rank 0 gathers the results and
// prints the same lines as one process (the timings aside) and draws the plots:
//   mpirun -np 2 lambda_sweep --problem moons --folds 3
//
// stdout: one JSON line per (problem, reg, λ) with the shared report keys, averaged over the
// folds (epochs is per fold; train_seconds the sum over the folds), then one line per
// (problem, reg) with the chosen λ. stderr: one progress line per fold.
// Plots: <out>/lambda_sweep_<problem>.png (CV validation loss against λ, the mean as a line and
// the mean ± std as a shaded band) and
// <out>/lambda_sweep_<problem>_sparsity.png (exact-zero and |w| < 1e-3 fractions of the kernels).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <xtensor/xarray.hpp>

#include <datasets/boston.hpp>
#include <datasets/paths.hpp>
#include <datasets/preprocessing.hpp>
#include <datasets/synthetic.hpp>
#include <nn/nn.hpp>

#include "distributed.hpp"
#include "experiment.hpp"
#include "plot.hpp"

namespace {

constexpr double kSmall = 1e-3;  // the "small weight" threshold of the sparsity fractions

// A problem: its data (all rows; folds are cut from them) and how to train a model on it.
struct Problem {
  std::string name;
  xt::xarray<double> x, y;
  bool standardize = false;   // fit a StandardScaler on each fold's training rows
  int epochs = 0;
  double learning_rate = 0;
  std::string loss;
  std::vector<std::size_t> hidden;
  std::string output_activation;
};

// One fold's outcome.
struct FoldResult {
  double val_data_loss = 0, final_loss = 0, final_val_loss = 0, min_val_loss = 0, seconds = 0;
  double zero_fraction = 0, small_fraction = 0;
};

std::vector<double> parse_lambdas(const std::string& list) {
  std::vector<double> out;
  std::stringstream s(list);
  for (std::string item; std::getline(s, item, ',');) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || !std::isfinite(v) || v < 0)
      throw std::invalid_argument("--lambdas: '" + item + "' is not a number >= 0");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument("--lambdas: no value given");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> parse_problems(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream s(list);
  for (std::string item; std::getline(s, item, ',');) {
    if (item != "moons" && item != "boston")
      throw std::invalid_argument("--problem: unknown problem '" + item + "' (choose from moons, boston)");
    out.push_back(item);
  }
  if (out.empty()) throw std::invalid_argument("--problem: no problem given");
  return out;
}

std::string lambda_str(double lambda) {
  std::ostringstream s;
  s << lambda;  // 0, 1e-05, 0.0001, 0.1
  return s.str();
}

FoldResult train_fold(const Problem& p, const datasets::Fold& fold, experiment::Variant variant, double lambda,
                      std::uint64_t seed) {
  xt::xarray<double> x_train = datasets::take_rows(p.x, fold.train);
  xt::xarray<double> x_val = datasets::take_rows(p.x, fold.validation);
  if (p.standardize) {
    datasets::StandardScaler<double> scaler;
    x_train = scaler.fit_transform(x_train);  // statistics of this fold's training rows only
    x_val = scaler.transform(x_val);
  }
  const xt::xarray<float> xt_f = xt::cast<float>(x_train), xv_f = xt::cast<float>(x_val);
  const xt::xarray<float> yt_f = xt::cast<float>(datasets::take_rows(p.y, fold.train));
  const xt::xarray<float> yv_f = xt::cast<float>(datasets::take_rows(p.y, fold.validation));

  // Same seed for every (reg, λ): the folds of a λ grid start from the same weights.
  nn::Sequential<float> model(seed);
  model.add(nn::Input({p.x.shape()[1]}));
  for (std::size_t units : p.hidden)
    model.add(nn::Dense(units, "relu", {.kernel_regularizer = experiment::regularizer(variant, lambda)}));
  model.add(nn::Dense(1, p.output_activation));
  model.compile(experiment::adam(variant, p.learning_rate), p.loss);

  const nn::History h = model.fit(xt_f, yt_f,
                                  {.epochs = p.epochs,
                                   .batch_size = 32,
                                   .validation_data = std::make_pair(xv_f, yv_f),
                                   .seed = seed,
                                   .verbose = 0});
  FoldResult r;
  r.val_data_loss = h["val_data_loss"].back();
  r.final_loss = h["loss"].back();
  r.final_val_loss = h["val_loss"].back();
  r.min_val_loss = *std::min_element(h["val_loss"].begin(), h["val_loss"].end());
  for (double s : h["seconds"]) r.seconds += s;
  const auto sparsity = model.sparsity(kSmall);  // every kernel, the unregularized output one too
  r.zero_fraction = sparsity.total.zero_fraction();
  r.small_fraction = sparsity.total.small_fraction();
  return r;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / double(v.size());
}

// Population standard deviation over the folds (numpy's default, ddof 0).
double stddev(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return v.empty() ? 0 : std::sqrt(s / double(v.size()));
}

// One (reg, λ) point of the sweep, averaged over the folds.
struct Point {
  double lambda = 0, cv_mean = 0, cv_std = 0, zero_fraction = 0, small_fraction = 0;
};

Problem make_problem(const std::string& name, int moons_epochs, int boston_epochs, const std::string& data) {
  Problem p;
  p.name = name;
  if (name == "moons") {
    auto moons = datasets::make_moons<double>(200, 0.25, 2);
    p.x = moons.x;
    p.y = moons.y;
    p.epochs = moons_epochs;
    p.learning_rate = 0.01;
    p.loss = "binary_crossentropy";
    p.hidden = {64, 64};
    p.output_activation = "sigmoid";
  } else {
    auto boston = datasets::load_boston(datasets::data_dir(data) + "/boston/data.csv");
    p.x = boston.features;
    p.y = boston.target;
    p.standardize = true;
    p.epochs = boston_epochs;
    p.learning_rate = 1e-3;
    p.loss = "mse";
    p.hidden = {32};
    p.output_activation = "linear";
  }
  return p;
}

constexpr std::array<double FoldResult::*, 7> kFoldFields{
    &FoldResult::val_data_loss, &FoldResult::final_loss,    &FoldResult::final_val_loss, &FoldResult::min_val_loss,
    &FoldResult::seconds,       &FoldResult::zero_fraction, &FoldResult::small_fraction};

// Every fold of every (reg, λ) of one problem, in the order one process trains them. Under mpirun
// rank r trains fits r, r + size, ... and prints their progress lines; each rank's results (zeros
// for the fits it did not train) are summed over the ranks, so every rank ends with all of them.
std::vector<FoldResult> train_all(const Problem& p, const std::vector<datasets::Fold>& cv,
                                  const std::vector<experiment::Variant>& kinds, const std::vector<double>& lambdas,
                                  std::uint64_t seed) {
  const auto comm = experiment::communicator();
  const std::size_t rank = comm ? std::size_t(comm->rank()) : 0, size = comm ? std::size_t(comm->size()) : 1;
  std::vector<double> packed(kinds.size() * lambdas.size() * cv.size() * kFoldFields.size(), 0.0);
  std::size_t i = 0;
  for (auto kind : kinds) {
    for (double lambda : lambdas) {
      for (std::size_t f = 0; f < cv.size(); ++f, ++i) {
        if (i % size != rank) continue;
        const FoldResult r = train_fold(p, cv[f], kind, lambda, seed);
        std::fprintf(stderr, "%s %s lambda=%s fold %zu/%zu: val data loss %.4f, zeros %.3f, |w|<1e-3 %.3f (%.1f s)\n",
                     p.name.c_str(), experiment::name(kind).c_str(), lambda_str(lambda).c_str(), f + 1, cv.size(),
                     r.val_data_loss, r.zero_fraction, r.small_fraction, r.seconds);
        for (std::size_t k = 0; k < kFoldFields.size(); ++k) packed[i * kFoldFields.size() + k] = r.*kFoldFields[k];
      }
    }
  }
  if (comm) comm->allreduce_sum(std::span<double>(packed));
  std::vector<FoldResult> results(i);
  for (std::size_t j = 0; j < i; ++j) {
    for (std::size_t k = 0; k < kFoldFields.size(); ++k) results[j].*kFoldFields[k] = packed[j * kFoldFields.size() + k];
  }
  return results;
}

// The folds of one (reg, λ): prints its report and returns its point of the curve.
Point sweep_point(const Problem& p, std::size_t folds, experiment::Variant kind, double lambda,
                  const std::vector<FoldResult>& results) {
  const std::string reg = experiment::name(kind);
  auto column = [&](double FoldResult::*field) {
    std::vector<double> v;
    for (const auto& r : results) v.push_back(r.*field);
    return v;
  };
  Point pt{.lambda = lambda,
           .cv_mean = mean(column(&FoldResult::val_data_loss)),
           .cv_std = stddev(column(&FoldResult::val_data_loss)),
           .zero_fraction = mean(column(&FoldResult::zero_fraction)),
           .small_fraction = mean(column(&FoldResult::small_fraction))};
  experiment::Report rep;
  rep.example = "lambda_sweep";
  rep.model = p.name + "_" + reg + "_lambda=" + lambda_str(lambda);
  rep.epochs = p.epochs;
  for (const auto& r : results) rep.train_seconds += r.seconds;
  rep.seconds_per_epoch = rep.train_seconds / (double(p.epochs) * double(folds));
  rep.final_loss = mean(column(&FoldResult::final_loss));
  rep.final_val_loss = mean(column(&FoldResult::final_val_loss));
  rep.min_val_loss = mean(column(&FoldResult::min_val_loss));
  rep.test_metric = "cv_val_data_loss";
  rep.test_value = pt.cv_mean;
  rep.exact_zero_fraction = pt.zero_fraction;
  rep.small_weight_fraction = pt.small_fraction;
  rep.extra = {{"problem", p.name},     {"reg", reg},           {"lambda", lambda},
               {"cv_mean", pt.cv_mean}, {"cv_std", pt.cv_std}, {"folds", folds}};
  experiment::print_report(rep);
  return pt;
}

// The chosen λ: lowest mean CV loss; on a tie the larger λ (the simpler model).
void print_choice(const std::string& problem, experiment::Variant kind, const std::vector<Point>& curve) {
  const Point* best = &curve.front();
  for (const auto& pt : curve)
    if (pt.cv_mean <= best->cv_mean) best = &pt;  // λ ascending: "<=" keeps the larger on ties
  if (!experiment::is_root()) return;  // under mpirun, rank 0 prints
  nlohmann::json j = {
      {"example", "lambda_sweep"}, {"problem", problem}, {"reg", experiment::name(kind)}, {"chosen_lambda", best->lambda}};
  std::cout << j.dump() << std::endl;
}

// The λ axis: logarithmic, with λ = 0 drawn one decade below the smallest positive λ, with a tic
// labelled "0" there, and a tic at every grid value.
struct LambdaAxis {
  double zero_at = 1e-6;
  std::string label = "λ (log scale)";
  std::vector<std::pair<double, std::string>> tics;
  double operator()(double lambda) const { return lambda > 0 ? lambda : zero_at; }
};

LambdaAxis lambda_axis(const std::vector<double>& lambdas) {
  LambdaAxis axis;
  const auto smallest = std::find_if(lambdas.begin(), lambdas.end(), [](double l) { return l > 0; });
  if (smallest != lambdas.end()) axis.zero_at = *smallest / 10;
  if (lambdas.front() == 0)
    axis.label += "; λ = 0 is drawn at " + lambda_str(axis.zero_at) + ", one decade left of the smallest λ > 0";
  for (double l : lambdas) axis.tics.emplace_back(axis(l), lambda_str(l));
  return axis;
}

void plot_sweep(const Problem& p, std::size_t folds, const std::vector<experiment::Variant>& kinds,
                const std::vector<std::vector<Point>>& curves, const std::vector<double>& lambdas,
                const std::string& out) {
  const LambdaAxis xpos = lambda_axis(lambdas);
  const std::string data_loss = p.name == "moons" ? "binary cross-entropy" : "MSE";
  plot::Figure loss_fig{.title = p.name + ": " + std::to_string(folds) + "-fold cross-validation loss against λ",
                        .xlabel = xpos.label,
                        .ylabel = "validation " + data_loss + " without the penalty (mean; band ± std)",
                        .series = {},
                        .logx = true,
                        .xtics = xpos.tics};
  plot::Figure sparse_fig{.title = p.name + ": sparsity of the kernels after training",
                          .xlabel = xpos.label,
                          .ylabel = "fraction of all kernel weights (mean over folds)",
                          .series = {},
                          .logx = true,
                          .ymin = -0.02,
                          .ymax = 1.02,
                          .xtics = xpos.tics};
  const std::vector<std::string> point_types = {"7", "5", "9", "11", "13"};  // disc, square, triangles, diamond
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    const std::string reg = experiment::name(kinds[k]), colour = " lc " + std::to_string(k + 1);
    const std::string point_style = " pt " + point_types[k % point_types.size()];
    plot::Series m{.title = reg + " mean", .x = {}, .y = {}, .style = "linespoints" + point_style + " ps 1.3" + colour};
    plot::Series band{.title = reg + " mean ± std", .x = {}, .y = {}, .style = "filledcurves fs transparent solid 0.2 noborder" + colour};
    plot::Series zeros{.title = reg + ": exact zeros", .x = {}, .y = {}, .style = "linespoints" + point_style + " ps " + std::to_string(1.8 - 0.4 * double(k % 3)) + colour};
    plot::Series small{.title = reg + ": |w| < 1e-3", .x = {}, .y = {}, .style = "linespoints dt 2 pt 6 ps 1.5" + colour};
    for (const auto& pt : curves[k]) {
      const double x = xpos(pt.lambda);
      m.x.push_back(x), m.y.push_back(pt.cv_mean);
      band.x.push_back(x), band.y.push_back(pt.cv_mean - pt.cv_std), band.y_high.push_back(pt.cv_mean + pt.cv_std);
      zeros.x.push_back(x), zeros.y.push_back(pt.zero_fraction);
      small.x.push_back(x), small.y.push_back(pt.small_fraction);
    }
    loss_fig.series.push_back(band);
    loss_fig.series.push_back(m);
    sparse_fig.series.push_back(zeros);
    sparse_fig.series.push_back(small);
  }
  plot::save_png(loss_fig, out + "/lambda_sweep_" + p.name + ".png");
  plot::save_png(sparse_fig, out + "/lambda_sweep_" + p.name + "_sparsity.png");
}

struct SweepOptions {
  std::string problems = "moons,boston", lambdas = "0,1e-5,1e-4,1e-3,1e-2,1e-1";
  std::size_t folds = 5;
  int moons_epochs = 300, boston_epochs = 1000;
  CLI::Option* epochs = nullptr;  // the shared --epochs: given, it replaces both defaults
};

void run(const experiment::Options& opt, const SweepOptions& sweep) {
  const auto kinds = experiment::variants(opt.reg);
  const auto lambdas = parse_lambdas(sweep.lambdas);
  const auto problem_names = parse_problems(sweep.problems);
  const bool epochs_given = sweep.epochs->count() > 0;
  for (const auto& problem_name : problem_names) {
    const Problem p = make_problem(problem_name, epochs_given ? opt.epochs : sweep.moons_epochs,
                                   epochs_given ? opt.epochs : sweep.boston_epochs, opt.data);
    const auto cv = datasets::kfold(p.x.shape()[0], sweep.folds, true, static_cast<std::int64_t>(opt.seed % 4294967296ULL));
    const std::vector<FoldResult> results = train_all(p, cv, kinds, lambdas, opt.seed);
    std::vector<std::vector<Point>> curves;  // per reg kind, per λ
    auto next = results.begin();
    for (auto kind : kinds) {
      std::vector<Point> curve;
      for (double lambda : lambdas) {
        curve.push_back(sweep_point(p, cv.size(), kind, lambda, std::vector<FoldResult>(next, next + std::ptrdiff_t(cv.size()))));
        next += std::ptrdiff_t(cv.size());
      }
      curves.push_back(curve);
    }
    for (std::size_t k = 0; k < kinds.size(); ++k) print_choice(p.name, kinds[k], curves[k]);
    plot_sweep(p, cv.size(), kinds, curves, lambdas, opt.out);
  }
}

}  // namespace

int main(int argc, char** argv) {
  SweepOptions sweep;
  return experiment::run_main(
      argc, argv, "Cross-validated choice of the L1/L2 strength lambda on two moons and Boston housing",
      {.epochs = 1, .reg = "l1,l2", .lambda = std::nullopt},  // --lambdas is the grid; no single --lambda
      [&](const experiment::Options& opt) { run(opt, sweep); },
      [&](CLI::App& app) {
        sweep.epochs = app.get_option("--epochs");
        sweep.epochs->description("training epochs per fold (default: 300 for moons, 1000 for boston)")->default_str("");
        app.add_option("--problem", sweep.problems, "comma-separated problems: moons,boston")->capture_default_str();
        app.add_option("--lambdas", sweep.lambdas, "comma-separated lambda grid (>= 0)")->capture_default_str();
        app.add_option("--folds", sweep.folds, "cross-validation folds (k of k-fold)")
            ->capture_default_str()
            ->check(cli::integer_in<std::size_t>(2, 100));
      });
}
