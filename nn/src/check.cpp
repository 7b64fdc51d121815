#include "check.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace nn::detail {

std::string number(double v) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

void require(bool ok, std::string_view who, std::string_view option, std::string_view rule, std::string_view value) {
  if (ok) return;
  std::string message(who);
  message.append(": ").append(option).append(" must be ").append(rule).append(", got ").append(value);
  throw std::invalid_argument(message);
}

void require(bool ok, std::string_view who, std::string_view option, std::string_view rule, double value) {
  if (!ok) require(false, who, option, rule, std::string_view(number(value)));
}

void require_finite(std::string_view who, std::string_view option, double value) {
  require(std::isfinite(value), who, option, "a finite number", value);
}

void require_finite_nonnegative(std::string_view who, std::string_view option, double value) {
  require(value >= 0 && std::isfinite(value), who, option, "a finite number >= 0", value);
}

void require_finite_positive(std::string_view who, std::string_view option, double value) {
  require(value > 0 && std::isfinite(value), who, option, "a finite number > 0", value);
}

void require_fraction(std::string_view who, std::string_view option, double value) {
  require(value >= 0 && value < 1, who, option, "in [0, 1)", value);
}

}  // namespace nn::detail
