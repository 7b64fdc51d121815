// .npy headers and array bytes (see tapeflow/io/npy.hpp).
#include "tapeflow/io/npy.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

#include "tapeflow/io/errors.hpp"

namespace tapeflow::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "npy.cpp copies array memory as little-endian bytes; a big-endian host needs byte swapping");

[[noreturn]] void fail_at(std::size_t offset, const std::string& what) {
  throw FormatError("at byte offset " + std::to_string(offset) + " of the .npy: " + what);
}

void put16(std::string& s, std::uint16_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>(v >> 8);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, static_cast<std::uint16_t>(v & 0xffff));
  put16(s, static_cast<std::uint16_t>(v >> 16));
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
      if (!seen.insert(key).second) fail(key_pos, "duplicate key '" + printable(key, 200) + "'");
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
        fail(key_pos, "unexpected key '" + printable(key, 200) + "'");
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


// The C-order bytes of a column-major array: element (i0, ..., ik) is read from the Fortran
// offset sum(i_d * stride_d), strides growing from the first axis.
std::vector<char> fortran_to_c_order(const std::vector<char>& f, const std::vector<std::size_t>& shape,
                                     std::size_t itemsize) {
  if (f.empty() || shape.size() < 2) return f;
  std::vector<std::size_t> stride(shape.size());
  std::size_t s = itemsize;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    stride[d] = s;
    s *= shape[d];
  }
  std::vector<char> c(f.size());
  std::vector<std::size_t> index(shape.size(), 0);
  std::size_t from = 0;
  for (std::size_t to = 0; to < c.size(); to += itemsize) {
    std::memcpy(c.data() + to, f.data() + from, itemsize);
    for (std::size_t d = shape.size(); d-- > 0;) {  // the next C-order index: last axis fastest
      from += stride[d];
      if (++index[d] < shape[d]) break;
      from -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return c;
}

}  // namespace

std::size_t npy_itemsize(std::string_view dtype) {
  if (dtype == "<f4") return 4;
  if (dtype == "<f8" || dtype == "<i8") return 8;
  return 0;
}


std::optional<std::size_t> npy_byte_count(const std::vector<std::size_t>& shape, std::size_t itemsize) {
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

std::string npy_shape_repr(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string npy_header(const NpyArray& a) {
  const std::string dict =
      "{'descr': '" + a.dtype + "', 'fortran_order': False, 'shape': " + npy_shape_repr(a.shape) + ", }";
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

NpyArray parse_npy(const unsigned char* p, std::size_t n) {
  if (n < 10) fail_at(0, ".npy data is " + std::to_string(n) + " bytes, too short for the 10-byte preamble");
  if (std::memcmp(p, "\x93NUMPY", 6) != 0) fail_at(0, "bad .npy magic (expected \"\\x93NUMPY\")");
  const unsigned major = p[6];
  const unsigned minor = p[7];
  std::size_t preamble = 10;
  std::size_t header_len = 0;
  if (major == 1 && minor == 0) {
    header_len = static_cast<std::size_t>(p[8] | (p[9] << 8));
  } else if ((major == 2 || major == 3) && minor == 0) {
    if (n < 12) fail_at(0, ".npy data is " + std::to_string(n) + " bytes, too short for the v2 preamble");
    preamble = 12;
    header_len = static_cast<std::size_t>(p[8]) | (static_cast<std::size_t>(p[9]) << 8) |
                 (static_cast<std::size_t>(p[10]) << 16) | (static_cast<std::size_t>(p[11]) << 24);
  } else {
    fail_at(6, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  if (header_len > n - preamble) {
    fail_at(8, ".npy header length " + std::to_string(header_len) + " runs past the end of the entry (" +
                        std::to_string(n - preamble) + " bytes left)");
  }
  const std::string_view header(reinterpret_cast<const char*>(p + preamble), header_len);
  NpyHeaderParser parser(header);
  try {
    parser.parse();
  } catch (const HeaderSyntaxError& err) {
    fail_at(preamble + err.pos,
             "cannot parse .npy header: " + err.what + " in header \"" + printable(header, 200) + "\"");
  }
  NpyArray a;
  a.dtype = parser.descr;
  a.shape = parser.shape;
  const std::size_t itemsize = npy_itemsize(a.dtype);
  if (itemsize == 0) {
    fail_at(preamble, "unsupported dtype '" + printable(a.dtype, 200) + "' (supported: '<f4', '<f8', '<i8')");
  }
  const auto nbytes = npy_byte_count(a.shape, itemsize);
  if (!nbytes) fail_at(preamble, "shape " + npy_shape_repr(a.shape) + " is too large");
  const std::size_t data_off = preamble + header_len;
  if (n - data_off != *nbytes) {
    fail_at(data_off, "array data is " + std::to_string(n - data_off) + " bytes but shape " +
                               npy_shape_repr(a.shape) + " of dtype '" + a.dtype + "' needs " + std::to_string(*nbytes));
  }
  a.bytes.assign(p + data_off, p + n);
  if (parser.fortran_order) a.bytes = fortran_to_c_order(a.bytes, a.shape, itemsize);
  return a;
}


}  // namespace tapeflow::io
