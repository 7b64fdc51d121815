// Linear algebra: matmul (BLAS gemm), the fused dense layer, transpose.

#include <algorithm>
#include <functional>
#include <numeric>
#include <span>

#include <xtensor/xmanipulation.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "gemm.hpp"
#include "sparse_kernel.hpp"
#include "tape.hpp"

namespace ad {

// ---- BLAS ------------------------------------------------------------------------------------

template <class T>
using Product = Var<T> (*)(const Var<T>&, const Var<T>&, bool, bool);

// The gradients of C = op(A) op(B), through `product` (itself differentiable, so second order
// works), summed back over the batch axes an operand was broadcast along.
template <class T>
void matmul_grads(BackwardContext<T>& c, bool ta, bool tb, Product<T> product) {
  const Var<T>& A = c.in[0];
  const Var<T>& B = c.in[1];
  const Var<T>& g = c.g;
  // dop(A) = G op(B)^T and dop(B) = op(A)^T G; each case reads the needed transposes off the
  // flags instead of copying.
  if (c.needs(0)) {
    const Var<T> d = !ta ? product(g, B, false, !tb) : (tb ? product(B, g, true, true) : product(B, g, false, true));
    c.grads[0] = sum_to_shape(d, to_shape(A.shape()));
  }
  if (c.needs(1)) {
    const Var<T> d = !tb ? product(A, g, !ta, false) : (ta ? product(g, A, true, true) : product(g, A, true, false));
    c.grads[1] = sum_to_shape(d, to_shape(B.shape()));
  }
}

// c = op(a)·op(b) into v (m×n, all sizes > 0): from b's nonzeros when b is a sparse leaf (a
// layer's kernel, autodiff/sparse.hpp), else by the BLAS.
template <class T>
void product_into(const Var<T>& a, const Var<T>& b, bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k,
                  T* v) {
  if (!ta && detail::sparse_right_product(b, tb, m, a.value().data(), v)) return;
  detail::gemm(ta, tb, m, n, k, a.value().data(), b.value().data(), v);
}

template <class T>
Var<T> matmul_flags(const Var<T>& a, const Var<T>& b, bool ta, bool tb) {
  if (a.dim() != 2 || b.dim() != 2) {
    throw ShapeError("matmul: needs 2-D operands, got shapes " + shape_str(a.shape()) + " and " +
                     shape_str(b.shape()));
  }
  const std::size_t m = ta ? a.shape()[1] : a.shape()[0], ka = ta ? a.shape()[0] : a.shape()[1];
  const std::size_t kb = tb ? b.shape()[1] : b.shape()[0], n = tb ? b.shape()[0] : b.shape()[1];
  if (ka != kb) {
    throw ShapeError("matmul: inner dimensions differ: " + shape_str(a.shape()) + (ta ? "^T" : "") + " times " +
                     shape_str(b.shape()) + (tb ? "^T" : ""));
  }
  Array<T> v = Array<T>::from_shape({m, n});
  if (ka == 0) {
    v.fill(T(0));
  } else if (m > 0 && n > 0) {
    product_into(a, b, ta, tb, m, n, ka, v.data());
  }
  return make_output<T>("matmul", std::move(v), {&a, &b}, [ta, tb](BackwardContext<T>& c) {
    matmul_grads(c, ta, tb, &matmul_flags<T>);
  });
}

// Offsets, in matrices, of an operand's matrix for each matrix of the output's batch, the operand's
// batch axes (all but its last two) broadcast to `batch` (stride 0 along a broadcast axis).
template <class S>
std::vector<std::size_t> batch_offsets(const Shape& batch, const S& operand) {
  const std::size_t lead = batch.size() - (operand.size() - 2);
  std::vector<std::size_t> strides(batch.size(), 0);
  std::size_t stride = 1;
  for (std::size_t i = batch.size(); i-- > lead;) {
    const std::size_t d = operand[i - lead];
    strides[i] = d == 1 ? 0 : stride;
    stride *= d;
  }
  const std::size_t count = std::accumulate(batch.begin(), batch.end(), std::size_t(1), std::multiplies<>());
  std::vector<std::size_t> offsets(count, 0);
  for (std::size_t n = 0; n < count; ++n) {
    for (std::size_t i = batch.size(), rest = n; i-- > 0; rest /= batch[i]) offsets[n] += rest % batch[i] * strides[i];
  }
  return offsets;
}

template <class T>
Var<T> matmul_any(const Var<T>& a, const Var<T>& b, bool ta, bool tb);

// op(a) op(b) for operands of at least 2 dimensions, one of them more: one gemm per output matrix.
template <class T>
Var<T> batched_matmul(const Var<T>& a, const Var<T>& b, bool ta, bool tb) {
  const auto &as = a.shape(), &bs = b.shape();
  const std::size_t da = a.dim(), db = b.dim();
  const std::size_t m = as[ta ? da - 1 : da - 2], k = as[ta ? da - 2 : da - 1];
  const std::size_t kb = bs[tb ? db - 1 : db - 2], n = bs[tb ? db - 2 : db - 1];
  Shape batch;
  try {
    if (k != kb) throw ShapeError("inner dimensions differ");
    batch = broadcast_shapes("batch axes", Shape(as.begin(), as.end() - 2), Shape(bs.begin(), bs.end() - 2));
  } catch (const ShapeError& e) {
    throw ShapeError("matmul: shapes " + shape_str(as) + (ta ? "^T" : "") + " and " + shape_str(bs) + (tb ? "^T" : "") +
                     " do not fit: " + e.what());
  }
  Shape s = batch;
  s.insert(s.end(), {m, n});
  Array<T> v = xt::zeros<T>(s);
  const auto ao = batch_offsets(batch, as), bo = batch_offsets(batch, bs);
  for (std::size_t i = 0; k > 0 && m > 0 && n > 0 && i < ao.size(); ++i) {
    detail::gemm(ta, tb, m, n, k, a.value().data() + ao[i] * m * k, b.value().data() + bo[i] * k * n,
                 v.data() + i * m * n);
  }
  return make_output<T>("batched_matmul", std::move(v), {&a, &b}, [ta, tb](BackwardContext<T>& c) {
    matmul_grads(c, ta, tb, &matmul_any<T>);
  });
}

// The 2-D product when both operands are 2-D, else the batched one.
template <class T>
Var<T> matmul_any(const Var<T>& a, const Var<T>& b, bool ta, bool tb) {
  return a.dim() == 2 && b.dim() == 2 ? matmul_flags(a, b, ta, tb) : batched_matmul(a, b, ta, tb);
}

// The length of the contracted axis of a matmul operand (a 1-D one is the contracted axis).
template <class S>
std::size_t inner_length(const S& shape, bool left, bool transposed) {
  const std::size_t d = shape.size();
  if (d == 1) return shape[0];
  return shape[left != transposed ? d - 1 : d - 2];
}

template <class T>
Var<T> matmul(const Var<T>& a, const Var<T>& b, bool transpose_a, bool transpose_b) {
  if ((transpose_a && a.dim() == 1) || (transpose_b && b.dim() == 1)) {
    throw ValueError("matmul: a transpose flag is set for a 1-D operand (shapes " + shape_str(a.shape()) + " and " +
                     shape_str(b.shape()) + "); flags transpose the last two axes");
  }
  if (a.dim() == 0 || b.dim() == 0 || inner_length(a.shape(), true, transpose_a) !=
                                          inner_length(b.shape(), false, transpose_b)) {
    throw ShapeError("matmul: shapes " + shape_str(a.shape()) + (transpose_a ? "^T" : "") + " and " +
                     shape_str(b.shape()) + (transpose_b ? "^T" : "") +
                     " do not fit (operands need 1 dimension or more, and equal inner dimensions)");
  }
  if (a.dim() == 2 && b.dim() == 2) return matmul_flags(a, b, transpose_a, transpose_b);
  const Var<T> a2 = a.dim() == 1 ? reshape(a, Shape{1, a.size()}) : a;
  const Var<T> b2 = b.dim() == 1 ? reshape(b, Shape{b.size(), 1}) : b;
  const Var<T> c = matmul_any(a2, b2, transpose_a, transpose_b);
  if (a.dim() > 1 && b.dim() > 1) return c;
  Shape s = to_shape(c.shape());
  if (b.dim() == 1) s.pop_back();
  if (a.dim() == 1) s.erase(s.end() - 1 - (b.dim() == 1 ? 0 : 1));
  return reshape(c, s);
}

// act(x·W + b) as one op: the gemm writes the output and one pass adds the bias and applies a
// relu in place, where matmul, add and relu would make three arrays, three passes and three
// records. The backward is the three ops' backward, written with ops (second order works).
template <class T>
Var<T> linear_relu_or_identity(const Var<T>& x, const Var<T>& weight, const Var<T>& bias, bool relu_after) {
  if (x.dim() != 2 || weight.dim() != 2 || x.shape()[1] != weight.shape()[0] ||
      (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != weight.shape()[1]))) {
    throw ShapeError("linear: needs x (m, k), weight (k, n) and bias (n), got " + shape_str(x.shape()) + ", " +
                     shape_str(weight.shape()) + " and " + (bias.defined() ? shape_str(bias.shape()) : "no bias"));
  }
  const std::size_t m = x.shape()[0], k = x.shape()[1], n = weight.shape()[1];
  Array<T> v = Array<T>::from_shape({m, n});
  if (k == 0) {
    v.fill(T(0));
  } else if (m > 0 && n > 0) {
    product_into(x, weight, false, false, m, n, k, v.data());
  }
  T* out = v.data();
  const T* b = bias.defined() ? bias.value().data() : nullptr;
  for (std::size_t i = 0; i < m; ++i) {
    T* row = out + i * n;
    if (b != nullptr)
      for (std::size_t j = 0; j < n; ++j) row[j] += b[j];
    if (relu_after)
      for (std::size_t j = 0; j < n; ++j) row[j] = row[j] <= T(0) ? T(0) : row[j];  // NaN stays NaN
  }
  const Var<T>* inputs[] = {&x, &weight, &bias};
  return make_output<T>(relu_after ? "linear_relu" : "linear", std::move(v),
                        std::span<const Var<T>* const>(inputs, bias.defined() ? 3 : 2),
                        [relu_after](BackwardContext<T>& c) {
                          // relu'(z) = [y > 0] (or y NaN): the output carries the mask, z is not kept.
                          const Var<T> gz = relu_after ? mul_slope(c.g, c.out, SlopeOf<T>{Slope::relu}, "relu_backward")
                                                       : c.g;
                          if (c.needs(0)) c.grads[0] = matmul_flags(gz, c.in[1], false, true);
                          if (c.needs(1)) c.grads[1] = matmul_flags(c.in[0], gz, true, false);
                          if (c.in.size() > 2 && c.needs(2)) c.grads[2] = sum_axes(gz, {0}, false);
                        });
}

