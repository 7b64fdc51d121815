#include "datasets/paths.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "datasets/errors.hpp"

#ifndef TAPEFLOW_DEFAULT_DATA_DIR
#define TAPEFLOW_DEFAULT_DATA_DIR "data"
#endif
#ifndef TAPEFLOW_BINARY_DIR
#define TAPEFLOW_BINARY_DIR "build"
#endif

namespace datasets {

std::string default_data_dir() { return TAPEFLOW_DEFAULT_DATA_DIR; }

std::string data_dir(const std::string& cli_value) {
  if (!cli_value.empty()) return cli_value;
  if (const char* env = std::getenv("TAPEFLOW_DATA"); env != nullptr && *env != '\0') return env;
  return default_data_dir();
}

std::string fetch_command() { return std::string("cmake --build ") + TAPEFLOW_BINARY_DIR + " --target fetch-data"; }

std::string fetch_hint() { return "run: " + fetch_command() + "   (or set TAPEFLOW_DATA)"; }

namespace detail {

std::string printable(std::string_view text, std::size_t max_chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  std::size_t shown = 0;
  for (const char ch : text) {
    if (shown == max_chars) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += ch;
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    ++shown;
  }
  return out;
}

std::string read_whole_file(const std::string& path, std::string_view who) {
  const std::string prefix = std::string(who) + ": '" + path + "': ";
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    throw MissingDataError(std::string(who) + ": '" + path + "' not found; " + fetch_hint());
  }
  if (status.type() == std::filesystem::file_type::directory) {
    throw std::runtime_error(prefix + "is a directory, not a file");
  }
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      throw MissingDataError(std::string(who) + ": '" + path + "' not found; " + fetch_hint());
    }
    throw std::runtime_error(prefix + "cannot open: " + std::strerror(err));
  }
  std::string bytes;
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  for (;;) {
    const std::size_t have = bytes.size();
    bytes.resize(have + kChunk);
    const std::size_t got = std::fread(bytes.data() + have, 1, kChunk, file.get());
    bytes.resize(have + got);
    if (got < kChunk) break;
  }
  if (std::ferror(file.get()) != 0) {
    const int err = errno;
    throw std::runtime_error(prefix + "cannot read: " + std::strerror(err));
  }
  return bytes;
}

}  // namespace detail
}  // namespace datasets
