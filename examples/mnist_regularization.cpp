// L1 regularization of a dense MNIST classifier, the Keras way.
//
// A 784-512-128-10 network (relu, relu, softmax) is trained with Adam (lr 1e-3) on categorical
// cross-entropy, batch 128, holding out the LAST 10% of the 60000 training images for validation
// (Keras's validation_split). The regularized models put an L1(0.001) kernel penalty on both
// hidden layers (--lambda); "l1_prox" applies the same L1 by proximal Adam (soft-thresholding), which can
// set weights exactly to zero, where plain Adam on the subgradient only makes them small.
//
//   mnist_regularization --out out                     # none,l1 for 15 epochs
//   mnist_regularization --reg none,l1,l1_prox --epochs 15 --out out
//   mnist_regularization --lambda 1e-4
//   mnist_regularization --reg l1_prox --save-weights   # also <out>/mnist_l1_prox_weights.npz
//   mpirun -np 2 mnist_regularization --reg l1_prox     # data-parallel on 2 ranks
//   mnist_regularization --reg l1_prox --shards 2       # the bits of any run on 1 or 2 ranks with --shards 2
//
// Under mpirun (built with tapeflow::mpi) every rank trains on its slice of each global batch of
// 128 (common/distributed.hpp); rank 0 prints, plots and saves. The report adds "ranks" and
// "allreduce_seconds" (time in the gradient sums). --shards S cuts every batch into S fixed shards
// (nn::DistributeOptions): the weights are then the same to the last bit on any number of ranks
// dividing S, one process included; without it 2 ranks differ from one process by rounding.
// stdout: one JSON line per model (test_metric "accuracy" on the 10000 test images).
// stderr: the model summary and per-epoch progress.
// PNGs:   <out>/mnist_<model>_loss.png (training vs validation loss) and
//         <out>/mnist_val_loss.png (validation loss of every model).
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "distributed.hpp"
#include "experiment.hpp"
#include "mnist_data.hpp"
#include "plot.hpp"

namespace {

using experiment::load_mnist_flat;
using experiment::MnistFlat;

nn::Sequential<float> make_model(experiment::Variant variant, double lambda, std::uint64_t seed) {
  const nn::Regularizer reg = experiment::regularizer(variant, lambda);
  nn::Sequential<float> model(seed);
  model.add(nn::Input({784}));
  model.add(nn::Dense(512, "relu", {.kernel_regularizer = reg}));
  model.add(nn::Dense(128, "relu", {.kernel_regularizer = reg}));
  model.add(nn::Dense(10, "softmax"));
  model.compile(experiment::adam(variant, 1e-3), "categorical_crossentropy", {"accuracy"});
  return model;
}

struct MnistOptions {
  bool save_weights = false;
  std::size_t shards = 0;  // 0: one shard per rank (and none without mpirun)
};

void run(const experiment::Options& opt, const MnistOptions& mo) {
  const auto variants = experiment::variants(opt.reg);

  const MnistFlat mnist = load_mnist_flat(opt.data);
  const auto& [x_train, y_train, x_test, y_test] = mnist;

  // Validation loss of every model. Keras's val_loss includes the L1 penalty, which dwarfs the
  // cross-entropy of a regularized model, so the solid lines are the cross-entropy alone and the
  // dashed lines the loss with the penalty.
  plot::EpochCurves combined{.title = "MNIST 784-512-128-10: validation loss (last 10% of training rows)",
                             .ylabel = "validation loss (solid: cross-entropy, dashed: + L1 penalty)",
                             .width = 1100};
  bool summary_printed = false;
  for (const auto variant : variants) {
    const std::string model_name = experiment::name(variant);
    auto model = make_model(variant, *opt.lambda, opt.seed);
    const auto comm = experiment::communicator();
    if (comm || mo.shards > 0) {
      model.distribute(comm ? comm : std::make_shared<nn::LocalCommunicator>(), {.shards = mo.shards});
    }
    const bool root = experiment::is_root();
    if (!summary_printed && root) {
      std::cerr << model.summary() << "\n";
      summary_printed = true;
    }
    if (root) std::cerr << "training model '" << model_name << "'" << (comm ? " on " + std::to_string(comm->size()) + " ranks" : "") << "\n";
    const nn::History history = model.fit(
        x_train, y_train,
        {.epochs = opt.epochs, .batch_size = 128, .validation_split = 0.1, .seed = opt.seed, .verbose = 1});

    const nn::Logs test = model.evaluate(x_test, y_test, 128);
    auto report = experiment::report("mnist", model_name, history, model);
    report.test_metric = "accuracy";
    report.test_value = test.at("accuracy");
    report.extra["test_loss"] = test.at("data_loss");
    report.extra["final_val_accuracy"] = history["val_accuracy"].back();
    // Validation cross-entropy without the penalty (val_loss includes it, as in Keras).
    const auto& val_data_loss = history["val_data_loss"];
    report.extra["final_val_data_loss"] = val_data_loss.back();
    report.extra["min_val_data_loss"] = *std::min_element(val_data_loss.begin(), val_data_loss.end());
    report.extra["ranks"] = comm ? comm->size() : 1;
    report.extra["allreduce_seconds"] = experiment::allreduce_seconds();
    report.extra["shards"] = mo.shards;
    experiment::print_report(report);
    if (mo.save_weights && root) model.save_weights(opt.out + "/mnist_" + model_name + "_weights.npz");

    // No underscore in plot text: gnuplot's enhanced text would turn it into a subscript.
    const std::string legend = variant == experiment::Variant::l1_prox ? "l1 prox" : model_name;
    experiment::plot_losses("MNIST, model '" + model_name + "': training vs validation loss", history,
                            opt.out + "/mnist_" + model_name + "_loss.png");
    combined.add(legend, history["val_data_loss"], "linespoints");
    if (variant != experiment::Variant::none) combined.add(legend + " + penalty", history["val_loss"], "lines dt 2");
  }
  plot::save_png(combined, opt.out + "/mnist_val_loss.png");
}

}  // namespace

int main(int argc, char** argv) {
  MnistOptions mo;
  return experiment::run_main(argc, argv, "MNIST 784-512-128-10 with and without L1 kernel regularization (Keras-style)",
                              {.epochs = 15, .reg = "none,l1", .lambda = 1e-3},
                              [&](const experiment::Options& opt) { run(opt, mo); },
                              [&](CLI::App& app) {
                                app.add_flag("--save-weights", mo.save_weights,
                                             "also save each model's final weights to <out>/mnist_<model>_weights.npz");
                                app.add_option("--shards", mo.shards,
                                               "cut every batch into this many fixed shards, a multiple of the ranks: "
                                               "the same weights on any number of ranks (0: one per rank)")
                                    ->capture_default_str()
                                    ->check(cli::integer_in<std::size_t>(0, 1024));
                              });
}
