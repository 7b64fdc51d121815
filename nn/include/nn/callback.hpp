// nn::Callback: the base of everything fit() calls back, with Keras's hooks. Derive from it,
// override the hooks you need and pass a std::shared_ptr to fit() (see nn/README.md):
//
//   struct StopAtLoss : nn::Callback<float> {
//     void on_epoch_end(int, nn::Logs& logs) override {
//       if (logs.at("loss") < 0.01) model().stop_training = true;
//     }
//   };
//   model.fit(x, y, {.epochs = 100, .callbacks = {std::make_shared<StopAtLoss>()}});
//
// From a hook, model() is the Sequential being trained: model().stop_training = true ends fit()
// after the current batch (on_batch_end) or epoch (on_epoch_end), and
// model().optimizer().learning_rate() / set_learning_rate(lr) read and change the learning rate.
#pragma once

#include <stdexcept>

#include "nn/history.hpp"

namespace nn {

template <class T>
class Sequential;

template <class T = float>
class Callback {
 public:
  virtual ~Callback() = default;

  // Called in this order; epochs are 0-based and count from fit's initial_epoch; batches count
  // from 0 in every epoch. on_epoch_begin gets empty logs, on_batch_end the running "loss" and
  // metrics of the epoch so far, on_epoch_end the epoch's logs, which it may extend: later
  // callbacks, the History and the progress line see what it adds. on_train_end gets the last
  // epoch's logs (empty if no epoch ran).
  virtual void on_train_begin(const Logs& /*logs*/) {}
  virtual void on_epoch_begin(int /*epoch*/, const Logs& /*logs*/) {}
  virtual void on_batch_end(int /*batch*/, const Logs& /*logs*/) {}
  virtual void on_epoch_end(int /*epoch*/, Logs& /*logs*/) {}
  virtual void on_train_end(const Logs& /*logs*/) {}

  // fit() attaches the model before on_train_begin.
  void set_model(Sequential<T>& model) { model_ = &model; }
  Sequential<T>& model() const {
    if (!model_) throw std::logic_error("nn::Callback::model: the callback is not attached to a model (fit() attaches it)");
    return *model_;
  }

 private:
  Sequential<T>* model_ = nullptr;
};

}  // namespace nn
