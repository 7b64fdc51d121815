#define BOOST_TEST_MODULE activations
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace {

using test::Array;
using test::Inputs;
using test::V;

double sigmoid_ref(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

bool all_finite(const Array& a) {
  for (double e : a) {
    if (!std::isfinite(e)) return false;
  }
  return true;
}

}  // namespace

// ---- relu, leaky_relu ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(relu_gradients_and_values) {
  const Array x = test::random_array({3, 4}, 1);  // |x| >= 0.1
  const auto f = [](const Inputs& in) { return ad::relu(in[0]); };
  CHECK_GRADIENTS(f, x);
  const auto g = [](const Inputs& in) { return ad::relu(in[0]) * ad::relu(in[1]) + ad::square(ad::relu(in[0])); };
  CHECK_GRADIENTS(g, x, test::random_array({3, 4}, 2));
  test::check_close(ad::relu(V(x)).value(), test::map(x, [](double e) { return e > 0 ? e : 0.0; }));
  test::check_close(ad::relu(V(Array{-2, 0, 3})).value(), Array{0, 0, 3});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::relu(v); }, x),
                    test::map(x, [](double e) { return e > 0 ? 1.0 : 0.0; }));
}

BOOST_AUTO_TEST_CASE(relu_gradient_at_zero_is_zero) {
  test::check_close(test::grad_of_sum([](const V& v) { return ad::relu(v); }, Array{-1, 0, 2, -0.0}), Array{0, 0, 1, 0});
  V x(Array{{0, 1}, {-1, 0}}, true);
  const auto gs = ad::grad(ad::sum(ad::relu(x) * 4.0), {x});
  test::check_close(gs[0].value(), Array{{0, 4}, {0, 0}});
}

BOOST_AUTO_TEST_CASE(leaky_relu_gradients_and_values) {
  const Array x = test::random_array({3, 4}, 10);
  const auto f_default = [](const Inputs& in) { return ad::leaky_relu(in[0]); };
  const auto f_custom = [](const Inputs& in) { return ad::leaky_relu(in[0], 0.2); };
  CHECK_GRADIENTS(f_default, x);
  CHECK_GRADIENTS(f_custom, x);
  const auto g = [](const Inputs& in) { return ad::leaky_relu(in[0], 0.3) * in[1]; };
  CHECK_GRADIENTS(g, x, test::random_array({3, 4}, 11));

  test::check_close(ad::leaky_relu(V(x)).value(), test::map(x, [](double e) { return e > 0 ? e : 0.01 * e; }));
  test::check_close(ad::leaky_relu(V(x), 0.2).value(), test::map(x, [](double e) { return e > 0 ? e : 0.2 * e; }));
  test::check_close(ad::leaky_relu(V(Array{-2, 0, 3})).value(), Array{-0.02, 0, 3});
  test::check_close(ad::leaky_relu(V(Array{-2, 0, 3}), 0.5).value(), Array{-1, 0, 3});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::leaky_relu(v); }, x),
                    test::map(x, [](double e) { return e > 0 ? 1.0 : 0.01; }));
  test::check_close(test::grad_of_sum([](const V& v) { return ad::leaky_relu(v, 0.2); }, x),
                    test::map(x, [](double e) { return e > 0 ? 1.0 : 0.2; }));
}

BOOST_AUTO_TEST_CASE(leaky_relu_gradient_at_zero_is_slope) {
  test::check_close(test::grad_of_sum([](const V& v) { return ad::leaky_relu(v); }, Array{-1, 0, 2}), Array{0.01, 0.01, 1});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::leaky_relu(v, 0.25); }, Array{-1, 0, 2}),
                    Array{0.25, 0.25, 1});
  V x(Array{0.0}, true);
  const auto gs = ad::grad(ad::sum(ad::leaky_relu(x, 0.1) * 3.0), {x});
  test::check_close(gs[0].value(), Array{0.3}, 1e-15, 1e-15);
}

