// .npz archives on libzip (see tapeflow/io/npz.hpp). libzip does the ZIP container, ZIP64, CRC
// and deflate; this file adds the checks numpy files need (.npy entries only, no duplicates, no
// encryption, STORED or DEFLATE) and error messages that name the file, the entry and a byte
// offset: libzip reports none, so reads go through a source that remembers where libzip was.

#include "tapeflow/io/npz.hpp"

#include <zip.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>

#include "tapeflow/io/errors.hpp"
#include "tapeflow/io/files.hpp"

namespace tapeflow::io {
namespace {

constexpr zip_uint64_t kNone = std::numeric_limits<zip_uint64_t>::max();
constexpr std::size_t kEndRecordSize = 22;  // a ZIP's end-of-central-directory record, no comment

// The bytes of a file being read, as a libzip source that notes where libzip last read or
// sought: `where` for any error, `first` (after mark()) for the first read of one step.
struct TrackedBytes {
  std::string_view bytes;
  zip_uint64_t pos = 0;
  zip_uint64_t where = 0;
  zip_uint64_t first = kNone;
  zip_uint64_t reads = 0;  // since the source was opened; libzip's first is the archive's tail
  zip_error_t error{};

  void note(zip_uint64_t at) {
    where = at;
    if (first == kNone) first = at;
  }
  void mark() { first = kNone; }
};

zip_int64_t tracked_seek(TrackedBytes& t, void* data, zip_uint64_t len) {
  const auto* args = ZIP_SOURCE_GET_ARGS(zip_source_args_seek_t, data, len, &t.error);
  if (args == nullptr) return -1;
  const zip_int64_t base = args->whence == SEEK_SET   ? 0
                           : args->whence == SEEK_CUR ? static_cast<zip_int64_t>(t.pos)
                                                      : static_cast<zip_int64_t>(t.bytes.size());
  t.note(static_cast<zip_uint64_t>(std::max<zip_int64_t>(0, base + std::min(args->offset, INT64_MAX - base))));
  const zip_int64_t to = zip_source_seek_compute_offset(t.pos, t.bytes.size(), data, len, &t.error);
  if (to < 0) return -1;
  t.pos = static_cast<zip_uint64_t>(to);
  return 0;
}

zip_int64_t tracked_callback(void* state, void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
  auto& t = *static_cast<TrackedBytes*>(state);
  switch (cmd) {
    case ZIP_SOURCE_OPEN:
      t.pos = 0;
      t.reads = 0;
      return 0;
    case ZIP_SOURCE_READ: {
      const zip_uint64_t n = std::min<zip_uint64_t>(len, t.bytes.size() - t.pos);
      if (n != 0) std::memcpy(data, t.bytes.data() + t.pos, n);
      t.note(t.pos);
      t.pos += n;
      ++t.reads;
      return static_cast<zip_int64_t>(n);
    }
    case ZIP_SOURCE_SEEK: return tracked_seek(t, data, len);
    case ZIP_SOURCE_TELL: return static_cast<zip_int64_t>(t.pos);
    case ZIP_SOURCE_STAT: {
      auto* st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &t.error);
      if (st == nullptr) return -1;
      zip_stat_init(st);
      st->size = t.bytes.size();
      st->valid |= ZIP_STAT_SIZE;
      return sizeof(zip_stat_t);
    }
    case ZIP_SOURCE_ERROR: return zip_error_to_data(&t.error, data, len);
    case ZIP_SOURCE_CLOSE:
    case ZIP_SOURCE_FREE: return 0;
    case ZIP_SOURCE_SUPPORTS:
      return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                            ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL,
                                            ZIP_SOURCE_SUPPORTS, -1);
    default: zip_error_set(&t.error, ZIP_ER_OPNOTSUPP, 0); return -1;
  }
}

struct Discard {
  void operator()(zip_t* za) const { zip_discard(za); }
  void operator()(zip_file_t* f) const { zip_fclose(f); }
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};
using Zip = std::unique_ptr<zip_t, Discard>;
using ZipFile = std::unique_ptr<zip_file_t, Discard>;
using ZipSource = std::unique_ptr<zip_source_t, Discard>;

