// nn::GroupLasso and nn::SparseGroupLasso: λ·Σ_g √p_g·‖w_g‖₂ (plus l1·Σ|w|) as proximal parts.
#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include <autodiff/autodiff.hpp>

#include "check.hpp"
#include "group_prox.hpp"
#include "groups.hpp"
#include "l1_term.hpp"
#include "nn/regularizers.hpp"

namespace nn {

namespace {

using detail::number;

// group·Σ_g √p_g·‖w_g‖₂, and l1·Σ|w| first when l1 > 0. prox: the soft threshold (if l1 > 0)
// then the block one, the exact proximal operator of the sum in the same metric: the soft
// threshold keeps signs and zeros and the block step scales each coordinate by a factor in
// [0, 1], so the subgradient of the L1 term at the soft threshold's output still holds at the
// final point.
class GroupLassoTerm : public ProximalTerm {
 public:
  GroupLassoTerm(std::string who, double l1, double group, GroupBy groups)
      : who_(std::move(who)), l1_(l1), group_(group), groups_(groups) {}
  std::string description() const override { return who_; }
  ad::Var<float> value(const ad::Var<float>& w) const override { return penalty(w); }
  ad::Var<double> value(const ad::Var<double>& w) const override { return penalty(w); }
  void prox(std::span<float> w, std::span<const std::size_t> shape, const ProxStep<float>& step) const override {
    apply(w, shape, step);
  }
  void prox(std::span<double> w, std::span<const std::size_t> shape, const ProxStep<double>& step) const override {
    apply(w, shape, step);
  }

 private:
  // ad::norm(·, 2) has gradient 0 at an all-zero group and finite second derivatives there.
  template <class T>
  ad::Var<T> penalty(const ad::Var<T>& w) const {
    const auto& shape = w.shape();
    const auto layout = detail::group_layout("nn::" + who_, {shape.data(), shape.size()}, groups_);
    ad::Var<T> total = static_cast<T>(weight(layout)) * ad::sum(ad::norm(w, 2.0, layout.reduced_axes(w.dim())));
    return l1_ > 0 ? detail::l1_value(w, l1_) + total : total;
  }
  template <class T>
  void apply(std::span<T> w, std::span<const std::size_t> shape, const ProxStep<T>& step) const {
    const auto layout = detail::group_layout("nn::" + who_, shape, groups_);
    if (l1_ > 0) detail::soft_threshold(w, l1_, step);
    if (group_ > 0) detail::group_prox(w, layout, weight(layout), step);
  }
  double weight(const detail::GroupLayout& layout) const {  // λ√p_g
    return group_ * std::sqrt(static_cast<double>(layout.group_size()));
  }

  std::string who_;  // "GroupLasso(0.01, input)", naming it in errors
  double l1_, group_;
  GroupBy groups_;
};

}  // namespace

Regularizer GroupLasso(double lambda, GroupBy groups) {
  detail::require_finite_nonnegative("nn::GroupLasso", "lambda", lambda);
  const std::string who = "GroupLasso(" + number(lambda) + ", " + detail::group_name(groups) + ")";
  return Regularizer::with_prox({}, std::make_shared<GroupLassoTerm>(who, 0.0, lambda, groups));
}

Regularizer SparseGroupLasso(double l1, double group, GroupBy groups) {
  detail::require_finite_nonnegative("nn::SparseGroupLasso", "l1", l1);
  detail::require_finite_nonnegative("nn::SparseGroupLasso", "group", group);
  const std::string who =
      "SparseGroupLasso(" + number(l1) + ", " + number(group) + ", " + detail::group_name(groups) + ")";
  return Regularizer::with_prox({}, std::make_shared<GroupLassoTerm>(who, l1, group, groups));
}

}  // namespace nn
