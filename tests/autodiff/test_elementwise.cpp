#define BOOST_TEST_MODULE elementwise
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <xtensor/xview.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

namespace {

using test::Array;
using test::Inputs;
using test::V;
using Mask = xt::xarray<bool>;

// Moves every element of x at least `gap` away from each of the points.
Array keep_away(Array x, std::initializer_list<double> points, double gap = 0.1) {
  for (auto& e : x) {
    for (double p : points) {
      if (std::abs(e - p) < gap) e = e < p ? p - 2 * gap : p + 2 * gap;
    }
  }
  return x;
}

// An (n, 1) boolean column; Mask{{true}, {false}} would be ambiguous.
Mask mask_column(std::initializer_list<bool> values) {
  Mask m = Mask::from_shape({values.size(), 1});
  std::copy(values.begin(), values.end(), m.begin());
  return m;
}

// b = a + d with |d| >= 0.2 elementwise: the operands of maximum/minimum stay apart.
Array apart_from(const Array& a, unsigned seed) {
  return a + test::random_array(ad::Shape(a.shape().begin(), a.shape().end()), seed, -1, 1, 0.2);
}

}  // namespace

// ---- pow -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(pow_gradients) {
  const Array x = test::positive_array({3, 4}, 1);
  for (double p : {0.5, 2.0, 3.0, -1.0, 1.5, -0.5, 1.0, 0.0, -2.5}) {
    BOOST_TEST_CONTEXT("exponent " << p) {
      const auto f = [p](const Inputs& in) { return ad::pow(in[0], p); };
      CHECK_GRADIENTS(f, x);
      // Composed with another input, so the second derivative mixes both.
      const auto g = [p](const Inputs& in) { return ad::pow(in[0], p) * in[1]; };
      CHECK_GRADIENTS(g, x, test::random_array({3, 4}, 2));
    }
  }
  // Integer exponents are fine on negative inputs too.
  const Array xn = test::random_array({3, 4}, 3, -2, 2, 0.3);
  for (double p : {2.0, 3.0, -1.0}) {
    BOOST_TEST_CONTEXT("exponent " << p << " on inputs of both signs") {
      const auto f = [p](const Inputs& in) { return ad::pow(in[0], p); };
      CHECK_GRADIENTS(f, xn);
    }
  }
}

BOOST_AUTO_TEST_CASE(pow_values) {
  const Array x = test::positive_array({3, 4}, 4);
  for (double p : {0.5, 2.0, 3.0, -1.0, 1.5, 1.0}) {
    BOOST_TEST_CONTEXT("exponent " << p) {
      test::check_close(ad::pow(V(x), p).value(), test::map(x, [p](double e) { return std::pow(e, p); }), 1e-14, 1e-14);
      test::check_close(test::grad_of_sum([p](const V& v) { return ad::pow(v, p); }, x),
                        test::map(x, [p](double e) { return p * std::pow(e, p - 1); }), 1e-14, 1e-13);
    }
  }
  const Array fixed{4.0, 9.0, 0.25};
  test::check_close(ad::pow(V(fixed), 0.5).value(), Array{2.0, 3.0, 0.5});
  test::check_close(ad::pow(V(fixed), -1.0).value(), Array{0.25, 1.0 / 9, 4.0});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::pow(v, 3.0); }, fixed), Array{48.0, 243.0, 0.1875});
  // x^0 = 1 is constant: its gradient is zero (the backward leaves it undefined, as zero).
  test::check_close(ad::pow(V(x), 0.0).value(), xt::ones<double>({3, 4}));
  V leaf(fixed, true);
  const auto gs = ad::grad(ad::sum(ad::pow(leaf, 0.0) + leaf), {leaf});
  test::check_close(gs[0].value(), Array{1.0, 1.0, 1.0});
  const auto gz = ad::grad(ad::sum(ad::pow(leaf, 0.0)), {leaf}, {.allow_unused = true});
  test::check_close(gz[0].value(), Array{0.0, 0.0, 0.0});
}

// ---- square, sqrt, exp, log ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(smooth_unary_gradients) {
  const Array x = test::random_array({3, 4}, 10);
  const Array xp = test::positive_array({3, 4}, 11);
  const auto square = [](const Inputs& in) { return ad::square(in[0]); };
  const auto sqrt = [](const Inputs& in) { return ad::sqrt(in[0]); };
  const auto exp = [](const Inputs& in) { return ad::exp(in[0]); };
  const auto log = [](const Inputs& in) { return ad::log(in[0]); };
  CHECK_GRADIENTS(square, x);
  CHECK_GRADIENTS(sqrt, xp);
  CHECK_GRADIENTS(exp, x);
  CHECK_GRADIENTS(log, xp);
  // Compositions, where the second derivative flows through saved outputs (exp, sqrt).
  const auto chain = [](const Inputs& in) {
    return ad::log(ad::exp(in[0]) + ad::square(in[1])) * ad::sqrt(ad::exp(in[1]) + 1.0);
  };
  CHECK_GRADIENTS(chain, x, test::random_array({3, 4}, 12));
  const auto sum_chain = [](const Inputs& in) { return ad::sum(ad::sqrt(ad::square(in[0]) + 1.0) * in[1]); };
  CHECK_GRADIENTS(sum_chain, x, test::random_array({3, 4}, 13));
}

