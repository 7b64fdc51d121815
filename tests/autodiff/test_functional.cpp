// Functional transforms: vjp, jvp, hvp, jacobian, hessian against closed forms, against each other
// and against central differences of ad::grad; create_graph composition; errors.
#define BOOST_TEST_MODULE functional
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include <xtensor/xbuilder.hpp>
#include <xtensor/xview.hpp>

#include "common/check.hpp"

using test::Array;
using test::Inputs;
using test::V;

namespace {

constexpr double kEps = 1e-6, kAtol = 1e-5, kRtol = 1e-3;

// a as an (rows, cols) matrix: the Jacobian or Hessian with output and input axes flattened.
Array as_matrix(const V& a, std::size_t rows) {
  Array m = a.value();
  m.reshape({rows, a.size() / rows});
  return m;
}

Array flat(const Array& a) {
  Array f = a;
  f.reshape({a.size()});
  return f;
}

// m x for a matrix m and x of any shape with m's column count of elements.
Array mat_vec(const Array& m, const Array& x) {
  const Array v = flat(x);
  Array r = xt::zeros<double>({m.shape()[0]});
  for (std::size_t i = 0; i < m.shape()[0]; ++i) {
    for (std::size_t j = 0; j < v.size(); ++j) r(i) += m(i, j) * v(j);
  }
  return r;
}

// a b^T for vectors a and b.
Array outer(const Array& a, const Array& b) {
  Array r = Array::from_shape({a.size(), b.size()});
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = 0; j < b.size(); ++j) r(i, j) = a(i) * b(j);
  }
  return r;
}

// Central differences of x ↦ g(x) (any shape) for every element of x: column j is d g / d x_j.
Array numeric_jacobian(const std::function<Array(const Array&)>& g, const Array& x, double eps = kEps) {
  const std::size_t out = g(x).size();
  Array jac = xt::zeros<double>({out, x.size()});
  for (std::size_t j = 0; j < x.size(); ++j) {
    Array plus = x, minus = x;
    plus.data()[j] += eps;
    minus.data()[j] -= eps;
    const Array d = (flat(g(plus)) - flat(g(minus))) / (2 * eps);
    xt::view(jac, xt::all(), j) = d;
  }
  return jac;
}

// d f / d x at x through ad::grad.
Array gradient_at(const std::function<V(const V&)>& f, const Array& x) {
  V leaf(x, true);
  return ad::grad(f(leaf), {leaf})[0].value();
}

// f(x) = x^T A x for a column x.
std::function<V(const V&)> quadratic(const Array& A) {
  return [A](const V& x) { return ad::sum(x * ad::matmul(V(A), x)); };
}

}  // namespace

