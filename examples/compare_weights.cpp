// Compares two weight files (save_weights .npz, float32), e.g. a run on one process against the
// same run under mpirun:
//   compare_weights out1/mnist_l1_prox_weights.npz out2/mnist_l1_prox_weights.npz [--tolerance 1e-5]
// Prints per entry the largest |a - b| relative to the entry's largest |a| and the number of
// weights that are exactly zero in one file but not in the other; exits 1 if an entry differs by
// more than the tolerance, or the zero sets differ, or the names or shapes differ.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <nn/npz.hpp>

#include "cli.hpp"
#include "run_main.hpp"

namespace {

bool compare(const std::string& first, const std::string& second, double tolerance) {
  const nn::NpzArchive a = nn::load_npz(first), b = nn::load_npz(second);
  if (a.names() != b.names()) throw std::runtime_error("'" + first + "' and '" + second + "' hold different entries");
  bool same = true;
  double worst = 0;
  std::size_t zero_mismatch = 0, count = 0, zeros = 0;
  for (const auto& name : a.names()) {
    const xt::xarray<float> x = a.get<float>(name), y = b.get<float>(name);
    if (x.shape() != y.shape()) throw std::runtime_error("entry '" + name + "' has different shapes");
    double diff = 0, scale = 0;
    std::size_t mismatch = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      diff = std::max(diff, double(std::abs(x.data()[i] - y.data()[i])));
      scale = std::max(scale, double(std::abs(x.data()[i])));
      mismatch += (x.data()[i] == 0) != (y.data()[i] == 0);
      zeros += x.data()[i] == 0;
    }
    const double rel = scale > 0 ? diff / scale : diff;
    std::printf("%-20s %10zu weights: max |a - b| / max |a| = %.3g, zero sets differ in %zu\n", name.c_str(), x.size(),
                rel, mismatch);
    worst = std::max(worst, rel);
    zero_mismatch += mismatch;
    count += x.size();
    same = same && rel <= tolerance && mismatch == 0;
  }
  std::printf("all %zu weights: max relative difference %.3g (tolerance %g), %zu exact zeros in the first, "
              "zero sets differ in %zu: %s\n",
              count, worst, tolerance, zeros, zero_mismatch, same ? "same" : "DIFFERENT");
  return same;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Compare two .npz weight files: relative difference and exact-zero sets"};
  std::string first, second;
  double tolerance = 1e-5;
  app.add_option("first", first, "weights (.npz)")->required();
  app.add_option("second", second, "weights (.npz)")->required();
  app.add_option("--tolerance", tolerance, "largest accepted max |a - b| / max |a| per entry")
      ->capture_default_str()
      ->check(cli::finite_non_negative());
  bool same = true;
  const int code = cli::run_main(app, argc, argv, [&] { same = compare(first, second, tolerance); });
  return code != 0 ? code : (same ? 0 : 1);
}
