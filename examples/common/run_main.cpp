#include "run_main.hpp"

#include <cstdio>
#include <exception>
#include <iostream>

#include "cli.hpp"

namespace cli {

int run_main(CLI::App& app, int argc, char** argv, const std::function<void()>& body) {
  one_line_errors(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    body();
  } catch (const std::exception& e) {
    std::fflush(stdout);  // the reports printed so far come before the error
    std::cerr << program_name(app) << ": " << e.what() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace cli
