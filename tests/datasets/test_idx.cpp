#define BOOST_TEST_MODULE test_idx
#include <boost/test/unit_test.hpp>

#include "common/non_regular.hpp"
#include "common/temp_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "datasets/errors.hpp"
#include "datasets/idx.hpp"
#include "datasets/paths.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  BOOST_REQUIRE(out.good());
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// An IDX file built by hand: 00 00 <type> <ndims>, big-endian dims, data.
Bytes make_idx(const std::vector<std::uint32_t>& dims, const Bytes& data, std::uint8_t type = 0x08) {
  Bytes b{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (const std::uint32_t d : dims) {
    b.push_back(static_cast<std::uint8_t>(d >> 24));
    b.push_back(static_cast<std::uint8_t>(d >> 16));
    b.push_back(static_cast<std::uint8_t>(d >> 8));
    b.push_back(static_cast<std::uint8_t>(d));
  }
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes iota_bytes(std::size_t n, std::uint8_t start = 0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i * 37);
  return b;
}

std::uint32_t crc32(const Bytes& data) {
  std::uint32_t crc = 0xffffffffu;
  for (const std::uint8_t byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_le32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A gzip member built by hand, without zlib: deflate "stored" blocks of at most `block` bytes.
Bytes gzip_stored(const Bytes& data, std::size_t block = 65535) {
  Bytes g{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(block, data.size() - pos);
    const bool last = pos + n == data.size();
    g.push_back(last ? 1 : 0);
    g.push_back(static_cast<std::uint8_t>(n));
    g.push_back(static_cast<std::uint8_t>(n >> 8));
    g.push_back(static_cast<std::uint8_t>(~n));
    g.push_back(static_cast<std::uint8_t>(~n >> 8));
    g.insert(g.end(), data.begin() + static_cast<std::ptrdiff_t>(pos), data.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  } while (pos < data.size());
  put_le32(g, crc32(data));
  put_le32(g, static_cast<std::uint32_t>(data.size()));
  return g;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Checks that reading `path` throws a FormatError whose message names the file, "byte offset
// <offset>" (any offset when offset < 0) and every string in `parts`.
void expect_format_error(const std::string& path, long offset, const std::vector<std::string>& parts = {}) {
  try {
    datasets::read_idx(path);
    BOOST_ERROR("no FormatError for " << path);
  } catch (const datasets::FormatError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO("message: " << msg);
    BOOST_CHECK(contains(msg, "'" + path + "'"));
    const std::string at = "byte offset " + std::to_string(offset);
    BOOST_CHECK(offset < 0 ? contains(msg, "byte offset ") : contains(msg, at + ":") || contains(msg, at + " of the decompressed data:"));
    for (const auto& p : parts) BOOST_CHECK_MESSAGE(contains(msg, p), "'" << p << "' missing from: " << msg);
  }
}

void check_array(const datasets::IdxArray& a, const std::vector<std::size_t>& dims, const Bytes& data) {
  BOOST_TEST(a.type_code == 0x08);
  BOOST_TEST(a.dims == dims, boost::test_tools::per_element());
  BOOST_TEST(a.data == data, boost::test_tools::per_element());
}

}  // namespace

BOOST_AUTO_TEST_CASE(plain_round_trip_and_conversions) {
  test::TempDir dir("idx");
  const Bytes data = iota_bytes(2 * 3 * 4);
  write_bytes(dir / "images", make_idx({2, 3, 4}, data));
  check_array(datasets::read_idx(dir / "images"), {2, 3, 4}, data);

  const xt::xarray<float> scaled = datasets::load_idx_images(dir / "images");
  BOOST_TEST((scaled.shape() == std::vector<std::size_t>{2, 3, 4}));
  const xt::xarray<float> raw = datasets::load_idx_images(dir / "images", false);
  for (std::size_t i = 0; i < data.size(); ++i) {
    BOOST_TEST(raw.data()[i] == static_cast<float>(data[i]));
    BOOST_TEST(scaled.data()[i] == static_cast<float>(data[i]) / 255.0f);
    BOOST_TEST(scaled.data()[i] >= 0.0f);
    BOOST_TEST(scaled.data()[i] <= 1.0f);
  }
  BOOST_TEST(scaled(1, 2, 3) == static_cast<float>(data[23]) / 255.0f);

  write_bytes(dir / "labels", make_idx({5}, {3, 1, 4, 1, 5}));
  const xt::xarray<float> labels = datasets::load_idx_labels(dir / "labels");
  BOOST_TEST((labels.shape() == std::vector<std::size_t>{5}));
  BOOST_TEST(labels(2) == 4.0f);

  // Four dims, and zero-sized dims (no data at all) are fine.
  write_bytes(dir / "four", make_idx({1, 2, 1, 3}, iota_bytes(6)));
  check_array(datasets::read_idx(dir / "four"), {1, 2, 1, 3}, iota_bytes(6));
  write_bytes(dir / "empty", make_idx({0, 28, 28}, {}));
  check_array(datasets::read_idx(dir / "empty"), {0, 28, 28}, {});
  BOOST_TEST((datasets::load_idx_images(dir / "empty").shape() == std::vector<std::size_t>{0, 28, 28}));
  // Four huge dims with a zero among them: the product is 0, not an overflow.
  write_bytes(dir / "zero", make_idx({0xffffffffu, 0xffffffffu, 0xffffffffu, 0}, {}));
  check_array(datasets::read_idx(dir / "zero"), {0xffffffffu, 0xffffffffu, 0xffffffffu, 0}, {});
}

BOOST_AUTO_TEST_CASE(in_memory_parse) {
  const Bytes file = make_idx({3}, {7, 8, 9});
  check_array(datasets::parse_idx(file.data(), file.size(), "mem"), {3}, {7, 8, 9});
  const Bytes gz = gzip_stored(file);
  check_array(datasets::parse_idx(gz.data(), gz.size(), "mem.gz"), {3}, {7, 8, 9});
  BOOST_CHECK_THROW(datasets::parse_idx(nullptr, 0, "nothing"), datasets::FormatError);
}

BOOST_AUTO_TEST_CASE(gzip_round_trips) {
  test::TempDir dir("idx");
  const Bytes data = iota_bytes(5 * 7 * 3, 11);
  const Bytes file = make_idx({5, 7, 3}, data);

  // Hand-made stored blocks (no zlib on the writing side), in one block and in many.
  write_bytes(dir / "stored.gz", gzip_stored(file));
  check_array(datasets::read_idx(dir / "stored.gz"), {5, 7, 3}, data);
  write_bytes(dir / "blocks.gz", gzip_stored(file, 10));
  check_array(datasets::read_idx(dir / "blocks.gz"), {5, 7, 3}, data);

  // Two concatenated members are one stream (as gzip -c a >> f; gzip -c b >> f makes).
  Bytes two = gzip_stored(Bytes(file.begin(), file.begin() + 20));
  const Bytes second = gzip_stored(Bytes(file.begin() + 20, file.end()));
  two.insert(two.end(), second.begin(), second.end());
  write_bytes(dir / "two.gz", two);
  check_array(datasets::read_idx(dir / "two.gz"), {5, 7, 3}, data);

  // write_idx: plain bytes are exactly the format; gzip (real deflate) reads back.
  datasets::IdxArray a;
  a.dims = {5, 7, 3};
  a.data = data;
  datasets::write_idx(dir / "w", a);
  BOOST_TEST(read_bytes(dir / "w") == file, boost::test_tools::per_element());
  datasets::write_idx(dir / "w.gz", a, true);
  const Bytes w_gz = read_bytes(dir / "w.gz");
  BOOST_REQUIRE(w_gz.size() >= 2);
  BOOST_TEST(w_gz[0] == 0x1f);
  BOOST_TEST(w_gz[1] == 0x8b);
  check_array(datasets::read_idx(dir / "w.gz"), {5, 7, 3}, data);

  // A bigger, compressible array through real deflate.
  datasets::IdxArray big;
  big.dims = {300, 28, 28};
  big.data.resize(300 * 28 * 28);
  for (std::size_t i = 0; i < big.data.size(); ++i) big.data[i] = static_cast<std::uint8_t>((i / 97) % 7 * 30);
  datasets::write_idx(dir / "big.gz", big, true);
  BOOST_TEST(fs::file_size(dir / "big.gz") < big.data.size() / 4);
  const xt::xarray<float> images = datasets::load_idx_images(dir / "big.gz", false);
  BOOST_TEST((images.shape() == std::vector<std::size_t>{300, 28, 28}));
  BOOST_TEST(images(299, 27, 27) == static_cast<float>(big.data.back()));

  // Detection is by content, not by name.
  write_bytes(dir / "gzip-named-plain.idx", gzip_stored(file));
  check_array(datasets::read_idx(dir / "gzip-named-plain.idx"), {5, 7, 3}, data);
  write_bytes(dir / "plain-named.gz", file);
  check_array(datasets::read_idx(dir / "plain-named.gz"), {5, 7, 3}, data);

  BOOST_CHECK_THROW(datasets::write_idx(dir / "bad", datasets::IdxArray{0x08, {2, 2}, {1, 2, 3}}), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::write_idx(dir / "bad", datasets::IdxArray{0x08, {}, {}}), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::write_idx(dir / "bad", datasets::IdxArray{0x0D, {1}, {1}}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(malformed_plain_files) {
  test::TempDir dir("idx");
  const auto write = [&](const std::string& name, const Bytes& b) {
    write_bytes(dir / name, b);
    return dir / name;
  };
  Bytes bad0 = make_idx({2}, {1, 2});
  bad0[0] = 0x01;
  expect_format_error(write("bad0", bad0), 0, {"bad magic"});
  Bytes bad1 = make_idx({2}, {1, 2});
  bad1[1] = 0x08;
  expect_format_error(write("bad1", bad1), 1, {"bad magic"});
  expect_format_error(write("png", {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}), 0, {"bad magic"});
  expect_format_error(write("text", {'h', 'e', 'l', 'l', 'o', '\n'}), 0, {"bad magic"});

  expect_format_error(write("float", make_idx({2}, {0, 0, 0, 0, 0, 0, 0, 0}, 0x0D)), 2,
                      {"unsupported IDX type code 0x0d", "float32", "0x08"});
  expect_format_error(write("int32", make_idx({1}, {0, 0, 0, 0}, 0x0C)), 2, {"unsupported", "int32"});
  expect_format_error(write("weird", make_idx({1}, {0}, 0x42)), 2, {"unsupported IDX type code 0x42"});

  expect_format_error(write("ndims0", {0, 0, 8, 0}), 3, {"number of dimensions 0"});
  expect_format_error(write("ndims5", make_idx({1, 1, 1, 1, 1}, {9})), 3, {"number of dimensions 5"});
  expect_format_error(write("ndims255", {0, 0, 8, 255, 0, 0, 0, 1}), 3, {"number of dimensions 255"});

  // (2^32-1)^2 fits in 64 bits, (2^32-1)^3 does not: the third dim (offset 12) overflows.
  expect_format_error(write("overflow", make_idx({0xffffffffu, 0xffffffffu, 0xffffffffu, 2}, {})), 12, {"overflow"});
  // Fits in 64 bits but is far more than the file: truncated, without allocating it.
  expect_format_error(write("huge", make_idx({0xffffffffu, 0xffffffffu}, {1, 2, 3})), 12 + 3,
                      {"truncated data", "4294967295x4294967295", "only 3"});

  // Header 12 bytes, dims 2x3 = 6 data bytes.
  expect_format_error(write("short", make_idx({2, 3}, iota_bytes(5))), 12 + 5, {"truncated data", "2x3", "need 6", "only 5"});
  expect_format_error(write("nodata", make_idx({2, 3}, {})), 12, {"truncated data"});
  expect_format_error(write("long", make_idx({2, 3}, iota_bytes(7))), 12 + 6, {"trailing data: 1 byte after", "2x3"});
  expect_format_error(write("longer", make_idx({2, 3}, iota_bytes(6 + 1000))), 12 + 6, {"trailing data: 1000 bytes after"});

  expect_format_error(write("empty", {}), 0, {"empty file"});
  expect_format_error(write("magic-only", {0, 0, 8}), 3, {"truncated header"});
  expect_format_error(write("half-dims", {0, 0, 8, 2, 0, 0, 0, 2, 0, 0}), 10, {"truncated header"});

  // A header of the wrong rank for images/labels.
  write("rank2", make_idx({2, 3}, iota_bytes(6)));
  BOOST_CHECK_EXCEPTION(datasets::load_idx_images(dir / "rank2"), datasets::FormatError,
                        [&](const datasets::FormatError& e) {
                          const std::string m = e.what();
                          return contains(m, dir / "rank2") && contains(m, "byte offset 3") && contains(m, "expected 3");
                        });
  BOOST_CHECK_EXCEPTION(datasets::load_idx_labels(dir / "rank2"), datasets::FormatError,
                        [&](const datasets::FormatError& e) {
                          const std::string m = e.what();
                          return contains(m, dir / "rank2") && contains(m, "byte offset 3") && contains(m, "expected 1");
                        });
}

BOOST_AUTO_TEST_CASE(malformed_gzip_files) {
  test::TempDir dir("idx");
  const auto write = [&](const std::string& name, const Bytes& b) {
    write_bytes(dir / name, b);
    return dir / name;
  };
  const Bytes file = make_idx({2, 3}, iota_bytes(6));
  const Bytes gz = gzip_stored(file);  // 10 header + 5 block header + 18 data + 8 trailer

  // A stored block's NLEN must be ~LEN.
  Bytes bad_len = gz;
  bad_len[13] ^= 0xff;
  expect_format_error(write("badlen.gz", bad_len), -1, {"(gzip)", "corrupt gzip data"});
  // Data changed: the CRC-32 in the trailer no longer matches.
  Bytes bad_crc = gz;
  bad_crc[28] ^= 0x01;  // a data byte, past the IDX header
  expect_format_error(write("badcrc.gz", bad_crc), -1, {"(gzip)", "corrupt gzip data", "check"});
  // ISIZE wrong.
  Bytes bad_size = gz;
  bad_size[bad_size.size() - 4] ^= 0x01;
  expect_format_error(write("badsize.gz", bad_size), -1, {"(gzip)", "corrupt gzip data"});
  // Not deflate (compression method 9).
  Bytes bad_method = gz;
  bad_method[2] = 9;
  expect_format_error(write("badmethod.gz", bad_method), -1, {"(gzip)", "corrupt gzip data"});
  // Garbage after the stream, and a truncated stream.
  Bytes trailing = gz;
  trailing.push_back(0);
  trailing.push_back(0);
  expect_format_error(write("trailing.gz", trailing), static_cast<long>(gz.size()), {"(gzip)", "2 bytes of trailing garbage"});
  expect_format_error(write("cut.gz", Bytes(gz.begin(), gz.end() - 3)), static_cast<long>(gz.size() - 3),
                      {"(gzip)", "truncated gzip"});
  expect_format_error(write("magic-only.gz", {0x1f, 0x8b}), 2, {"(gzip)", "truncated gzip"});

  // A valid gzip stream holding a malformed IDX: offsets count decompressed bytes.
  expect_format_error(write("short-idx.gz", gzip_stored(make_idx({2, 3}, iota_bytes(4)))), 12 + 4,
                      {"of the decompressed data", "truncated data", "only 4"});
  expect_format_error(write("long-idx.gz", gzip_stored(make_idx({2, 3}, iota_bytes(9)))), 12 + 6,
                      {"of the decompressed data", "trailing data"});
  expect_format_error(write("type-idx.gz", gzip_stored(make_idx({1}, {0, 0, 0, 0, 0, 0, 0, 0}, 0x0E))), 2,
                      {"of the decompressed data", "float64"});
  expect_format_error(write("empty-idx.gz", gzip_stored({})), 0, {"of the decompressed data", "empty file"});

  // Real deflate data with a flipped bit somewhere in the middle.
  datasets::IdxArray a;
  a.dims = {50, 20};
  a.data = iota_bytes(1000, 3);
  datasets::write_idx(dir / "real.gz", a, true);
  const Bytes real = read_bytes(dir / "real.gz");
  for (std::size_t at = 10; at < real.size(); at += 7) {
    Bytes flipped = real;
    flipped[at] ^= 0x10;
    expect_format_error(write("flip.gz", flipped), -1, {"(gzip)"});
  }
}

BOOST_AUTO_TEST_CASE(truncated_at_every_offset) {
  test::TempDir dir("idx");
  const Bytes file = make_idx({3, 2, 2}, iota_bytes(12, 5));
  datasets::IdxArray a;
  a.dims = {3, 2, 2};
  a.data = iota_bytes(12, 5);
  datasets::write_idx(dir / "deflate.gz", a, true);
  const std::vector<std::pair<std::string, Bytes>> variants{
      {"plain", file}, {"stored.gz", gzip_stored(file, 5)}, {"deflate.gz", read_bytes(dir / "deflate.gz")}};
  for (const auto& [name, bytes] : variants) {
    check_array(datasets::parse_idx(bytes.data(), bytes.size(), name), {3, 2, 2}, iota_bytes(12, 5));
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      BOOST_TEST_CONTEXT(name << " cut to " << n << " bytes") {
        const std::string path = dir / ("cut-" + name);
        write_bytes(path, Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
        expect_format_error(path, -1);
      }
    }
    // One byte more, anywhere at the end, is never silently accepted either.
    for (const std::uint8_t extra : {0x00, 0x1f, 0xff}) {
      Bytes longer = bytes;
      longer.push_back(extra);
      write_bytes(dir / ("long-" + name), longer);
      expect_format_error(dir / ("long-" + name), -1);
    }
  }
}

BOOST_AUTO_TEST_CASE(missing_files_name_the_fetch_command) {
  test::TempDir dir("idx");
  const std::string path = dir / "no-such-file";
  try {
    datasets::read_idx(path);
    BOOST_ERROR("no MissingDataError");
  } catch (const datasets::MissingDataError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO("message: " << msg);
    BOOST_CHECK(contains(msg, path));
    BOOST_CHECK(contains(msg, "cmake --build"));
    BOOST_CHECK(contains(msg, "--target fetch-data"));
    BOOST_CHECK(contains(msg, "TAPEFLOW_DATA"));
    BOOST_CHECK(contains(msg, datasets::fetch_command()));
  }
  BOOST_CHECK_THROW(datasets::load_idx_images(dir / "nope/images"), datasets::MissingDataError);
  // A directory is not "missing": a plain runtime_error naming it.
  BOOST_CHECK_EXCEPTION(datasets::read_idx(dir.path.string()), std::runtime_error, [&](const std::runtime_error& e) {
    return contains(e.what(), dir.path.string()) && dynamic_cast<const datasets::MissingDataError*>(&e) == nullptr;
  });

  try {
    datasets::load_mnist(dir / "mnist");
    BOOST_ERROR("no MissingDataError");
  } catch (const datasets::MissingDataError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO("message: " << msg);
    BOOST_CHECK(contains(msg, "train-images-idx3-ubyte' not found (also tried .gz)"));
    BOOST_CHECK(contains(msg, dir / "mnist"));
    BOOST_CHECK(contains(msg, "--target fetch-data"));
  }
}

namespace {

// A tiny MNIST-like directory: 3 training and 2 test images of 2x3 pixels.
void write_fake_mnist(const test::TempDir& dir, const std::string& sub, bool gz_test) {
  fs::create_directories(dir.path / sub);
  const auto put = [&](const std::string& name, const Bytes& b, bool gz) {
    write_bytes(dir / (sub + "/" + name + (gz ? ".gz" : "")), gz ? gzip_stored(b) : b);
  };
  put("train-images-idx3-ubyte", make_idx({3, 2, 3}, iota_bytes(18)), false);
  put("train-labels-idx1-ubyte", make_idx({3}, {0, 9, 4}), false);
  put("t10k-images-idx3-ubyte", make_idx({2, 2, 3}, iota_bytes(12, 100)), gz_test);
  put("t10k-labels-idx1-ubyte", make_idx({2}, {7, 1}), gz_test);
}

void expect_load_error(const std::string& dir, const std::vector<std::string>& parts) {
  try {
    datasets::load_mnist(dir);
    BOOST_ERROR("no FormatError");
  } catch (const datasets::FormatError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) BOOST_CHECK_MESSAGE(contains(msg, p), "'" << p << "' missing from: " << msg);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(load_tiny_mnist) {
  test::TempDir dir("idx");
  write_fake_mnist(dir, "mnist", true);
  const datasets::ImageDataset d = datasets::load_mnist(dir / "mnist");
  BOOST_TEST((d.train_images.shape() == std::vector<std::size_t>{3, 2, 3}));
  BOOST_TEST((d.train_labels.shape() == std::vector<std::size_t>{3}));
  BOOST_TEST((d.test_images.shape() == std::vector<std::size_t>{2, 2, 3}));
  BOOST_TEST((d.test_labels.shape() == std::vector<std::size_t>{2}));
  BOOST_TEST(d.train_labels(1) == 9.0f);
  BOOST_TEST(d.test_labels(0) == 7.0f);
  BOOST_TEST(d.train_images(2, 1, 2) == static_cast<float>(iota_bytes(18)[17]) / 255.0f);
  BOOST_TEST(d.test_images(0, 0, 0) == 100.0f / 255.0f);
  const datasets::ImageDataset raw = datasets::load_fashion_mnist(dir / "mnist", false);
  BOOST_TEST(raw.test_images(0, 0, 0) == 100.0f);

  // The plain file wins when both exist.
  write_bytes(dir / "mnist/t10k-labels-idx1-ubyte", make_idx({2}, {3, 3}));
  BOOST_TEST(datasets::load_mnist(dir / "mnist").test_labels(0) == 3.0f);

  // Counts disagree.
  write_fake_mnist(dir, "count", false);
  write_bytes(dir / "count/train-labels-idx1-ubyte", make_idx({2}, {1, 2}));
  expect_load_error(dir / "count", {dir / "count/train-labels-idx1-ubyte", "byte offset 4", "2 labels",
                                    dir / "count/train-images-idx3-ubyte", "3 images"});
  // A label of 10 (the third one: offset 8 + 2).
  write_fake_mnist(dir, "label", true);
  write_bytes(dir / "label/t10k-labels-idx1-ubyte.gz", gzip_stored(make_idx({2}, {1, 10})));
  expect_load_error(dir / "label", {dir / "label/t10k-labels-idx1-ubyte.gz", "byte offset 9 of the decompressed data",
                                    "label 10"});
  // Train and test images of different sizes.
  write_fake_mnist(dir, "size", false);
  write_bytes(dir / "size/t10k-images-idx3-ubyte", make_idx({2, 3, 2}, iota_bytes(12)));
  expect_load_error(dir / "size", {dir / "size/t10k-images-idx3-ubyte", "byte offset 8", "3x2", "2x3"});
  // Labels file with images' rank.
  write_fake_mnist(dir, "rank", false);
  write_bytes(dir / "rank/train-labels-idx1-ubyte", make_idx({3, 1}, {1, 2, 3}));
  expect_load_error(dir / "rank", {dir / "rank/train-labels-idx1-ubyte", "byte offset 3"});
  // One file missing: MissingDataError before anything is read.
  write_fake_mnist(dir, "missing", false);
  fs::remove(dir.path / "missing/t10k-labels-idx1-ubyte");
  BOOST_CHECK_EXCEPTION(datasets::load_fashion_mnist(dir / "missing"), datasets::MissingDataError,
                        [](const datasets::MissingDataError& e) {
                          return contains(e.what(), "load_fashion_mnist") &&
                                 contains(e.what(), "t10k-labels-idx1-ubyte' not found (also tried .gz)") &&
                                 contains(e.what(), "fetch-data");
                        });
}

BOOST_AUTO_TEST_CASE(data_dir_precedence) {
  const char* old = std::getenv("TAPEFLOW_DATA");
  const std::string saved = old ? old : "";
  ::unsetenv("TAPEFLOW_DATA");
  BOOST_TEST(datasets::data_dir() == datasets::default_data_dir());
  BOOST_TEST(!datasets::default_data_dir().empty());
  BOOST_TEST(datasets::data_dir("/from/cli") == "/from/cli");
  ::setenv("TAPEFLOW_DATA", "/from/env", 1);
  BOOST_TEST(datasets::data_dir() == "/from/env");
  BOOST_TEST(datasets::data_dir("/from/cli") == "/from/cli");
  ::setenv("TAPEFLOW_DATA", "", 1);
  BOOST_TEST(datasets::data_dir() == datasets::default_data_dir());
  if (old) {
    ::setenv("TAPEFLOW_DATA", saved.c_str(), 1);
  } else {
    ::unsetenv("TAPEFLOW_DATA");
  }
  BOOST_TEST(contains(datasets::fetch_hint(), datasets::fetch_command()));
}

// A character device or a FIFO is refused by name, not read until bad_alloc or blocked on.
BOOST_AUTO_TEST_CASE(non_regular_files_are_refused) {
  test::TempDir dir("idx");
  const std::string fifo = dir / "train-images-idx3-ubyte";
  BOOST_REQUIRE_EQUAL(::mkfifo(fifo.c_str(), 0600), 0);
  const auto read = [](const std::string& p) { datasets::read_idx(p); };
  const auto images = [](const std::string& p) { datasets::load_idx_images(p); };
  BOOST_CHECK_EQUAL(test::refusal_of(read, "/dev/zero", "character device"), "");
  BOOST_CHECK_EQUAL(test::refusal_of(read, fifo, "FIFO"), "");
  BOOST_CHECK_EQUAL(test::refusal_of(images, fifo, "FIFO"), "");
}
