// The two exceptions every dataset reader throws.
//
//   FormatError       the file exists but is malformed, truncated or corrupt. The message names
//                     the file and where reading failed: a byte offset for binary formats (IDX,
//                     gzip), a 1-based line and column for text formats (CSV).
//   MissingDataError  the file does not exist. The message names the file and the command that
//                     downloads it (datasets::fetch_hint(), see paths.hpp).
//
// Other I/O failures (permission denied, a directory where a file was expected) are plain
// std::runtime_error naming the file and the system's reason.
#pragma once

#include <stdexcept>

#include "tapeflow/io/errors.hpp"

namespace datasets {

// The one FormatError of every tapeflow reader (nn's .npz loader throws it too).
using FormatError = tapeflow::io::FormatError;

class MissingDataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace datasets
