#define BOOST_TEST_MODULE optimizers
#include <boost/test/unit_test.hpp>

#include <nn/optimizers.hpp>
#include <nn/regularizers.hpp>
#include <autodiff/autodiff.hpp>
#include <xtensor/xadapt.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "common/check.hpp"

// Every update rule is checked against values worked out by hand for w0 = [1, -2] and the fixed
// gradient g = [0.5, -1]: the arithmetic is in the comments, the expected values are literal
// numbers or closed-form expressions of literal numbers (never the optimizer's own code).

namespace {

using Array = xt::xarray<double>;
using V = ad::Var<double>;
using P = nn::Parameter<double>;

// A leaf parameter holding `value` whose gradient is fixed to `grad`.
P param(const std::string& name, const Array& value, const Array& grad, double l1 = 0) {
  V v(value, true);
  v.set_grad(V(grad));
  return P{name, v, l1 > 0 ? nn::L1(l1) : nn::Regularizer()};
}

P standard_param() { return param("w", Array{1.0, -2.0}, Array{0.5, -1.0}); }

void check_close(const Array& actual, const std::vector<double>& expected, double tol = 1e-13) {
  BOOST_REQUIRE_EQUAL(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST(std::abs(actual.data()[i] - expected[i]) <= tol,
               "element " << i << ": got " << actual.data()[i] << ", expected " << expected[i]);
  }
}

template <class T>
const xt::xarray<T>& entry(const nn::NamedArrays<T>& state, const std::string& name) {
  for (const auto& [n, a] : state) {
    if (n == name) return a;
  }
  BOOST_FAIL("no state entry '" << name << "'");
  throw std::logic_error("unreachable");
}

std::vector<std::string> entry_names(const nn::NamedArrays<double>& state) {
  std::vector<std::string> names;
  for (const auto& [n, a] : state) names.push_back(n);
  return names;
}

bool bitwise_equal(const Array& a, const Array& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Two steps of `config` on the standard parameter; the values after each step.
std::pair<Array, Array> two_steps(const nn::OptimizerConfig& config, nn::Optimizer<double>* keep = nullptr) {
  nn::Optimizer<double> local(config);
  nn::Optimizer<double>& opt = keep ? *keep : local;
  P p = standard_param();
  opt.step({p});
  Array after_one = p.var.value();
  opt.step({p});
  return {after_one, p.var.value()};
}

}  // namespace

// ---- SGD ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sgd_plain) {
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.1});
  auto [w1, w2] = two_steps(opt.config(), &opt);
  // w1 = w0 - 0.1 g = [1 - 0.05, -2 + 0.1]; w2 = w1 - 0.1 g = [0.95 - 0.05, -1.9 + 0.1]
  check_close(w1, {0.95, -1.9});
  check_close(w2, {0.9, -1.8});
  BOOST_TEST(opt.iterations() == 2u);
  // Without momentum there is no per-parameter state.
  BOOST_TEST(entry_names(opt.state()) == std::vector<std::string>{"iterations"});
  BOOST_TEST(entry(opt.state(), "iterations").dimension() == 0u);
  BOOST_TEST(entry(opt.state(), "iterations")() == 2.0);
}

BOOST_AUTO_TEST_CASE(sgd_momentum) {
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.1, .momentum = 0.9});
  auto [w1, w2] = two_steps(opt.config(), &opt);
  // v1 = 0.9*0 - 0.1 g = [-0.05, 0.1];           w1 = w0 + v1 = [0.95, -1.9]
  // v2 = 0.9 v1 - 0.1 g = [-0.045 - 0.05, 0.09 + 0.1] = [-0.095, 0.19]
  // w2 = w1 + v2 = [0.95 - 0.095, -1.9 + 0.19] = [0.855, -1.71]
  check_close(w1, {0.95, -1.9});
  check_close(w2, {0.855, -1.71});
  check_close(entry(opt.state(), "w/velocity"), {-0.095, 0.19});
  BOOST_TEST((entry_names(opt.state()) == std::vector<std::string>{"iterations", "w/velocity"}));
}

BOOST_AUTO_TEST_CASE(sgd_nesterov) {
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
  auto [w1, w2] = two_steps(opt.config(), &opt);
  // v1 = [-0.05, 0.1];  w1 = w0 + 0.9 v1 - 0.1 g = [1 - 0.045 - 0.05, -2 + 0.09 + 0.1] = [0.905, -1.81]
  // v2 = [-0.095, 0.19]; w2 = w1 + 0.9 v2 - 0.1 g = [0.905 - 0.0855 - 0.05, -1.81 + 0.171 + 0.1]
  //                                              = [0.7695, -1.539]
  check_close(w1, {0.905, -1.81});
  check_close(w2, {0.7695, -1.539});
  check_close(entry(opt.state(), "w/velocity"), {-0.095, 0.19});
}

BOOST_AUTO_TEST_CASE(learning_rate_can_be_changed) {
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.1});
  BOOST_TEST(opt.learning_rate() == 0.1);
  opt.set_learning_rate(0.2);
  BOOST_TEST(opt.learning_rate() == 0.2);
  P p = standard_param();
  opt.step({p});
  check_close(p.var.value(), {0.9, -1.8});  // w0 - 0.2 g = [1 - 0.1, -2 + 0.2]
  BOOST_CHECK_THROW(opt.set_learning_rate(0.0), std::invalid_argument);
  BOOST_TEST(opt.learning_rate() == 0.2);
}

// ---- Adam / AdamW -------------------------------------------------------------------------------