// ---- elu -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(elu_gradients_and_values) {
  const Array x = test::random_array({3, 4}, 20);  // away from 0
  for (double alpha : {1.0, 0.5}) {
    BOOST_TEST_CONTEXT("alpha " << alpha) {
      const auto f = [alpha](const Inputs& in) { return ad::elu(in[0], alpha); };
      CHECK_GRADIENTS(f, x);
      const auto g = [alpha](const Inputs& in) { return ad::elu(in[0] * in[1], alpha) * in[1]; };
      CHECK_GRADIENTS(g, x, test::random_array({3, 4}, 21));
      test::check_close(ad::elu(V(x), alpha).value(),
                        test::map(x, [alpha](double e) { return e > 0 ? e : alpha * (std::exp(e) - 1); }), 1e-15, 1e-14);
      test::check_close(test::grad_of_sum([alpha](const V& v) { return ad::elu(v, alpha); }, x),
                        test::map(x, [alpha](double e) { return e > 0 ? 1.0 : alpha * std::exp(e); }), 1e-15, 1e-14);
    }
  }
  // The default alpha is 1.
  const auto f_default = [](const Inputs& in) { return ad::elu(in[0]); };
  CHECK_GRADIENTS(f_default, x);
  test::check_close(ad::elu(V(x)).value(), ad::elu(V(x), 1.0).value());
  test::check_close(ad::elu(V(Array{-1, 0, 2}), 0.5).value(), Array{0.5 * (std::exp(-1.0) - 1), 0, 2});
  // With alpha = 1, elu is continuously differentiable at 0 with slope 1.
  test::check_close(test::grad_of_sum([](const V& v) { return ad::elu(v); }, Array{0.0}), Array{1.0});
  // Large positive inputs: exp overflows in the unused branch only.
  test::check_close(ad::elu(V(Array{1000, -1000}), 0.5).value(), Array{1000, -0.5});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::elu(v, 0.5); }, Array{1000, -1000}), Array{1, 0});
}

// ---- sigmoid, tanh, softplus -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(smooth_activation_gradients) {
  const Array x = test::random_array({3, 4}, 30, -3, 3, 0);
  const Array y = test::random_array({3, 4}, 31, -3, 3, 0);
  const auto sig = [](const Inputs& in) { return ad::sigmoid(in[0]); };
  const auto th = [](const Inputs& in) { return ad::tanh(in[0]); };
  const auto sp = [](const Inputs& in) { return ad::softplus(in[0]); };
  CHECK_GRADIENTS(sig, x);
  CHECK_GRADIENTS(th, x);
  CHECK_GRADIENTS(sp, x);
  // Composed, so second derivatives go through the saved outputs of sigmoid and tanh.
  const auto mixed = [](const Inputs& in) {
    return ad::sigmoid(in[0] * in[1]) * ad::tanh(in[1]) + ad::softplus(ad::tanh(in[0]) - in[1]);
  };
  CHECK_GRADIENTS(mixed, x, y);
  const auto scalar_out = [](const Inputs& in) { return ad::sum(ad::square(ad::sigmoid(in[0])) * ad::tanh(in[0])); };
  CHECK_GRADIENTS(scalar_out, x);
}

BOOST_AUTO_TEST_CASE(smooth_activation_values) {
  const Array x = test::random_array({3, 4}, 40, -5, 5, 0);
  test::check_close(ad::sigmoid(V(x)).value(), test::map(x, sigmoid_ref), 1e-15, 1e-14);
  test::check_close(ad::tanh(V(x)).value(), test::map(x, [](double e) { return std::tanh(e); }), 1e-15, 1e-14);
  test::check_close(ad::softplus(V(x)).value(), test::map(x, [](double e) { return std::log1p(std::exp(e)); }), 1e-15,
                    1e-14);
  test::check_close(ad::sigmoid(V(Array{0.0})).value(), Array{0.5});
  test::check_close(ad::tanh(V(Array{0.0})).value(), Array{0.0});
  test::check_close(ad::softplus(V(Array{0.0})).value(), Array{std::log(2.0)}, 1e-15, 1e-15);
  test::check_close(ad::softplus(V(Array{30.0, -30.0})).value(),
                    Array{30.0 + std::exp(-30.0), std::log1p(std::exp(-30.0))}, 1e-300, 1e-14);

  // Derivatives by value: s(1 - s), 1 - tanh^2, and sigmoid for softplus.
  test::check_close(test::grad_of_sum([](const V& v) { return ad::sigmoid(v); }, x),
                    test::map(x, [](double e) { return sigmoid_ref(e) * (1 - sigmoid_ref(e)); }), 1e-15, 1e-13);
  test::check_close(test::grad_of_sum([](const V& v) { return ad::tanh(v); }, x),
                    test::map(x, [](double e) { return 1 - std::tanh(e) * std::tanh(e); }), 1e-15, 1e-12);
  test::check_close(test::grad_of_sum([](const V& v) { return ad::softplus(v); }, x), test::map(x, sigmoid_ref), 1e-15, 1e-14);
}

