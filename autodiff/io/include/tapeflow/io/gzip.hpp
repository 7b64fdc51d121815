// gzip in memory, on zlib's inflate/deflate: the IDX reader inflates straight into its result,
// so a header that declares more data than the file holds never makes it allocate what it
// declares. zlib's gz* file API is not used: gzread ignores garbage after the last member
// without an error, cannot report where in the compressed file a problem is, and needs a file
// descriptor where the fuzzers and parse_idx have bytes in memory.
//
//   tapeflow::io::GzipReader gz(bytes, size, "read_idx: 'train.gz' (gzip)");
//   std::size_t got = gz.read(out, n);   // n unless the stream ends
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tapeflow::io {

// Whether `bytes` start with the gzip magic 1f 8b.
bool is_gzip(const std::uint8_t* bytes, std::size_t size);

// Inflates one or more concatenated gzip members held in memory (which must outlive it). read()
// fills its buffer completely unless the stream ends; every gzip problem (corrupt data, CRC or
// length mismatch, truncation, garbage after the last member) is a FormatError
// "<where>: at byte offset <compressed offset>: <what>".
class GzipReader {
 public:
  GzipReader(const std::uint8_t* bytes, std::size_t size, std::string where);
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;
  ~GzipReader();

  std::size_t read(std::uint8_t* out, std::size_t n);

 private:
  [[noreturn]] void fail(std::uint64_t offset, const std::string& what) const;

  z_stream zs_{};
  const std::uint8_t* in_;
  std::size_t size_;
  std::size_t pos_ = 0;
  bool member_ended_ = false;
  bool finished_ = false;
  std::string where_;
};

// `raw` as one gzip member, best compression. std::runtime_error "<who>: zlib deflate failed".
std::vector<std::uint8_t> gzip_compress(const std::vector<std::uint8_t>& raw, std::string_view who);

}  // namespace tapeflow::io
