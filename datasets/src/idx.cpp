// IDX reader and writer. The whole file is read into memory; a gzip file is inflated in pieces
// straight into the result, so a header that declares more data than the file holds never makes
// us allocate what it declares, and a gzip bomb stops at the declared size (the extra output is
// reported as trailing data).
#include "datasets/idx.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "datasets/paths.hpp"
#include "tapeflow/io/gzip.hpp"

namespace datasets {
namespace {

constexpr std::size_t kMaxDims = 4;
constexpr std::uint8_t kUnsignedByte = 0x08;

std::string type_name(std::uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "";
  }
}

std::string hex_byte(std::uint8_t b) {
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[b >> 4] + kHex[b & 15];
}

// "1 byte", "2 bytes".
std::string bytes_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

std::string dims_text(const std::vector<std::size_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i != 0) s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

// Where a problem is: the file's name, whether it is gzip, and what an offset counts.
struct Place {
  const std::string& name;
  bool gzip;
  // An offset into the decompressed data (gzip) or into the file (plain).
  [[noreturn]] void fail(std::uint64_t offset, const std::string& what) const {
    if (gzip) {
      throw FormatError("read_idx: '" + name + "' (gzip): at byte offset " + std::to_string(offset) +
                        " of the decompressed data: " + what);
    }
    throw FormatError("read_idx: '" + name + "': at byte offset " + std::to_string(offset) + ": " + what);
  }
};

// The IDX bytes, either straight from memory or through a GzipReader.
class Source {
 public:
  Source(const std::uint8_t* bytes, std::size_t size, tapeflow::io::GzipReader* gzip)
      : bytes_(bytes), size_(size), gzip_(gzip) {}
  // Fills `out` with up to n bytes; fewer only at the end of the data.
  std::size_t read(std::uint8_t* out, std::size_t n) {
    std::size_t got;
    if (gzip_ != nullptr) {
      got = gzip_->read(out, n);
    } else {
      got = std::min(n, size_ - pos_);
      if (got != 0) std::memcpy(out, bytes_ + pos_, got);
    }
    pos_ += got;
    return got;
  }
  // A plain file knows how many bytes are left without reading them.
  bool plain() const { return gzip_ == nullptr; }
  std::size_t plain_remaining() const { return size_ - pos_; }

 private:
  const std::uint8_t* bytes_;
  std::size_t size_;
  std::size_t pos_ = 0;
  tapeflow::io::GzipReader* gzip_;
};

std::uint32_t big_endian32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
}

IdxArray parse(Source& src, const Place& place) {
  IdxArray out;
  std::uint8_t magic[4] = {};
  const std::size_t got = src.read(magic, 4);
  if (got == 0) place.fail(0, "empty file: expected the 4-byte IDX magic 00 00 <type> <ndims>");
  for (std::size_t i = 0; i < std::min<std::size_t>(got, 2); ++i) {
    if (magic[i] != 0) {
      place.fail(i, "bad magic: byte " + std::to_string(i) + " is " + hex_byte(magic[i]) +
                        ", an IDX file starts with 00 00 <type> <ndims>");
    }
  }
  if (got >= 3 && magic[2] != kUnsignedByte) {
    const std::string known = type_name(magic[2]);
    if (known.empty()) {
      place.fail(2, "unsupported IDX type code " + hex_byte(magic[2]) + " (not an IDX type); only 0x08 (unsigned byte) is supported");
    }
    place.fail(2, "unsupported IDX type code " + hex_byte(magic[2]) + " (" + known +
                      "); only 0x08 (unsigned byte) is supported");
  }
  if (got >= 4 && (magic[3] == 0 || magic[3] > kMaxDims)) {
    place.fail(3, "unsupported number of dimensions " + std::to_string(magic[3]) + " (1 to " +
                      std::to_string(kMaxDims) + " are supported)");
  }
  if (got < 4) place.fail(got, "truncated header: the data ends inside the 4-byte IDX magic");
  out.type_code = magic[2];
  const std::size_t ndims = magic[3];
  const std::size_t header = 4 + 4 * ndims;

  std::uint8_t raw[4 * kMaxDims] = {};
  const std::size_t got_dims = src.read(raw, 4 * ndims);
  if (got_dims < 4 * ndims) {
    place.fail(4 + got_dims, "truncated header: the data ends inside the " + std::to_string(ndims) +
                                 " big-endian uint32 dimensions (the header is " + std::to_string(header) + " bytes)");
  }
  bool any_zero = false;
  for (std::size_t i = 0; i < ndims; ++i) {
    out.dims.push_back(big_endian32(raw + 4 * i));
    any_zero = any_zero || out.dims.back() == 0;
  }
  std::size_t count = 1;
  if (any_zero) {
    count = 0;
  } else {
    for (std::size_t i = 0; i < ndims; ++i) {
      if (count > std::numeric_limits<std::size_t>::max() / out.dims[i]) {
        place.fail(4 + 4 * i, "dimensions " + dims_text(out.dims) + " overflow: their product does not fit in " +
                                  std::to_string(sizeof(std::size_t) * 8) + " bits");
      }
      count *= out.dims[i];
    }
  }
  const auto too_short = [&](std::size_t have) {
    place.fail(header + have, "truncated data: dimensions " + dims_text(out.dims) + " need " + bytes_text(count) +
                                  " after the " + std::to_string(header) + "-byte header, but the " +
                                  (place.gzip ? "decompressed data has" : "file has") + " only " +
                                  std::to_string(have));
  };

  if (src.plain()) {
    const std::size_t have = src.plain_remaining();
    if (have < count) too_short(have);
    if (have > count) {
      place.fail(header + count, "trailing data: " + bytes_text(have - count) + " after the " + bytes_text(count) +
                                     " of data that dimensions " + dims_text(out.dims) + " declare");
    }
    out.data.resize(count);
    if (count != 0) src.read(out.data.data(), count);
    return out;
  }

  // gzip: grow with the data actually inflated, never to more than declared.
  std::size_t filled = 0;
  while (filled < count) {
    if (out.data.size() == filled) {
      const std::size_t next = std::min(count, std::max<std::size_t>(out.data.size() * 2, std::size_t{1} << 16));
      out.data.resize(next);
    }
    const std::size_t want = out.data.size() - filled;
    const std::size_t n = src.read(out.data.data() + filled, want);
    filled += n;
    if (n < want) too_short(filled);
  }
  std::uint8_t extra = 0;
  if (src.read(&extra, 1) != 0) {
    place.fail(header + count, "trailing data after the " + bytes_text(count) + " of data that dimensions " +
                                   dims_text(out.dims) + " declare");
  }
  return out;
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) throw std::runtime_error("write_idx: cannot create '" + path + "': " + std::strerror(errno));
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
    throw std::runtime_error("write_idx: cannot write '" + path + "': " + std::strerror(errno));
  }
  if (std::fclose(file.release()) != 0) {
    throw std::runtime_error("write_idx: cannot write '" + path + "': " + std::strerror(errno));
  }
}

