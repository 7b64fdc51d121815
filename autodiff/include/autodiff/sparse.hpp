// Sparse weights: when a matmul's right operand is a leaf (a layer's kernel, say) with enough
// exact zeros — proximal L1 or group lasso leave 90% and more — its products x·W (forward) and
// g·Wᵀ (the input gradient) run from W's nonzeros, compressed once per value of W, instead of on
// the BLAS. Results equal the BLAS's up to rounding (sums in another order); gradients are the
// same ops as before. Chosen automatically by W's fraction of nonzeros (the threshold was measured
// against OpenBLAS, examples/README.md "Performance"), or forced:
//
//   ad::set_sparse_kernels(ad::SparseKernels::off);  // from code, at any time (this process)
//   TAPEFLOW_SPARSE=off|on|auto ./prog               // or the environment, read at the first use
//
// `on` takes the sparse path for every leaf right operand, whatever its density (for tests and
// measurements); both `on` and `auto` still fall back to the BLAS when the left operand holds an
// inf or NaN (the BLAS multiplies it by W's zeros too: 0·inf = NaN, which skipping would lose).
// The compressed form is cached per thread and keyed on the Var and its version, which
// Var::mutable_value() bumps: an optimizer step rebuilds it at the next product, and predict
// reuses it. A value changed without mutable_value() would not be seen (nor by backward's check).
#pragma once

#include <cstddef>
#include <string>

namespace ad {

enum class SparseKernels { off, on, automatic };

void set_sparse_kernels(SparseKernels mode);
// "off", "on" or "auto"; anything else throws ValueError naming the value.
void set_sparse_kernels(const std::string& mode);
// The mode in use: the last set_sparse_kernels, else TAPEFLOW_SPARSE (an invalid value throws
// ValueError naming the variable), else automatic.
SparseKernels sparse_kernels();

// The most sparse_max_density ever returns: a W denser than this never takes the automatic path.
inline constexpr double sparse_max_density_bound = 0.10;

// The automatic rule: the largest fraction of nonzeros of W at which x·op(W), x with m rows, takes
// the sparse path; inner is the contracted length (x's columns), outer op(W)'s columns.
double sparse_max_density(std::size_t m, std::size_t inner, std::size_t outer);

}  // namespace ad