std::string libzip_says(zip_error_t* err) { return std::string(" (libzip: ") + zip_error_strerror(err) + ")"; }

std::string hex32(zip_uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

// Whether the file ends in an end-of-central-directory record (without a comment) whose fields
// say "see the ZIP64 records": then those records are what libzip could not use.
bool end_record_defers_to_zip64(std::string_view b) {
  if (b.size() < kEndRecordSize) return false;
  const auto* e = reinterpret_cast<const unsigned char*>(b.data() + b.size() - kEndRecordSize);
  const auto all_ff = [e](std::size_t at, std::size_t n) { return std::all_of(e + at, e + at + n, [](unsigned char c) { return c == 0xff; }); };
  return std::memcmp(e, "PK\x05\x06", 4) == 0 && (all_ff(10, 2) || all_ff(12, 4) || all_ff(16, 4));
}

// What a failed zip_open means, in the terms of the ZIP format (libzip 1.7 gives only a code).
std::string archive_problem(zip_error_t* err, std::string_view bytes) {
  const std::string zip64 = end_record_defers_to_zip64(bytes)
                                ? "; the end-of-central-directory record defers to ZIP64 records, which are missing or damaged"
                                : "";
  switch (zip_error_code_zip(err)) {
    case ZIP_ER_NOZIP:
      return "not a ZIP archive: no end-of-central-directory record, or a central directory with a wrong signature "
             "or outside the file" + zip64 + libzip_says(err);
    case ZIP_ER_INCONS:
      return "the end-of-central-directory record disagrees with the central directory (number of entries, size or "
             "offset)" + zip64 + libzip_says(err);
    case ZIP_ER_NOENT:  // what libzip reports when it needs a ZIP64 extra field that is not there
      return "a central directory entry has a size or offset 0xffffffff but no ZIP64 extra field" + libzip_says(err);
    default: return "cannot read the ZIP structure" + zip64 + libzip_says(err);
  }
}

// What libzip's consistency check (ZIP_CHECKCONS) found wrong with a local file header.
std::string local_header_problem(zip_error_t* err) {
  if (zip_error_code_zip(err) == ZIP_ER_NOZIP) {
    return "bad local file header: wrong signature, cut short or outside the file" + libzip_says(err);
  }
  return "the local file header disagrees with the central directory (version, flags, method, time, CRC, sizes or "
         "name)" + libzip_says(err);
}

// What a failed zip_fread means for the entry's data.
std::string data_problem(zip_error_t* err, zip_uint32_t crc) {
  switch (zip_error_code_zip(err)) {
    case ZIP_ER_CRC: return "CRC-32 mismatch: the data does not have the CRC " + hex32(crc) + " of the central directory" + libzip_says(err);
    case ZIP_ER_ZLIB:
    case ZIP_ER_COMPRESSED_DATA: return "corrupt deflate data" + libzip_says(err);
    default: return "truncated or inconsistent entry data" + libzip_says(err);
  }
}

class Reader {
 public:
  Reader(std::string_view bytes, const std::string& name) : name_(name) { tracked_.bytes = bytes; }

  NpzArchive read() {
    if (tracked_.bytes.size() < kEndRecordSize) {
      fail({}, 0, "the file is " + std::to_string(tracked_.bytes.size()) +
                      " bytes, too short for a ZIP archive (its end-of-central-directory record alone is 22 bytes)");
    }
    zip_error_t err;
    zip_error_init(&err);
    if (Zip strict = open(ZIP_CHECKCONS, &err)) return read_entries(strict.get());
    const zip_uint64_t where = tracked_.where;  // where libzip's checks failed
    const bool past_tail = tracked_.reads > 1;
    const int code = zip_error_code_zip(&err);
    std::string problem = archive_problem(&err, tracked_.bytes);
    // libzip's consistency check names no entry: read without it to find the entry at fault.
    zip_error_t loose_err;
    zip_error_init(&loose_err);
    if (Zip loose = open(0, &loose_err)) {
      read_entries(loose.get());
      if (const auto* local = past_tail ? local_header_at(where) : nullptr) {
        zip_error_t local_err;
        zip_error_init_with_code(&local_err, code);
        problem = local_header_problem(&local_err);
        zip_error_fini(&local_err);
        fail(local->second, local->first, problem);
      }
    }
    zip_error_fini(&loose_err);
    zip_error_fini(&err);
    fail({}, where, problem);
  }

 private:
  // The entry whose local file header libzip was reading at `at`: it reads the fixed part, the
  // name and the extra field, so `at` is where one of them starts.
  const std::pair<zip_uint64_t, std::string>* local_header_at(zip_uint64_t at) const {
    for (const auto& local : locals_) {
      const zip_uint64_t name_at = local.first + 30;
      if (at == local.first || at == name_at || at == name_at + local.second.size()) return &local;
    }
    return nullptr;
  }

  Zip open(int flags, zip_error_t* err) {
    zip_source_t* src = zip_source_function_create(tracked_callback, &tracked_, err);
    if (src == nullptr) throw std::bad_alloc();
    zip_t* za = zip_open_from_source(src, flags | ZIP_RDONLY, err);
    if (za == nullptr) zip_source_free(src);
    return Zip(za);
  }

  NpzArchive read_entries(zip_t* za) {
    NpzArchive archive;
    const zip_int64_t n = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < n; ++i) read_entry(za, static_cast<zip_uint64_t>(i), archive);
    return archive;
  }

  void read_entry(zip_t* za, zip_uint64_t i, NpzArchive& archive) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za, i, ZIP_FL_ENC_RAW, &st) != 0 || (st.valid & ZIP_STAT_NAME) == 0) {
      fail({}, tracked_.where, "cannot read central directory entry " + std::to_string(i) + libzip_says(zip_get_error(za)));
    }
    const std::string entry = st.name;
    const zip_uint64_t at = local_header_offset(za, i, entry);
    locals_.emplace_back(at, entry);
    check_entry(st, entry, at);
    const std::string key = entry.substr(0, entry.size() - 4);
    if (archive.contains(key)) fail(entry, at, "duplicate entry name");
    const std::vector<unsigned char> data = entry_data(za, i, st, entry);
    try {
      archive.put_raw(key, parse_npy(data.data(), data.size()));
    } catch (const FormatError& e) {
      throw FormatError("load_npz: '" + name_ + "': entry '" + printable(entry, 200) + "': " + e.what());
    }
  }

  // Opens the entry's raw data, which reads its local file header: the first byte libzip reads.
  zip_uint64_t local_header_offset(zip_t* za, zip_uint64_t i, const std::string& entry) {
    tracked_.mark();
    const ZipFile raw(zip_fopen_index(za, i, ZIP_FL_ENCRYPTED));
    if (!raw) {
      fail(entry, tracked_.where, "bad local file header: wrong signature, or outside the file" +
                                      libzip_says(zip_get_error(za)));
    }
    if (tracked_.first == kNone) fail(entry, tracked_.where, "libzip did not read the local file header");
    return tracked_.first;
  }

  void check_entry(const zip_stat_t& st, const std::string& entry, zip_uint64_t at) const {
    if (st.encryption_method != ZIP_EM_NONE) fail(entry, at, "encrypted entries are not supported");
    if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE) {
      fail(entry, at, "unsupported compression method " + std::to_string(st.comp_method) +
                          " (only 0 = stored and 8 = deflate)");
    }
    if (entry.size() < 4 || entry.compare(entry.size() - 4, 4, ".npy") != 0) {
      fail(entry, at, "entry is not a .npy file (name does not end in \".npy\")");
    }
    if (st.comp_size > tracked_.bytes.size() - at) {
      fail(entry, at, "entry data (" + std::to_string(st.comp_size) + " bytes) extends past the end of the file (" +
                          std::to_string(tracked_.bytes.size()) + " bytes)");
    }
    if (st.comp_method == ZIP_CM_STORE && st.size != st.comp_size) {
      fail(entry, at, "stored entry has compressed size " + std::to_string(st.comp_size) +
                          " but uncompressed size " + std::to_string(st.size));
    }
    // Deflate expands at most ~1032:1; a larger declared size is corrupt (and must not make us
    // allocate it).
    if (st.size / 1032 > st.comp_size + 1) {
      fail(entry, at, "declared uncompressed size " + std::to_string(st.size) + " is impossible for " +
                          std::to_string(st.comp_size) + " bytes of deflate data");
    }
  }

  // The declared size's bytes, then end of data: libzip checks the CRC when it reaches the end.
  std::vector<unsigned char> entry_data(zip_t* za, zip_uint64_t i, const zip_stat_t& st, const std::string& entry) {
    const ZipFile f(zip_fopen_index(za, i, 0));
    if (!f) fail(entry, tracked_.where, "cannot open the entry" + libzip_says(zip_get_error(za)));
    std::vector<unsigned char> data(static_cast<std::size_t>(st.size) + 1);
    zip_uint64_t have = 0;
    for (;;) {
      const zip_int64_t r = zip_fread(f.get(), data.data() + have, data.size() - have);
      if (r < 0) fail(entry, tracked_.where, data_problem(zip_file_get_error(f.get()), st.crc));
      if (r == 0) break;
      have += static_cast<zip_uint64_t>(r);
      if (have == data.size()) fail(entry, tracked_.where, "data is longer than the declared " + std::to_string(st.size) + " bytes");
    }
    if (have != st.size) {
      fail(entry, tracked_.where, "data ends after " + std::to_string(have) + " of the declared " +
                                      std::to_string(st.size) + " bytes");
    }
    data.resize(have);
    return data;
  }

  [[noreturn]] void fail(std::string_view entry, zip_uint64_t offset, const std::string& what) const {
    std::string msg = "load_npz: '" + name_ + "': ";
    if (!entry.empty()) msg += "entry '" + printable(entry, 200) + "': ";
    throw FormatError(msg + "at byte offset " + std::to_string(offset) + ": " + what);
  }

  const std::string& name_;
  TrackedBytes tracked_;
  std::vector<std::pair<zip_uint64_t, std::string>> locals_;  // local header offset, entry name
};

