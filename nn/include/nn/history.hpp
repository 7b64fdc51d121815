// What fit() reports: the logs of an epoch by name, and the History of all epochs.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace nn {

// Per-epoch values by name: "loss" (data loss + penalty), "data_loss", "penalty", "val_loss",
// each metric and "val_<metric>", "seconds"; callbacks may add more ("learning_rate").
using Logs = std::map<std::string, double>;

struct History {
  std::vector<int> epochs;                          // 0-based epoch numbers that ran
  std::map<std::string, std::vector<double>> values;  // one entry per epoch for each key
  const std::vector<double>& operator[](const std::string& key) const;  // throws naming known keys
  bool contains(const std::string& key) const { return values.count(key) != 0; }
};

}  // namespace nn
