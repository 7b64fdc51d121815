// What Sequential::compact() removed: per Dense or Conv2D layer the units (filters) before and
// after, the removed units and the constants folded into the next layer's bias, the input
// features kept, and the parameter counts. to_string() prints it.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace nn {

struct CompactionReport {
  struct LayerRow {
    std::string name;                      // the layer's name, "dense_1", "conv2d"
    std::size_t units_before = 0;
    std::size_t units_after = 0;
    std::vector<std::size_t> removed;      // original unit indices, ascending
    // (original unit index, its constant output f(bias)) for the removed units whose incoming
    // weights were all zero: constant · (outgoing rows) went into the next layer's bias
    // (nothing for a constant 0, e.g. relu of a negative bias).
    std::vector<std::pair<std::size_t, double>> folded;
    std::string kept_because;              // why its units were not candidates ("output layer", ...), or ""
  };
  // The first kernel layer's input features before, and the ones kept, ascending (all of them
  // if none was dropped); 0 and none when the first kernel layer is a Conv2D (not dropped).
  std::size_t input_features = 0;
  std::vector<std::size_t> kept_features;
  std::vector<LayerRow> layers;            // one per Dense or Conv2D layer, in order
  std::size_t parameters_before = 0;
  std::size_t parameters_after = 0;
  std::string to_string() const;
};

}  // namespace nn
