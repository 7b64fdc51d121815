// NumPy .npz archives of tensors: tapeflow::io's archive of raw .npy arrays (ZIP via libzip; see
// tapeflow/io/npz.hpp) with typed access through xtensor. Saves are atomic and deterministic;
// loads read np.savez and np.savez_compressed files, and convert Fortran-ordered arrays.
//
//   nn::NpzArchive a;
//   a.put("dense/kernel", kernel);          // xt::xarray<float>, <double> or <std::int64_t>
//   nn::save_npz("model.npz", a);
//   auto b = nn::load_npz("model.npz");
//   xt::xarray<float> k = b.get<float>("dense/kernel");   // throws if missing or of another dtype
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <xtensor/xarray.hpp>

#include "tapeflow/io/errors.hpp"
#include "tapeflow/io/npz.hpp"

namespace nn {

// A malformed, truncated or corrupt file; the message names the file and the byte offset or
// entry where reading failed. The same type as datasets::FormatError.
using FormatError = tapeflow::io::FormatError;

// One array: its numpy dtype ("<f4", "<f8", "<i8"), shape and raw little-endian C-order bytes.
using NpyArray = tapeflow::io::NpyArray;

// put_raw, raw, contains, names (insertion order) and size come from tapeflow::io::NpzArchive.
class NpzArchive : public tapeflow::io::NpzArchive {
 public:
  NpzArchive() = default;
  explicit NpzArchive(tapeflow::io::NpzArchive raw) : tapeflow::io::NpzArchive(std::move(raw)) {}

  template <class T>
  void put(const std::string& name, const xt::xarray<T>& array);  // T: float, double, std::int64_t
  // Throws std::out_of_range naming the entry if absent, FormatError naming entry, expected and
  // actual dtype if the dtype differs.
  template <class T>
  xt::xarray<T> get(const std::string& name) const;
};

// Entry names are stored as "<name>.npy", as numpy does. Throws std::runtime_error naming the
// file on I/O failure. load_npz refuses anything but a regular file ("'<path>' is not a regular
// file (character device)") and reads no more than the size the file has when opened.
void save_npz(const std::string& path, const NpzArchive& archive);
NpzArchive load_npz(const std::string& path);

}  // namespace nn
