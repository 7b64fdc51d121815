#define BOOST_TEST_MODULE npz
#include <boost/test/unit_test.hpp>

#include "nn/npz.hpp"

#include "tapeflow/io/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/non_regular.hpp"

namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp directory, removed (with its contents) at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    for (;;) {
      const std::string name = "tapeflow_npz_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
                               "_" + std::to_string(rd());
      path_ = fs::temp_directory_path() / name;
      if (fs::create_directory(path_)) break;
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

  // Names of all files in the directory, to check that failed saves leave no temporaries.
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  BOOST_REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// load_npz(path) must throw FormatError whose message names the path, a byte offset and each
// of `needles`. Returns the message.
std::string expect_format_error(const std::string& path, std::initializer_list<std::string> needles = {}) {
  try {
    nn::load_npz(path);
  } catch (const nn::FormatError& e) {
    const std::string msg = e.what();
    BOOST_CHECK_MESSAGE(contains(msg, path), "message does not name the file: " << msg);
    BOOST_CHECK_MESSAGE(contains(msg, "byte offset"), "message does not give a byte offset: " << msg);
    for (const std::string& n : needles) BOOST_CHECK_MESSAGE(contains(msg, n), "message lacks '" << n << "': " << msg);
    return msg;
  } catch (const std::exception& e) {
    BOOST_ERROR("expected nn::FormatError, got another exception: " << e.what());
    return {};
  }
  BOOST_ERROR("expected nn::FormatError loading " << path << ", but it loaded");
  return {};
}

// Independent CRC-32 (reflected, polynomial 0xEDB88320), for hand-made archives.
std::uint32_t crc32_of(const std::string& s) {
  std::uint32_t crc = 0xffffffffu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void le16(std::string& s, unsigned v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void le32(std::string& s, std::uint32_t v) {
  le16(s, v & 0xffff);
  le16(s, v >> 16);
}

struct ZipEntry {
  std::string name;
  std::string payload;
  unsigned method = 0;  // written as-is; the payload is always stored verbatim
  unsigned flags = 0;
};

// A minimal, independently written STORED zip writer for hand-crafted test archives.
std::string make_zip(const std::vector<ZipEntry>& entries) {
  std::string body;
  std::string central;
  for (const ZipEntry& e : entries) {
    const std::uint32_t offset = static_cast<std::uint32_t>(body.size());
    const std::uint32_t crc = crc32_of(e.payload);
    const auto size = static_cast<std::uint32_t>(e.payload.size());
    le32(body, 0x04034b50);
    le16(body, 20);
    le16(body, e.flags);
    le16(body, e.method);
    le16(body, 0);
    le16(body, 0x21);
    le32(body, crc);
    le32(body, size);
    le32(body, size);
    le16(body, static_cast<unsigned>(e.name.size()));
    le16(body, 0);
    body += e.name;
    body += e.payload;

    le32(central, 0x02014b50);
    le16(central, 20);
    le16(central, 20);
    le16(central, e.flags);
    le16(central, e.method);
    le16(central, 0);
    le16(central, 0x21);
    le32(central, crc);
    le32(central, size);
    le32(central, size);
    le16(central, static_cast<unsigned>(e.name.size()));
    le16(central, 0);
    le16(central, 0);
    le16(central, 0);
    le16(central, 0);
    le32(central, 0);
    le32(central, offset);
    central += e.name;
  }
  std::string out = body + central;
  le32(out, 0x06054b50);
  le16(out, 0);
  le16(out, 0);
  le16(out, static_cast<unsigned>(entries.size()));
  le16(out, static_cast<unsigned>(entries.size()));
  le32(out, static_cast<std::uint32_t>(central.size()));
  le32(out, static_cast<std::uint32_t>(body.size()));
  le16(out, 0);
  return out;
}

// A .npy v1.0 file with the given header dict text (padded to 64 bytes) and data bytes.
std::string make_npy(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  le16(out, static_cast<unsigned>(header.size()));
  return out + header + data;
}

std::string f4_bytes(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) s.append(reinterpret_cast<const char*>(&v), sizeof v);
  return s;
}

// Bit patterns with the interesting special values first, then pseudo-random ones.
template <class T>
std::vector<T> special_values(std::size_t n) {
  std::vector<std::uint64_t> patterns;
  if constexpr (std::is_same_v<T, float>) {
    patterns = {0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f800001, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff,
                0x80000000, 0x00000000, 0x3f800000, 0x7f7fffff, 0xff7fffff, 0x00800000};
  } else if constexpr (std::is_same_v<T, double>) {
    patterns = {0x7ff8000000000000, 0xfff8000000000000, 0x7ff80000deadbeef, 0x7ff0000000000001, 0x7ff0000000000000,
                0xfff0000000000000, 0x0000000000000001, 0x800fffffffffffff, 0x8000000000000000, 0x0000000000000000,
                0x3ff0000000000000, 0x7fefffffffffffff, 0xffefffffffffffff, 0x0010000000000000};
  } else {
    patterns = {0x8000000000000000, 0x7fffffffffffffff, 0xffffffffffffffff, 0, 1, 0x0123456789abcdef};
  }
  std::mt19937_64 rng(42);
  std::vector<T> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t bits = i < patterns.size() ? patterns[i] : rng();
    std::memcpy(&out[i], &bits, sizeof(T));  // low bytes on a little-endian host
  }
  return out;
}

template <class T>
xt::xarray<T> filled(const std::vector<std::size_t>& shape) {
  auto a = xt::xarray<T>::from_shape(shape);
  const std::vector<T> v = special_values<T>(a.size());
  if (!v.empty()) std::memcpy(a.data(), v.data(), v.size() * sizeof(T));
  return a;
}

template <class T>
bool same_bits(const xt::xarray<T>& a, const xt::xarray<T>& b) {
  if (a.dimension() != b.dimension()) return false;
  if (!std::equal(a.shape().begin(), a.shape().end(), b.shape().begin())) return false;
  return a.size() == b.size() && (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// One line per entry, in archive order: name|dtype|shape|hex of the data. Matches the Python
// helper's output.
std::string describe(const nn::NpzArchive& a) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (const std::string& name : a.names()) {
    const nn::NpyArray& r = a.raw(name);
    out += name + "|" + r.dtype + "|" + shape_text(r.shape) + "|";
    for (char c : r.bytes) {
      out += hex[static_cast<unsigned char>(c) >> 4];
      out += hex[static_cast<unsigned char>(c) & 15];
    }
    out += "\n";
  }
  return out;
}

// A small archive with every dtype and rank, for the corruption tests.
nn::NpzArchive sample_archive() {
  nn::NpzArchive a;
  a.put("dense_1/kernel", filled<float>({2, 3}));
  a.put("counts", filled<std::int64_t>({5}));
  a.put("scalar", filled<double>({}));
  a.put("empty", filled<double>({0}));
  return a;
}

// Loading `path` either throws FormatError (naming the path and a byte offset) or gives exactly
// `expected` (some header fields, e.g. timestamps, are not checked). Anything else fails.
void check_rejected_or_intact(const std::string& path, const std::string& expected, const std::string& what) {
  try {
    const nn::NpzArchive got = nn::load_npz(path);
    BOOST_CHECK_MESSAGE(describe(got) == expected, what << ": corrupted archive loaded with different contents");
  } catch (const nn::FormatError& e) {
    const std::string msg = e.what();
    BOOST_CHECK_MESSAGE(contains(msg, path) && contains(msg, "byte offset"), what << ": poor message: " << msg);
  } catch (const std::exception& e) {
    BOOST_ERROR(what << ": unexpected exception type: " << e.what());
  }
}

bool python_numpy_available() {
  static const bool available = std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
  return available;
}

// Runs a Python script with numpy; returns whether it exited 0.
bool run_python(const TempDir& dir, const std::string& script, const std::string& args) {
  const std::string script_path = dir.file("script.py");
  write_bytes(script_path, script);
  const std::string cmd = "/usr/bin/python3 '" + script_path + "' " + args;
  const int rc = std::system(cmd.c_str());
  BOOST_CHECK_MESSAGE(rc == 0, "python failed (" << rc << "): " << cmd);
  return rc == 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(round_trip_is_bit_exact) {
  TempDir dir;
  const std::vector<std::vector<std::size_t>> shapes = {{}, {0}, {5}, {2, 3}, {2, 3, 4}, {3, 0, 2}, {257, 33}};
  nn::NpzArchive a;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    a.put("f" + std::to_string(i), filled<float>(shapes[i]));
    a.put("d" + std::to_string(i), filled<double>(shapes[i]));
    a.put("i" + std::to_string(i), filled<std::int64_t>(shapes[i]));
  }
  const std::string path = dir.file("round_trip.npz");
  nn::save_npz(path, a);
  const nn::NpzArchive b = nn::load_npz(path);
  BOOST_REQUIRE_EQUAL(b.size(), a.size());
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const std::string k = std::to_string(i);
    BOOST_TEST_CONTEXT("shape " << shape_text(shapes[i])) {
      BOOST_CHECK(same_bits(b.get<float>("f" + k), filled<float>(shapes[i])));
      BOOST_CHECK(same_bits(b.get<double>("d" + k), filled<double>(shapes[i])));
      BOOST_CHECK(same_bits(b.get<std::int64_t>("i" + k), filled<std::int64_t>(shapes[i])));
      BOOST_CHECK_EQUAL(b.raw("f" + k).dtype, "<f4");
      BOOST_CHECK_EQUAL(b.raw("d" + k).dtype, "<f8");
      BOOST_CHECK_EQUAL(b.raw("i" + k).dtype, "<i8");
      BOOST_CHECK(b.raw("f" + k).shape == shapes[i]);
    }
  }
  // The 0-d array holds one element; the special values really are in there.
  const xt::xarray<float> s = b.get<float>("f0");
  BOOST_CHECK_EQUAL(s.dimension(), 0u);
  BOOST_CHECK_EQUAL(s.size(), 1u);
  BOOST_CHECK(std::isnan(s()));
  const xt::xarray<double> d = b.get<double>("d3");
  BOOST_CHECK(std::isinf(d(1, 1)) && d(1, 1) > 0);
  const xt::xarray<double> negative_zero = b.get<double>("d4");  // element 8 is -0.0
  BOOST_CHECK(std::signbit(negative_zero(0, 2, 0)) && negative_zero(0, 2, 0) == 0.0);
  BOOST_CHECK_EQUAL(b.get<std::int64_t>("i2")(0), std::numeric_limits<std::int64_t>::min());
}

BOOST_AUTO_TEST_CASE(column_major_input_is_written_in_c_order) {
  TempDir dir;
  xt::xarray<double, xt::layout_type::column_major> cm = {{1, 2, 3}, {4, 5, 6}};
  xt::xarray<double> rm = cm;  // the put API takes row-major xarray; conversion must keep values
  nn::NpzArchive a;
  a.put("m", rm);
  const std::string path = dir.file("m.npz");
  nn::save_npz(path, a);
  const xt::xarray<double> back = nn::load_npz(path).get<double>("m");
  BOOST_CHECK(back == rm);
  const double expected[] = {1, 2, 3, 4, 5, 6};
  BOOST_CHECK(std::memcmp(nn::load_npz(path).raw("m").bytes.data(), expected, sizeof expected) == 0);
}

BOOST_AUTO_TEST_CASE(names_with_slashes_keep_insertion_order) {
  TempDir dir;
  const std::vector<std::string> names = {"z_last_alphabetically", "dense_1/kernel", "a", "dense_1/bias",
                                          "deep/nested/path/w", "\xc3\xbcnicode/\xc3\x9f"};
  nn::NpzArchive a;
  for (std::size_t i = 0; i < names.size(); ++i) {
    a.put(names[i], xt::xarray<float>({static_cast<float>(i)}));
  }
  BOOST_CHECK(a.names() == names);
  const std::string path = dir.file("names.npz");
  nn::save_npz(path, a);
  const nn::NpzArchive b = nn::load_npz(path);
  BOOST_CHECK(b.names() == names);
  for (std::size_t i = 0; i < names.size(); ++i) {
    BOOST_CHECK(b.contains(names[i]));
    BOOST_CHECK_EQUAL(b.get<float>(names[i])(0), static_cast<float>(i));
  }
  // Entries are stored as "<name>.npy", slashes kept.
  const std::string bytes = read_bytes(path);
  BOOST_CHECK(contains(bytes, "dense_1/kernel.npy"));
  BOOST_CHECK(contains(bytes, "deep/nested/path/w.npy"));
}

BOOST_AUTO_TEST_CASE(put_replaces_an_existing_entry_in_place) {
  nn::NpzArchive a;
  a.put("x", xt::xarray<float>({1.0f}));
  a.put("y", xt::xarray<float>({2.0f}));
  a.put("x", xt::xarray<double>({3.0, 4.0}));
  BOOST_CHECK((a.names() == std::vector<std::string>{"x", "y"}));
  BOOST_CHECK_EQUAL(a.size(), 2u);
  BOOST_CHECK_EQUAL(a.raw("x").dtype, "<f8");
  BOOST_CHECK_EQUAL(a.get<double>("x")(1), 4.0);
}

BOOST_AUTO_TEST_CASE(put_raw_rejects_inconsistent_arrays) {
  nn::NpzArchive a;
  BOOST_CHECK_THROW(a.put_raw("bad", nn::NpyArray{"<i4", {2}, std::vector<char>(8)}), std::invalid_argument);
  BOOST_CHECK_THROW(a.put_raw("bad", nn::NpyArray{"<f4", {2, 3}, std::vector<char>(20)}), std::invalid_argument);
  BOOST_CHECK_THROW(a.put_raw("bad", nn::NpyArray{"<f8", {}, std::vector<char>(0)}), std::invalid_argument);
  BOOST_CHECK_THROW(a.put_raw("bad", nn::NpyArray{"<f8", {std::size_t{1} << 62, 4}, std::vector<char>(0)}),
                    std::invalid_argument);
  BOOST_CHECK_EQUAL(a.size(), 0u);
  a.put_raw("ok", nn::NpyArray{"<f4", {2, 0}, {}});
  BOOST_CHECK_EQUAL(a.get<float>("ok").size(), 0u);
}

BOOST_AUTO_TEST_CASE(get_with_wrong_dtype_throws_format_error) {
  TempDir dir;
  const std::string path = dir.file("dtypes.npz");
  nn::save_npz(path, sample_archive());
  const nn::NpzArchive b = nn::load_npz(path);
  try {
    (void)b.get<double>("dense_1/kernel");
    BOOST_ERROR("get<double> of a float entry did not throw");
  } catch (const nn::FormatError& e) {
    const std::string msg = e.what();
    BOOST_CHECK_MESSAGE(contains(msg, "dense_1/kernel") && contains(msg, "<f4") && contains(msg, "<f8"), msg);
  }
  BOOST_CHECK_THROW((void)b.get<float>("counts"), nn::FormatError);
  BOOST_CHECK_THROW((void)b.get<std::int64_t>("scalar"), nn::FormatError);
  BOOST_CHECK_NO_THROW((void)b.get<std::int64_t>("counts"));
}

BOOST_AUTO_TEST_CASE(missing_name_throws_out_of_range) {
  const nn::NpzArchive a = sample_archive();
  BOOST_CHECK(!a.contains("nope"));
  BOOST_CHECK(!a.contains("counts.npy"));
  try {
    (void)a.get<float>("nope");
    BOOST_ERROR("get of a missing entry did not throw");
  } catch (const std::out_of_range& e) {
    BOOST_CHECK_MESSAGE(contains(e.what(), "nope"), e.what());
  }
  BOOST_CHECK_THROW((void)a.raw("nope"), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(empty_archive_round_trips) {
  TempDir dir;
  const std::string path = dir.file("empty.npz");
  nn::save_npz(path, nn::NpzArchive{});
  BOOST_CHECK_EQUAL(fs::file_size(path), 22u);  // just the end-of-central-directory record
  BOOST_CHECK_EQUAL(nn::load_npz(path).size(), 0u);
}

BOOST_AUTO_TEST_CASE(file_layout_follows_the_npy_and_zip_specs) {
  TempDir dir;
  nn::NpzArchive a;
  a.put("v", xt::xarray<float>({1.0f, 2.0f, 3.0f}));
  a.put("m", filled<double>({2, 3}));
  a.put("s", filled<std::int64_t>({}));
  const std::string path = dir.file("layout.npz");
  nn::save_npz(path, a);
  const std::string z = read_bytes(path);
  BOOST_REQUIRE_GT(z.size(), 30u);
  BOOST_CHECK_EQUAL(z.substr(0, 4), std::string("PK\x03\x04", 4));
  BOOST_CHECK_EQUAL(z.substr(z.size() - 22, 4), std::string("PK\x05\x06", 4));
  // First entry: a 30-byte local header, "v.npy", then the .npy.
  BOOST_CHECK_EQUAL(z.substr(30, 5), "v.npy");
  const std::string npy = z.substr(35);
  BOOST_CHECK_EQUAL(npy.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t header_len = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
  BOOST_CHECK_EQUAL((10 + header_len) % 64, 0u);
  const std::string header = npy.substr(10, header_len);
  BOOST_CHECK_EQUAL(header.back(), '\n');
  BOOST_CHECK(contains(header, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
  BOOST_CHECK(contains(z, "'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"));
  BOOST_CHECK(contains(z, "'descr': '<i8', 'fortran_order': False, 'shape': (), }"));
  const float expected[] = {1.0f, 2.0f, 3.0f};
  BOOST_CHECK(std::memcmp(npy.data() + 10 + header_len, expected, sizeof expected) == 0);
}

BOOST_AUTO_TEST_CASE(saving_is_deterministic) {
  TempDir dir;
  const nn::NpzArchive a = sample_archive();
  nn::save_npz(dir.file("one.npz"), a);
  nn::save_npz(dir.file("two.npz"), a);
  nn::save_npz(dir.file("three.npz"), nn::load_npz(dir.file("one.npz")));
  BOOST_CHECK(read_bytes(dir.file("one.npz")) == read_bytes(dir.file("two.npz")));
  BOOST_CHECK(read_bytes(dir.file("one.npz")) == read_bytes(dir.file("three.npz")));
}

BOOST_AUTO_TEST_CASE(truncation_at_every_offset_is_rejected) {
  TempDir dir;
  const std::string good = dir.file("good.npz");
  nn::save_npz(good, sample_archive());
  const std::string bytes = read_bytes(good);
  const std::string cut = dir.file("cut.npz");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    write_bytes(cut, bytes.substr(0, n));
    BOOST_TEST_CONTEXT("truncated to " << n << " of " << bytes.size() << " bytes") { expect_format_error(cut); }
  }
}

BOOST_AUTO_TEST_CASE(every_corrupted_byte_is_rejected_or_harmless) {
  TempDir dir;
  const std::string good = dir.file("good.npz");
  nn::save_npz(good, sample_archive());
  const std::string bytes = read_bytes(good);
  const std::string expected = describe(nn::load_npz(good));
  const std::string bad = dir.file("bad.npz");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char x : {0x01, 0x80, 0xff}) {
      std::string b = bytes;
      b[i] = static_cast<char>(b[i] ^ x);
      write_bytes(bad, b);
      check_rejected_or_intact(bad, expected, "byte " + std::to_string(i) + " ^ " + std::to_string(x));
    }
  }
}

BOOST_AUTO_TEST_CASE(random_mutations_are_rejected_or_harmless) {
  TempDir dir;
  const std::string good = dir.file("good.npz");
  nn::save_npz(good, sample_archive());
  const std::string bytes = read_bytes(good);
  const std::string expected = describe(nn::load_npz(good));
  const std::string bad = dir.file("bad.npz");
  std::mt19937 rng(1234);
  const unsigned char interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string b = bytes;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % b.size();
      switch (rng() % 4) {
        case 0: b[at] = static_cast<char>(rng()); break;
        case 1: b[at] = static_cast<char>(interesting[rng() % sizeof interesting]); break;
        case 2:  // a run of 0xff / 0x00, to hit 0xffff / 0xffffffff sentinels and zero sizes
          for (std::size_t j = at; j < std::min(b.size(), at + 4); ++j) b[j] = (iter & 1) ? '\xff' : '\0';
          break;
        default:  // truncate and maybe append garbage
          b.resize(at);
          for (unsigned j = rng() % 40; j > 0; --j) b += static_cast<char>(rng());
          break;
      }
    }
    write_bytes(bad, b);
    check_rejected_or_intact(bad, expected, "mutation " + std::to_string(iter));
  }
}

BOOST_AUTO_TEST_CASE(flipped_data_byte_gives_crc_error) {
  TempDir dir;
  nn::NpzArchive a;
  a.put("first", xt::xarray<float>({1.0f, 2.0f}));
  a.put("layer/weights", xt::xarray<std::int64_t>({0x1122334455667788, 7}));
  const std::string path = dir.file("crc.npz");
  nn::save_npz(path, a);
  std::string bytes = read_bytes(path);
  const std::string marker("\x88\x77\x66\x55\x44\x33\x22\x11", 8);
  const std::size_t at = bytes.find(marker);
  BOOST_REQUIRE(at != std::string::npos);
  bytes[at + 3] = static_cast<char>(bytes[at + 3] ^ 0x10);
  write_bytes(path, bytes);
  expect_format_error(path, {"CRC", "layer/weights.npy"});
}

BOOST_AUTO_TEST_CASE(garbage_empty_and_missing_files) {
  TempDir dir;
  const std::string empty = dir.file("empty.npz");
  write_bytes(empty, "");
  expect_format_error(empty, {"too short"});

  const std::string garbage = dir.file("garbage.npz");
  std::mt19937 rng(7);
  std::string g;
  for (int i = 0; i < 5000; ++i) g += static_cast<char>(rng());
  write_bytes(garbage, g);
  expect_format_error(garbage, {"end-of-central-directory"});

  const std::string text = dir.file("text.npz");
  write_bytes(text, "this is not a zip file, just some text that is longer than twenty-two bytes\n");
  expect_format_error(text);

  // Only the signature of an end record, with a central directory pointing nowhere.
  std::string fake = "PK\x05\x06";
  fake += std::string(8, '\0');
  le32(fake, 46);
  le32(fake, 1000);
  le16(fake, 0);
  const std::string fake_path = dir.file("fake.npz");
  write_bytes(fake_path, fake);
  expect_format_error(fake_path, {"central directory"});

  const std::string missing = dir.file("does_not_exist.npz");
  try {
    nn::load_npz(missing);
    BOOST_ERROR("loading a nonexistent file did not throw");
  } catch (const nn::FormatError& e) {
    BOOST_ERROR("a missing file is an I/O error, not a FormatError: " << e.what());
  } catch (const std::runtime_error& e) {
    BOOST_CHECK_MESSAGE(contains(e.what(), missing), e.what());
  }
  BOOST_CHECK_THROW(nn::load_npz(dir.path().string()), std::runtime_error);  // a directory
}

BOOST_AUTO_TEST_CASE(hand_made_archives_load) {
  TempDir dir;
  const std::string path = dir.file("ok.npz");
  const std::string data = f4_bytes({1, 2, 3, 4, 5, 6});
  // Header variants numpy accepts: other key order and quotes, no trailing comma, odd spacing.
  const std::vector<std::string> dicts = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      "{\"shape\": (2,3), \"descr\": \"<f4\", \"fortran_order\": False}",
      "{ 'fortran_order' : False , 'shape' : ( 2 , 3 , ) , 'descr' : '<f4' }",
  };
  for (const std::string& dict : dicts) {
    write_bytes(path, make_zip({{"w.npy", make_npy(dict, data)}}));
    const nn::NpzArchive a = nn::load_npz(path);
    BOOST_CHECK((a.raw("w").shape == std::vector<std::size_t>{2, 3}));
    BOOST_CHECK(a.raw("w").bytes == std::vector<char>(data.begin(), data.end()));
  }
  // .npy format 2.0: 4-byte header length.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }";
  while ((12 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string v2 = std::string("\x93NUMPY\x02\x00", 8);
  le32(v2, static_cast<std::uint32_t>(header.size()));
  write_bytes(path, make_zip({{"v2.npy", v2 + header + data}}));
  BOOST_CHECK(nn::load_npz(path).get<float>("v2") == xt::xarray<float>({1, 2, 3, 4, 5, 6}));
}

BOOST_AUTO_TEST_CASE(malformed_npy_entries_are_rejected) {
  TempDir dir;
  const std::string path = dir.file("bad.npz");
  const std::string data = f4_bytes({1, 2, 3, 4, 5, 6});
  const std::string good = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data);
  auto check = [&](const std::string& payload, std::initializer_list<std::string> needles) {
    write_bytes(path, make_zip({{"ok.npy", good}, {"layer/w.npy", payload}}));
    expect_format_error(path, needles);
  };
  BOOST_TEST_CONTEXT("bad magic") {
    std::string p = good;
    p[1] = 'X';
    check(p, {"layer/w.npy", "magic"});
  }
  BOOST_TEST_CONTEXT("bad version") {
    std::string p = good;
    p[6] = 9;
    check(p, {"version"});
  }
  BOOST_TEST_CONTEXT("header length past end") {
    std::string p = good;
    p[8] = '\xff';
    p[9] = '\xff';
    check(p, {"header length"});
  }
  BOOST_TEST_CONTEXT("unsupported dtypes") {
    check(make_npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", std::string(24, '\0')),
          {"unsupported dtype '<i4'"});
    check(make_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", data), {"unsupported dtype '>f4'"});
    check(make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (6,), }", std::string(6, '\1')),
          {"unsupported dtype"});
    check(make_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", data), {"structured"});
  }
  BOOST_TEST_CONTEXT("fortran order is converted to C order") {
    write_bytes(path, make_zip({{"w.npy", make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data)}}));
    const nn::NpzArchive a = nn::load_npz(path);
    BOOST_CHECK((a.raw("w").shape == std::vector<std::size_t>{2, 3}));
    BOOST_CHECK(a.get<float>("w") == xt::xarray<float>({{1, 3, 5}, {2, 4, 6}}));
    const std::string c_order = f4_bytes({1, 3, 5, 2, 4, 6});
    BOOST_CHECK(a.raw("w").bytes == std::vector<char>(c_order.begin(), c_order.end()));
  }
  BOOST_TEST_CONTEXT("unparsable headers") {
    for (const char* dict : {
             "",
             "{",
             "not a dict",
             "{'descr': '<f4', 'fortran_order': False}",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
             "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}",
             "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }",
             "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (6), }",
             "{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3), }",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } trailing",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 3), }",
         }) {
      BOOST_TEST_CONTEXT("header " << dict) { check(make_npy(dict, data), {"layer/w.npy", "header"}); }
    }
  }
  BOOST_TEST_CONTEXT("sizes") {
    check(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", data), {"needs 32"});
    check(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", data), {"needs 20"});
    check(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", data), {"needs 4"});
    check(make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data),
          {"too large"});
    check(make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 18446744073709551615), }", ""),
          {"too large"});
  }
  BOOST_TEST_CONTEXT("npy truncated at every length") {
    for (std::size_t n = 0; n < good.size(); ++n) check(good.substr(0, n), {"layer/w.npy"});
  }
}

