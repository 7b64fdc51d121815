// Sequential: a run-time stack of layers with Keras's compile/fit/evaluate/predict.
//
//   nn::Sequential model;                                   // Sequential<float>; <double> works too
//   model.add(nn::Input({784}));
//   model.add(nn::Dense(512, "relu", {.kernel_regularizer = nn::L1(1e-3)}));
//   model.add(nn::Dense(10, "softmax"));
//   model.compile(nn::Adam{.learning_rate = 1e-3}, "categorical_crossentropy", {"accuracy"});
//   auto history = model.fit(x, y, {.epochs = 15, .batch_size = 128, .validation_split = 0.1});
//   std::cout << model.summary();
//
// !! validation_split holds out the LAST fraction of the rows of x and y, taken BEFORE any
// !! shuffling, exactly as Keras does. If your data are ordered (by class, by time), shuffle
// !! them yourself first, or the validation set will not look like the training set.
//
// Loss semantics (Keras): every batch's loss is the data loss plus the kernel and bias
// regularizer penalties (unscaled) plus each activity penalty divided by the batch size.
// History reports "loss" (that total, averaged over the epoch's samples), "data_loss" and
// "penalty" separately, "val_loss" (with the penalties, as Keras computes it), each metric and
// "val_<metric>", and "seconds".
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nn/callbacks.hpp"
#include "nn/compact.hpp"
#include "nn/conv_layers.hpp"
#include "nn/distributed.hpp"
#include "nn/history.hpp"
#include "nn/layers.hpp"
#include "nn/losses.hpp"
#include "nn/metrics.hpp"
#include "nn/module.hpp"
#include "nn/optimizers.hpp"

namespace nn {

namespace detail {
class Progress;
}

// fit() checks every option before anything runs and throws std::invalid_argument naming the
// option and its value: epochs > 0, initial_epoch in [0, epochs], batch_size > 0,
// validation_split in [0, 1), verbose 0, 1 or 2. Callbacks check their options when they are
// made (nn/callbacks.hpp).
template <class T>
struct FitOptions {
  int epochs = 1;
  std::size_t batch_size = 32;
  double validation_split = 0;  // the LAST fraction of the rows, before shuffling (see above)
  std::optional<std::pair<xt::xarray<T>, xt::xarray<T>>> validation_data{};  // takes precedence
  bool shuffle = true;          // reshuffle the training rows every epoch
  std::uint64_t seed = 0;       // shuffling and dropout: epoch e uses streams derived from (seed, e)
  // 0: silent; 1: a progress bar on stderr (one line per epoch when stderr is not a terminal);
  // 2: one line per epoch.
  int verbose = 1;
  int initial_epoch = 0;        // resume: epochs run from initial_epoch to epochs - 1
  // Built-in ones by their options (nn::EarlyStopping{...}) or your own as a
  // std::shared_ptr<YourCallback>; called in this order (nn/callback.hpp).
  std::vector<CallbackRef<T>> callbacks{};
  // Masked fine-tuning: if the optimizer holds no frozen entries yet, fit() first freezes the
  // exact zeros of every parameter (Optimizer::freeze_zeros), so that weights a proximal phase
  // set to zero stay exactly zero while the others are retrained, as in prune-and-retrain (Han
  // et al. 2015). Meant for after a sparsifying phase (a fresh model's zero-initialized biases
  // would be frozen too). The mask stays with the optimizer, and so with checkpoints, until
  // optimizer().unfreeze() or a new compile(); a resumed fit continues exactly.
  bool freeze_zeros = false;
};

// Exact zeros and small weights per layer kernel.
struct SparsityReport {
  struct Row {
    std::string name;           // "dense/kernel", or "total"
    std::size_t count = 0;
    std::size_t exact_zeros = 0;
    std::size_t small = 0;      // |w| < threshold (zeros included)
    double zero_fraction() const { return count ? double(exact_zeros) / double(count) : 0; }
    double small_fraction() const { return count ? double(small) / double(count) : 0; }
  };
  double threshold = 1e-3;
  std::vector<Row> rows;        // one per kernel
  Row total;
  std::string to_string() const;
};

// A layer spec: a type-free description that makes its Layer<T>, as nn::Dense does.
//   struct Scale { double factor; template <class T> std::shared_ptr<nn::Layer<T>> make_layer() const; };
template <class Spec, class T>
concept LayerSpec = requires(const Spec& spec) {
  { spec.template make_layer<T>() } -> std::convertible_to<std::shared_ptr<Layer<T>>>;
};

template <class T = float>
class Sequential : public Module<T> {
 public:
  // `seed` drives the weight initializers: the same seed gives the same initial weights.
  explicit Sequential(std::uint64_t seed = 1234, std::string name = "sequential");

