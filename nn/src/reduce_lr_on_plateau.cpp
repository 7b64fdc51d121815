// nn::callbacks::ReduceLROnPlateau: lowers the learning rate when the monitored value stalls.
#include "nn/callbacks.hpp"
#include "nn/sequential.hpp"

#include <algorithm>

#include "check.hpp"

namespace nn::callbacks {

template <class T>
ReduceLROnPlateau<T>::ReduceLROnPlateau(nn::ReduceLROnPlateau options)
    : MonitorCallback<T>("ReduceLROnPlateau", options.monitor, options.mode, options.min_delta),
      options_(std::move(options)) {
  const char* who = "ReduceLROnPlateau";
  detail::require(options_.factor > 0 && options_.factor < 1, who, "factor", "in (0, 1)", options_.factor);
  detail::require(options_.patience >= 0, who, "patience", ">= 0", options_.patience);
  detail::require(options_.cooldown >= 0, who, "cooldown", ">= 0", options_.cooldown);
  detail::require_finite_nonnegative(who, "min_lr", options_.min_lr);
}

template <class T>
void ReduceLROnPlateau<T>::on_train_begin(const Logs& logs) {
  MonitorCallback<T>::on_train_begin(logs);
  wait_ = 0;
  cooldown_counter_ = 0;
}

// Keras's ReduceLROnPlateau.on_epoch_end, step for step.
template <class T>
void ReduceLROnPlateau<T>::on_epoch_end(int, Logs& logs) {
  logs["learning_rate"] = this->model().optimizer().learning_rate();
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (this->improved(logs)) {
    wait_ = 0;
  } else if (cooldown_counter_ == 0 && ++wait_ >= options_.patience) {
    reduce();
  }
}

template <class T>
void ReduceLROnPlateau<T>::reduce() {
  auto& optimizer = this->model().optimizer();
  const double old_lr = optimizer.learning_rate();
  if (old_lr > options_.min_lr) {
    optimizer.set_learning_rate(std::max(old_lr * options_.factor, options_.min_lr));
    cooldown_counter_ = options_.cooldown;
    wait_ = 0;
  }
}

template class ReduceLROnPlateau<float>;
template class ReduceLROnPlateau<double>;

}  // namespace nn::callbacks
