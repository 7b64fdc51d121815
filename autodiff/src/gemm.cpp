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

namespace ad {
namespace {

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

void blas_gemm(bool ta, bool tb, int m, int n, int k, const float* a, const float* b, float* c) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a,
              ta ? m : k, b, tb ? k : n, 0.0f, c, n);
}
void blas_gemm(bool ta, bool tb, int m, int n, int k, const double* a, const double* b, double* c) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, a,
              ta ? m : k, b, tb ? k : n, 0.0, c, n);
}

// ---- skipping zeros --------------------------------------------------------------------------

// Below this fraction of nonzeros the zero-skipping kernel beats OpenBLAS's AVX2 sgemm. Measured on
// the MNIST first-layer shapes: MNIST batches (19% nonzeros) 0.50-0.54 of the BLAS time; zeros
// scattered uniformly at random 0.58 at 19% and 0.7-0.85 at 30% (no runs of zeros to skip).
constexpr double kMaxDensity = 0.30;
// Products smaller than this many multiply-adds are not worth a scan.
constexpr std::size_t kMinMultiplyAdds = std::size_t{1} << 20;

// The magnitude bits of x: zero exactly for +0 and -0 (NaN is nonzero). Integer tests like this
// one vectorize; a float x != 0 does not (it must honour NaN), and these scans run at every call.
inline std::uint32_t magnitude_bits(float x) { return std::bit_cast<std::uint32_t>(x) & 0x7fffffffu; }
inline std::uint64_t magnitude_bits(double x) { return std::bit_cast<std::uint64_t>(x) & 0x7fffffffffffffffull; }

// Whether at most kMaxDensity of a's elements are nonzero; stops as soon as the answer is no.
template <class T>
bool mostly_zeros(const T* a, std::size_t size) {
  const std::size_t limit = static_cast<std::size_t>(kMaxDensity * double(size));
  constexpr std::size_t block = 4096;
  std::size_t nonzeros = 0;
  for (std::size_t i = 0; i < size; i += block) {
    const std::size_t end = std::min(size, i + block);
    std::uint32_t count = 0;
    for (std::size_t j = i; j < end; ++j) count += magnitude_bits(a[j]) != 0;
    nonzeros += count;
    if (nonzeros > limit) return false;
  }
  return true;
}

// Skipping a zero of A is exact only if the row of B it would meet is finite (0·inf = NaN).
template <class T>
bool all_finite(const T* b, std::size_t size) {
  using Bits = decltype(magnitude_bits(T()));
  // Exponent bits all ones: inf or NaN.
  constexpr Bits exponent = sizeof(T) == 4 ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
  Bits nonfinite = 0;  // a sum of 0/1 flags, which vectorizes where a bool &= does not
  for (std::size_t i = 0; i < size; ++i) nonfinite += (magnitude_bits(b[i]) & exponent) == exponent;
  return nonfinite == 0;
}

// op(A) in compressed rows: row i's nonzeros are (column[p], value[p]) for p in [start[i], start[i+1]).
template <class T>
struct CompressedRows {
  std::vector<std::uint32_t> start, column;
  std::vector<T> value;
};

// rows: m×k row-major. Groups of 8 all-zero columns (image background) are skipped with one test;
// inside a group every column is written and the cursor advances past nonzeros only, without a
// branch per element (one would mispredict on image data).
template <class T>
void compress(const T* rows, std::size_t m, std::size_t k, CompressedRows<T>& r) {
  r.start.assign(m + 1, 0);
  const std::size_t capacity = m * k + 1;
  if (r.column.size() < capacity) {
    r.column.resize(capacity);
    r.value.resize(capacity);
  }
  std::size_t p = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const T* row = rows + i * k;
    for (std::size_t g = 0; g < k; g += 8) {
      const std::size_t end = std::min(k, g + 8);
      decltype(magnitude_bits(T())) any = 0;
      for (std::size_t j = g; j < end; ++j) any |= magnitude_bits(row[j]);
      if (!any) continue;
      for (std::size_t j = g; j < end; ++j) {
        r.column[p] = static_cast<std::uint32_t>(j);
        r.value[p] = row[j];
        p += magnitude_bits(row[j]) != 0;
      }
    }
    r.start[i + 1] = static_cast<std::uint32_t>(p);
  }
}

