// What Sequential::compact() removed: per Dense layer the units before and after, the removed
// units and the constants folded into the next layer's bias, the input features kept, and the
// parameter counts. to_string() prints it as a table.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace nn {

struct CompactionReport {
  struct LayerRow {
    std::string name;                      // the Dense layer's name, "dense_1"
    std::size_t units_before = 0;
    std::size_t units_after = 0;
    std::vector<std::size_t> removed;      // original unit indices, ascending
    // (original unit index, its constant output f(bias)) for the removed units whose incoming
    // weights were all zero: constant · (outgoing row) went into the next Dense layer's bias
    // (nothing for a constant 0, e.g. relu of a negative bias).
    std::vector<std::pair<std::size_t, double>> folded;
    std::string kept_because;              // why its units were not candidates ("output layer", ...), or ""
  };
  std::size_t input_features = 0;          // the first Dense layer's inputs before
  std::vector<std::size_t> kept_features;  // the ones kept, ascending (all of them if none dropped)
  std::vector<LayerRow> layers;            // one per Dense layer, in order
  std::vector<std::string> untouched;      // Conv2D and pooling layers before the first Dense, copied as they are
  std::size_t parameters_before = 0;
  std::size_t parameters_after = 0;
  std::string to_string() const;
};

}  // namespace nn
