// Atomic file replacement and bounded whole-file reads (see tapeflow/io/files.hpp). Linux: O_TMPFILE,
// linkat, flock; only the C++ and POSIX libraries.

#include "tapeflow/io/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace tapeflow::files {
namespace {

std::atomic<bool> named_only{false};
std::atomic<unsigned> counter{0};

constexpr std::string_view kTempPrefix = ".tapeflow-tmp-";

std::string errno_text(int err) { return std::generic_category().message(err); }

// ".tapeflow-tmp-<pid>-<n>": at most 14 + 10 + 1 + 10 characters whatever the target's name.
std::string temp_name() { return std::string(kTempPrefix) + std::to_string(::getpid()) + "-" + std::to_string(counter++); }

// The pid in a temporary's name, or nothing when `name` is not one.
std::optional<pid_t> temp_name_pid(std::string_view name) {
  if (!name.starts_with(kTempPrefix)) return std::nullopt;
  name.remove_prefix(kTempPrefix.size());
  const std::size_t dash = name.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash + 1 == name.size()) return std::nullopt;
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + dash, pid);
  if (ec != std::errc{} || end != name.data() + dash || pid <= 0) return std::nullopt;
  const std::string_view n = name.substr(dash + 1);
  if (!std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return pid;
}

// Whether the temporary `name` in `dir_fd` was left by a dead process (see files.hpp), and so
// may be removed. Opened without following links and without blocking (it may be a FIFO).
bool is_stale(int dir_fd, const char* name, pid_t pid) {
  if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) return false;
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  struct stat st {};
  const bool stale = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return stale;
}

// Best effort: a directory that cannot be listed only keeps its leftovers.
void remove_stale_temporaries(int dir_fd) {
  const int fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return;
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return;
  }
  while (const dirent* e = ::readdir(dir)) {
    const std::optional<pid_t> pid = temp_name_pid(e->d_name);
    if (pid && is_stale(dir_fd, e->d_name, *pid)) ::unlinkat(dir_fd, e->d_name, 0);
  }
  ::closedir(dir);
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "directory";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISFIFO(mode)) return "FIFO";
  if (S_ISSOCK(mode)) return "socket";
  return "unknown file type";
}

}  // namespace

namespace detail {
void use_named_temporaries(bool on) { named_only = on; }
}  // namespace detail

AtomicFile::AtomicFile(const std::string& target, std::string who) : target_(target), who_(std::move(who)) {
  const std::filesystem::path p(target);
  name_ = p.filename().string();
  dir_ = p.parent_path().string();
  if (dir_.empty()) dir_.push_back('.');  // not = ".": a false -Wrestrict in GCC 12
  if (name_.empty() || name_ == "." || name_ == "..") fail(EISDIR, "not a file name");
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) {
    const int err = errno;
    fail(err, "cannot open the directory '" + dir_ + "'");
  }
  try {
    remove_stale_temporaries(dir_fd_);
    if (!named_only) fd_ = ::openat(dir_fd_, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      const int err = errno;
      // EOPNOTSUPP: a file system without O_TMPFILE; EISDIR, EINVAL: a kernel without it.
      if (!named_only && err != EOPNOTSUPP && err != EISDIR && err != EINVAL) {
        fail(err, "cannot create a temporary file in '" + dir_ + "'");
      }
      create_named_temporary();
    }
    ::flock(fd_, LOCK_EX);  // held until the close in commit() or the destructor
  } catch (...) {
    if (fd_ >= 0) ::close(fd_);
    ::close(dir_fd_);
    throw;
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_name_.empty()) ::unlinkat(dir_fd_, temp_name_.c_str(), 0);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

void AtomicFile::create_named_temporary() {
  for (int attempt = 0;; ++attempt) {
    const std::string name = temp_name();
    fd_ = ::openat(dir_fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) {
      temp_name_ = name;
      return;
    }
    const int err = errno;
    if (err != EEXIST || attempt >= 100) fail(err, "cannot create the temporary file '" + dir_ + "/" + name + "'");
  }
}

void AtomicFile::write(const void* data, std::size_t n) {
  auto p = static_cast<const char*>(data);
  while (n != 0) {
    const ssize_t w = ::write(fd_, p, std::min<std::size_t>(n, std::size_t{1} << 30));
    if (w < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      fail(err, "write failed");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

std::string AtomicFile::path_for_other_process() const {
  return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd_);
}

std::uint64_t AtomicFile::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    fail(err, "fstat of the temporary file failed");
  }
  return static_cast<std::uint64_t>(st.st_size);
}

// Gives the unnamed temporary the name temp_name_. AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on
// older kernels; the /proc/self/fd link works for everyone when /proc is mounted.
void AtomicFile::link_unnamed_temporary() {
  const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
  for (int attempt = 0;; ++attempt) {
    const std::string name = temp_name();
    int rc = ::linkat(fd_, "", dir_fd_, name.c_str(), AT_EMPTY_PATH);
    if (rc != 0 && errno != EEXIST) rc = ::linkat(AT_FDCWD, proc.c_str(), dir_fd_, name.c_str(), AT_SYMLINK_FOLLOW);
    if (rc == 0) {
      temp_name_ = name;
      return;
    }
    const int err = errno;
    if (err != EEXIST || attempt >= 100) fail(err, "cannot link the temporary file into '" + dir_ + "'");
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) fail(EBADF, "commit() after commit()");
  if (::fsync(fd_) != 0) {
    const int err = errno;
    fail(err, "fsync of the temporary file failed");
  }
  if (temp_name_.empty()) link_unnamed_temporary();
  if (::close(std::exchange(fd_, -1)) != 0) {
    const int err = errno;
    fail(err, "close of the temporary file failed");
  }
  if (::renameat(dir_fd_, temp_name_.c_str(), dir_fd_, name_.c_str()) != 0) {
    const int err = errno;
    fail(err, "cannot rename '" + dir_ + "/" + temp_name_ + "' to it");  // the destructor unlinks it
  }
  temp_name_.clear();
  ::fsync(dir_fd_);  // best effort: the new file is in place; some file systems cannot sync directories
}

void AtomicFile::fail(int err, const std::string& what) const {
  throw std::runtime_error(who_ + ": cannot save '" + target_ + "': " + what + ": " + errno_text(err));
}

void write_file_atomically(const std::string& target, std::string_view bytes, const std::string& who) {
  AtomicFile out(target, who);
  out.write(bytes);
  out.commit();
}

std::string read_regular_file(const std::string& path, std::string_view who) {
  const std::string prefix(who);
  // O_NONBLOCK: opening a FIFO without a writer returns at once instead of blocking.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    throw std::system_error(err, std::generic_category(), prefix + ": cannot open '" + path + "'");
  }
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    throw std::system_error(err, std::generic_category(), prefix + ": cannot stat '" + path + "'");
  }
  if (!S_ISREG(st.st_mode)) {
    throw std::runtime_error(prefix + ": '" + path + "' is not a regular file (" + file_kind(st.st_mode) + ")");
  }
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t have = 0;
  while (have < bytes.size()) {
    const ssize_t r = ::read(fd, bytes.data() + have, std::min<std::size_t>(bytes.size() - have, std::size_t{1} << 30));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const int err = errno;
      throw std::system_error(err, std::generic_category(), prefix + ": cannot read '" + path + "'");
    }
    if (r == 0) {
      throw std::runtime_error(prefix + ": '" + path + "' shrank while being read: " + std::to_string(have) +
                               " of " + std::to_string(bytes.size()) + " bytes");
    }
    have += static_cast<std::size_t>(r);
  }
  return bytes;
}

}  // namespace tapeflow::files