// C = op(A)·B from op(A)'s compressed rows. Columns of B and C go in panels of 8 SIMD registers:
// a row of C accumulates in registers while the panel of B stays in cache across rows.
template <class T>
void gemm_compressed(const CompressedRows<T>& r, std::size_t m, std::size_t n, std::size_t k, const T* b, T* c) {
  using Batch = xsimd::batch<T>;
  constexpr std::size_t lanes = Batch::size, registers = 8, panel = lanes * registers;
  // The panel of B is copied to a contiguous k×panel block first: in place its rows lie n
  // elements apart, a power of two in typical layers, and would all map to a few cache sets.
  thread_local std::vector<T> packed;
  packed.resize(k * panel);
  std::size_t j0 = 0;
  for (; j0 + panel <= n; j0 += panel) {
    for (std::size_t row = 0; row < k; ++row) {
#pragma GCC unroll 8
      for (std::size_t q = 0; q < registers; ++q)
        Batch::load_unaligned(b + row * n + j0 + q * lanes).store_unaligned(packed.data() + row * panel + q * lanes);
    }
    for (std::size_t i = 0; i < m; ++i) {
      Batch acc[registers];
#pragma GCC unroll 8
      for (std::size_t q = 0; q < registers; ++q) acc[q] = Batch(T(0));
      for (std::uint32_t p = r.start[i]; p < r.start[i + 1]; ++p) {
        const Batch v(r.value[p]);
        const T* brow = packed.data() + std::size_t(r.column[p]) * panel;
#pragma GCC unroll 8
        for (std::size_t q = 0; q < registers; ++q) acc[q] = xsimd::fma(v, Batch::load_unaligned(brow + q * lanes), acc[q]);
      }
      T* crow = c + i * n + j0;
#pragma GCC unroll 8
      for (std::size_t q = 0; q < registers; ++q) acc[q].store_unaligned(crow + q * lanes);
    }
  }
  if (j0 == n) return;
  const std::size_t width = n - j0;  // < panel: plain loops
  for (std::size_t i = 0; i < m; ++i) {
    T acc[panel] = {};
    for (std::uint32_t p = r.start[i]; p < r.start[i + 1]; ++p) {
      const T v = r.value[p];
      const T* brow = b + std::size_t(r.column[p]) * n + j0;
      for (std::size_t j = 0; j < width; ++j) acc[j] += v * brow[j];
    }
    std::copy_n(acc, width, c + i * n + j0);
  }
}

// dst (cols×rows) = srcᵀ, src rows×cols, in cache-sized tiles.
template <class T>
void transpose(const T* src, std::size_t rows, std::size_t cols, T* dst) {
  constexpr std::size_t tile = 32;
  for (std::size_t i0 = 0; i0 < rows; i0 += tile)
    for (std::size_t j0 = 0; j0 < cols; j0 += tile)
      for (std::size_t i = i0; i < std::min(rows, i0 + tile); ++i)
        for (std::size_t j = j0; j < std::min(cols, j0 + tile); ++j) dst[j * rows + i] = src[i * cols + j];
}

template <class T>
void skip_zeros(bool ta, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* b, T* c) {
  if (std::max({m, n, k}) > std::numeric_limits<std::uint32_t>::max() / 2) {
    throw ShapeError("matmul: operand too large for the zero-skipping kernel: m = " + std::to_string(m) + ", n = " +
                     std::to_string(n) + ", k = " + std::to_string(k) + " (each must be at most " +
                     std::to_string(std::numeric_limits<std::uint32_t>::max() / 2) + ")");
  }
  // Reused across calls: a training loop asks for the same sizes every step.
  thread_local CompressedRows<T> rows;
  thread_local std::vector<T> transposed;
  if (ta) {  // a is k×m: make op(A)'s rows contiguous first
    transposed.resize(m * k);
    transpose(a, k, m, transposed.data());
    a = transposed.data();
  }
  compress(a, m, k, rows);
  gemm_compressed(rows, m, n, k, b, c);
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