BOOST_AUTO_TEST_CASE(smooth_unary_values) {
  const Array x = test::random_array({3, 4}, 20);
  const Array xp = test::positive_array({3, 4}, 21);
  test::check_close(ad::square(V(x)).value(), test::map(x, [](double e) { return e * e; }));
  test::check_close(ad::sqrt(V(xp)).value(), test::map(xp, [](double e) { return std::sqrt(e); }));
  test::check_close(ad::exp(V(x)).value(), test::map(x, [](double e) { return std::exp(e); }), 1e-15, 1e-15);
  test::check_close(ad::log(V(xp)).value(), test::map(xp, [](double e) { return std::log(e); }), 1e-15, 1e-15);
  test::check_close(ad::square(V(Array{-3, 0.5, 0})).value(), Array{9, 0.25, 0});
  test::check_close(ad::sqrt(V(Array{16, 0.25, 0})).value(), Array{4, 0.5, 0});
  test::check_close(ad::exp(V(Array{0.0})).value(), Array{1.0});
  test::check_close(ad::log(V(Array{1.0})).value(), Array{0.0});

  // Gradients by value.
  test::check_close(test::grad_of_sum([](const V& v) { return ad::square(v); }, x), Array(2.0 * x));
  test::check_close(test::grad_of_sum([](const V& v) { return ad::sqrt(v); }, xp),
                    test::map(xp, [](double e) { return 0.5 / std::sqrt(e); }), 1e-15, 1e-14);
  test::check_close(test::grad_of_sum([](const V& v) { return ad::exp(v); }, x),
                    test::map(x, [](double e) { return std::exp(e); }), 1e-15, 1e-14);
  test::check_close(test::grad_of_sum([](const V& v) { return ad::log(v); }, xp),
                    test::map(xp, [](double e) { return 1.0 / e; }), 1e-15, 1e-14);
}

// ---- abs, sign -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(abs_gradients_and_values) {
  const Array x = test::random_array({3, 4}, 30);  // |x| >= 0.1, far from the kink
  const auto f = [](const Inputs& in) { return ad::abs(in[0]); };
  CHECK_GRADIENTS(f, x);
  const auto g = [](const Inputs& in) { return ad::abs(in[0]) * in[1] + ad::abs(in[0] * in[1]); };
  CHECK_GRADIENTS(g, x, test::random_array({3, 4}, 31));
  test::check_close(ad::abs(V(x)).value(), test::map(x, [](double e) { return std::abs(e); }));
  test::check_close(ad::abs(V(Array{-2, 0, 3.5})).value(), Array{2, 0, 3.5});
}

BOOST_AUTO_TEST_CASE(abs_subgradient_at_zero_is_zero) {
  test::check_close(test::grad_of_sum([](const V& v) { return ad::abs(v); }, Array{-2, 0, 3, -0.0}), Array{-1, 0, 1, 0});
  // Through grad(), and scaled by an upstream gradient.
  V x(Array{{0, -1}, {2, 0}}, true);
  const auto gs = ad::grad(ad::sum(ad::abs(x) * 3.0), {x});
  test::check_close(gs[0].value(), Array{{0, -3}, {3, 0}});
}

BOOST_AUTO_TEST_CASE(sign_values_and_zero_gradient) {
  const Array x{{-2, 0, 3}, {0.5, -0.0, -1e-300}};
  test::check_close(ad::sign(V(x)).value(), Array{{-1, 0, 1}, {1, 0, -1}});
  // sign' = 0 everywhere, zero included: only the other term contributes.
  test::check_close(test::grad_of_sum([](const V& v) { return ad::sign(v) * 5.0 + v * 2.0; }, x),
                    Array{{2, 2, 2}, {2, 2, 2}});
  V leaf(x, true);
  const auto gs = ad::grad(ad::sum(ad::sign(leaf)), {leaf}, {.allow_unused = true});
  test::check_close(gs[0].value(), xt::zeros<double>({2, 3}));
  // gradcheck agrees (zero Jacobian for sign, sign(x) for the other factor).
  const auto f = [](const Inputs& in) { return ad::sign(in[0]) * in[1]; };
  CHECK_GRADIENTS(f, test::random_array({3, 4}, 40), test::random_array({3, 4}, 41));
}

// ---- clip ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(clip_gradients) {
  const double lo = -0.5, hi = 0.8;
  // Values on all three pieces, none within 0.1 of a bound.
  const Array x = keep_away(test::random_array({3, 4}, 50), {lo, hi});
  BOOST_TEST(xt::any(x < lo));
  BOOST_TEST(xt::any(x > hi));
  BOOST_TEST(xt::any(x > lo && x < hi));
  const auto f = [lo, hi](const Inputs& in) { return ad::clip(in[0], lo, hi); };
  CHECK_GRADIENTS(f, x);
  const auto g = [lo, hi](const Inputs& in) { return ad::clip(in[0], lo, hi) * in[0] + in[1]; };
  CHECK_GRADIENTS(g, x, test::random_array({3, 4}, 51));
}

BOOST_AUTO_TEST_CASE(clip_values) {
  const Array x = test::random_array({3, 4}, 52);
  test::check_close(ad::clip(V(x), -0.5, 0.8).value(), test::map(x, [](double e) { return std::clamp(e, -0.5, 0.8); }));
  test::check_close(ad::clip(V(Array{-3, -0.5, 0.1, 0.8, 2}), -0.5, 0.8).value(), Array{-0.5, -0.5, 0.1, 0.8, 0.8});
  BOOST_CHECK_THROW(ad::clip(V(x), 1.0, -1.0), ad::Error);
}

