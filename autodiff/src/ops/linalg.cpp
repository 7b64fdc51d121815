// Linear algebra: matmul (BLAS gemm), the fused dense layer, transpose.

#include <algorithm>
#include <span>

#include <xtensor/xmanipulation.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "gemm.hpp"
#include "tape.hpp"

namespace ad {

// ---- BLAS ------------------------------------------------------------------------------------

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
    detail::gemm(ta, tb, m, n, ka, a.value().data(), b.value().data(), v.data());
  }
  return make_output<T>("matmul", std::move(v), {&a, &b}, [ta, tb](BackwardContext<T>& c) {
    const Var<T>& A = c.in[0];
    const Var<T>& B = c.in[1];
    const Var<T>& g = c.g;
    // C = op(A) op(B); each case reads the needed transposes off the flags instead of copying.
    if (c.needs(0)) {
      c.grads[0] = !ta ? matmul_flags(g, B, false, !tb) : (tb ? matmul_flags(B, g, true, true)
                                                              : matmul_flags(B, g, false, true));
    }
    if (c.needs(1)) {
      c.grads[1] = !tb ? matmul_flags(A, g, !ta, false) : (ta ? matmul_flags(g, A, true, true)
                                                              : matmul_flags(g, A, true, false));
    }
  });
}


template <class T>
Var<T> matmul(const Var<T>& a, const Var<T>& b, bool transpose_a, bool transpose_b) {
  return matmul_flags(a, b, transpose_a, transpose_b);
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
    detail::gemm(false, false, m, n, k, x.value().data(), weight.value().data(), v.data());
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
  template Var<T> matmul_flags(const Var<T>&, const Var<T>&, bool, bool);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
