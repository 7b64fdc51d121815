// Losses: values against hand computations (the Keras documentation's examples among them),
// logits against probabilities, extreme logits, first and second derivatives, errors, names.
#define BOOST_TEST_MODULE losses
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "common/check.hpp"
#include "nn/losses.hpp"

using test::Array;
using test::Inputs;
using test::V;
namespace tt = boost::test_tools;

namespace {

// Binary and categorical cross-entropies from logits, stated by hand for one element/row.
double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

bool all_finite(const Array& a) {
  for (double v : a) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

const Array keras_true{{0.0, 1.0}, {0.0, 0.0}};
const Array keras_pred{{0.6, 0.4}, {0.4, 0.6}};
const Array onehot{{0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}};
const Array probabilities{{0.05, 0.95, 0.0}, {0.1, 0.8, 0.1}};

}  // namespace

// ---- values by hand --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mse_keras_example) {
  // Squared errors [[1, 0], [1, 0]]: row means 0.5 and 0.5, batch mean 0.5.
  const V loss = nn::mean_squared_error(V(keras_true), V(Array{{1.0, 1.0}, {1.0, 0.0}}));
  BOOST_TEST(loss.dim() == 0u);
  BOOST_TEST(loss.item() == 0.5, tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(mae_keras_example) {
  // Absolute errors [[1, 0], [1, 0]]: 0.5.
  BOOST_TEST(nn::mean_absolute_error(V(keras_true), V(Array{{1.0, 1.0}, {1.0, 0.0}})).item() == 0.5,
             tt::tolerance(1e-15));
  // Errors [[0.5, -3]], [[2, 0.25]]: row means 1.75 and 1.125, batch mean 1.4375.
  BOOST_TEST(nn::mean_absolute_error(V(Array{{1.0, 4.0}, {0.0, 1.0}}), V(Array{{1.5, 1.0}, {2.0, 1.25}})).item() ==
                 1.4375,
             tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(mse_is_mean_over_last_axis_then_batch) {
  // Rows of 3: squared errors [[1, 4, 9], [0, 0, 0]] -> row means 14/3 and 0 -> 7/3.
  const V loss = nn::mean_squared_error(V(Array{{0.0, 0.0, 0.0}, {1.0, 1.0, 1.0}}), V(Array{{1.0, -2.0, 3.0}, {1.0, 1.0, 1.0}}));
  BOOST_TEST(loss.item() == 7.0 / 3.0, tt::tolerance(1e-15));
  // Rank 3: mean over the last axis, then over both leading axes = mean of all 8 squared errors.
  Array t = xt::zeros<double>({2, 2, 2});
  Array p = Array{{{1.0, 2.0}, {3.0, 4.0}}, {{5.0, 6.0}, {7.0, 8.0}}};
  BOOST_TEST(nn::mean_squared_error(V(t), V(p)).item() == (1 + 4 + 9 + 16 + 25 + 36 + 49 + 64) / 8.0,
             tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(binary_crossentropy_keras_example) {
  // Row 0: y = (0, 1), p = (0.6, 0.4): -(log 0.4 + log 0.4) / 2.
  // Row 1: y = (0, 0), p = (0.4, 0.6): -(log 0.6 + log 0.4) / 2.
  const double row0 = -(std::log(0.4) + std::log(0.4)) / 2;
  const double row1 = -(std::log(0.6) + std::log(0.4)) / 2;
  const double loss = nn::binary_crossentropy(V(keras_true), V(keras_pred)).item();
  BOOST_TEST(loss == (row0 + row1) / 2, tt::tolerance(1e-13));
  BOOST_TEST(loss == 0.81492, tt::tolerance(1e-5));  // Keras documents 0.815
}

BOOST_AUTO_TEST_CASE(binary_crossentropy_soft_labels) {
  // y = 0.25, p = 0.8: -(0.25 log 0.8 + 0.75 log 0.2).
  const double expected = -(0.25 * std::log(0.8) + 0.75 * std::log(0.2));
  BOOST_TEST(nn::binary_crossentropy(V(test::column({0.25})), V(test::column({0.8}))).item() == expected, tt::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(binary_crossentropy_clips_certain_probabilities) {
  // p = 0 with y = 1 and p = 1 with y = 0: both clipped to ε away, each -log(1e-7) = 16.118...
  V pred(Array{{0.0, 1.0}}, true);
  const V loss = nn::binary_crossentropy(V(Array{{1.0, 0.0}}), pred);
  BOOST_TEST(loss.item() == -std::log(1e-7), tt::tolerance(1e-8));
  ad::backward(loss);
  // Outside [ε, 1-ε] clip passes no gradient.
  test::check_close(pred.grad().value(), Array{{0.0, 0.0}}, 0, 0);
}

BOOST_AUTO_TEST_CASE(binary_crossentropy_from_logits_keras_example) {
  // Keras: y_true [0, 1, 0, 0], logits [-18.6, 0.51, 2.94, -12.8] -> 0.865. Per element
  // softplus(x) - x y.
  const Array x{-18.6, 0.51, 2.94, -12.8};
  const double expected = (softplus(-18.6) + softplus(0.51) - 0.51 + softplus(2.94) + softplus(-12.8)) / 4;
  const double loss = nn::binary_crossentropy(V(Array{0.0, 1.0, 0.0, 0.0}), V(x), true).item();
  BOOST_TEST(loss == expected, tt::tolerance(1e-13));
  BOOST_TEST(loss == 0.865, tt::tolerance(1e-3));
  // x = 0: log 2 whatever the label.
  BOOST_TEST(nn::binary_crossentropy(V(test::column({0.3})), V(test::column({0.0})), true).item() == std::log(2.0),
             tt::tolerance(1e-15));
}

// log(1 + e^x) at x = ±1, ±2, ±5, ±10, ±16, ±20, ±30, ±40, ±50, ±80, computed with 300-digit
// decimals (python3: (1 + Decimal(x).exp()).ln()) and rounded to double. The loss from logit x is
// softplus(-x) for label 1 and softplus(x) for label 0.
namespace {
struct SoftplusReference {
  double x, softplus_of_x, softplus_of_minus_x;
};
const SoftplusReference softplus_reference[] = {
    {1, 1.3132616875182228, 0.31326168751822281},
    {2, 2.1269280110429727, 0.12692801104297249},
    {5, 5.0067153484891183, 0.0067153484891180684},
    {10, 10.000045398899218, 4.5398899216864647e-05},
    {16, 16.000000112535169, 1.1253516838717681e-07},
    {20, 20.000000002061153, 2.0611536203143808e-09},
    {30, 30.000000000000092, 9.3576229688397368e-14},
    {40, 40, 4.2483542552915889e-18},
    {50, 50, 1.9287498479639178e-22},
    {80, 80, 1.8048513878454153e-35},
};

// The one-element loss from logit x with label y, in T, against the double reference.
template <class T>
void check_logit_loss(double x, double y, double expected, double relative_tolerance) {
  auto one = [](double v) {
    xt::xarray<T> a = xt::xarray<T>::from_shape({1, 1});
    a(0, 0) = static_cast<T>(v);
    return ad::Var<T>(a);
  };
  const double loss = static_cast<double>(nn::binary_crossentropy(one(y), one(x), true).item());
  BOOST_TEST(std::abs(loss - expected) <= relative_tolerance * expected,
             (std::is_same_v<T, float> ? "float" : "double") << " logit " << x << " label " << y << ": " << loss
                                                             << " instead of " << expected);
}
}  // namespace

BOOST_AUTO_TEST_CASE(binary_crossentropy_from_logits_is_accurate_at_large_logits) {
  // softplus(x) - x·y cancels for label 1 and a large logit (float logit 10: 4.5776e-5 for
  // 4.5399e-5; logit 16: 0 for 1.1e-7); relu(x) - x·y + log1p(e^-|x|) does not.
  for (const auto& r : softplus_reference) {
    for (const double sign : {1.0, -1.0}) {
      const double x = sign * r.x;
      const double label_1 = sign > 0 ? r.softplus_of_minus_x : r.softplus_of_x;  // softplus(-x)
      const double label_0 = sign > 0 ? r.softplus_of_x : r.softplus_of_minus_x;  // softplus(x)
      check_logit_loss<float>(x, 1.0, label_1, 1e-6);
      check_logit_loss<float>(x, 0.0, label_0, 1e-6);
      check_logit_loss<double>(x, 1.0, label_1, 1e-15);
      check_logit_loss<double>(x, 0.0, label_0, 1e-15);
    }
  }
}

BOOST_AUTO_TEST_CASE(categorical_crossentropy_keras_example) {
  // Row 0 picks p = 0.95, row 1 picks p = 0.1: (-log 0.95 - log 0.1) / 2.
  const double loss = nn::categorical_crossentropy(V(onehot), V(probabilities)).item();
  BOOST_TEST(loss == (-std::log(0.95) - std::log(0.1)) / 2, tt::tolerance(1e-13));
  BOOST_TEST(loss == 1.1769392, tt::tolerance(1e-7));  // Keras documents 1.177
}

BOOST_AUTO_TEST_CASE(categorical_crossentropy_renormalizes) {
  // (1, 3) scaled by anything is the distribution (0.25, 0.75): label 1 costs -log 0.75.
  const double loss = nn::categorical_crossentropy(V(Array{{0.0, 1.0}}), V(Array{{2.0, 6.0}})).item();
  BOOST_TEST(loss == -std::log(0.75), tt::tolerance(1e-14));
  // Soft labels: -(0.5 log 0.25 + 0.5 log 0.75).
  BOOST_TEST(nn::categorical_crossentropy(V(Array{{0.5, 0.5}}), V(Array{{0.25, 0.75}})).item() ==
                 -(0.5 * std::log(0.25) + 0.5 * std::log(0.75)),
             tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(sparse_categorical_crossentropy_keras_example) {
  const double expected = (-std::log(0.95) - std::log(0.1)) / 2;
  BOOST_TEST(nn::sparse_categorical_crossentropy(V(Array{1.0, 2.0}), V(probabilities)).item() == expected,
             tt::tolerance(1e-13));
  BOOST_TEST(nn::sparse_categorical_crossentropy(V(test::column({1.0, 2.0})), V(probabilities)).item() == expected,
             tt::tolerance(1e-13));
  // The same as the categorical loss on the one-hot labels.
  BOOST_TEST(nn::sparse_categorical_crossentropy(V(Array{1.0, 2.0}), V(probabilities)).item() ==
                 nn::categorical_crossentropy(V(onehot), V(probabilities)).item(),
             tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(huber_keras_example) {
  // Errors 0.6, -0.6, 0.4, 0.6, all within delta = 1: 0.5 e^2 = [[0.18, 0.18], [0.08, 0.18]];
  // row means 0.18 and 0.13, batch mean 0.155.
  BOOST_TEST(nn::huber(V(keras_true), V(keras_pred)).item() == 0.155, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(huber_both_branches) {
  // delta = 1, errors 0.5 and -3: 0.5 * 0.25 = 0.125 and 1 * (3 - 0.5) = 2.5; mean 1.3125.
  BOOST_TEST(nn::huber(V(Array{{0.0, 0.0}}), V(Array{{0.5, -3.0}})).item() == 1.3125, tt::tolerance(1e-15));
  // delta = 2: 0.125 and 2 * (3 - 1) = 4; mean 2.0625.
  BOOST_TEST(nn::huber(V(Array{{0.0, 0.0}}), V(Array{{0.5, -3.0}}), 2.0).item() == 2.0625, tt::tolerance(1e-15));
  // |e| = delta exactly is the quadratic branch, and both branches agree there: 0.5.
  BOOST_TEST(nn::huber(V(test::column({0.0})), V(test::column({1.0}))).item() == 0.5, tt::tolerance(1e-15));
  // Gradient: e within delta -> e / n, beyond -> delta sign(e) / n (n = 2 elements).
  V pred(Array{{0.5, -3.0}}, true);
  ad::backward(nn::huber(V(Array{{0.0, 0.0}}), pred));
  test::check_close(pred.grad().value(), Array{{0.25, -0.5}}, 1e-15, 0);
}

BOOST_AUTO_TEST_CASE(huber_rejects_bad_delta) {
  BOOST_CHECK_EXCEPTION(nn::huber(V(keras_true), V(keras_pred), 0.0), std::invalid_argument,
                        test::message_has<std::invalid_argument>({"huber", "delta"}));
  BOOST_CHECK_THROW(nn::huber(V(keras_true), V(keras_pred), -1.0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(float_matches_double) {
  using F = ad::Var<float>;
  const xt::xarray<float> t{{0.0f, 1.0f}, {0.0f, 0.0f}};
  const xt::xarray<float> p{{0.6f, 0.4f}, {0.4f, 0.6f}};
  BOOST_TEST(nn::binary_crossentropy(F(t), F(p)).item() == 0.81492f, tt::tolerance(1e-4f));
  BOOST_TEST(nn::huber(F(t), F(p)).item() == 0.155f, tt::tolerance(1e-5f));
  BOOST_TEST(nn::mean_squared_error(F(t), F(p)).item() == 0.31f, tt::tolerance(1e-5f));  // (.36+.36+.16+.36)/4
  const xt::xarray<float> probs{{0.05f, 0.95f, 0.0f}, {0.1f, 0.8f, 0.1f}};
  BOOST_TEST(nn::sparse_categorical_crossentropy(F(xt::xarray<float>{1.0f, 2.0f}), F(probs)).item() == 1.1769392f,
             tt::tolerance(1e-5f));
  // Probabilities of exactly 0 and 1 stay finite in float too (1 - 1e-7 rounds below 1).
  const float clipped = nn::binary_crossentropy(F(xt::xarray<float>{{1.0f, 0.0f}}), F(xt::xarray<float>{{0.0f, 1.0f}})).item();
  BOOST_TEST(std::isfinite(clipped));
  BOOST_TEST(clipped > 15.0f);
}

// ---- logits ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(binary_from_logits_equals_probabilities_of_sigmoid) {
  const Array x = test::random_array({3, 4}, 11, -3, 3);
  const Array y = test::positive_array({3, 4}, 12, 0, 1);
  const double from_logits = nn::binary_crossentropy(V(y), V(x), true).item();
  const double from_p = nn::binary_crossentropy(V(y), ad::sigmoid(V(x))).item();
  BOOST_TEST(from_logits == from_p, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(categorical_from_logits_equals_probabilities_of_softmax) {
  const Array x = test::random_array({3, 4}, 13, -3, 3);
  Array y = xt::zeros<double>({3, 4});
  y(0, 2) = y(1, 0) = y(2, 3) = 1;
  const double from_logits = nn::categorical_crossentropy(V(y), V(x), true).item();
  BOOST_TEST(from_logits == nn::categorical_crossentropy(V(y), ad::softmax(V(x), -1)).item(), tt::tolerance(1e-12));
  BOOST_TEST(nn::sparse_categorical_crossentropy(V(Array{2.0, 0.0, 3.0}), V(x), true).item() == from_logits,
             tt::tolerance(1e-14));
  BOOST_TEST(nn::sparse_categorical_crossentropy(V(Array{2.0, 0.0, 3.0}), ad::softmax(V(x), -1)).item() ==
                 from_logits,
             tt::tolerance(1e-12));
  // By hand for one row: logits (0, ln 3): softmax (1/4, 3/4); label 0 costs log 4.
  BOOST_TEST(nn::categorical_crossentropy(V(Array{{1.0, 0.0}}), V(Array{{0.0, std::log(3.0)}}), true).item() ==
                 std::log(4.0),
             tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(binary_extreme_logits_are_finite) {
  // Row 0 is right with certainty (loss 0); row 1 wrong with certainty: 1e4 per element.
  V x(Array{{1e4, -1e4}, {-1e4, 1e4}}, true);
  const Array y{{1.0, 0.0}, {1.0, 0.0}};
  const V loss = nn::binary_crossentropy(V(y), x, true);
  BOOST_TEST(loss.item() == 5000.0, tt::tolerance(1e-12));
  // d/dx = (sigmoid(x) - y) / 4, first and second order, finite.
  const auto g = ad::grad(loss, {x}, {.create_graph = true});
  test::check_close(g[0].value(), Array{{0.0, 0.0}, {-0.25, 0.25}}, 1e-15, 0);
  const auto gg = ad::grad(ad::sum(g[0]), {x});
  BOOST_TEST(all_finite(gg[0].value()));
  // In float as well.
  ad::Var<float> xf(xt::xarray<float>{{1e4f, -1e4f}, {-1e4f, 1e4f}}, true);
  const auto lf = nn::binary_crossentropy(ad::Var<float>(xt::xarray<float>{{1.0f, 0.0f}, {1.0f, 0.0f}}), xf, true);
  BOOST_TEST(lf.item() == 5000.0f, tt::tolerance(1e-6f));
  ad::backward(lf);
  BOOST_TEST(xf.grad().value()(1, 0) == -0.25f);
  BOOST_TEST(xf.grad().value()(1, 1) == 0.25f);
}

BOOST_AUTO_TEST_CASE(categorical_extreme_logits_are_finite) {
  // Label 1 while logit 0 dominates by 2e4: loss 2e4; gradient softmax - y = (1, -1, 0).
  V x(Array{{1e4, -1e4, 0.0}}, true);
  const V loss = nn::categorical_crossentropy(V(Array{{0.0, 1.0, 0.0}}), x, true);
  BOOST_TEST(loss.item() == 2e4, tt::tolerance(1e-12));
  const auto g = ad::grad(loss, {x}, {.create_graph = true});
  test::check_close(g[0].value(), Array{{1.0, -1.0, 0.0}}, 1e-15, 0);
  const auto gg = ad::grad(ad::sum(ad::square(g[0])), {x});
  BOOST_TEST(all_finite(gg[0].value()));
  V xs(Array{{1e4, -1e4, 0.0}, {-1e4, 1e4, 0.0}}, true);
  const V sparse = nn::sparse_categorical_crossentropy(V(Array{1.0, 1.0}), xs, true);
  BOOST_TEST(sparse.item() == 1e4, tt::tolerance(1e-12));  // rows cost 2e4 and 0
  ad::backward(sparse);
  test::check_close(xs.grad().value(), Array{{0.5, -0.5, 0.0}, {0.0, 0.0, 0.0}}, 1e-15, 0);
}

// ---- first and second derivatives ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mse_gradients) {
  auto f = [](const Inputs& in) { return nn::mean_squared_error(in[0], in[1]); };
  CHECK_GRADIENTS(f, test::random_array({3, 4}, 21), test::random_array({3, 4}, 22));
}

BOOST_AUTO_TEST_CASE(mae_gradients) {
  // y_pred = y_true + d with |d| >= 0.1: the errors stay off the kink of |e|.
  const Array t = test::random_array({3, 4}, 23);
  const Array p = t + test::random_array({3, 4}, 24);
  auto f = [t](const Inputs& in) { return nn::mean_absolute_error(V(t), in[0]); };
  CHECK_GRADIENTS(f, p);
  auto both = [](const Inputs& in) { return nn::mean_absolute_error(in[0], in[1]); };
  CHECK_GRADIENTS(both, t, p);
}

BOOST_AUTO_TEST_CASE(huber_gradients) {
  // Errors chosen on both sides of delta = 1, none within 0.2 of it.
  const Array t = test::random_array({2, 4}, 25);
  const Array e{{0.3, -1.7, 0.8, 2.5}, {-0.4, 1.3, -0.05, -2.2}};
  auto f = [t](const Inputs& in) { return nn::huber(V(t), in[0]); };
  CHECK_GRADIENTS(f, Array(t + e));
  auto both = [](const Inputs& in) { return nn::huber(in[0], in[1], 0.5); };  // delta 0.5: none within 0.1
  CHECK_GRADIENTS(both, t, Array(t + e));
}

BOOST_AUTO_TEST_CASE(binary_crossentropy_gradients) {
  const Array y = test::positive_array({3, 2}, 26, 0, 1);
  auto f = [y](const Inputs& in) { return nn::binary_crossentropy(V(y), in[0]); };
  CHECK_GRADIENTS(f, test::positive_array({3, 2}, 27, 0.05, 0.95));
  auto both = [](const Inputs& in) { return nn::binary_crossentropy(in[0], in[1]); };
  CHECK_GRADIENTS(both, y, test::positive_array({3, 2}, 28, 0.05, 0.95));
  auto logits = [](const Inputs& in) { return nn::binary_crossentropy(in[0], in[1], true); };
  CHECK_GRADIENTS(logits, y, test::random_array({3, 2}, 29, -4, 4));
}

BOOST_AUTO_TEST_CASE(binary_crossentropy_logit_gradient_at_zero) {
  // d/dx at x = 0 is sigmoid(0) - y = 0.5 - y (per element, / n = 2).
  V x(Array{{0.0, 0.0}}, true);
  ad::backward(nn::binary_crossentropy(V(Array{{1.0, 0.0}}), x, true));
  test::check_close(x.grad().value(), Array{{-0.25, 0.25}}, 1e-15, 0);
}

BOOST_AUTO_TEST_CASE(categorical_crossentropy_gradients) {
  Array y = xt::zeros<double>({3, 4});
  y(0, 1) = y(1, 3) = y(2, 0) = 1;
  auto f = [y](const Inputs& in) { return nn::categorical_crossentropy(V(y), in[0]); };
  CHECK_GRADIENTS(f, test::positive_array({3, 4}, 30, 0.05, 0.95));
  auto soft = [](const Inputs& in) { return nn::categorical_crossentropy(in[0], in[1]); };
  CHECK_GRADIENTS(soft, test::positive_array({3, 4}, 31, 0, 1), test::positive_array({3, 4}, 32, 0.05, 0.95));
  auto logits = [](const Inputs& in) { return nn::categorical_crossentropy(in[0], in[1], true); };
  CHECK_GRADIENTS(logits, test::positive_array({3, 4}, 33, 0, 1), test::random_array({3, 4}, 34, -4, 4));
}

BOOST_AUTO_TEST_CASE(sparse_categorical_crossentropy_gradients) {
  const Array labels{1.0, 3.0, 0.0};
  auto f = [labels](const Inputs& in) { return nn::sparse_categorical_crossentropy(V(labels), in[0]); };
  CHECK_GRADIENTS(f, test::positive_array({3, 4}, 35, 0.05, 0.95));
  auto logits = [labels](const Inputs& in) { return nn::sparse_categorical_crossentropy(V(labels), in[0], true); };
  CHECK_GRADIENTS(logits, test::random_array({3, 4}, 36, -4, 4));
}

// ---- errors ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sparse_rejects_bad_labels_naming_the_row) {
  const V p(probabilities);
  using E = std::invalid_argument;
  BOOST_CHECK_EXCEPTION(nn::sparse_categorical_crossentropy(V(Array{0.0, 3.0}), p), E,
                        test::message_has<E>({"sparse_categorical_crossentropy", "row 1", "3"}));
  BOOST_CHECK_EXCEPTION(nn::sparse_categorical_crossentropy(V(Array{-1.0, 0.0}), p), E,
                        test::message_has<E>({"sparse_categorical_crossentropy", "row 0", "-1"}));
  BOOST_CHECK_EXCEPTION(nn::sparse_categorical_crossentropy(V(test::column({2.0, 0.5})), p), E,
                        test::message_has<E>({"sparse_categorical_crossentropy", "row 1", "0.5"}));
  BOOST_CHECK_EXCEPTION(
      nn::sparse_categorical_crossentropy(V(Array{std::numeric_limits<double>::quiet_NaN(), 1.0}), p, true), E,
      test::message_has<E>({"sparse_categorical_crossentropy", "row 0"}));
  BOOST_CHECK_THROW(nn::sparse_categorical_crossentropy(V(Array{0.0, std::numeric_limits<double>::infinity()}), p),
                    E);
}

BOOST_AUTO_TEST_CASE(shape_mismatches_throw_naming_loss_and_shapes) {
  const V t(xt::zeros<double>({2, 3}));
  const V p(xt::ones<double>({2, 2}) * 0.5);
  using E = ad::ShapeError;
  BOOST_CHECK_EXCEPTION(nn::mean_squared_error(t, p), E, test::message_has<E>({"mean_squared_error", "(2, 3)", "(2, 2)"}));
  BOOST_CHECK_EXCEPTION(nn::mean_absolute_error(t, p), E, test::message_has<E>({"mean_absolute_error", "(2, 3)", "(2, 2)"}));
  BOOST_CHECK_EXCEPTION(nn::huber(t, p), E, test::message_has<E>({"huber", "(2, 3)", "(2, 2)"}));
  BOOST_CHECK_EXCEPTION(nn::binary_crossentropy(t, p), E, test::message_has<E>({"binary_crossentropy", "(2, 3)", "(2, 2)"}));
  BOOST_CHECK_EXCEPTION(nn::categorical_crossentropy(t, p, true), E,
                        test::message_has<E>({"categorical_crossentropy", "(2, 3)", "(2, 2)"}));
  // No broadcasting either: (1, 2) against (2, 2).
  BOOST_CHECK_THROW(nn::mean_squared_error(V(Array{{1.0, 2.0}}), p), E);
  // Sparse labels: (3,) for a batch of 2, or (2, 2).
  BOOST_CHECK_EXCEPTION(nn::sparse_categorical_crossentropy(V(Array{0.0, 1.0, 0.0}), p), E,
                        test::message_has<E>({"sparse_categorical_crossentropy", "(3,)", "(2, 2)"}));
  BOOST_CHECK_THROW(nn::sparse_categorical_crossentropy(V(Array{{0.0, 1.0}, {1.0, 0.0}}), p), E);
  // Categorical losses need a class axis.
  BOOST_CHECK_THROW(nn::categorical_crossentropy(V(Array(0.0)), V(Array(1.0))), E);
}

BOOST_AUTO_TEST_CASE(ranks_differing_by_a_trailing_one_are_matched) {
  // y_true (3,) against y_pred (3, 1), and (3, 1) against (3,), as Keras squeezes/expands.
  const Array t{1.0, 0.0, 1.0};
  const Array p = test::column({0.8, 0.3, 0.4});
  const Array t_col = test::column({1.0, 0.0, 1.0});
  const Array p_flat{0.8, 0.3, 0.4};
  const double bce = -(std::log(0.8) + std::log(0.7) + std::log(0.4)) / 3;
  BOOST_TEST(nn::binary_crossentropy(V(t), V(p)).item() == bce, tt::tolerance(1e-13));
  BOOST_TEST(nn::binary_crossentropy(V(t_col), V(p)).item() == bce, tt::tolerance(1e-13));
  BOOST_TEST(nn::binary_crossentropy(V(t_col), V(p_flat)).item() == bce, tt::tolerance(1e-13));
  const double mse = (0.04 + 0.09 + 0.36) / 3;
  BOOST_TEST(nn::mean_squared_error(V(t), V(p)).item() == mse, tt::tolerance(1e-13));
  BOOST_TEST(nn::mean_squared_error(V(t_col), V(p_flat)).item() == mse, tt::tolerance(1e-13));
  BOOST_TEST(nn::mean_absolute_error(V(t), V(p)).item() == (0.2 + 0.3 + 0.6) / 3, tt::tolerance(1e-13));
  BOOST_TEST(nn::huber(V(t), V(p)).item() == mse / 2, tt::tolerance(1e-13));
  // The gradient w.r.t. y_pred keeps y_pred's shape.
  V pv(p, true);
  ad::backward(nn::mean_squared_error(V(t), pv));
  test::check_close(pv.grad().value(), test::column({2 * -0.2 / 3, 2 * 0.3 / 3, 2 * -0.6 / 3}), 1e-15, 1e-13);
}

BOOST_AUTO_TEST_CASE(undefined_inputs_throw) {
  BOOST_CHECK_THROW(nn::mean_squared_error(V(), V(keras_pred)), std::invalid_argument);
  BOOST_CHECK_THROW(nn::sparse_categorical_crossentropy(V(Array{1.0}), V()), std::invalid_argument);
}

// ---- names -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(loss_by_name_resolves_every_name) {
  const V t(keras_true), p(keras_pred);
  const auto value = [&](const std::string& name) { return nn::loss_by_name<double>(name)(t, p).item(); };
  BOOST_TEST(value("mse") == nn::mean_squared_error(t, p).item());
  BOOST_TEST(value("mean_squared_error") == nn::mean_squared_error(t, p).item());
  BOOST_TEST(value("mae") == nn::mean_absolute_error(t, p).item());
  BOOST_TEST(value("mean_absolute_error") == nn::mean_absolute_error(t, p).item());
  BOOST_TEST(value("huber") == 0.155, tt::tolerance(1e-14));
  BOOST_TEST(value("binary_crossentropy") == nn::binary_crossentropy(t, p).item());
  BOOST_TEST(nn::loss_by_name<double>("categorical_crossentropy")(V(onehot), V(probabilities)).item() ==
             nn::categorical_crossentropy(V(onehot), V(probabilities)).item());
  BOOST_TEST(nn::loss_by_name<double>("sparse_categorical_crossentropy")(V(Array{1.0, 2.0}), V(probabilities))
                 .item() == nn::categorical_crossentropy(V(onehot), V(probabilities)).item(),
             tt::tolerance(1e-15));
  // The float instantiation resolves too.
  const auto mse_f = nn::loss_by_name<float>("mse");
  BOOST_TEST(mse_f(ad::Var<float>(xt::xarray<float>{{0.0f, 1.0f}}), ad::Var<float>(xt::xarray<float>{{1.0f, 1.0f}}))
                 .item() == 0.5f);
}

BOOST_AUTO_TEST_CASE(loss_by_name_rejects_unknown_names) {
  using E = std::invalid_argument;
  BOOST_CHECK_EXCEPTION(nn::loss_by_name<double>("cross_entropy"), E,
                        test::message_has<E>({"cross_entropy", "mse", "huber", "sparse_categorical_crossentropy"}));
  BOOST_CHECK_THROW(nn::loss_by_name<float>("MSE"), E);
  BOOST_CHECK_THROW(nn::loss_by_name<float>(""), E);
}
