// Which products take the sparse-weight path (autodiff/sparse.hpp): the mode and the measured rule.
#include "autodiff/sparse.hpp"

#include <atomic>
#include <cstdlib>

#include "autodiff/var.hpp"

namespace ad {
namespace {

constexpr int kUnset = -1;
std::atomic<int> mode{kUnset};

SparseKernels parse(const std::string& value, const std::string& what) {
  if (value == "off") return SparseKernels::off;
  if (value == "on") return SparseKernels::on;
  if (value == "auto") return SparseKernels::automatic;
  throw ValueError(what + " must be off, on or auto, got '" + value + "'");
}

}  // namespace

void set_sparse_kernels(SparseKernels m) { mode.store(static_cast<int>(m)); }

void set_sparse_kernels(const std::string& m) { set_sparse_kernels(parse(m, "ad::set_sparse_kernels")); }

SparseKernels sparse_kernels() {
  int m = mode.load();
  if (m == kUnset) {
    const char* env = std::getenv("TAPEFLOW_SPARSE");
    const SparseKernels from_env = env ? parse(env, "TAPEFLOW_SPARSE") : SparseKernels::automatic;
    mode.compare_exchange_strong(m, static_cast<int>(from_env));  // a concurrent set wins
    m = mode.load();
  }
  return static_cast<SparseKernels>(m);
}

double sparse_max_density(std::size_t m, std::size_t k, std::size_t n) {
  (void)k;
  (void)n;
  return m <= 1 ? 0.3 : 0.1;  // placeholder until measured
}

}  // namespace ad