BOOST_AUTO_TEST_CASE(clip_gradient_on_closed_interval) {
  const double lo = -0.5, hi = 0.8;
  const Array x{-2, -0.5, 0, 0.8, 2, -0.5000001, 0.8000001};
  test::check_close(test::grad_of_sum([lo, hi](const V& v) { return ad::clip(v, lo, hi); }, x), Array{0, 1, 1, 1, 0, 0, 0});
  // A degenerate interval lo == hi still passes the gradient at that one point.
  test::check_close(test::grad_of_sum([](const V& v) { return ad::clip(v, 1.0, 1.0); }, Array{0, 1, 2}), Array{0, 1, 0});
}

// ---- maximum, minimum ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(maximum_minimum_gradients) {
  const Array a = test::random_array({3, 4}, 60);
  const Array b = apart_from(a, 61);
  const auto mx = [](const Inputs& in) { return ad::maximum(in[0], in[1]); };
  const auto mn = [](const Inputs& in) { return ad::minimum(in[0], in[1]); };
  CHECK_GRADIENTS(mx, a, b);
  CHECK_GRADIENTS(mn, a, b);
  // Second derivatives through a nonlinear function of the chosen operand.
  const auto nl = [](const Inputs& in) { return ad::square(ad::maximum(in[0], in[1])) * ad::minimum(in[0], in[1]); };
  CHECK_GRADIENTS(nl, a, b);
}

BOOST_AUTO_TEST_CASE(maximum_minimum_values) {
  const Array a = test::random_array({3, 4}, 64);
  const Array b = test::random_array({3, 4}, 65);
  test::check_close(ad::maximum(V(a), V(b)).value(), Array(xt::maximum(a, b)));
  test::check_close(ad::minimum(V(a), V(b)).value(), Array(xt::minimum(a, b)));
  Array expected_max = a, expected_min = a;
  for (std::size_t i = 0; i < a.size(); ++i) {
    expected_max.data()[i] = std::max(a.data()[i], b.data()[i]);
    expected_min.data()[i] = std::min(a.data()[i], b.data()[i]);
  }
  test::check_close(ad::maximum(V(a), V(b)).value(), expected_max);
  test::check_close(ad::minimum(V(a), V(b)).value(), expected_min);
  test::check_close(ad::maximum(V(Array{{1, 5}, {-2, 0}}), V(Array{3, -1})).value(), Array{{3, 5}, {3, 0}});
  test::check_close(ad::minimum(V(Array{{1, 5}, {-2, 0}}), V(Array{3, -1})).value(), Array{{1, -1}, {-2, -1}});
  BOOST_CHECK_THROW(ad::maximum(V(xt::zeros<double>({2, 3})), V(xt::zeros<double>({4}))), ad::ShapeError);
  BOOST_CHECK_THROW(ad::minimum(V(xt::zeros<double>({2, 3})), V(xt::zeros<double>({4}))), ad::ShapeError);
}

BOOST_AUTO_TEST_CASE(maximum_minimum_tie_goes_to_first_operand) {
  const Array av{1, 2, 3, -1};
  const Array bv{1, 0, 5, -1};  // ties at 0 and 3
  {
    V a(av, true), b(bv, true);
    ad::backward(ad::sum(ad::maximum(a, b)));
    test::check_close(test::grad_value(a), Array{1, 1, 0, 1});
    test::check_close(test::grad_value(b), Array{0, 0, 1, 0});
  }
  {
    V a(av, true), b(bv, true);
    ad::backward(ad::sum(ad::minimum(a, b)));
    test::check_close(test::grad_value(a), Array{1, 0, 1, 1});
    test::check_close(test::grad_value(b), Array{0, 1, 0, 0});
  }
  // Swapping the operands moves the tie with the first one.
  {
    V a(av, true), b(bv, true);
    ad::backward(ad::sum(ad::maximum(b, a)));
    test::check_close(test::grad_value(b), Array{1, 0, 1, 1});
    test::check_close(test::grad_value(a), Array{0, 1, 0, 0});
  }
  {
    V a(av, true), b(bv, true);
    ad::backward(ad::sum(ad::minimum(b, a)));
    test::check_close(test::grad_value(b), Array{1, 1, 0, 1});
    test::check_close(test::grad_value(a), Array{0, 0, 1, 0});
  }
  // A tie with a broadcast 0-d operand: the whole tie goes to the first operand, and the
  // second operand's gradient counts only the elements it wins outright.
  {
    V a(Array{{0, 1, 2}, {1, 1, -1}}, true);
    V s = V::scalar(1, true);
    ad::backward(ad::sum(ad::maximum(s, a)));
    test::check_close(test::grad_value(a), Array{{0, 0, 1}, {0, 0, 0}});
    BOOST_TEST(s.grad().item() == 5.0);
  }
  {
    V a(Array{{0, 1, 2}, {1, 1, -1}}, true);
    V s = V::scalar(1, true);
    ad::backward(ad::sum(ad::minimum(a, s)));
    test::check_close(test::grad_value(a), Array{{1, 1, 0}, {1, 1, 1}});
    BOOST_TEST(s.grad().item() == 1.0);
  }
  // The same through grad(), with an upstream gradient.
  {
    V a(av, true), b(bv, true);
    const auto gs = ad::grad(ad::sum(ad::maximum(a, b) * 2.0), {a, b});
    test::check_close(gs[0].value(), Array{2, 2, 0, 2});
    test::check_close(gs[1].value(), Array{0, 0, 2, 0});
  }
}

