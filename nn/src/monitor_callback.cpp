// nn::callbacks::MonitorCallback: the direction of improvement of a logged value and its best.
#include "nn/callbacks.hpp"

#include <limits>
#include <stdexcept>

#include "check.hpp"

namespace nn::callbacks {

template <class T>
MonitorCallback<T>::MonitorCallback(std::string who, std::string monitor, const std::string& mode, double min_delta)
    : who_(std::move(who)), monitor_(std::move(monitor)), min_delta_(min_delta) {
  detail::require(mode == "auto" || mode == "min" || mode == "max", who_, "mode", "auto, min or max", mode);
  detail::require_finite_nonnegative(who_, "min_delta", min_delta_);
  // Keras: "auto" maximizes accuracies and minimizes anything else.
  maximize_ = mode == "max" || (mode == "auto" && monitor_.find("acc") != std::string::npos);
}

template <class T>
void MonitorCallback<T>::on_train_begin(const Logs&) {
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

template <class T>
bool MonitorCallback<T>::improved(const Logs& logs) {
  const auto it = logs.find(monitor_);
  if (it == logs.end()) {
    std::string keys;
    for (const auto& [k, v] : logs) keys += (keys.empty() ? "" : ", ") + k;
    throw std::invalid_argument(who_ + ": '" + monitor_ + "' is not in the logs (" + keys + ")");
  }
  const double current = it->second;
  const bool better = maximize_ ? current > best_ + min_delta_ : current < best_ - min_delta_;
  if (better) best_ = current;
  return better;
}

template class MonitorCallback<float>;
template class MonitorCallback<double>;

}  // namespace nn::callbacks
