#define BOOST_TEST_MODULE arithmetic
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace {

using test::Array;
using test::Inputs;
using test::V;

using Binary = std::function<V(const V&, const V&)>;

// The four broadcasting binary ops, by name.
std::vector<std::pair<std::string, Binary>> binary_ops() {
  return {
      {"add", [](const V& a, const V& b) { return a + b; }},
      {"sub", [](const V& a, const V& b) { return a - b; }},
      {"mul", [](const V& a, const V& b) { return a * b; }},
      {"div", [](const V& a, const V& b) { return a / b; }},
  };
}

// Divisors stay at least 0.5 away from zero, on both sides of it.
Array divisor_array(const ad::Shape& shape, unsigned seed) { return test::random_array(shape, seed, -2, 2, 0.5); }

// First- and second-order checks of every binary op for operands of the two given shapes, in both
// orders (the broadcast operand on the left and on the right).
void check_binary_ops(const ad::Shape& big, const ad::Shape& small, unsigned seed) {
  for (const auto& [name, op] : binary_ops()) {
    BOOST_TEST_CONTEXT("op " << name << ", shapes " << ad::shape_str(big) << " and " << ad::shape_str(small)) {
      const auto f = [fn = op](const Inputs& in) { return fn(in[0], in[1]); };
      const Array a_big = test::random_array(big, seed);
      const Array b_small = divisor_array(small, seed + 1);
      CHECK_GRADIENTS(f, a_big, b_small);
      const Array a_small = test::random_array(small, seed + 2);
      const Array b_big = divisor_array(big, seed + 3);
      CHECK_GRADIENTS(f, a_small, b_big);
    }
  }
}

Array grad_value(const V& x) {
  BOOST_REQUIRE_MESSAGE(x.grad().defined(), "no gradient was accumulated");
  return x.grad().value();
}

}  // namespace

// ---- gradients of Var ∘ Var on same-shaped random inputs -------------------------------------

BOOST_AUTO_TEST_CASE(binary_ops_same_shape_gradients) {
  unsigned seed = 10;
  for (const auto& [name, op] : binary_ops()) {
    BOOST_TEST_CONTEXT("op " << name) {
      const auto f = [fn = op](const Inputs& in) { return fn(in[0], in[1]); };
      const Array a = test::random_array({3, 4}, seed++);
      const Array b = divisor_array({3, 4}, seed++);
      CHECK_GRADIENTS(f, a, b);
      // Reduced to a scalar as well, so the sweep starts from a single seed.
      const auto g = [fn = op](const Inputs& in) { return ad::sum(fn(in[0], in[1])); };
      CHECK_GRADIENTS(g, a, b);
    }
  }
}

BOOST_AUTO_TEST_CASE(var_scalar_gradients) {
  const Array x = test::random_array({3, 4}, 21, -2, 2, 0.5);
  const auto add_r = [](const Inputs& in) { return in[0] + 1.5; };
  const auto add_l = [](const Inputs& in) { return 1.5 + in[0]; };
  const auto sub_r = [](const Inputs& in) { return in[0] - 1.5; };
  const auto sub_l = [](const Inputs& in) { return 1.5 - in[0]; };
  const auto mul_r = [](const Inputs& in) { return in[0] * -2.5; };
  const auto mul_l = [](const Inputs& in) { return -2.5 * in[0]; };
  const auto div_r = [](const Inputs& in) { return in[0] / 2.5; };
  const auto div_l = [](const Inputs& in) { return 2.5 / in[0]; };
  const auto neg = [](const Inputs& in) { return -in[0]; };
  CHECK_GRADIENTS(add_r, x);
  CHECK_GRADIENTS(add_l, x);
  CHECK_GRADIENTS(sub_r, x);
  CHECK_GRADIENTS(sub_l, x);
  CHECK_GRADIENTS(mul_r, x);
  CHECK_GRADIENTS(mul_l, x);
  CHECK_GRADIENTS(div_r, x);
  CHECK_GRADIENTS(div_l, x);
  CHECK_GRADIENTS(neg, x);
  // Chains of scalar ops, also composed with a Var ∘ Var op.
  const auto chain = [](const Inputs& in) { return (2.0 - in[0] * 3.0) / 4.0 + 1.0 / (in[0] * in[1]); };
  CHECK_GRADIENTS(chain, x, divisor_array({3, 4}, 22));
}

