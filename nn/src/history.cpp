#include "nn/history.hpp"

#include <stdexcept>

namespace nn {

const std::vector<double>& History::operator[](const std::string& key) const {
  auto it = values.find(key);
  if (it == values.end()) {
    std::string known;
    for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
    throw std::out_of_range("History: no values for '" + key + "' (known: " + known + ")");
  }
  return it->second;
}

}  // namespace nn
