// What every regularization example shares: the command line (--help, --epochs, --seed, --data,
// --out, --reg), the regularization variants, and the one-JSON-line-per-model report on stdout.
//
//   experiment::Options opt{.epochs = 15, .reg = "none,l1"};
//   CLI::App app{"..."};
//   experiment::add_options(app, opt);
//   CLI11_PARSE(app, argc, argv);
//   for (auto kind : experiment::variants(opt.reg)) { ... experiment::print_report(r); }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <nn/nn.hpp>

#include "cli.hpp"

namespace experiment {

struct Options {
  int epochs = 1;
  std::uint64_t seed = 1234;
  std::string data;   // data directory; empty: $TAPEFLOW_DATA, then the build tree's data/
  std::string out = "out";
  std::string reg = "none";
};

// Adds the options above and makes CLI11_PARSE reject, in one line naming the option, an --epochs
// outside [1, max_epochs], a --seed that is not a 64-bit unsigned integer, a --reg list with an
// unknown or repeated model, and an --out that is empty or cannot be created or written (--out is
// created while parsing, before any data is loaded). Sets the app's final_callback: do not set another.
constexpr int max_epochs = 1000000;
void add_options(CLI::App& app, Options& options);

// The regularization variants of --reg: none, l1, l2, l1l2, l1_prox.
enum class Variant { none, l1, l2, l1l2, l1_prox };
// Throws std::invalid_argument naming the unknown or repeated item.
std::vector<Variant> variants(const std::string& list);
std::string name(Variant v);
// The kernel regularizer of a variant with strength lambda (l1l2: lambda for both).
nn::Regularizer regularizer(Variant v, double lambda);
// Adam with the given learning rate; proximal for l1_prox.
nn::OptimizerConfig adam(Variant v, double learning_rate);

struct Report {
  std::string example, model;
  int epochs = 0;
  double train_seconds = 0, seconds_per_epoch = 0;
  double final_loss = 0, final_val_loss = 0, min_val_loss = 0;
  std::string test_metric;
  double test_value = 0;
  double exact_zero_fraction = 0, small_weight_fraction = 0;
  nlohmann::json extra = nlohmann::json::object();  // example-specific keys
};
// Fills the timing, loss and sparsity fields from a fit's history and the model's kernels.
template <class T>
Report report(const std::string& example, const std::string& model, const nn::History& history,
              const nn::Sequential<T>& trained);
void print_report(const Report& report);  // one JSON object on one line of stdout

// Training vs validation loss per epoch, one PNG.
void plot_losses(const std::string& title, const nn::History& history, const std::string& path);

}  // namespace experiment
