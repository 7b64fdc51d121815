// Layers: Dense, Dropout, Activation, Flatten, by value; activity penalties; parameter names.
#define BOOST_TEST_MODULE layers
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nn/layers.hpp>

#include "common/check.hpp"

using test::Array;
using test::V;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_CASE(dense_forward_by_value) {
  nn::DenseLayer<double> d(nn::Dense(2, "relu", {.kernel_initializer = nn::Initializer::constant(0.5),
                                                 .bias_initializer = nn::Initializer::constant(-1.0)}));
  nn::Random r(0);
  d.build({3}, r);
  const auto params = d.parameters();
  BOOST_REQUIRE_EQUAL(params.size(), 2u);
  BOOST_TEST(params[0].name == "kernel");
  BOOST_TEST(params[1].name == "bias");
  BOOST_TEST(d.output_shape({3}) == ad::Shape{2});
  // x·W + b with W = 0.5, b = -1: row sums / 2 - 1, then relu.
  const V y = d.forward(V(Array{{1.0, 2.0, 3.0}, {0.5, 0.5, 0.0}}));
  test::check_close(y.value(), Array{{2.0, 2.0}, {0.0, 0.0}});
  BOOST_CHECK_THROW(d.forward(V(Array{{1.0, 2.0}})), ad::ShapeError);
  BOOST_CHECK_THROW(d.build({4}, r), ad::ShapeError);  // built for 3 features
}

BOOST_AUTO_TEST_CASE(dense_without_bias_and_bad_arguments) {
  nn::DenseLayer<float> d(nn::Dense(3, "linear", {.use_bias = false}));
  nn::Random r(0);
  d.build({2}, r);
  BOOST_TEST(d.parameters().size() == 1u);
  BOOST_TEST(!d.bias().defined());
  BOOST_CHECK_THROW(nn::DenseLayer<float>(nn::Dense(0)), std::invalid_argument);
  test::check_error<ad::ValueError>([] { nn::DenseLayer<float>(nn::Dense(3, "swish")); }, {"Dense", "swish"});
}

BOOST_AUTO_TEST_CASE(activity_penalty_is_divided_by_the_batch_size) {
  nn::DenseLayer<double> d(nn::Dense(2, "linear", {.kernel_initializer = nn::Initializer::ones(),
                                                   .activity_regularizer = nn::L1(0.1)}));
  nn::Random r(0);
  d.build({2}, r);
  const V y = d.forward(V(Array{{1.0, 2.0}, {-3.0, 1.0}, {0.0, 0.0}, {1.0, 1.0}}));
  // outputs: rows 3, -2, 0, 2 in both columns: sum |y| = 14; / batch 4; * 0.1
  BOOST_TEST(d.activity_penalty().item() == 0.1 * 14 / 4, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(weight_penalty_sums_kernel_and_bias_regularizers) {
  nn::DenseLayer<double> d(nn::Dense(2, "linear", {.kernel_initializer = nn::Initializer::constant(-0.5),
                                                   .bias_initializer = nn::Initializer::constant(2.0),
                                                   .kernel_regularizer = nn::L1L2(0.01, 0.1),
                                                   .bias_regularizer = nn::L2(0.5)}));
  nn::Random r(0);
  d.build({3}, r);
  // kernel 3x2 of -0.5: L1 0.01*3 + L2 0.1*1.5; bias (2, 2): 0.5*8
  BOOST_TEST(d.regularization_penalty().item() == 0.03 + 0.15 + 4.0, tt::tolerance(1e-14));
  // Under a proximal optimizer the L1 part is a value only: the gradient is the L2 parts'.
  ad::backward(d.regularization_penalty(true));
  test::check_close(d.kernel().grad().value(), Array(xt::full_like(d.kernel().value(), 2 * 0.1 * -0.5)));
  BOOST_TEST(d.regularization_penalty(true).item() == 0.03 + 0.15 + 4.0, tt::tolerance(1e-14));
  BOOST_TEST(d.parameters()[0].regularizer.l1() == 0.01);
  BOOST_TEST(d.parameters()[0].regularizer.has_prox());
  BOOST_TEST(d.parameters()[0].regularizer.smooth(d.kernel()).item() == 0.15, tt::tolerance(1e-14));
  BOOST_TEST(!d.parameters()[1].regularizer.has_prox());
}

BOOST_AUTO_TEST_CASE(dropout_is_inverted_and_off_in_evaluation) {
  nn::DropoutLayer<double> d(nn::Dropout(0.25));
  d.set_random_stream(nn::Random(7));
  const V x(Array(xt::ones<double>({200, 100})));
  const V y = d.forward(x);
  std::size_t zeros = 0;
  for (double v : y.value()) {
    BOOST_TEST((v == 0.0 || std::abs(v - 1 / 0.75) < 1e-15));
    zeros += v == 0.0;
  }
  BOOST_TEST(double(zeros) / 20000 == 0.25, tt::tolerance(0.05));
  d.eval();
  BOOST_TEST(d.forward(x).id() == x.id());  // identity, not even a copy
  BOOST_CHECK_THROW(nn::DropoutLayer<double>(nn::Dropout(1.0)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(dropout_gradient_uses_the_same_mask) {
  nn::DropoutLayer<double> d(nn::Dropout(0.5));
  d.set_random_stream(nn::Random(8));
  const V x(Array(xt::ones<double>({4, 5})), true);
  const V y = d.forward(x);
  ad::backward(ad::sum(y));
  test::check_close(x.grad().value(), y.value());  // d y / d x = mask, and x = 1
}

BOOST_AUTO_TEST_CASE(activations_and_flatten) {
  nn::ActivationLayer<double> softmax(nn::Activation("softmax"));
  const V p = softmax.forward(V(Array{{1.0, 2.0, 3.0}}));
  BOOST_TEST(xt::sum(p.value())() == 1.0, tt::tolerance(1e-14));
  nn::ActivationLayer<double> leaky(nn::Activation("leaky_relu"));
  test::check_close(leaky.forward(V(Array{-1.0, 2.0})).value(), Array{-0.2, 2.0});
  for (const char* name : {"linear", "relu", "elu", "sigmoid", "tanh", "softplus"}) {
    BOOST_CHECK_NO_THROW(nn::ActivationLayer<double>(nn::Activation(name)).forward(V(Array{0.5})));
  }
  nn::FlattenLayer<double> flat({});
  BOOST_TEST(flat.output_shape({3, 4}) == ad::Shape{12});
  BOOST_TEST(flat.forward(V(Array(xt::zeros<double>({2, 3, 4})))).shape() == (ad::Var<double>::Array::shape_type{2, 12}));
}

BOOST_AUTO_TEST_CASE(dropout_rate_errors_name_the_value) {
  // std::to_string printed -1e-09 as "-0.000000" and 1.0000001 as "1.000000".
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<double, std::string>> bad{{-1e-9, "-1e-09"},
                                                        {1.0000001, "1.0000001"},
                                                        {std::numeric_limits<double>::quiet_NaN(), "nan"},
                                                        {inf, "inf"},
                                                        {-inf, "-inf"}};
  for (const auto& [rate, text] : bad) {
    BOOST_CHECK_EXCEPTION(nn::DropoutLayer<double>(nn::Dropout(rate)), std::invalid_argument,
                          test::message_has<std::invalid_argument>({"Dropout: rate must be in [0, 1), got " + text}));
  }
}
