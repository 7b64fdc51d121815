// Weight and activity regularizers with Keras semantics. A penalty is an ordinary tape node, so
// any C++ function of a Var is a valid regularizer.
//
//   nn::L1(0.01)                 // 0.01 · Σ|w|      (Keras: L1(0.01) on a 5×5 kernel of ones = 0.25)
//   nn::L2(0.01)                 // 0.01 · Σw²       (no ½, as in Keras)
//   nn::L1L2(0.01, 0.001)        // both
//   nn::Regularizer([](const auto& w) { return 1e-3 * ad::sum(ad::pow(ad::abs(w), 3.0)); })
//   nn::GroupLasso(0.01)         // 0.01 · Σ_g √p_g·‖w_g‖₂ over a kernel's input units (GroupBy)
//   nn::SparseGroupLasso(0.01, 0.001)  // L1(0.01) + GroupLasso(0.001)
//   nn::Orthogonal(0.01, "rows") // Keras 3's OrthogonalRegularizer
//
// A regularizer owns its penalty: a smooth part (the L2 term, or a custom function), a tape
// expression every optimizer differentiates, and optionally a proximal part (the L1 term, or any
// ProximalTerm) with its proximal operator prox(). A parameter carries its regularizer; a
// proximal optimizer asks it for prox() after each step, and then the loss holds the proximal
// part's value only (see operator()).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include <autodiff/autodiff.hpp>

#include "nn/proximal.hpp"

namespace nn {

class Regularizer {
 public:
  Regularizer() = default;  // no penalty
  // A custom penalty. F must be callable with ad::Var<float> or ad::Var<double> (or both, as a
  // generic lambda is); a model of the other element type cannot use it and says so.
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Regularizer>>>
  explicit Regularizer(F f, std::string description = "custom") : description_(std::move(description)) {
    if constexpr (std::is_invocable_v<F&, const ad::Var<float>&>) custom_float_ = f;
    if constexpr (std::is_invocable_v<F&, const ad::Var<double>&>) custom_double_ = f;
    static_assert(std::is_invocable_v<F&, const ad::Var<float>&> || std::is_invocable_v<F&, const ad::Var<double>&>,
                  "a regularizer takes an ad::Var<float> or ad::Var<double>");
  }
  // Coefficients must be finite and >= 0, else std::invalid_argument naming the function, the
  // coefficient and its value ("nn::L1: l1 must be a finite number >= 0, got nan").
  static Regularizer l1_l2(double l1, double l2);
  // `smooth`'s penalty plus a proximal part (the way to a group lasso and the like).
  static Regularizer with_prox(Regularizer smooth_part, std::shared_ptr<const ProximalTerm> prox);

  // The whole penalty of w, proximal part first, as one tape expression. With prox_applied (a
  // proximal optimizer applies prox() after each step) the proximal part's value enters as a
  // constant: the loss reports it, and its gradient is left to prox(). A scalar 0 if empty.
  template <class T>
  ad::Var<T> operator()(const ad::Var<T>& w, bool prox_applied = false) const;
  // The smooth part alone (undefined if there is none).
  template <class T>
  ad::Var<T> smooth(const ad::Var<T>& w) const;
  bool has_prox() const { return prox_ != nullptr; }
  // w ← the proximal operator of the proximal part with step sizes `step`; nothing without one.
  template <class T>
  void prox(std::span<T> w, std::span<const std::size_t> shape, const ProxStep<T>& step) const {
    if (prox_) prox_->prox(w, shape, step);
  }

  explicit operator bool() const { return prox_ || l2_ != 0 || custom_float_ || custom_double_; }
  double l1() const { return l1_; }  // coefficient of the built-in L1 part (0 for custom)
  double l2() const { return l2_; }
  const std::string& description() const { return description_; }  // "L1(0.001)", for summaries

 private:
  friend Regularizer L1(double);
  friend Regularizer L2(double);
  friend Regularizer L1L2(double, double);
  static Regularizer checked(const char* who, double l1, double l2);  // l1_l2, its errors naming `who`

  double l1_ = 0, l2_ = 0;
  std::shared_ptr<const ProximalTerm> prox_;  // the L1 term for l1_ > 0
  std::function<ad::Var<float>(const ad::Var<float>&)> custom_float_;
  std::function<ad::Var<double>(const ad::Var<double>&)> custom_double_;
  std::string description_;
};

Regularizer L1(double l1 = 0.01);
Regularizer L2(double l2 = 0.01);
Regularizer L1L2(double l1 = 0.0, double l2 = 0.0);

// The groups of a group penalty, for a kernel of rank >= 2 (Dense (in, out), Conv2D
// (kh, kw, in_channels, filters)):
//   input:  one group per index of axis -2, the other axes reduced: a Dense row (all outgoing
//           weights of one input feature), a Conv2D input channel (its kh·kw·filters weights);
//   output: one group per index of the last axis: a Dense column (all incoming weights of one
//           unit), a Conv2D filter.
// A parameter of rank < 2 (a bias) has no such axis: the penalty and its prox() throw
// std::invalid_argument naming the regularizer and the shape.
enum class GroupBy { input, output };

// The group lasso λ·Σ_g √p_g·‖w_g‖₂ (p_g: the group's size; all groups of a kernel are equal).
// Its gradient at an all-zero group is 0 (the subgradient there), its second derivatives are
// finite. Its proximal part is the block soft threshold w_g ← w_g·max(0, 1 − η·λ√p_g/‖w_g‖)
// (SGD, η = lr); under Adam the exact proximal step in Adam's metric diag(1/η_i), which keeps
// a group at exactly zero while its averaged data gradient's norm is ≤ λ√p_g (see
// nn/src/group_prox.hpp). λ must be finite and >= 0 (std::invalid_argument otherwise).
Regularizer GroupLasso(double lambda = 0.01, GroupBy groups = GroupBy::input);
// L1(l1) + GroupLasso(group): zeros single weights and whole groups. Its proximal step is the
// soft threshold followed by the block one, the exact proximal operator of the sum.
Regularizer SparseGroupLasso(double l1 = 0.01, double group = 0.01, GroupBy groups = GroupBy::input);
// Keras 3's OrthogonalRegularizer(factor, mode), for rank-2 kernels: the rows (mode "rows") or
// columns ("columns") are L2-normalized (x / max(‖x‖, 1e-7)), and the penalty is factor times
// the mean of the absolute off-diagonal entries of their Gram matrix. A smooth (subgradient)
// penalty: no proximal part. factor must be finite and >= 0 and mode "rows" or "columns"; a
// kernel of rank != 2, or with fewer than 2 rows (columns) to compare (Keras divides by zero
// pairs there), throws std::invalid_argument naming the regularizer and the shape.
Regularizer Orthogonal(double factor = 0.01, const std::string& mode = "rows");

}  // namespace nn
