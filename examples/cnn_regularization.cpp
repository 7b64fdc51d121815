// Does L1 or L2 regularization improve a CNN's test accuracy? The tutorials' closing exercise,
// on MNIST or Fashion-MNIST.
//
// The Keras tutorial's small convnet: Conv2D(32, 3x3, relu) - MaxPooling2D(2) - Conv2D(64, 3x3,
// relu) - MaxPooling2D(2) - Flatten - Dense(10, softmax), 34,826 parameters, trained with Adam
// (lr 1e-3) on categorical cross-entropy, batch 128, holding out the LAST 10% of the 60000
// training images for validation (Keras's validation_split); test accuracy on the 10000 test
// images. The regularized models put the same penalty, L1(λ) or L2(λ), on all three kernels
// (biases unpenalized, as in Keras's examples). λ = 1e-3 by default, as in mnist_regularization:
// the common tutorial value, and one that matters here: at initialization the L1 penalty,
// λ·Σ|w| ≈ 1.3, is half the cross-entropy (ln 10 ≈ 2.3) and L2's, λ·Σw² ≈ 0.07, a thirtieth;
// a trained model's cross-entropy is ~0.03-0.3, so both penalties weigh in.
//
//   cnn_regularization --out out                          # MNIST, none,l1,l2, 10 epochs
//   cnn_regularization --dataset fashion --out out        # Fashion-MNIST
//   cnn_regularization --reg none,l2 --lambda 1e-4 --epochs 5
//
// stdout: one JSON line per model (test_metric "accuracy").
// stderr: the model summary and per-epoch progress.
// PNGs:   <out>/cnn_<dataset>_<model>_loss.png (training vs validation loss),
//         <out>/cnn_<dataset>_val_accuracy.png and <out>/cnn_<dataset>_val_loss.png (every model).
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <datasets/idx.hpp>
#include <datasets/paths.hpp>
#include <datasets/preprocessing.hpp>

#include "experiment.hpp"
#include "plot.hpp"