// ---------------------------------------------------------------------------------------------
// Writing

// 1980-01-01 00:00 in local time, which libzip stores as the DOS date 0x0021, time 0.
std::time_t dos_epoch() {
  std::tm tm{};
  tm.tm_year = 80;
  tm.tm_mday = 1;
  tm.tm_isdst = -1;
  return std::mktime(&tm);
}

[[noreturn]] void save_failed(const std::string& path, const std::string& what, zip_error_t* err) {
  throw std::runtime_error("save_npz: cannot save '" + path + "': " + what + libzip_says(err));
}

// Adds `header` + the array's bytes as an uncompressed "<name>.npy"; both must outlive zip_close.
void add_entry(zip_t* za, const std::string& name, const std::string& header, const NpyArray& a,
               const std::string& path) {
  zip_buffer_fragment_t parts[2] = {{reinterpret_cast<zip_uint8_t*>(const_cast<char*>(header.data())), header.size()},
                                    {reinterpret_cast<zip_uint8_t*>(const_cast<char*>(a.bytes.data())), a.bytes.size()}};
  zip_source_t* src = zip_source_buffer_fragment(za, parts, a.bytes.empty() ? 1 : 2, 0);
  if (src == nullptr) save_failed(path, "entry '" + name + "'", zip_get_error(za));
  const zip_int64_t i = zip_file_add(za, (name + ".npy").c_str(), src, ZIP_FL_ENC_UTF_8);
  if (i < 0) {
    zip_source_free(src);
    save_failed(path, "entry '" + name + "'", zip_get_error(za));
  }
  const auto at = static_cast<zip_uint64_t>(i);
  if (zip_set_file_compression(za, at, ZIP_CM_STORE, 0) != 0 || zip_file_set_mtime(za, at, dos_epoch(), 0) != 0 ||
      zip_file_set_external_attributes(za, at, 0, ZIP_OPSYS_UNIX, 0100644u << 16) != 0) {
    save_failed(path, "entry '" + name + "'", zip_get_error(za));
  }
}

