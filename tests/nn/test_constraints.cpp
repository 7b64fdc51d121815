// Weight constraints: Keras's formulas against hand computations, the constraint holding after
// training steps, the refusal of bad hyperparameters and axes.
#define BOOST_TEST_MODULE constraints
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <nn/nn.hpp>

#include "common/check.hpp"

namespace tt = boost::test_tools;
using test::Array;

namespace {

constexpr double eps = 1e-7;  // Keras's backend epsilon

// The Euclidean norm of column j of a 2-D array.
template <class T>
double column_norm(const xt::xarray<T>& w, std::size_t j) {
  double s = 0;
  for (std::size_t i = 0; i < w.shape()[0]; ++i) s += double(w(i, j)) * double(w(i, j));
  return std::sqrt(s);
}

template <class F>
void expect_invalid(F f, const std::string& fragment) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos, e.what());
    return;
  }
  BOOST_FAIL("no std::invalid_argument, expected: " + fragment);
}

}  // namespace

BOOST_AUTO_TEST_CASE(max_norm_by_hand) {
  // Columns (3, 4) with norm 5 and (0.6, 0.8) with norm 1; max_value 2 scales the first by
  // 2/(ε + 5) and the second by 1/(ε + 1).
  Array w{{3.0, 0.6}, {4.0, 0.8}};
  nn::MaxNorm(2)(w);
  test::check_close(w, Array{{3 * 2 / (eps + 5), 0.6 / (eps + 1)}, {4 * 2 / (eps + 5), 0.8 / (eps + 1)}}, 1e-15, 1e-15);
  // axis 1: the norms of the rows, (3, 0.6) and (4, 0.8).
  Array r{{3.0, 0.6}, {4.0, 0.8}};
  nn::MaxNorm(1, 1)(r);
  const double n0 = std::sqrt(9 + 0.36), n1 = std::sqrt(16 + 0.64);
  test::check_close(r, Array{{3 / (eps + n0), 0.6 / (eps + n0)}, {4 / (eps + n1), 0.8 / (eps + n1)}}, 1e-15, 1e-15);
}

BOOST_AUTO_TEST_CASE(min_max_norm_by_hand) {
  // Norms 5 and 0.1; [min, max] = [0.5, 1], rate 0.5: desired 0.5·1 + 0.5·5 = 3 and
  // 0.5·0.5 + 0.5·0.1 = 0.3.
  Array w{{3.0, 0.0}, {4.0, 0.1}};
  nn::MinMaxNorm(0.5, 1, 0.5)(w);
  test::check_close(w, Array{{3 * 3 / (eps + 5), 0.0}, {4 * 3 / (eps + 5), 0.1 * 0.3 / (eps + 0.1)}}, 1e-15, 1e-14);
  Array z = xt::zeros<double>({2, 2});  // zero norm: ε keeps it finite and zero
  nn::MinMaxNorm(0.5, 1)(z);
  test::check_close(z, Array(xt::zeros<double>({2, 2})), 0, 0);
}

BOOST_AUTO_TEST_CASE(non_neg_and_unit_norm_by_hand) {
  Array w{{-1.0, 2.0}, {0.0, -0.5}};
  nn::NonNeg()(w);
  test::check_close(w, Array{{0.0, 2.0}, {0.0, 0.0}}, 0, 0);
  Array u{{3.0, 1.0}, {4.0, 0.0}};
  nn::UnitNorm()(u);
  test::check_close(u, Array{{3 / (eps + 5), 1 / (eps + 1)}, {4 / (eps + 5), 0.0}}, 1e-15, 1e-15);
}

BOOST_AUTO_TEST_CASE(conv_kernel_norm_per_filter) {
  // A (2, 2, 1, 2) kernel: filter 0 all 1 (norm 2), filter 1 all 0.25 (norm 0.5).
  xt::xarray<float> k = xt::xarray<float>::from_shape({2, 2, 1, 2});
  for (std::size_t i = 0; i < k.size(); ++i) k.data()[i] = i % 2 == 0 ? 1.0f : 0.25f;
  nn::MaxNorm(1, {0, 1, 2})(k);
  for (std::size_t i = 0; i < k.size(); ++i) {
    const float expected = i % 2 == 0 ? float(1.0 / (eps + 2)) : float(0.5 / (eps + 0.5)) * 0.25f;
    BOOST_TEST(k.data()[i] == expected, tt::tolerance(1e-6f));
  }
  nn::MaxNorm(1, {-4, -3, -2})(k);  // negative axes count from the end: the same norms
  BOOST_TEST(k.data()[0] == float(1.0 / (eps + 2)), tt::tolerance(1e-5f));
}

