// nn::Orthogonal, Keras 3's OrthogonalRegularizer(factor, mode).
//
// What Keras 3 computes (keras/src/regularizers/regularizers.py, read for this port): inputs
// must have rank 2; in mode "rows" each row is normalized along axis 1 and the Gram matrix is
// N·Nᵀ of size rows × rows, in mode "columns" each column along axis 0 and Nᵀ·N; the diagonal
// is masked out; the penalty is factor · 0.5 · Σ|off-diagonal entries| / (size·(size − 1)/2),
// i.e. factor times the mean absolute value (not the square) of the size·(size − 1)
// off-diagonal entries. The normalization is keras.ops.normalize with order 2, which returns
// x · min(1/‖x‖, 1/ε) = x / max(‖x‖, ε) with ε = backend.epsilon() = 1e-7, so an all-zero row
// stays zero. factor must be a finite number >= 0.
#include <stdexcept>
#include <string>
#include <string_view>

#include <autodiff/autodiff.hpp>
#include <xtensor/xbuilder.hpp>

#include "check.hpp"
#include "nn/regularizers.hpp"

namespace nn {

namespace {

template <class T>
ad::Var<T> orthogonal_penalty(const ad::Var<T>& w, double factor, bool rows, const std::string& who) {
  if (w.dim() != 2) {
    throw std::invalid_argument("nn::" + who + ": needs a rank-2 kernel, got shape " + ad::shape_str(w.shape()));
  }
  const std::size_t size = w.shape()[rows ? 0 : 1];
  if (size < 2) {
    throw std::invalid_argument("nn::" + who + ": needs at least 2 " + (rows ? "rows" : "columns") +
                                " to compare, got shape " + ad::shape_str(w.shape()));
  }
  // ad::norm(·, 2) is zero-safe (gradient 0 at a zero row), so a zero row stays finite throughout.
  const ad::Var<T> norms = ad::norm(w, 2.0, {rows ? 1 : 0}, /*keepdims=*/true);
  const ad::Var<T> unit = w / ad::maximum(norms, ad::Var<T>::scalar(T(1e-7)));
  const ad::Var<T> gram = rows ? ad::matmul(unit, unit, false, true) : ad::matmul(unit, unit, true, false);
  const ad::Var<T> off_diagonal(xt::xarray<T>(T(1) - xt::eye<T>(size)));
  const double pairs = static_cast<double>(size) * static_cast<double>(size - 1);
  return static_cast<T>(factor / pairs) * ad::sum(ad::abs(gram * off_diagonal));
}

}  // namespace

Regularizer Orthogonal(double factor, const std::string& mode) {
  detail::require_finite_nonnegative("nn::Orthogonal", "factor", factor);
  detail::require(mode == "rows" || mode == "columns", "nn::Orthogonal", "mode", "\"rows\" or \"columns\"",
                  std::string_view("\"" + mode + "\""));
  const bool rows = mode == "rows";
  const std::string who = "Orthogonal(" + detail::number(factor) + ", " + mode + ")";
  return Regularizer([factor, rows, who](const auto& w) { return orthogonal_penalty(w, factor, rows, who); }, who);
}

}  // namespace nn
