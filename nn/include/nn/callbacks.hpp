// The built-in callbacks of Sequential::fit, Keras's: each is configured by an options struct
// (nn::EarlyStopping{...}) that fit's callback list takes directly, and implemented by a class
// in nn::callbacks derived from nn::Callback<T> (nn::callbacks::EarlyStopping<T>), which you may
// also make yourself to look at it after training. A callback of your own is passed as a
// std::shared_ptr (see nn/callback.hpp).
//
//   auto history = model.fit(x, y, {.epochs = 50, .callbacks = {
//       nn::EarlyStopping{.monitor = "val_loss", .patience = 5, .restore_best_weights = true},
//       nn::ReduceLROnPlateau{.factor = 0.5, .patience = 2},
//       nn::ModelCheckpoint{.filepath = "best.npz", .save_best_only = true},
//       nn::CSVLogger{.path = "log.csv"},
//       nn::LambdaCallback{[](nn::EpochEnd& e) { if (e.logs.at("loss") < 0.01) e.stop_training = true; }}}});
//
// Every option is checked when the callback is made (so before fit runs): std::invalid_argument
// naming the callback, the option and its value. mode is "min", "max" or "auto"; "auto"
// maximizes a monitored value named like an accuracy ("acc" in its name) and minimizes any other.
// A monitored value missing from the logs is an std::invalid_argument naming it and the logs' keys.
#pragma once

#include <concepts>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "nn/callback.hpp"

namespace nn {

// Stops when `monitor` has not improved by more than min_delta for `patience` epochs (an epoch
// that fails to improve the `patience`-th time in a row stops training). patience >= 0; min_delta
// finite and >= 0 (Keras would take |min_delta|).
struct EarlyStopping {
  std::string monitor = "val_loss";
  int patience = 0;
  double min_delta = 0;
  std::string mode = "auto";  // "min", "max" or "auto"
  bool restore_best_weights = false;  // on stopping, the weights of the best epoch come back
};

// One row per epoch (epoch, then the logs in key order), flushed as it is written.
struct CSVLogger {
  std::string path;
  bool append = false;
  char separator = ',';
};

struct EpochEnd {
  int epoch;               // 0-based
  const Logs& logs;
  bool stop_training;      // set to true to stop after this epoch
};

struct LambdaCallback {
  std::function<void(EpochEnd&)> on_epoch_end;  // may be empty
};

// Saves the model at the end of every epoch, or with save_best_only only when `monitor` improved
// on the best value so far (strictly; no min_delta, as in Keras). save_weights_only writes
// save_weights(), else save_checkpoint(path, epoch + 1) (weights and optimizer state; resume with
// initial_epoch = load_checkpoint(path)). Both write atomically. "{epoch}" in filepath becomes the
// 1-based epoch number (as Keras names files), "{epoch:0Nd}" the same zero-padded to N digits;
// other braces are refused. Missing parent directories are created.
struct ModelCheckpoint {
  std::string filepath;
  std::string monitor = "val_loss";
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";
};

// Keras: when `monitor` has not improved by more than min_delta for `patience` epochs, the
// learning rate becomes max(lr * factor, min_lr), provided lr > min_lr; then `cooldown` epochs
// pass (their wait counts reset to 0) before waiting starts again. factor in (0, 1); patience,
// cooldown >= 0; min_delta, min_lr finite and >= 0. Logs "learning_rate" (the rate the epoch ran
// with) at every epoch's end. The rate is held as a double, so lr > min_lr is compared exactly.
struct ReduceLROnPlateau {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0;
};

// Keras: at every epoch's beginning the learning rate becomes schedule(epoch, current rate)
// (epoch 0-based, counting from initial_epoch); it must return a finite rate > 0. Logs
// "learning_rate" (the rate the epoch ran with) at every epoch's end, as Keras 3 does.
struct LearningRateScheduler {
  std::function<double(int epoch, double learning_rate)> schedule;
};

namespace callbacks {

// What the callbacks that watch a logged value share (Keras's MonitorCallback): the direction of
// improvement and the best value so far.
template <class T = float>
class MonitorCallback : public Callback<T> {
 public:
  void on_train_begin(const Logs& logs) override;  // the best so far: the worst value there is

 protected:
  // `who` names the callback in errors; checks mode and min_delta (finite, >= 0).
  MonitorCallback(std::string who, std::string monitor, const std::string& mode, double min_delta);
  // True if logs[monitor] beats the best so far by more than min_delta; it is then the best.
  // std::invalid_argument naming the callback, the monitor and the logs' keys if it is missing.
  bool improved(const Logs& logs);

