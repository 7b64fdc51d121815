// nn::callbacks::LearningRateScheduler: sets the learning rate of every epoch from a function.
#include "nn/callbacks.hpp"
#include "nn/sequential.hpp"

#include <cmath>
#include <stdexcept>

#include "check.hpp"

namespace nn::callbacks {

template <class T>
LearningRateScheduler<T>::LearningRateScheduler(nn::LearningRateScheduler options) : options_(std::move(options)) {
  if (!options_.schedule) throw std::invalid_argument("LearningRateScheduler: schedule must be a function, got an empty one");
}

template <class T>
void LearningRateScheduler<T>::on_epoch_begin(int epoch, const Logs&) {
  auto& optimizer = this->model().optimizer();
  const double lr = options_.schedule(epoch, optimizer.learning_rate());
  detail::require(std::isfinite(lr) && lr > 0, "LearningRateScheduler", "schedule(" + std::to_string(epoch) + ", lr)",
                  "a finite number > 0", lr);
  optimizer.set_learning_rate(lr);
}

template <class T>
void LearningRateScheduler<T>::on_epoch_end(int, Logs& logs) {
  logs["learning_rate"] = this->model().optimizer().learning_rate();
}

template class LearningRateScheduler<float>;
template class LearningRateScheduler<double>;

}  // namespace nn::callbacks
