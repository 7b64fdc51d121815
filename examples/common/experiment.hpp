// What every regularization example shares: the command line (--help, --epochs, --seed, --data,
// --out, --reg, --lambda), its main(), the regularization variants, and the
// one-JSON-line-per-model report on stdout.
//
//   void run(const experiment::Options& opt) {
//     for (auto kind : experiment::variants(opt.reg)) { ... experiment::print_report(r); }
//   }
//   int main(int argc, char** argv) {
//     return experiment::run_main(argc, argv, "...", {.epochs = 15, .reg = "none,l1", .lambda = 1e-3}, run);
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
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
  std::optional<double> lambda;  // the penalty strength; a program that gives it a default has --lambda
  std::optional<double> group_lambda;  // group_prox's strength while --lambda is not given (none: *lambda)
  bool lambda_given = false;           // --lambda was on the command line
};

// Adds the options above and makes CLI11_PARSE reject, in one line naming the option, an --epochs
// outside [1, max_epochs], a --seed that is not a 64-bit unsigned integer, a --lambda that is not a
// finite number >= 0, a --reg list with an unknown or repeated model, and an --out that is empty or
// cannot be created or written (--out is created while parsing, before any data is loaded). Sets
// the app's final_callback: do not set another.
constexpr int max_epochs = 1000000;
void add_options(CLI::App& app, Options& options);

// What differs between the programs' shared options: the defaults of --epochs, --reg and
// --lambda (std::nullopt: the program has no --lambda), and group_prox's λ while --lambda is not
// given (std::nullopt: --lambda's default).
struct Defaults {
  int epochs;
  std::string reg;
  std::optional<double> lambda;
  std::optional<double> group_lambda = std::nullopt;
};
// The main() of a regularization example (cli::run_main): add_options with `defaults`, then
// `more_options` adds the program's own options, and `body` runs with the parsed options.
using Body = std::function<void(const Options&)>;
using MoreOptions = std::function<void(CLI::App&)>;
int run_main(int argc, char** argv, const std::string& description, const Defaults& defaults, const Body& body,
             const MoreOptions& more_options = {});

// The regularization variants of --reg: none, l1, l2, l1l2, l1_prox, group_prox (the group lasso
// λ·Σ_g √p_g·‖w_g‖₂ applied by proximal Adam, which zeroes whole groups exactly) and
// sparse_group_prox (λ·Σ|w| + the group lasso with the same λ, by proximal Adam: whole groups and
// single weights).
enum class Variant { none, l1, l2, l1l2, l1_prox, group_prox, sparse_group_prox };
// Throws std::invalid_argument naming the unknown or repeated item.
std::vector<Variant> variants(const std::string& list);
std::string name(Variant v);
// The strength for variant v: --lambda when given, else group_prox's own default if the program
// has one, else --lambda's default. Throws std::logic_error for a program without --lambda.
double strength(const Options& options, Variant v);
// The kernel regularizer of a variant with strength lambda (l1l2: lambda for both; group_prox:
// nn::GroupLasso(lambda, groups), by default one group per kernel row = per input feature;
// sparse_group_prox: nn::SparseGroupLasso(lambda, lambda, groups)).
nn::Regularizer regularizer(Variant v, double lambda, nn::GroupBy groups = nn::GroupBy::input);
// True for the variants trained with proximal steps: l1_prox, group_prox, sparse_group_prox.
bool proximal(Variant v);
// Adam with the given learning rate; proximal for the *_prox variants.
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