namespace {

nn::Sequential<float> make_model(experiment::Variant variant, double lambda, std::uint64_t seed) {
  const nn::Regularizer reg = experiment::regularizer(variant, lambda);
  nn::Sequential<float> model(seed);
  model.add(nn::Input({28, 28, 1}));
  model.add(nn::Conv2D(32, {3, 3}, "relu", {.kernel_regularizer = reg}));
  model.add(nn::MaxPooling2D({2, 2}));
  model.add(nn::Conv2D(64, {3, 3}, "relu", {.kernel_regularizer = reg}));
  model.add(nn::MaxPooling2D({2, 2}));
  model.add(nn::Flatten{});
  model.add(nn::Dense(10, "softmax", {.kernel_regularizer = reg}));
  model.compile(experiment::adam(variant, 1e-3), "categorical_crossentropy", {"accuracy"});
  return model;
}

// (n, 28, 28) images in [0, 1] as (n, 28, 28, 1): NHWC with one channel.
xt::xarray<float> with_channel(xt::xarray<float> images) {
  const auto s = images.shape();
  images.reshape({s[0], s[1], s[2], std::size_t{1}});
  return images;
}

experiment::Report cnn_report(const std::string& dataset, experiment::Variant variant, double lambda,
                              const nn::History& history, nn::Sequential<float>& model, const xt::xarray<float>& x_test,
                              const xt::xarray<float>& y_test) {
  const nn::Logs test = model.evaluate(x_test, y_test, 128);
  auto report = experiment::report("cnn_" + dataset, experiment::name(variant), history, model);
  report.test_metric = "accuracy";
  report.test_value = test.at("accuracy");
  report.extra["dataset"] = dataset;
  report.extra["lambda"] = variant == experiment::Variant::none ? 0.0 : lambda;
  report.extra["test_loss"] = test.at("data_loss");
  const auto& val_accuracy = history["val_accuracy"];
  report.extra["final_val_accuracy"] = val_accuracy.back();
  report.extra["max_val_accuracy"] = *std::max_element(val_accuracy.begin(), val_accuracy.end());
  const auto& val_data_loss = history["val_data_loss"];
  report.extra["final_val_data_loss"] = val_data_loss.back();
  report.extra["min_val_data_loss"] = *std::min_element(val_data_loss.begin(), val_data_loss.end());
  report.extra["final_train_accuracy"] = history["accuracy"].back();
  return report;
}

void run(const experiment::Options& opt, const std::string& dataset) {
  const double lambda = *opt.lambda;
  const auto variants = experiment::variants(opt.reg);
  if (dataset != "mnist" && dataset != "fashion") {
    throw std::invalid_argument("--dataset: expected mnist or fashion, got '" + dataset + "'");
  }
  const bool fashion = dataset == "fashion";
  const std::string dir = datasets::data_dir(opt.data) + (fashion ? "/fashion-mnist" : "/mnist");
  const auto data = fashion ? datasets::load_fashion_mnist(dir) : datasets::load_mnist(dir);
  const xt::xarray<float> x_train = with_channel(data.train_images);
  const xt::xarray<float> x_test = with_channel(data.test_images);
  const xt::xarray<float> y_train = datasets::one_hot<float>(data.train_labels, 10);
  const xt::xarray<float> y_test = datasets::one_hot<float>(data.test_labels, 10);

  const std::string title = fashion ? "Fashion-MNIST" : "MNIST";
  auto figure = [&](const std::string& what, const std::string& ylabel) {
    return plot::EpochCurves{.title = title + " CNN: " + what, .ylabel = ylabel, .width = 900, .height = 560};
  };
  plot::EpochCurves accuracy = figure("validation accuracy (last 10% of training rows)", "validation accuracy");
  plot::EpochCurves loss = figure("validation loss", "validation loss (solid: cross-entropy, dashed: + penalty)");
  for (const auto variant : variants) {
    const std::string model_name = experiment::name(variant);
    auto model = make_model(variant, lambda, opt.seed);
    if (variant == variants.front()) std::cerr << model.summary() << "\n";
    std::cerr << "training model '" << model_name << "' on " << title << "\n";
    const nn::History history = model.fit(
        x_train, y_train,
        {.epochs = opt.epochs, .batch_size = 128, .validation_split = 0.1, .seed = opt.seed, .verbose = 1});

    experiment::print_report(cnn_report(dataset, variant, lambda, history, model, x_test, y_test));

    // No underscore in plot text: gnuplot's enhanced text would make it a subscript.
    const std::string legend = variant == experiment::Variant::l1_prox ? "l1 prox" : model_name;
    experiment::plot_losses(title + " CNN, model '" + legend + "': training vs validation loss", history,
                            opt.out + "/cnn_" + dataset + "_" + model_name + "_loss.png");
    // One colour per model; its loss with the penalty dashed in the same colour.
    const std::string colour = " lc " + std::to_string(accuracy.curves.size() + 1);
    accuracy.add(legend, history["val_accuracy"], "linespoints" + colour);
    loss.add(legend, history["val_data_loss"], "linespoints" + colour);
    if (variant != experiment::Variant::none)
      loss.add(legend + " + penalty", history["val_loss"], "lines dt 2" + colour);
  }
  plot::save_png(accuracy, opt.out + "/cnn_" + dataset + "_val_accuracy.png");
  plot::save_png(loss, opt.out + "/cnn_" + dataset + "_val_loss.png");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dataset = "mnist";
  return experiment::run_main(
      argc, argv, "A small CNN on MNIST or Fashion-MNIST with and without L1/L2 kernel regularization (Keras-style)",
      {.epochs = 10, .reg = "none,l1,l2", .lambda = 1e-3}, [&](const experiment::Options& opt) { run(opt, dataset); },
      [&](CLI::App& app) { app.add_option("--dataset", dataset, "mnist or fashion")->capture_default_str(); });
}
