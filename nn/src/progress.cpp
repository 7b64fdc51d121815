#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <sstream>

namespace nn::detail {

namespace {

std::string format_logs(const Logs& logs) {
  std::ostringstream s;
  s << std::setprecision(4);
  for (const auto& [k, v] : logs) {
    if (k == "seconds") continue;
    s << " - " << k << ": " << v;
  }
  return s.str();
}

std::string format_duration(double seconds) {
  char buf[32];
  if (seconds >= 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(seconds / 3600), int(seconds / 60) % 60, int(seconds) % 60);
  else if (seconds >= 60) std::snprintf(buf, sizeof buf, "%d:%02d", int(seconds / 60), int(seconds) % 60);
  else std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  return buf;
}

}  // namespace

Progress::Progress(int verbose, int epoch, int epochs, std::size_t steps)
    : verbose_(verbose), steps_(steps), start_(Clock::now()), tty_(isatty(fileno(stderr)) != 0) {
  if (verbose_ == 1 && tty_) std::fprintf(stderr, "Epoch %d/%d\n", epoch + 1, epochs);
  prefix_ = "Epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs);
}

bool Progress::draws_steps(int verbose) { return verbose == 1 && isatty(fileno(stderr)) != 0; }

void Progress::step(std::size_t done, double running_loss, const std::string& metrics) {
  if (verbose_ != 1 || !tty_) return;
  const auto now = Clock::now();
  if (done < steps_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done ? elapsed / double(done) * double(steps_ - done) : 0;
  const int width = 30, filled = steps_ ? int(width * double(done) / double(steps_)) : width;
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < width) bar += '>';
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%zu/%zu [%s] - ETA: %s - loss: %.4f%s\033[K", done, steps_, bar.c_str(),
               format_duration(eta).c_str(), running_loss, metrics.c_str());
  std::fflush(stderr);
}

void Progress::end(const Logs& logs) {
  if (verbose_ == 0) return;
  const double s = logs.count("seconds") ? logs.at("seconds") : 0;
  if (verbose_ == 1 && tty_) {
    std::fprintf(stderr, "\r%zu/%zu [==============================] - %s %.0fms/step%s\033[K\n", steps_, steps_,
                 format_duration(s).c_str(), steps_ ? s * 1000 / double(steps_) : 0.0, format_logs(logs).c_str());
  } else {
    std::fprintf(stderr, "%s - %zu steps - %.2fs%s\n", prefix_.c_str(), steps_, s, format_logs(logs).c_str());
  }
  std::fflush(stderr);
}

}  // namespace nn::detail
