#include "l1_term.hpp"

#include <cmath>
#include <string>

#include <autodiff/autodiff.hpp>

#include "check.hpp"

namespace nn::detail {

namespace {

class L1Term : public ProximalTerm {
 public:
  explicit L1Term(double l1) : l1_(l1) {}
  std::string description() const override { return "L1(" + number(l1_) + ")"; }
  ad::Var<float> value(const ad::Var<float>& w) const override { return l1_value(w, l1_); }
  ad::Var<double> value(const ad::Var<double>& w) const override { return l1_value(w, l1_); }
  void prox(std::span<float> w, std::span<const std::size_t>, const ProxStep<float>& step) const override {
    soft_threshold(w, l1_, step);
  }
  void prox(std::span<double> w, std::span<const std::size_t>, const ProxStep<double>& step) const override {
    soft_threshold(w, l1_, step);
  }

 private:
  double l1_;
};

}  // namespace

std::shared_ptr<const ProximalTerm> l1_term(double l1) { return std::make_shared<L1Term>(l1); }

template <class T>
ad::Var<T> l1_value(const ad::Var<T>& w, double l1) {
  return static_cast<T>(l1) * ad::l1_norm(w);
}

template <class T>
void soft_threshold(std::span<T> w, double l1, const ProxStep<T>& step) {
  const T lambda = static_cast<T>(l1);
  for (std::size_t i = 0; i < w.size(); ++i) {
    const T shrunk = std::abs(w[i]) - step.times(lambda, i);
    w[i] = shrunk > 0 ? std::copysign(shrunk, w[i]) : T(0);
  }
}

#define NN_INSTANTIATE_L1_TERM(T)                             \
  template ad::Var<T> l1_value(const ad::Var<T>&, double); \
  template void soft_threshold(std::span<T>, double, const ProxStep<T>&);
NN_INSTANTIATE_L1_TERM(float)
NN_INSTANTIATE_L1_TERM(double)
#undef NN_INSTANTIATE_L1_TERM

}  // namespace nn::detail