BOOST_AUTO_TEST_CASE(malformed_zip_structure_is_rejected) {
  TempDir dir;
  const std::string path = dir.file("bad.npz");
  const std::string npy = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4_bytes({1}));

  write_bytes(path, make_zip({{"a.npy", npy}, {"a.npy", npy}}));
  expect_format_error(path, {"duplicate", "a.npy"});

  write_bytes(path, make_zip({{"a.npy", npy}, {"notes.txt", npy}}));
  expect_format_error(path, {"notes.txt", ".npy"});

  write_bytes(path, make_zip({{"a.npy", npy, 12}}));  // bzip2
  expect_format_error(path, {"compression method 12"});

  write_bytes(path, make_zip({{"a.npy", npy, 0, 1}}));  // encrypted
  expect_format_error(path, {"encrypted"});

  // Patch fields of a valid one-entry archive: local header at 0, central directory after it.
  const std::string good = make_zip({{"a.npy", npy}});
  const std::size_t cd = 30 + 5 + npy.size();
  const std::size_t eocd = good.size() - 22;
  auto patch32 = [&](std::size_t at, std::uint32_t v) {
    std::string b = good;
    for (int k = 0; k < 4; ++k) b[at + k] = static_cast<char>((v >> (8 * k)) & 0xff);
    write_bytes(path, b);
  };
  patch32(cd + 42, 0xfffffff0);  // local header offset far outside
  expect_format_error(path, {"local file header"});
  patch32(cd + 42, 0xffffffff);  // ZIP64 sentinel without a ZIP64 field
  expect_format_error(path, {"ZIP64"});
  patch32(cd + 20, 0x7fffffff);  // compressed size past the end
  expect_format_error(path, {"extends past"});
  patch32(cd + 24, 3);  // stored entry whose sizes disagree
  expect_format_error(path, {"uncompressed size"});
  patch32(eocd + 16, 0x7fffffff);  // central directory offset outside
  expect_format_error(path, {"central directory"});
  patch32(eocd + 12, 0x7fffffff);  // central directory size too large
  expect_format_error(path, {"central directory"});
  patch32(eocd + 8, 0x00050005);  // 5 entries claimed, one present
  expect_format_error(path, {"entries"});
  patch32(cd, 0x12345678);  // central directory signature
  expect_format_error(path, {"signature"});
  patch32(0, 0x12345678);  // local header signature
  expect_format_error(path, {"signature"});
  patch32(cd + 16, 0xdeadbeef);  // CRC
  expect_format_error(path, {"CRC"});
}

