// Losses as compositions of differentiable ops, so that every loss is differentiable to any order
// (gradient penalties, Hessian-vector products). Keras semantics: a per-sample loss over the last
// axis, then the mean over every remaining element (the batch).
#include "nn/losses.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "check.hpp"

namespace nn {

namespace {

template <class T>
void require_defined(const char* loss, const ad::Var<T>& y_true, const ad::Var<T>& y_pred) {
  if (!y_true.defined() || !y_pred.defined()) {
    throw std::invalid_argument(std::string(loss) + ": " + (y_true.defined() ? "y_pred" : "y_true") +
                                " is an undefined Var");
  }
}

template <class S1, class S2>
std::string shapes_message(const char* loss, const S1& y_true, const S2& y_pred, const char* what) {
  return std::string(loss) + ": y_true of shape " + ad::shape_str(y_true) + " " + what + " y_pred of shape " +
         ad::shape_str(y_pred);
}

// Keras's squeeze-or-expand rule: when the ranks differ by one and the extra axis is a trailing
// 1, y_true takes y_pred's shape ((batch,) against (batch, 1), and the other way round). Any
// other mismatch throws ad::ShapeError naming the loss and both shapes.
template <class T>
ad::Var<T> match_shape(const char* loss, const ad::Var<T>& y_true, const ad::Var<T>& y_pred) {
  require_defined(loss, y_true, y_pred);
  const auto& t = y_true.shape();
  const auto& p = y_pred.shape();
  if (t.size() == p.size() && std::equal(t.begin(), t.end(), p.begin())) return y_true;
  const bool expand = t.size() + 1 == p.size() && p.back() == 1 && std::equal(t.begin(), t.end(), p.begin());
  const bool squeeze = p.size() + 1 == t.size() && t.back() == 1 && std::equal(p.begin(), p.end(), t.begin());
  if (expand || squeeze) return ad::reshape(y_true, ad::Shape(p.begin(), p.end()));
  throw ad::ShapeError(shapes_message(loss, t, p, "does not match"));
}

// The mean over the last axis (a 0-dimensional input is its own per-sample value).
template <class T>
ad::Var<T> per_sample_mean(const ad::Var<T>& x) {
  return x.dim() == 0 ? x : ad::mean(x, {-1});
}

// The batch reduction: the mean over every element of the per-sample loss.
template <class T>
ad::Var<T> batch_mean(const char* loss, const ad::Var<T>& per_sample) {
  if (per_sample.size() == 0) {
    throw ad::ShapeError(std::string(loss) + ": empty batch (per-sample loss of shape " +
                         ad::shape_str(per_sample.shape()) + ")");
  }
  return ad::mean(per_sample);
}

template <class T>
void require_class_axis(const char* loss, const ad::Var<T>& y_pred) {
  if (y_pred.dim() == 0 || y_pred.shape().back() == 0) {
    throw ad::ShapeError(std::string(loss) + ": y_pred of shape " + ad::shape_str(y_pred.shape()) +
                         " has no class axis");
  }
}

// -Σ y·log p over the last axis, batch mean. Probabilities are renormalized and clipped.
template <class T>
ad::Var<T> crossentropy_with_onehot(const char* loss, const ad::Var<T>& onehot, const ad::Var<T>& y_pred,
                                    bool from_logits) {
  ad::Var<T> log_p;
  if (from_logits) {
    log_p = ad::log_softmax(y_pred, -1);
  } else {
    const ad::Var<T> p = y_pred / ad::sum(y_pred, {-1}, true);
    log_p = ad::log(ad::clip(p, static_cast<T>(probability_epsilon), static_cast<T>(1 - probability_epsilon)));
  }
  return batch_mean(loss, -ad::sum(onehot * log_p, {-1}));
}

// relu(x) − x·y + log1p(e^−|x|), TensorFlow's sigmoid_cross_entropy_with_logits. Equal to
// softplus(x) − x·y, which cancels for label 1 and a large logit (float, logit 16: 0 instead of
// 1.1e-7); here relu(x) − x·y is exact for labels 0 and 1, and log1p(e^−|x|) = softplus(−|x|)
// is small and accurate. relu and −|x| are selected on x ≥ 0 (not ad::relu and ad::abs, whose
// subgradients are 0 at 0), so the derivative is sigmoid(x) − y at every x, x = 0 included.
template <class T>
ad::Var<T> binary_crossentropy_from_logits(const ad::Var<T>& y, const ad::Var<T>& x) {
  const xt::xarray<bool> nonnegative = x.value() >= T(0);
  const ad::Var<T> relu_x = ad::where(nonnegative, x, ad::Var<T>::scalar(T(0)));
  const ad::Var<T> minus_abs_x = ad::where(nonnegative, -x, x);
  return relu_x - x * y + ad::softplus(minus_abs_x);
}

using detail::number;

}  // namespace

template <class T>
ad::Var<T> mean_squared_error(const ad::Var<T>& y_true, const ad::Var<T>& y_pred) {
  const char* loss = "mean_squared_error";
  const ad::Var<T> y = match_shape(loss, y_true, y_pred);
  return batch_mean(loss, per_sample_mean(ad::square(y_pred - y)));
}

template <class T>
ad::Var<T> mean_absolute_error(const ad::Var<T>& y_true, const ad::Var<T>& y_pred) {
  const char* loss = "mean_absolute_error";
  const ad::Var<T> y = match_shape(loss, y_true, y_pred);
  return batch_mean(loss, per_sample_mean(ad::abs(y_pred - y)));
}

template <class T>
ad::Var<T> huber(const ad::Var<T>& y_true, const ad::Var<T>& y_pred, double delta) {
  const char* loss = "huber";
  detail::require_finite_positive(loss, "delta", delta);
  const ad::Var<T> y = match_shape(loss, y_true, y_pred);
  const T d = static_cast<T>(delta);
  const ad::Var<T> e = y_pred - y;
  const ad::Var<T> a = ad::abs(e);
  const xt::xarray<bool> quadratic = a.value() <= d;
  const ad::Var<T> per_element = ad::where(quadratic, T(0.5) * ad::square(e), d * (a - T(0.5) * d));
  return batch_mean(loss, per_sample_mean(per_element));
}

template <class T>
ad::Var<T> binary_crossentropy(const ad::Var<T>& y_true, const ad::Var<T>& y_pred, bool from_logits) {
  const char* loss = "binary_crossentropy";
  const ad::Var<T> y = match_shape(loss, y_true, y_pred);
  ad::Var<T> per_element;
  if (from_logits) {
    per_element = binary_crossentropy_from_logits(y, y_pred);
  } else {
    const ad::Var<T> p =
        ad::clip(y_pred, static_cast<T>(probability_epsilon), static_cast<T>(1 - probability_epsilon));
    per_element = -(y * ad::log(p) + (T(1) - y) * ad::log(T(1) - p));
  }
  return batch_mean(loss, per_sample_mean(per_element));
}

template <class T>
ad::Var<T> categorical_crossentropy(const ad::Var<T>& y_true, const ad::Var<T>& y_pred, bool from_logits) {
  const char* loss = "categorical_crossentropy";
  const ad::Var<T> y = match_shape(loss, y_true, y_pred);
  require_class_axis(loss, y_pred);
  return crossentropy_with_onehot(loss, y, y_pred, from_logits);
}

template <class T>
ad::Var<T> sparse_categorical_crossentropy(const ad::Var<T>& y_true, const ad::Var<T>& y_pred, bool from_logits) {
  const char* loss = "sparse_categorical_crossentropy";
  require_defined(loss, y_true, y_pred);
  require_class_axis(loss, y_pred);
  const auto& t = y_true.shape();
  const auto& p = y_pred.shape();
  // Labels of shape y_pred.shape[:-1], or that with a trailing 1.
  const bool plain = t.size() + 1 == p.size() && std::equal(t.begin(), t.end(), p.begin());
  const bool trailing_one = t.size() == p.size() && t.back() == 1 && std::equal(t.begin(), t.end() - 1, p.begin());
  if (!plain && !trailing_one) {
    throw ad::ShapeError(shapes_message(loss, t, p, "does not hold one class index per row of"));
  }
  const std::size_t classes = p.back();
  const std::size_t rows = y_true.size();
  xt::xarray<T> onehot = xt::zeros<T>(ad::Shape(p.begin(), p.end()));
  const T* labels = y_true.value().data();
  for (std::size_t r = 0; r < rows; ++r) {
    const T v = labels[r];
    if (!(v >= T(0) && v < static_cast<T>(classes) && v == std::floor(v))) {
      throw std::invalid_argument(std::string(loss) + ": label " + number(static_cast<double>(v)) + " in row " +
                                  std::to_string(r) + " is not a class index in [0, " + std::to_string(classes) +
                                  ")");
    }
    onehot.data()[r * classes + static_cast<std::size_t>(v)] = T(1);
  }
  return crossentropy_with_onehot(loss, ad::Var<T>(std::move(onehot)), y_pred, from_logits);
}

template <class T>
LossFunction<T> loss_by_name(const std::string& name) {
  if (name == "mse" || name == "mean_squared_error") return &mean_squared_error<T>;
  if (name == "mae" || name == "mean_absolute_error") return &mean_absolute_error<T>;
  if (name == "huber") {
    return [](const ad::Var<T>& y_true, const ad::Var<T>& y_pred) { return huber(y_true, y_pred); };
  }
  if (name == "binary_crossentropy") {
    return [](const ad::Var<T>& y_true, const ad::Var<T>& y_pred) { return binary_crossentropy(y_true, y_pred); };
  }
  if (name == "categorical_crossentropy") {
    return [](const ad::Var<T>& y_true, const ad::Var<T>& y_pred) {
      return categorical_crossentropy(y_true, y_pred);
    };
  }
  if (name == "sparse_categorical_crossentropy") {
    return [](const ad::Var<T>& y_true, const ad::Var<T>& y_pred) {
      return sparse_categorical_crossentropy(y_true, y_pred);
    };
  }
  throw std::invalid_argument("unknown loss '" + name +
                              "'; known losses: mse, mean_squared_error, mae, mean_absolute_error, huber, "
                              "binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy");
}

#define NN_INSTANTIATE_LOSSES(T)                                                                           \
  template ad::Var<T> mean_squared_error(const ad::Var<T>&, const ad::Var<T>&);                           \
  template ad::Var<T> mean_absolute_error(const ad::Var<T>&, const ad::Var<T>&);                          \
  template ad::Var<T> huber(const ad::Var<T>&, const ad::Var<T>&, double);                                \
  template ad::Var<T> binary_crossentropy(const ad::Var<T>&, const ad::Var<T>&, bool);                    \
  template ad::Var<T> categorical_crossentropy(const ad::Var<T>&, const ad::Var<T>&, bool);               \
  template ad::Var<T> sparse_categorical_crossentropy(const ad::Var<T>&, const ad::Var<T>&, bool);        \
  template LossFunction<T> loss_by_name<T>(const std::string&);

NN_INSTANTIATE_LOSSES(float)
NN_INSTANTIATE_LOSSES(double)

#undef NN_INSTANTIATE_LOSSES

}  // namespace nn
