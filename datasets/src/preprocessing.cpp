#include "datasets/preprocessing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace datasets {

// ---- train_test_split ----------------------------------------------------------------------

std::string TestSize::str() const {
  if (!is_fraction_) return std::to_string(count_);
  std::ostringstream s;
  s.precision(17);
  s << fraction_;
  return s.str();
}

std::size_t TestSize::test_rows(std::size_t n_rows) const {
  const bool bad = is_fraction_ ? !(fraction_ > 0.0 && fraction_ < 1.0)
                                : (count_ <= 0 || static_cast<std::uint64_t>(count_) >= n_rows);
  if (bad)
    throw std::invalid_argument("train_test_split: test_size=" + str() +
                                " should be either positive and smaller than the number of samples " +
                                std::to_string(n_rows) + " or a float in the (0, 1) range");
  // sklearn: ceil(test_size * n_samples) in double (0.7 * 10 rounds up to 8 test rows).
  const std::size_t n_test = is_fraction_ ? static_cast<std::size_t>(std::ceil(fraction_ * static_cast<double>(n_rows)))
                                          : static_cast<std::size_t>(count_);
  if (n_test >= n_rows)
    throw std::invalid_argument("train_test_split: with n_samples=" + std::to_string(n_rows) + " and test_size=" +
                                str() + " the train set would be empty");
  return n_test;
}

SplitIndices train_test_split(std::size_t n_rows, TestSize test_size, RandomState& rng, bool shuffle) {
  const std::size_t n_test = test_size.test_rows(n_rows);
  const std::size_t n_train = n_rows - n_test;
  SplitIndices s;
  if (!shuffle) {
    s.train.resize(n_train);
    std::iota(s.train.begin(), s.train.end(), std::size_t{0});
    s.test.resize(n_test);
    std::iota(s.test.begin(), s.test.end(), n_train);
    return s;
  }
  const std::vector<std::size_t> perm = rng.permutation(n_rows);  // ShuffleSplit: test rows first
  s.test.assign(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(n_test));
  s.train.assign(perm.begin() + static_cast<std::ptrdiff_t>(n_test), perm.end());
  return s;
}

SplitIndices train_test_split(std::size_t n_rows, TestSize test_size, std::int64_t random_state, bool shuffle) {
  RandomState rng(random_state);
  return train_test_split(n_rows, test_size, rng, shuffle);
}

// ---- kfold ---------------------------------------------------------------------------------

namespace {

std::vector<Fold> make_folds(std::size_t n_rows, std::size_t k, RandomState* rng) {
  if (k < 2)
    throw std::invalid_argument(
        "kfold: k-fold cross-validation requires at least one train/test split by setting n_splits=2 or more, "
        "got n_splits=" + std::to_string(k));
  if (k > n_rows)
    throw std::invalid_argument("kfold: cannot have number of splits n_splits=" + std::to_string(k) +
                                " greater than the number of samples: n_samples=" + std::to_string(n_rows));
  std::vector<std::size_t> indices(n_rows);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  if (rng) rng->shuffle(indices);
  std::vector<Fold> folds(k);
  std::vector<char> in_fold(n_rows);
  std::size_t start = 0;
  for (std::size_t f = 0; f < k; ++f) {
    const std::size_t size = n_rows / k + (f < n_rows % k ? 1 : 0);
    Fold& fold = folds[f];
    fold.validation.assign(indices.begin() + static_cast<std::ptrdiff_t>(start),
                           indices.begin() + static_cast<std::ptrdiff_t>(start + size));
    // sklearn's split() goes through a boolean mask: both index lists come out increasing.
    std::sort(fold.validation.begin(), fold.validation.end());
    std::fill(in_fold.begin(), in_fold.end(), 0);
    for (std::size_t i : fold.validation) in_fold[i] = 1;
    fold.train.reserve(n_rows - size);
    for (std::size_t i = 0; i < n_rows; ++i)
      if (!in_fold[i]) fold.train.push_back(i);
    start += size;
  }
  return folds;
}

}  // namespace

std::vector<Fold> kfold(std::size_t n_rows, std::size_t k, bool shuffle, std::int64_t random_state) {
  if (!shuffle) return make_folds(n_rows, k, nullptr);
  RandomState rng(random_state);
  return make_folds(n_rows, k, &rng);
}

std::vector<Fold> kfold(std::size_t n_rows, std::size_t k, RandomState& rng) { return make_folds(n_rows, k, &rng); }

