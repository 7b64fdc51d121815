// The sparse-weight path (autodiff/sparse.hpp): W's nonzeros in compressed rows, cached per thread.
//
// Layout: the product c = x·op(W) is computed as cᵀ = op(W)ᵀ·xᵀ, with op(W)ᵀ in compressed rows
// (for x·W these are W's columns, for x·Wᵀ W's rows), through the kernel that skips a left
// operand's zeros (compressed_rows.hpp). It vectorizes along the batch — the rows of x, columns
// of xᵀ — with contiguous loads, where scattering into c's rows along W's nonzero columns would
// be scalar. The two transposes cost m·(K + N). A single row (predict of one example) takes plain
// dot products of x with the compressed rows instead.
//
// W is compressed when its value is first seen: a count of its nonzeros and, if few enough, one
// compressing scan (k·n), then the transposed form by counting (nonzeros only). Predict reuses it; a training step (mutable_value) rebuilds it.
#include "sparse_kernel.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

#include "autodiff/sparse.hpp"
#include "compressed_rows.hpp"
#include "tape.hpp"

namespace ad::detail {
namespace {

// W (k×n) as found at one version: its density, and both compressed forms when worth keeping.
template <class T>
struct SparseForm {
  std::weak_ptr<Node<T>> node;  // expired: the address may now hold another node
  std::uint32_t version = 0;
  std::size_t k = 0, n = 0;
  double density = 1;
  bool compressed = false;
  CompressedRows<T> rows;     // W's rows: for x·Wᵀ
  CompressedRows<T> columns;  // Wᵀ's rows: for x·W
};

// t = rᵀ (cols × rows) from r (rows × cols), both compressed, by counting the nonzeros per column.
// Each of t's rows lists r's rows in ascending order, the order the dense sum takes them in.
template <class T>
void transpose_compressed(const CompressedRows<T>& r, std::size_t rows, std::size_t cols, CompressedRows<T>& t) {
  const std::size_t nonzeros = r.start[rows];
  t.start.assign(cols + 1, 0);
  t.column.resize(nonzeros);
  t.value.resize(nonzeros);
  for (std::size_t p = 0; p < nonzeros; ++p) ++t.start[r.column[p] + 1];
  for (std::size_t j = 0; j < cols; ++j) t.start[j + 1] += t.start[j];
  thread_local std::vector<std::uint32_t> next;
  next.assign(t.start.begin(), t.start.end() - 1);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::uint32_t p = r.start[i]; p < r.start[i + 1]; ++p) {
      const std::uint32_t q = next[r.column[p]]++;
      t.column[q] = static_cast<std::uint32_t>(i);
      t.value[q] = r.value[p];
    }
  }
}

// Reads w's current value into f: its density and compressed forms if sparse enough for the rule
// (or forced), else only that it is not.
template <class T>
void rebuild(SparseForm<T>& f, const Var<T>& w, bool force) {
  f.node = w.node_ptr();
  f.version = w.node()->version;
  f.k = w.shape()[0];
  f.n = w.shape()[1];
  // Unless forced, the count stops where the automatic rule would say no at any batch size.
  const std::size_t size = f.k * f.n;
  const std::size_t limit = force ? size : static_cast<std::size_t>(sparse_max_density_bound * double(size));
  const std::size_t nonzeros = count_nonzeros(w.value().data(), size, limit);
  f.compressed = nonzeros <= limit;
  f.density = f.compressed ? double(nonzeros) / double(size) : 1.0;  // 1: "above the bound"
  if (!f.compressed) {
    f.rows = {};
    f.columns = {};
    return;
  }
  // Room for the nonzeros only: a large dense-ish W costs no k·n buffer.
  compress(w.value().data(), f.k, f.n, nonzeros, f.rows);
  transpose_compressed(f.rows, f.k, f.n, f.columns);
}

// This thread's form of w's current value, rebuilt if w changed since. Entries of Vars that died
// are dropped when the cache has grown to twice its size after the last sweep.
template <class T>
const SparseForm<T>& form_of(const Var<T>& w, bool force) {
  thread_local std::unordered_map<const Node<T>*, SparseForm<T>> cache;
  thread_local std::size_t sweep_at = 64;
  const Node<T>* node = w.node();
  auto it = cache.find(node);
  if (it != cache.end() && !it->second.node.expired() && it->second.version == node->version &&
      it->second.k == w.shape()[0] && it->second.n == w.shape()[1] && (it->second.compressed || !force)) {
    return it->second;
  }
  if (it == cache.end() && cache.size() >= sweep_at) {
    std::erase_if(cache, [](const auto& entry) { return entry.second.node.expired(); });
    sweep_at = std::max<std::size_t>(64, 2 * cache.size());
  }
  SparseForm<T>& f = cache[node];
  rebuild(f, w, force);
  return f;
}