// lr 0.1, β1 0.9, β2 0.999, ε 0.01 (large, so that where ε sits is visible).
//   t=1: m1 = 0.1 g = [0.05, -0.1];  v1 = 0.001 g² = [0.00025, 0.001]
//        α1 = 0.1·√(1 - 0.999)/(1 - 0.9) = √0.001
//        u1 = α1 m1/(√v1 + 0.01) = [√0.001·0.05/(√0.00025 + 0.01), √0.001·(-0.1)/(√0.001 + 0.01)]
//   t=2: m2 = 0.9 m1 + 0.1 g = [0.045 + 0.05, -0.09 - 0.1] = [0.095, -0.19]
//        v2 = 0.999 v1 + 0.001 g² = [0.00024975 + 0.00025, 0.000999 + 0.001] = [0.00049975, 0.001999]
//        α2 = 0.1·√(1 - 0.999²)/(1 - 0.9²) = 0.1·√0.001999/0.19
//        u2 = α2 m2/(√v2 + 0.01)
const double u1_0 = std::sqrt(0.001) * 0.05 / (std::sqrt(0.00025) + 0.01);
const double u1_1 = std::sqrt(0.001) * -0.1 / (std::sqrt(0.001) + 0.01);
const double alpha2 = 0.1 * std::sqrt(0.001999) / 0.19;
const double u2_0 = alpha2 * 0.095 / (std::sqrt(0.00049975) + 0.01);
const double u2_1 = alpha2 * -0.19 / (std::sqrt(0.001999) + 0.01);

BOOST_AUTO_TEST_CASE(adam) {
  nn::Optimizer<double> opt(nn::Adam{.learning_rate = 0.1, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 0.01});
  auto [w1, w2] = two_steps(opt.config(), &opt);
  check_close(w1, {1 - u1_0, -2 - u1_1});
  check_close(w2, {1 - u1_0 - u2_0, -2 - u1_1 - u2_1});
  check_close(entry(opt.state(), "w/m"), {0.095, -0.19});
  check_close(entry(opt.state(), "w/v"), {0.00049975, 0.001999}, 1e-17);
  // PyTorch's form (ε added to √v̂ after bias correction) would give, at t=1,
  // 0.1·m̂/(√v̂ + ε) = 0.1·0.5/(0.5 + 0.01) = 0.0980..., against Keras's u1_0 = 0.0613...
  const double pytorch_u1_0 = 0.1 * 0.5 / (0.5 + 0.01);
  BOOST_TEST(std::abs(pytorch_u1_0 - u1_0) > 0.03);
  BOOST_TEST(std::abs(u1_0 - 0.0612574) < 1e-6);
}

BOOST_AUTO_TEST_CASE(adamw) {
  nn::Optimizer<double> opt(
      nn::AdamW{.learning_rate = 0.1, .weight_decay = 0.1, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 0.01});
  auto [w1, w2] = two_steps(opt.config(), &opt);
  // Decay first: w ← w - 0.1·0.1·w = 0.99 w; then the same Adam steps as above (m and v depend
  // only on the fixed gradient): w1 = 0.99 w0 - u1, w2 = 0.99 w1 - u2.
  const double w1_0 = 0.99 * 1 - u1_0, w1_1 = 0.99 * -2 - u1_1;
  check_close(w1, {w1_0, w1_1});
  check_close(w2, {0.99 * w1_0 - u2_0, 0.99 * w1_1 - u2_1});
  BOOST_TEST((entry_names(opt.state()) == std::vector<std::string>{"iterations", "w/m", "w/v"}));
}

BOOST_AUTO_TEST_CASE(adamw_is_not_adam_with_l2) {
  // Loss Σ g·w + (wd/2)·Σw² puts wd·w into the gradient (the L2 way); AdamW decays instead.
  const double wd = 0.1;
  V w_l2(Array{1.0, -2.0}, true);
  ad::backward(ad::sum(V(Array{0.5, -1.0}) * w_l2) + 0.5 * wd * ad::sum(ad::square(w_l2)));
  check_close(w_l2.grad().value(), {0.6, -1.2});  // g + wd·w0 = [0.5 + 0.1, -1 - 0.2]
  nn::Optimizer<double> adam(nn::Adam{.learning_rate = 0.1});  // ε = 1e-7
  adam.step({P{"w", w_l2}});

  nn::Optimizer<double> adamw(nn::AdamW{.learning_rate = 0.1, .weight_decay = wd});
  P p = standard_param();
  adamw.step({p});

  // Adam's first step is lr·g/(|g| + ε/√0.001) ≈ lr·sign(g): the L2 term only changed |g|, which
  // the adaptive scaling divides out: w ≈ w0 - 0.1·sign(g + wd·w0) = [0.9, -1.9].
  check_close(w_l2.value(), {0.9, -1.9}, 1e-5);
  // AdamW shrinks by lr·wd·w outside that scaling: w ≈ 0.99 w0 - 0.1·sign(g) = [0.89, -1.88].
  check_close(p.var.value(), {0.89, -1.88}, 1e-5);
  // They differ by lr·wd·w0 = [0.01, -0.02].
  check_close(w_l2.value() - p.var.value(), {0.01, -0.02}, 1e-5);
}

// ---- RMSprop ------------------------------------------------------------------------------------

// lr 0.1, ρ 0.9, ε 0.01.
//   v1 = 0.1 g² = [0.025, 0.1];  v2 = 0.9 v1 + 0.1 g² = [0.0225 + 0.025, 0.09 + 0.1] = [0.0475, 0.19]
//   increment = 0.1·g/√(denominator) = [0.05/√d0, -0.1/√d1]

BOOST_AUTO_TEST_CASE(rmsprop_plain) {
  nn::Optimizer<double> opt(nn::RMSprop{.learning_rate = 0.1, .rho = 0.9, .epsilon = 0.01});
  auto [w1, w2] = two_steps(opt.config(), &opt);
  // d1 = v1 + 0.01 = [0.035, 0.11];  d2 = v2 + 0.01 = [0.0575, 0.2]
  const double w1_0 = 1 - 0.05 / std::sqrt(0.035), w1_1 = -2 + 0.1 / std::sqrt(0.11);
  check_close(w1, {w1_0, w1_1});
  check_close(w2, {w1_0 - 0.05 / std::sqrt(0.0575), w1_1 + 0.1 / std::sqrt(0.2)});
  check_close(entry(opt.state(), "w/velocity"), {0.0475, 0.19}, 1e-16);
  BOOST_TEST((entry_names(opt.state()) == std::vector<std::string>{"iterations", "w/velocity"}));
}