BOOST_AUTO_TEST_CASE(maximum_minimum_broadcast_along_last_axis) {
  // Broadcasting along the last axis, which is long enough here for a vectorized inner loop.
  const Array mat{{1, 2, 3, 4, 5}, {5, 6, 7, 8, 9}, {-1, -2, -3, -4, -5}};
  const Array row{0.5, 10, -10, 4.5, 0};
  const Array want_max{{1, 10, 3, 4.5, 5}, {5, 10, 7, 8, 9}, {0.5, 10, -3, 4.5, 0}};
  const Array want_min{{0.5, 2, -10, 4, 0}, {0.5, 6, -10, 4.5, 0}, {-1, -2, -10, -4, -5}};
  test::check_close(ad::maximum(V(mat), V(row)).value(), want_max);
  test::check_close(ad::maximum(V(row), V(mat)).value(), want_max);
  test::check_close(ad::minimum(V(mat), V(row)).value(), want_min);
  test::check_close(ad::minimum(V(row), V(mat)).value(), want_min);
  // A row vector (n) broadcast onto (m, n), without ties: each element of the row collects the
  // number of rows it wins.
  {
    V m(Array{{1, 2, 3, 4, 5}, {5, 6, 7, 8, 9}, {-1, -2, -3, -4, -5}}, true);
    V r(Array{0.5, 10, -10, 4.5, 0}, true);
    ad::backward(ad::sum(ad::maximum(m, r)));
    test::check_close(test::grad_value(m), Array{{1, 0, 1, 0, 1}, {1, 0, 1, 1, 1}, {0, 0, 1, 0, 0}});
    test::check_close(test::grad_value(r), Array{1, 3, 0, 2, 1});
  }
  {
    V m(Array{{1, 2, 3, 4, 5}, {5, 6, 7, 8, 9}, {-1, -2, -3, -4, -5}}, true);
    V r(Array{0.5, 10, -10, 4.5, 0}, true);
    ad::backward(ad::sum(ad::minimum(m, r)));
    test::check_close(test::grad_value(m), Array{{0, 1, 0, 1, 0}, {0, 1, 0, 0, 0}, {1, 1, 0, 1, 1}});
    test::check_close(test::grad_value(r), Array{2, 0, 3, 1, 2});
  }
  // First and second derivatives: (n) against (m, n), every column kept apart from the row vector.
  const auto mx = [](const Inputs& in) { return ad::maximum(in[0], in[1]); };
  const auto mn = [](const Inputs& in) { return ad::minimum(in[0], in[1]); };
  const Array rv = test::random_array({4}, 62);
  Array mt = test::random_array({3, 4}, 63);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 4; ++j) {
      if (std::abs(mt(i, j) - rv(j)) < 0.2) mt(i, j) = rv(j) + (mt(i, j) < rv(j) ? -0.4 : 0.4);
    }
  }
  CHECK_GRADIENTS(mx, mt, rv);
  CHECK_GRADIENTS(mn, rv, mt);
}

// ---- where -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(where_gradients) {
  const Mask mask{{true, false, true, false}, {false, false, true, true}, {true, true, false, false}};
  const auto f = [mask](const Inputs& in) { return ad::where(mask, in[0], in[1]); };
  CHECK_GRADIENTS(f, test::random_array({3, 4}, 70), test::random_array({3, 4}, 71));
  const auto g = [mask](const Inputs& in) { return ad::where(mask, ad::square(in[0]), in[0] * in[1]); };
  CHECK_GRADIENTS(g, test::random_array({3, 4}, 72), test::random_array({3, 4}, 73));
}

BOOST_AUTO_TEST_CASE(where_broadcasting_gradients) {
  const Mask col = mask_column({true, false, true});                  // (3, 1)
  const Mask row{true, false, false, true};                 // (4)
  const Mask full{{true, false, true, false}, {false, false, true, true}, {true, true, false, false}};
  // mask (3, 1), a (4), b 0-d: the result is (3, 4).
  const auto f1 = [col](const Inputs& in) { return ad::where(col, in[0], in[1]); };
  CHECK_GRADIENTS(f1, test::random_array({4}, 80), test::random_array({}, 81));
  // mask (4), a (3, 1), b (3, 4).
  const auto f2 = [row](const Inputs& in) { return ad::where(row, in[0], in[1]); };
  CHECK_GRADIENTS(f2, test::random_array({3, 1}, 82), test::random_array({3, 4}, 83));
  // mask (3, 4) larger than both operands: a (3, 1), b (4).
  const auto f3 = [full](const Inputs& in) { return ad::where(full, in[0], in[1]); };
  CHECK_GRADIENTS(f3, test::random_array({3, 1}, 84), test::random_array({4}, 85));
  // a 0-d mask.
  Mask yes = Mask::from_shape({});
  yes() = true;
  const auto f4 = [yes](const Inputs& in) { return ad::where(yes, in[0], in[1]) * in[1]; };
  CHECK_GRADIENTS(f4, test::random_array({3, 4}, 86), test::random_array({4}, 87));
}