// ---- broadcasting ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(broadcast_bias_row_onto_matrix) { check_binary_ops({3, 4}, {4}, 100); }

BOOST_AUTO_TEST_CASE(broadcast_column_onto_matrix) { check_binary_ops({3, 4}, {3, 1}, 200); }

BOOST_AUTO_TEST_CASE(broadcast_row_onto_column) {
  // (1, n) with (m, 1): both operands are broadcast, neither shape is the result's.
  for (const auto& [name, op] : binary_ops()) {
    BOOST_TEST_CONTEXT("op " << name) {
      const auto f = [fn = op](const Inputs& in) { return fn(in[0], in[1]); };
      CHECK_GRADIENTS(f, test::random_array({1, 4}, 300), divisor_array({3, 1}, 301));
      CHECK_GRADIENTS(f, test::random_array({3, 1}, 302), divisor_array({1, 4}, 303));
    }
  }
}

BOOST_AUTO_TEST_CASE(broadcast_zero_dim_scalar_onto_matrix) { check_binary_ops({3, 4}, {}, 400); }

BOOST_AUTO_TEST_CASE(broadcast_leading_axes) {
  // (n) onto (k, m, n) and (m, 1) onto (k, m, n): leading axes are added by broadcasting.
  check_binary_ops({2, 3, 2}, {2}, 500);
  check_binary_ops({2, 3, 2}, {3, 1}, 510);
}

BOOST_AUTO_TEST_CASE(broadcast_forward_values) {
  const V X(Array{{1, 2, 3}, {4, 5, 6}});
  const V b(Array{10, 20, 30});
  const V c(test::column({2, -1}));
  const V r(Array{{1, 2, 4}});
  const V s = V::scalar(2);
  test::check_close((X + b).value(), Array{{11, 22, 33}, {14, 25, 36}});
  test::check_close((b - X).value(), Array{{9, 18, 27}, {6, 15, 24}});
  test::check_close((X * c).value(), Array{{2, 4, 6}, {-4, -5, -6}});
  test::check_close((X / c).value(), Array{{0.5, 1, 1.5}, {-4, -5, -6}});
  test::check_close((c / X).value(), Array{{2, 1, 2.0 / 3}, {-0.25, -0.2, -1.0 / 6}}, 1e-15, 1e-15);
  test::check_close((r - c).value(), Array{{-1, 0, 2}, {2, 3, 5}});
  test::check_close((c * r).value(), Array{{2, 4, 8}, {-1, -2, -4}});
  test::check_close((X * s).value(), Array{{2, 4, 6}, {8, 10, 12}});
  test::check_close((s - X).value(), Array{{1, 0, -1}, {-2, -3, -4}});
  test::check_close((X / s).value(), Array{{0.5, 1, 1.5}, {2, 2.5, 3}});
  BOOST_TEST(ad::shape_str((X + b).shape()) == "(2, 3)");
  BOOST_TEST(ad::shape_str((X * c).shape()) == "(2, 3)");
  BOOST_TEST((r + c).dim() == 2u);
  BOOST_TEST((r + c).shape()[0] == 2u);
  BOOST_TEST((r + c).shape()[1] == 3u);
  BOOST_TEST((s + s).dim() == 0u);
}