// libzip's consistency check names no entry; the reader finds which local file header is at fault.
BOOST_AUTO_TEST_CASE(local_header_problems_name_the_entry) {
  TempDir dir;
  const std::string path = dir.file("bad.npz");
  const std::string npy = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4_bytes({1}));
  std::string zip = make_zip({{"a.npy", npy}, {"b.npy", npy}});
  const std::size_t second = 30 + 5 + npy.size();
  zip[second] = 'X';  // the second local header's signature
  write_bytes(path, zip);
  expect_format_error(path, {"entry 'b.npy'", "local file header", "signature", "byte offset " + std::to_string(second)});
  zip = make_zip({{"a.npy", npy}, {"b.npy", npy}});
  zip[second + 30] = 'c';  // the second local header names "c.npy"
  write_bytes(path, zip);
  expect_format_error(path, {"entry 'b.npy'", "local file header disagrees"});
}

// An archive in the ZIP64 style: sizes and offsets in 8-byte extra fields, a ZIP64 end record
// and locator, as Python's zipfile writes for large archives.
std::string make_zip64(const std::string& name, const std::string& payload, bool with_locator) {
  auto le64 = [](std::string& s, std::uint64_t v) {
    le32(s, static_cast<std::uint32_t>(v));
    le32(s, static_cast<std::uint32_t>(v >> 32));
  };
  std::string extra;
  le16(extra, 0x0001);
  le16(extra, 24);
  le64(extra, payload.size());  // uncompressed
  le64(extra, payload.size());  // compressed
  le64(extra, 0);               // local header offset
  std::string z;
  le32(z, 0x04034b50);
  le16(z, 45);
  le16(z, 0);
  le16(z, 0);
  le16(z, 0);
  le16(z, 0x21);
  le32(z, crc32_of(payload));
  le32(z, 0xffffffff);
  le32(z, 0xffffffff);
  le16(z, static_cast<unsigned>(name.size()));
  le16(z, 20);
  z += name;
  le16(z, 0x0001);
  le16(z, 16);
  le64(z, payload.size());
  le64(z, payload.size());
  z += payload;
  const std::uint64_t cd_offset = z.size();
  le32(z, 0x02014b50);
  le16(z, 45);
  le16(z, 45);
  le16(z, 0);
  le16(z, 0);
  le16(z, 0);
  le16(z, 0x21);
  le32(z, crc32_of(payload));
  le32(z, 0xffffffff);
  le32(z, 0xffffffff);
  le16(z, static_cast<unsigned>(name.size()));
  le16(z, static_cast<unsigned>(extra.size()));
  le16(z, 0);
  le16(z, 0);
  le16(z, 0);
  le32(z, 0);
  le32(z, 0xffffffff);
  z += name + extra;
  const std::uint64_t cd_size = z.size() - cd_offset;
  const std::uint64_t end64 = z.size();
  le32(z, 0x06064b50);
  le64(z, 44);
  le16(z, 45);
  le16(z, 45);
  le32(z, 0);
  le32(z, 0);
  le64(z, 1);
  le64(z, 1);
  le64(z, cd_size);
  le64(z, cd_offset);
  if (with_locator) {
    le32(z, 0x07064b50);
    le32(z, 0);
    le64(z, end64);
    le32(z, 1);
  }
  le32(z, 0x06054b50);
  le16(z, 0);
  le16(z, 0);
  le16(z, 0xffff);
  le16(z, 0xffff);
  le32(z, 0xffffffff);
  le32(z, 0xffffffff);
  le16(z, 0);
  return z;
}