// Every byte of the in-memory archive `src` (which zip_close has written).
std::string source_bytes(zip_source_t* src, const std::string& path) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0) save_failed(path, "reading the archive back", zip_source_error(src));
  std::string bytes(static_cast<std::size_t>(st.size), '\0');
  const zip_int64_t r = zip_source_read(src, bytes.data(), bytes.size());
  zip_source_close(src);
  if (r < 0 || static_cast<zip_uint64_t>(r) != st.size) save_failed(path, "reading the archive back", zip_source_error(src));
  return bytes;
}

// The whole .npz. libzip writes no file for an empty archive, so that one is spelt out: the
// end-of-central-directory record alone.
std::string archive_bytes(const NpzArchive& archive, const std::string& path) {
  if (archive.size() == 0) return std::string("PK\x05\x06", 4) + std::string(kEndRecordSize - 4, '\0');
  zip_error_t err;
  zip_error_init(&err);
  const ZipSource out(zip_source_buffer_create(nullptr, 0, 0, &err));
  if (!out) save_failed(path, "in-memory archive", &err);
  zip_source_keep(out.get());  // one reference for the zip_t, one for reading the bytes back
  zip_t* za = zip_open_from_source(out.get(), ZIP_TRUNCATE, &err);
  if (za == nullptr) {
    zip_source_free(out.get());
    save_failed(path, "in-memory archive", &err);
  }
  std::vector<std::string> headers;
  headers.reserve(archive.size());  // no reallocation: libzip holds pointers into the strings
  try {
    for (const std::string& name : archive.names()) {
      add_entry(za, name, headers.emplace_back(npy_header(archive.raw(name))), archive.raw(name), path);
    }
  } catch (...) {
    zip_discard(za);
    throw;
  }
  if (zip_close(za) != 0) {
    const std::string why = libzip_says(zip_get_error(za));
    zip_discard(za);
    throw std::runtime_error("save_npz: cannot save '" + path + "': writing the archive failed" + why);
  }
  return source_bytes(out.get(), path);
}

}  // namespace

