#include "nn/regularizers.hpp"

#include <cmath>
#include <optional>
#include <stdexcept>

#include "check.hpp"
#include "l1_term.hpp"

namespace nn {

using detail::number;

Regularizer Regularizer::l1_l2(double l1, double l2) { return checked("nn::Regularizer::l1_l2", l1, l2); }

Regularizer Regularizer::checked(const char* who, double l1, double l2) {
  detail::require_finite_nonnegative(who, "l1", l1);
  detail::require_finite_nonnegative(who, "l2", l2);
  Regularizer r;
  r.l1_ = l1;
  r.l2_ = l2;
  if (l1 != 0) r.prox_ = detail::l1_term(l1);
  r.description_ = l2 == 0 ? "L1(" + number(l1) + ")" : l1 == 0 ? "L2(" + number(l2) + ")"
                                                              : "L1L2(" + number(l1) + ", " + number(l2) + ")";
  return r;
}

Regularizer L1(double l1) { return Regularizer::checked("nn::L1", l1, 0); }
Regularizer L2(double l2) { return Regularizer::checked("nn::L2", 0, l2); }
Regularizer L1L2(double l1, double l2) { return Regularizer::checked("nn::L1L2", l1, l2); }

Regularizer Regularizer::with_prox(Regularizer smooth_part, std::shared_ptr<const ProximalTerm> prox) {
  if (!prox) throw std::invalid_argument("nn::Regularizer::with_prox: the proximal part is null");
  Regularizer r = std::move(smooth_part);
  if (r.prox_) {
    throw std::invalid_argument("nn::Regularizer::with_prox: '" + r.description_ +
                                "' has a proximal part already; give its smooth part only");
  }
  r.description_ = r ? prox->description() + " + " + r.description_ : prox->description();
  r.prox_ = std::move(prox);
  return r;
}

template <class T>
ad::Var<T> Regularizer::smooth(const ad::Var<T>& w) const {
  const auto& custom = [this]() -> const auto& {
    if constexpr (std::is_same_v<T, float>) return custom_float_;
    else return custom_double_;
  }();
  if (custom_float_ || custom_double_) {
    if (!custom) {
      throw std::invalid_argument("regularizer '" + description_ + "' is not callable with ad::Var<" +
                                  (std::is_same_v<T, float> ? "float" : "double") + ">");
    }
    ad::Var<T> p = custom(w);
    if (!p.defined() || p.size() != 1) {
      throw std::invalid_argument("regularizer '" + description_ + "' must return a scalar Var");
    }
    return p.dim() == 0 ? p : ad::reshape(p, {});
  }
  if (l2_ == 0) return {};
  return static_cast<T>(l2_) * ad::sum(ad::square(w));
}

template <class T>
ad::Var<T> Regularizer::operator()(const ad::Var<T>& w, bool prox_applied) const {
  ad::Var<T> total;
  if (prox_) {
    std::optional<ad::NoGradGuard> constant;
    if (prox_applied) constant.emplace();
    total = prox_->value(w);
  }
  const ad::Var<T> s = smooth(w);
  if (s.defined()) total = total.defined() ? total + s : s;
  return total.defined() ? total : ad::Var<T>::scalar(T(0));
}

#define NN_INSTANTIATE_REGULARIZER(T)                                    \
  template ad::Var<T> Regularizer::operator()(const ad::Var<T>&, bool) const; \
  template ad::Var<T> Regularizer::smooth(const ad::Var<T>&) const;
NN_INSTANTIATE_REGULARIZER(float)
NN_INSTANTIATE_REGULARIZER(double)
#undef NN_INSTANTIATE_REGULARIZER

}  // namespace nn