  Sequential& add(const Input& input);
  // Any layer spec (Dense, Conv2D, ..., or one of your own): whatever spec.make_layer<T>() makes.
  template <class Spec>
    requires LayerSpec<Spec, T>
  Sequential& add(const Spec& spec) {
    return add(std::shared_ptr<Layer<T>>(spec.template make_layer<T>()));
  }
  Sequential& add(std::shared_ptr<Layer<T>> layer);  // a layer of your own

  // Builds every layer for a per-sample input shape; forward() does it at the first call.
  void build(const ad::Shape& sample_shape);
  bool built() const { return built_; }
  const std::vector<std::shared_ptr<Layer<T>>>& layers() const { return layers_; }
  ad::Shape output_shape() const;  // per sample; needs a built model

  // x has a leading batch axis. In training mode Dropout is active and activity penalties are
  // recorded for penalty().
  ad::Var<T> forward(const ad::Var<T>& x);
  ad::Var<T> operator()(const ad::Var<T>& x) { return forward(x); }

  // Kernel/bias regularizer penalties on the current weights plus the activity penalties of the
  // latest forward: the term fit() adds to the data loss, for custom training loops. If the
  // compiled optimizer is proximal, the regularizers' proximal parts (L1) enter as values only:
  // the optimizer applies them by prox() (see Regularizer::operator()). A scalar 0 if none.
  ad::Var<T> penalty() const;

  void compile(OptimizerConfig optimizer, const std::string& loss, std::vector<std::string> metrics = {});
  void compile(OptimizerConfig optimizer, LossFunction<T> loss, std::vector<std::string> metrics = {},
               std::string loss_name = "custom_loss");
  bool compiled() const { return optimizer_ != nullptr; }
  // The loss's name given to compile ("mse", ..., or the name of a custom loss function).
  const std::string& loss_name() const { return loss_name_; }
  Optimizer<T>& optimizer();

  History fit(const xt::xarray<T>& x, const xt::xarray<T>& y, const FitOptions<T>& options = {});
  // fit() sets it to false when it starts; a callback sets it to true to end training after the
  // current batch (from on_batch_end) or epoch (from on_epoch_end), as in Keras.
  bool stop_training = false;
  // "loss", "data_loss", "penalty" and the metrics, in evaluation mode, without recording.
  Logs evaluate(const xt::xarray<T>& x, const xt::xarray<T>& y, std::size_t batch_size = 32);
  xt::xarray<T> predict(const xt::xarray<T>& x, std::size_t batch_size = 32);

  std::string summary() const;  // Keras-style table: layer (type), output shape, parameters
  SparsityReport sparsity(double threshold = 1e-3) const;  // threshold finite and >= 0

  // Weights as .npz (entries named like parameters(), e.g. "dense/kernel"), written atomically.
  // load_weights checks names, shapes and dtype and throws naming the entry on any mismatch.
  void save_weights(const std::string& path) const;
  void load_weights(const std::string& path);
  // Weights + optimizer state + the number of epochs completed. Resuming with
  // fit(..., {.initial_epoch = load_checkpoint(path), ...}) continues exactly as if training had
  // never stopped (same shuffles, same dropout masks, same optimizer moments).
  // epochs_completed >= 0 (else std::invalid_argument); a stored count outside [0, INT_MAX] is a
  // FormatError naming the file and the value, raised before anything is changed.
  void save_checkpoint(const std::string& path, int epochs_completed) const;
  int load_checkpoint(const std::string& path);

