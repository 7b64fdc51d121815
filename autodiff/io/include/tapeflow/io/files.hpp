// Whole-file I/O shared by every library: atomic replacement of a file (nn's .npz saves and
// checkpoints, the examples' PNG plots) and bounded reading of a regular file (the .npz, IDX and
// CSV loaders).
//
// Part of tapeflow::io (autodiff/io/CMakeLists.txt says why it lives there); only the C++ and
// POSIX libraries.
//
//   tapeflow::files::AtomicFile out("runs/model.npz", "save_npz");
//   out.write(bytes);
//   out.commit();                      // without commit(), the target is never touched
//   std::string all = tapeflow::files::read_regular_file("runs/model.npz", "load_npz");
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tapeflow::files {

// Replaces `target` atomically: readers see either the old file or the complete new one, and a
// failed or killed save leaves the old file intact.
//
// The contents go to an unnamed temporary file in the target's directory (open(dir, O_TMPFILE)),
// so a process killed before commit() leaves nothing behind. commit() fsyncs it, links it in
// under a short hidden name, renames that over the target (linkat cannot replace a file) and
// fsyncs the directory. Where the file system has no O_TMPFILE, the temporary is a named file
// ".tapeflow-tmp-<pid>-<n>": its length does not depend on the target's, so any legal file
// name can be saved.
//
// Leftovers of killed processes (a named temporary, or a short name linked just before the
// kill) are removed when the next AtomicFile is created in the same directory. A file with such
// a name is stale when both
//   - kill(<pid>, 0) fails with ESRCH: no process of that pid exists (in our pid namespace), and
//   - flock(LOCK_EX | LOCK_NB) on it succeeds: no process anywhere holds the lock that every
//     writer keeps on its temporary until it is renamed (the kernel drops it when a process dies).
// A reused pid only delays the cleanup; a writer in another pid namespace sharing the directory
// is protected by its lock.
//
// Errors are std::runtime_error "<who>: cannot save '<target>': <what>: <reason>".
class AtomicFile {
 public:
  // Creates the temporary in the target's directory (which must exist).
  AtomicFile(const std::string& target, std::string who);
  ~AtomicFile();  // without commit(): the temporary is discarded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t n);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }

  // A path through which another process of this user can open the temporary to write the
  // contents itself (gnuplot's output file): "/proc/<pid>/fd/<fd>".
  std::string path_for_other_process() const;

  // The temporary's size in bytes, whoever wrote them.
  std::uint64_t size() const;

  // fsync, link in, rename over the target, fsync the directory. Once only.
  void commit();

 private:
  [[noreturn]] void fail(int err, const std::string& what) const;
  void create_named_temporary();
  void link_unnamed_temporary();

  std::string target_, who_, dir_, name_;  // name_: the target's name inside dir_
  std::string temp_name_;                  // the temporary's name in dir_; empty while unnamed
  int dir_fd_ = -1;
  int fd_ = -1;
};

// AtomicFile(target, who), write(bytes), commit().
void write_file_atomically(const std::string& target, std::string_view bytes, const std::string& who);

// Every byte of the regular file `path`: exactly as many as fstat reports when it is opened
// (a file that shrinks meanwhile is an error; bytes appended meanwhile are not read). A
// character device, FIFO, socket or directory is refused without reading or blocking:
// std::runtime_error "<who>: '<path>' is not a regular file (character device)". A file that
// cannot be opened or read throws std::system_error carrying errno,
// "<who>: cannot open '<path>': <reason>".
std::string read_regular_file(const std::string& path, std::string_view who);

namespace detail {
// Tests only: make AtomicFile use a named temporary, as on a file system without O_TMPFILE.
void use_named_temporaries(bool on);
}  // namespace detail

}  // namespace tapeflow::files
