// Compressed rows: a matrix's nonzeros row by row, and the product of such a matrix with a dense
// one, vectorized along the dense operand's rows. Used by gemm.cpp (zeros of a left operand, built
// at every call) and by sparse_kernel.cpp (zeros of a weight matrix, built once per value).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "autodiff/var.hpp"

namespace ad::detail {

// The magnitude bits of x: zero exactly for +0 and -0 (NaN is nonzero). Integer tests like this
// one vectorize; a float x != 0 does not (it must honour NaN), and these scans run at every call.
inline std::uint32_t magnitude_bits(float x) { return std::bit_cast<std::uint32_t>(x) & 0x7fffffffu; }
inline std::uint64_t magnitude_bits(double x) { return std::bit_cast<std::uint64_t>(x) & 0x7fffffffffffffffull; }

// Whether no element is inf or NaN. Skipping a zero is exact only if what it would meet is finite
// (0·inf = NaN).
template <class T>
bool all_finite(const T* b, std::size_t size) {
  using Bits = decltype(magnitude_bits(T()));
  // Exponent bits all ones: inf or NaN.
  constexpr Bits exponent = sizeof(T) == 4 ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
  Bits nonfinite = 0;  // a sum of 0/1 flags, which vectorizes where a bool &= does not
  for (std::size_t i = 0; i < size; ++i) nonfinite += (magnitude_bits(b[i]) & exponent) == exponent;
  return nonfinite == 0;
}

// Compressed rows index with 32 bits: refuses products whose sizes would not fit.
inline void check_index_range(std::size_t m, std::size_t n, std::size_t k) {
  constexpr std::size_t limit = std::numeric_limits<std::uint32_t>::max() / 2;
  if (std::max({m, n, k}) > limit) {
    throw ShapeError("matmul: operand too large for the zero-skipping kernel: m = " + std::to_string(m) + ", n = " +
                     std::to_string(n) + ", k = " + std::to_string(k) + " (each must be at most " +
                     std::to_string(limit) + ")");
  }
}

// op(A) in compressed rows: row i's nonzeros are (column[p], value[p]) for p in [start[i], start[i+1]).
template <class T>
struct CompressedRows {
  std::vector<std::uint32_t> start, column;
  std::vector<T> value;
};

// The number of a's elements that are not ±0 (NaN counts), or, as soon as it passes limit, some
// number above limit: the count stops early on data denser than asked for. The per-block count
// is an integer sum of 0/1 flags, which vectorizes.
template <class T>
std::size_t count_nonzeros(const T* a, std::size_t size, std::size_t limit) {
  constexpr std::size_t block = 4096;
  std::size_t nonzeros = 0;
  for (std::size_t i = 0; i < size; i += block) {
    const std::size_t end = std::min(size, i + block);
    std::uint32_t count = 0;
    for (std::size_t j = i; j < end; ++j) count += magnitude_bits(a[j]) != 0;
    nonzeros += count;
    if (nonzeros > limit) return nonzeros;
  }
  return nonzeros;
}

// rows: m×k row-major, with at most max_nonzeros nonzeros (m·k when not counted). Groups of 8
// all-zero columns (image background) are skipped with one test; inside a group every column is
// written and the cursor advances past nonzeros only, without a branch per element (one would
// mispredict on image data): the cursor never passes max_nonzeros, so that many + 1 slots suffice.
template <class T>
void compress(const T* rows, std::size_t m, std::size_t k, std::size_t max_nonzeros, CompressedRows<T>& r) {
  r.start.assign(m + 1, 0);
  const std::size_t capacity = max_nonzeros + 1;
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

// Columns [j0, j0 + panel) of C = op(A)·B, panel = `registers` SIMD registers wide, from op(A)'s
// compressed rows: a row of C accumulates in registers while the panel of B stays in cache across
// rows. The panel of B is copied to a contiguous k×panel block first: in place its rows lie n
// elements apart, a power of two in typical layers, and would all map to a few cache sets.
template <std::size_t registers, class T>
void compressed_panel(const CompressedRows<T>& r, std::size_t m, std::size_t n, std::size_t k, const T* b, T* c,
                      std::size_t j0) {
  using Batch = xsimd::batch<T>;
  constexpr std::size_t lanes = Batch::size, panel = lanes * registers;
  thread_local std::vector<T> packed;
  packed.resize(k * panel);
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

// C = op(A)·B from op(A)'s compressed rows: panels of 8 SIMD registers across C's columns, then
// of 4, 2 and 1 for what is left (a batch of 32 rows is one 4-register panel), then plain loops
// for the last columns, fewer than one register.
template <class T>
void gemm_compressed(const CompressedRows<T>& r, std::size_t m, std::size_t n, std::size_t k, const T* b, T* c) {
  constexpr std::size_t lanes = xsimd::batch<T>::size;
  std::size_t j0 = 0;
  for (; j0 + 8 * lanes <= n; j0 += 8 * lanes) compressed_panel<8>(r, m, n, k, b, c, j0);
  if (j0 + 4 * lanes <= n) {
    compressed_panel<4>(r, m, n, k, b, c, j0);
    j0 += 4 * lanes;
  }
  if (j0 + 2 * lanes <= n) {
    compressed_panel<2>(r, m, n, k, b, c, j0);
    j0 += 2 * lanes;
  }
  if (j0 + lanes <= n) {
    compressed_panel<1>(r, m, n, k, b, c, j0);
    j0 += lanes;
  }
  if (j0 == n) return;
  const std::size_t width = n - j0;  // < lanes: plain loops
  for (std::size_t i = 0; i < m; ++i) {
    T acc[lanes] = {};
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

}  // namespace ad::detail
