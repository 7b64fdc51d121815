// In-memory gzip on zlib (see tapeflow/io/gzip.hpp).
#include "tapeflow/io/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <new>
#include <stdexcept>
#include <utility>

#include "tapeflow/io/errors.hpp"

namespace tapeflow::io {

bool is_gzip(const std::uint8_t* bytes, std::size_t size) { return size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b; }

GzipReader::GzipReader(const std::uint8_t* bytes, std::size_t size, std::string where)
    : in_(bytes), size_(size), where_(std::move(where)) {
  if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
}

GzipReader::~GzipReader() { inflateEnd(&zs_); }

void GzipReader::fail(std::uint64_t offset, const std::string& what) const {
  throw FormatError(where_ + ": at byte offset " + std::to_string(offset) + ": " + what);
}

std::size_t GzipReader::read(std::uint8_t* out, std::size_t n) {
  constexpr std::size_t kStep = UINT_MAX;
  std::size_t done = 0;
  while (done < n && !finished_) {
    if (member_ended_) {
      if (pos_ == size_) {
        finished_ = true;
        break;
      }
      if (!is_gzip(in_ + pos_, size_ - pos_)) {
        const std::size_t left = size_ - pos_;
        fail(pos_, std::to_string(left) + (left == 1 ? " byte" : " bytes") +
                       " of trailing garbage after the end of the gzip stream");
      }
      if (inflateReset(&zs_) != Z_OK) throw std::runtime_error(where_ + ": zlib inflateReset failed");
      member_ended_ = false;
    }
    const auto in_chunk = static_cast<uInt>(std::min(size_ - pos_, kStep));
    const auto out_chunk = static_cast<uInt>(std::min(n - done, kStep));
    zs_.next_in = const_cast<Bytef*>(in_ + pos_);  // zlib's API is not const-correct; it only reads
    zs_.avail_in = in_chunk;
    zs_.next_out = out + done;
    zs_.avail_out = out_chunk;
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    const std::size_t consumed = in_chunk - zs_.avail_in;
    const std::size_t produced = out_chunk - zs_.avail_out;
    pos_ += consumed;
    done += produced;
    if (rc == Z_STREAM_END) {
      member_ended_ = true;
      continue;
    }
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
      fail(pos_, std::string("corrupt gzip data: ") + (zs_.msg ? zs_.msg : "inflate failed"));
    }
    if (consumed == 0 && produced == 0) {  // Z_BUF_ERROR: no progress possible
      if (pos_ == size_) {
        fail(pos_, "truncated gzip: the file ends before the end of the gzip stream");
      }
      fail(pos_, "gzip stream stalled");
    }
  }
  return done;
}

std::vector<std::uint8_t> gzip_compress(const std::vector<std::uint8_t>& raw, std::string_view who) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::bad_alloc();
  }
  struct End {
    z_stream* z;
    ~End() { deflateEnd(z); }
  } guard{&zs};
  std::vector<std::uint8_t> out(1 << 16);
  std::size_t in_pos = 0;
  std::size_t out_pos = 0;
  for (;;) {
    if (out_pos == out.size()) out.resize(out.size() * 2);
    const auto in_chunk = static_cast<uInt>(std::min<std::size_t>(raw.size() - in_pos, UINT_MAX));
    const auto out_chunk = static_cast<uInt>(std::min<std::size_t>(out.size() - out_pos, UINT_MAX));
    zs.next_in = const_cast<Bytef*>(raw.data() + in_pos);
    zs.avail_in = in_chunk;
    zs.next_out = out.data() + out_pos;
    zs.avail_out = out_chunk;
    const bool last = raw.size() - in_pos == in_chunk;
    const int rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    in_pos += in_chunk - zs.avail_in;
    out_pos += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error(std::string(who) + ": zlib deflate failed");
  }
  out.resize(out_pos);
  return out;
}

}  // namespace tapeflow::io
