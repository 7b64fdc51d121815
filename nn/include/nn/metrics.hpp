// Metrics, Keras-style: accumulated over batches (sample-weighted means), read with result(),
// cleared with reset(). They read values only and record nothing on the tape.
//
//   auto m = nn::make_metric<float>("accuracy", "categorical_crossentropy");  // -> categorical
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
// "mae"/"mean_absolute_error", and "accuracy"/"acc", which resolves by the loss as Keras does
// (binary for binary_crossentropy, sparse for sparse_categorical_crossentropy, else categorical)
// but keeps the name "accuracy". Unknown names throw std::invalid_argument listing the known ones.
template <class T>
std::unique_ptr<Metric<T>> make_metric(const std::string& name, const std::string& loss_name = "");

}  // namespace nn
