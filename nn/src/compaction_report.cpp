// CompactionReport::to_string: what Sequential::compact() removed, as a small table.
#include <sstream>

#include "nn/compact.hpp"

#include "check.hpp"

namespace nn {

namespace {

std::string index_list(const std::vector<std::size_t>& indices) {
  std::string s = "[";
  for (std::size_t i = 0; i < indices.size(); ++i) s += (i ? ", " : "") + std::to_string(indices[i]);
  return s + "]";
}

}  // namespace

std::string CompactionReport::to_string() const {
  std::ostringstream s;
  if (input_features > 0) {
    s << "Input features: " << input_features << " -> " << kept_features.size();
    if (kept_features.size() < input_features) s << ", kept " << index_list(kept_features);
    s << "\n";
  }
  for (const auto& l : layers) {
    s << l.name << ": units " << l.units_before << " -> " << l.units_after;
    if (!l.removed.empty()) s << ", removed " << index_list(l.removed);
    if (!l.folded.empty()) {
      s << ", folded";
      for (const auto& [unit, value] : l.folded) s << " " << unit << ":" << detail::number(value);
    }
    if (!l.kept_because.empty()) s << " (kept: " << l.kept_because << ")";
    s << "\n";
  }
  s << "Parameters: " << parameters_before << " -> " << parameters_after << "\n";
  return s.str();
}

}  // namespace nn