// ---- numerical stability at +-1000 ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(saturating_activations_are_stable_double) {
  // Anomaly detection makes every op output and every gradient computed on the way throw on
  // NaN or Inf, so intermediate overflow would fail the test too.
  const ad::DetectAnomalyGuard anomaly;
  const Array x{1000, -1000};

  const V s = ad::sigmoid(V(x));
  test::check_close(s.value(), Array{1, 0});
  const V t = ad::tanh(V(x));
  test::check_close(t.value(), Array{1, -1});
  const V p = ad::softplus(V(x));
  BOOST_TEST(p.value()(0) == 1000.0);
  BOOST_TEST(p.value()(1) >= 0.0);
  BOOST_TEST(p.value()(1) < 1e-300);

  struct Case {
    std::string name;
    std::function<V(const V&)> f;
    Array grad;  // d/dx at (1000, -1000)
  };
  const std::vector<Case> cases = {
      {"sigmoid", [](const V& v) { return ad::sigmoid(v); }, Array{0, 0}},
      {"tanh", [](const V& v) { return ad::tanh(v); }, Array{0, 0}},
      {"softplus", [](const V& v) { return ad::softplus(v); }, Array{1, 0}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      V leaf(x, true);
      const V y = c.f(leaf);
      BOOST_TEST(all_finite(y.value()));
      // First and second derivatives, the latter through a recorded backward pass.
      const auto g = ad::grad(ad::sum(y), {leaf}, {.create_graph = true});
      BOOST_TEST(all_finite(g[0].value()));
      test::check_close(g[0].value(), c.grad, 1e-300, 0);
      const auto gg = ad::grad(ad::sum(g[0]), {leaf}, {.allow_unused = true});
      BOOST_TEST(all_finite(gg[0].value()));
      test::check_close(gg[0].value(), Array{0, 0}, 1e-300, 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(saturating_activations_are_stable_float) {
  using VF = ad::Var<float>;
  using AF = xt::xarray<float>;
  const ad::DetectAnomalyGuard anomaly;
  const AF x{1000.0f, -1000.0f, 100.0f, -100.0f};

  VF a(x, true);
  const VF s = ad::sigmoid(a);
  const VF t = ad::tanh(a);
  const VF p = ad::softplus(a);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool pos = x(i) > 0;
    BOOST_TEST(s.value()(i) == (pos ? 1.0f : 0.0f), boost::test_tools::tolerance(1e-6f));
    BOOST_TEST(t.value()(i) == (pos ? 1.0f : -1.0f));
    BOOST_TEST(std::isfinite(p.value()(i)));
    if (pos) {
      BOOST_TEST(p.value()(i) == x(i));
    } else {
      BOOST_TEST(p.value()(i) >= 0.0f);
      BOOST_TEST(p.value()(i) < 1e-30f);
    }
  }
  ad::backward(ad::sum(s) + ad::sum(t) + ad::sum(p));
  BOOST_REQUIRE(a.grad().defined());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float g = a.grad().value()(i);
    BOOST_TEST(std::isfinite(g));
    // sigmoid' + tanh' ~ 0 at saturation; softplus' = sigmoid = 1 or 0.
    BOOST_TEST(g == (x(i) > 0 ? 1.0f : 0.0f), boost::test_tools::tolerance(1e-6f));
  }
}

BOOST_AUTO_TEST_CASE(activations_on_a_scalar_and_broadcast_gradients) {
  // 0-d inputs and an upstream gradient that reaches the op through a broadcast.
  V s = V::scalar(0.3, true);
  const V m(Array{{1, 2}, {3, 4}});
  const auto gs = ad::grad(ad::sum(ad::tanh(s) * m + ad::sigmoid(s) + ad::relu(s) + ad::elu(s)), {s});
  const double th = std::tanh(0.3), sg = sigmoid_ref(0.3);
  BOOST_TEST(gs[0].dim() == 0u);
  BOOST_TEST(gs[0].item() == (1 - th * th) * 10 + 4 * sg * (1 - sg) + 4 + 4, boost::test_tools::tolerance(1e-12));
}

// ---- ad::Activation: names resolved once, applied by ad::activate -------------------------------

BOOST_AUTO_TEST_CASE(activation_values_round_trip_their_names_and_apply_the_keras_functions) {
  const V x(Array{-2.0, -0.5, 0.5, 2.0});
  const std::vector<std::pair<std::string, std::function<V(const V&)>>> expected{
      {"linear", [](const V& v) { return v; }},
      {"relu", [](const V& v) { return ad::relu(v); }},
      {"leaky_relu", [](const V& v) { return ad::leaky_relu(v, 0.2); }},
      {"elu", [](const V& v) { return ad::elu(v, 1.0); }},
      {"sigmoid", [](const V& v) { return ad::sigmoid(v); }},
      {"tanh", [](const V& v) { return ad::tanh(v); }},
      {"softplus", [](const V& v) { return ad::softplus(v); }},
      {"softmax", [](const V& v) { return ad::softmax(v, -1); }}};
  for (const auto& [name, f] : expected) {
    BOOST_TEST_CONTEXT(name) {
      const ad::Activation a = ad::activation_from_name(name);
      BOOST_TEST(ad::activation_name(a) == name);
      test::check_close(ad::activate(x, a).value(), f(x).value(), 0, 0);
    }
  }
  test::check_error<ad::ValueError>([] { ad::activation_from_name("swish", "Dense"); },
                                    {"Dense", "unknown activation 'swish'", "softmax"});
}
