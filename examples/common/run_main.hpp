// The main() of every example program: parse the command line, run the program, turn an error into
// one line on stderr and an exit code.
//
//   int main(int argc, char** argv) {
//     CLI::App app{"..."};
//     app.add_option("--steps", steps)->check(cli::integer_in(1, 1000));
//     return cli::run_main(app, argc, argv, [&] { train(steps); });
//   }
//
// A bad command line is refused before `body` runs, with CLI11's exit code and one line
// "<program>: <option>: <message>" on stderr (cli::one_line_errors); --help prints the help and
// exits 0. An exception from `body` (a missing data set, a bad --reg list) prints
// "<program>: <what>" and exits 1. <program> is the file name of argv[0].
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace cli {

int run_main(CLI::App& app, int argc, char** argv, const std::function<void()>& body);

}  // namespace cli
