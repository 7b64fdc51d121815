// nn::callbacks::LambdaCallback: a function called at every epoch's end that may stop training.
#include "nn/callbacks.hpp"
#include "nn/sequential.hpp"

namespace nn::callbacks {

template <class T>
LambdaCallback<T>::LambdaCallback(nn::LambdaCallback options) : options_(std::move(options)) {}

template <class T>
void LambdaCallback<T>::on_epoch_end(int epoch, Logs& logs) {
  if (!options_.on_epoch_end) return;
  EpochEnd info{epoch, logs, false};
  options_.on_epoch_end(info);
  if (info.stop_training) this->model().stop_training = true;
}

template class LambdaCallback<float>;
template class LambdaCallback<double>;

}  // namespace nn::callbacks
