#define BOOST_TEST_MODULE preprocessing
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "datasets/preprocessing.hpp"
#include "datasets/sklearn_fixtures.hpp"

namespace fx = sklearn_fixtures;
namespace tt = boost::test_tools;
using Index = std::vector<std::size_t>;

namespace {

template <class A>
Index vec(const A& a) {
  return Index(std::begin(a), std::end(a));
}

Index slice(const Index& v, std::size_t from, std::size_t to) {
  return Index(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to));
}

// Every row exactly once in train + test.
void check_partition(const Index& train, const Index& test, std::size_t n) {
  std::vector<int> seen(n, 0);
  for (std::size_t i : train) {
    BOOST_REQUIRE_LT(i, n);
    ++seen[i];
  }
  for (std::size_t i : test) {
    BOOST_REQUIRE_LT(i, n);
    ++seen[i];
  }
  BOOST_TEST(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
}

template <class F>
std::string message_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

// ---- train_test_split ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(boston_split_is_sklearns) {
  const auto s = datasets::train_test_split(506, 0.3, 42);
  BOOST_REQUIRE_EQUAL(s.train.size(), fx::boston_n_train);
  BOOST_REQUIRE_EQUAL(s.test.size(), fx::boston_n_test);
  BOOST_TEST(slice(s.test, 0, 20) == vec(fx::boston_test_head), tt::per_element());
  BOOST_TEST(slice(s.train, 0, 20) == vec(fx::boston_train_head), tt::per_element());
  BOOST_TEST(slice(s.test, s.test.size() - 5, s.test.size()) == vec(fx::boston_test_tail), tt::per_element());
  BOOST_TEST(slice(s.train, s.train.size() - 5, s.train.size()) == vec(fx::boston_train_tail), tt::per_element());
  std::uint64_t test_sum = 0, train_sum = 0;
  for (std::size_t i = 0; i < s.test.size(); ++i) test_sum += (i + 1) * s.test[i];
  for (std::size_t i = 0; i < s.train.size(); ++i) train_sum += (i + 1) * s.train[i];
  BOOST_TEST(test_sum == fx::boston_test_checksum);
  BOOST_TEST(train_sum == fx::boston_train_checksum);
  check_partition(s.train, s.test, 506);
}

BOOST_AUTO_TEST_CASE(split_counts_fractions_and_no_shuffle) {
  const auto a = datasets::train_test_split(10, 3, 0);  // an integer: a row count
  BOOST_TEST(a.train == vec(fx::split10_count3_seed0_train), tt::per_element());
  BOOST_TEST(a.test == vec(fx::split10_count3_seed0_test), tt::per_element());
  const auto b = datasets::train_test_split(100, 0.07, 7);  // ceil(0.07 * 100) = ceil(7.000000000000001) = 8
  BOOST_TEST(b.test.size() == 8u);
  BOOST_TEST(b.train == vec(fx::split100_frac007_seed7_train), tt::per_element());
  BOOST_TEST(b.test == vec(fx::split100_frac007_seed7_test), tt::per_element());
  const auto c = datasets::train_test_split(9, 0.25, 0, false);
  BOOST_TEST(c.train == vec(fx::split9_noshuffle_train), tt::per_element());
  BOOST_TEST(c.test == vec(fx::split9_noshuffle_test), tt::per_element());
  const auto d = datasets::train_test_split(8);  // defaults: test_size 0.25, seed 0
  BOOST_TEST(d.test.size() == 2u);
  check_partition(d.train, d.test, 8);
  datasets::RandomState rng(42);
  const auto e = datasets::train_test_split(506, 0.3, rng);
  BOOST_TEST(e.test == datasets::train_test_split(506, 0.3, 42).test, tt::per_element());
  BOOST_TEST(datasets::train_test_split(10, std::size_t{4}, 1).test.size() == 4u);
  BOOST_TEST(datasets::train_test_split(10, 0.5f, 1).test.size() == 5u);
}

