// Reading and writing NumPy .npz archives (a ZIP of .npy files), so numpy.load can open what we
// save and we can open what numpy saves (np.savez, uncompressed or np.savez_compressed).
// Writes are atomic (tapeflow::files::AtomicFile): the archive goes to an unnamed temporary file
// in the same directory, is flushed to disk and renamed over the target, so a crash mid-save
// leaves the previous file intact and, after the next save into that directory, no temporaries.
//
//   nn::NpzArchive a;
//   a.put("dense/kernel", kernel);          // xt::xarray<float>, <double> or <std::int64_t>
//   nn::save_npz("model.npz", a);
//   auto b = nn::load_npz("model.npz");
//   xt::xarray<float> k = b.get<float>("dense/kernel");   // throws if missing or of another dtype
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "tapeflow/io/errors.hpp"

namespace nn {

// A malformed, truncated or corrupt file; the message names the file and the byte offset or
// entry where reading failed. The same type as datasets::FormatError.
using FormatError = tapeflow::io::FormatError;

// One array: its numpy dtype ("<f4", "<f8", "<i8"), shape and raw little-endian C-order bytes.
struct NpyArray {
  std::string dtype;
  std::vector<std::size_t> shape;
  std::vector<char> bytes;
};

class NpzArchive {
 public:
  template <class T>
  void put(const std::string& name, const xt::xarray<T>& array);  // T: float, double, std::int64_t
  void put_raw(const std::string& name, NpyArray array);
  bool contains(const std::string& name) const { return arrays_.count(name) != 0; }
  // Throws std::out_of_range naming the entry if absent, FormatError naming entry, expected and
  // actual dtype if the dtype differs.
  template <class T>
  xt::xarray<T> get(const std::string& name) const;
  const NpyArray& raw(const std::string& name) const;
  std::vector<std::string> names() const;  // in insertion order
  std::size_t size() const { return order_.size(); }

 private:
  std::map<std::string, NpyArray> arrays_;
  std::vector<std::string> order_;
};

// Entry names are stored as "<name>.npy", as numpy does. Throws std::runtime_error naming the
// file on I/O failure. load_npz refuses anything but a regular file ("'<path>' is not a regular
// file (character device)") and reads no more than the size the file has when opened.
void save_npz(const std::string& path, const NpzArchive& archive);
NpzArchive load_npz(const std::string& path);

}  // namespace nn
