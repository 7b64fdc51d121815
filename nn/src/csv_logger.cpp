// nn::callbacks::CSVLogger: one CSV row of logs per epoch.
#include "nn/callbacks.hpp"
#include "nn/sequential.hpp"

#include <cerrno>
#include <cstring>
#include <iomanip>
#include <stdexcept>

namespace nn::callbacks {

template <class T>
CSVLogger<T>::CSVLogger(nn::CSVLogger options) : options_(std::move(options)) {
  if (options_.path.empty()) throw std::invalid_argument("CSVLogger: path must not be empty");
}

template <class T>
void CSVLogger<T>::on_train_begin(const Logs&) {
  if (!this->model().writes_files()) return;  // a distributed model's ranks other than 0
  file_ = std::ofstream(options_.path, options_.append ? std::ios::app : std::ios::trunc);
  if (!file_) throw std::runtime_error("CSVLogger: cannot open '" + options_.path + "': " + std::strerror(errno));
  header_written_ = options_.append && file_.tellp() > 0;
}

template <class T>
void CSVLogger<T>::on_epoch_end(int epoch, Logs& logs) {
  if (!this->model().writes_files()) return;
  if (!header_written_) {
    file_ << "epoch";
    for (const auto& [k, v] : logs) file_ << options_.separator << k;
    file_ << "\n";
    header_written_ = true;
  }
  file_ << epoch;
  for (const auto& [k, v] : logs) file_ << options_.separator << std::setprecision(10) << v;
  file_ << "\n";
  file_.flush();
  if (!file_) throw std::runtime_error("CSVLogger: writing '" + options_.path + "' failed");
}

template <class T>
void CSVLogger<T>::on_train_end(const Logs&) {
  if (!this->model().writes_files()) return;
  file_.close();
  if (!file_) throw std::runtime_error("CSVLogger: closing '" + options_.path + "' failed");
}

template class CSVLogger<float>;
template class CSVLogger<double>;

}  // namespace nn::callbacks
