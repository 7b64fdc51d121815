#include "datasets/paths.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "tapeflow/io/files.hpp"
#include "datasets/errors.hpp"

#ifndef TAPEFLOW_DEFAULT_DATA_DIR
#define TAPEFLOW_DEFAULT_DATA_DIR "data"
#endif
#ifndef TAPEFLOW_BINARY_DIR
#define TAPEFLOW_BINARY_DIR "build"
#endif
#ifndef TAPEFLOW_FETCH_TARGET
#define TAPEFLOW_FETCH_TARGET "fetch-data"
#endif

namespace datasets {

std::string default_data_dir() { return TAPEFLOW_DEFAULT_DATA_DIR; }

std::string data_dir(const std::string& cli_value) {
  if (!cli_value.empty()) return cli_value;
  if (const char* env = std::getenv("TAPEFLOW_DATA"); env != nullptr && *env != '\0') return env;
  return default_data_dir();
}

std::string fetch_command() { return std::string("cmake --build ") + TAPEFLOW_BINARY_DIR + " --target " TAPEFLOW_FETCH_TARGET; }

std::string fetch_hint() { return "run: " + fetch_command() + "   (or set TAPEFLOW_DATA)"; }

namespace detail {

std::string read_whole_file(const std::string& path, std::string_view who) {
  try {
    return tapeflow::files::read_regular_file(path, who);
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::no_such_file_or_directory || e.code() == std::errc::not_a_directory) {
      throw MissingDataError(std::string(who) + ": '" + path + "' not found; " + fetch_hint());
    }
    throw;
  }
}

}  // namespace detail
}  // namespace datasets