// One row takes dot products; more rows the kernel vectorized along the batch (padded to 8 rows),
// which needs the two transposes but wins from 2 rows on (benchmark --only sparse).
constexpr std::size_t kMinBatchForPanels = 2;

// c (m×n) = x (m×k) · Rᵀ, R (n×k) in compressed rows: one dot product per element of c, each over
// four partial sums (one running sum would wait on each add's latency).
template <class T>
void dot_products(const CompressedRows<T>& r, std::size_t m, std::size_t n, std::size_t k, const T* x, T* c) {
  for (std::size_t row = 0; row < m; ++row, x += k, c += n) {
    for (std::size_t i = 0; i < n; ++i) {
      T s[4] = {};
      std::uint32_t p = r.start[i];
      const std::uint32_t end = r.start[i + 1];
      for (; p + 4 <= end; p += 4) {
#pragma GCC unroll 4
        for (std::uint32_t q = 0; q < 4; ++q) s[q] += r.value[p + q] * x[r.column[p + q]];
      }
      for (; p < end; ++p) s[0] += r.value[p] * x[r.column[p]];
      c[i] = (s[0] + s[1]) + (s[2] + s[3]);
    }
  }
}

// c (m×n) = x (m×k) · Rᵀ, R (n×k) in compressed rows.
template <class T>
void product_with(const CompressedRows<T>& r, std::size_t m, std::size_t n, std::size_t k, const T* x, T* c) {
  if (m < kMinBatchForPanels) {
    dot_products(r, m, n, k, x, c);
    return;
  }
  // cᵀ = R·xᵀ: the panels of xᵀ's columns are batch rows. The batch is padded with zero rows to
  // a multiple of 8, so that every column of xᵀ is in a SIMD panel (the plain-loop remainder of
  // gemm_compressed costs as much per column as a whole register).
  const std::size_t padded = (m + 7) / 8 * 8;
  thread_local std::vector<T> xp, xt, ct, cp;
  if (padded != m) {
    xp.assign(x, x + m * k);
    xp.resize(padded * k, T(0));
    x = xp.data();
  }
  xt.resize(k * padded);
  ct.resize(n * padded);
  transpose(x, padded, k, xt.data());
  gemm_compressed(r, n, padded, k, xt.data(), ct.data());
  if (padded == m) {
    transpose(ct.data(), n, m, c);
    return;
  }
  cp.resize(padded * n);
  transpose(ct.data(), n, padded, cp.data());
  std::copy_n(cp.data(), m * n, c);
}

}  // namespace

template <class T>
bool sparse_right_product(const Var<T>& w, bool tw, std::size_t m, const T* x, T* c) {
  const SparseKernels mode = sparse_kernels();
  if (mode == SparseKernels::off || w.dim() != 2 || !w.is_leaf()) return false;
  const std::size_t k = w.shape()[0], n = w.shape()[1];
  constexpr std::size_t limit = std::numeric_limits<std::uint32_t>::max() / 2;
  if (std::max({m, k, n}) > limit) return false;  // beyond 32-bit indices: the BLAS
  const bool force = mode == SparseKernels::on;
  const std::size_t inner = tw ? n : k, outer = tw ? k : n;
  const double max_density = force ? 1.0 : sparse_max_density(m, inner, outer);
  if (max_density < 0) return false;  // never for this shape: no look-up, no scan of W
  const SparseForm<T>& f = form_of(w, force);
  if (!force && (!f.compressed || f.density > max_density)) return false;
  if (!all_finite(x, m * inner)) return false;  // the BLAS's 0·inf = NaN
  product_with(tw ? f.rows : f.columns, m, outer, inner, x, c);
  return true;
}

template bool sparse_right_product(const Var<float>&, bool, std::size_t, const float*, float*);
template bool sparse_right_product(const Var<double>&, bool, std::size_t, const double*, double*);

}  // namespace ad::detail
