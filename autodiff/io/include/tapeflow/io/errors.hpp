// The one exception for malformed files, shared by every reader (npz, IDX, CSV, Boston), and the
// helper that quotes bytes from such a file in a message.
//
//   throw tapeflow::io::FormatError("load_npz: '" + path + "': entry '" + printable(name) + "': ...");
//
// nn::FormatError and datasets::FormatError are this type (aliases), so a caller catches one type
// whichever library read the file.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tapeflow::io {

// The file exists but is malformed, truncated or corrupt. The message names the file and where
// reading failed: a byte offset or entry for binary formats, a line and column for text formats.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `text` quoted for an error message: at most `max_chars` characters (then "..."), bytes outside
// printable ASCII as \xNN, a backslash doubled.
std::string printable(std::string_view text, std::size_t max_chars = 40);

}  // namespace tapeflow::io
