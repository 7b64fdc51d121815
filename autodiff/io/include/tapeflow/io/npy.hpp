// The .npy format (numpy.lib.format): one array as a preamble, a Python-dict header and raw
// little-endian bytes. Headers are written and parsed here by hand: xtensor's xnpy reports
// malformed input as bare exceptions without offsets, knows no 'fortran_order' conversion for
// our byte buffers and does not bound the sizes a header declares.
//
//   std::string head = tapeflow::io::npy_header(array);   // + array.bytes = a .npy file
//   NpyArray a = tapeflow::io::parse_npy(data, size);     // C order, whatever the file's order
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tapeflow::io {

// One array: its numpy dtype ("<f4", "<f8", "<i8"), shape and raw little-endian C-order bytes.
struct NpyArray {
  std::string dtype;
  std::vector<std::size_t> shape;
  std::vector<char> bytes;
};

// Item size of a supported dtype ('<f4', '<f8', '<i8'), or 0 if unsupported.
std::size_t npy_itemsize(std::string_view dtype);

// product(shape) * itemsize, or nullopt if that (or the product of the non-zero dimensions)
// exceeds PTRDIFF_MAX, which is more than any array can hold.
std::optional<std::size_t> npy_byte_count(const std::vector<std::size_t>& shape, std::size_t itemsize);

// Python's repr of a shape tuple: "()", "(3,)", "(2, 3)".
std::string npy_shape_repr(const std::vector<std::size_t>& shape);

// The .npy preamble and header dict (C order), padded with spaces and a newline to a multiple
// of 64 bytes: format 1.0, or 2.0 when the header needs more than 65535 bytes.
std::string npy_header(const NpyArray& a);

// A whole .npy file (format 1.0, 2.0 or 3.0) of a supported dtype. A 'fortran_order': True array
// (numpy writes them for W.T) is converted to C order. Throws FormatError "at byte offset <n> of
// the .npy: <what>"; the caller prefixes the file and entry.
NpyArray parse_npy(const unsigned char* p, std::size_t n);

}  // namespace tapeflow::io
