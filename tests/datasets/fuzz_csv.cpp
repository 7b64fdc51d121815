// libFuzzer target for the CSV reader: any input must either parse or throw
// datasets::FormatError; any other exception, a crash or undefined behaviour is a bug.
// The first byte picks the separator. Built with -DTAPEFLOW_FUZZ=ON (clang).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "datasets/csv.hpp"
#include "datasets/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr char kSeps[] = {',', ';', '\t', '|'};
  const char sep = kSeps[data[0] % 4];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const datasets::Table t = datasets::parse_csv(text, "fuzz-input", sep);
    // What the parser promises about a result.
    if (t.values.dimension() != 2 || t.values.shape()[1] != t.columns.size() || t.columns.empty()) __builtin_trap();
    for (const double v : t.values) {
      if (!std::isfinite(v)) __builtin_trap();
    }
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      if (t.column(t.columns[c]) != c) __builtin_trap();  // names are distinct
    }
    const auto [x, y] = datasets::features_and_target(t, t.columns.back());
    if (x.shape()[0] != t.rows() || y.shape()[0] != t.rows() || x.shape()[1] + 1 != t.columns.size()) __builtin_trap();
    // A name longer than every column's is none of them.
    std::string absent = "?";
    for (const auto& c : t.columns) absent += c;
    try {
      (void)t.column(absent);
      __builtin_trap();
    } catch (const std::out_of_range&) {
    }
  } catch (const datasets::FormatError&) {
  }
  return 0;
}