BOOST_AUTO_TEST_CASE(where_values_and_gradients_by_value) {
  const Mask col = mask_column({true, false, true});  // (3, 1)
  const Array av{1, 2, 3, 4};               // (4)
  V a(av, true);
  V b = V::scalar(-7, true);
  const V y = ad::where(col, a, b);
  test::check_close(y.value(), Array{{1, 2, 3, 4}, {-7, -7, -7, -7}, {1, 2, 3, 4}});
  ad::backward(ad::sum(y));
  test::check_close(test::grad_value(a), Array{2, 2, 2, 2});  // two rows choose a
  BOOST_TEST(b.grad().item() == 4.0);                  // four elements choose b

  const Mask full{{true, false, true}, {false, false, true}};
  V p(Array{10, 20, 30}, true);
  V q(Array{{1, 2, 3}, {4, 5, 6}}, true);
  const V z = ad::where(full, p, q);
  test::check_close(z.value(), Array{{10, 2, 30}, {4, 5, 30}});
  const auto gs = ad::grad(ad::sum(z * V(Array{{1, 2, 3}, {4, 5, 6}})), {p, q});
  test::check_close(gs[0].value(), Array{1, 0, 9});
  test::check_close(gs[1].value(), Array{{0, 2, 0}, {4, 5, 0}});

  BOOST_CHECK_THROW(ad::where(Mask{true, false}, V(xt::zeros<double>({3})), V(xt::zeros<double>({3}))),
                    ad::ShapeError);
  BOOST_CHECK_THROW(ad::where(col, V(xt::zeros<double>({2, 3})), V(xt::zeros<double>({4}))), ad::ShapeError);
}

BOOST_AUTO_TEST_CASE(where_broadcast_along_last_axis) {
  // Operands broadcast along a last axis long enough for vectorized inner loops (5 and 8).
  const Mask wide = xt::xarray<bool>{{true, false, false, true, true}, {false, true, false, false, true},
                                     {true, true, true, false, false}};
  const auto f5 = [wide](const Inputs& in) { return ad::where(wide, in[0], in[1]); };
  CHECK_GRADIENTS(f5, test::random_array({3, 5}, 88), test::random_array({5}, 89));
  CHECK_GRADIENTS(f5, test::random_array({1, 5}, 90), test::random_array({3, 5}, 91));
  const Mask eight = xt::xarray<bool>{{true, false, false, true, true, false, true, false},
                                      {false, true, false, false, true, true, true, false}};
  const auto f8 = [eight](const Inputs& in) { return ad::where(eight, in[0], in[1]); };
  CHECK_GRADIENTS(f8, test::random_array({8}, 92), test::random_array({2, 1}, 93));
  // Values and gradients by value, (5) against (2, 5).
  const Mask wide2{{true, false, false, true, true}, {false, true, false, false, true}};
  V u(Array{1, 2, 3, 4, 5}, true);
  V w(Array{{-1, -2, -3, -4, -5}, {-6, -7, -8, -9, -10}}, true);
  const V uw = ad::where(wide2, u, w);
  test::check_close(uw.value(), Array{{1, -2, -3, 4, 5}, {-6, 2, -8, -9, 5}});
  const V wu = ad::where(wide2, w, u);
  test::check_close(wu.value(), Array{{-1, 2, 3, -4, -5}, {1, -7, 3, 4, -10}});
  ad::backward(ad::sum(uw));
  test::check_close(test::grad_value(u), Array{1, 1, 0, 1, 2});
  test::check_close(test::grad_value(w), Array{{0, 1, 1, 0, 0}, {1, 0, 1, 1, 0}});
}

// ---- sin, cos, tan, log1p, expm1, reciprocal, rsqrt, erf --------------------------------------

namespace {

struct UnaryCase {
  std::string name;
  std::function<V(const V&)> op;
  std::function<double(double)> value, derivative;  // closed forms through std::
  Array x;                                          // inputs away from kinks and poles
};

const double pi = 3.14159265358979323846;

std::vector<UnaryCase> smooth_cases() {
  const Array any = test::random_array({3, 4}, 100, -3, 3, 0);
  const Array positive = test::positive_array({3, 4}, 101, 0.2, 3);
  // tan on (-pi/2, pi/2) away from the poles, log1p on (-1, ...) away from -1.
  const Array tan_x = test::random_array({3, 4}, 102, -1.3, 1.3, 0);
  const Array log1p_x = test::random_array({3, 4}, 103, -0.8, 3, 0);
  const Array nonzero = test::random_array({3, 4}, 104, -3, 3, 0.3);
  return {
      {"sin", [](const V& v) { return ad::sin(v); }, [](double e) { return std::sin(e); },
       [](double e) { return std::cos(e); }, any},
      {"cos", [](const V& v) { return ad::cos(v); }, [](double e) { return std::cos(e); },
       [](double e) { return -std::sin(e); }, any},
      {"tan", [](const V& v) { return ad::tan(v); }, [](double e) { return std::tan(e); },
       [](double e) { return 1 / (std::cos(e) * std::cos(e)); }, tan_x},
      {"log1p", [](const V& v) { return ad::log1p(v); }, [](double e) { return std::log1p(e); },
       [](double e) { return 1 / (1 + e); }, log1p_x},
      {"expm1", [](const V& v) { return ad::expm1(v); }, [](double e) { return std::expm1(e); },
       [](double e) { return std::exp(e); }, any},
      {"reciprocal", [](const V& v) { return ad::reciprocal(v); }, [](double e) { return 1 / e; },
       [](double e) { return -1 / (e * e); }, nonzero},
      {"rsqrt", [](const V& v) { return ad::rsqrt(v); }, [](double e) { return 1 / std::sqrt(e); },
       [](double e) { return -0.5 / (e * std::sqrt(e)); }, positive},
      {"erf", [](const V& v) { return ad::erf(v); }, [](double e) { return std::erf(e); },
       [](double e) { return 2 / std::sqrt(pi) * std::exp(-e * e); }, any},
  };
}

}  // namespace