BOOST_AUTO_TEST_CASE(rmsprop_centered) {
  nn::Optimizer<double> opt(nn::RMSprop{.learning_rate = 0.1, .rho = 0.9, .epsilon = 0.01, .centered = true});
  auto [w1, w2] = two_steps(opt.config(), &opt);
  // a1 = 0.1 g = [0.05, -0.1];  d1 = v1 - a1² + 0.01 = [0.025 - 0.0025 + 0.01, 0.1 - 0.01 + 0.01]
  //                                                 = [0.0325, 0.1]
  // a2 = 0.9 a1 + 0.1 g = [0.095, -0.19];  d2 = v2 - a2² + 0.01 = [0.0475 - 0.009025 + 0.01,
  //                                                               0.19 - 0.0361 + 0.01]
  //                                                             = [0.048475, 0.1639]
  const double w1_0 = 1 - 0.05 / std::sqrt(0.0325), w1_1 = -2 + 0.1 / std::sqrt(0.1);
  check_close(w1, {w1_0, w1_1});
  check_close(w2, {w1_0 - 0.05 / std::sqrt(0.048475), w1_1 + 0.1 / std::sqrt(0.1639)});
  check_close(entry(opt.state(), "w/average_gradient"), {0.095, -0.19});
  BOOST_TEST((entry_names(opt.state()) == std::vector<std::string>{"iterations", "w/velocity", "w/average_gradient"}));
}

BOOST_AUTO_TEST_CASE(rmsprop_momentum) {
  nn::Optimizer<double> opt(nn::RMSprop{.learning_rate = 0.1, .rho = 0.9, .momentum = 0.5, .epsilon = 0.01});
  auto [w1, w2] = two_steps(opt.config(), &opt);
  // i1 = [0.05/√0.035, -0.1/√0.11], i2 = [0.05/√0.0575, -0.1/√0.2] (the plain increments)
  // mom1 = i1, w1 = w0 - i1;  mom2 = 0.5 i1 + i2, w2 = w1 - mom2 = w0 - 1.5 i1 - i2
  const double i1_0 = 0.05 / std::sqrt(0.035), i1_1 = -0.1 / std::sqrt(0.11);
  const double i2_0 = 0.05 / std::sqrt(0.0575), i2_1 = -0.1 / std::sqrt(0.2);
  check_close(w1, {1 - i1_0, -2 - i1_1});
  check_close(w2, {1 - 1.5 * i1_0 - i2_0, -2 - 1.5 * i1_1 - i2_1});
  check_close(entry(opt.state(), "w/momentum"), {0.5 * i1_0 + i2_0, 0.5 * i1_1 + i2_1});
  BOOST_TEST((entry_names(opt.state()) == std::vector<std::string>{"iterations", "w/velocity", "w/momentum"}));
}

// ---- Adagrad ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(adagrad) {
  nn::Optimizer<double> opt(nn::Adagrad{.learning_rate = 0.1, .initial_accumulator_value = 0.1, .epsilon = 0.01});
  auto [w1, w2] = two_steps(opt.config(), &opt);
  // acc1 = 0.1 + g² = [0.35, 1.1];  w1 = w0 - 0.1 g/√(acc1 + 0.01) = [1 - 0.05/√0.36, -2 + 0.1/√1.11]
  //                                                                = [1 - 0.05/0.6, -2 + 0.1/√1.11]
  // acc2 = acc1 + g² = [0.6, 2.1];  w2 = w1 - [0.05/√0.61, -0.1/√2.11]
  const double w1_0 = 1 - 0.05 / 0.6, w1_1 = -2 + 0.1 / std::sqrt(1.11);
  check_close(w1, {w1_0, w1_1});
  check_close(w2, {w1_0 - 0.05 / std::sqrt(0.61), w1_1 + 0.1 / std::sqrt(2.11)});
  check_close(entry(opt.state(), "w/accumulator"), {0.6, 2.1}, 1e-15);
}

// ---- proximal L1 --------------------------------------------------------------------------------

namespace {

struct Lasso {
  Array X{{1.0, 1.0, 1.0, 1.0}, {1.0, -1.0, 1.0, -1.0}, {1.0, 1.0, -1.0, -1.0}, {1.0, -1.0, -1.0, 1.0}};
  Array y = test::column({0.25, 3.85, 3.15, 0.75});
  double lambda = 0.5;
  std::vector<double> w_star{1.5, 0.0, 0.0, -1.0};

