// Metrics: plain value computations on xt::xarray (no tape), accumulated in double as Keras's
// mean metrics do: result = Σ per-sample value / number of samples, over every batch since reset.
#include "nn/metrics.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>

#include <autodiff/var.hpp>  // ad::shape_str

namespace nn {

namespace {

const char* const known_metrics =
    "accuracy, acc, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, mse, mean_squared_error, "
    "mae, mean_absolute_error";

template <class S1, class S2>
[[noreturn]] void shape_mismatch(const std::string& metric, const S1& y_true, const S2& y_pred, const char* what) {
  throw std::invalid_argument("metric '" + metric + "': y_true of shape " + ad::shape_str(y_true) + " " + what +
                              " y_pred of shape " + ad::shape_str(y_pred));
}

// Shapes equal, or differing by a trailing 1 (Keras squeezes it); the element orders then agree.
template <class T>
void require_same_elements(const std::string& metric, const xt::xarray<T>& y_true, const xt::xarray<T>& y_pred) {
  const auto& t = y_true.shape();
  const auto& p = y_pred.shape();
  if (t.size() == p.size() && std::equal(t.begin(), t.end(), p.begin())) return;
  if (t.size() + 1 == p.size() && p.back() == 1 && std::equal(t.begin(), t.end(), p.begin())) return;
  if (p.size() + 1 == t.size() && t.back() == 1 && std::equal(p.begin(), p.end(), t.begin())) return;
  shape_mismatch(metric, t, p, "does not match");
}

// Per-sample values are means over the last axis of y_pred (one element per sample when y_pred
// has fewer than two axes).
template <class T>
std::size_t row_length(const xt::xarray<T>& y_pred) {
  return y_pred.dimension() >= 2 ? y_pred.shape().back() : 1;
}

// Index of the largest of n values; the first one wins a tie.
template <class T>
std::size_t argmax(const T* v, std::size_t n) {
  std::size_t best = 0;
  for (std::size_t j = 1; j < n; ++j) {
    if (v[j] > v[best]) best = j;
  }
  return best;
}

template <class T>
void require_class_axis(const std::string& metric, const xt::xarray<T>& y_pred) {
  if (y_pred.dimension() == 0 || y_pred.shape().back() == 0) {
    throw std::invalid_argument("metric '" + metric + "': y_pred of shape " + ad::shape_str(y_pred.shape()) +
                                " has no class axis");
  }
}

// The sample-weighted mean every metric here is.
template <class T>
class MeanMetric : public Metric<T> {
 public:
  explicit MeanMetric(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  double result() const override { return samples_ == 0 ? 0.0 : total_ / samples_; }
  void reset() override {
    total_ = 0;
    samples_ = 0;
  }

 protected:
  void add(double sum_of_sample_values, std::size_t samples) {
    total_ += sum_of_sample_values;
    samples_ += static_cast<double>(samples);
  }
  const std::string& metric_name() const { return name_; }

 private:
  std::string name_;
  double total_ = 0;
  double samples_ = 0;
};

enum class Elementwise { squared_error, absolute_error, binary_match };

// mse, mae, binary_accuracy: an elementwise value, averaged over the last axis per sample.
template <class T>
class ElementwiseMetric final : public MeanMetric<T> {
 public:
  ElementwiseMetric(std::string name, Elementwise kind) : MeanMetric<T>(std::move(name)), kind_(kind) {}

  void update(const xt::xarray<T>& y_true, const xt::xarray<T>& y_pred) override {
    require_same_elements(this->metric_name(), y_true, y_pred);
    if (y_pred.size() == 0) return;
    const T* t = y_true.data();
    const T* p = y_pred.data();
    double sum = 0;
    for (std::size_t i = 0; i < y_pred.size(); ++i) {
      const double e = static_cast<double>(p[i]) - static_cast<double>(t[i]);
      switch (kind_) {
        case Elementwise::squared_error: sum += e * e; break;
        case Elementwise::absolute_error: sum += e < 0 ? -e : e; break;
        case Elementwise::binary_match: sum += ((p[i] > T(0.5)) == (t[i] > T(0.5))) ? 1.0 : 0.0; break;
      }
    }
    const std::size_t row = row_length(y_pred);
    this->add(sum / static_cast<double>(row), y_pred.size() / row);
  }

 private:
  Elementwise kind_;
};

// argmax(y_true) == argmax(y_pred) over the last axis.
template <class T>
class CategoricalAccuracy final : public MeanMetric<T> {
 public:
  using MeanMetric<T>::MeanMetric;