BOOST_AUTO_TEST_CASE(new_smooth_unary_gradients) {
  for (const auto& c : smooth_cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      const auto f = [op = c.op](const Inputs& in) { return op(in[0]); };
      CHECK_GRADIENTS(f, c.x);
      // Composed with a second input, so the second derivative mixes both.
      const auto g = [op = c.op](const Inputs& in) { return op(in[0]) * ad::square(in[1]) + in[1]; };
      CHECK_GRADIENTS(g, c.x, test::random_array({3, 4}, 105));
    }
  }
}

BOOST_AUTO_TEST_CASE(new_smooth_unary_values_and_derivatives) {
  for (const auto& c : smooth_cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      test::check_close(c.op(V(c.x)).value(), test::map(c.x, c.value), 1e-15, 1e-14);
      test::check_close(test::grad_of_sum(c.op, c.x), test::map(c.x, c.derivative), 1e-15, 1e-13);
    }
  }
  // Exact points and accuracy near 0, where log1p and expm1 beat log(1 + x) and exp(x) - 1.
  test::check_close(ad::sin(V(Array{0, pi / 2, -pi / 6})).value(), Array{0, 1, -0.5}, 1e-15, 1e-15);
  test::check_close(ad::cos(V(Array{0, pi})).value(), Array{1, -1}, 1e-15, 1e-15);
  test::check_close(ad::tan(V(Array{0, pi / 4})).value(), Array{0, 1}, 1e-15, 1e-15);
  test::check_close(ad::log1p(V(Array{1e-20, -1e-20})).value(), Array{1e-20, -1e-20}, 0, 1e-15);
  test::check_close(ad::expm1(V(Array{1e-20, -1e-20})).value(), Array{1e-20, -1e-20}, 0, 1e-15);
  test::check_close(ad::reciprocal(V(Array{4, -0.5})).value(), Array{0.25, -2});
  test::check_close(ad::rsqrt(V(Array{4, 0.25})).value(), Array{0.5, 2});
  test::check_close(ad::erf(V(Array{0, 30, -30})).value(), Array{0, 1, -1});
  // Poles and edges give IEEE values: 1/0 = inf, rsqrt(0) = inf, log1p(-1) = -inf.
  BOOST_TEST(ad::reciprocal(V(Array{0.0})).value()(0) == std::numeric_limits<double>::infinity());
  BOOST_TEST(ad::rsqrt(V(Array{0.0})).value()(0) == std::numeric_limits<double>::infinity());
  BOOST_TEST(ad::log1p(V(Array{-1.0})).value()(0) == -std::numeric_limits<double>::infinity());
  BOOST_TEST(std::isnan(ad::rsqrt(V(Array{-1.0})).value()(0)));
}

// ---- pow with a tensor exponent ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(pow_tensor_exponent_gradients_with_broadcasting) {
  const auto f = [](const Inputs& in) { return ad::pow(in[0], in[1]); };
  const Array a = test::positive_array({3, 4}, 110, 0.5, 2);
  CHECK_GRADIENTS(f, a, test::random_array({3, 4}, 111));
  CHECK_GRADIENTS(f, a, test::random_array({4}, 112));            // exponent (4) onto (3, 4)
  CHECK_GRADIENTS(f, test::positive_array({3, 1}, 113), test::random_array({1, 5}, 114));  // both broadcast
  CHECK_GRADIENTS(f, test::positive_array({5}, 115), test::random_array({2, 5}, 116));     // base broadcast
  CHECK_GRADIENTS(f, a, test::random_array({}, 117));              // 0-d exponent
  const auto g = [](const Inputs& in) { return ad::pow(ad::exp(in[1]) + 0.5, in[0] * in[1]); };
  CHECK_GRADIENTS(g, test::random_array({3, 4}, 118), test::random_array({4}, 119));
  // A scalar base: s^x.
  const auto h = [](const Inputs& in) { return ad::pow(2.5, in[0]) * in[0]; };
  CHECK_GRADIENTS(h, test::random_array({3, 4}, 120));
}