  // Runs `steps` steps of `config`; with `subgradient` the L1 term is in the loss instead.
  Array solve(const nn::OptimizerConfig& config, int steps, bool subgradient = false) const {
    nn::Optimizer<double> opt(config);
    V w(test::column({0.5, 0.7, -0.4, 0.2}), true);
    const V Xv(X), yv(y);
    for (int s = 0; s < steps; ++s) {
      w.zero_grad();
      // 0.5·mean over the n = 4 residuals of r² = (1/2n)‖Xw − y‖²
      V loss = 0.5 * ad::mean(ad::square(ad::matmul(Xv, w) - yv));
      if (subgradient) loss = loss + lambda * ad::sum(ad::abs(w));
      ad::backward(loss);
      opt.step({P{"w", w, nn::L1(lambda)}});
    }
    return w.value();
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(lasso_problem_is_what_the_comment_says) {
  Lasso l;
  // XᵀX = nI and z = Xᵀy/n, by explicit sums.
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      double s = 0;
      for (int r = 0; r < 4; ++r) s += l.X(r, i) * l.X(r, j);
      BOOST_TEST(s == (i == j ? 4.0 : 0.0));
    }
  }
  const std::vector<double> z{2.0, -0.3, 0.05, -1.5};
  for (int i = 0; i < 4; ++i) {
    double s = 0;
    for (int r = 0; r < 4; ++r) s += l.X(r, i) * l.y(r, 0);
    BOOST_TEST(std::abs(s / 4 - z[i]) < 1e-15);
  }
}

BOOST_AUTO_TEST_CASE(proximal_sgd_solves_the_lasso_with_exact_zeros) {
  Lasso l;
  nn::Optimizer<double> check(nn::SGD{.proximal_l1 = true});
  BOOST_TEST(check.proximal_l1());
  // lr 0.5: the smooth gradient is w − z, so each step halves the distance to the fixed point.
  const Array w = l.solve(nn::SGD{.learning_rate = 0.5, .proximal_l1 = true}, 100);
  check_close(w, l.w_star, 1e-6);
  BOOST_TEST(w(1, 0) == 0.0);  // exactly
  BOOST_TEST(w(2, 0) == 0.0);
  BOOST_TEST(!std::signbit(w(1, 0)));
  BOOST_TEST(!std::signbit(w(2, 0)));
  BOOST_TEST(w(0, 0) != 0.0);
  BOOST_TEST(w(3, 0) != 0.0);
}

BOOST_AUTO_TEST_CASE(proximal_adam_produces_exact_zeros) {
  Lasso l;
  // At a fixed point m = g and v = g², the bias corrections tend to 1, and the Adam step is
  // lr·g/(|g| + ε). Soft-thresholding by lr·λ then balances it where |g| = λ(|g| + ε), i.e.
  // |g| = λε/(1 − λ) = 0.5 for λ = ε = 0.5 — exactly the lasso's optimality condition |w − z| = λ
  // (and |z| ≤ λ where w = 0), so with ε = 0.5 proximal Adam has the same solution w*.
  const Array w = l.solve(nn::Adam{.learning_rate = 0.1, .beta_1 = 0.9, .beta_2 = 0.9, .epsilon = 0.5,
                                    .proximal_l1 = true},
                          1000);
  check_close(w, l.w_star, 1e-6);
  BOOST_TEST(w(1, 0) == 0.0);  // exactly
  BOOST_TEST(w(2, 0) == 0.0);
}

BOOST_AUTO_TEST_CASE(subgradient_l1_does_not_give_exact_zeros) {
  Lasso l;
  // Same problem, λ·Σ|w| in the loss (its subgradient λ·sign(w)) and no proximal step: the weights
  // that should be zero jump across zero at every step instead. (The parameter's L1 regularizer is not
  // asked for prox() by a non-proximal optimizer.)
  nn::Optimizer<double> check(nn::SGD{});
  BOOST_TEST(!check.proximal_l1());
  const Array w = l.solve(nn::SGD{.learning_rate = 0.5}, 100, /*subgradient=*/true);
  BOOST_TEST(w(1, 0) != 0.0);
  BOOST_TEST(w(2, 0) != 0.0);
  BOOST_TEST(std::abs(w(1, 0)) > 0.01);  // not even close: they oscillate with amplitude ~ lr·λ
  BOOST_TEST(std::abs(w(2, 0)) > 0.01);
  // The nonzero coordinates still reach w*.
  BOOST_TEST(std::abs(w(0, 0) - 1.5) < 1e-6);
  BOOST_TEST(std::abs(w(3, 0) + 1.0) < 1e-6);
}

BOOST_AUTO_TEST_CASE(proximal_step_by_hand) {
  // One step of proximal SGD, lr 0.1, l1 = 2 → threshold 0.2, on w0 = [1, -2, 0.1, -0.1] with g = 0
  // except g[0] = 0.5: after the SGD step w = [0.95, -2, 0.1, -0.1]; soft-threshold by 0.2:
  // [0.75, -1.8, 0, 0].
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.1, .proximal_l1 = true});
  P p = param("w", Array{1.0, -2.0, 0.1, -0.1}, Array{0.5, 0.0, 0.0, 0.0}, 2.0);
  P no_l1 = param("b", Array{1.0, -2.0}, Array{0.5, -1.0});  // l1 = 0: plain SGD
  opt.step({p, no_l1});
  check_close(p.var.value(), {0.75, -1.8, 0.0, 0.0}, 1e-15);
  BOOST_TEST(p.var.value()(2) == 0.0);
  BOOST_TEST(p.var.value()(3) == 0.0);
  check_close(no_l1.var.value(), {0.95, -1.9});
  // No proximal option for AdamW, RMSprop, Adagrad.
  BOOST_TEST(!nn::Optimizer<double>(nn::AdamW{}).proximal_l1());
  BOOST_TEST(!nn::Optimizer<double>(nn::RMSprop{}).proximal_l1());
  BOOST_TEST(!nn::Optimizer<double>(nn::Adagrad{}).proximal_l1());
  BOOST_TEST(nn::Optimizer<double>(nn::Adam{.proximal_l1 = true}).proximal_l1());
}

BOOST_AUTO_TEST_CASE(proximal_adam_step_by_hand) {
  // One step of proximal Adam, lr 0.1, β1 0.9, β2 0.999, ε 0, l1 = 0.2, on w0 = [0.3, 0.01]
  // with g = [0.5, 0.5]: m = 0.05, v = 0.00025, √v = 0.0158114; Adam's step is
  // lr·√(1−β2)/(1−β1) · m/√v = 0.1 (its step size per unit of mean gradient: η = lr·√(1−β2)/√v
  // = 0.2), so w = [0.2, −0.09]; the threshold is η·λ = 0.04: [0.16, −0.05].
  nn::Optimizer<double> opt(nn::Adam{.learning_rate = 0.1, .epsilon = 0.0, .proximal_l1 = true});
  P p = param("w", Array{0.3, 0.01}, Array{0.5, 0.5}, 0.2);
  opt.step({p});
  check_close(p.var.value(), {0.16, -0.05}, 1e-12);
  // A coordinate whose Adam step lands within the threshold becomes exactly zero.
  P q = param("q", Array{0.11}, Array{0.5}, 0.2);
  nn::Optimizer<double> opt2(nn::Adam{.learning_rate = 0.1, .epsilon = 0.0, .proximal_l1 = true});
  opt2.step({q});  // 0.11 − 0.1 = 0.01 < 0.04
  BOOST_TEST(q.var.value()(0) == 0.0);
}

