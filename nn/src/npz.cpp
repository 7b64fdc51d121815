// NumPy .npz archives: a ZIP file whose entries are .npy files.
//
// Writing produces an uncompressed (STORED) ZIP without ZIP64 records, with a fixed timestamp,
// so the same archive always gives the same bytes. Reading accepts STORED and DEFLATE entries
// (np.savez and np.savez_compressed), the ZIP64 extensions numpy/Python's zipfile emit, and
// .npy format versions 1.0, 2.0 and 3.0. Every inconsistency in the input is reported as a
// FormatError naming the file, the byte offset and (when known) the entry.

#include "nn/npz.hpp"

#include "tapeflow/io/files.hpp"

#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string_view>
#include <type_traits>
#include <utility>

namespace nn {

namespace {

static_assert(std::endian::native == std::endian::little,
              "npz.cpp copies array memory as little-endian bytes; a big-endian host needs byte swapping");

// ---------------------------------------------------------------------------------------------
// dtypes and sizes

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

// Item size of a supported dtype, or 0 if unsupported.
std::size_t itemsize_of(std::string_view dtype) {
  if (dtype == "<f4") return 4;
  if (dtype == "<f8" || dtype == "<i8") return 8;
  return 0;
}

// product(shape) * itemsize, or nullopt if that (or the product of the non-zero dimensions)
// exceeds PTRDIFF_MAX, which is more than any array can hold.
std::optional<std::size_t> byte_count(const std::vector<std::size_t>& shape, std::size_t itemsize) {
  constexpr auto limit = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  std::size_t bound = itemsize;
  bool empty = false;
  for (std::size_t d : shape) {
    if (d == 0) {
      empty = true;
    } else if (__builtin_mul_overflow(bound, d, &bound) || bound > limit) {
      return std::nullopt;
    }
  }
  return empty ? 0 : bound;
}

std::string shape_repr(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// A name from a possibly corrupt file, made safe to print: non-printable bytes as \xNN, capped.
std::string printable(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 200; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > 200) out += "...";
  return out;
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

std::uint32_t crc_update(std::uint32_t crc, const void* data, std::size_t n) {
  auto p = static_cast<const Bytef*>(data);
  while (n != 0) {
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(n, std::size_t{1} << 30));
    crc = static_cast<std::uint32_t>(crc32(crc, p, chunk));
    p += chunk;
    n -= chunk;
  }
  return crc;
}

// ---------------------------------------------------------------------------------------------
// ZIP constants

constexpr std::uint32_t kLocalSig = 0x04034b50;
constexpr std::uint32_t kCentralSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::size_t kLocalSize = 30;
constexpr std::size_t kCentralSize = 46;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::uint16_t kDosTime = 0;                        // 00:00:00
constexpr std::uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01
constexpr std::uint64_t kMax32 = 0xfffffffe;                 // 0xffffffff means "see ZIP64"

// ---------------------------------------------------------------------------------------------
// Writing

void put16(std::string& s, std::uint16_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>(v >> 8);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, static_cast<std::uint16_t>(v & 0xffff));
  put16(s, static_cast<std::uint16_t>(v >> 16));
}

// The .npy preamble: magic, version, header length and the header dict, padded with spaces and
// a final newline to a multiple of 64 bytes.
std::string npy_header(const NpyArray& a) {
  const std::string dict =
      "{'descr': '" + a.dtype + "', 'fortran_order': False, 'shape': " + shape_repr(a.shape) + ", }";
  for (int major = 1; major <= 2; ++major) {
    const std::size_t preamble = major == 1 ? 10 : 12;
    const std::size_t unpadded = preamble + dict.size() + 1;
    const std::size_t total = (unpadded + 63) / 64 * 64;
    const std::size_t header_len = total - preamble;
    if (major == 1 && header_len > 0xffff) continue;
    std::string s = "\x93NUMPY";
    s += static_cast<char>(major);
    s += '\0';
    if (major == 1) {
      put16(s, static_cast<std::uint16_t>(header_len));
    } else {
      put32(s, static_cast<std::uint32_t>(header_len));
    }
    s += dict;
    s.append(total - unpadded, ' ');
    s += '\n';
    return s;
  }
  throw std::length_error("npz: .npy header too long");  // unreachable: a shape has < 2^32 chars
}

struct PlannedEntry {
  std::string zip_name;
  std::string npy_header;
  const NpyArray* array;
  std::uint32_t crc;
  std::uint32_t size;    // npy header + data
  std::uint32_t offset;  // of the local file header
  std::uint16_t flags;
};

std::string local_header(const PlannedEntry& e) {
  std::string h;
  put32(h, kLocalSig);
  put16(h, 20);  // version needed to extract: 2.0
  put16(h, e.flags);
  put16(h, 0);  // method: stored
  put16(h, kDosTime);
  put16(h, kDosDate);
  put32(h, e.crc);
  put32(h, e.size);  // compressed
  put32(h, e.size);  // uncompressed
  put16(h, static_cast<std::uint16_t>(e.zip_name.size()));
  put16(h, 0);  // extra field length
  h += e.zip_name;
  return h;
}

std::string central_header(const PlannedEntry& e) {
  std::string h;
  put32(h, kCentralSig);
  put16(h, (3 << 8) | 20);  // made by: Unix, 2.0
  put16(h, 20);             // needed: 2.0
  put16(h, e.flags);
  put16(h, 0);
  put16(h, kDosTime);
  put16(h, kDosDate);
  put32(h, e.crc);
  put32(h, e.size);
  put32(h, e.size);
  put16(h, static_cast<std::uint16_t>(e.zip_name.size()));
  put16(h, 0);               // extra
  put16(h, 0);               // comment
  put16(h, 0);               // disk number start
  put16(h, 0);               // internal attributes
  put32(h, 0100644u << 16);  // external attributes: regular file, rw-r--r--
  put32(h, e.offset);
  h += e.zip_name;
  return h;
}

// Thrown inside the .npy header parser; turned into a FormatError with file context.
struct HeaderSyntaxError {
  std::size_t pos;
  std::string what;
};

// Parses the Python dict literal of a .npy header: {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), } -- keys in any order, either quote style, optional trailing comma.
class NpyHeaderParser {
 public:
  explicit NpyHeaderParser(std::string_view text) : s_(text) {}