BOOST_AUTO_TEST_CASE(hessian_and_hvp_of_a_quadratic_form_are_a_plus_a_transpose) {
  const Array A = test::random_array({4, 4}, 1);
  const V x(test::random_array({4, 1}, 2));
  const V v(test::random_array({4, 1}, 3));
  const Array sym = A + xt::transpose(A);
  const V H = ad::hessian(quadratic(A), x);
  BOOST_TEST(ad::shape_str(H.shape()) == "(4, 1, 4, 1)");
  test::check_close(as_matrix(H, 4), sym, 1e-12, 1e-12);
  auto [y, hv] = ad::hvp(quadratic(A), x, v);
  test::check_close(flat(hv.value()), mat_vec(sym, v.value()), 1e-12, 1e-12);
  BOOST_TEST(y.item() == ad::sum(x * ad::matmul(V(A), x)).item(), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(jacobian_of_softmax_is_diag_s_minus_s_s_transpose) {
  const V x(Array{0.5, -1.0, 2.0, 0.25, -0.3});
  const V J = ad::jacobian<double>([](const V& z) { return ad::softmax(z); }, x);
  const Array s = ad::softmax(x).value();
  const Array expected = xt::diag(s) - outer(s, s);
  test::check_close(J.value(), expected, 1e-12, 1e-12);
}

namespace {
// A nonlinear map from a (3, 1) column to a (2, 2) matrix.
V curvy(const V& x) {
  const V B(Array{{0.5, -1.0, 0.3}, {1.5, 0.2, -0.7}});
  const V h = ad::tanh(ad::matmul(B, x));                     // (2, 1)
  return ad::matmul(h, ad::transpose(ad::square(h))) + h;     // (2, 2)
}
}  // namespace

BOOST_AUTO_TEST_CASE(jvp_is_jacobian_times_v_and_vjp_is_v_transpose_jacobian) {
  const V x(test::random_array({3, 1}, 4, -1, 1));
  const V dx(test::random_array({3, 1}, 5));
  const V w(test::random_array({2, 2}, 6));
  const Array J = as_matrix(ad::jacobian<double>(curvy, x), 4);  // (4, 3)
  auto [y1, jv] = ad::jvp<double>(curvy, x, dx);
  BOOST_TEST(ad::shape_str(jv.shape()) == "(2, 2)");
  test::check_close(flat(jv.value()), mat_vec(J, dx.value()), 1e-12, 1e-10);
  auto [y2, vj] = ad::vjp<double>(curvy, x, w);
  BOOST_TEST(ad::shape_str(vj.shape()) == "(3, 1)");
  test::check_close(flat(vj.value()), mat_vec(xt::transpose(J), w.value()), 1e-12, 1e-10);
  test::check_close(y1.value(), curvy(x).value());
  test::check_close(y2.value(), curvy(x).value());
  // The Jacobian itself against central differences of the function.
  const Array numeric = numeric_jacobian([](const Array& a) { return curvy(V(a)).value(); }, x.value());
  test::check_close(J, numeric, kAtol, kRtol);
}

namespace {
V wavy(const V& x) { return ad::sum(ad::tanh(x * x) * ad::exp(-0.5 * x)) + ad::sum(x) * ad::sum(ad::square(x)); }
}  // namespace

BOOST_AUTO_TEST_CASE(hessian_is_the_jacobian_of_the_gradient_and_matches_differences_of_grad) {
  const V x(test::random_array({5}, 7, -1.5, 1.5));
  const V H = ad::hessian<double>(wavy, x);
  const V JG = ad::jacobian<double>(
      [](const V& z) { return ad::grad(wavy(z), {z}, {.create_graph = true})[0]; }, x);
  test::check_close(H.value(), JG.value(), 1e-12, 1e-10);
  const Array numeric = numeric_jacobian([](const Array& a) { return gradient_at(wavy, a); }, x.value());
  test::check_close(H.value(), numeric, kAtol, kRtol);
  test::check_close(H.value(), xt::transpose(H.value()), 1e-12, 1e-10);  // symmetric
  const V v(test::random_array({5}, 8));
  test::check_close(ad::hvp<double>(wavy, x, v).product.value(), mat_vec(H.value(), v.value()), 1e-12, 1e-10);
}

// The acceptance test: the Hessian of a 2-128-1 MLP's MSE loss w.r.t. its 2x128 kernel,
// every one of its 65,536 entries against central differences of ad::grad.
BOOST_AUTO_TEST_CASE(hessian_of_mlp_loss_wrt_kernel_matches_differences_of_grad) {
  const V X(test::random_array({6, 2}, 9, -1, 1));
  const V Y(test::random_array({6, 1}, 10, -1, 1));
  const V b1(test::random_array({128}, 11, -0.5, 0.5));
  const V W2(test::random_array({128, 1}, 12, -0.3, 0.3));
  const V b2(Array{0.1});
  const auto loss = [&](const V& W1) {
    const V h = ad::tanh(ad::linear(X, W1, b1));
    return ad::mean(ad::square(ad::linear(h, W2, b2) - Y));
  };
  const Array W1 = test::random_array({2, 128}, 13, -1, 1);
  const V H = ad::hessian<double>(loss, V(W1));
  BOOST_REQUIRE(ad::shape_str(H.shape()) == "(2, 128, 2, 128)");
  const Array numeric = numeric_jacobian([&](const Array& w) { return gradient_at(loss, w); }, W1);
  test::check_close(as_matrix(H, 256), numeric, kAtol, kRtol);
}

namespace {
// f_W(x) = sum(tanh(W x)) for a parameter W (2, 3) that f closes over, x a (3, 1) column.
std::function<V(const V&)> tanh_layer(const V& W) {
  return [W](const V& x) { return ad::sum(ad::tanh(ad::matmul(W, x))); };
}

// trace of the (3, 3) Hessian of f_W at x: a curvature penalty.
V hessian_trace(const V& W, const V& x, bool create_graph) {
  const V H = ad::hessian<double>(tanh_layer(W), x, {.create_graph = create_graph});
  return ad::sum(ad::reshape(H, {3, 3}) * ad::eye<double>(3));
}
}  // namespace

BOOST_AUTO_TEST_CASE(hessian_trace_penalty_is_differentiable_wrt_the_parameters_f_closes_over) {
  const V W(test::random_array({2, 3}, 14, -1, 1), true);
  const V x(test::random_array({3, 1}, 15, -1, 1));
  const V penalty = hessian_trace(W, x, true);
  BOOST_REQUIRE(penalty.requires_grad());
  const Array analytic = ad::grad(penalty, {W})[0].value();
  const Array numeric = numeric_jacobian(
      [&](const Array& w) { return Array{hessian_trace(V(w), x, false).item()}; }, W.value());
  test::check_close(flat(analytic), flat(numeric), kAtol, kRtol);
  BOOST_TEST(!W.grad().defined());  // the transforms touch no grad()
}

BOOST_AUTO_TEST_CASE(hutchinson_term_through_hvp_is_differentiable_wrt_parameters) {
  const V W(test::random_array({2, 3}, 16, -1, 1), true);
  const V x(test::random_array({3, 1}, 17, -1, 1));
  const V z(test::column({1.0, -1.0, 1.0}));  // a Rademacher probe: z^T H z estimates trace(H)
  const auto term = [&](const V& w, bool create_graph) {
    return ad::sum(z * ad::hvp<double>(tanh_layer(w), x, z, {.create_graph = create_graph}).product);
  };
  const Array analytic = ad::grad(term(W, true), {W})[0].value();
  const Array numeric = numeric_jacobian([&](const Array& w) { return Array{term(V(w), false).item()}; }, W.value());
  test::check_close(flat(analytic), flat(numeric), kAtol, kRtol);
}

BOOST_AUTO_TEST_CASE(create_graph_keeps_the_history_of_an_input_that_requires_grad) {
  const V theta(Array{0.5, -1.5, 2.0}, true);
  const V x = theta * theta;
  auto [y, g] = ad::vjp<double>([](const V& z) { return z * z; }, x, ad::ones<double>({3}), {.create_graph = true});
  // g = 2 x = 2 theta^2, so d sum(g) / d theta = 4 theta.
  test::check_close(ad::grad(ad::sum(g), {theta})[0].value(), Array{2.0, -6.0, 8.0});
  // The same through jvp: J v = 2 x for v = ones.
  const V x2 = theta * theta;
  auto [y3, jv] = ad::jvp<double>([](const V& z) { return z * z; }, x2, ad::ones<double>({3}), {.create_graph = true});
  test::check_close(ad::grad(ad::sum(jv), {theta})[0].value(), Array{2.0, -6.0, 8.0});
  // Without create_graph the input is a fresh leaf and nothing returned is on the tape.
  auto [y2, g2] = ad::vjp<double>([](const V& z) { return z * z; }, x, ad::ones<double>({3}));
  BOOST_TEST(!y2.requires_grad());
  BOOST_TEST(!g2.requires_grad());
  test::check_close(g2.value(), g.value());
}

BOOST_AUTO_TEST_CASE(several_inputs_give_blocks_and_sums) {
  const V a(test::random_array({2}, 18, -1, 1));
  const V b(test::random_array({3}, 19, -1, 1));
  const auto f = [](const Inputs& in) { return ad::sum(ad::tanh(in[0])) * ad::sum(in[1] * in[1] * in[1]); };
  const auto H = ad::hessian<double>(f, Inputs{a, b});
  BOOST_REQUIRE(H.size() == 2 && H[0].size() == 2);
  BOOST_TEST(ad::shape_str(H[0][1].shape()) == "(2, 3)");
  test::check_close(H[0][1].value(), xt::transpose(H[1][0].value()), 1e-12, 1e-10);
  const Array ta = 1 - xt::square(xt::tanh(a.value()));
  test::check_close(H[0][1].value(), outer(ta, 3 * xt::square(b.value())), 1e-12, 1e-10);
  const auto J = ad::jacobian<double>([](const Inputs& in) { return in[0] * ad::sum(in[1]); }, Inputs{a, b});
  const V va(Array{0.3, -0.2}), vb(Array{1.0, 2.0, -1.0});
  const auto jv = ad::jvp<double>([](const Inputs& in) { return in[0] * ad::sum(in[1]); }, Inputs{a, b}, Inputs{va, vb});
  test::check_close(jv.product.value(), mat_vec(J[0].value(), va.value()) + mat_vec(J[1].value(), vb.value()), 1e-12,
                    1e-10);
  const auto hv = ad::hvp<double>(f, Inputs{a, b}, Inputs{va, vb});
  test::check_close(hv.product[1].value(),
                    mat_vec(H[1][0].value(), va.value()) + mat_vec(H[1][1].value(), vb.value()), 1e-12, 1e-10);
}

BOOST_AUTO_TEST_CASE(inputs_the_output_does_not_depend_on_give_zeros) {
  const V a(Array{1.0, 2.0}), b(Array{3.0, 4.0, 5.0});
  const auto J = ad::jacobian<double>([](const Inputs& in) { return ad::square(in[0]); }, Inputs{a, b});
  test::check_close(J[1].value(), xt::zeros<double>({2, 3}));
  const V H = ad::hessian<double>([](const V& x) { return ad::sum(x * 3.0); }, a);  // linear: H = 0
  test::check_close(H.value(), xt::zeros<double>({2, 2}));
  const V C = ad::jacobian<double>([](const V&) { return V(Array{7.0}); }, a);  // constant
  test::check_close(C.value(), xt::zeros<double>({1, 2}));
  test::check_close(ad::jvp<double>([](const V&) { return V(Array{7.0}); }, a, a).product.value(), Array{0.0});
}

BOOST_AUTO_TEST_CASE(transforms_record_under_no_grad_guard_and_work_in_float) {
  ad::NoGradGuard no_grad;
  const ad::Var<float> x(xt::xarray<float>{1.0f, -2.0f});
  const auto f = [](const ad::Var<float>& z) { return ad::sum(ad::pow(z, 3.0f)); };
  const auto hv = ad::hvp(f, x, ad::ones<float>({2}));
  BOOST_TEST(hv.product.value()(0) == 6.0f);
  BOOST_TEST(hv.product.value()(1) == -12.0f);
  const auto H = ad::hessian(f, x);
  BOOST_TEST(H.value()(1, 1) == -12.0f);
  BOOST_TEST(H.value()(0, 1) == 0.0f);
}

BOOST_AUTO_TEST_CASE(errors_name_the_transform_and_the_shapes) {
  const V x(Array{1.0, 2.0, 3.0});
  const auto square = [](const V& z) { return ad::square(z); };
  test::check_error<ad::ShapeError>([&] { ad::hvp<double>(square, x, x); },
                                    {"hvp", "single element", "(3,)"});
  test::check_error<ad::ShapeError>([&] { ad::hessian<double>(square, x); }, {"hessian", "(3,)"});
  test::check_error<ad::ShapeError>([&] { ad::vjp<double>(square, x, V(Array{1.0, 2.0})); },
                                    {"vjp", "v has shape (2,)", "f(x) has shape (3,)"});
  test::check_error<ad::ShapeError>([&] { ad::jvp<double>(square, x, V(Array{{1.0, 2.0, 3.0}})); },
                                    {"jvp", "(1, 3)", "x has shape (3,)"});
  test::check_error<ad::ShapeError>(
      [&] { ad::hvp<double>([](const Inputs& in) { return ad::sum(in[0] * in[1]); }, Inputs{x, x}, Inputs{x, V(Array{1.0})}); },
      {"hvp", "v[1] has shape (1,)", "x[1] has shape (3,)"});
  test::check_error<ad::ValueError>(
      [&] { ad::jvp<double>([](const Inputs& in) { return in[0]; }, Inputs{x, x}, Inputs{x}); }, {"jvp", "1", "2 inputs"});
  test::check_error<ad::ValueError>([&] { ad::jacobian<double>([](const V&) { return V(); }, x); },
                                    {"jacobian", "undefined"});
}