BOOST_AUTO_TEST_CASE(broadcast_add_gradients_by_value) {
  const Array Xv{{1, -2, 3, 0.5}, {4, 5, -6, 2}, {-1, 0.25, 7, 3}};  // (3, 4)
  // d/db sum(X + b) = m for each element of b of shape (n); d/dX = 1.
  {
    V X(Xv, true), b(Array{0.1, 0.2, 0.3, 0.4}, true);
    ad::backward(ad::sum(X + b));
    test::check_close(grad_value(b), Array{3, 3, 3, 3});
    test::check_close(grad_value(X), xt::ones<double>({3, 4}));
  }
  // d/db sum(X - b) = -m.
  {
    V X(Xv, true), b(Array{0.1, 0.2, 0.3, 0.4}, true);
    ad::backward(ad::sum(X - b));
    test::check_close(grad_value(b), Array{-3, -3, -3, -3});
    test::check_close(grad_value(X), xt::ones<double>({3, 4}));
  }
  // (m, 1) onto (m, n): d/dc = n per row.
  {
    V X(Xv, true), c(test::column({1, 2, 3}), true);
    ad::backward(ad::sum(c + X));
    test::check_close(grad_value(c), test::column({4, 4, 4}));
    test::check_close(grad_value(X), xt::ones<double>({3, 4}));
  }
  // (1, n) with (m, 1): each gets the length of the other's axis.
  {
    V r(Array{{1, 2, 3, 4}}, true), c(test::column({1, 2, 3}), true);
    ad::backward(ad::sum(r + c));
    test::check_close(grad_value(r), Array{{3, 3, 3, 3}});
    test::check_close(grad_value(c), test::column({4, 4, 4}));
  }
  // A 0-d scalar onto (m, n): m * n.
  {
    V X(Xv, true);
    V s = V::scalar(0.5, true);
    ad::backward(ad::sum(X + s));
    BOOST_TEST(grad_value(s).dimension() == 0u);
    BOOST_TEST(s.grad().item() == 12.0);
    test::check_close(grad_value(X), xt::ones<double>({3, 4}));
  }
  // The same through grad(), which leaves grad() alone.
  {
    V X(Xv, true), b(Array{0.1, 0.2, 0.3, 0.4}, true);
    const auto gs = ad::grad(ad::sum(X + b), {X, b});
    test::check_close(gs[1].value(), Array{3, 3, 3, 3});
    test::check_close(gs[0].value(), xt::ones<double>({3, 4}));
    BOOST_TEST(!b.grad().defined());
  }
}

BOOST_AUTO_TEST_CASE(broadcast_mul_div_gradients_by_value) {
  const Array Xv{{1, -2, 3, 0.5}, {4, 5, -6, 2}, {-1, 0.25, 7, 3}};  // (3, 4)
  const Array bv{0.5, -2, 4, 1};
  // d/db sum(X * b) = column sums of X; d/dX = b broadcast.
  {
    V X(Xv, true), b(bv, true);
    ad::backward(ad::sum(X * b));
    test::check_close(grad_value(b), Array{4, 3.25, 4, 5.5});
    test::check_close(grad_value(X), Array{{0.5, -2, 4, 1}, {0.5, -2, 4, 1}, {0.5, -2, 4, 1}});
  }
  // (m, 1): row sums.
  {
    V X(Xv, true), c(test::column({2, -1, 0.5}), true);
    ad::backward(ad::sum(c * X));
    test::check_close(grad_value(c), test::column({2.5, 5, 9.25}));
    test::check_close(grad_value(X), Array{{2, 2, 2, 2}, {-1, -1, -1, -1}, {0.5, 0.5, 0.5, 0.5}});
  }
  // 0-d scalar: sum of X.
  {
    V X(Xv, true);
    V s = V::scalar(3, true);
    ad::backward(ad::sum(X * s));
    BOOST_TEST(s.grad().item() == 16.75);
    test::check_close(grad_value(X), xt::ones<double>({3, 4}) * 3.0);
  }
  // d/db sum(X / b) = -sum_i X_ij / b_j^2; d/dX = 1 / b.
  {
    V X(Xv, true), b(bv, true);
    ad::backward(ad::sum(X / b));
    test::check_close(grad_value(b), Array{-4 / 0.25, -3.25 / 4, -4.0 / 16, -5.5}, 1e-14, 1e-14);
    test::check_close(grad_value(X), Array{{2, -0.5, 0.25, 1}, {2, -0.5, 0.25, 1}, {2, -0.5, 0.25, 1}}, 1e-14,
                      1e-14);
  }
}

// ---- a shared input --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(shared_input_gradients) {
  const auto square_by_mul = [](const Inputs& in) { return in[0] * in[0]; };
  const auto mixed = [](const Inputs& in) { return in[0] * in[0] + in[0] * in[1]; };
  const auto self_ratio = [](const Inputs& in) { return in[0] / in[0]; };
  const auto self_sub = [](const Inputs& in) { return in[0] - in[0] + in[0] * 2.0; };
  const Array x = test::random_array({3, 4}, 600, -2, 2, 0.5);
  const Array y = test::random_array({3, 4}, 601);
  CHECK_GRADIENTS(square_by_mul, x);
  CHECK_GRADIENTS(mixed, x, y);
  CHECK_GRADIENTS(self_ratio, x);
  CHECK_GRADIENTS(self_sub, x);
  // A shared input that is also broadcast: x of shape (4) used against (3, 4) and itself.
  const auto shared_broadcast = [](const Inputs& in) { return in[1] * in[0] + in[0] / (in[0] * in[0] + 1.0); };
  CHECK_GRADIENTS(shared_broadcast, test::random_array({4}, 602), test::random_array({3, 4}, 603));
}