BOOST_AUTO_TEST_CASE(split_applied_to_arrays) {
  xt::xarray<double> x = xt::arange<double>(0.0, 506.0 * 3.0);
  x.reshape({506, 3});
  xt::xarray<double> y = xt::arange<double>(0.0, 506.0);
  const auto s = datasets::train_test_split(x, y, 0.3, 42);
  const auto rows = datasets::train_test_split(506, 0.3, 42);
  BOOST_REQUIRE((s.x_train.shape() == Index{354, 3}));
  BOOST_REQUIRE((s.x_test.shape() == Index{152, 3}));
  BOOST_REQUIRE((s.y_train.shape() == Index{354}));
  BOOST_REQUIRE((s.y_test.shape() == Index{152}));
  for (std::size_t i = 0; i < 354; ++i) {
    BOOST_TEST(s.y_train(i) == static_cast<double>(rows.train[i]));
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(s.x_train(i, j) == static_cast<double>(3 * rows.train[i] + j));
  }
  for (std::size_t i = 0; i < 152; ++i) {
    BOOST_TEST(s.y_test(i) == static_cast<double>(rows.test[i]));
    BOOST_TEST(s.x_test(i, 2) == static_cast<double>(3 * rows.test[i] + 2));
  }
  // float data, (n, 1) targets
  xt::xarray<float> xf = xt::cast<float>(x);
  xt::xarray<float> yf = xt::ones<float>({506, 1});
  const auto f = datasets::train_test_split(xf, yf, 100, 1);
  BOOST_TEST((f.y_test.shape() == Index{100, 1}));
  BOOST_TEST((f.x_train.shape() == Index{406, 3}));
  // take_rows
  BOOST_TEST(datasets::take_rows(y, {5, 5, 0}) == (xt::xarray<double>{5.0, 5.0, 0.0}));
  BOOST_CHECK_THROW(datasets::take_rows(y, {506}), std::out_of_range);
  BOOST_TEST(contains(message_of([&] { datasets::take_rows(y, {1, 600}); }), "600"));
}

BOOST_AUTO_TEST_CASE(split_errors) {
  for (double bad : {0.0, 1.0, -0.1, 1.5, std::nan("")})
    BOOST_CHECK_THROW(datasets::train_test_split(10, bad, 0), std::invalid_argument);
  for (int bad : {0, -3, 10, 11}) BOOST_CHECK_THROW(datasets::train_test_split(10, bad, 0), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::train_test_split(10, 0.95, 0), std::invalid_argument);  // ceil(9.5) = 10: no train rows
  BOOST_CHECK_THROW(datasets::train_test_split(0, 0.25, 0), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::train_test_split(10, 0.25, -1), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::train_test_split(10, 0.25, std::int64_t{1} << 32), std::invalid_argument);
  const std::string m = message_of([] { datasets::train_test_split(10, 1.5, 0); });
  BOOST_TEST(contains(m, "test_size=1.5"));
  BOOST_TEST(contains(m, "10"));
  xt::xarray<double> x = xt::zeros<double>({5, 2});
  xt::xarray<double> y = xt::zeros<double>({4});
  const std::string r = message_of([&] { datasets::train_test_split(x, y, 0.2, 0); });
  BOOST_TEST(contains(r, "5 rows"));
  BOOST_TEST(contains(r, "4"));
}

// ---- kfold ---------------------------------------------------------------------------------

namespace {

template <std::size_t V, std::size_t S, std::size_t T>
void check_folds(const std::vector<datasets::Fold>& folds, std::size_t n, const std::size_t (&val)[V],
                 const std::size_t (&sizes)[S], const std::size_t (&train)[T]) {
  BOOST_REQUIRE_EQUAL(folds.size(), S);
  std::size_t v = 0, t = 0;
  std::vector<int> validated(n, 0);
  for (std::size_t f = 0; f < S; ++f) {
    const auto& fold = folds[f];
    BOOST_REQUIRE_EQUAL(fold.validation.size(), sizes[f]);
    BOOST_REQUIRE_EQUAL(fold.train.size(), n - sizes[f]);
    for (std::size_t i : fold.validation) {
      BOOST_TEST(i == val[v++]);
      ++validated[i];
    }
    for (std::size_t i : fold.train) BOOST_TEST(i == train[t++]);
    check_partition(fold.train, fold.validation, n);  // disjoint, and together every row
    BOOST_TEST(std::is_sorted(fold.train.begin(), fold.train.end()));
    BOOST_TEST(std::is_sorted(fold.validation.begin(), fold.validation.end()));
  }
  // the validation folds cover every row once
  BOOST_TEST(std::all_of(validated.begin(), validated.end(), [](int c) { return c == 1; }));
}

}  // namespace

BOOST_AUTO_TEST_CASE(kfold_is_sklearns) {
  check_folds(datasets::kfold(23, 5, true, 1), 23, fx::kfold23_5_shuffle1_val, fx::kfold23_5_shuffle1_val_sizes,
              fx::kfold23_5_shuffle1_train);
  check_folds(datasets::kfold(10, 3), 10, fx::kfold10_3_plain_val, fx::kfold10_3_plain_val_sizes,
              fx::kfold10_3_plain_train);
  datasets::RandomState rng(1);
  check_folds(datasets::kfold(23, 5, rng), 23, fx::kfold23_5_shuffle1_val, fx::kfold23_5_shuffle1_val_sizes,
              fx::kfold23_5_shuffle1_train);
  // random_state is ignored without shuffle
  const auto a = datasets::kfold(10, 3, false, 0), b = datasets::kfold(10, 3, false, 99);
  for (std::size_t f = 0; f < 3; ++f) BOOST_TEST(a[f].validation == b[f].validation, tt::per_element());
}

