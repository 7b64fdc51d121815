// fit()'s display: Keras-style progress on stderr, a redrawn bar on a terminal (verbose 1),
// one line per epoch otherwise (verbose 2, or verbose 1 when stderr is not a terminal).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "nn/history.hpp"

namespace nn::detail {

class Progress {
 public:
  Progress(int verbose, int epoch, int epochs, std::size_t steps);
  // Whether step() draws anything at this verbosity (a bar on a terminal).
  static bool draws_steps(int verbose);
  // After `done` of the epoch's steps; `metrics` is the text after the loss (" - acc: 0.5").
  void step(std::size_t done, double running_loss, const std::string& metrics);
  void end(const Logs& logs);  // the epoch's line

 private:
  using Clock = std::chrono::steady_clock;
  int verbose_;
  std::size_t steps_;
  Clock::time_point start_, last_draw_{};
  bool tty_;
  std::string prefix_;
};

}  // namespace nn::detail