// ---- parameters without gradients ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parameters_without_grad_are_skipped) {
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.1, .momentum = 0.9});
  P a = standard_param();
  P b = param("b", Array{3.0}, Array{1.0});
  V no_grad_yet(Array{7.0, 8.0}, true);
  P c{"c", no_grad_yet};
  opt.step({a, b, c});
  check_close(c.var.value(), {7.0, 8.0});
  BOOST_TEST((entry_names(opt.state()) == std::vector<std::string>{"iterations", "w/velocity", "b/velocity"}));
  // b: v = -0.1, b = 2.9. Now b has no gradient: neither its value nor its velocity moves.
  check_close(b.var.value(), {2.9});
  b.var.zero_grad();
  opt.step({a, b, c});
  check_close(b.var.value(), {2.9});
  check_close(entry(opt.state(), "b/velocity"), {-0.1});
  check_close(a.var.value(), {0.855, -1.71});  // a as in sgd_momentum
  BOOST_TEST(opt.iterations() == 2u);

  // c gets a gradient at the third step: its state starts then, from zero: v = -0.1·g.
  c.var.set_grad(V(Array{1.0, -1.0}));
  opt.step({a, b, c});
  check_close(c.var.value(), {6.9, 8.1});
  check_close(entry(opt.state(), "c/velocity"), {-0.1, 0.1});
  BOOST_TEST(
      (entry_names(opt.state()) == std::vector<std::string>{"iterations", "w/velocity", "b/velocity", "c/velocity"}));
}

BOOST_AUTO_TEST_CASE(step_is_not_recorded_and_keeps_the_leaf) {
  ad::compact_tape<double>();
  const auto before = ad::tape_stats<double>().records;
  nn::Optimizer<double> opt(nn::Adam{});
  P p = standard_param();
  opt.step({p});
  BOOST_TEST(ad::tape_stats<double>().records == before);
  BOOST_TEST(p.var.is_leaf());
  BOOST_TEST(p.var.requires_grad());
}

BOOST_AUTO_TEST_CASE(changed_shape_throws) {
  nn::Optimizer<double> opt(nn::Adam{});
  P p = standard_param();
  opt.step({p});
  P reshaped = param("w", Array{1.0, 2.0, 3.0}, Array{1.0, 1.0, 1.0});
  const auto msg = test::message_of<std::runtime_error>([&] { opt.step({reshaped}); });
  BOOST_TEST(contains(msg, "'w'"), msg);
  BOOST_TEST(contains(msg, "(3,)"), msg);
  BOOST_TEST(contains(msg, "(2,)"), msg);
  check_close(reshaped.var.value(), {1.0, 2.0, 3.0});  // untouched
  BOOST_TEST(opt.iterations() == 1u);
}

BOOST_AUTO_TEST_CASE(error_in_one_parameter_updates_none) {
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.1, .momentum = 0.9});
  P a = standard_param();
  P b = param("b", Array{1.0, 2.0}, Array{1.0, 1.0});
  opt.step({a, b});
  P b2 = param("b", Array{1.0, 2.0, 3.0}, Array{1.0, 1.0, 1.0});
  const Array a_before = a.var.value();
  const auto state_before = opt.state();
  BOOST_CHECK_THROW(opt.step({a, b2}), std::runtime_error);
  BOOST_TEST(bitwise_equal(a.var.value(), a_before));
  BOOST_TEST(bitwise_equal(entry(opt.state(), "w/velocity"), entry(state_before, "w/velocity")));
}

// ---- state ----------------------------------------------------------------------------------------

namespace {

// A small problem whose gradients depend on the weights, so the trajectory depends on the state.
struct Problem {
  std::vector<P> params;
  Problem(const Array& kernel, const Array& bias) {
    params.push_back(P{"dense/kernel", V(kernel, true), nn::L1(0.01)});
    params.push_back(P{"dense/bias", V(bias, true), nn::Regularizer()});
  }
  static Problem initial() {
    return Problem(Array{{0.3, -0.2, 0.5}, {0.1, 0.4, -0.6}}, Array{0.05, -0.1, 0.2});
  }
  Problem copy() const { return Problem(params[0].var.value(), params[1].var.value()); }
  void train(nn::Optimizer<double>& opt, int steps) {
    const V x(Array{{1.0, 2.0}, {-0.5, 1.5}, {0.3, -1.0}, {2.0, 0.2}});
    const V target(Array{{1.0, 0.0, -1.0}, {0.5, 0.5, 0.0}, {-1.0, 0.2, 0.3}, {0.0, 1.0, 2.0}});
    for (int s = 0; s < steps; ++s) {
      for (auto& p : params) p.var.zero_grad();
      const V out = ad::tanh(ad::matmul(x, params[0].var) + params[1].var);
      ad::backward(ad::mean(ad::square(out - target)) + 0.1 * ad::sum(ad::pow(params[0].var, 4.0)));
      opt.step(params);
    }
  }
};

const std::vector<std::pair<std::string, nn::OptimizerConfig>> all_configs{
    {"SGD", nn::SGD{.learning_rate = 0.1}},
    {"SGD momentum", nn::SGD{.learning_rate = 0.1, .momentum = 0.9}},
    {"SGD nesterov proximal", nn::SGD{.learning_rate = 0.1, .momentum = 0.8, .nesterov = true, .proximal_l1 = true}},
    {"Adam", nn::Adam{.learning_rate = 0.05}},
    {"Adam proximal", nn::Adam{.learning_rate = 0.05, .proximal_l1 = true}},
    {"AdamW", nn::AdamW{.learning_rate = 0.05, .weight_decay = 0.1}},
    {"RMSprop", nn::RMSprop{.learning_rate = 0.01}},
    {"RMSprop centered momentum", nn::RMSprop{.learning_rate = 0.01, .momentum = 0.9, .centered = true}},
    {"Adagrad", nn::Adagrad{.learning_rate = 0.1}},
};

}  // namespace