BOOST_AUTO_TEST_CASE(kfold_sizes) {
  // the first n % k folds get one extra row
  const auto folds = datasets::kfold(17, 5, true, 3);
  const Index want{4, 4, 3, 3, 3};
  for (std::size_t f = 0; f < 5; ++f) BOOST_TEST(folds[f].validation.size() == want[f]);
  const auto loo = datasets::kfold(4, 4);  // leave-one-out
  for (std::size_t f = 0; f < 4; ++f) {
    BOOST_TEST(loo[f].validation == Index{f}, tt::per_element());
    BOOST_TEST(loo[f].train.size() == 3u);
  }
}

BOOST_AUTO_TEST_CASE(kfold_errors) {
  BOOST_CHECK_THROW(datasets::kfold(10, 1), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::kfold(10, 0), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::kfold(3, 4), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::kfold(10, 2, true, -5), std::invalid_argument);
  const std::string m = message_of([] { datasets::kfold(3, 4); });
  BOOST_TEST(contains(m, "n_splits=4"));
  BOOST_TEST(contains(m, "n_samples=3"));
}

// ---- StandardScaler ------------------------------------------------------------------------

namespace {

template <std::size_t N>
xt::xarray<double> matrix(const double (&v)[N], std::size_t cols) {
  xt::xarray<double> m = xt::xarray<double>::from_shape({N / cols, cols});
  std::copy(std::begin(v), std::end(v), m.begin());
  return m;
}

template <class A, std::size_t N>
void check_close(const A& got, const double (&want)[N], double tol, const std::string& what) {
  BOOST_REQUIRE_EQUAL(got.size(), N);
  for (std::size_t i = 0; i < N; ++i)
    BOOST_TEST(std::abs(static_cast<double>(got.data()[i]) - want[i]) <= tol,
               what << "[" << i << "] = " << got.data()[i] << ", sklearn " << want[i]);
}

}  // namespace

BOOST_AUTO_TEST_CASE(scaler_matches_sklearn) {
  const xt::xarray<double> train = matrix(fx::scaler_train, 3), test = matrix(fx::scaler_test, 3);
  datasets::StandardScaler<double> sc;
  BOOST_TEST(!sc.fitted());
  const xt::xarray<double> z = sc.fit_transform(train);
  BOOST_TEST(sc.fitted());
  BOOST_TEST(sc.n_features() == 3u);
  BOOST_TEST(sc.n_samples_seen() == 4u);
  check_close(sc.mean(), fx::scaler_mean, 1e-15, "mean");
  check_close(sc.var(), fx::scaler_var, 1e-14, "var");
  check_close(sc.scale(), fx::scaler_scale, 1e-15, "scale");
  check_close(z, fx::scaler_train_t, 1e-15, "transform(train)");
  // fit on train, apply to test: train's statistics
  check_close(sc.transform(test), fx::scaler_test_t, 1e-15, "transform(test)");
  // the constant column: scale 1, centred only
  BOOST_TEST(sc.scale()(1) == 1.0);
  BOOST_TEST(sc.var()(1) == 0.0);
  for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(z(i, 1) == 0.0);
  BOOST_TEST(sc.transform(test)(1, 1) == -1.0);
  // standardized columns: mean 0, population std 1
  for (std::size_t j : {0u, 2u}) {
    const xt::xarray<double> col = xt::view(z, xt::all(), j);
    BOOST_TEST(std::abs(xt::mean(col)()) < 1e-15);
    BOOST_TEST(std::abs(std::sqrt(xt::mean(col * col)()) - 1.0) < 1e-15);
  }
  // inverse_transform undoes transform
  const xt::xarray<double> back = sc.inverse_transform(sc.transform(test));
  for (std::size_t i = 0; i < test.size(); ++i) BOOST_TEST(std::abs(back.data()[i] - test.data()[i]) < 1e-14);
}

