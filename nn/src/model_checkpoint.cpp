// nn::callbacks::ModelCheckpoint: saves the model every epoch, or when the monitored value improved.
#include "nn/callbacks.hpp"
#include "nn/sequential.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "check.hpp"

namespace nn::callbacks {

namespace {

// The text of a "{...}" field of a file name pattern for a 1-based epoch: "epoch" as is,
// "epoch:Nd" padded with spaces and "epoch:0Nd" with zeros to N digits (Python's format).
std::string epoch_field(const std::string& field, int epoch, const std::string& pattern) {
  const std::string number = std::to_string(epoch);
  if (field == "epoch") return number;
  const std::string spec = field.rfind("epoch:", 0) == 0 ? field.substr(6) : "";
  const bool digits = spec.size() >= 2 && spec.back() == 'd' &&
                      std::all_of(spec.begin(), spec.end() - 1, [](unsigned char c) { return std::isdigit(c); });
  detail::require(digits && spec.size() <= 4, "ModelCheckpoint", "filepath",
                  "free of {...} fields other than {epoch}, {epoch:Nd} and {epoch:0Nd} (N < 100)", pattern);
  const std::size_t width = std::stoul(spec.substr(0, spec.size() - 1));
  const char fill = spec.front() == '0' ? '0' : ' ';
  return number.size() >= width ? number : std::string(width - number.size(), fill) + number;
}

std::string format_path(const std::string& pattern, int epoch) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::size_t close = pattern[i] == '{' ? pattern.find('}', i) : std::string::npos;
    detail::require(pattern[i] != '}' && (pattern[i] != '{' || close != std::string::npos), "ModelCheckpoint",
                    "filepath", "free of unmatched braces", pattern);
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    out += epoch_field(pattern.substr(i + 1, close - i - 1), epoch, pattern);
    i = close;
  }
  return out;
}

}  // namespace

template <class T>
ModelCheckpoint<T>::ModelCheckpoint(nn::ModelCheckpoint options)
    : MonitorCallback<T>("ModelCheckpoint", options.monitor, options.mode, 0), options_(std::move(options)) {
  detail::require(!options_.filepath.empty(), "ModelCheckpoint", "filepath", "a file name", "an empty string");
  (void)path_for(0);  // checks the {epoch} fields
}

template <class T>
std::string ModelCheckpoint<T>::path_for(int epoch) const {
  return format_path(options_.filepath, epoch + 1);  // Keras names files by 1-based epochs
}

template <class T>
void ModelCheckpoint<T>::on_epoch_end(int epoch, Logs& logs) {
  if (options_.save_best_only && !this->improved(logs)) return;  // no min_delta, as in Keras
  if (!this->model().writes_files()) return;  // rank 0 of a distributed model writes, the others decided alike
  const std::filesystem::path path = path_for(epoch);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  if (options_.save_weights_only) {
    this->model().save_weights(path.string());
  } else {
    this->model().save_checkpoint(path.string(), epoch + 1);
  }
}

template class ModelCheckpoint<float>;
template class ModelCheckpoint<double>;

}  // namespace nn::callbacks
