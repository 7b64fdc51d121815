// Higher-order gradients: backward formulas are tape ops, so grad(..., create_graph) returns Vars
// that are themselves differentiable, to any order.
#define BOOST_TEST_MODULE higher_order
#include <boost/test/unit_test.hpp>

#include <cmath>

#include <xtensor/xadapt.hpp>

#include "common/check.hpp"

using test::Array;
using test::Inputs;
using test::V;

namespace {
}  // namespace

BOOST_AUTO_TEST_CASE(derivatives_of_x_to_the_fourth_up_to_fourth_order) {
  V x(Array{1.5, -2.0}, true);
  V y = ad::sum(ad::pow(x, 4.0));
  V d1 = ad::grad(y, {x}, {.create_graph = true})[0];           // 4x^3
  V d2 = ad::grad(ad::sum(d1), {x}, {.create_graph = true})[0];  // 12x^2
  V d3 = ad::grad(ad::sum(d2), {x}, {.create_graph = true})[0];  // 24x
  V d4 = ad::grad(ad::sum(d3), {x})[0];                          // 24
  test::check_close(d1.value(), Array{4 * std::pow(1.5, 3), 4 * std::pow(-2.0, 3)}, 1e-12, 1e-12);
  test::check_close(d2.value(), Array{12 * 1.5 * 1.5, 12 * 4.0}, 1e-12, 1e-12);
  test::check_close(d3.value(), Array{24 * 1.5, -48.0}, 1e-12, 1e-12);
  test::check_close(d4.value(), Array{24.0, 24.0}, 1e-12, 1e-12);
}

BOOST_AUTO_TEST_CASE(hessian_vector_product_of_a_quadratic) {
  // f = 0.5 x^T A x with symmetric A: Hv = A v.
  const Array A{{2.0, 1.0, 0.0}, {1.0, 3.0, -1.0}, {0.0, -1.0, 4.0}};
  V x(test::column({0.3, -0.2, 0.7}), true);
  V Av(A);
  V f = 0.5 * ad::sum(x * ad::matmul(Av, x));
  V g = ad::grad(f, {x}, {.create_graph = true})[0];
  const V v(test::column({1.0, 2.0, -1.0}));
  V hv = ad::grad(ad::sum(g * v), {x})[0];
  test::check_close(hv.value(), test::column({4.0, 8.0, -6.0}), 1e-12, 1e-12);
}

BOOST_AUTO_TEST_CASE(gradient_penalty_is_an_ordinary_node) {
  // penalty(W) = lambda * sum(grad_x loss(W, x)^2): its gradient with respect to W goes through
  // the backward pass of loss. Checked against central differences.
  const Array x0 = test::random_array({2, 3}, 11);
  auto penalty = [x0](const Inputs& in) {
    V x(x0, true);
    V loss = ad::sum(ad::tanh(ad::matmul(x, in[0])) + ad::square(ad::matmul(x, in[0])) * 0.1);
    V gx = ad::grad(loss, {x}, {.create_graph = true})[0];
    return 0.5 * ad::sum(ad::square(gx));
  };
  const auto r = ad::gradcheck(penalty, {test::random_array({3, 2}, 12)}, test::tolerances);
  BOOST_TEST(r.ok, r.message);
}

BOOST_AUTO_TEST_CASE(gradient_penalty_trains) {
  // Minimizing ||d loss / d x||^2 over W by gradient descent drives it down.
  V W(test::random_array({3, 2}, 13), true);
  const Array x0 = test::random_array({4, 3}, 14);
  auto penalty = [&] {
    V x(x0, true);
    V loss = ad::sum(ad::tanh(ad::matmul(x, W)));
    V gx = ad::grad(loss, {x}, {.create_graph = true})[0];
    return ad::mean(ad::square(gx));
  };
  const double start = penalty().item();
  for (int step = 0; step < 50; ++step) {
    V p = penalty();
    W.zero_grad();
    ad::backward(p);
    ad::NoGradGuard no_grad;
    W.mutable_value() -= 0.5 * W.grad().value();
  }
  const double end = penalty().item();
  BOOST_TEST(end < 0.5 * start, "penalty went from " << start << " to " << end);
}

BOOST_AUTO_TEST_CASE(backward_with_create_graph_makes_grad_differentiable) {
  V x(Array{0.5, 1.0}, true);
  ad::backward(ad::sum(ad::exp(x) * x), {.create_graph = true});
  V gx = x.grad();  // (1 + x) e^x, on the tape
  BOOST_TEST(gx.requires_grad());
  x.zero_grad();
  ad::backward(ad::sum(gx));  // d/dx (1 + x) e^x = (2 + x) e^x
  test::check_close(x.grad().value(), Array{2.5 * std::exp(0.5), 3.0 * std::exp(1.0)}, 1e-12, 1e-12);
}

BOOST_AUTO_TEST_CASE(without_create_graph_the_backward_records_nothing) {
  ad::compact_tape<double>();
  V x(test::random_array({4, 4}, 15), true);
  V y = ad::sum(ad::softmax(ad::matmul(x, x)) * ad::relu(x));
  const auto before = ad::tape_stats<double>().records;
  BOOST_TEST(before > 0u);
  ad::backward(y);
  BOOST_TEST(!x.grad().requires_grad());
  BOOST_TEST(ad::tape_stats<double>().records == 0u);
}

BOOST_AUTO_TEST_CASE(second_derivatives_of_activations_by_value) {
  V x(Array{0.7, -1.3}, true);
  auto second = [&](V y) {
    V g = ad::grad(ad::sum(y), {x}, {.create_graph = true})[0];
    return ad::grad(ad::sum(g), {x})[0].value();
  };
  const double a = 0.7, b = -1.3;
  auto s = [](double v) { return 1 / (1 + std::exp(-v)); };
  test::check_close(second(ad::sigmoid(x)), Array{s(a) * (1 - s(a)) * (1 - 2 * s(a)), s(b) * (1 - s(b)) * (1 - 2 * s(b))},
                    1e-12, 1e-10);
  test::check_close(second(ad::tanh(x)),
                    Array{-2 * std::tanh(a) * (1 - std::tanh(a) * std::tanh(a)),
                          -2 * std::tanh(b) * (1 - std::tanh(b) * std::tanh(b))},
                    1e-12, 1e-10);
  test::check_close(second(ad::relu(x)), Array{0.0, 0.0});
  test::check_close(second(ad::abs(x)), Array{0.0, 0.0});
  test::check_close(second(ad::elu(x)), Array{0.0, std::exp(b)}, 1e-12, 1e-10);
}
