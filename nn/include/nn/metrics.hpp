// Metrics, Keras-style: accumulated over batches (sample-weighted means), read with result(),
// cleared with reset(). They read values only and record nothing on the tape.
//
//   auto m = nn::make_metric<float>("accuracy");  // binary/sparse/categorical by the shapes (below)
//   m->update(y_true, y_pred);  ...  double acc = m->result();
#pragma once

#include <memory>
#include <string>

#include <xtensor/xarray.hpp>

namespace nn {

template <class T>
class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string name() const = 0;  // the name in History: "accuracy", "mae", ...
  virtual void update(const xt::xarray<T>& y_true, const xt::xarray<T>& y_pred) = 0;
  virtual double result() const = 0;     // 0 before any update
  virtual void reset() = 0;
};

// Names: "binary_accuracy" (threshold 0.5), "categorical_accuracy" (argmax over the last axis),
// "sparse_categorical_accuracy" (index vs argmax), "mse"/"mean_squared_error",
// "mae"/"mean_absolute_error", and "accuracy"/"acc", which keeps the name "accuracy" and becomes
// one of the three accuracies by the shapes of the first batch it sees, by Keras's rule
// (tf.keras compile_utils.MetricsContainer._get_metric_object; Keras 3
// compile_utils.is_binary_or_sparse_categorical):
//   is_binary             = y_pred.shape[-1] == 1
//   is_sparse_categorical = rank(y_true) < rank(y_pred) or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1)
//   binary_accuracy if is_binary, else sparse_categorical_accuracy if is_sparse_categorical,
//   else categorical_accuracy.
// So a one-unit output is scored by binary accuracy whatever the loss (mse included), and the
// loss is not consulted: binary_crossentropy on several output columns (multi-label) gets
// categorical_accuracy, argmax against argmax, as in Keras (binary_accuracy scores each label).
// A y_pred with fewer than two axes counts as one column. Unknown names throw
// std::invalid_argument listing the known ones.
template <class T>
std::unique_ptr<Metric<T>> make_metric(const std::string& name);

}  // namespace nn
