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

// Measured with `benchmark --only sparse` (examples/README.md "Sparse weights" has the figures):
// the sparse path against OpenBLAS over densities 1%-60% of W on the MNIST layer shapes (784×512,
// 512×128, 128×10), batches of 1 to 128 rows, both products (x·W and g·Wᵀ). The sparse time grows
// with the nonzeros, the BLAS's with the whole of W — and faster once W outgrows the cache —, so:
// - W of 2^18 elements or more (1 MB of floats; 784×512): to 10% nonzeros at every batch, 5% at 2-7
//   rows (sparse/dense time ratio at most 0.74 at the threshold);
// - smaller W: one row to 2%; 32 rows or more to 10% if the contracted length is 256 or more
//   (ratio at most 0.85); otherwise never (per-row overheads and the transposes outweigh a product
//   that small: 512×128 at 8 rows, g·Wᵀ with 128 inputs, 128×10).
double sparse_max_density(std::size_t m, std::size_t inner, std::size_t outer) {
  constexpr double kNever = -1;
  constexpr std::size_t kLargeWeight = std::size_t{1} << 18, kMinInnerForBatches = 256, kMinBatch = 32;
  const bool large = inner * outer >= kLargeWeight;
  constexpr double kMost = sparse_max_density_bound, kFewRows = 0.05, kSmallOneRow = 0.02;
  if (m == 1) return large ? kMost : kSmallOneRow;
  if (large) return m < 8 ? kFewRows : kMost;
  if (inner >= kMinInnerForBatches && m >= kMinBatch) return kMost;
  return kNever;
}

}  // namespace ad