BOOST_AUTO_TEST_CASE(scaler_float_and_options) {
  const xt::xarray<float> train = xt::cast<float>(matrix(fx::scaler_train, 3));
  datasets::StandardScaler<float> sc;
  const xt::xarray<float> z = sc.fit_transform(train);
  check_close(z, fx::scaler_train_t, 1e-6, "float transform");
  check_close(sc.mean(), fx::scaler_mean, 1e-15, "float mean");  // exact data, double statistics
  // a near-constant column (rounding noise around a large mean) is treated as constant, as sklearn does
  xt::xarray<double> near = xt::xarray<double>{1e8, 1e8 + 1e-8, 1e8};
  near.reshape({3, 1});
  datasets::StandardScaler<double> ns;
  ns.fit(near);
  BOOST_TEST(ns.scale()(0) == 1.0);
  // with_mean = false: divided only; with_std = false: centred only
  datasets::StandardScaler<double> no_mean(false, true), no_std(true, false);
  const xt::xarray<double> t = matrix(fx::scaler_train, 3);
  const xt::xarray<double> a = no_mean.fit_transform(t), b = no_std.fit_transform(t);
  BOOST_TEST(std::abs(a(0, 0) - 1.0 / fx::scaler_scale[0]) < 1e-15);
  BOOST_TEST(a(0, 1) == 5.0);
  BOOST_TEST(b(0, 0) == 1.0 - 0.875);
  BOOST_TEST(no_std.scale()(0) == 1.0);
  // refitting starts over
  datasets::StandardScaler<double> re;
  re.fit(xt::xarray<double>{{100.0, 1.0}, {300.0, 2.0}});
  re.fit(t);
  check_close(re.mean(), fx::scaler_mean, 1e-15, "refit mean");
}

BOOST_AUTO_TEST_CASE(scaler_errors) {
  datasets::StandardScaler<double> sc;
  const xt::xarray<double> x = xt::ones<double>({4, 3});
  BOOST_CHECK_THROW(sc.transform(x), std::logic_error);
  BOOST_CHECK_THROW(sc.inverse_transform(x), std::logic_error);
  BOOST_CHECK_THROW(sc.mean(), std::logic_error);
  BOOST_CHECK_THROW(sc.fit(xt::xarray<double>::from_shape({0, 3})), std::invalid_argument);
  BOOST_CHECK_THROW(sc.fit(xt::xarray<double>{1.0, 2.0}), std::invalid_argument);
  sc.fit(x);
  const xt::xarray<double> wide = xt::ones<double>({2, 4});
  BOOST_CHECK_THROW(sc.transform(wide), std::invalid_argument);
  const std::string m = message_of([&] { sc.transform(wide); });
  BOOST_TEST(contains(m, "4 features"));
  BOOST_TEST(contains(m, "3 features"));
  BOOST_TEST(contains(message_of([&] { sc.inverse_transform(wide); }), "inverse_transform"));
  BOOST_TEST(contains(message_of([&] { sc.transform(xt::xarray<double>{1.0, 2.0, 3.0}); }), "(3,)"));
}

// ---- one_hot -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(one_hot_values) {
  const xt::xarray<int> labels = {2, 0, 1, 2};
  const xt::xarray<float> h = datasets::one_hot(labels, 3);
  BOOST_TEST(h == (xt::xarray<float>{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}));
  xt::xarray<double> labels_col = {1.0, 0.0};
  labels_col.reshape({2, 1});
  BOOST_TEST(datasets::one_hot<double>(labels_col, 2) == (xt::xarray<double>{{0, 1}, {1, 0}}));
  const xt::xarray<std::uint8_t> mnist = {9, 0};
  const auto m = datasets::one_hot(mnist, 10);
  BOOST_TEST((m.shape() == Index{2, 10}));
  BOOST_TEST(m(0, 9) == 1.0f);
  BOOST_TEST(xt::sum(m)() == 2.0f);
  BOOST_TEST(datasets::one_hot(xt::xarray<int>::from_shape({0}), 4).shape()[1] == 4u);
}

BOOST_AUTO_TEST_CASE(one_hot_errors) {
  const std::string m = message_of([] { datasets::one_hot(xt::xarray<int>{0, 1, 10}, 10); });
  BOOST_TEST(contains(m, "row 2"));
  BOOST_TEST(contains(m, "10"));
  const std::string f = message_of([] { datasets::one_hot(xt::xarray<double>{0.0, 1.5}, 3); });
  BOOST_TEST(contains(f, "row 1"));
  BOOST_TEST(contains(f, "1.5"));
  BOOST_CHECK_THROW(datasets::one_hot(xt::xarray<int>{-1}, 3), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::one_hot(xt::xarray<double>{std::nan("")}, 3), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::one_hot(xt::xarray<double>{-0.5}, 3), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::one_hot(xt::xarray<double>{1e300}, 3), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::one_hot(xt::xarray<int>{0}, 0), std::invalid_argument);
  xt::xarray<int> row = {0, 1};
  row.reshape({1, 2});
  BOOST_CHECK_THROW(datasets::one_hot(row, 3), std::invalid_argument);
  BOOST_TEST(contains(message_of([] { datasets::one_hot(xt::xarray<std::uint8_t>{200}, 10); }), "200"));
}