template <class T>
Var<T> linear(const Var<T>& x, const Var<T>& weight, const Var<T>& bias, Activation activation) {
  if (activation == Activation::relu) return linear_relu_or_identity(x, weight, bias, true);
  return activate(linear_relu_or_identity(x, weight, bias, false), activation);
}

template <class T>
Var<T> transpose(const Var<T>& x, const std::vector<std::size_t>& permutation) {
  std::vector<std::size_t> sorted = permutation;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != all_axes(x.dim())) {
    throw ShapeError("transpose: permutation of length " + std::to_string(permutation.size()) +
                     " is not a permutation of the axes of shape " + shape_str(x.shape()));
  }
  Array<T> v = xt::transpose(x.value(), permutation);
  return make_output<T>("transpose", std::move(v), {&x}, [permutation](BackwardContext<T>& c) {
    std::vector<std::size_t> inverse(permutation.size());
    for (std::size_t i = 0; i < permutation.size(); ++i) inverse[permutation[i]] = i;
    c.grads[0] = transpose(c.g, inverse);
  });
}

template <class T>
Var<T> transpose(const Var<T>& x, const Axes& permutation) {
  const auto d = static_cast<std::ptrdiff_t>(x.dim());
  std::vector<std::size_t> p;
  for (auto a : permutation) {
    if (a < -d || a >= d) {
      throw ShapeError("transpose: entry " + std::to_string(a) + " of the permutation is out of range for shape " +
                       shape_str(x.shape()));
    }
    p.push_back(static_cast<std::size_t>(a < 0 ? a + d : a));
  }
  return transpose(x, p);
}

template <class T>
Var<T> transpose(const Var<T>& x) {
  std::vector<std::size_t> reversed = all_axes(x.dim());
  std::reverse(reversed.begin(), reversed.end());
  return transpose(x, reversed);
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> matmul(const Var<T>&, const Var<T>&, bool, bool);                                            \
  template Var<T> linear(const Var<T>&, const Var<T>&, const Var<T>&, Activation);                             \
  template Var<T> transpose(const Var<T>&);                                                                    \
  template Var<T> transpose(const Var<T>&, const std::vector<std::size_t>&);                                   \
  template Var<T> transpose(const Var<T>&, const Axes&);                                                       \
  template Var<T> matmul_flags(const Var<T>&, const Var<T>&, bool, bool);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