  void update(const xt::xarray<T>& y_true, const xt::xarray<T>& y_pred) override {
    const auto& t = y_true.shape();
    const auto& p = y_pred.shape();
    if (!(t.size() == p.size() && std::equal(t.begin(), t.end(), p.begin()))) {
      shape_mismatch(this->metric_name(), t, p, "does not match");
    }
    require_class_axis(this->metric_name(), y_pred);
    const std::size_t classes = p.back();
    const std::size_t rows = y_pred.size() / classes;
    std::size_t matches = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      matches += argmax(y_true.data() + r * classes, classes) == argmax(y_pred.data() + r * classes, classes);
    }
    this->add(static_cast<double>(matches), rows);
  }
};

// label == argmax(y_pred) over the last axis; labels of shape y_pred.shape[:-1] (or with a
// trailing 1). A label that is no class index never matches.
template <class T>
class SparseCategoricalAccuracy final : public MeanMetric<T> {
 public:
  using MeanMetric<T>::MeanMetric;

  void update(const xt::xarray<T>& y_true, const xt::xarray<T>& y_pred) override {
    require_class_axis(this->metric_name(), y_pred);
    const auto& t = y_true.shape();
    const auto& p = y_pred.shape();
    const bool plain = t.size() + 1 == p.size() && std::equal(t.begin(), t.end(), p.begin());
    const bool trailing_one =
        t.size() == p.size() && t.back() == 1 && std::equal(t.begin(), t.end() - 1, p.begin());
    if (!plain && !trailing_one) shape_mismatch(this->metric_name(), t, p, "does not hold one label per row of");
    const std::size_t classes = p.back();
    const std::size_t rows = y_true.size();
    std::size_t matches = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      matches += static_cast<double>(y_true.data()[r]) ==
                 static_cast<double>(argmax(y_pred.data() + r * classes, classes));
    }
    this->add(static_cast<double>(matches), rows);
  }
};

// "accuracy": binary, sparse categorical or categorical, chosen by the shapes of the first batch
// it sees, by Keras's rule (see metrics.hpp). reset() forgets the choice with the counts.
template <class T>
class ResolvedAccuracy final : public Metric<T> {
 public:
  std::string name() const override { return "accuracy"; }
  void update(const xt::xarray<T>& y_true, const xt::xarray<T>& y_pred) override {
    if (!resolved_) resolved_ = resolve(y_true, y_pred);
    resolved_->update(y_true, y_pred);
  }
  double result() const override { return resolved_ ? resolved_->result() : 0.0; }
  void reset() override { resolved_.reset(); }

 private:
  static std::unique_ptr<Metric<T>> resolve(const xt::xarray<T>& y_true, const xt::xarray<T>& y_pred) {
    const std::size_t t_rank = y_true.dimension(), p_rank = y_pred.dimension();
    const std::size_t t_last = t_rank == 0 ? 1 : y_true.shape().back();
    const std::size_t p_last = row_length(y_pred);
    const bool is_binary = p_last == 1;
    const bool is_sparse_categorical = t_rank < p_rank || (t_last == 1 && p_last > 1);
    if (is_binary) return std::make_unique<ElementwiseMetric<T>>("accuracy", Elementwise::binary_match);
    if (is_sparse_categorical) return std::make_unique<SparseCategoricalAccuracy<T>>("accuracy");
    return std::make_unique<CategoricalAccuracy<T>>("accuracy");
  }

  std::unique_ptr<Metric<T>> resolved_;
};

}  // namespace

template <class T>
std::unique_ptr<Metric<T>> make_metric(const std::string& name) {
  if (name == "accuracy" || name == "acc") return std::make_unique<ResolvedAccuracy<T>>();
  if (name == "binary_accuracy") return std::make_unique<ElementwiseMetric<T>>(name, Elementwise::binary_match);
  if (name == "categorical_accuracy") return std::make_unique<CategoricalAccuracy<T>>(name);
  if (name == "sparse_categorical_accuracy") return std::make_unique<SparseCategoricalAccuracy<T>>(name);
  if (name == "mse" || name == "mean_squared_error") {
    return std::make_unique<ElementwiseMetric<T>>(name, Elementwise::squared_error);
  }
  if (name == "mae" || name == "mean_absolute_error") {
    return std::make_unique<ElementwiseMetric<T>>(name, Elementwise::absolute_error);
  }
  throw std::invalid_argument("unknown metric '" + name + "'; known metrics: " + known_metrics);
}

template std::unique_ptr<Metric<float>> make_metric<float>(const std::string&);
template std::unique_ptr<Metric<double>> make_metric<double>(const std::string&);

}  // namespace nn
