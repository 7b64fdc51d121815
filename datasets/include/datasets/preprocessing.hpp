// Splits, cross-validation folds, standardization and one-hot labels, as scikit-learn does them.
//
//   auto b = datasets::load_boston();
//   auto s = datasets::train_test_split(b.features, b.target, 0.3, 42);  // sklearn's rows exactly
//   datasets::StandardScaler<double> scaler;
//   auto x_train = scaler.fit_transform(s.x_train);                     // statistics of train only
//   auto x_test = scaler.transform(s.x_test);
//   for (const auto& fold : datasets::kfold(x_train.shape()[0], 5, true, 1)) { ... }
//   xt::xarray<float> y = datasets::one_hot<float>(labels, 10);       // (n, 10)
//
// Row choices equal scikit-learn 1.2's for the same random_state (RandomState reproduces numpy's
// legacy stream):
//   train_test_split: n_test = ceil(test_size * n) for a fraction, or test_size itself for a
//     count; n_train = n - n_test. With shuffle, perm = RandomState(seed).permutation(n),
//     test = perm[:n_test], train = perm[n_test:] (ShuffleSplit). Without, train = the first
//     n_train rows, test = the rest.
//   kfold: KFold(k, shuffle, random_state). indices = 0..n-1, shuffled in place by
//     RandomState(seed).shuffle when shuffle is set; fold i validates on the next
//     n/k (+1 for the first n % k folds) of them and trains on every other row. Both lists are
//     in increasing order, as KFold.split yields them (it goes through a boolean mask).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>

#include "datasets/random_state.hpp"

namespace datasets {

// scikit-learn's test_size: a floating-point value is a fraction of the rows, strictly between 0
// and 1; an integer is a row count, at least 1 and below the number of rows. Both convert
// implicitly: train_test_split(n, 0.3, 42) or train_test_split(n, 100, 42).
class TestSize {
 public:
  TestSize(double fraction) : fraction_(fraction), is_fraction_(true) {}  // NOLINT(google-explicit-constructor)
  template <std::integral I>
  TestSize(I count)  // NOLINT(google-explicit-constructor)
      : count_(std::in_range<std::int64_t>(count) ? static_cast<std::int64_t>(count)
                                                  : std::numeric_limits<std::int64_t>::max()) {}

  bool is_fraction() const { return is_fraction_; }

  // The number of test rows out of n_rows; throws std::invalid_argument (with sklearn's wording)
  // for a fraction outside (0, 1), a count outside [1, n_rows - 1], or an empty train set.
  std::size_t test_rows(std::size_t n_rows) const;

  std::string str() const;  // "0.3" or "100", for messages

 private:
  double fraction_ = 0.0;
  std::int64_t count_ = 0;
  bool is_fraction_ = false;
};

struct SplitIndices {
  std::vector<std::size_t> train;
  std::vector<std::size_t> test;
};

// sklearn.model_selection.train_test_split's rows for n_rows rows (default test_size 0.25).
// random_state: numpy seed in [0, 2**32 - 1] (else std::invalid_argument); ignored without shuffle.
SplitIndices train_test_split(std::size_t n_rows, TestSize test_size = 0.25, std::int64_t random_state = 0,
                              bool shuffle = true);
// Draws the permutation from rng (sklearn with a RandomState instance as random_state).
SplitIndices train_test_split(std::size_t n_rows, TestSize test_size, RandomState& rng, bool shuffle = true);

// The rows of `a` (along its first axis) at `rows`, in that order; an index past the end throws
// std::out_of_range naming it.
template <class T>
xt::xarray<T> take_rows(const xt::xarray<T>& a, const std::vector<std::size_t>& rows) {
  if (a.dimension() == 0) throw std::invalid_argument("take_rows: a 0-d array has no rows");
  const std::size_t n = a.shape()[0];
  std::vector<std::size_t> shape(a.shape().begin(), a.shape().end());
  const std::size_t width = n == 0 ? 0 : a.size() / n;
  shape[0] = rows.size();
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] >= n)
      throw std::out_of_range("take_rows: row index " + std::to_string(rows[i]) + " (position " +
                              std::to_string(i) + ") is out of range for " + std::to_string(n) + " rows");
    std::copy_n(a.data() + rows[i] * width, width, out.data() + i * width);
  }
  return out;
}

template <class T>
struct TrainTestData {
  xt::xarray<T> x_train, x_test;
  xt::xarray<T> y_train, y_test;
};

// train_test_split(X, y, test_size=..., random_state=..., shuffle=...) on arrays whose first axes
// are the rows; x and y with different row counts throw std::invalid_argument naming both.
template <class T>
TrainTestData<T> train_test_split(const xt::xarray<T>& x, const xt::xarray<T>& y, TestSize test_size = 0.25,
                                  std::int64_t random_state = 0, bool shuffle = true) {
  if (x.dimension() == 0 || y.dimension() == 0)
    throw std::invalid_argument("train_test_split: x and y need a first (row) axis");
  if (x.shape()[0] != y.shape()[0])
    throw std::invalid_argument("train_test_split: x has " + std::to_string(x.shape()[0]) + " rows but y has " +
                                std::to_string(y.shape()[0]));
  const SplitIndices s = train_test_split(x.shape()[0], test_size, random_state, shuffle);
  return {take_rows(x, s.train), take_rows(x, s.test), take_rows(y, s.train), take_rows(y, s.test)};
}

