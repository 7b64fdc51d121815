#define BOOST_TEST_MODULE activations
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <array>
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

// ---- gelu, silu, softsign, log_sigmoid ---------------------------------------------------------

namespace {

struct NewActivation {
  std::string name;
  std::function<V(const V&)> op;
  std::vector<double> value, grad;  // at torch_points, from torch 1.13 (float64)
};

// torch 1.13, float64: f(x) and d/dx f(x).sum() at these points, printed with 17 digits.
const Array torch_points{-3.0, -0.5, 0.0, 0.7, 2.5};

std::vector<NewActivation> new_activations() {
  return {
      {"gelu", [](const V& v) { return ad::gelu(v); },
       {-0.00404969409489031, -0.15426876936299344, 0.0, 0.5306254434438489, 2.4844758366855597},
       {-0.01194564720418392, 0.13250487534383712, 0.5, 0.9766141011336599, 1.037611085908145}},
      {"gelu_tanh", [](const V& v) { return ad::gelu(v, true); },
       {-0.0036373920817729943, -0.15428599017485606, 0.0, 0.5305701347051167, 2.484915733910001},
       {-0.011584166630969648, 0.13263009646535764, 0.5, 0.976357218656104, 1.037951576212666}},
      {"silu", [](const V& v) { return ad::silu(v); },
       {-0.14227761953270035, -0.1887703343990727, 0.0, 0.46773144051771626, 2.3103545499468914},
       {-0.08810410601516962, 0.2600388126973482, 0.5, 0.8233867834733425, 1.0994011113415267}},
      {"softsign", [](const V& v) { return ad::softsign(v); },
       {-0.75, -0.3333333333333333, 0.0, 0.4117647058823529, 0.7142857142857143},
       {0.0625, 0.4444444444444444, 1.0, 0.34602076124567477, 0.08163265306122447}},
      {"log_sigmoid", [](const V& v) { return ad::log_sigmoid(v); },
       {-3.048587351573742, -0.9740769841801067, -0.6931471805599453, -0.4031860488854579, -0.07888973429254963},
       {0.9525741268224333, 0.6224593312018545, 0.5, 0.33181222783183395, 0.07585818002124356}},
  };
}

Array from(const std::vector<double>& v) {
  Array a = Array::from_shape({v.size()});
  std::copy(v.begin(), v.end(), a.begin());
  return a;
}

}  // namespace

BOOST_AUTO_TEST_CASE(new_activation_gradients) {
  // softsign has a kink of its second derivative at 0: its inputs stay away from it.
  const Array x = test::random_array({3, 4}, 50, -3, 3, 0.1);
  const Array y = test::random_array({3, 4}, 51, -3, 3, 0.1);
  for (const auto& a : new_activations()) {
    BOOST_TEST_CONTEXT(a.name) {
      const auto f = [op = a.op](const Inputs& in) { return op(in[0]); };
      CHECK_GRADIENTS(f, x);
      const auto g = [op = a.op](const Inputs& in) { return op(in[0] * in[1]) * ad::tanh(in[1]); };
      CHECK_GRADIENTS(g, x, y);
    }
  }
}

BOOST_AUTO_TEST_CASE(new_activation_values_match_torch_and_closed_forms) {
  for (const auto& a : new_activations()) {
    BOOST_TEST_CONTEXT(a.name) {
      test::check_close(a.op(V(torch_points)).value(), from(a.value), 1e-16, 1e-14);
      test::check_close(test::grad_of_sum(a.op, torch_points), from(a.grad), 1e-16, 1e-13);
    }
  }
  // Closed forms through std:: on random inputs.
  const Array x = test::random_array({3, 4}, 52, -6, 6, 0);
  const double k = std::sqrt(2 / 3.14159265358979323846);
  test::check_close(ad::gelu(V(x)).value(), test::map(x, [](double e) { return 0.5 * e * (1 + std::erf(e / std::sqrt(2.0))); }),
                    1e-15, 1e-13);
  test::check_close(ad::gelu(V(x), true).value(),
                    test::map(x, [k](double e) { return 0.5 * e * (1 + std::tanh(k * (e + 0.044715 * e * e * e))); }), 1e-15,
                    1e-13);
  test::check_close(ad::silu(V(x)).value(), test::map(x, [](double e) { return e * sigmoid_ref(e); }), 1e-15, 1e-14);
  test::check_close(ad::softsign(V(x)).value(), test::map(x, [](double e) { return e / (1 + std::abs(e)); }), 1e-15, 1e-15);
  test::check_close(ad::log_sigmoid(V(x)).value(), test::map(x, [](double e) { return std::log(sigmoid_ref(e)); }), 1e-15,
                    1e-13);
  test::check_close(test::grad_of_sum([](const V& v) { return ad::log_sigmoid(v); }, x),
                    test::map(x, [](double e) { return sigmoid_ref(-e); }), 1e-15, 1e-13);
}

BOOST_AUTO_TEST_CASE(new_activations_float_forward_matches_double) {
  const Array x = test::random_array({4, 5}, 53, -6, 6, 0.05);
  const xt::xarray<float> xf = xt::cast<float>(x);
  const Array xd = xt::cast<double>(xf);
  const auto both = [&](const std::string& name, const auto& op) {
    BOOST_TEST_CONTEXT(name) {
      test::check_close(xt::cast<double>(op(ad::Var<float>(xf)).value()), op(V(xd)).value(), 1e-30, 1e-5);
    }
  };
  both("gelu", [](const auto& v) { return ad::gelu(v); });
  both("gelu_tanh", [](const auto& v) { return ad::gelu(v, true); });
  both("silu", [](const auto& v) { return ad::silu(v); });
  both("softsign", [](const auto& v) { return ad::softsign(v); });
  both("log_sigmoid", [](const auto& v) { return ad::log_sigmoid(v); });
}

