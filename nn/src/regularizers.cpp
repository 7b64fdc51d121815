#include "nn/regularizers.hpp"

#include <stdexcept>

#include "check.hpp"

namespace nn {

using detail::number;

Regularizer Regularizer::l1_l2(double l1, double l2) { return checked("nn::Regularizer::l1_l2", l1, l2); }

Regularizer Regularizer::checked(const char* who, double l1, double l2) {
  detail::require_finite_nonnegative(who, "l1", l1);
  detail::require_finite_nonnegative(who, "l2", l2);
  Regularizer r;
  r.l1_ = l1;
  r.l2_ = l2;
  r.description_ = l2 == 0 ? "L1(" + number(l1) + ")" : l1 == 0 ? "L2(" + number(l2) + ")"
                                                              : "L1L2(" + number(l1) + ", " + number(l2) + ")";
  return r;
}

Regularizer L1(double l1) { return Regularizer::checked("nn::L1", l1, 0); }
Regularizer L2(double l2) { return Regularizer::checked("nn::L2", 0, l2); }
Regularizer L1L2(double l1, double l2) { return Regularizer::checked("nn::L1L2", l1, l2); }

template <class T>
ad::Var<T> Regularizer::operator()(const ad::Var<T>& w, bool include_l1) const {
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
  ad::Var<T> total = ad::Var<T>::scalar(T(0));
  bool any = false;
  if (l1_ != 0 && include_l1) {
    total = static_cast<T>(l1_) * ad::l1_norm(w);  // fused: one pass each way
    any = true;
  }
  if (l2_ != 0) {
    auto l2_term = static_cast<T>(l2_) * ad::sum(ad::square(w));
    total = any ? total + l2_term : l2_term;
  }
  return total;
}

template ad::Var<float> Regularizer::operator()(const ad::Var<float>&, bool) const;
template ad::Var<double> Regularizer::operator()(const ad::Var<double>&, bool) const;

}  // namespace nn