  // A new, smaller model that predicts the same (up to rounding) for finite inputs: hidden Dense
  // units and Conv2D filters whose outgoing weights are all zero are removed; units whose
  // incoming weights are all zero output the constant f(bias), which is folded into the next
  // layer's bias (a Dense, or a Conv2D with 'valid' padding) before they are removed; input
  // features whose rows in the first kernel are all zero are dropped by a SelectFeatures layer
  // put before the first Dense layer (when it is the first kernel layer), so the compact model
  // takes the same inputs. Repeated until nothing changes. Units of the last kernel layer, of a
  // softmax layer and of a layer followed by a softmax Activation stay; every layer keeps at
  // least one unit (and the model one feature). Layers keep their names, options and order; the
  // compact model is built and not compiled, with this model's seed.
  // Handles Dense and Conv2D layers with Dropout, Activation, Flatten, pooling and (before the
  // first kernel layer) SelectFeatures layers; any other layer (a layer of your own) is
  // std::invalid_argument naming it and the reason, and an unbuilt model std::logic_error. The
  // report, if asked for, says what went.
  Sequential compact(CompactionReport* report = nullptr) const;

  // Points every layer's random stream (Dropout) at the stream of (seed, epoch).
  void set_random_streams(std::uint64_t seed, std::uint64_t epoch);
  // The row number within the epoch of the next training batch's first row (Layer::set_batch_position).
  void set_batch_position(std::uint64_t first_row);

  // Data parallelism over comm's ranks (nn/distributed.hpp); nullptr: one process again. fit()
  // and evaluate() become collective (every rank calls them, with the same data and options):
  // each takes its slice of every global batch, gradients and logs are summed over the ranks,
  // and rank 0's weights are broadcast when fit() starts. predict() stays local.
  // options.shards: 0 or a multiple of comm's size (else std::invalid_argument).
  void distribute(std::shared_ptr<Communicator> comm, DistributeOptions options = {});
  Communicator* communicator() const { return comm_.get(); }
  // False on the ranks other than 0 of a distributed model: what writes files or prints
  // (CSVLogger, ModelCheckpoint, the progress display, your own callbacks) asks this.
  bool writes_files() const { return !comm_ || comm_->rank() == 0; }

 private:
  std::string unique_name(const std::string& base);
  std::vector<Parameter<T>> checked_parameters() const;
  struct FitRun;  // one fit() call's data, rows, metrics and callbacks
  Logs run_epoch(FitRun& run, int epoch, detail::Progress& progress);
  void train_batch(FitRun& run, std::size_t first, std::size_t count);
  void train_slice(FitRun& run, std::size_t first, std::size_t count);  // distributed: this rank's slice
  void backward_slice(FitRun& run, std::size_t begin, std::size_t end, std::size_t count, bool regularization);
  void train_shards(FitRun& run, std::size_t first, std::size_t count);  // distributed, fixed shards
  Logs running_logs(const FitRun& run) const;  // the epoch's logs so far, summed over the ranks
  ad::Var<T> penalty_terms(bool regularization, bool activity) const;
  Logs evaluate_rows(const xt::xarray<T>& x, const xt::xarray<T>& y, std::size_t begin, std::size_t end,
                     std::size_t batch_size);

  std::uint64_t seed_;
  bool built_ = false;
  ad::Shape input_shape_;
  std::vector<std::shared_ptr<Layer<T>>> layers_;
  std::unique_ptr<Optimizer<T>> optimizer_;
  LossFunction<T> loss_;
  std::string loss_name_;
  std::vector<std::string> metric_names_;
  std::shared_ptr<Communicator> comm_;
  std::size_t shards_ = 0;  // DistributeOptions::shards
};

extern template class Sequential<float>;
extern template class Sequential<double>;

using Model = Sequential<float>;

}  // namespace nn
