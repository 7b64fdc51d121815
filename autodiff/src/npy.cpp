// save_npy / load_npy (see autodiff/npy.hpp) on tapeflow::io: npy_header and parse_npy for the
// format, AtomicFile and read_regular_file for the file. The only place autodiff uses tapeflow::io.
#include "autodiff/npy.hpp"

#include <cstring>
#include <exception>
#include <type_traits>

#include <tapeflow/io/errors.hpp>
#include <tapeflow/io/files.hpp>
#include <tapeflow/io/npy.hpp>

namespace ad {
namespace {

template <class T>
constexpr const char* dtype_of() {
  return std::is_same_v<T, float> ? "<f4" : "<f8";
}

// numpy's name for a dtype string, for messages.
std::string dtype_name(const std::string& dtype) {
  if (dtype == "<f4") return "'<f4' (float32)";
  if (dtype == "<f8") return "'<f8' (float64)";
  if (dtype == "<i8") return "'<i8' (int64)";
  return "'" + dtype + "'";
}

// Var values are row-major by type, so their memory is already in .npy's C order (and the host
// little-endian: tapeflow/io/npy.cpp checks).
static_assert(xt::xarray<float>::static_layout == xt::layout_type::row_major);

}  // namespace

template <class T>
void save_npy(const std::string& path, const Var<T>& x) {
  if (!x.defined()) throw ValueError("save_npy: '" + path + "': the Var is undefined");
  tapeflow::io::NpyArray a;
  a.dtype = dtype_of<T>();
  a.shape.assign(x.shape().begin(), x.shape().end());
  a.bytes.resize(x.size() * sizeof(T));
  if (!a.bytes.empty()) std::memcpy(a.bytes.data(), x.value().data(), a.bytes.size());
  std::string file = tapeflow::io::npy_header(a);
  file.append(a.bytes.begin(), a.bytes.end());
  try {
    tapeflow::files::write_file_atomically(path, file, "save_npy");
  } catch (const std::exception& e) {
    throw FileError(e.what());  // names save_npy and the file
  }
}

template <class T>
Var<T> load_npy(const std::string& path) {
  tapeflow::io::NpyArray a;
  try {
    const std::string file = tapeflow::files::read_regular_file(path, "load_npy");
    a = tapeflow::io::parse_npy(reinterpret_cast<const unsigned char*>(file.data()), file.size());
  } catch (const tapeflow::io::FormatError& e) {
    throw FileError("load_npy: '" + path + "': " + e.what());
  } catch (const std::exception& e) {
    throw FileError(e.what());  // read_regular_file's message names load_npy and the file
  }
  if (a.dtype != dtype_of<T>()) {
    throw FileError("load_npy: '" + path + "' holds dtype " + dtype_name(a.dtype) + ", expected " +
                    dtype_name(dtype_of<T>()) + " for Var<" + (std::is_same_v<T, float> ? "float" : "double") + ">");
  }
  auto value = xt::xarray<T>::from_shape(a.shape);
  if (!a.bytes.empty()) std::memcpy(value.data(), a.bytes.data(), a.bytes.size());  // parse_npy checked the size
  return Var<T>(std::move(value));
}

template void save_npy<float>(const std::string&, const Var<float>&);
template void save_npy<double>(const std::string&, const Var<double>&);
template Var<float> load_npy<float>(const std::string&);
template Var<double> load_npy<double>(const std::string&);

}  // namespace ad