BOOST_AUTO_TEST_CASE(state_round_trip_continues_bit_exactly) {
  for (const auto& [label, config] : all_configs) {
    BOOST_TEST_CONTEXT(label) {
      Problem original = Problem::initial();
      nn::Optimizer<double> opt(config);
      original.train(opt, 3);
      const auto saved = opt.state();
      Problem restored = original.copy();
      original.train(opt, 3);

      nn::Optimizer<double> fresh(config);
      fresh.load_state(saved);
      BOOST_TEST(fresh.iterations() == 3u);
      const auto reloaded = fresh.state();
      BOOST_TEST(entry_names(reloaded) == entry_names(saved));
      for (std::size_t i = 0; i < saved.size(); ++i) BOOST_TEST(bitwise_equal(reloaded[i].second, saved[i].second));
      restored.train(fresh, 3);

      for (std::size_t i = 0; i < original.params.size(); ++i) {
        BOOST_TEST(bitwise_equal(restored.params[i].var.value(), original.params[i].var.value()),
                   original.params[i].name);
      }
      // The weights did move in the last three steps (the comparison is not vacuous).
      BOOST_TEST(!bitwise_equal(restored.copy().params[0].var.value(), Problem::initial().params[0].var.value()));
    }
  }
}

BOOST_AUTO_TEST_CASE(load_state_replaces_existing_state) {
  nn::Optimizer<double> opt(nn::Adam{.learning_rate = 0.05});
  Problem original = Problem::initial();
  original.train(opt, 3);
  const auto saved = opt.state();
  Problem restored = original.copy();
  original.train(opt, 3);

  // An optimizer that has state of its own (it trained the same model for 5 steps) loads the
  // saved state and continues exactly as the original.
  nn::Optimizer<double> other(nn::Adam{.learning_rate = 0.05});
  Problem scratch = Problem::initial();
  scratch.train(other, 5);
  other.load_state(saved);
  BOOST_TEST(other.iterations() == 3u);
  restored.train(other, 3);
  for (std::size_t i = 0; i < original.params.size(); ++i) {
    BOOST_TEST(bitwise_equal(restored.params[i].var.value(), original.params[i].var.value()));
  }
}

BOOST_AUTO_TEST_CASE(load_state_errors) {
  nn::Optimizer<double> opt(nn::Adam{});
  P p = standard_param();
  opt.step({p});
  const auto good = opt.state();  // iterations, w/m, w/v
  auto message = [&](nn::NamedArrays<double> s) {
    return test::message_of<std::runtime_error>([&] { opt.load_state(s); });
  };
  auto with = [&](const std::string& name, const Array& a) {
    auto s = good;
    s.emplace_back(name, a);
    return s;
  };

  std::string msg = message(with("w/bogus", Array{0.0, 0.0}));
  BOOST_TEST(contains(msg, "unknown entry 'w/bogus'"), msg);
  msg = message(with("other/m", Array{0.0, 0.0}));  // opt has state only for "w"
  BOOST_TEST(contains(msg, "unknown entry 'other/m'"), msg);
  msg = message(with("nonsense", Array{0.0}));
  BOOST_TEST(contains(msg, "unknown entry 'nonsense'"), msg);
  msg = message(with("w/m", Array{0.0, 0.0}));
  BOOST_TEST(contains(msg, "duplicate entry 'w/m'"), msg);

  auto wrong_shape = good;
  wrong_shape[1].second = Array{0.0, 0.0, 0.0};
  msg = message(wrong_shape);
  BOOST_TEST(contains(msg, "'w/m'"), msg);
  BOOST_TEST(contains(msg, "(3,)"), msg);
  BOOST_TEST(contains(msg, "(2,)"), msg);

  auto missing = good;
  missing.pop_back();  // drops w/v
  msg = message(missing);
  BOOST_TEST(contains(msg, "missing entry 'w/v'"), msg);
  missing = nn::NamedArrays<double>(good.begin() + 1, good.end());
  msg = message(missing);
  BOOST_TEST(contains(msg, "missing entry 'iterations'"), msg);

  auto bad_count = good;
  bad_count[0].second() = 2.5;
  BOOST_TEST(contains(message(bad_count), "'iterations'"));
  bad_count[0].second() = -1;
  BOOST_TEST(contains(message(bad_count), "'iterations'"));
  bad_count[0].second = Array{1.0, 2.0};
  BOOST_TEST(contains(message(bad_count), "'iterations'"));

  // Nothing changed by the failed loads.
  BOOST_TEST(opt.iterations() == 1u);
  const auto now = opt.state();
  BOOST_TEST(entry_names(now) == entry_names(good));
  for (std::size_t i = 0; i < good.size(); ++i) BOOST_TEST(bitwise_equal(now[i].second, good[i].second));

  // A fresh optimizer takes its parameters from the state, but each needs all its entries, of one
  // shape.
  nn::Optimizer<double> fresh(nn::Adam{});
  nn::NamedArrays<double> partial{good[0], good[1]};  // iterations, w/m
  msg = test::message_of<std::runtime_error>([&] { fresh.load_state(partial); });
  BOOST_TEST(contains(msg, "missing entry 'w/v'"), msg);
  auto mixed = good;
  mixed[2].second = Array{0.0, 0.0, 0.0};
  msg = test::message_of<std::runtime_error>([&] { fresh.load_state(mixed); });
  BOOST_TEST(contains(msg, "'w/v'"), msg);
  // Another optimizer's entries are unknown here.
  nn::Optimizer<double> sgd(nn::SGD{.momentum = 0.9});
  msg = test::message_of<std::runtime_error>([&] { sgd.load_state(good); });
  BOOST_TEST(contains(msg, "unknown entry 'w/m'"), msg);
  BOOST_TEST(fresh.iterations() == 0u);
  BOOST_TEST(fresh.state().size() == 1u);
}

BOOST_AUTO_TEST_CASE(parameter_names_may_contain_slashes) {
  nn::Optimizer<double> opt(nn::RMSprop{.momentum = 0.5, .centered = true});
  P p = param("model/block_1/dense/kernel", Array{1.0, 2.0}, Array{0.5, 0.5});
  opt.step({p});
  const auto s = opt.state();
  BOOST_TEST((entry_names(s) == std::vector<std::string>{"iterations", "model/block_1/dense/kernel/velocity",
                                                         "model/block_1/dense/kernel/average_gradient",
                                                         "model/block_1/dense/kernel/momentum"}));
  nn::Optimizer<double> fresh(nn::RMSprop{.momentum = 0.5, .centered = true});
  fresh.load_state(s);
  BOOST_TEST(entry_names(fresh.state()) == entry_names(s));
}