  std::string descr;
  bool fortran_order = false;
  std::vector<std::size_t> shape;

  void parse() {
    skip_ws();
    expect('{');
    std::set<std::string> seen;
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      const std::size_t key_pos = pos_;
      std::string key = parse_string();
      if (!seen.insert(key).second) fail(key_pos, "duplicate key '" + printable(key) + "'");
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"') {
          fail(pos_, "'descr' is not a simple type string (structured dtypes are not supported)");
        }
        descr = parse_string();
      } else if (key == "fortran_order") {
        fortran_order = parse_bool();
      } else if (key == "shape") {
        shape = parse_shape();
      } else {
        fail(key_pos, "unexpected key '" + printable(key) + "'");
      }
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail(pos_, "expected ',' or '}' in header dict");
    }
    ++pos_;  // '}'
    skip_ws();
    if (pos_ != s_.size()) fail(pos_, "unexpected text after the header dict");
    for (const char* key : {"descr", "fortran_order", "shape"}) {
      if (seen.count(key) == 0) fail(0, std::string("header has no '") + key + "' key");
    }
  }

 private:
  [[noreturn]] static void fail(std::size_t pos, std::string what) { throw HeaderSyntaxError{pos, std::move(what)}; }

  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  void expect(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) {
      fail(pos_, std::string("expected '") + c + "'" + (pos_ >= s_.size() ? " but the header ended" : ""));
    }
    ++pos_;
  }
  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(pos_, "expected a quoted string");
    const std::size_t start = ++pos_;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\' || s_[pos_] == '\n') fail(pos_, "unsupported character in string literal");
      ++pos_;
    }
    if (pos_ >= s_.size()) fail(start - 1, "unterminated string literal");
    return std::string(s_.substr(start, pos_++ - start));
  }
  bool parse_bool() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail(pos_, "'fortran_order' must be True or False");
  }
  std::size_t parse_int() {
    if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') fail(pos_, "expected a non-negative integer in 'shape'");
    const std::size_t start = pos_;
    std::size_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (__builtin_mul_overflow(v, std::size_t{10}, &v) ||
          __builtin_add_overflow(v, static_cast<std::size_t>(s_[pos_] - '0'), &v)) {
        fail(start, "dimension in 'shape' is too large");
      }
      ++pos_;
    }
    return v;
  }
  std::vector<std::size_t> parse_shape() {
    const std::size_t start = pos_;
    if (peek() != '(') fail(pos_, "'shape' must be a tuple");
    ++pos_;
    std::vector<std::size_t> dims;
    bool trailing_comma = false;
    for (;;) {
      skip_ws();
      if (peek() == ')') break;
      if (dims.size() >= 64) fail(pos_, "'shape' has more than 64 dimensions");
      dims.push_back(parse_int());
      skip_ws();
      trailing_comma = false;
      if (peek() == ',') {
        ++pos_;
        trailing_comma = true;
      } else if (peek() != ')') {
        fail(pos_, "expected ',' or ')' in 'shape'");
      }
    }
    ++pos_;  // ')'
    if (dims.size() == 1 && !trailing_comma) fail(start, "'shape' (n) is a parenthesized int, not a tuple");
    return dims;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

class ZipReader {
 public:
  ZipReader(const std::string& path, std::string data)
      : path_(path), bytes_(std::move(data)), d_(reinterpret_cast<const unsigned char*>(bytes_.data())) {}

  NpzArchive read() {
    const End end = find_end();
    std::vector<Central> entries = read_central_directory(end);
    NpzArchive archive;
    for (const Central& e : entries) read_entry(e, end.cd_offset, archive);
    return archive;
  }

 private:
  struct End {
    std::uint64_t entries;
    std::uint64_t cd_size;
    std::uint64_t cd_offset;
    std::uint64_t cd_limit;  // where the central directory must end by
  };
  struct Central {
    std::uint64_t header_offset;  // of this central directory record
    std::string name;
    std::uint16_t flags;
    std::uint16_t method;
    std::uint32_t crc;
    std::uint64_t compressed;
    std::uint64_t uncompressed;
    std::uint64_t local_offset;
  };

  [[noreturn]] void fail(std::uint64_t offset, std::string_view entry, const std::string& what) const {
    std::string msg = "load_npz: '" + path_ + "': ";
    if (!entry.empty()) msg += "entry '" + printable(entry) + "': ";
    msg += "at byte offset " + std::to_string(offset) + ": " + what;
    throw FormatError(msg);
  }

  std::uint64_t size() const { return bytes_.size(); }
  // Callers check that [at, at + n) lies inside the file before reading.
  std::uint16_t u16(std::uint64_t at) const {
    return static_cast<std::uint16_t>(d_[at] | (d_[at + 1] << 8));
  }
  std::uint32_t u32(std::uint64_t at) const {
    return static_cast<std::uint32_t>(u16(at)) | (static_cast<std::uint32_t>(u16(at + 2)) << 16);
  }
  std::uint64_t u64(std::uint64_t at) const {
    return static_cast<std::uint64_t>(u32(at)) | (static_cast<std::uint64_t>(u32(at + 4)) << 32);
  }
  // Whether [at, at + n) lies inside [0, limit).
  static bool inside(std::uint64_t at, std::uint64_t n, std::uint64_t limit) { return at <= limit && n <= limit - at; }

  End find_end() const {
    if (size() < kEndSize) {
      fail(0, {}, "file is " + std::to_string(size()) +
                      " bytes, too short to be a ZIP archive (the end-of-central-directory record alone is 22)");
    }
    // The record is followed only by its comment (at most 65535 bytes): search backwards.
    const std::uint64_t last = size() - kEndSize;
    const std::uint64_t first = last > 0xffff ? last - 0xffff : 0;
    std::optional<std::uint64_t> found;
    for (std::uint64_t at = last + 1; at-- > first;) {
      if (u32(at) == kEndSig && at + kEndSize + u16(at + 20) == size()) {
        found = at;
        break;
      }
    }
    if (!found) {
      fail(size(), {}, "no ZIP end-of-central-directory record found (not a ZIP/.npz file, or truncated)");
    }
    const std::uint64_t at = *found;
    if (u16(at + 4) != 0 || u16(at + 6) != 0 || u16(at + 8) != u16(at + 10)) {
      fail(at, {}, "multi-disk ZIP archives are not supported");
    }
    End end{u16(at + 10), u32(at + 12), u32(at + 16), at};
    // ZIP64: a locator just before the record points at the ZIP64 end record.
    if (at >= kZip64LocatorSize && u32(at - kZip64LocatorSize) == kZip64LocatorSig) {
      const std::uint64_t loc = at - kZip64LocatorSize;
      const std::uint64_t z = u64(loc + 8);
      if (u32(loc + 4) != 0 || u32(loc + 16) > 1) fail(loc, {}, "multi-disk ZIP64 archives are not supported");
      if (!inside(z, kZip64EndSize, loc)) {
        fail(loc, {}, "ZIP64 end-of-central-directory offset " + std::to_string(z) + " is outside the file");
      }
      if (u32(z) != kZip64EndSig) fail(z, {}, "bad ZIP64 end-of-central-directory signature");
      if (u32(z + 16) != 0 || u32(z + 20) != 0 || u64(z + 24) != u64(z + 32)) {
        fail(z, {}, "multi-disk ZIP64 archives are not supported");
      }
      end = End{u64(z + 32), u64(z + 40), u64(z + 48), z};
    } else if (end.entries == 0xffff || end.cd_size == 0xffffffff || end.cd_offset == 0xffffffff) {
      fail(at, {}, "end-of-central-directory record refers to ZIP64 data but there is no ZIP64 locator");
    }
    if (!inside(end.cd_offset, end.cd_size, end.cd_limit)) {
      fail(at, {}, "central directory (offset " + std::to_string(end.cd_offset) + ", " +
                       std::to_string(end.cd_size) + " bytes) does not end before byte " +
                       std::to_string(end.cd_limit));
    }
    if (end.entries > end.cd_size / kCentralSize) {
      fail(at, {}, "central directory of " + std::to_string(end.cd_size) + " bytes cannot hold the " +
                       std::to_string(end.entries) + " entries claimed");
    }
    return end;
  }

  std::vector<Central> read_central_directory(const End& end) const {
    std::vector<Central> entries;
    entries.reserve(static_cast<std::size_t>(end.entries));
    const std::uint64_t stop = end.cd_offset + end.cd_size;
    std::uint64_t at = end.cd_offset;
    for (std::uint64_t i = 0; i < end.entries; ++i) {
      if (!inside(at, kCentralSize, stop)) {
        fail(at, {}, "central directory entry " + std::to_string(i) + " is truncated");
      }
      if (u32(at) != kCentralSig) fail(at, {}, "bad central directory entry signature");
      Central e{};
      e.header_offset = at;
      e.flags = u16(at + 8);
      e.method = u16(at + 10);
      e.crc = u32(at + 16);
      e.compressed = u32(at + 20);
      e.uncompressed = u32(at + 24);
      const std::uint16_t name_len = u16(at + 28);
      const std::uint16_t extra_len = u16(at + 30);
      const std::uint16_t comment_len = u16(at + 32);
      const std::uint16_t disk = u16(at + 34);
      e.local_offset = u32(at + 42);
      const std::uint64_t var = std::uint64_t{name_len} + extra_len + comment_len;
      if (!inside(at + kCentralSize, var, stop)) {
        fail(at, {}, "central directory entry " + std::to_string(i) + " (name, extra field, comment) is truncated");
      }
      e.name.assign(reinterpret_cast<const char*>(d_ + at + kCentralSize), name_len);
      // ZIP64 extended information: 8-byte values for the fields that hold 0xffffffff, in order.
      const bool need64 = e.uncompressed == 0xffffffff || e.compressed == 0xffffffff ||
                          e.local_offset == 0xffffffff || disk == 0xffff;
      if (need64) {
        std::uint64_t x = at + kCentralSize + name_len;
        const std::uint64_t x_end = x + extra_len;
        bool found = false;
        while (!found && inside(x, 4, x_end)) {
          const std::uint16_t id = u16(x);
          const std::uint16_t len = u16(x + 2);
          if (!inside(x + 4, len, x_end)) fail(x, e.name, "truncated extra field in central directory");
          if (id == 0x0001) {
            std::uint64_t f = x + 4;
            const std::uint64_t f_end = f + len;
            auto next = [&](std::uint64_t& field) {
              if (!inside(f, 8, f_end)) fail(x, e.name, "ZIP64 extra field is too short");
              field = u64(f);
              f += 8;
            };
            if (e.uncompressed == 0xffffffff) next(e.uncompressed);
            if (e.compressed == 0xffffffff) next(e.compressed);
            if (e.local_offset == 0xffffffff) next(e.local_offset);
            if (disk == 0xffff) {
              if (!inside(f, 4, f_end) || u32(f) != 0) fail(x, e.name, "multi-disk ZIP archives are not supported");
            }
            found = true;
          }
          x += 4 + std::uint64_t{len};
        }
        if (!found) fail(at, e.name, "sizes or offset are 0xffffffff but there is no ZIP64 extra field");
      } else if (disk != 0) {
        fail(at, e.name, "multi-disk ZIP archives are not supported");
      }
      entries.push_back(std::move(e));
      at += kCentralSize + var;
    }
    if (at != stop) {
      fail(at, {}, "central directory has " + std::to_string(stop - at) + " unexpected bytes after its " +
                       std::to_string(end.entries) + " entries");
    }
    return entries;
  }

  void read_entry(const Central& e, std::uint64_t cd_offset, NpzArchive& archive) const {
    if (e.flags & 1) fail(e.header_offset, e.name, "encrypted entries are not supported");
    if (e.method != 0 && e.method != 8) {
      fail(e.header_offset, e.name,
           "unsupported compression method " + std::to_string(e.method) + " (only 0 = stored and 8 = deflate)");
    }
    constexpr std::string_view suffix = ".npy";
    if (e.name.size() < suffix.size() || e.name.compare(e.name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      fail(e.header_offset, e.name, "entry is not a .npy file (name does not end in \".npy\")");
    }
    const std::string key = e.name.substr(0, e.name.size() - suffix.size());
    if (archive.contains(key)) fail(e.header_offset, e.name, "duplicate entry name");

    // Local header: its name must match; sizes come from the central directory (the local copy
    // may be zero or 0xffffffff when a data descriptor or ZIP64 is used).
    const std::uint64_t lo = e.local_offset;
    if (!inside(lo, kLocalSize, cd_offset)) {
      fail(lo, e.name, "local file header (offset " + std::to_string(lo) +
                           ") lies outside the entry area (which ends at byte " + std::to_string(cd_offset) + ")");
    }
    if (u32(lo) != kLocalSig) fail(lo, e.name, "bad local file header signature");
    if (u16(lo + 8) != e.method) {
      fail(lo, e.name, "local header and central directory disagree on the compression method");
    }
    const std::uint16_t name_len = u16(lo + 26);
    const std::uint16_t extra_len = u16(lo + 28);
    if (!inside(lo + kLocalSize, std::uint64_t{name_len} + extra_len, cd_offset)) {
      fail(lo, e.name, "local file header is truncated");
    }
    const std::string_view local_name(reinterpret_cast<const char*>(d_ + lo + kLocalSize), name_len);
    if (local_name != e.name) {
      fail(lo, e.name, "local file header names a different entry ('" + printable(local_name) + "')");
    }
    const std::uint64_t data_at = lo + kLocalSize + name_len + extra_len;
    if (!inside(data_at, e.compressed, cd_offset)) {
      fail(data_at, e.name,
           "entry data (" + std::to_string(e.compressed) + " bytes) extends past the end of the entry area (byte " +
               std::to_string(cd_offset) + ")");
    }
    const unsigned char* data = d_ + data_at;

    std::vector<unsigned char> inflated;
    std::size_t len = 0;
    if (e.method == 0) {
      if (e.uncompressed != e.compressed) {
        fail(e.header_offset, e.name, "stored entry has compressed size " + std::to_string(e.compressed) +
                                          " but uncompressed size " + std::to_string(e.uncompressed));
      }
      len = static_cast<std::size_t>(e.compressed);
    } else {
      inflated = inflate_entry(e, data_at);
      data = inflated.data();
      len = inflated.size();
    }
    const std::uint32_t crc = crc_update(0, data, len);
    if (crc != e.crc) {
      fail(data_at, e.name,
           "CRC-32 mismatch: the central directory says " + hex32(e.crc) + " but the data has " + hex32(crc));
    }
    archive.put_raw(key, parse_npy(NpyPlace{e, data_at, e.method == 0}, data, len));
  }

  std::vector<unsigned char> inflate_entry(const Central& e, std::uint64_t data_at) const {
    // Deflate expands at most ~1032:1; a larger declared size is corrupt (and must not make us
    // allocate it).
    if (e.uncompressed / 1032 > e.compressed + 1) {
      fail(e.header_offset, e.name,
           "declared uncompressed size " + std::to_string(e.uncompressed) + " is impossible for " +
               std::to_string(e.compressed) + " bytes of deflate data");
    }
    const auto want = static_cast<std::size_t>(e.uncompressed);
    const auto have = static_cast<std::size_t>(e.compressed);
    const unsigned char* in = d_ + data_at;
    std::vector<unsigned char> out(std::min<std::size_t>(want, std::max<std::size_t>(have * 4, 1 << 16)));

    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw std::runtime_error("load_npz: zlib inflateInit2 failed");
    struct InflateEnd {
      z_stream* z;
      ~InflateEnd() { inflateEnd(z); }
    } guard{&zs};

    constexpr std::size_t kStep = std::size_t{1} << 30;
    std::size_t in_pos = 0;
    std::size_t out_pos = 0;
    unsigned char spare = 0;  // output room past the declared size, to detect overlong data
    for (;;) {
      if (out_pos == out.size() && out.size() < want) {
        out.resize(std::min(want, std::max(out.size() * 2, out.size() + 1)));
      }
      const bool past_end = out_pos == want;
      const auto in_chunk = static_cast<uInt>(std::min(have - in_pos, kStep));
      const auto out_chunk = past_end ? uInt{1} : static_cast<uInt>(std::min(out.size() - out_pos, kStep));
      zs.next_in = in + in_pos;
      zs.avail_in = in_chunk;
      zs.next_out = past_end ? &spare : out.data() + out_pos;
      zs.avail_out = out_chunk;
      const int rc = inflate(&zs, Z_NO_FLUSH);
      const std::size_t consumed = in_chunk - zs.avail_in;
      const std::size_t produced = out_chunk - zs.avail_out;
      in_pos += consumed;
      if (past_end && produced != 0) {
        fail(data_at + in_pos, e.name,
             "deflate data inflates to more than the declared " + std::to_string(want) + " bytes");
      }
      if (!past_end) out_pos += produced;
      if (rc == Z_STREAM_END) break;
      if (rc == Z_MEM_ERROR) throw std::bad_alloc();
      if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
        fail(data_at + in_pos, e.name, std::string("corrupt deflate data: ") + (zs.msg ? zs.msg : "inflate failed"));
      }
      if (consumed == 0 && produced == 0) {  // Z_BUF_ERROR: no progress possible
        if (in_pos == have) {
          fail(data_at + in_pos, e.name,
               "deflate data ends (after " + std::to_string(have) + " bytes) before the end of its stream");
        }
        fail(data_at + in_pos, e.name, "deflate stream stalled");
      }
    }
    if (out_pos != want) {
      fail(data_at, e.name, "deflate data inflates to " + std::to_string(out_pos) + " bytes but the declared size is " +
                                std::to_string(want));
    }
    out.resize(out_pos);
    return out;
  }

  // Where a .npy lives: offsets inside a stored entry are file offsets; inside a deflated one,
  // offsets into the inflated .npy.
  struct NpyPlace {
    const Central& entry;
    std::uint64_t data_at;
    bool stored;
  };
  [[noreturn]] void fail_npy(const NpyPlace& at, std::size_t off, const std::string& what) const {
    if (at.stored) fail(at.data_at + off, at.entry.name, what);
    fail(at.data_at, at.entry.name, "offset " + std::to_string(off) + " of the inflated .npy: " + what);
  }

  NpyArray parse_npy(const NpyPlace& at, const unsigned char* p, std::size_t n) const {
    if (n < 10) fail_npy(at, 0, ".npy data is " + std::to_string(n) + " bytes, too short for the 10-byte preamble");
    if (std::memcmp(p, "\x93NUMPY", 6) != 0) fail_npy(at, 0, "bad .npy magic (expected \"\\x93NUMPY\")");
    const unsigned major = p[6];
    const unsigned minor = p[7];
    std::size_t preamble = 10;
    std::size_t header_len = 0;
    if (major == 1 && minor == 0) {
      header_len = static_cast<std::size_t>(p[8] | (p[9] << 8));
    } else if ((major == 2 || major == 3) && minor == 0) {
      if (n < 12) fail_npy(at, 0, ".npy data is " + std::to_string(n) + " bytes, too short for the v2 preamble");
      preamble = 12;
      header_len = static_cast<std::size_t>(p[8]) | (static_cast<std::size_t>(p[9]) << 8) |
                   (static_cast<std::size_t>(p[10]) << 16) | (static_cast<std::size_t>(p[11]) << 24);
    } else {
      fail_npy(at, 6, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
    }
    if (header_len > n - preamble) {
      fail_npy(at, 8, ".npy header length " + std::to_string(header_len) + " runs past the end of the entry (" +
                          std::to_string(n - preamble) + " bytes left)");
    }
    const std::string_view header(reinterpret_cast<const char*>(p + preamble), header_len);
    NpyHeaderParser parser(header);
    try {
      parser.parse();
    } catch (const HeaderSyntaxError& err) {
      fail_npy(at, preamble + err.pos,
               "cannot parse .npy header: " + err.what + " in header \"" + printable(header) + "\"");
    }
    NpyArray a;
    a.dtype = parser.descr;
    a.shape = parser.shape;
    const std::size_t itemsize = itemsize_of(a.dtype);
    if (itemsize == 0) {
      fail_npy(at, preamble, "unsupported dtype '" + printable(a.dtype) + "' (supported: '<f4', '<f8', '<i8')");
    }
    if (parser.fortran_order) fail_npy(at, preamble, "fortran_order arrays are not supported");
    const auto nbytes = byte_count(a.shape, itemsize);
    if (!nbytes) fail_npy(at, preamble, "shape " + shape_repr(a.shape) + " is too large");
    const std::size_t data_off = preamble + header_len;
    if (n - data_off != *nbytes) {
      fail_npy(at, data_off, "array data is " + std::to_string(n - data_off) + " bytes but shape " +
                                 shape_repr(a.shape) + " of dtype '" + a.dtype + "' needs " + std::to_string(*nbytes));
    }
    a.bytes.assign(p + data_off, p + n);
    return a;
  }

  std::string path_;
  std::string bytes_;
  const unsigned char* d_;  // bytes_ as unsigned bytes
};

}  // namespace

// -----------------------------------------------------------------------------------------------
// NpzArchive

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

void NpzArchive::put_raw(const std::string& name, NpyArray array) {
  const std::size_t itemsize = itemsize_of(array.dtype);
  if (itemsize == 0) {
    throw std::invalid_argument("npz: entry '" + name + "': unsupported dtype '" + array.dtype +
                                "' (supported: '<f4', '<f8', '<i8')");
  }
  const auto nbytes = byte_count(array.shape, itemsize);
  if (!nbytes || *nbytes != array.bytes.size()) {
    throw std::invalid_argument("npz: entry '" + name + "': " + std::to_string(array.bytes.size()) +
                                " bytes do not match shape " + shape_repr(array.shape) + " of dtype '" +
                                array.dtype + "'");
  }
  auto [it, inserted] = arrays_.insert_or_assign(name, std::move(array));
  if (inserted) order_.push_back(name);
}

template <class T>
xt::xarray<T> NpzArchive::get(const std::string& name) const {
  const NpyArray& a = raw(name);
  if (a.dtype != dtype_of<T>()) {
    throw FormatError("npz: entry '" + name + "' has dtype '" + a.dtype + "', expected '" + dtype_of<T>() + "'");
  }
  const auto nbytes = byte_count(a.shape, sizeof(T));
  if (!nbytes || *nbytes != a.bytes.size()) {
    throw FormatError("npz: entry '" + name + "': " + std::to_string(a.bytes.size()) + " bytes do not match shape " +
                      shape_repr(a.shape));
  }
  auto out = xt::xarray<T>::from_shape(a.shape);
  if (*nbytes != 0) std::memcpy(out.data(), a.bytes.data(), *nbytes);
  return out;
}

const NpyArray& NpzArchive::raw(const std::string& name) const {
  auto it = arrays_.find(name);
  if (it == arrays_.end()) throw std::out_of_range("npz: no entry named '" + name + "'");
  return it->second;
}

std::vector<std::string> NpzArchive::names() const { return order_; }

template void NpzArchive::put<float>(const std::string&, const xt::xarray<float>&);
template void NpzArchive::put<double>(const std::string&, const xt::xarray<double>&);
template void NpzArchive::put<std::int64_t>(const std::string&, const xt::xarray<std::int64_t>&);
template xt::xarray<float> NpzArchive::get<float>(const std::string&) const;
template xt::xarray<double> NpzArchive::get<double>(const std::string&) const;
template xt::xarray<std::int64_t> NpzArchive::get<std::int64_t>(const std::string&) const;

// -----------------------------------------------------------------------------------------------
// save / load

void save_npz(const std::string& path, const NpzArchive& archive) {
  auto too_big = [&](const std::string& what) {
    throw std::runtime_error("save_npz: cannot save '" + path + "': " + what +
                             " (ZIP64 archives over 4 GiB are not supported)");
  };
  // Lay out the whole archive first, so limits are checked before any file is touched.
  std::vector<PlannedEntry> plan;
  plan.reserve(archive.size());
  std::uint64_t offset = 0;
  for (const std::string& name : archive.names()) {
    const NpyArray& a = archive.raw(name);
    PlannedEntry e;
    e.zip_name = name + ".npy";
    if (e.zip_name.size() > 0xffff) too_big("entry name '" + name.substr(0, 40) + "...' is longer than 65531 bytes");
    const bool ascii = std::all_of(e.zip_name.begin(), e.zip_name.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    e.flags = ascii ? std::uint16_t{0} : std::uint16_t{1 << 11};  // bit 11: the name is UTF-8
    e.npy_header = npy_header(a);
    e.array = &a;
    const std::uint64_t size = std::uint64_t{e.npy_header.size()} + a.bytes.size();
    if (size > kMax32) too_big("entry '" + name + "' is " + std::to_string(size) + " bytes");
    if (offset > kMax32) too_big("archive exceeds 4 GiB");
    e.size = static_cast<std::uint32_t>(size);
    e.offset = static_cast<std::uint32_t>(offset);
    e.crc = crc_update(crc_update(0, e.npy_header.data(), e.npy_header.size()), a.bytes.data(), a.bytes.size());
    offset += kLocalSize + e.zip_name.size() + size;
    plan.push_back(std::move(e));
  }
  if (plan.size() >= 0xffff) too_big("more than 65534 entries");
  std::string central;
  for (const PlannedEntry& e : plan) central += central_header(e);
  if (offset > kMax32 || central.size() > kMax32) too_big("archive exceeds 4 GiB");
  std::string end;
  put32(end, kEndSig);
  put16(end, 0);  // this disk
  put16(end, 0);  // disk with the central directory
  put16(end, static_cast<std::uint16_t>(plan.size()));
  put16(end, static_cast<std::uint16_t>(plan.size()));
  put32(end, static_cast<std::uint32_t>(central.size()));
  put32(end, static_cast<std::uint32_t>(offset));
  put16(end, 0);  // comment length

  tapeflow::files::AtomicFile out(path, "save_npz");
  for (const PlannedEntry& e : plan) {
    out.write(local_header(e));
    out.write(e.npy_header);
    out.write(e.array->bytes.data(), e.array->bytes.size());
  }
  out.write(central);
  out.write(end);
  out.commit();
}

NpzArchive load_npz(const std::string& path) {
  return ZipReader(path, tapeflow::files::read_regular_file(path, "load_npz")).read();
}

}  // namespace nn
