// Weight constraints with Keras's definitions: a projection applied to a parameter, in place,
// after every optimizer update (after the proximal step, if any), as Keras applies
// kernel_constraint / bias_constraint after each optimizer step.
//
//   model.add(nn::Dense(64, "relu", {.kernel_constraint = nn::MaxNorm(3)}));
//   model.add(nn::Conv2D(32, 3, "relu", {.kernel_constraint = nn::MaxNorm(2, {0, 1, 2})}));
//   nn::Constraint([](auto& w) { w = xt::clip(w, -1, 1); }, "clip")   // a custom one
//
// Norms are Euclidean norms over `axis` (Keras's default axis 0: for a Dense kernel (in, out),
// the norm of each column, the weights into one unit; for a Conv2D kernel (kh, kw, in, filters)
// use {0, 1, 2}, one norm per filter). With n the norms, kept as broadcastable, and ε = 1e-7
// (Keras's backend epsilon), Keras computes:
//   MaxNorm(max_value = 2, axis = 0):     w · clip(n, 0, max_value) / (ε + n)
//   MinMaxNorm(min_value = 0, max_value = 1, rate = 1, axis = 0):
//                                         w · (rate·clip(n, min_value, max_value) + (1 − rate)·n) / (ε + n)
//   NonNeg():                             w · (w >= 0)
//   UnitNorm(axis = 0):                   w / (ε + n)
// Here the norms and the factors desired/(ε + n) (UnitNorm: desired = 1) are computed in double;
// each factor is rounded to the parameter's element type once and multiplies its weights.
//
// Hyperparameters are checked at construction: std::invalid_argument naming the constraint, the
// option and its value ("nn::MaxNorm: max_value must be a finite number >= 0, got -1"). An axis
// outside the parameter's dimensions is an ad::ShapeError naming the parameter when the layer is
// built.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include <autodiff/var.hpp>

namespace nn {

// One axis (Keras's int) or several ({0, 1, 2}); negative axes count from the end.
struct Axes {
  std::vector<int> axes;
  Axes(int axis) : axes{axis} {}  // NOLINT: implicit, as Keras's int
  Axes(std::initializer_list<int> list) : axes(list) {}
};

class Constraint {
 public:
  Constraint() = default;  // no constraint
  // A custom projection. F must be callable with xt::xarray<float>& or xt::xarray<double>& (or
  // both, as a generic lambda is) and must keep the shape; a model of the other element type
  // cannot use it and says so.
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Constraint>>>
  explicit Constraint(F f, std::string description = "custom") : description_(std::move(description)) {
    if constexpr (std::is_invocable_v<F&, xt::xarray<float>&>) float_ = f;
    if constexpr (std::is_invocable_v<F&, xt::xarray<double>&>) double_ = f;
    static_assert(std::is_invocable_v<F&, xt::xarray<float>&> || std::is_invocable_v<F&, xt::xarray<double>&>,
                  "a constraint takes an xt::xarray<float>& or xt::xarray<double>&");
  }

  // w ← the constraint's projection of w (nothing if empty). `who` names the parameter in errors.
  template <class T>
  void operator()(xt::xarray<T>& w, const std::string& who = "parameter") const;
  // For a parameter of element type T and this shape (when a layer is built): throws
  // ad::ShapeError naming `who` unless every axis fits, std::invalid_argument if a custom
  // constraint does not take T.
  template <class T>
  void check(const ad::Shape& shape, const std::string& who) const;

  explicit operator bool() const { return float_ || double_; }
  const std::string& description() const { return description_; }  // "MaxNorm(2, axis=0)"

 private:
  friend Constraint MaxNorm(double, Axes);
  friend Constraint MinMaxNorm(double, double, double, Axes);
  friend Constraint NonNeg();
  friend Constraint UnitNorm(Axes);
  // A built-in rescaling of the norms over `axes`: w ← w · desired(n) / (ε + n).
  static Constraint norm_rescaling(std::string description, Axes axes, std::function<double(double)> desired);

  std::function<void(xt::xarray<float>&)> float_;
  std::function<void(xt::xarray<double>&)> double_;
  std::vector<int> axes_;  // the axes a built-in reduces over (checked against the shape)
  std::string description_;
};

Constraint MaxNorm(double max_value = 2, Axes axis = 0);
Constraint MinMaxNorm(double min_value = 0, double max_value = 1, double rate = 1, Axes axis = 0);
Constraint NonNeg();
Constraint UnitNorm(Axes axis = 0);

}  // namespace nn
