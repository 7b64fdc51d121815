// Command-line checks shared by every example program. A bad value is rejected while the command
// line is parsed, before any data is loaded or any model trained, with one line on stderr that
// names the option and the value, and a non-zero exit code:
//
//   CLI::App app{"..."};
//   cli::one_line_errors(app);
//   app.add_option("--lr", lr)->check(cli::finite_positive());
//   app.add_option("--steps", steps)->check(cli::integer_in(1, 1000000));
//   app.add_option("--seed", seed)->check(cli::integer_in<unsigned>());   // the whole range of the type
//   CLI11_PARSE(app, argc, argv);   // "regularized_linear_demo: --steps: must be an integer in [1, 1000000], got 0"
//
// The checks read the text of the value themselves, so that CLI11's conversions never see a value
// that would wrap (a seed of -1 or 2^64), overflow or be NaN.
#pragma once

#include <charconv>
#include <limits>
#include <string>

#include <CLI/CLI.hpp>

namespace cli {

// On a bad command line, CLI11 prints "<program>: <option>: <message>" and nothing else (no
// "Run with --help" line); <program> is the file name of argv[0]. --help still prints the help.
void one_line_errors(CLI::App& app);
// The file name of argv[0] once `app` has parsed the command line.
std::string program_name(const CLI::App& app);

// A finite number > 0 (learning rates) or >= 0 (penalty strengths): rejects nan, inf and text.
CLI::Validator finite_positive();
CLI::Validator finite_non_negative();

// The message of a value outside the integers [lo, hi].
std::string integer_range_message(const std::string& lo, const std::string& hi, const std::string& value);

// An integer of type T in [lo, hi], written in decimal without a sign for unsigned T: rejects
// "-1", values beyond T and text, where CLI11's conversion would wrap or print a 309-digit range.
template <class T>
CLI::Validator integer_in(T lo = std::numeric_limits<T>::min(), T hi = std::numeric_limits<T>::max()) {
  const std::string low = std::to_string(lo), high = std::to_string(hi);
  return CLI::Validator(
      [lo, hi, low, high](std::string& text) -> std::string {
        T value{};
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value);
        if (text.empty() || error != std::errc() || stop != end || value < lo || value > hi)
          return integer_range_message(low, high, text);
        return {};
      },
      "in [" + low + ", " + high + "]");
}

// Makes `dir` an existing directory that this process can write to, before any work is done:
// creates it if missing and writes and removes a probe file. Throws CLI::ValidationError naming
// `option` and the path (also for an empty path, which would put the files in the root directory).
void check_output_dir(const std::string& option, const std::string& dir);

}  // namespace cli
