// NumPy .npz archives (a ZIP of .npy files) on libzip: numpy.load opens what we save, and we open
// what np.savez and np.savez_compressed write. Arrays are raw bytes here (tapeflow/io/npy.hpp);
// nn::NpzArchive adds typed access with xtensor.
//
//   tapeflow::io::NpzArchive a;
//   a.put_raw("dense/kernel", {"<f4", {2, 3}, bytes});
//   tapeflow::io::save_npz("model.npz", a);          // atomic (tapeflow::files::AtomicFile)
//   auto b = tapeflow::io::load_npz("model.npz");
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tapeflow/io/npy.hpp"

namespace tapeflow::io {

class NpzArchive {
 public:
  // Replaces an entry of the same name in place. Throws std::invalid_argument naming the entry
  // for an unsupported dtype or bytes that do not match the shape.
  void put_raw(const std::string& name, NpyArray array);
  bool contains(const std::string& name) const { return arrays_.count(name) != 0; }
  // Throws std::out_of_range naming the entry if absent.
  const NpyArray& raw(const std::string& name) const;
  std::vector<std::string> names() const { return order_; }  // in insertion order
  std::size_t size() const { return order_.size(); }

 private:
  std::map<std::string, NpyArray> arrays_;
  std::vector<std::string> order_;
};

// Entries are stored as "<name>.npy" (as numpy does), uncompressed, with a fixed timestamp
// (1980-01-01 00:00), so the same archive always gives the same bytes. The archive is built in
// memory and replaces `path` atomically. Throws std::runtime_error naming the file.
void save_npz(const std::string& path, const NpzArchive& archive);

// Reads a regular file only (tapeflow::files::read_regular_file), then parse_npz.
NpzArchive load_npz(const std::string& path);

// The archive in `bytes`: STORED or DEFLATE entries, ZIP64, .npy 1.0 to 3.0. Every problem (not
// a ZIP, truncation, CRC mismatch, an entry that is not a supported .npy) is a FormatError
// "load_npz: '<name>': [entry '<entry>': ]at byte offset <n>...: <what>".
NpzArchive parse_npz(std::string_view bytes, const std::string& name);

}  // namespace tapeflow::io
