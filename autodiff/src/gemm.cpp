// BLAS set-up (kernels, threads) and the two gemm paths: the BLAS, and a kernel that skips the
// zeros of the left operand.
//
// Why skip zeros: the first layer of an MLP on images multiplies the input batch, and MNIST is
// 81% background. Its forward X·W and weight gradient Xᵀ·G are 80% of the seed MNIST run's
// multiply-adds, and the BLAS spends them on zeros. Computing only the nonzero terms gives the
// same sums (in another order: results differ in rounding only) at a fraction of the cost. The
// left operand is inspected at every call, so nothing has to be declared sparse: dense operands
// (hidden activations here are ~76% nonzero) stop the scan early and go to the BLAS.
#include "gemm.hpp"

#include "autodiff/var.hpp"

#include <cblas.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "autodiff/threads.hpp"
#include "compressed_rows.hpp"

namespace ad {
namespace {

using detail::all_finite;
using detail::CompressedRows;
using detail::magnitude_bits;

std::string thread_range() { return "[1, " + std::to_string(max_num_threads) + "]"; }

// One thread unless the user asked for more (threads.hpp says why).
void init_blas() {
  static const bool once = [] {
    if (const char* t = std::getenv("TAPEFLOW_NUM_THREADS")) {
      char* end = nullptr;
      const long n = std::strtol(t, &end, 10);
      if (end == t || *end != '\0' || n < 1 || n > max_num_threads) {
        throw ValueError(std::string("TAPEFLOW_NUM_THREADS must be an integer in ") + thread_range() +
                                    ", got '" + t + "'");
      }
      openblas_set_num_threads(static_cast<int>(n));
    } else if (!std::getenv("OPENBLAS_NUM_THREADS") && !std::getenv("OMP_NUM_THREADS")) {
      openblas_set_num_threads(1);
    }
    return true;
  }();
  (void)once;
}

// A product with one row (m = 1: one sample through a layer) or one column (n = 1) is a
// matrix-vector product: OpenBLAS 0.3.21's gemm would pack the whole matrix at every call (a
// 784x512 layer at batch 1: 10x the time of gemv), so those go to gemv. With m = 1 or n = 1 the
// vector operand is contiguous whether transposed or not (its leading dimension is 1).
void blas_gemm(bool ta, bool tb, int m, int n, int k, const float* a, const float* b, float* c) {
  if (m == 1) {  // c = op(B)ᵀ·a
    cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? n : k, tb ? k : n, 1.0f, b, tb ? k : n, a, 1,
                0.0f, c, 1);
  } else if (n == 1) {  // c = op(A)·b
    cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, ta ? k : m, ta ? m : k, 1.0f, a, ta ? m : k, b, 1,
                0.0f, c, 1);
  } else {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a,
                ta ? m : k, b, tb ? k : n, 0.0f, c, n);
  }
}
void blas_gemm(bool ta, bool tb, int m, int n, int k, const double* a, const double* b, double* c) {
  if (m == 1) {
    cblas_dgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? n : k, tb ? k : n, 1.0, b, tb ? k : n, a, 1, 0.0,
                c, 1);
  } else if (n == 1) {
    cblas_dgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, ta ? k : m, ta ? m : k, 1.0, a, ta ? m : k, b, 1, 0.0,
                c, 1);
  } else {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, a,
                ta ? m : k, b, tb ? k : n, 0.0, c, n);
  }
}

// ---- skipping zeros --------------------------------------------------------------------------

// Below this fraction of nonzeros the zero-skipping kernel beats OpenBLAS's AVX2 sgemm. Measured on
// the MNIST first-layer shapes: MNIST batches (19% nonzeros) 0.50-0.54 of the BLAS time; zeros
// scattered uniformly at random 0.58 at 19% and 0.7-0.85 at 30% (no runs of zeros to skip).
constexpr double kMaxDensity = 0.30;
// Products smaller than this many multiply-adds are not worth a scan.
constexpr std::size_t kMinMultiplyAdds = std::size_t{1} << 20;

// Whether at most kMaxDensity of a's elements are nonzero; stops as soon as the answer is no.
template <class T>
bool mostly_zeros(const T* a, std::size_t size) {
  const std::size_t limit = static_cast<std::size_t>(kMaxDensity * double(size));
  return detail::count_nonzeros(a, size, limit) <= limit;
}

template <class T>
void skip_zeros(bool ta, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* b, T* c) {
  detail::check_index_range(m, n, k);
  // Reused across calls: a training loop asks for the same sizes every step.
  thread_local CompressedRows<T> rows;
  thread_local std::vector<T> transposed;
  if (ta) {  // a is k×m: make op(A)'s rows contiguous first
    transposed.resize(m * k);
    detail::transpose(a, k, m, transposed.data());
    a = transposed.data();
  }
  detail::compress(a, m, k, m * k, rows);
  detail::gemm_compressed(rows, m, n, k, b, c);
}

template <class T>
void gemm_any(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* b, T* c) {
  if (!tb && m * n * k >= kMinMultiplyAdds && mostly_zeros(a, m * k) && all_finite(b, k * n)) {
    skip_zeros(ta, m, n, k, a, b, c);
    return;
  }
  init_blas();
  blas_gemm(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), a, b, c);
}

}  // namespace

namespace detail {

void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b, float* c) {
  gemm_any(ta, tb, m, n, k, a, b, c);
}
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a, const double* b, double* c) {
  gemm_any(ta, tb, m, n, k, a, b, c);
}

}  // namespace detail

void set_num_threads(int threads) {
  if (threads < 1 || threads > max_num_threads) {
    throw ValueError("ad::set_num_threads: threads must be in " + thread_range() + ", got " +
                                std::to_string(threads));
  }
  init_blas();  // so a later first matmul does not reset it
  openblas_set_num_threads(threads);
}

int num_threads() {
  init_blas();
  return openblas_get_num_threads();
}

std::string blas_kernels() {
  init_blas();
  return openblas_get_corename();
}

}  // namespace ad