BOOST_AUTO_TEST_CASE(shared_input_gradients_by_value) {
  const Array xv{{1, -2, 3}, {0.5, 4, -0.25}};
  const Array yv{{2, 1, -1}, {3, 0.5, 8}};
  {
    V x(xv, true);
    ad::backward(ad::sum(x * x));
    test::check_close(grad_value(x), 2.0 * xv);
  }
  {
    V x(xv, true), y(yv, true);
    ad::backward(ad::sum(x * x + x * y));
    test::check_close(grad_value(x), Array(2.0 * xv + yv));
    test::check_close(grad_value(y), xv);
  }
  {
    V x(xv, true);
    const V r = x / x;
    test::check_close(r.value(), xt::ones<double>({2, 3}));
    ad::backward(ad::sum(r));
    test::check_close(grad_value(x), xt::zeros<double>({2, 3}), 1e-12, 0);
  }
  {
    V x(xv, true);
    ad::backward(ad::sum(x + x + x));
    test::check_close(grad_value(x), xt::ones<double>({2, 3}) * 3.0);
  }
}

// ---- forward values --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(forward_values) {
  const V a(Array{{1, -2}, {3, 0.5}});
  const V b(Array{{4, 0.5}, {-1, 2}});
  test::check_close((a + b).value(), Array{{5, -1.5}, {2, 2.5}});
  test::check_close((a - b).value(), Array{{-3, -2.5}, {4, -1.5}});
  test::check_close((a * b).value(), Array{{4, -1}, {-3, 1}});
  test::check_close((a / b).value(), Array{{0.25, -4}, {-3, 0.25}});
  test::check_close((-a).value(), Array{{-1, 2}, {-3, -0.5}});
  test::check_close((a + 1.5).value(), Array{{2.5, -0.5}, {4.5, 2}});
  test::check_close((1.5 + a).value(), Array{{2.5, -0.5}, {4.5, 2}});
  test::check_close((a - 1.5).value(), Array{{-0.5, -3.5}, {1.5, -1}});
  test::check_close((1.5 - a).value(), Array{{0.5, 3.5}, {-1.5, 1}});
  test::check_close((a * -2.0).value(), Array{{-2, 4}, {-6, -1}});
  test::check_close((-2.0 * a).value(), Array{{-2, 4}, {-6, -1}});
  test::check_close((a / 4.0).value(), Array{{0.25, -0.5}, {0.75, 0.125}});
  test::check_close((2.0 / a).value(), Array{{2, -1}, {2.0 / 3, 4}}, 1e-15, 1e-15);
  // Operands are left untouched.
  test::check_close(a.value(), Array{{1, -2}, {3, 0.5}});
  test::check_close(b.value(), Array{{4, 0.5}, {-1, 2}});
}

BOOST_AUTO_TEST_CASE(var_scalar_gradients_by_value) {
  const Array xv{{1, -2}, {4, 0.5}};
  struct Case {
    std::string name;
    std::function<V(const V&)> f;
    Array expected;
  };
  const std::vector<Case> cases = {
      {"x + 1.5", [](const V& x) { return x + 1.5; }, Array{{1, 1}, {1, 1}}},
      {"1.5 + x", [](const V& x) { return 1.5 + x; }, Array{{1, 1}, {1, 1}}},
      {"x - 1.5", [](const V& x) { return x - 1.5; }, Array{{1, 1}, {1, 1}}},
      {"1.5 - x", [](const V& x) { return 1.5 - x; }, Array{{-1, -1}, {-1, -1}}},
      {"x * 3", [](const V& x) { return x * 3.0; }, Array{{3, 3}, {3, 3}}},
      {"3 * x", [](const V& x) { return 3.0 * x; }, Array{{3, 3}, {3, 3}}},
      {"x / 4", [](const V& x) { return x / 4.0; }, Array{{0.25, 0.25}, {0.25, 0.25}}},
      {"2 / x", [](const V& x) { return 2.0 / x; }, Array{{-2, -0.5}, {-0.125, -8}}},
      {"-x", [](const V& x) { return -x; }, Array{{-1, -1}, {-1, -1}}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      V x(xv, true);
      ad::backward(ad::sum(c.f(x)));
      test::check_close(grad_value(x), c.expected, 1e-15, 1e-15);
    }
  }
}