namespace {

// f at (1e4, -1e4) in T, with its gradient: all finite, and equal to the expected values (the
// limits, which torch 1.13 returns too).
template <class T, class F>
void check_stable_at_1e4(const std::string& name, F f, std::array<double, 2> value, std::array<double, 2> grad) {
  BOOST_TEST_CONTEXT(name << (sizeof(T) == 4 ? " float" : " double")) {
    const ad::DetectAnomalyGuard anomaly;  // any NaN or Inf in an op's output or a gradient throws
    ad::Var<T> x(xt::xarray<T>{T(1e4), T(-1e4)}, true);
    const ad::Var<T> y = f(x);
    ad::backward(ad::sum(y));
    BOOST_REQUIRE(x.grad().defined());
    for (std::size_t i = 0; i < 2; ++i) {
      BOOST_TEST(std::abs(y.value()(i) - value[i]) <= 1e-6 * std::abs(value[i]) + 1e-30);
      BOOST_TEST(std::abs(x.grad().value()(i) - grad[i]) <= 1e-6);
    }
  }
}

template <class T>
void check_all_stable_at_1e4() {
  check_stable_at_1e4<T>("log_sigmoid", [](const auto& v) { return ad::log_sigmoid(v); }, {0, -1e4}, {0, 1});
  check_stable_at_1e4<T>("gelu", [](const auto& v) { return ad::gelu(v); }, {1e4, 0}, {1, 0});
  check_stable_at_1e4<T>("gelu_tanh", [](const auto& v) { return ad::gelu(v, true); }, {1e4, 0}, {1, 0});
  check_stable_at_1e4<T>("silu", [](const auto& v) { return ad::silu(v); }, {1e4, 0}, {1, 0});
  check_stable_at_1e4<T>("softplus", [](const auto& v) { return ad::softplus(v); }, {1e4, 0}, {1, 0});
  check_stable_at_1e4<T>("sigmoid", [](const auto& v) { return ad::sigmoid(v); }, {1, 0}, {0, 0});
  check_stable_at_1e4<T>("tanh", [](const auto& v) { return ad::tanh(v); }, {1, -1}, {0, 0});
  check_stable_at_1e4<T>("softsign", [](const auto& v) { return ad::softsign(v); }, {1 - 1 / 10001.0, -1 + 1 / 10001.0},
                         {1 / (10001.0 * 10001.0), 1 / (10001.0 * 10001.0)});
}

}  // namespace

BOOST_AUTO_TEST_CASE(log_sigmoid_and_gelu_are_stable_at_1e4) {
  check_all_stable_at_1e4<double>();
  check_all_stable_at_1e4<float>();
  // log_sigmoid(1e4) is -0 or a tiny negative number, never positive.
  BOOST_TEST(ad::log_sigmoid(V(Array{1e4})).value()(0) <= 0.0);
  BOOST_TEST(ad::log_sigmoid(ad::Var<float>(xt::xarray<float>{1e4f})).value()(0) <= 0.0f);
  // Second derivatives stay finite there too.
  for (const auto& a : new_activations()) {
    BOOST_TEST_CONTEXT(a.name) {
      V x(Array{1e4, -1e4}, true);
      const auto g = ad::grad(ad::sum(a.op(x)), {x}, {.create_graph = true});
      const auto gg = ad::grad(ad::sum(g[0]), {x}, {.allow_unused = true});
      BOOST_TEST(all_finite(g[0].value()));
      BOOST_TEST(all_finite(gg[0].value()));
    }
  }
}

// ---- NaN propagation ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(nan_reaches_the_output_of_every_activation) {
  const double nan = std::nan("");
  const V x(Array{nan, -1.5, 2.0});
  std::vector<std::pair<std::string, std::function<V(const V&)>>> ops{
      {"relu", [](const V& v) { return ad::relu(v); }},
      {"leaky_relu", [](const V& v) { return ad::leaky_relu(v); }},
      {"elu", [](const V& v) { return ad::elu(v); }},
      {"sigmoid", [](const V& v) { return ad::sigmoid(v); }},
      {"tanh", [](const V& v) { return ad::tanh(v); }},
      {"softplus", [](const V& v) { return ad::softplus(v); }},
  };
  for (const auto& a : new_activations()) ops.emplace_back(a.name, a.op);
  for (const auto& [name, op] : ops) {
    BOOST_TEST_CONTEXT(name) {
      const Array y = op(x).value();
      BOOST_TEST(std::isnan(y(0)));
      BOOST_TEST(!std::isnan(y(1)));
      BOOST_TEST(!std::isnan(y(2)));
    }
  }
  BOOST_TEST(ad::relu(x).value()(1) == 0.0);
  BOOST_TEST(ad::relu(x).value()(2) == 2.0);
  // The float relu keeps a NaN too (its loop is vectorized differently).
  const xt::xarray<float> xf = xt::xarray<float>{std::nanf(""), -1, 2, 3, 4, 5, 6, 7, std::nanf(""), -0.0f};
  const xt::xarray<float> rf = ad::relu(ad::Var<float>(xf)).value();
  BOOST_TEST(std::isnan(rf(0)));
  BOOST_TEST(std::isnan(rf(8)));
  BOOST_TEST(rf(1) == 0.0f);
  BOOST_TEST(!std::signbit(rf(9)));  // relu(-0) = +0
  // relu'(NaN) passes the gradient, leaky_relu'(NaN) = slope (torch 1.13 does the same).
  test::check_close(test::grad_of_sum([](const V& v) { return ad::relu(v); }, Array{nan, -1, 0}), Array{1, 0, 0});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::leaky_relu(v, 0.1); }, Array{nan, 2}), Array{0.1, 1});
}