template <class T>
void constraints_hold_after_fit() {
  nn::Sequential<T> model(/*seed=*/3);
  model.add(nn::Input({4}));
  model.add(nn::Dense(6, "relu", {.kernel_constraint = nn::MaxNorm(0.5), .bias_constraint = nn::NonNeg()}));
  model.add(nn::Dense(2, "linear", {.kernel_constraint = nn::UnitNorm()}));
  model.compile(nn::Adam{.learning_rate = 0.05}, "mse");
  xt::xarray<T> x = xt::xarray<T>::from_shape({32, 4}), y = xt::xarray<T>::from_shape({32, 2});
  nn::Random r(7);
  for (auto& e : x) e = T(r.normal());
  for (auto& e : y) e = T(3 * r.normal());
  model.fit(x, y, {.epochs = 3, .batch_size = 8, .verbose = 0});
  const auto params = model.parameters();
  const xt::xarray<T>& k0 = params[0].var.value();
  for (std::size_t j = 0; j < 6; ++j) BOOST_TEST(column_norm(k0, j) <= 0.5 + 1e-5);
  for (auto b : params[1].var.value()) BOOST_TEST(b >= T(0));
  const xt::xarray<T>& k1 = params[2].var.value();
  for (std::size_t j = 0; j < 2; ++j) BOOST_TEST(column_norm(k1, j) == 1.0, tt::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(constraints_hold_after_fit_float) { constraints_hold_after_fit<float>(); }
BOOST_AUTO_TEST_CASE(constraints_hold_after_fit_double) { constraints_hold_after_fit<double>(); }

BOOST_AUTO_TEST_CASE(applied_after_the_proximal_step) {
  // Proximal L1 with a large threshold zeroes the kernel, then MinMaxNorm(1, 1) sees norm 0 and
  // leaves it zero; without the prox it would scale every column to norm 1.
  nn::Parameter<double> p{"w", ad::Var<double>(Array{{0.1, -0.2}, {0.05, 0.1}}, true), nn::L1(100),
                          nn::MinMaxNorm(1, 1)};
  p.var.set_grad(ad::Var<double>(Array(xt::zeros<double>({2, 2}))));
  nn::Optimizer<double> sgd(nn::SGD{.learning_rate = 0.1, .proximal_l1 = true});
  sgd.step({p});
  test::check_close(p.var.value(), Array(xt::zeros<double>({2, 2})), 0, 0);
  nn::Optimizer<double> plain(nn::SGD{.learning_rate = 0.1});
  p.var.mutable_value() = Array{{3.0, 0.0}, {4.0, 2.0}};
  plain.step({p});
  // Norms 5 and 2 become 5/(ε + 5) and 2/(ε + 2): one, up to Keras's ε.
  BOOST_TEST(column_norm(p.var.value(), 0) == 5 / (eps + 5), tt::tolerance(1e-14));
  BOOST_TEST(column_norm(p.var.value(), 1) == 2 / (eps + 2), tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(custom_constraint) {
  const nn::Constraint clip([](auto& w) { w = xt::clip(w, -1, 1); }, "clip");
  Array w{{-3.0, 0.5}};
  clip(w);
  test::check_close(w, Array{{-1.0, 0.5}}, 0, 0);
  BOOST_TEST(clip.description() == "clip");
  const nn::Constraint only_double([](xt::xarray<double>& a) { a *= 2.0; });
  xt::xarray<float> f{1.0f};
  BOOST_CHECK_THROW(only_double(f), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(bad_hyperparameters_are_refused) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  expect_invalid([] { nn::MaxNorm(-1); }, "nn::MaxNorm: max_value must be a finite number >= 0, got -1");
  expect_invalid([&] { nn::MaxNorm(nan); }, "nn::MaxNorm: max_value must be a finite number >= 0, got nan");
  expect_invalid([] { nn::MinMaxNorm(2, 1); }, "nn::MinMaxNorm: min_value must be <= max_value (1), got 2");
  expect_invalid([] { nn::MinMaxNorm(0, 1, 1.5); }, "nn::MinMaxNorm: rate must be in [0, 1], got 1.5");
  expect_invalid([&] { nn::MinMaxNorm(0, 1, nan); }, "nn::MinMaxNorm: rate must be in [0, 1], got nan");
  expect_invalid([] { nn::MinMaxNorm(-0.5, 1); }, "nn::MinMaxNorm: min_value must be a finite number >= 0, got -0.5");
  expect_invalid([] { nn::UnitNorm({}); }, "UnitNorm(axis=[]): axis must name at least one axis");
}

BOOST_AUTO_TEST_CASE(axis_out_of_range_names_the_layer) {
  nn::Sequential<float> model;
  model.add(nn::Input({3}));
  try {
    model.add(nn::Dense(2, "linear", {.kernel_constraint = nn::MaxNorm(2, {0, 1, 2}), .name = "wide"}));
    BOOST_FAIL("no ShapeError");
  } catch (const ad::ShapeError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "constraint MaxNorm(2, axis=[0, 1, 2]) on Dense 'wide' kernel: axis 2 is out of range for shape (3, 2)");
  }
}

BOOST_AUTO_TEST_CASE(a_custom_constraint_of_the_other_type_is_refused_when_built) {
  nn::Sequential<float> model;
  model.add(nn::Input({3}));
  const nn::Constraint doubles([](xt::xarray<double>& w) { w *= 2.0; }, "doubles");
  expect_invalid([&] { model.add(nn::Dense(2, "linear", {.bias_constraint = doubles})); },
                 "constraint doubles on Dense 'dense' bias: it does not take the model's float arrays");
}