// ---- shape errors ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(shape_mismatch_throws_shape_error) {
  const V a(xt::zeros<double>({2, 3}), true);
  const V b(xt::zeros<double>({4}), true);
  std::string msg;
  try {
    (void)(a + b);
  } catch (const ad::ShapeError& e) {
    msg = e.what();
  }
  BOOST_REQUIRE_MESSAGE(!msg.empty(), "(2, 3) + (4,) did not throw ad::ShapeError");
  BOOST_CHECK_MESSAGE(msg.find("add") != std::string::npos, "message does not name the op: " << msg);
  BOOST_CHECK_MESSAGE(msg.find("(2, 3)") != std::string::npos, "message does not name (2, 3): " << msg);
  BOOST_CHECK_MESSAGE(msg.find("(4,)") != std::string::npos, "message does not name (4,): " << msg);

  // Every binary op and both orders refuse incompatible shapes, and name both shapes.
  for (const auto& [name, op] : binary_ops()) {
    BOOST_TEST_CONTEXT("op " << name) {
      BOOST_CHECK_THROW(op(a, b), ad::ShapeError);
      BOOST_CHECK_THROW(op(b, a), ad::ShapeError);
      std::string m;
      try {
        (void)op(b, a);
      } catch (const ad::ShapeError& e) {
        m = e.what();
      }
      BOOST_CHECK_MESSAGE(m.find(name) != std::string::npos, "message does not name the op: " << m);
      BOOST_CHECK_MESSAGE(m.find("(2, 3)") != std::string::npos && m.find("(4,)") != std::string::npos,
                          "message does not name both shapes: " << m);
    }
  }
  // ShapeError is an ad::Error.
  BOOST_CHECK_THROW((void)(a * V(xt::zeros<double>({3, 2}))), ad::Error);
  // Nothing was recorded that a later backward could trip over: a valid op still works.
  V ok(xt::ones<double>({2, 3}), true);
  ad::backward(ad::sum(ok * 2.0));
  test::check_close(grad_value(ok), xt::ones<double>({2, 3}) * 2.0);
}

// ---- scalars of type double with Var<float> ----------------------------------------------------

BOOST_AUTO_TEST_CASE(double_scalars_with_float_vars) {
  using VF = ad::Var<float>;
  using AF = xt::xarray<float>;
  VF Wf(AF{{0.5f, -1.0f}, {2.0f, 0.25f}}, true);
  const VF loss = ad::sum(ad::square(Wf)) + 0.001 * ad::sum(ad::abs(Wf));
  BOOST_TEST(loss.item() == 5.3125f + 0.001f * 3.75f, boost::test_tools::tolerance(1e-6f));
  ad::backward(loss);
  BOOST_REQUIRE(Wf.grad().defined());
  const AF expected{{1.001f, -2.001f}, {4.001f, 0.501f}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST(Wf.grad().value().data()[i] == expected.data()[i], boost::test_tools::tolerance(1e-6f));
  }

  // Each scalar operator, with the double on either side.
  const VF x(AF{1.0f, -2.0f, 4.0f});
  const std::vector<std::pair<VF, AF>> cases = {
      {x + 0.5, AF{1.5f, -1.5f, 4.5f}},   {0.5 + x, AF{1.5f, -1.5f, 4.5f}},  {x - 0.5, AF{0.5f, -2.5f, 3.5f}},
      {0.5 - x, AF{-0.5f, 2.5f, -3.5f}},  {x * 2.0, AF{2.0f, -4.0f, 8.0f}},  {2.0 * x, AF{2.0f, -4.0f, 8.0f}},
      {x / 4.0, AF{0.25f, -0.5f, 1.0f}},  {2.0 / x, AF{2.0f, -1.0f, 0.5f}},
  };
  for (const auto& [y, want] : cases) {
    BOOST_REQUIRE(y.shape() == want.shape());
    for (std::size_t i = 0; i < want.size(); ++i) {
      BOOST_TEST(y.value().data()[i] == want.data()[i], boost::test_tools::tolerance(1e-6f));
    }
  }
}
