#include "nn/constraints.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "check.hpp"

namespace nn {

using detail::number;

namespace {

constexpr double keras_epsilon = 1e-7;  // Keras's backend epsilon

// Axis a of a rank-`rank` array, negative ones counted from the end; -1 if out of range.
long resolved_axis(int a, std::size_t rank) {
  const long r = static_cast<long>(rank);
  const long axis = a < 0 ? a + r : a;
  return axis >= 0 && axis < r ? axis : -1;
}

// For each element of a row-major array of `shape`, the index of its group: the elements that
// differ only along the reduced axes share a group (one norm each).
std::vector<std::size_t> group_of_elements(const ad::Shape& shape, const std::vector<int>& axes) {
  std::vector<bool> reduced(shape.size(), false);
  for (int a : axes) reduced[static_cast<std::size_t>(resolved_axis(a, shape.size()))] = true;
  std::vector<std::size_t> group_stride(shape.size(), 0);
  std::size_t stride = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (reduced[d]) continue;
    group_stride[d] = stride;
    stride *= shape[d];
  }
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<std::size_t> group(n, 0), index(shape.size(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t g = 0;
    for (std::size_t d = 0; d < shape.size(); ++d) g += index[d] * group_stride[d];
    group[i] = g;
    for (std::size_t d = shape.size(); d-- > 0;) {  // the next multi-index, last axis fastest
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return group;
}

template <class T>
void rescale_norms(xt::xarray<T>& w, const std::vector<int>& axes, const std::function<double(double)>& desired) {
  const ad::Shape shape(w.shape().begin(), w.shape().end());
  const std::vector<std::size_t> group = group_of_elements(shape, axes);
  const std::size_t groups = group.empty() ? 0 : *std::max_element(group.begin(), group.end()) + 1;
  std::vector<double> norm(groups, 0.0);
  for (std::size_t i = 0; i < group.size(); ++i) norm[group[i]] += double(w.data()[i]) * double(w.data()[i]);
  std::vector<T> factor(groups);
  for (std::size_t g = 0; g < groups; ++g) {
    const double n = std::sqrt(norm[g]);
    factor[g] = static_cast<T>(desired(n) / (keras_epsilon + n));
  }
  for (std::size_t i = 0; i < group.size(); ++i) w.data()[i] *= factor[group[i]];
}

std::string axes_text(const Axes& axes) {
  if (axes.axes.size() == 1) return std::to_string(axes.axes[0]);
  std::string s = "[";
  for (std::size_t i = 0; i < axes.axes.size(); ++i) s += (i ? ", " : "") + std::to_string(axes.axes[i]);
  return s + "]";
}

}  // namespace

template <class T>
void Constraint::operator()(xt::xarray<T>& w, const std::string& who) const {
  const auto& f = [this]() -> const auto& {
    if constexpr (std::is_same_v<T, float>) return float_;
    else return double_;
  }();
  if (f) return f(w);
  if (*this) {
    throw std::invalid_argument("constraint " + description_ + " on " + who + ": it takes the other element type (" +
                                (std::is_same_v<T, float> ? "double" : "float") + "), the model's is " +
                                (std::is_same_v<T, float> ? "float" : "double"));
  }
}

template <class T>
void Constraint::check(const ad::Shape& shape, const std::string& who) const {
  if (*this && !(std::is_same_v<T, float> ? bool(float_) : bool(double_))) {
    throw std::invalid_argument("constraint " + description_ + " on " + who + ": it does not take the model's " +
                                (std::is_same_v<T, float> ? "float" : "double") + " arrays");
  }
  for (int a : axes_) {
    if (resolved_axis(a, shape.size()) < 0) {
      throw ad::ShapeError("constraint " + description_ + " on " + who + ": axis " + std::to_string(a) +
                           " is out of range for shape " + ad::shape_str(shape));
    }
  }
}

Constraint Constraint::norm_rescaling(std::string description, Axes axes, std::function<double(double)> desired) {
  if (axes.axes.empty()) throw std::invalid_argument(description + ": axis must name at least one axis");
  Constraint c;
  c.description_ = std::move(description);
  c.axes_ = axes.axes;
  c.float_ = [axes = axes.axes, desired](xt::xarray<float>& w) { rescale_norms(w, axes, desired); };
  c.double_ = [axes = axes.axes, desired](xt::xarray<double>& w) { rescale_norms(w, axes, desired); };
  return c;
}

Constraint MaxNorm(double max_value, Axes axis) {
  detail::require_finite_nonnegative("nn::MaxNorm", "max_value", max_value);
  return Constraint::norm_rescaling("MaxNorm(" + number(max_value) + ", axis=" + axes_text(axis) + ")", axis,
                                    [max_value](double n) { return std::clamp(n, 0.0, max_value); });
}

Constraint MinMaxNorm(double min_value, double max_value, double rate, Axes axis) {
  detail::require_finite_nonnegative("nn::MinMaxNorm", "min_value", min_value);
  detail::require_finite_nonnegative("nn::MinMaxNorm", "max_value", max_value);
  detail::require(min_value <= max_value, "nn::MinMaxNorm", "min_value",
                  "<= max_value (" + number(max_value) + ")", min_value);
  detail::require(rate >= 0 && rate <= 1, "nn::MinMaxNorm", "rate", "in [0, 1]", rate);
  return Constraint::norm_rescaling("MinMaxNorm(" + number(min_value) + ", " + number(max_value) + ", rate=" +
                                        number(rate) + ", axis=" + axes_text(axis) + ")",
                                    axis, [=](double n) { return rate * std::clamp(n, min_value, max_value) + (1 - rate) * n; });
}

Constraint NonNeg() {
  return Constraint(
      [](auto& w) {
        using T = typename std::decay_t<decltype(w)>::value_type;
        for (auto& e : w) e *= T(e >= 0);  // Keras's product: -inf and NaN give NaN
      },
      "NonNeg()");
}

Constraint UnitNorm(Axes axis) {
  return Constraint::norm_rescaling("UnitNorm(axis=" + axes_text(axis) + ")", axis, [](double) { return 1.0; });
}

template void Constraint::operator()(xt::xarray<float>&, const std::string&) const;
template void Constraint::operator()(xt::xarray<double>&, const std::string&) const;
template void Constraint::check<float>(const ad::Shape&, const std::string&) const;
template void Constraint::check<double>(const ad::Shape&, const std::string&) const;

}  // namespace nn
