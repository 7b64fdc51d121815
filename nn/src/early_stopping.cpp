// nn::callbacks::EarlyStopping: stops training once the monitored value stops improving.
#include "nn/callbacks.hpp"
#include "nn/sequential.hpp"

#include "check.hpp"

namespace nn::callbacks {

template <class T>
EarlyStopping<T>::EarlyStopping(nn::EarlyStopping options)
    : MonitorCallback<T>("EarlyStopping", options.monitor, options.mode, options.min_delta), options_(std::move(options)) {
  detail::require(options_.patience >= 0, "EarlyStopping", "patience", ">= 0", options_.patience);
}

template <class T>
void EarlyStopping<T>::on_train_begin(const Logs& logs) {
  MonitorCallback<T>::on_train_begin(logs);
  wait_ = 0;
  best_weights_.clear();
}

template <class T>
void EarlyStopping<T>::on_epoch_end(int, Logs& logs) {
  auto params = this->model().parameters();
  if (this->improved(logs)) {
    wait_ = 0;
    if (options_.restore_best_weights) {
      best_weights_.clear();
      for (const auto& p : params) best_weights_.push_back(p.var.value());
    }
  } else if (++wait_ >= options_.patience) {  // Keras: stop once `patience` epochs failed to improve
    this->model().stop_training = true;
    if (options_.restore_best_weights && !best_weights_.empty()) {
      for (std::size_t i = 0; i < params.size(); ++i) params[i].var.mutable_value() = best_weights_[i];
    }
  }
}

template class EarlyStopping<float>;
template class EarlyStopping<double>;

}  // namespace nn::callbacks