BOOST_AUTO_TEST_CASE(pow_tensor_exponent_values) {
  const Array a = test::positive_array({3, 4}, 121);
  const Array b = test::random_array({4}, 122);
  V av(a, true), bv(b, true);
  const V y = ad::pow(av, bv);
  Array want = a, want_ga = a, want_gb = xt::zeros<double>({4});
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 4; ++j) {
      want(i, j) = std::pow(a(i, j), b(j));
      want_ga(i, j) = b(j) * std::pow(a(i, j), b(j) - 1);
      want_gb(j) += want(i, j) * std::log(a(i, j));
    }
  }
  test::check_close(y.value(), want, 1e-15, 1e-14);
  ad::backward(ad::sum(y));
  test::check_close(test::grad_value(av), want_ga, 1e-15, 1e-13);
  test::check_close(test::grad_value(bv), want_gb, 1e-15, 1e-13);
  // pow(a, b) with a 0-d b equals pow(a, scalar); pow(s, x) equals pow(full(s), x).
  test::check_close(ad::pow(V(a), V::scalar(1.5)).value(), ad::pow(V(a), 1.5).value(), 1e-15, 1e-14);
  test::check_close(ad::pow(3.0, V(b)).value(), test::map(b, [](double e) { return std::pow(3.0, e); }), 1e-15, 1e-14);
  test::check_error<ad::ShapeError>([] { ad::pow(V(xt::ones<double>({2, 3})), V(xt::ones<double>({4}))); },
                                    {"pow", "(2, 3)", "(4,)"});
}

BOOST_AUTO_TEST_CASE(pow_edge_conventions_match_pytorch) {
  // Reference values from torch 1.13 (torch.pow(a, b).sum().backward(), float64):
  //   a = [0, 0, 0, -2, 2, 0], b = [2, 0, -1, 2, 0.5, 0.5]
  //   value  [0, 1, inf, 4, 1.41421356237309515, 0]
  //   grad_a [0, 0, -inf, -4, 0.35355339059327379, inf]
  //   grad_b [0, 0, -inf, nan, 0.98025814346854723, 0]
  const double inf = std::numeric_limits<double>::infinity();
  V a(Array{0, 0, 0, -2, 2, 0}, true), b(Array{2, 0, -1, 2, 0.5, 0.5}, true);
  const V y = ad::pow(a, b);
  ad::backward(ad::sum(y));
  const Array value = y.value(), ga = test::grad_value(a), gb = test::grad_value(b);
  const std::vector<double> want_value{0, 1, inf, 4, 1.41421356237309515, 0};
  const std::vector<double> want_ga{0, 0, -inf, -4, 0.35355339059327379, inf};
  const std::vector<double> want_gb{0, 0, -inf, std::nan(""), 0.98025814346854723, 0};
  for (std::size_t i = 0; i < 6; ++i) {
    BOOST_TEST_CONTEXT("element " << i) {
      const auto same = [](double x, double w) {
        return std::isnan(w) ? std::isnan(x) : (std::isinf(w) ? x == w : std::abs(x - w) <= 1e-15 * std::abs(w));
      };
      BOOST_TEST(same(value(i), want_value[i]), value(i) << " vs " << want_value[i]);
      BOOST_TEST(same(ga(i), want_ga[i]), ga(i) << " vs " << want_ga[i]);
      BOOST_TEST(same(gb(i), want_gb[i]), gb(i) << " vs " << want_gb[i]);
    }
  }
  // A zero base with a scalar exponent, in double and float: 0^0 = 1, 0^-1 = inf, 0^2 = 0.
  for (double p : {0.0, -1.0, 2.0, 0.5}) {
    BOOST_TEST_CONTEXT("0^" << p) {
      BOOST_TEST(ad::pow(V(Array{0.0}), p).value()(0) == std::pow(0.0, p));
      BOOST_TEST(ad::pow(ad::Var<float>(xt::xarray<float>{0.0f}), p).value()(0) == std::pow(0.0f, float(p)));
      BOOST_TEST(ad::pow(V(Array{0.0}), V(Array{p})).value()(0) == std::pow(0.0, p));
    }
  }
  // torch 1.13, torch.pow(0.0, x) and torch.pow(2.0, x) at x = [-1.5, 0, 2]:
  //   values [inf, 1, 0] and [0.35355339059327379, 1, 4]; grads [-inf, 0, 0] and
  //   [0.24506453586713681, 0.69314718055994529, 2.77258872223978114]
  V x0(Array{-1.5, 0, 2}, true);
  ad::backward(ad::sum(ad::pow(0.0, x0)));
  BOOST_TEST(test::grad_value(x0)(0) == -inf);
  BOOST_TEST(test::grad_value(x0)(1) == 0.0);
  BOOST_TEST(test::grad_value(x0)(2) == 0.0);
  V x2(Array{-1.5, 0, 2}, true);
  const V y2 = ad::pow(2.0, x2);
  ad::backward(ad::sum(y2));
  test::check_close(y2.value(), Array{0.35355339059327379, 1, 4}, 0, 1e-15);
  test::check_close(test::grad_value(x2), Array{0.24506453586713681, 0.69314718055994529, 2.77258872223978114}, 0, 1e-15);
}

// ---- float agrees with double ------------------------------------------------------------------