// ---- configuration --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(invalid_configs_throw) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::tuple<std::string, std::string, nn::OptimizerConfig>> bad{
      {"SGD", "learning_rate", nn::SGD{.learning_rate = 0}},
      {"SGD", "learning_rate", nn::SGD{.learning_rate = -0.1}},
      {"SGD", "learning_rate", nn::SGD{.learning_rate = nan}},
      {"SGD", "momentum", nn::SGD{.momentum = -0.1}},
      {"SGD", "momentum", nn::SGD{.momentum = 1.0}},
      {"Adam", "learning_rate", nn::Adam{.learning_rate = 0}},
      {"Adam", "beta_1", nn::Adam{.beta_1 = 1.0}},
      {"Adam", "beta_1", nn::Adam{.beta_1 = -0.5}},
      {"Adam", "beta_2", nn::Adam{.beta_2 = 1.0}},
      {"Adam", "epsilon", nn::Adam{.epsilon = -1e-7}},
      {"AdamW", "weight_decay", nn::AdamW{.weight_decay = -0.1}},
      {"AdamW", "beta_1", nn::AdamW{.beta_1 = 1.5}},
      {"AdamW", "beta_2", nn::AdamW{.beta_2 = nan}},
      {"AdamW", "epsilon", nn::AdamW{.epsilon = -1}},
      {"AdamW", "learning_rate", nn::AdamW{.learning_rate = -1}},
      {"RMSprop", "rho", nn::RMSprop{.rho = 1.0}},
      {"RMSprop", "rho", nn::RMSprop{.rho = -0.1}},
      {"RMSprop", "momentum", nn::RMSprop{.momentum = 1.0}},
      {"RMSprop", "epsilon", nn::RMSprop{.epsilon = -1}},
      {"RMSprop", "learning_rate", nn::RMSprop{.learning_rate = 0}},
      {"Adagrad", "initial_accumulator_value", nn::Adagrad{.initial_accumulator_value = -0.1}},
      {"Adagrad", "epsilon", nn::Adagrad{.epsilon = -1}},
      {"Adagrad", "learning_rate", nn::Adagrad{.learning_rate = 0}},
      // NaN and ±inf wherever a finite value is needed.
      {"SGD", "learning_rate", nn::SGD{.learning_rate = inf}},
      {"SGD", "momentum", nn::SGD{.momentum = nan}},
      {"Adam", "epsilon", nn::Adam{.epsilon = inf}},
      {"Adam", "beta_1", nn::Adam{.beta_1 = nan}},
      {"AdamW", "weight_decay", nn::AdamW{.weight_decay = inf}},
      {"RMSprop", "rho", nn::RMSprop{.rho = nan}},
      {"RMSprop", "momentum", nn::RMSprop{.momentum = -inf}},
      {"Adagrad", "initial_accumulator_value", nn::Adagrad{.initial_accumulator_value = nan}},
  };
  for (const auto& [optimizer, field, config] : bad) {
    const auto msg = test::message_of<std::invalid_argument>([&] { nn::Optimizer<double> opt(config); });
    BOOST_TEST(contains(msg, optimizer + ": " + field), msg);
    BOOST_TEST(contains(msg, ", got "), msg);  // and the value
  }
  nn::Optimizer<float> adam(nn::Adam{});
  for (const double lr : {nan, inf, -inf}) {
    const auto msg = test::message_of<std::invalid_argument>([&] { adam.set_learning_rate(lr); });
    BOOST_TEST(contains(msg, "Adam: learning_rate must be a finite number > 0, got"), msg);
  }
  BOOST_TEST(adam.learning_rate() == 0.001);
  // The edges of the valid ranges are accepted.
  BOOST_CHECK_NO_THROW(nn::Optimizer<double>(nn::SGD{.momentum = 0}));
  BOOST_CHECK_NO_THROW(nn::Optimizer<double>(nn::Adam{.beta_1 = 0, .beta_2 = 0, .epsilon = 0}));
  BOOST_CHECK_NO_THROW(nn::Optimizer<double>(nn::AdamW{.weight_decay = 0}));
  BOOST_CHECK_NO_THROW(nn::Optimizer<double>(nn::RMSprop{.rho = 0}));
  BOOST_CHECK_NO_THROW(nn::Optimizer<double>(nn::Adagrad{.initial_accumulator_value = 0}));
}

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(nn::Optimizer<double>(nn::SGD{}).name() == "SGD");
  BOOST_TEST(nn::Optimizer<double>(nn::Adam{}).name() == "Adam");
  BOOST_TEST(nn::Optimizer<double>(nn::AdamW{}).name() == "AdamW");
  BOOST_TEST(nn::Optimizer<double>(nn::RMSprop{}).name() == "RMSprop");
  BOOST_TEST(nn::Optimizer<float>(nn::Adagrad{}).name() == "Adagrad");
  // Keras's defaults.
  BOOST_TEST(nn::Optimizer<double>(nn::Adam{}).learning_rate() == 0.001);
  BOOST_TEST(nn::Optimizer<double>(nn::SGD{}).learning_rate() == 0.01);
}

// ---- float ----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(float_instantiation) {
  using VF = ad::Var<float>;
  nn::Optimizer<float> opt(nn::Adam{.learning_rate = 0.1, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 0.01});
  VF w(xt::xarray<float>{1.0f, -2.0f}, true);
  w.set_grad(VF(xt::xarray<float>{0.5f, -1.0f}));
  const std::vector<nn::Parameter<float>> params{{"w", w}};
  opt.step(params);
  opt.step(params);
  // The double-precision values of the adam test, to float accuracy.
  BOOST_TEST(std::abs(w.value()(0) - (1 - u1_0 - u2_0)) < 1e-6);
  BOOST_TEST(std::abs(w.value()(1) - (-2 - u1_1 - u2_1)) < 1e-6);
  const auto s = opt.state();
  BOOST_TEST(entry(s, "iterations")() == 2.0f);
  BOOST_TEST(std::abs(entry(s, "w/m")(0) - 0.095f) < 1e-7);

  // Round trip in float.
  nn::Optimizer<float> fresh(nn::Adam{.learning_rate = 0.1, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 0.01});
  fresh.load_state(s);
  VF w2(w.value(), true);
  w2.set_grad(VF(xt::xarray<float>{0.5f, -1.0f}));
  opt.step(params);
  fresh.step({{"w", w2}});
  BOOST_TEST(std::memcmp(w.value().data(), w2.value().data(), 2 * sizeof(float)) == 0);

  // Every SGD variant in float: w0 - 0.1 g.
  nn::Optimizer<float> sgd(nn::SGD{.learning_rate = 0.1, .momentum = 0.5, .nesterov = true});
  VF u(xt::xarray<float>{1.0f}, true);
  u.set_grad(VF(xt::xarray<float>{1.0f}));
  sgd.step({{"u", u}});
  // v = -0.1; u = 1 + 0.5·(-0.1) - 0.1 = 0.85
  BOOST_TEST(std::abs(u.value()(0) - 0.85f) < 1e-7);
}