struct Fold {
  std::vector<std::size_t> train;       // increasing
  std::vector<std::size_t> validation;  // increasing
};

// sklearn.model_selection.KFold(n_splits=k, shuffle=shuffle, random_state=...).split: k folds.
// k < 2 or k > n_rows throws std::invalid_argument; random_state is ignored without shuffle.
std::vector<Fold> kfold(std::size_t n_rows, std::size_t k, bool shuffle = false, std::int64_t random_state = 0);
std::vector<Fold> kfold(std::size_t n_rows, std::size_t k, RandomState& rng);  // shuffled from rng

// sklearn.preprocessing.StandardScaler for 2-D (rows, features) arrays: per feature,
// z = (x - mean) / scale with the population (ddof 0) standard deviation as scale. A constant
// feature (variance within rounding of zero, sklearn's test var <= n eps var + (n mean eps)^2)
// gets scale 1, so it is centred but not divided. Statistics are accumulated and kept in double
// (sklearn uses float64 accumulators for float32 data too); results are cast back to T. NaNs are
// not skipped (sklearn skips them) but propagate. Only float and double are instantiated.
template <class T>
class StandardScaler {
 public:
  explicit StandardScaler(bool with_mean = true, bool with_std = true) : with_mean_(with_mean), with_std_(with_std) {}

  // Learns mean, var and scale from x (at least one row); refits from scratch if called again.
  StandardScaler& fit(const xt::xarray<T>& x);
  // Before fit: std::logic_error. A non-2-D x, or one whose feature count differs from fit's:
  // std::invalid_argument naming both counts.
  xt::xarray<T> transform(const xt::xarray<T>& x) const;
  xt::xarray<T> inverse_transform(const xt::xarray<T>& z) const;
  xt::xarray<T> fit_transform(const xt::xarray<T>& x) { return fit(x).transform(x); }

  bool fitted() const { return fitted_; }
  std::size_t n_features() const { return mean_.size(); }
  std::size_t n_samples_seen() const { return n_samples_seen_; }
  // sklearn's mean_, var_, scale_ (all (n_features,)). mean and var are computed whatever the
  // flags (transform subtracts mean only with with_mean); scale is all 1 without with_std.
  // Before fit: std::logic_error.
  const xt::xarray<double>& mean() const;
  const xt::xarray<double>& var() const;
  const xt::xarray<double>& scale() const;

 private:
  void check(const xt::xarray<T>& x, const char* fn) const;

  bool with_mean_, with_std_;
  bool fitted_ = false;
  std::size_t n_samples_seen_ = 0;
  xt::xarray<double> mean_, var_, scale_;
};

// One-hot rows for integer class labels: labels of shape (n,) or (n, 1), any arithmetic type,
// each an integer in [0, num_classes) (else std::invalid_argument naming the row and the value);
// returns (n, num_classes) of T with a single 1 per row.
template <class T = float, class L>
xt::xarray<T> one_hot(const xt::xarray<L>& labels, std::size_t num_classes) {
  static_assert(std::is_arithmetic_v<L>, "one_hot: labels must be an arithmetic type");
  if (num_classes == 0) throw std::invalid_argument("one_hot: num_classes must be at least 1");
  if (!(labels.dimension() == 1 || (labels.dimension() == 2 && labels.shape()[1] == 1))) {
    std::string shape = "(";
    for (std::size_t i = 0; i < labels.dimension(); ++i) {
      if (i) shape += ", ";
      shape += std::to_string(labels.shape()[i]);
    }
    throw std::invalid_argument("one_hot: labels must have shape (n,) or (n, 1), got " + shape +
                                (labels.dimension() == 1 ? ",)" : ")"));
  }
  const std::size_t n = labels.size();
  xt::xarray<T> out = xt::zeros<T>(std::vector<std::size_t>{n, num_classes});
  for (std::size_t i = 0; i < n; ++i) {
    const L v = labels.data()[i];
    std::size_t cls = 0;
    bool ok = false;
    if constexpr (std::is_integral_v<L>) {
      ok = std::in_range<std::size_t>(v) && static_cast<std::size_t>(v) < num_classes;
      if (ok) cls = static_cast<std::size_t>(v);
    } else {
      const long double w = v;
      ok = w >= 0 && w < static_cast<long double>(num_classes) && w == static_cast<long double>(static_cast<std::size_t>(w));
      if (ok) cls = static_cast<std::size_t>(w);
    }
    if (!ok) {
      std::ostringstream msg;
      msg.precision(17);
      msg << "one_hot: label at row " << i << " is " << +v << ", not an integer in [0, " << num_classes << ")";
      throw std::invalid_argument(msg.str());
    }
    out(i, cls) = T(1);
  }
  return out;
}

}  // namespace datasets