std::size_t header_size(const IdxArray& a) { return 4 + 4 * a.dims.size(); }


struct ReadResult {
  IdxArray array;
  bool gzip;
};

ReadResult read_with_kind(const std::string& path) {
  const std::string bytes = detail::read_whole_file(path, "read_idx");
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  return {parse_idx(p, bytes.size(), path), tapeflow::io::is_gzip(p, bytes.size())};
}

xt::xarray<float> to_images(const ReadResult& r, const std::string& path, bool scale_to_unit) {
  const IdxArray& a = r.array;
  if (a.dims.size() != 3) {
    Place{path, r.gzip}.fail(3, "expected 3 dimensions (images, rows, cols) in an images file, found " +
                                    std::to_string(a.dims.size()));
  }
  xt::xarray<float> out = xt::xarray<float>::from_shape({a.dims[0], a.dims[1], a.dims[2]});
  float* dst = out.data();
  for (std::size_t i = 0; i < a.data.size(); ++i) {
    dst[i] = scale_to_unit ? static_cast<float>(a.data[i]) / 255.0f : static_cast<float>(a.data[i]);
  }
  return out;
}

xt::xarray<float> to_labels(const ReadResult& r, const std::string& path) {
  const IdxArray& a = r.array;
  if (a.dims.size() != 1) {
    Place{path, r.gzip}.fail(3, "expected 1 dimension (labels) in a labels file, found " + std::to_string(a.dims.size()));
  }
  xt::xarray<float> out = xt::xarray<float>::from_shape({a.dims[0]});
  float* dst = out.data();
  for (std::size_t i = 0; i < a.data.size(); ++i) dst[i] = static_cast<float>(a.data[i]);
  return out;
}

std::string locate(const std::string& who, const std::string& dir, const std::string& base) {
  const std::string plain = (std::filesystem::path(dir) / base).string();
  std::error_code ec;
  if (std::filesystem::exists(plain, ec) || ec) return plain;  // ec: let the read report it
  const std::string gz = plain + ".gz";
  if (std::filesystem::exists(gz, ec) || ec) return gz;
  throw MissingDataError(who + ": '" + plain + "' not found (also tried .gz); " + fetch_hint());
}

// "'<path>' (gzip): at byte offset N of the decompressed data", for checks across files.
std::string where(const std::string& path, bool gzip, std::size_t offset) {
  return "'" + path + "'" + (gzip ? " (gzip)" : "") + ": at byte offset " + std::to_string(offset) +
         (gzip ? " of the decompressed data" : "");
}