 private:
  std::string who_, monitor_;
  bool maximize_;
  double min_delta_;
  double best_ = 0;
};

template <class T = float>
class EarlyStopping : public MonitorCallback<T> {
 public:
  explicit EarlyStopping(nn::EarlyStopping options);
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  nn::EarlyStopping options_;
  int wait_ = 0;
  std::vector<xt::xarray<T>> best_weights_;
};

template <class T = float>
class CSVLogger : public Callback<T> {
 public:
  explicit CSVLogger(nn::CSVLogger options);
  void on_train_begin(const Logs& logs) override;  // opens the file
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(const Logs& logs) override;    // closes it

 private:
  nn::CSVLogger options_;
  std::ofstream file_;
  bool header_written_ = false;
};

template <class T = float>
class LambdaCallback : public Callback<T> {
 public:
  explicit LambdaCallback(nn::LambdaCallback options);
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  nn::LambdaCallback options_;
};

template <class T = float>
class ModelCheckpoint : public MonitorCallback<T> {
 public:
  explicit ModelCheckpoint(nn::ModelCheckpoint options);
  void on_epoch_end(int epoch, Logs& logs) override;
  std::string path_for(int epoch) const;  // the file of a 0-based epoch

 private:
  nn::ModelCheckpoint options_;
};

template <class T = float>
class ReduceLROnPlateau : public MonitorCallback<T> {
 public:
  explicit ReduceLROnPlateau(nn::ReduceLROnPlateau options);
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  void reduce();
  nn::ReduceLROnPlateau options_;
  int wait_ = 0;
  int cooldown_counter_ = 0;
};

template <class T = float>
class LearningRateScheduler : public Callback<T> {
 public:
  explicit LearningRateScheduler(nn::LearningRateScheduler options);
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  nn::LearningRateScheduler options_;
};

#define TAPEFLOW_EXTERN_CALLBACK(Name)  \
  extern template class Name<float>;    \
  extern template class Name<double>;
TAPEFLOW_EXTERN_CALLBACK(MonitorCallback)
TAPEFLOW_EXTERN_CALLBACK(EarlyStopping)
TAPEFLOW_EXTERN_CALLBACK(CSVLogger)
TAPEFLOW_EXTERN_CALLBACK(LambdaCallback)
TAPEFLOW_EXTERN_CALLBACK(ModelCheckpoint)
TAPEFLOW_EXTERN_CALLBACK(ReduceLROnPlateau)
TAPEFLOW_EXTERN_CALLBACK(LearningRateScheduler)
#undef TAPEFLOW_EXTERN_CALLBACK

}  // namespace callbacks

// An entry of fit's callback list: a callback of your own, shared with you so that you can look
// at it after training (a null pointer is refused), or a built-in one made from its options.
template <class T>
class CallbackRef {
 public:
  template <class C>
    requires std::derived_from<C, Callback<T>>
  CallbackRef(std::shared_ptr<C> callback) : callback_(std::move(callback)) {
    if (!callback_) throw std::invalid_argument("Sequential::fit: a callback is a null std::shared_ptr");
  }
  CallbackRef(nn::EarlyStopping o) : callback_(std::make_shared<callbacks::EarlyStopping<T>>(std::move(o))) {}
  CallbackRef(nn::CSVLogger o) : callback_(std::make_shared<callbacks::CSVLogger<T>>(std::move(o))) {}
  CallbackRef(nn::LambdaCallback o) : callback_(std::make_shared<callbacks::LambdaCallback<T>>(std::move(o))) {}
  CallbackRef(nn::ModelCheckpoint o) : callback_(std::make_shared<callbacks::ModelCheckpoint<T>>(std::move(o))) {}
  CallbackRef(nn::ReduceLROnPlateau o) : callback_(std::make_shared<callbacks::ReduceLROnPlateau<T>>(std::move(o))) {}
  CallbackRef(nn::LearningRateScheduler o)
      : callback_(std::make_shared<callbacks::LearningRateScheduler<T>>(std::move(o))) {}

  const std::shared_ptr<Callback<T>>& get() const { return callback_; }
  Callback<T>* operator->() const { return callback_.get(); }

 private:
  std::shared_ptr<Callback<T>> callback_;
};

}  // namespace nn
