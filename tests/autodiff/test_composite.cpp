// Losses with penalty terms written as plain expressions, checked against gradcheck, against
// closed forms, and in float against double.
#define BOOST_TEST_MODULE composite
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "common/check.hpp"

using test::Array;
using test::Inputs;
using test::V;

namespace {
const double lambda = 0.01;

template <class T>
ad::Var<T> regularized_mse(const ad::Var<T>& X, const ad::Var<T>& W, const ad::Var<T>& b, const ad::Var<T>& y) {
  return ad::mean(ad::square(ad::matmul(X, W) + b - y)) + lambda * ad::sum(ad::abs(W)) +
         lambda * ad::sum(ad::square(W));
}

template <class T>
ad::Var<T> classifier_loss(const ad::Var<T>& X, const ad::Var<T>& W1, const ad::Var<T>& b1, const ad::Var<T>& W2,
                           const ad::Var<T>& onehot) {
  const auto h = ad::relu(ad::matmul(X, W1) + b1);
  const auto logp = ad::log_softmax(ad::matmul(h, W2), -1);
  return -ad::mean(ad::sum(onehot * logp, {1})) + lambda * ad::l1_norm(W1) + lambda * ad::sum(ad::square(W2));
}
}  // namespace

BOOST_AUTO_TEST_CASE(regularized_regression_loss_passes_gradcheck) {
  auto f = [](const Inputs& in) { return regularized_mse(in[0], in[1], in[2], in[3]); };
  CHECK_GRADIENTS(f, test::random_array({5, 3}, 1), test::random_array({3, 2}, 2), test::random_array({2}, 3),
                  test::random_array({5, 2}, 4));
}

BOOST_AUTO_TEST_CASE(l1_and_l2_penalties_by_value) {
  V W(Array{{0.5, -2.0}, {0.0, 3.0}}, true);
  V p = lambda * ad::sum(ad::abs(W)) + lambda * ad::sum(ad::square(W));
  BOOST_TEST(p.item() == lambda * 5.5 + lambda * 13.25, boost::test_tools::tolerance(1e-14));
  ad::backward(p);
  // lambda * sign(W) + 2 lambda W, with sign(0) = 0.
  test::check_close(W.grad().value(), Array{{lambda + lambda, -lambda - 4 * lambda}, {0.0, lambda + 6 * lambda}},
                    1e-15, 1e-12);
}

BOOST_AUTO_TEST_CASE(keras_l1_example_value) {
  // Keras documents L1(0.01) on a 5x5 kernel of ones as 0.25.
  V W(Array(xt::ones<double>({5, 5})), true);
  BOOST_TEST((0.01 * ad::sum(ad::abs(W))).item() == 0.25, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(classifier_loss_passes_gradcheck) {
  Array onehot = xt::zeros<double>({4, 3});
  onehot(0, 1) = onehot(1, 0) = onehot(2, 2) = onehot(3, 1) = 1;
  auto f = [onehot](const Inputs& in) { return classifier_loss(in[0], in[1], in[2], in[3], V(onehot)); };
  CHECK_GRADIENTS(f, test::random_array({4, 3}, 5), test::random_array({3, 4}, 6), test::random_array({4}, 7),
                  test::random_array({4, 3}, 8));
}

BOOST_AUTO_TEST_CASE(least_squares_gradient_matches_the_closed_form) {
  const Array X = test::random_array({6, 3}, 9), Wv = test::random_array({3, 1}, 10), y = test::random_array({6, 1}, 11);
  const double bias = 0.25;
  V W(Wv, true), b(Array{bias}, true);
  ad::backward(regularized_mse(V(X), W, b, V(y)));
  // dL/dW = 2/N X^T r + lambda sign(W) + 2 lambda W and dL/db = 2/N sum r, with r = XW + b - y.
  const std::size_t n = 6;
  Array r = Array::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    r(i) = bias - y(i, 0);
    for (std::size_t k = 0; k < 3; ++k) r(i) += X(i, k) * Wv(k, 0);
  }
  Array gW = Array::from_shape({3, 1});
  double gb = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += X(i, k) * r(i);
    gW(k, 0) = 2.0 / n * s + lambda * (Wv(k, 0) > 0 ? 1 : -1) + 2 * lambda * Wv(k, 0);
  }
  for (std::size_t i = 0; i < n; ++i) gb += 2.0 / n * r(i);
  test::check_close(W.grad().value(), gW, 1e-14, 1e-12);
  test::check_close(b.grad().value(), Array{gb}, 1e-14, 1e-12);
}

// The same computation in float and in double: float's forward agrees to 1e-5 relative.
template <class T>
xt::xarray<T> as(const Array& a) {
  return xt::xarray<T>(xt::cast<T>(a));
}

BOOST_AUTO_TEST_CASE(float_forward_matches_double) {
  const Array X = test::random_array({16, 8}, 12), W1 = test::random_array({8, 6}, 13), b1 = test::random_array({6}, 14),
              W2 = test::random_array({6, 4}, 15);
  Array onehot = xt::zeros<double>({16, 4});
  for (std::size_t i = 0; i < 16; ++i) onehot(i, i % 4) = 1;
  const double d = classifier_loss(V(X), V(W1), V(b1), V(W2), V(onehot)).item();
  using F = ad::Var<float>;
  const float f = classifier_loss(F(as<float>(X)), F(as<float>(W1)), F(as<float>(b1)), F(as<float>(W2)),
                                  F(as<float>(onehot))).item();
  BOOST_TEST(std::abs(f - d) <= 1e-5 * std::abs(d), "float " << f << " vs double " << d);

  const Array y = test::random_array({16, 6}, 16);
  const double dm = regularized_mse(V(X), V(W1), V(b1), V(y)).item();
  const float fm = regularized_mse(F(as<float>(X)), F(as<float>(W1)), F(as<float>(b1)), F(as<float>(y))).item();
  BOOST_TEST(std::abs(fm - dm) <= 1e-5 * std::abs(dm), "float " << fm << " vs double " << dm);
}

BOOST_AUTO_TEST_CASE(float_gradients_match_double) {
  const Array X = test::random_array({16, 8}, 17), W = test::random_array({8, 3}, 18), y = test::random_array({16, 3}, 19);
  V Wd(W, true);
  ad::backward(regularized_mse(V(X), Wd, V(Array{0.1, 0.2, 0.3}), V(y)));
  ad::Var<float> Wf(as<float>(W), true);
  ad::backward(regularized_mse(ad::Var<float>(as<float>(X)), Wf, ad::Var<float>(xt::xarray<float>{0.1f, 0.2f, 0.3f}),
                               ad::Var<float>(as<float>(y))));
  test::check_close(xt::xarray<double>(xt::cast<double>(Wf.grad().value())), Wd.grad().value(), 1e-5, 1e-4);
}