// ---- StandardScaler ------------------------------------------------------------------------

template <class T>
void StandardScaler<T>::check(const xt::xarray<T>& x, const char* fn) const {
  if (x.dimension() != 2) {
    std::string shape = "(";
    for (std::size_t i = 0; i < x.dimension(); ++i) {
      if (i) shape += ", ";
      shape += std::to_string(x.shape()[i]);
    }
    shape += x.dimension() == 1 ? ",)" : ")";
    throw std::invalid_argument(std::string("StandardScaler::") + fn +
                                ": expected a 2-D array (rows, features), got shape " + shape);
  }
  if (std::string(fn) == "fit") return;
  if (!fitted_)
    throw std::logic_error(std::string("StandardScaler::") + fn + ": the scaler is not fitted yet; call fit first");
  if (x.shape()[1] != n_features())
    throw std::invalid_argument(std::string("StandardScaler::") + fn + ": x has " + std::to_string(x.shape()[1]) +
                                " features, but the scaler was fitted on " + std::to_string(n_features()) +
                                " features");
}

template <class T>
StandardScaler<T>& StandardScaler<T>::fit(const xt::xarray<T>& x) {
  check(x, "fit");
  const std::size_t n = x.shape()[0], d = x.shape()[1];
  if (n == 0)
    throw std::invalid_argument("StandardScaler::fit: x has 0 rows; at least 1 is required");
  const T* data = x.data();
  xt::xarray<double> sum = xt::zeros<double>({d});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) sum(j) += static_cast<double>(data[i * d + j]);
  const double count = static_cast<double>(n);
  xt::xarray<double> mean = sum / count;
  // sklearn's corrected two-pass variance: (sum (x - m)^2 - (sum (x - m))^2 / n) / n.
  xt::xarray<double> correction = xt::zeros<double>({d}), squares = xt::zeros<double>({d});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      const double diff = static_cast<double>(data[i * d + j]) - mean(j);
      correction(j) += diff;
      squares(j) += diff * diff;
    }
  xt::xarray<double> var = xt::zeros<double>({d}), scale = xt::ones<double>({d});
  constexpr double eps = std::numeric_limits<double>::epsilon();
  for (std::size_t j = 0; j < d; ++j) {
    var(j) = (squares(j) - correction(j) * correction(j) / count) / count;
    const double bound = count * eps * var(j) + (count * mean(j) * eps) * (count * mean(j) * eps);
    const bool constant = var(j) <= bound;
    if (with_std_ && !constant) scale(j) = std::sqrt(var(j));
  }
  mean_ = std::move(mean);
  var_ = std::move(var);
  scale_ = std::move(scale);
  n_samples_seen_ = n;
  fitted_ = true;
  return *this;
}

template <class T>
xt::xarray<T> StandardScaler<T>::transform(const xt::xarray<T>& x) const {
  check(x, "transform");
  const std::size_t n = x.shape()[0], d = x.shape()[1];
  xt::xarray<T> out = xt::xarray<T>::from_shape(x.shape());
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      double v = static_cast<double>(x.data()[i * d + j]);
      if (with_mean_) v -= mean_(j);
      out.data()[i * d + j] = static_cast<T>(v / scale_(j));
    }
  return out;
}

template <class T>
xt::xarray<T> StandardScaler<T>::inverse_transform(const xt::xarray<T>& z) const {
  check(z, "inverse_transform");
  const std::size_t n = z.shape()[0], d = z.shape()[1];
  xt::xarray<T> out = xt::xarray<T>::from_shape(z.shape());
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      double v = static_cast<double>(z.data()[i * d + j]) * scale_(j);
      if (with_mean_) v += mean_(j);
      out.data()[i * d + j] = static_cast<T>(v);
    }
  return out;
}

template <class T>
const xt::xarray<double>& StandardScaler<T>::mean() const {
  if (!fitted_) throw std::logic_error("StandardScaler::mean: the scaler is not fitted yet; call fit first");
  return mean_;
}

template <class T>
const xt::xarray<double>& StandardScaler<T>::var() const {
  if (!fitted_) throw std::logic_error("StandardScaler::var: the scaler is not fitted yet; call fit first");
  return var_;
}

template <class T>
const xt::xarray<double>& StandardScaler<T>::scale() const {
  if (!fitted_) throw std::logic_error("StandardScaler::scale: the scaler is not fitted yet; call fit first");
  return scale_;
}

template class StandardScaler<float>;
template class StandardScaler<double>;

}  // namespace datasets