void NpzArchive::put_raw(const std::string& name, NpyArray array) {
  const std::size_t itemsize = npy_itemsize(array.dtype);
  if (itemsize == 0) {
    throw std::invalid_argument("npz: entry '" + name + "': unsupported dtype '" + array.dtype +
                                "' (supported: '<f4', '<f8', '<i8')");
  }
  const auto nbytes = npy_byte_count(array.shape, itemsize);
  if (!nbytes || *nbytes != array.bytes.size()) {
    throw std::invalid_argument("npz: entry '" + name + "': " + std::to_string(array.bytes.size()) +
                                " bytes do not match shape " + npy_shape_repr(array.shape) + " of dtype '" +
                                array.dtype + "'");
  }
  auto [it, inserted] = arrays_.insert_or_assign(name, std::move(array));
  if (inserted) order_.push_back(name);
}

const NpyArray& NpzArchive::raw(const std::string& name) const {
  auto it = arrays_.find(name);
  if (it == arrays_.end()) throw std::out_of_range("npz: no entry named '" + name + "'");
  return it->second;
}

void save_npz(const std::string& path, const NpzArchive& archive) {
  files::write_file_atomically(path, archive_bytes(archive, path), "save_npz");
}

NpzArchive parse_npz(std::string_view bytes, const std::string& name) { return Reader(bytes, name).read(); }

NpzArchive load_npz(const std::string& path) {
  const std::string bytes = files::read_regular_file(path, "load_npz");
  return parse_npz(bytes, path);
}

}  // namespace tapeflow::io
