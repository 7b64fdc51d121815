#include "experiment.hpp"

#include <algorithm>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "cli.hpp"
#include "distributed.hpp"
#include "plot.hpp"
#include "run_main.hpp"

namespace experiment {

void add_options(CLI::App& app, Options& o) {
  cli::one_line_errors(app);
  app.add_option("--epochs", o.epochs, "training epochs")->capture_default_str()->check(cli::integer_in(1, max_epochs));
  app.add_option("--seed", o.seed, "seed for weights, shuffling and dropout")
      ->capture_default_str()
      ->check(cli::integer_in<std::uint64_t>());
  app.add_option("--data", o.data, "data directory (default: $TAPEFLOW_DATA, else the build tree's data/)");
  app.add_option("--out", o.out, "directory for the PNG plots (created if missing)")->capture_default_str();
  app.add_option("--reg", o.reg, "comma-separated models to train, each once: none,l1,l2,l1l2,l1_prox,group_prox,sparse_group_prox")
      ->capture_default_str();
  CLI::Option* lambda = nullptr;
  if (o.lambda) {
    std::string help = "strength of the penalty: of L1/L2 (l1l2: of both); group_prox: the group lasso's lambda in "
                       "lambda * sum over groups g of sqrt(size of g) * ||w_g||";
    if (o.group_lambda) {
      std::ostringstream group;
      group << " (group_prox without --lambda: " << *o.group_lambda << ")";
      help += group.str();
    }
    lambda = app.add_option("--lambda", *o.lambda, help)->capture_default_str()->check(cli::finite_non_negative());
  }
  // After every option's own check, before the program goes on: the --reg list and the --out
  // directory (also when left at their defaults).
  app.final_callback([&o, lambda] {
    o.lambda_given = lambda && lambda->count() > 0;
    try {
      variants(o.reg);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError(e.what());
    }
    cli::check_output_dir("--out", o.out);
  });
}

int run_main(int argc, char** argv, const std::string& description, const Defaults& defaults, const Body& body,
             const MoreOptions& more_options) {
  Options options;
  options.epochs = defaults.epochs;
  options.reg = defaults.reg;
  options.lambda = defaults.lambda;
  options.group_lambda = defaults.group_lambda;
  CLI::App app{description};
  add_options(app, options);
  if (more_options) more_options(app);
  return cli::run_main(app, argc, argv, [&] {
    // Under mpirun an error on one rank ends the job with its message (the others would wait).
    if (const auto comm = communicator()) {
      nn::abort_on_exception(*comm, [&] { body(options); });
    } else {
      body(options);
    }
  });
}

std::vector<Variant> variants(const std::string& list) {
  std::vector<Variant> out;
  std::stringstream s(list);
  for (std::string item; std::getline(s, item, ',');) {
    if (item == "none") out.push_back(Variant::none);
    else if (item == "l1") out.push_back(Variant::l1);
    else if (item == "l2") out.push_back(Variant::l2);
    else if (item == "l1l2") out.push_back(Variant::l1l2);
    else if (item == "l1_prox") out.push_back(Variant::l1_prox);
    else if (item == "group_prox") out.push_back(Variant::group_prox);
    else if (item == "sparse_group_prox") out.push_back(Variant::sparse_group_prox);
    else
      throw std::invalid_argument("--reg: unknown model '" + item +
                                  "' (choose from none, l1, l2, l1l2, l1_prox, group_prox, sparse_group_prox)");
    if (std::find(out.begin(), out.end() - 1, out.back()) != out.end() - 1)
      throw std::invalid_argument("--reg: model '" + item + "' is given twice in '" + list + "'");
  }
  if (out.empty()) throw std::invalid_argument("--reg: no model given");
  return out;
}

std::string name(Variant v) {
  switch (v) {
    case Variant::none: return "none";
    case Variant::l1: return "l1";
    case Variant::l2: return "l2";
    case Variant::l1l2: return "l1l2";
    case Variant::l1_prox: return "l1_prox";
    case Variant::group_prox: return "group_prox";
    case Variant::sparse_group_prox: return "sparse_group_prox";
  }
  return "?";
}

double strength(const Options& o, Variant v) {
  if (!o.lambda) throw std::logic_error("experiment::strength: this program has no --lambda");
  if (v == Variant::group_prox && o.group_lambda && !o.lambda_given) return *o.group_lambda;
  return *o.lambda;
}

nn::Regularizer regularizer(Variant v, double lambda, nn::GroupBy groups) {
  switch (v) {
    case Variant::none: return {};
    case Variant::l1:
    case Variant::l1_prox: return nn::L1(lambda);
    case Variant::l2: return nn::L2(lambda);
    case Variant::l1l2: return nn::L1L2(lambda, lambda);
    case Variant::group_prox: return nn::GroupLasso(lambda, groups);
    case Variant::sparse_group_prox: return nn::SparseGroupLasso(lambda, lambda, groups);
  }
  return {};
}

bool proximal(Variant v) { return v == Variant::l1_prox || v == Variant::group_prox || v == Variant::sparse_group_prox; }

nn::OptimizerConfig adam(Variant v, double learning_rate) {
  return nn::Adam{.learning_rate = learning_rate, .proximal = proximal(v)};
}

template <class T>
Report report(const std::string& example, const std::string& model, const nn::History& h,
              const nn::Sequential<T>& trained) {
  Report r;
  r.example = example;
  r.model = model;
  r.epochs = static_cast<int>(h.epochs.size());
  for (double s : h["seconds"]) r.train_seconds += s;
  r.seconds_per_epoch = r.epochs ? r.train_seconds / r.epochs : 0;
  r.final_loss = h["loss"].back();
  if (h.contains("val_loss")) {
    r.final_val_loss = h["val_loss"].back();
    r.min_val_loss = *std::min_element(h["val_loss"].begin(), h["val_loss"].end());
  }
  const auto sparsity = trained.sparsity(1e-3);
  r.exact_zero_fraction = sparsity.total.zero_fraction();
  r.small_weight_fraction = sparsity.total.small_fraction();
  return r;
}

template Report report<float>(const std::string&, const std::string&, const nn::History&, const nn::Sequential<float>&);
template Report report<double>(const std::string&, const std::string&, const nn::History&, const nn::Sequential<double>&);

void print_report(const Report& r) {
  if (!is_root()) return;  // under mpirun, rank 0 reports
  nlohmann::json j = {{"example", r.example},
                      {"model", r.model},
                      {"epochs", r.epochs},
                      {"train_seconds", r.train_seconds},
                      {"seconds_per_epoch", r.seconds_per_epoch},
                      {"final_loss", r.final_loss},
                      {"final_val_loss", r.final_val_loss},
                      {"min_val_loss", r.min_val_loss},
                      {"test_metric", r.test_metric},
                      {"test_value", r.test_value},
                      {"exact_zero_fraction", r.exact_zero_fraction},
                      {"small_weight_fraction", r.small_weight_fraction}};
  for (const auto& [k, v] : r.extra.items()) j[k] = v;
  std::cout << j.dump() << std::endl;
}

void plot_losses(const std::string& title, const nn::History& h, const std::string& path) {
  plot::EpochCurves f{.title = title, .ylabel = "loss (data + penalty)"};
  f.add("training", h["loss"]);
  if (h.contains("val_loss")) f.add("validation", h["val_loss"]);
  plot::save_png(f, path);
}

}  // namespace experiment
