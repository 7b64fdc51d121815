// libFuzzer target for the IDX reader (plain and gzip): any input must either parse or throw
// datasets::FormatError; any other exception, a crash or undefined behaviour is a bug.
// Built with -DTAPEFLOW_FUZZ=ON (clang); see datasets/CMakeLists.txt.
#include <cstddef>
#include <cstdint>
#include <string>

#include "datasets/errors.hpp"
#include "datasets/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const datasets::IdxArray a = datasets::parse_idx(data, size, "fuzz-input");
    // What the parser promises about a result.
    std::size_t count = 1;
    for (const std::size_t d : a.dims) count *= d;
    if (a.type_code != 0x08 || a.dims.empty() || a.dims.size() > 4 || count != a.data.size()) __builtin_trap();
  } catch (const datasets::FormatError&) {
  }
  return 0;
}
