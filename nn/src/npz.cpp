// Typed access to .npz archives (see nn/npz.hpp); the format itself is tapeflow::io's.
#include "nn/npz.hpp"

#include <cstring>
#include <type_traits>

namespace nn {
namespace {

template <class T>
constexpr const char* dtype_of() {
  if constexpr (std::is_same_v<T, float>) {
    return "<f4";
  } else if constexpr (std::is_same_v<T, double>) {
    return "<f8";
  } else {
    static_assert(std::is_same_v<T, std::int64_t>, "npz supports float, double and std::int64_t");
    return "<i8";
  }
}

}  // namespace

template <class T>
void NpzArchive::put(const std::string& name, const xt::xarray<T>& array) {
  NpyArray a;
  a.dtype = dtype_of<T>();
  a.shape.assign(array.shape().begin(), array.shape().end());
  a.bytes.resize(array.size() * sizeof(T));
  if (array.layout() == xt::layout_type::row_major) {
    if (!a.bytes.empty()) std::memcpy(a.bytes.data(), array.data(), a.bytes.size());
  } else {
    std::size_t i = 0;
    for (auto it = array.template cbegin<xt::layout_type::row_major>();
         it != array.template cend<xt::layout_type::row_major>(); ++it, i += sizeof(T)) {
      const T v = *it;
      std::memcpy(a.bytes.data() + i, &v, sizeof(T));
    }
  }
  put_raw(name, std::move(a));
}

template <class T>
xt::xarray<T> NpzArchive::get(const std::string& name) const {
  const NpyArray& a = raw(name);
  if (a.dtype != dtype_of<T>()) {
    throw FormatError("npz: entry '" + name + "' has dtype '" + a.dtype + "', expected '" + dtype_of<T>() + "'");
  }
  const auto nbytes = tapeflow::io::npy_byte_count(a.shape, sizeof(T));
  if (!nbytes || *nbytes != a.bytes.size()) {
    throw FormatError("npz: entry '" + name + "': " + std::to_string(a.bytes.size()) + " bytes do not match shape " +
                      tapeflow::io::npy_shape_repr(a.shape));
  }
  auto out = xt::xarray<T>::from_shape(a.shape);
  if (*nbytes != 0) std::memcpy(out.data(), a.bytes.data(), *nbytes);
  return out;
}

template void NpzArchive::put<float>(const std::string&, const xt::xarray<float>&);
template void NpzArchive::put<double>(const std::string&, const xt::xarray<double>&);
template void NpzArchive::put<std::int64_t>(const std::string&, const xt::xarray<std::int64_t>&);
template xt::xarray<float> NpzArchive::get<float>(const std::string&) const;
template xt::xarray<double> NpzArchive::get<double>(const std::string&) const;
template xt::xarray<std::int64_t> NpzArchive::get<std::int64_t>(const std::string&) const;

void save_npz(const std::string& path, const NpzArchive& archive) { tapeflow::io::save_npz(path, archive); }

NpzArchive load_npz(const std::string& path) { return NpzArchive(tapeflow::io::load_npz(path)); }

}  // namespace nn
