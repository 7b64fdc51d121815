// libFuzzer target for the .npz reader (ZIP via libzip, .npy headers by hand): any input must
// either parse or throw tapeflow::io::FormatError; any other exception, a crash or undefined
// behaviour is a bug. Built with -DTAPEFLOW_FUZZ=ON (clang); see autodiff/io/CMakeLists.txt.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tapeflow/io/errors.hpp"
#include "tapeflow/io/npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const tapeflow::io::NpzArchive a =
        tapeflow::io::parse_npz(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz-input");
    // What the reader promises about a result: supported dtypes, bytes that match the shapes.
    for (const std::string& name : a.names()) {
      const tapeflow::io::NpyArray& array = a.raw(name);
      const std::size_t itemsize = tapeflow::io::npy_itemsize(array.dtype);
      const auto nbytes = tapeflow::io::npy_byte_count(array.shape, itemsize);
      if (itemsize == 0 || !nbytes || *nbytes != array.bytes.size()) __builtin_trap();
    }
  } catch (const tapeflow::io::FormatError&) {
  }
  return 0;
}