BOOST_AUTO_TEST_CASE(float_one_minus_beta_is_computed_in_double) {
  // Keras computes 1 - beta_1, 1 - beta_2 and 1 - rho in double (Python floats) and rounds once;
  // 1.0f - 0.999f is 0.00099998713 instead of 0.001. From zero state, one step with g = 1 leaves
  // exactly those coefficients in the moments.
  using VF = ad::Var<float>;
  auto one_step = [](const nn::OptimizerConfig& config) {
    nn::Optimizer<float> opt(config);
    VF w(xt::xarray<float>{0.0f}, true);
    w.set_grad(VF(xt::xarray<float>{1.0f}));
    opt.step({{"w", w}});
    return opt.state();
  };
  BOOST_TEST(1.0f - 0.999f != static_cast<float>(1.0 - 0.999));  // the test can tell them apart
  BOOST_TEST(1.0f - 0.9f != static_cast<float>(1.0 - 0.9));
  for (const nn::OptimizerConfig& config : {nn::OptimizerConfig(nn::Adam{}), nn::OptimizerConfig(nn::AdamW{})}) {
    const auto s = one_step(config);
    BOOST_TEST(entry(s, "w/m")(0) == static_cast<float>(1.0 - 0.9));
    BOOST_TEST(entry(s, "w/v")(0) == static_cast<float>(1.0 - 0.999));
  }
  const auto r = one_step(nn::RMSprop{.centered = true});
  BOOST_TEST(entry(r, "w/velocity")(0) == static_cast<float>(1.0 - 0.9));
  BOOST_TEST(entry(r, "w/average_gradient")(0) == static_cast<float>(1.0 - 0.9));
}

BOOST_AUTO_TEST_CASE(float_iterations_limit) {
  // float holds every integer below 2^24 = 16777216 exactly, so that is where state() stops.
  nn::Optimizer<float> opt(nn::SGD{});
  nn::NamedArrays<float> s;
  s.emplace_back("iterations", xt::xarray<float>(16777215.0f));
  opt.load_state(s);
  BOOST_TEST(opt.iterations() == 16777215u);
  BOOST_TEST(opt.state()[0].second() == 16777215.0f);
  opt.step({});
  BOOST_TEST(opt.iterations() == 16777216u);
  const auto msg = test::message_of<std::runtime_error>([&] { (void)opt.state(); });
  BOOST_TEST(contains(msg, "iterations"), msg);
  // And a state claiming 2^24 is refused.
  s[0].second() = 16777216.0f;
  BOOST_CHECK_THROW(opt.load_state(s), std::runtime_error);
  // double goes to 2^53.
  nn::Optimizer<double> d(nn::SGD{});
  d.load_state({{"iterations", xt::xarray<double>(16777216.0)}});
  BOOST_TEST(d.iterations() == 16777216u);
  BOOST_TEST(d.state()[0].second() == 16777216.0);
}

// ---- the proximal hook: the optimizer asks the parameter's regularizer -------------------------

namespace {

// Records the step sizes η_i it is given and leaves w alone.
class StepSpy : public nn::ProximalTerm {
 public:
  explicit StepSpy(std::vector<double>& seen) : seen_(seen) {}
  std::string description() const override { return "spy"; }
  ad::Var<float> value(const ad::Var<float>& w) const override { return ad::sum(w) * 0.0f; }
  ad::Var<double> value(const ad::Var<double>& w) const override { return ad::sum(w) * 0.0; }
  void prox(std::span<float>, std::span<const std::size_t>, const nn::ProxStep<float>&) const override {
    seen_.push_back(-1);
  }
  void prox(std::span<double> w, std::span<const std::size_t>, const nn::ProxStep<double>& step) const override {
    for (std::size_t i = 0; i < w.size(); ++i) seen_.push_back(step[i]);
  }

 private:
  std::vector<double>& seen_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(proximal_optimizers_hand_their_per_coordinate_step_sizes_to_the_regularizer) {
  std::vector<double> seen;
  const nn::Regularizer spy = nn::Regularizer::with_prox({}, std::make_shared<StepSpy>(seen));
  BOOST_TEST(spy.description() == "spy");
  auto spied = [&](const Array& g) {
    P p = param("w", Array{1.0, 1.0}, g);
    p.regularizer = spy;
    return p;
  };
  // SGD: η_i = lr.
  nn::Optimizer<double>(nn::SGD{.learning_rate = 0.1, .proximal_l1 = true}).step({spied(Array{0.5, 2.0})});
  check_close(Array(xt::adapt(seen, {seen.size()})), {0.1, 0.1}, 0);
  // Adam, ε = 0, first step: v = (1−β2)·g², η_i = lr·√(1−β2)/√v_i = lr/|g_i|.
  seen.clear();
  nn::Optimizer<double>(nn::Adam{.learning_rate = 0.1, .epsilon = 0.0, .proximal_l1 = true}).step({spied(Array{0.5, 2.0})});
  check_close(Array(xt::adapt(seen, {seen.size()})), {0.2, 0.05}, 1e-12);
  // A non-proximal optimizer does not ask.
  seen.clear();
  nn::Optimizer<double>(nn::Adam{.learning_rate = 0.1}).step({spied(Array{0.5, 2.0})});
  BOOST_TEST(seen.empty());
}
