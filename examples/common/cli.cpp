#include "cli.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace cli {
namespace {

// A validator of a finite number that also passes `accept`: `wanted` describes the accepted values in
// the error message, `help` in --help.
template <class Accept>
CLI::Validator finite_number(const std::string& wanted, const std::string& help, Accept accept) {
  return CLI::Validator(
      [wanted, accept](std::string& text) -> std::string {
        const char* begin = text.c_str();
        char* end = nullptr;
        const double value = std::strtod(begin, &end);
        if (text.empty() || end != begin + text.size() || !std::isfinite(value) || !accept(value))
          return "must be " + wanted + ", got '" + text + "'";
        return {};
      },
      help);
}

}  // namespace

std::string program_name(const CLI::App& app) { return std::filesystem::path(app.get_name()).filename().string(); }

void one_line_errors(CLI::App& app) {
  app.failure_message(
      [](const CLI::App* parsed, const CLI::Error& e) { return program_name(*parsed) + ": " + e.what() + "\n"; });
}

CLI::Validator finite_positive() {
  return finite_number("a finite number > 0", "finite > 0", [](double v) { return v > 0; });
}

CLI::Validator finite_non_negative() {
  return finite_number("a finite number >= 0", "finite >= 0", [](double v) { return v >= 0; });
}

std::string integer_range_message(const std::string& lo, const std::string& hi, const std::string& value) {
  return "must be an integer in [" + lo + ", " + hi + "], got '" + value + "'";
}

void check_output_dir(const std::string& option, const std::string& dir) {
  if (dir.empty()) throw CLI::ValidationError(option, "must name a directory, got ''");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
    throw CLI::ValidationError(option, "'" + dir + "' exists and is not a directory");
  std::filesystem::create_directories(dir, ec);
  if (ec) throw CLI::ValidationError(option, "cannot create directory '" + dir + "': " + ec.message());
  const std::string probe = dir + "/.write-test." + std::to_string(getpid());
  std::FILE* file = std::fopen(probe.c_str(), "wx");
  int error = file ? 0 : errno;
  if (file) {
    if (std::fputc('\n', file) == EOF) error = errno;
    if (std::fclose(file) != 0 && !error) error = errno;
    std::remove(probe.c_str());
  }
  if (error) throw CLI::ValidationError(option, "cannot write to directory '" + dir + "': " + std::strerror(error));
}

}  // namespace cli
