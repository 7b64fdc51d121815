// Training history and callbacks for Sequential::fit.
//
//   auto history = model.fit(x, y, {.epochs = 50, .callbacks = {
//       nn::EarlyStopping{.monitor = "val_loss", .patience = 5, .restore_best_weights = true},
//       nn::CSVLogger{.path = "log.csv"},
//       nn::LambdaCallback{[](nn::EpochEnd& e) { if (e.logs.at("loss") < 0.01) e.stop_training = true; }}}});
#pragma once

#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace nn {

// Per-epoch values by name: "loss" (data loss + penalty), "data_loss", "penalty", "val_loss",
// each metric and "val_<metric>", "seconds".
using Logs = std::map<std::string, double>;

struct History {
  std::vector<int> epochs;                          // 0-based epoch numbers that ran
  std::map<std::string, std::vector<double>> values;  // one entry per epoch for each key
  const std::vector<double>& operator[](const std::string& key) const;  // throws naming known keys
  bool contains(const std::string& key) const { return values.count(key) != 0; }
};

// Stops when `monitor` has not improved by more than min_delta for `patience` epochs. mode
// "auto" minimizes losses and errors and maximizes anything named like accuracy. fit() refuses a
// negative patience and a min_delta that is negative, NaN or infinite (Keras would take |min_delta|).
struct EarlyStopping {
  std::string monitor = "val_loss";
  int patience = 0;
  double min_delta = 0;
  std::string mode = "auto";  // "min", "max" or "auto"
  bool restore_best_weights = false;
};

// One row per epoch (epoch, then the logs in key order), flushed as it is written.
struct CSVLogger {
  std::string path;
  bool append = false;
  char separator = ',';
};

struct EpochEnd {
  int epoch;               // 0-based
  const Logs& logs;
  bool stop_training;      // set to true to stop after this epoch
};

struct LambdaCallback {
  std::function<void(EpochEnd&)> on_epoch_end;
};

using Callback = std::variant<EarlyStopping, CSVLogger, LambdaCallback>;

}  // namespace nn