ImageDataset load_pair_set(const std::string& who, const std::string& dir, bool scale_to_unit) {
  // Locate all four files before reading any, so a missing one is reported before a slow read.
  // (Built one by one: GCC 12 double-frees a braced array of strings when one of its initializers throws.)
  std::vector<std::array<std::string, 2>> paths;
  for (const char* prefix : {"train", "t10k"}) {
    std::array<std::string, 2> pair;
    pair[0] = locate(who, dir, std::string(prefix) + "-images-idx3-ubyte");
    pair[1] = locate(who, dir, std::string(prefix) + "-labels-idx1-ubyte");
    paths.push_back(std::move(pair));
  }
  ImageDataset out;
  std::vector<std::size_t> train_shape;
  for (int part = 0; part < 2; ++part) {
    const std::string& images_path = paths[part][0];
    const std::string& labels_path = paths[part][1];
    const ReadResult images_raw = read_with_kind(images_path);
    const ReadResult labels_raw = read_with_kind(labels_path);
    xt::xarray<float> images = to_images(images_raw, images_path, scale_to_unit);
    xt::xarray<float> labels = to_labels(labels_raw, labels_path);
    const std::size_t n_images = images_raw.array.dims[0];
    const std::size_t n_labels = labels_raw.array.dims[0];
    if (n_images != n_labels) {
      throw FormatError(who + ": " + where(labels_path, labels_raw.gzip, 4) + ": " + std::to_string(n_labels) +
                        " labels, but '" + images_path + "' has " + std::to_string(n_images) + " images");
    }
    const auto& raw = labels_raw.array.data;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] >= 10) {
        throw FormatError(who + ": " + where(labels_path, labels_raw.gzip, header_size(labels_raw.array) + i) +
                          ": label " + std::to_string(raw[i]) + " of example " + std::to_string(i) +
                          " is not a class number 0..9");
      }
    }
    const std::vector<std::size_t> shape{images_raw.array.dims[1], images_raw.array.dims[2]};
    if (part == 0) {
      train_shape = shape;
      out.train_images = std::move(images);
      out.train_labels = std::move(labels);
    } else {
      if (shape != train_shape) {
        throw FormatError(who + ": " + where(images_path, images_raw.gzip, 8) + ": images are " + dims_text(shape) +
                          " but '" + paths[0][0] + "' has " + dims_text(train_shape));
      }
      out.test_images = std::move(images);
      out.test_labels = std::move(labels);
    }
  }
  return out;
}

}  // namespace

IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  if (bytes == nullptr && size != 0) throw std::invalid_argument("parse_idx: null bytes");
  if (tapeflow::io::is_gzip(bytes, size)) {
    const Place place{name, true};
    tapeflow::io::GzipReader gz(bytes, size, "read_idx: '" + name + "' (gzip)");
    Source src(bytes, size, &gz);
    return parse(src, place);
  }
  const Place place{name, false};
  Source src(bytes, size, nullptr);
  return parse(src, place);
}

IdxArray read_idx(const std::string& path) { return read_with_kind(path).array; }

void write_idx(const std::string& path, const IdxArray& array, bool gzip) {
  if (array.type_code != kUnsignedByte) {
    throw std::invalid_argument("write_idx: '" + path + "': only type 0x08 (unsigned byte) is supported, not " +
                                hex_byte(array.type_code));
  }
  if (array.dims.empty() || array.dims.size() > kMaxDims) {
    throw std::invalid_argument("write_idx: '" + path + "': " + std::to_string(array.dims.size()) +
                                " dimensions (1 to 4 are supported)");
  }
  std::size_t count = 1;
  bool overflow = false;
  for (const std::size_t d : array.dims) {
    if (d > 0xffffffffu) {
      throw std::invalid_argument("write_idx: '" + path + "': dimension " + std::to_string(d) + " does not fit in uint32");
    }
    if (d != 0 && count > std::numeric_limits<std::size_t>::max() / d) overflow = true;
    count *= d;
  }
  if (std::find(array.dims.begin(), array.dims.end(), std::size_t{0}) != array.dims.end()) {
    count = 0;
    overflow = false;
  }
  if (overflow || count != array.data.size()) {
    throw std::invalid_argument("write_idx: '" + path + "': dimensions " + dims_text(array.dims) + " need " +
                                std::to_string(count) + " bytes but the array has " + std::to_string(array.data.size()));
  }
  std::vector<std::uint8_t> bytes{0, 0, array.type_code, static_cast<std::uint8_t>(array.dims.size())};
  for (const std::size_t d : array.dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  bytes.insert(bytes.end(), array.data.begin(), array.data.end());
  write_file(path, gzip ? tapeflow::io::gzip_compress(bytes, "write_idx") : bytes);
}

xt::xarray<float> load_idx_images(const std::string& path, bool scale_to_unit) {
  return to_images(read_with_kind(path), path, scale_to_unit);
}

xt::xarray<float> load_idx_labels(const std::string& path) { return to_labels(read_with_kind(path), path); }

ImageDataset load_mnist(const std::string& dir, bool scale_to_unit) {
  return load_pair_set("load_mnist", dir.empty() ? data_dir() + "/mnist" : dir, scale_to_unit);
}

ImageDataset load_fashion_mnist(const std::string& dir, bool scale_to_unit) {
  return load_pair_set("load_fashion_mnist", dir.empty() ? data_dir() + "/fashion-mnist" : dir, scale_to_unit);
}

}  // namespace datasets
