// Loaders must refuse a file that is not a regular file (a character device such as /dev/zero,
// a FIFO) with an error naming it, instead of reading until bad_alloc or blocking on a FIFO that
// has no writer. The load runs in a child process killed by SIGALRM after a few seconds, so a
// loader that blocks or reads forever fails the test instead of hanging it.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exception>
#include <functional>
#include <string>

namespace test {

// "" when load(path) threw an exception whose message contains
// "'<path>' is not a regular file (<kind>)" within `seconds`; otherwise what happened instead.
inline std::string refusal_of(const std::function<void(const std::string&)>& load, const std::string& path,
                              const std::string& kind, unsigned seconds = 5) {
  const std::string expected = "'" + path + "' is not a regular file (" + kind + ")";
  const pid_t child = ::fork();
  if (child < 0) return "fork failed";
  if (child == 0) {
#if !defined(__SANITIZE_ADDRESS__)
    // A loader that reads /dev/zero until bad_alloc gets there after 2 GiB, not after all memory.
    const rlimit limit{std::size_t{2} << 30, std::size_t{2} << 30};
    ::setrlimit(RLIMIT_AS, &limit);
#endif
    ::alarm(seconds);
    int code = 2;  // returned without an exception
    try {
      load(path);
    } catch (const std::exception& e) {
      const std::string msg = e.what();
      code = msg.find(expected) != std::string::npos ? 0 : 1;
      if (code != 0) (void)!::write(2, (msg + "\n").data(), msg.size() + 1);
    }
    ::_exit(code);
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child) return "waitpid failed";
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (SIGALRM: still blocked or reading after " +
           std::to_string(seconds) + " s)";
  }
  switch (WEXITSTATUS(status)) {
    case 0: return "";
    case 1: return "threw, but the message (on stderr) lacks \"" + expected + "\"";
    default: return "loaded without an error";
  }
}

}  // namespace test