BOOST_AUTO_TEST_CASE(zip64_records_are_understood) {
  TempDir dir;
  const std::string path = dir.file("zip64.npz");
  const std::string data = f4_bytes({1, 2, 3});
  const std::string npy = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data);
  write_bytes(path, make_zip64("w.npy", npy, true));
  BOOST_CHECK(nn::load_npz(path).get<float>("w") == xt::xarray<float>({1, 2, 3}));
  write_bytes(path, make_zip64("w.npy", npy, false));
  expect_format_error(path, {"ZIP64"});
  // Every truncation and corrupted byte of the ZIP64 layout is caught or harmless.
  const std::string good = make_zip64("w.npy", npy, true);
  const std::string expected = "w|<f4|(3,)|0000803f0000004000004040\n";
  for (std::size_t i = 0; i < good.size(); ++i) {
    write_bytes(path, good.substr(0, i));
    expect_format_error(path);
    for (unsigned char x : {0x01, 0x80, 0xff}) {
      std::string b = good;
      b[i] = static_cast<char>(b[i] ^ x);
      write_bytes(path, b);
      check_rejected_or_intact(path, expected, "zip64 byte " + std::to_string(i) + " ^ " + std::to_string(x));
    }
  }
}

BOOST_AUTO_TEST_CASE(failed_saves_throw_and_leave_existing_files_intact) {
  TempDir dir;
  const nn::NpzArchive a = sample_archive();

  // Parent directory does not exist.
  const std::string no_dir = dir.file("no_such_dir") + "/x.npz";
  try {
    nn::save_npz(no_dir, a);
    BOOST_ERROR("save into a missing directory did not throw");
  } catch (const std::runtime_error& e) {
    BOOST_CHECK_MESSAGE(contains(e.what(), no_dir), e.what());
  }
  BOOST_CHECK(!fs::exists(dir.file("no_such_dir")));

  // Parent is a regular file.
  const std::string plain = dir.file("plain");
  write_bytes(plain, "I am a file");
  BOOST_CHECK_THROW(nn::save_npz(plain + "/x.npz", a), std::runtime_error);
  BOOST_CHECK_EQUAL(read_bytes(plain), "I am a file");

  // The target is a (non-empty) directory: the rename fails, nothing is lost or left behind.
  const std::string target_dir = dir.file("target_dir");
  fs::create_directory(target_dir);
  write_bytes(target_dir + "/inside", "keep me");
  try {
    nn::save_npz(target_dir, a);
    BOOST_ERROR("save over a directory did not throw");
  } catch (const std::runtime_error& e) {
    BOOST_CHECK_MESSAGE(contains(e.what(), target_dir), e.what());
  }
  BOOST_CHECK(fs::is_directory(target_dir));
  BOOST_CHECK_EQUAL(read_bytes(target_dir + "/inside"), "keep me");
  BOOST_CHECK((dir.listing() == std::vector<std::string>{"plain", "target_dir"}));

  // A write that fails midway (file size limit; works as root too) leaves the old file intact.
  const std::string model = dir.file("model.npz");
  nn::save_npz(model, a);
  const std::string before = read_bytes(model);
  BOOST_REQUIRE_LT(before.size(), 4096u);
  nn::NpzArchive big;
  big.put("w", xt::xarray<float>::from_shape({100000}));
  rlimit old_limit{};
  BOOST_REQUIRE_EQUAL(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = 4096;
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  BOOST_REQUIRE_EQUAL(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string error;
  try {
    nn::save_npz(model, big);
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  BOOST_CHECK_MESSAGE(!error.empty(), "save past the file size limit did not throw");
  BOOST_CHECK_MESSAGE(contains(error, model), error);
  BOOST_CHECK(read_bytes(model) == before);
  BOOST_CHECK((dir.listing() == std::vector<std::string>{"model.npz", "plain", "target_dir"}));

  // A successful overwrite replaces the file and leaves no temporaries.
  nn::save_npz(model, big);
  BOOST_CHECK_EQUAL(nn::load_npz(model).raw("w").bytes.size(), 400000u);
  BOOST_CHECK((dir.listing() == std::vector<std::string>{"model.npz", "plain", "target_dir"}));
}

// A save killed mid-write (SIGKILL: no destructor runs) leaves at most a temporary with a
// recognizable name behind, and the next save into the directory removes it: repeated kills do
// not pile up orphans.
BOOST_AUTO_TEST_CASE(a_killed_save_leaves_nothing_behind_after_the_next_save) {
  TempDir dir;
  const std::string path = dir.file("w.npz");
  nn::NpzArchive big;
  big.put("w", xt::xarray<float>::from_shape({std::size_t{1} << 24}));  // 64 MiB: slow enough to kill
  const pid_t child = ::fork();
  BOOST_REQUIRE_GE(child, 0);
  if (child == 0) {
    try {
      for (;;) nn::save_npz(path, big);
    } catch (...) {
      ::_exit(1);
    }
  }
  ::usleep(300000);
  ::kill(child, SIGKILL);
  int status = 0;
  BOOST_REQUIRE_EQUAL(::waitpid(child, &status, 0), child);
  BOOST_REQUIRE(WIFSIGNALED(status));
  // What a save killed between creating and renaming its temporary leaves (the child is dead).
  write_bytes(dir.file(".tapeflow-tmp-" + std::to_string(child) + "-7"), "half an archive");

  const nn::NpzArchive a = sample_archive();
  nn::save_npz(path, a);
  BOOST_CHECK((dir.listing() == std::vector<std::string>{"w.npz"}));
  BOOST_CHECK_EQUAL(describe(nn::load_npz(path)), describe(a));
}

// NAME_MAX is 255: a 250-byte file name is legal, and the temporary's name must not exceed it.
BOOST_AUTO_TEST_CASE(a_250_byte_file_name_saves_and_loads) {
  TempDir dir;
  const std::string name = std::string(246, 'n') + ".npz";
  BOOST_REQUIRE_EQUAL(name.size(), 250u);
  const nn::NpzArchive a = sample_archive();
  nn::save_npz(dir.file(name), a);
  nn::save_npz(dir.file(name), a);  // and over an existing file
  BOOST_CHECK_EQUAL(describe(nn::load_npz(dir.file(name))), describe(a));
  BOOST_CHECK((dir.listing() == std::vector<std::string>{name}));
}

// The fallback for file systems without O_TMPFILE: a named temporary whose name is short (a
// 250-byte target works) and recognizable, removed by the next save once its process is dead and
// nobody holds its lock; the short name is removed when the final rename fails.
BOOST_AUTO_TEST_CASE(named_temporaries_of_dead_processes_are_removed) {
  namespace files = tapeflow::files;
  TempDir dir;
  const std::string path = dir.file("w.npz");
  const pid_t child = ::fork();
  BOOST_REQUIRE_GE(child, 0);
  if (child == 0) {
    files::detail::use_named_temporaries(true);
    files::AtomicFile out(path, "test");
    out.write("the first half of an archive");
    ::kill(::getpid(), SIGKILL);  // mid-write: no destructor runs
    ::_exit(1);
  }
  int status = 0;
  BOOST_REQUIRE_EQUAL(::waitpid(child, &status, 0), child);
  BOOST_REQUIRE(WIFSIGNALED(status));
  const std::vector<std::string> left = dir.listing();
  BOOST_REQUIRE_EQUAL(left.size(), 1u);
  BOOST_CHECK_EQUAL(left[0].rfind(".tapeflow-tmp-" + std::to_string(child) + "-", 0), 0u);

  // A dead pid in the name, but the file is locked (a writer in another pid namespace): kept.
  const std::string locked = dir.file(".tapeflow-tmp-" + std::to_string(child) + "-999");
  write_bytes(locked, "being written");
  const int fd = ::open(locked.c_str(), O_RDONLY | O_CLOEXEC);
  BOOST_REQUIRE_GE(fd, 0);
  BOOST_REQUIRE_EQUAL(::flock(fd, LOCK_EX), 0);
  struct Named {
    Named() { files::detail::use_named_temporaries(true); }
    ~Named() { files::detail::use_named_temporaries(false); }
  } named;
  const nn::NpzArchive a = sample_archive();
  nn::save_npz(path, a);
  BOOST_CHECK((dir.listing() == std::vector<std::string>{fs::path(locked).filename().string(), "w.npz"}));
  ::close(fd);

  const std::string long_name = dir.file(std::string(246, 'n') + ".npz");
  nn::save_npz(long_name, a);
  BOOST_CHECK_EQUAL(describe(nn::load_npz(long_name)), describe(a));
  fs::create_directory(dir.file("target_dir"));
  BOOST_CHECK_THROW(nn::save_npz(dir.file("target_dir"), a), std::runtime_error);  // rename fails
  BOOST_CHECK((dir.listing() ==
               std::vector<std::string>{fs::path(long_name).filename().string(), "target_dir", "w.npz"}));
}

// A character device or a FIFO is refused by name, not read until bad_alloc or blocked on.
BOOST_AUTO_TEST_CASE(non_regular_files_are_refused) {
  TempDir dir;
  const std::string fifo = dir.file("pipe.npz");
  BOOST_REQUIRE_EQUAL(::mkfifo(fifo.c_str(), 0600), 0);
  const auto load = [](const std::string& p) { nn::load_npz(p); };
  BOOST_CHECK_EQUAL(test::refusal_of(load, "/dev/zero", "character device"), "");
  BOOST_CHECK_EQUAL(test::refusal_of(load, fifo, "FIFO"), "");
  BOOST_CHECK_EQUAL(test::refusal_of(load, dir.path().string(), "directory"), "");
}

BOOST_AUTO_TEST_CASE(numpy_reads_our_files) {
  if (!python_numpy_available()) {
    BOOST_TEST_MESSAGE("numpy interop check skipped: /usr/bin/python3 cannot import numpy");
    return;
  }
  TempDir dir;
  nn::NpzArchive a;
  a.put("dense_1/kernel", filled<float>({2, 3}));
  a.put("dense_1/bias", xt::xarray<float>({0.5f, -0.25f, 1e-30f}));
  a.put("scalar", filled<double>({}));
  a.put("counts", filled<std::int64_t>({5}));
  a.put("empty", filled<double>({0}));
  a.put("cube", filled<float>({2, 3, 4}));
  a.put("\xc3\xbcnicode/\xc3\x9f", filled<double>({1, 2}));
  const std::string npz = dir.file("ours.npz");
  const std::string out = dir.file("numpy_view.txt");
  nn::save_npz(npz, a);
  const std::string script =
      "import sys, numpy as np\n"
      "with np.load(sys.argv[1], allow_pickle=False) as z, open(sys.argv[2], 'w', encoding='utf-8') as out:\n"
      "    for k in z.files:\n"
      "        v = z[k]\n"
      "        out.write('%s|%s|%s|%s\\n' % (k, v.dtype.str, v.shape, v.tobytes().hex()))\n";
  if (!run_python(dir, script, "'" + npz + "' '" + out + "'")) return;
  BOOST_CHECK_EQUAL(read_bytes(out), describe(a));
}

BOOST_AUTO_TEST_CASE(we_read_numpy_files) {
  if (!python_numpy_available()) {
    BOOST_TEST_MESSAGE("numpy interop check skipped: /usr/bin/python3 cannot import numpy");
    return;
  }
  TempDir dir;
  const std::string script = R"PY(
import sys, os, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(0)
arrays = {
    'dense_1/kernel': (np.arange(6, dtype='<f4').reshape(2, 3) / 7).astype('<f4'),
    'scalar': np.array(np.pi),
    'ints': np.arange(-5, 5, dtype='<i8') * 123456789012,
    'empty': np.zeros((0, 3)),
    'special': np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, 3e38], dtype='<f4'),
    'big': rng.standard_normal((300, 200)),
    'cube': np.arange(24, dtype='<i8').reshape(2, 3, 4),
}
np.savez(os.path.join(d, 'plain.npz'), **arrays)
np.savez_compressed(os.path.join(d, 'compressed.npz'), **arrays)
np.savez_compressed(os.path.join(d, 'small_compressed.npz'), a=np.arange(10.0), b=np.ones((2, 2), '<f4'))
with open(os.path.join(d, 'expected.txt'), 'w') as out:
    for k, v in arrays.items():
        out.write('%s|%s|%s|%s\n' % (k, v.dtype.str, v.shape, v.tobytes().hex()))
np.savez(os.path.join(d, 'fortran.npz'), x=np.asfortranarray(np.arange(6.0).reshape(2, 3)), t=np.arange(24, dtype='<i8').reshape(2, 3, 4).T)
np.savez(os.path.join(d, 'int32.npz'), x=np.arange(4, dtype='<i4'))
np.savez(os.path.join(d, 'bigendian.npz'), x=np.arange(4, dtype='>f8'))
np.savez(os.path.join(d, 'bool.npz'), x=np.ones(3, dtype=bool))
)PY";
  if (!run_python(dir, script, "'" + dir.path().string() + "'")) return;
  const std::string expected = read_bytes(dir.file("expected.txt"));
  for (const char* file : {"plain.npz", "compressed.npz"}) {
    BOOST_TEST_CONTEXT(file) {
      const nn::NpzArchive a = nn::load_npz(dir.file(file));
      BOOST_CHECK_EQUAL(describe(a), expected);
      const xt::xarray<float> k = a.get<float>("dense_1/kernel");
      BOOST_CHECK_CLOSE(k(1, 2), 5.0f / 7.0f, 1e-4);
      BOOST_CHECK_CLOSE(a.get<double>("scalar")(), 3.141592653589793, 1e-12);
      BOOST_CHECK_EQUAL(a.get<std::int64_t>("cube")(1, 2, 3), 23);
    }
  }
  // Fortran-ordered arrays (numpy writes them for W.T) load in C order with the same values.
  const nn::NpzArchive fortran = nn::load_npz(dir.file("fortran.npz"));
  BOOST_CHECK(fortran.get<double>("x") == xt::xarray<double>({{0, 1, 2}, {3, 4, 5}}));
  const xt::xarray<std::int64_t> t = fortran.get<std::int64_t>("t");
  BOOST_REQUIRE((fortran.raw("t").shape == std::vector<std::size_t>{4, 3, 2}));
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      for (std::size_t k = 0; k < 2; ++k) BOOST_CHECK_EQUAL(t(i, j, k), static_cast<std::int64_t>(k * 12 + j * 4 + i));
    }
  }
  expect_format_error(dir.file("int32.npz"), {"unsupported dtype '<i4'"});
  expect_format_error(dir.file("bigendian.npz"), {"unsupported dtype '>f8'"});
  expect_format_error(dir.file("bool.npz"), {"unsupported dtype '|b1'"});

  // Corrupting any byte of a deflated archive is caught (by inflate, the CRC or the structure).
  const std::string small = dir.file("small_compressed.npz");
  const std::string bytes = read_bytes(small);
  const std::string good = describe(nn::load_npz(small));
  const std::string bad = dir.file("bad.npz");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string b = bytes;
    b[i] = static_cast<char>(b[i] ^ 0x55);
    write_bytes(bad, b);
    check_rejected_or_intact(bad, good, "deflated, byte " + std::to_string(i));
  }
}
