#define BOOST_TEST_MODULE linalg
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <autodiff/threads.hpp>

#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <vector>

namespace {

using test::Array;
using test::Inputs;
using test::V;
using ArrayF = xt::xarray<float>;

V leaf(const Array& a) { return V(a, true); }

std::string shape_of(const V& v) { return ad::shape_str(v.shape()); }

// The 2-D transpose by a plain loop.
Array loop_transpose(const Array& a) {
  Array t = Array::from_shape({a.shape()[1], a.shape()[0]});
  for (std::size_t i = 0; i < a.shape()[0]; ++i)
    for (std::size_t j = 0; j < a.shape()[1]; ++j) t(j, i) = a(i, j);
  return t;
}

// a · b by the naive triple loop.
Array naive_matmul(const Array& a, const Array& b) {
  const std::size_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
  Array c = xt::zeros<double>({m, n});
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t p = 0; p < k; ++p) c(i, j) += a(i, p) * b(p, j);
  return c;
}

// Stored operand for op(x) of shape (rows, cols): x itself, or a (cols, rows) array when transposed.
Array stored(const Array& op_value, bool transposed) { return transposed ? loop_transpose(op_value) : op_value; }

struct Flags {
  bool ta, tb;
};
const std::vector<Flags> all_flags{{false, false}, {false, true}, {true, false}, {true, true}};

}  // namespace

// ---- matmul ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(matmul_forward_matches_naive_loop_for_all_transpose_flags) {
  // op(A) is (3, 4), op(B) is (4, 2).
  const Array opa = test::random_array({3, 4}, 1);
  const Array opb = test::random_array({4, 2}, 2);
  const Array ref = naive_matmul(opa, opb);
  for (const auto& fl : all_flags) {
    BOOST_TEST_CONTEXT("transpose_a " << fl.ta << ", transpose_b " << fl.tb) {
      V a(stored(opa, fl.ta)), b(stored(opb, fl.tb));
      V c = ad::matmul(a, b, fl.ta, fl.tb);
      BOOST_TEST(shape_of(c) == "(3, 2)");
      test::check_close(c.value(), ref, 1e-12, 1e-12);
    }
  }
  // Defaults are no transposes; a row times a column, and a column times a row (outer product).
  test::check_close(ad::matmul(V(opa), V(opb)).value(), ref, 1e-12, 1e-12);
  const Array row{{1, 2, 3}};
  Array col{4, 5, 6};
  col.reshape({3, 1});
  Array dot{32};
  dot.reshape({1, 1});
  test::check_close(ad::matmul(V(row), V(col)).value(), dot);
  test::check_close(ad::matmul(V(col), V(row)).value(), Array{{4, 8, 12}, {5, 10, 15}, {6, 12, 18}});
  // A hand-computed product.
  test::check_close(ad::matmul(V(Array{{1, 2}, {3, 4}}), V(Array{{5, 6}, {7, 8}})).value(), Array{{19, 22}, {43, 50}});
  test::check_close(ad::matmul(V(Array{{1, 2}, {3, 4}}), V(Array{{5, 6}, {7, 8}}), true, false).value(),
                    Array{{26, 30}, {38, 44}});
  test::check_close(ad::matmul(V(Array{{1, 2}, {3, 4}}), V(Array{{5, 6}, {7, 8}}), false, true).value(),
                    Array{{17, 23}, {39, 53}});
}