namespace {

// op applied in float to x rounded to float, against op in double at the same (rounded) x.
template <class Op>
void check_float_matches_double(const std::string& name, Op op, const Array& x, double rtol = 1e-5) {
  BOOST_TEST_CONTEXT(name) {
    const xt::xarray<float> xf = xt::cast<float>(x);
    const Array xd = xt::cast<double>(xf);
    const Array from_float = xt::cast<double>(op(ad::Var<float>(xf)).value());
    test::check_close(from_float, op(V(xd)).value(), 1e-30, rtol);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(float_forward_matches_double) {
  const Array any = test::random_array({4, 5}, 130, -3, 3, 0);
  const Array positive = test::positive_array({4, 5}, 131, 0.2, 3);
  check_float_matches_double("sin", [](const auto& v) { return ad::sin(v); }, any);
  check_float_matches_double("cos", [](const auto& v) { return ad::cos(v); }, any);
  check_float_matches_double("tan", [](const auto& v) { return ad::tan(v); }, test::random_array({4, 5}, 132, -1.3, 1.3, 0));
  check_float_matches_double("log1p", [](const auto& v) { return ad::log1p(v); }, test::random_array({4, 5}, 133, -0.8, 3, 0));
  check_float_matches_double("expm1", [](const auto& v) { return ad::expm1(v); }, any);
  check_float_matches_double("reciprocal", [](const auto& v) { return ad::reciprocal(v); }, test::random_array({4, 5}, 134));
  check_float_matches_double("rsqrt", [](const auto& v) { return ad::rsqrt(v); }, positive);
  check_float_matches_double("erf", [](const auto& v) { return ad::erf(v); }, any);
  check_float_matches_double("pow", [](const auto& v) { return ad::pow(v, ad::sin(v)); }, positive);
  check_float_matches_double("pow scalar base", [](const auto& v) { return ad::pow(1.7, v); }, any);
}

// ---- NaN propagation ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(nan_reaches_the_output_of_every_elementwise_op) {
  const double nan = std::nan("");
  const V x(Array{nan, 1.5});
  const std::vector<std::pair<std::string, std::function<V(const V&)>>> ops{
      {"pow scalar", [](const V& v) { return ad::pow(v, 2.0); }},
      {"pow tensor", [](const V& v) { return ad::pow(v, V(Array{3.0, 2.0})); }},
      {"pow base", [](const V& v) { return ad::pow(V(Array{2.0, 2.0}), v); }},
      {"pow scalar base", [](const V& v) { return ad::pow(2.0, v); }},
      {"square", [](const V& v) { return ad::square(v); }},
      {"sqrt", [](const V& v) { return ad::sqrt(v); }},
      {"exp", [](const V& v) { return ad::exp(v); }},
      {"log", [](const V& v) { return ad::log(v); }},
      {"log1p", [](const V& v) { return ad::log1p(v); }},
      {"expm1", [](const V& v) { return ad::expm1(v); }},
      {"reciprocal", [](const V& v) { return ad::reciprocal(v); }},
      {"rsqrt", [](const V& v) { return ad::rsqrt(v); }},
      {"sin", [](const V& v) { return ad::sin(v); }},
      {"cos", [](const V& v) { return ad::cos(v); }},
      {"tan", [](const V& v) { return ad::tan(v); }},
      {"erf", [](const V& v) { return ad::erf(v); }},
      {"abs", [](const V& v) { return ad::abs(v); }},
      {"sign", [](const V& v) { return ad::sign(v); }},
      {"clip", [](const V& v) { return ad::clip(v, -1.0, 1.0); }},
      {"maximum", [](const V& v) { return ad::maximum(v, V(Array{0.0, 0.0})); }},
      {"maximum second", [](const V& v) { return ad::maximum(V(Array{0.0, 0.0}), v); }},
      {"minimum", [](const V& v) { return ad::minimum(v, V::scalar(0.0)); }},
      {"minimum second", [](const V& v) { return ad::minimum(V::scalar(0.0), v); }},
  };
  for (const auto& [name, op] : ops) {
    BOOST_TEST_CONTEXT(name) {
      const Array y = op(x).value();
      BOOST_TEST(std::isnan(y(0)));
      BOOST_TEST(!std::isnan(y(1)));
    }
  }
  // Values next to the NaN are untouched; pow(NaN, 0) = 1 as IEEE (and numpy) has it.
  test::check_close(Array(xt::view(ad::clip(x, -1.0, 1.0).value(), xt::range(1, 2))), Array{1.0});
  test::check_close(Array(xt::view(ad::sign(V(Array{nan, -2, 0, 3})).value(), xt::range(1, 4))), Array{-1, 0, 1});
  BOOST_TEST(ad::pow(V(Array{nan}), 0.0).value()(0) == 1.0);
}

BOOST_AUTO_TEST_CASE(nan_gradients_of_maximum_minimum_abs_clip) {
  const double nan = std::nan("");
  // The gradient of maximum/minimum goes to the NaN operand, to the first when both are NaN.
  {
    V a(Array{nan, 0, nan, 1}, true), b(Array{0, nan, nan, 2}, true);
    ad::backward(ad::sum(ad::maximum(a, b)) + ad::sum(ad::minimum(a, b)));
    test::check_close(test::grad_value(a), Array{2, 0, 2, 1});
    test::check_close(test::grad_value(b), Array{0, 2, 0, 1});
  }
  // abs'(NaN) = 0 and clip'(NaN) = 0, as torch 1.13 has them.
  test::check_close(test::grad_of_sum([](const V& v) { return ad::abs(v); }, Array{nan, -2}), Array{0, -1});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::clip(v, -1.0, 1.0); }, Array{nan, 0.5}), Array{0, 1});
}
