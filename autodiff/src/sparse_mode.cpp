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

// Measured with `benchmark --only sparse` (examples/README.md "Performance" has the table): the
// sparse path against OpenBLAS's sgemm over densities 1%-60% on the MNIST layer shapes, at
// batches 1, 8, 32 and 128, both products (x·W and g·Wᵀ).
// - One row (predict of a single example): dot products beat the BLAS's gemv to 10% nonzeros on
//   every shape (time ratio ≤ 0.9; 1.07 at 15% on 128×10).
// - 128 rows and more: the batch-vectorized kernel wins to 10% (ratio ≤ 0.85) when the contracted
//   length is 512 or 784, never at 128 or 10 (per-row overheads and the two transposes outweigh a
//   product that small).
// - 2 to 127 rows: never (the kernel's part-panel loop and the dot products both lose to sgemm).
double sparse_max_density(std::size_t m, std::size_t inner, std::size_t outer) {
  constexpr double kMaxDensity = 0.10;
  constexpr std::size_t kMinInnerForBatches = 256, kMinBatch = 128;
  (void)outer;
  if (m == 1) return kMaxDensity;
  if (m >= kMinBatch && inner >= kMinInnerForBatches) return kMaxDensity;
  return -1;  // never
}

}  // namespace ad