// One row (a sample through a layer) or one column goes to the BLAS's gemv: every transpose
// flag, both sides, float and double, values and gradients (whose products are one-row too).
BOOST_AUTO_TEST_CASE(matmul_with_one_row_or_one_column_matches_naive_loop) {
  for (const auto& [m, k, n] : std::vector<std::array<std::size_t, 3>>{{1, 37, 23}, {29, 31, 1}, {1, 17, 1}}) {
    const Array opa = test::random_array({m, k}, 21), opb = test::random_array({k, n}, 22);
    const Array ref = naive_matmul(opa, opb);
    for (const auto& fl : all_flags) {
      BOOST_TEST_CONTEXT("(" << m << ", " << k << ") x (" << k << ", " << n << "), transpose_a " << fl.ta
                             << ", transpose_b " << fl.tb) {
        const Array a0 = stored(opa, fl.ta), b0 = stored(opb, fl.tb);
        test::check_close(ad::matmul(V(a0), V(b0), fl.ta, fl.tb).value(), ref, 1e-12, 1e-12);
        const ad::Var<float> cf =
            ad::matmul(ad::Var<float>(ArrayF(xt::cast<float>(a0))), ad::Var<float>(ArrayF(xt::cast<float>(b0))), fl.ta, fl.tb);
        test::check_close(Array(xt::cast<double>(cf.value())), ref, 1e-4, 1e-4);
        const bool ta = fl.ta, tb = fl.tb;
        auto f = [ta, tb](const Inputs& in) { return ad::matmul(in[0], in[1], ta, tb); };
        const auto first = ad::gradcheck(f, {a0, b0}, test::tolerances);
        BOOST_TEST(first.ok, first.message);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(matmul_gradients_for_all_transpose_flags) {
  const Array opa = test::random_array({3, 4}, 3);
  const Array opb = test::random_array({4, 2}, 4);
  const Array seed{{1, -2}, {0.5, 3}, {-1, 2}};  // dL/dC, (3, 2)
  // d op(A) = G op(B)^T, d op(B) = op(A)^T G; transposed operands get the transposes of these.
  const Array d_opa = naive_matmul(seed, loop_transpose(opb));
  const Array d_opb = naive_matmul(loop_transpose(opa), seed);
  for (const auto& fl : all_flags) {
    BOOST_TEST_CONTEXT("transpose_a " << fl.ta << ", transpose_b " << fl.tb) {
      const Array a0 = stored(opa, fl.ta), b0 = stored(opb, fl.tb);
      V a = leaf(a0), b = leaf(b0);
      ad::backward(ad::matmul(a, b, fl.ta, fl.tb), V(seed));
      test::check_close(a.grad().value(), stored(d_opa, fl.ta), 1e-12, 1e-12);
      test::check_close(b.grad().value(), stored(d_opb, fl.tb), 1e-12, 1e-12);

      const bool ta = fl.ta, tb = fl.tb;
      auto f = [ta, tb](const Inputs& in) { return ad::matmul(in[0], in[1], ta, tb); };
      CHECK_GRADIENTS(f, a0, b0);
    }
  }
  // Other non-square shapes: (2, 5) x (5, 3) and an outer product (4, 1) x (1, 3).
  auto plain = [](const Inputs& in) { return ad::matmul(in[0], in[1]); };
  CHECK_GRADIENTS(plain, test::random_array({2, 5}, 5), test::random_array({5, 3}, 6));
  CHECK_GRADIENTS(plain, test::random_array({4, 1}, 7), test::random_array({1, 3}, 8));
  // A product of a matrix with itself, transposed: gradients from both operands accumulate.
  auto gram = [](const Inputs& in) { return ad::matmul(in[0], in[0], true, false); };
  CHECK_GRADIENTS(gram, test::random_array({3, 2}, 9));
}

BOOST_AUTO_TEST_CASE(matmul_float_matches_double) {
  // Positive entries: no cancellation, so a relative comparison is meaningful.
  const ArrayF af = xt::cast<float>(test::positive_array({5, 7}, 10));
  const ArrayF bf = xt::cast<float>(test::positive_array({7, 3}, 11));
  const Array ad_ = xt::cast<double>(af), bd = xt::cast<double>(bf);
  for (const auto& fl : all_flags) {
    BOOST_TEST_CONTEXT("transpose_a " << fl.ta << ", transpose_b " << fl.tb) {
      const ArrayF sa = xt::cast<float>(stored(ad_, fl.ta)), sb = xt::cast<float>(stored(bd, fl.tb));
      const ad::Var<float> cf = ad::matmul(ad::Var<float>(sa), ad::Var<float>(sb), fl.ta, fl.tb);
      const V cd = ad::matmul(V(stored(ad_, fl.ta)), V(stored(bd, fl.tb)), fl.ta, fl.tb);
      BOOST_TEST(shape_of(V(Array(xt::cast<double>(cf.value())))) == "(5, 3)");
      test::check_close(xt::cast<double>(cf.value()), cd.value(), 0, 1e-5);
      test::check_close(cd.value(), naive_matmul(ad_, bd), 1e-12, 1e-12);
    }
  }
}

BOOST_AUTO_TEST_CASE(matmul_shape_errors_name_the_op_and_both_shapes) {
  V a(test::random_array({3, 4}, 12)), b(test::random_array({5, 2}, 13));
  test::check_error<ad::ShapeError>([&] { ad::matmul(a, b); }, {"matmul", "(3, 4)", "(5, 2)"});
  // With flags: op(A) = (4, 3) does not fit (4, 2), (3, 4) does not fit op(B) = (2, 4), and
  // op(B2) = (2, 4) does not fit (3, 4).
  V b2(test::random_array({4, 2}, 14));
  test::check_error<ad::ShapeError>([&] { ad::matmul(a, b2, true, false); }, {"matmul", "(3, 4)", "(4, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::matmul(a, b2, false, true); }, {"matmul", "(3, 4)", "(4, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::matmul(b2, a, true, false); }, {"matmul", "(4, 2)", "(3, 4)"});
  // Operands that are not 2-D (1-D and N-D ones are valid since batched matmul; these do not fit).
  V v1(Array{1, 2, 3}), m32(test::random_array({3, 2}, 15)), t3(test::random_array({2, 3, 4}, 16));
  V s = V::scalar(2.0);
  test::check_error<ad::ShapeError>([&] { ad::matmul(v1, b2); }, {"matmul", "(3,)", "(4, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::matmul(a, V(Array{1, 2, 3})); }, {"matmul", "(3, 4)", "(3,)"});
  test::check_error<ad::ShapeError>([&] { ad::matmul(t3, m32); }, {"matmul", "(2, 3, 4)", "(3, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::matmul(s, a); }, {"matmul", "()", "(3, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::matmul(a, s); }, {"matmul", "(3, 4)", "()"});
}

BOOST_AUTO_TEST_CASE(matmul_with_empty_inner_dimension_gives_zeros) {
  V a(Array::from_shape({3, 0}), true), b(Array::from_shape({0, 2}), true);
  V c = ad::matmul(a, b);
  BOOST_TEST(shape_of(c) == "(3, 2)");
  test::check_close(c.value(), xt::zeros<double>({3, 2}));
  ad::backward(ad::sum(c));
  BOOST_TEST(ad::shape_str(a.grad().shape()) == "(3, 0)");
  BOOST_TEST(ad::shape_str(b.grad().shape()) == "(0, 2)");

  // The same through the transpose flags: stored (0, 3) and (2, 0).
  V at(Array::from_shape({0, 3})), bt(Array::from_shape({2, 0}));
  V ct = ad::matmul(at, bt, true, true);
  BOOST_TEST(shape_of(ct) == "(3, 2)");
  test::check_close(ct.value(), xt::zeros<double>({3, 2}));

  // Empty outer dimensions give empty results.
  V e = ad::matmul(V(Array::from_shape({0, 4})), V(test::random_array({4, 2}, 17)));
  BOOST_TEST(shape_of(e) == "(0, 2)");
}

// ---- linear: act(x·W + b) as one op ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(linear_equals_matmul_plus_bias_then_activation) {
  // Pre-activations away from 0, where relu has its kink: x·W + b >= 0.05 in magnitude.
  const Array x = test::random_array({5, 4}, 11), w = test::random_array({4, 3}, 12);
  Array b = test::random_array({3}, 13);
  const Array z = naive_matmul(x, w) + b;
  for (std::size_t i = 0; i < z.size(); ++i) BOOST_TEST_REQUIRE(std::abs(z.data()[i]) > 0.05);
  test::check_close(ad::linear(V(x), V(w), V(b)).value(), z, 1e-12, 1e-12);
  test::check_close(ad::linear(V(x), V(w), V(b), ad::Activation::relu).value(), Array(xt::maximum(z, 0.0)), 1e-12, 1e-12);
  test::check_close(ad::linear(V(x), V(w)).value(), naive_matmul(x, w), 1e-12, 1e-12);
  // relu'(0) = 0: a pre-activation of exactly 0 passes no gradient.
  V x0 = leaf(Array{{1, -1}}), w0 = leaf(Array(xt::ones<double>({2, 1})));
  ad::backward(ad::sum(ad::linear(x0, w0, V(Array(xt::zeros<double>({1}))), ad::Activation::relu)));
  test::check_close(x0.grad().value(), Array{{0, 0}});

  for (const ad::Activation a : {ad::Activation::linear, ad::Activation::relu, ad::Activation::tanh}) {
    BOOST_TEST_CONTEXT("activation " << ad::activation_name(a)) {
      auto with_bias = [a](const Inputs& in) { return ad::linear(in[0], in[1], in[2], a); };
      CHECK_GRADIENTS(with_bias, x, w, b);
      auto without_bias = [a](const Inputs& in) { return ad::linear(in[0], in[1], V(), a); };
      CHECK_GRADIENTS(without_bias, x, w);
    }
  }
}

BOOST_AUTO_TEST_CASE(linear_relu_keeps_nan) {
  // A NaN in x fills its row of x·W; one in the bias its column. The fused relu keeps both, as
  // relu(matmul + bias) does, and its backward passes the gradient where the output is NaN.
  const double nan = std::nan("");
  const Array x{{1, -1}, {nan, 2}, {-3, -1}};
  const Array w{{1, 0.5, -1}, {1, 1, 1}};
  const Array b{0, nan, 0};
  for (const ad::Activation a : {ad::Activation::relu, ad::Activation::linear}) {
    BOOST_TEST_CONTEXT("activation " << ad::activation_name(a)) {
      const Array fused = ad::linear(V(x), V(w), V(b), a).value();
      const Array composed = ad::activate(ad::matmul(V(x), V(w)) + V(b), a).value();
      for (std::size_t i = 0; i < fused.size(); ++i) {
        const bool want_nan = i / 3 == 1 || i % 3 == 1;
        BOOST_TEST(std::isnan(fused.data()[i]) == want_nan, "element " << i);
        BOOST_TEST(std::isnan(composed.data()[i]) == want_nan, "element " << i);
        if (!want_nan) BOOST_TEST(fused.data()[i] == composed.data()[i]);
      }
    }
  }
  V bias(Array{0, nan, 0}, true);
  ad::backward(ad::sum(ad::linear(V(Array{{1, -1}, {-3, -1}}), V(w), bias, ad::Activation::relu)));
  // Column 0: 0 and -4, column 2: -2 and 2; column 1 is NaN in both rows.
  test::check_close(test::grad_value(bias), Array{0, 2, 1});
}

BOOST_AUTO_TEST_CASE(linear_errors_name_the_op_and_the_shapes) {
  const V x(test::random_array({2, 3}, 1)), w(test::random_array({3, 4}, 2));
  test::check_error<ad::ShapeError>([&] { ad::linear(x, V(test::random_array({2, 4}, 3))); },
                                    {"linear", "(2, 3)", "(2, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::linear(x, w, V(test::random_array({3}, 3))); },
                                    {"linear", "(3, 4)", "(3,)"});
  test::check_error<ad::ValueError>([&] { ad::linear(x, w, V(), ad::activation_from_name("swish", "linear")); },
                                    {"linear", "swish", "known: linear, relu"});
}

// ---- matmul with a mostly-zero left operand ----------------------------------------------------
// Products of at least 2^20 multiply-adds whose left operand is at most 30% nonzero take the
// zero-skipping kernel (autodiff/src/gemm.cpp); everything else goes to the BLAS. These shapes
// reach it, with sizes that are not multiples of its register panels.

namespace {

// op(A) of shape (m, k) with about `density` nonzeros, in runs as on images; -0.0 among the zeros.
Array sparse_array(std::size_t m, std::size_t k, double density, unsigned seed) {
  Array a = xt::zeros<double>({m, k});
  const Array u = test::random_array({m, k}, seed);  // in (-1, 1)
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const bool in_run = std::abs(std::sin(0.37 * double(j) + 0.11 * double(i))) < density * 1.6;
      if (in_run && std::abs(u(i, j)) < 0.9) a(i, j) = u(i, j);
      else if ((i + j) % 7 == 0) a(i, j) = -0.0;
    }
  return a;
}

double nonzero_fraction(const Array& a) {
  std::size_t n = 0;
  for (double v : a) n += v != 0;
  return double(n) / double(a.size());
}

}  // namespace

BOOST_AUTO_TEST_CASE(matmul_skipping_zeros_matches_naive_loop) {
  struct Case {
    std::size_t m, k, n;
  };
  // Odd row counts, column counts below, at and above the kernel's panels (32 and 64 lanes).
  for (const Case c : {Case{128, 784, 64}, Case{129, 300, 100}, Case{67, 257, 61}, Case{300, 99, 200}}) {
    const Array opa = sparse_array(c.m, c.k, 0.15, 3);
    BOOST_TEST_REQUIRE(nonzero_fraction(opa) < 0.3);
    BOOST_TEST_REQUIRE(c.m * c.n * c.k >= (std::size_t{1} << 20));
    const Array opb = test::random_array({c.k, c.n}, 4);
    const Array ref = naive_matmul(opa, opb);
    for (bool ta : {false, true}) {
      BOOST_TEST_CONTEXT("m " << c.m << ", k " << c.k << ", n " << c.n << ", transpose_a " << ta) {
        test::check_close(ad::matmul(V(stored(opa, ta)), V(opb), ta, false).value(), ref, 1e-12, 1e-12);
        // float: the same sums in another order than the BLAS, so equal up to rounding.
        const ArrayF af = xt::cast<float>(stored(opa, ta)), bf = xt::cast<float>(opb);
        const ArrayF cf = ad::matmul(ad::Var<float>(af), ad::Var<float>(bf), ta, false).value();
        test::check_close(Array(xt::cast<double>(cf)), ref, 1e-4, 1e-4);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(matmul_weight_gradient_of_a_sparse_batch) {
  // The MLP first layer: X (batch × pixels, mostly zeros) · W; dW = Xᵀ·G goes through the kernel
  // with the transposed flag, dX = G·Wᵀ through the BLAS.
  const Array x = sparse_array(128, 300, 0.15, 5);
  V X(x), W = leaf(test::random_array({300, 40}, 6));
  const Array g = test::random_array({128, 40}, 7);
  ad::backward(ad::sum(ad::matmul(X, W) * V(g)));
  test::check_close(W.grad().value(), naive_matmul(loop_transpose(x), g), 1e-12, 1e-12);
}

BOOST_AUTO_TEST_CASE(matmul_skipping_zeros_keeps_ieee_nan_from_zero_times_infinity) {
  // 0·inf = NaN: with a non-finite right operand the zeros cannot be skipped, and the BLAS runs.
  const Array opa = sparse_array(128, 300, 0.15, 8);
  Array opb = test::random_array({300, 64}, 9);
  std::size_t zero_column = 0;  // a column of op(A) that has a zero in row 0
  while (opa(0, zero_column) != 0) ++zero_column;
  opb(zero_column, 5) = std::numeric_limits<double>::infinity();
  for (bool ta : {false, true}) {
    const Array c = ad::matmul(V(stored(opa, ta)), V(opb), ta, false).value();
    BOOST_TEST(std::isnan(c(0, 5)));
    BOOST_TEST(std::isfinite(c(0, 4)));
  }
  // A NaN in the left operand is not a zero: it reaches the result.
  Array nan_a = opa;
  nan_a(2, 1) = std::numeric_limits<double>::quiet_NaN();
  const Array c = ad::matmul(V(nan_a), V(test::random_array({300, 64}, 10))).value();
  BOOST_TEST(std::isnan(c(2, 0)));
  BOOST_TEST(std::isfinite(c(1, 0)));
}

// ---- transpose ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(transpose_2d) {
  const Array x0{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}};
  V x = leaf(x0);
  V t = ad::transpose(x);
  BOOST_TEST(shape_of(t) == "(4, 3)");
  test::check_close(t.value(), Array{{1, 5, 9}, {2, 6, 10}, {3, 7, 11}, {4, 8, 12}});
  test::check_close(ad::transpose(x, {1, 0}).value(), t.value());
  test::check_close(ad::transpose(x, {0, 1}).value(), x0);

  const Array seed = test::random_array({4, 3}, 18);
  ad::backward(t, V(seed));
  test::check_close(x.grad().value(), loop_transpose(seed));

  auto f = [](const Inputs& in) { return ad::transpose(in[0]); };
  CHECK_GRADIENTS(f, test::random_array({3, 4}, 19));
  // transpose composed with matmul: x^T x.
  auto g = [](const Inputs& in) { return ad::matmul(ad::transpose(in[0]), in[0]); };
  CHECK_GRADIENTS(g, test::random_array({3, 2}, 20));
}

BOOST_AUTO_TEST_CASE(transpose_3d_permutation) {
  const Array x0 = test::random_array({2, 3, 4}, 21);
  V x = leaf(x0);
  // permutation {1, 2, 0}: y(a, b, c) = x(c, a, b), of shape (3, 4, 2).
  V y = ad::transpose(x, {1, 2, 0});
  BOOST_TEST(shape_of(y) == "(3, 4, 2)");
  Array ref = Array::from_shape({3, 4, 2});
  for (std::size_t a = 0; a < 3; ++a)
    for (std::size_t b = 0; b < 4; ++b)
      for (std::size_t c = 0; c < 2; ++c) ref(a, b, c) = x0(c, a, b);
  test::check_close(y.value(), ref);

  // The default reverses the axes: z(a, b, c) = x(c, b, a), of shape (4, 3, 2).
  V z = ad::transpose(x);
  BOOST_TEST(shape_of(z) == "(4, 3, 2)");
  Array refz = Array::from_shape({4, 3, 2});
  for (std::size_t a = 0; a < 4; ++a)
    for (std::size_t b = 0; b < 3; ++b)
      for (std::size_t c = 0; c < 2; ++c) refz(a, b, c) = x0(c, b, a);
  test::check_close(z.value(), refz);

  // Gradient by value: the seed permuted back.
  const Array seed = test::random_array({3, 4, 2}, 22);
  ad::backward(y, V(seed));
  Array expected = Array::from_shape({2, 3, 4});
  for (std::size_t a = 0; a < 3; ++a)
    for (std::size_t b = 0; b < 4; ++b)
      for (std::size_t c = 0; c < 2; ++c) expected(c, a, b) = seed(a, b, c);
  test::check_close(x.grad().value(), expected);

  auto f1 = [](const Inputs& in) { return ad::transpose(in[0], {1, 2, 0}); };
  auto f2 = [](const Inputs& in) { return ad::transpose(in[0]); };
  auto f3 = [](const Inputs& in) { return ad::transpose(in[0], {2, 0, 1}) * ad::transpose(in[0], {2, 0, 1}); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
}

BOOST_AUTO_TEST_CASE(transpose_rejects_bad_permutations) {
  V x(test::random_array({2, 3, 4}, 23));
  test::check_error<ad::ShapeError>([&] { ad::transpose(x, {0, 0, 1}); }, {"transpose", "(2, 3, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::transpose(x, {1, 0}); }, {"transpose", "(2, 3, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::transpose(x, {0, 1, 3}); }, {"transpose", "(2, 3, 4)"});
}

// ---- a composite: regularized linear regression -----------------------------------------------

BOOST_AUTO_TEST_CASE(linear_regression_loss_matches_closed_form_gradient) {
  constexpr double lam = 0.1;
  auto loss = [](const Inputs& in) {
    const V& X = in[0];
    const V& W = in[1];
    const V& b = in[2];
    const V& y = in[3];
    return ad::mean(ad::square(ad::matmul(X, W) + b - y)) + lam * ad::sum(ad::abs(W)) +
           lam * ad::sum(ad::square(W));
  };
  const Array X0 = test::random_array({5, 3}, 24);
  const Array W0 = test::random_array({3, 2}, 25);  // |W| >= 0.1: away from the kink of abs
  const Array b0 = test::random_array({2}, 26);
  const Array y0 = test::random_array({5, 2}, 27);
  CHECK_GRADIENTS(loss, X0, W0, b0, y0);

  V X(X0), W = leaf(W0), b = leaf(b0), y(y0);
  V L = loss({X, W, b, y});
  BOOST_TEST(shape_of(L) == "()");

  // Forward by loops.
  const Array pred = naive_matmul(X0, W0);
  Array r = Array::from_shape({5, 2});
  double se = 0, l1 = 0, l2 = 0;
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 2; ++j) {
      r(i, j) = pred(i, j) + b0(j) - y0(i, j);
      se += r(i, j) * r(i, j);
    }
  for (double w : W0) {
    l1 += std::abs(w);
    l2 += w * w;
  }
  const double N = 10;  // elements of the residual
  BOOST_TEST(L.item() == se / N + lam * l1 + lam * l2, boost::test_tools::tolerance(1e-12));

  // dL/dW = 2/N X^T r + lam sign(W) + 2 lam W;  dL/db = 2/N sum_i r(i, :).
  ad::backward(L);
  const Array xtr = naive_matmul(loop_transpose(X0), r);
  Array gW = Array::from_shape({3, 2});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 2; ++j) {
      gW(i, j) = 2 / N * xtr(i, j) + lam * (W0(i, j) > 0 ? 1 : -1) + 2 * lam * W0(i, j);
    }
  test::check_close(W.grad().value(), gW, 1e-12, 1e-10);
  Array gb = xt::zeros<double>({2});
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 2; ++j) gb(j) += 2 / N * r(i, j);
  test::check_close(b.grad().value(), gb, 1e-12, 1e-10);
}

BOOST_AUTO_TEST_CASE(set_num_threads_refuses_bad_counts_naming_them) {
  // 0 and negative counts were refused; absurdly large ones were handed to OpenBLAS.
  const int before = ad::num_threads();
  for (const int bad : {0, -1, -8, 1025, 1 << 20, std::numeric_limits<int>::max(), std::numeric_limits<int>::min()}) {
    BOOST_CHECK_EXCEPTION(ad::set_num_threads(bad), ad::ValueError,
                          test::message_has<ad::ValueError>(
                              {"ad::set_num_threads: threads must be in [1, 1024], got " + std::to_string(bad)}));
  }
  BOOST_TEST(ad::num_threads() == before);
  BOOST_CHECK_NO_THROW(ad::set_num_threads(ad::max_num_threads));
  ad::set_num_threads(before);
  BOOST_TEST(ad::num_threads() == before);
}

// ---- batched and 1-D matmul (np.matmul's rules) ------------------------------------------------

namespace {
Array iota(const ad::Shape& shape) {
  Array a = Array::from_shape(shape);
  for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<double>(i);
  return a;
}
}  // namespace

BOOST_AUTO_TEST_CASE(batched_and_1d_matmul_values_match_numpy) {
  // References from numpy 1.24 (np.matmul, the @ operator) on np.arange inputs.
  const Array v{1, 2, 3};
  V c1 = ad::matmul(V(iota({2, 2, 3})), V(iota({3, 2})));
  BOOST_TEST(shape_of(c1) == "(2, 2, 2)");
  test::check_close(c1.value(), Array{{{10, 13}, {28, 40}}, {{46, 67}, {64, 94}}});
  V c2 = ad::matmul(V(iota({2, 1, 2, 3})), V(iota({3, 3, 2})));  // batch axes (2, 1) and (3,) broadcast
  BOOST_TEST(shape_of(c2) == "(2, 3, 2, 2)");
  test::check_close(c2.value(), Array{{{{10, 13}, {28, 40}}, {{28, 31}, {100, 112}}, {{46, 49}, {172, 184}}},
                                      {{{46, 67}, {64, 94}}, {{172, 193}, {244, 274}}, {{298, 319}, {424, 454}}}});
  V c3 = ad::matmul(V(v), V(iota({3, 2})));
  BOOST_TEST(shape_of(c3) == "(2,)");
  test::check_close(c3.value(), Array{16, 22});
  V c4 = ad::matmul(V(iota({2, 3})), V(v));
  BOOST_TEST(shape_of(c4) == "(2,)");
  test::check_close(c4.value(), Array{8, 26});
  V c5 = ad::matmul(V(v), V(Array{4, 5, 6}));
  BOOST_TEST(shape_of(c5) == "()");
  BOOST_TEST(c5.item() == 32.0);
  test::check_close(ad::matmul(V(Array{1, 2}), V(iota({2, 2, 3}))).value(), Array{{6, 9, 12}, {24, 27, 30}});
  test::check_close(ad::matmul(V(iota({2, 2, 3})), V(v)).value(), Array{{8, 26}, {44, 62}});
  // The flags transpose the last two axes: np.swapaxes(A, -1, -2) @ np.swapaxes(B, -1, -2).
  V c8 = ad::matmul(V(iota({2, 3, 2})), V(iota({2, 4, 3})), true, true);
  test::check_close(c8.value(), Array{{{10, 28, 46, 64}, {13, 40, 67, 94}},
                                      {{316, 388, 460, 532}, {355, 436, 517, 598}}});
  test::check_close(ad::matmul(V(iota({2, 3, 2})), V(iota({3, 2})), true, false).value(),
                    ad::matmul(ad::transpose(V(iota({2, 3, 2})), {0, -1, -2}), V(iota({3, 2}))).value());
  // Empty batch and empty inner dimension.
  BOOST_TEST(shape_of(ad::matmul(V(Array::from_shape({0, 2, 3})), V(iota({3, 2})))) == "(0, 2, 2)");
  test::check_close(ad::matmul(V(Array::from_shape({2, 2, 0})), V(Array::from_shape({0, 3}))).value(),
                    xt::zeros<double>({2, 2, 3}));
}

BOOST_AUTO_TEST_CASE(batched_matmul_gradients_sum_over_broadcast_batch_axes) {
  // sum(A @ B) with B (3, 2) shared by the batch: dB[k, n] = sum over batch and rows of A[b, m, k]
  // (numpy: (np.swapaxes(A, -1, -2) @ np.ones((2, 2, 2))).sum(0)), dA[b, m, k] = sum_n B[k, n].
  V a(iota({2, 2, 3}), true), b(iota({3, 2}), true);
  ad::backward(ad::sum(ad::matmul(a, b)));
  test::check_close(b.grad().value(), Array{{18, 18}, {22, 22}, {26, 26}});
  test::check_close(a.grad().value(), Array{{{1, 5, 9}, {1, 5, 9}}, {{1, 5, 9}, {1, 5, 9}}});

  auto f = [](bool ta, bool tb) {
    return [ta, tb](const Inputs& in) { return ad::matmul(in[0], in[1], ta, tb); };
  };
  CHECK_GRADIENTS(f(false, false), test::random_array({2, 2, 3}, 60), test::random_array({3, 2}, 61));
  CHECK_GRADIENTS(f(false, false), test::random_array({2, 1, 2, 3}, 62), test::random_array({3, 3, 2}, 63));
  CHECK_GRADIENTS(f(false, false), test::random_array({3, 2}, 64), test::random_array({2, 2, 2}, 65));
  CHECK_GRADIENTS(f(true, false), test::random_array({2, 3, 2}, 66), test::random_array({1, 3, 2}, 67));
  CHECK_GRADIENTS(f(false, true), test::random_array({2, 2, 3}, 68), test::random_array({4, 3}, 69));
  CHECK_GRADIENTS(f(true, true), test::random_array({3, 2}, 70), test::random_array({2, 4, 3}, 71));
  // 1-D @ 2-D, 2-D @ 1-D, 1-D @ 1-D, 1-D @ 3-D, 3-D @ 1-D.
  CHECK_GRADIENTS(f(false, false), test::random_array({3}, 72), test::random_array({3, 2}, 73));
  CHECK_GRADIENTS(f(false, false), test::random_array({2, 3}, 74), test::random_array({3}, 75));
  CHECK_GRADIENTS(f(false, false), test::random_array({3}, 76), test::random_array({3}, 77));
  CHECK_GRADIENTS(f(false, false), test::random_array({2}, 78), test::random_array({2, 2, 3}, 79));
  CHECK_GRADIENTS(f(true, false), test::random_array({2, 3, 2}, 80), test::random_array({3}, 81));
  // The same operand on both sides (gradients from both add up).
  auto gram = [](const Inputs& in) { return ad::matmul(in[0], in[0], true, false); };
  CHECK_GRADIENTS(gram, test::random_array({2, 3, 2}, 82));
}

BOOST_AUTO_TEST_CASE(batched_matmul_float_matches_double) {
  const Array a = test::random_array({2, 1, 3, 4}, 83), b = test::random_array({3, 4, 2}, 84);
  const V cd = ad::matmul(V(a), V(b));
  const ad::Var<float> cf = ad::matmul(ad::Var<float>(xt::cast<float>(a)), ad::Var<float>(xt::cast<float>(b)));
  test::check_close(Array(xt::cast<double>(cf.value())), cd.value(), 1e-5, 1e-5);
}

BOOST_AUTO_TEST_CASE(batched_matmul_errors) {
  V t3(iota({2, 3, 4})), u3(iota({3, 4, 2})), v(Array{1, 2, 3, 4});
  test::check_error<ad::ShapeError>([&] { ad::matmul(t3, u3); }, {"matmul", "(2, 3, 4)", "(3, 4, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::matmul(t3, u3, false, true); }, {"matmul", "(2, 3, 4)", "(3, 4, 2)^T"});
  test::check_error<ad::ValueError>([&] { ad::matmul(v, t3, true, false); }, {"matmul", "1-D", "(4,)"});
  test::check_error<ad::ValueError>([&] { ad::matmul(t3, v, false, true); }, {"matmul", "1-D", "(4,)"});
}

BOOST_AUTO_TEST_CASE(transpose_takes_negative_axes) {
  const Array x0 = iota({2, 3, 4});
  V x(x0, true);
  test::check_close(ad::transpose(x, {0, -1, -2}).value(), ad::transpose(x, {0, 2, 1}).value());
  test::check_close(ad::transpose(x, {-1, 0, 1}).value(), ad::transpose(x, {2, 0, 1}).value());
  const ad::Axes perm{-2, -3, -1};
  BOOST_TEST(shape_of(ad::transpose(x, perm)) == "(3, 2, 4)");
  const std::vector<std::size_t> uperm{1, 0, 2};
  BOOST_TEST(shape_of(ad::transpose(x, uperm)) == "(3, 2, 4)");
  ad::backward(ad::transpose(x, {-1, -3, -2}), V(iota({4, 2, 3})));
  test::check_close(x.grad().value(), Array(xt::transpose(iota({4, 2, 3}), {1, 2, 0})));
  auto f = [](const Inputs& in) { return ad::square(ad::transpose(in[0], {-1, 0, -2})); };
  CHECK_GRADIENTS(f, test::random_array({2, 3, 2}, 85));
  test::check_error<ad::ShapeError>([&] { ad::transpose(x, {0, -1, 2}); }, {"transpose", "(2, 3, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::transpose(x, {0, 1, -4}); }, {"transpose", "-4"});
}
