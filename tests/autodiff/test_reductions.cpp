#define BOOST_TEST_MODULE reductions
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using test::Array;
using test::Inputs;
using test::V;
using ArrayF = xt::xarray<float>;

V leaf(const Array& a) { return V(a, true); }

std::string shape_of(const V& v) { return ad::shape_str(v.shape()); }

// Values -2, -1.63, -1.26, ... (step 0.37) in shuffled order: all distinct, gaps far above the
// central-difference step, so max has a unique, stable argmax everywhere.
Array distinct_array(const ad::Shape& shape, unsigned seed) {
  Array a = Array::from_shape(shape);
  std::vector<double> values(a.size());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = -2.0 + 0.37 * static_cast<double>(i);
  std::mt19937 rng(seed);
  std::shuffle(values.begin(), values.end(), rng);
  std::copy(values.begin(), values.end(), a.begin());
  return a;
}

// Multi-index of the flat (row-major) position `flat` in `shape`.
template <class S>
std::vector<std::size_t> unravel(std::size_t flat, const S& shape) {
  std::vector<std::size_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

// Reference reduction by a loop over every element: out[keepdims index] = op(out, x[i]).
Array loop_reduce(const Array& x, const std::vector<std::size_t>& axes, double init,
                  const std::function<double(double, double)>& op) {
  ad::Shape out_shape(x.shape().begin(), x.shape().end());
  for (auto a : axes) out_shape[a] = 1;
  Array out = Array::from_shape(out_shape);
  out.fill(init);
  for (std::size_t flat = 0; flat < x.size(); ++flat) {
    const auto idx = unravel(flat, x.shape());
    std::size_t o = 0;
    for (std::size_t d = 0; d < idx.size(); ++d) o = o * out_shape[d] + (out_shape[d] == 1 ? 0 : idx[d]);
    out.data()[o] = op(out.data()[o], x.data()[flat]);
  }
  return out;
}

Array loop_sum(const Array& x, const std::vector<std::size_t>& axes) {
  return loop_reduce(x, axes, 0.0, [](double acc, double v) { return acc + v; });
}
Array loop_max(const Array& x, const std::vector<std::size_t>& axes) {
  return loop_reduce(x, axes, -std::numeric_limits<double>::infinity(),
                     [](double acc, double v) { return std::max(acc, v); });
}
// log(sum(exp(x))) over the axes, computed directly (inputs here are small, so no overflow).
Array loop_logsumexp(const Array& x, const std::vector<std::size_t>& axes) {
  Array s = loop_reduce(x, axes, 0.0, [](double acc, double v) { return acc + std::exp(v); });
  for (auto& e : s) e = std::log(e);
  return s;
}

Array reshaped(Array a, const ad::Shape& shape) {
  a.reshape(shape);
  return a;
}

// Shape of x with `axes` removed (keepdims = false).
ad::Shape dropped(const Array& x, const std::vector<std::size_t>& axes) {
  ad::Shape s;
  for (std::size_t d = 0; d < x.dimension(); ++d) {
    if (std::find(axes.begin(), axes.end(), d) == axes.end()) s.push_back(x.shape()[d]);
  }
  return s;
}

// Value of a keepdims-shaped array r at the position that the full index `idx` reduces to.
double at_keepdims(const Array& r, const std::vector<std::size_t>& idx) {
  std::size_t o = 0;
  for (std::size_t d = 0; d < idx.size(); ++d) o = o * r.shape()[d] + (r.shape()[d] == 1 ? 0 : idx[d]);
  return r.data()[o];
}

bool all_finite(const Array& a) {
  return std::all_of(a.begin(), a.end(), [](double v) { return std::isfinite(v); });
}

Array to_double(const ArrayF& a) { return xt::cast<double>(a); }

}  // namespace

// ---- sum ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sum_over_all_elements) {
  const Array x0 = test::random_array({2, 3, 4}, 1);
  V x = leaf(x0);
  V y = ad::sum(x);
  BOOST_TEST(shape_of(y) == "()");
  double total = 0;
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k) total += x0(i, j, k);
  BOOST_TEST(y.item() == total, boost::test_tools::tolerance(1e-12));

  ad::backward(y);
  test::check_close(x.grad().value(), xt::ones<double>({2, 3, 4}));

  auto f = [](const Inputs& in) { return ad::sum(in[0]); };
  CHECK_GRADIENTS(f, x0);
}

BOOST_AUTO_TEST_CASE(sum_over_a_single_axis) {
  const Array x0 = test::random_array({2, 3, 4}, 2);
  // sum over axis 1 against nested loops
  Array ref = xt::zeros<double>({2, 4});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k) ref(i, k) += x0(i, j, k);
  V x = leaf(x0);
  V y = ad::sum(x, {1});
  BOOST_TEST(shape_of(y) == "(2, 4)");
  test::check_close(y.value(), ref, 1e-12, 1e-12);
  V yk = ad::sum(x, {1}, true);
  BOOST_TEST(shape_of(yk) == "(2, 1, 4)");
  test::check_close(yk.value(), reshaped(ref, {2, 1, 4}), 1e-12, 1e-12);
  test::check_close(ad::sum(x, {-2}).value(), ref, 1e-12, 1e-12);

  // Every axis, positive and negative, with and without keepdims, against the loop reference.
  for (std::ptrdiff_t axis = -3; axis < 3; ++axis) {
    const std::size_t a = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
    const Array r = loop_sum(x0, {a});
    BOOST_TEST_CONTEXT("axis " << axis) {
      test::check_close(ad::sum(x, {axis}, true).value(), r, 1e-12, 1e-12);
      test::check_close(ad::sum(x, {axis}, false).value(), reshaped(r, dropped(x0, {a})), 1e-12, 1e-12);
    }
  }

  // Gradient by value: each input element receives the seed entry it was summed into.
  const Array seed{{1, 2, 3, 4}, {5, 6, 7, 8}};
  ad::backward(y, V(seed));
  Array expected = Array::from_shape({2, 3, 4});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k) expected(i, j, k) = seed(i, k);
  test::check_close(x.grad().value(), expected);

  auto f1 = [](const Inputs& in) { return ad::sum(in[0], {1}); };
  auto f2 = [](const Inputs& in) { return ad::sum(in[0], {-1}, true); };
  auto f3 = [](const Inputs& in) { return ad::sum(in[0], {0}, false); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
}

BOOST_AUTO_TEST_CASE(sum_over_several_non_adjacent_axes) {
  const Array x0 = test::random_array({2, 3, 4}, 3);
  Array ref = xt::zeros<double>({3});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k) ref(j) += x0(i, j, k);
  V x = leaf(x0);
  V y = ad::sum(x, {0, 2});
  BOOST_TEST(shape_of(y) == "(3,)");
  test::check_close(y.value(), ref, 1e-12, 1e-12);
  V yk = ad::sum(x, {0, 2}, true);
  BOOST_TEST(shape_of(yk) == "(1, 3, 1)");
  test::check_close(yk.value(), reshaped(ref, {1, 3, 1}), 1e-12, 1e-12);
  // Order and sign of the axes do not matter.
  test::check_close(ad::sum(x, {2, 0}).value(), ref, 1e-12, 1e-12);
  test::check_close(ad::sum(x, {-1, 0}).value(), ref, 1e-12, 1e-12);
  test::check_close(ad::sum(x, {-3, -1}, true).value(), reshaped(ref, {1, 3, 1}), 1e-12, 1e-12);

  // A 4-D input: non-adjacent {1, 3}, adjacent {1, 2}, and all axes at once.
  const Array z0 = test::random_array({2, 3, 2, 3}, 4);
  V z = leaf(z0);
  test::check_close(ad::sum(z, {1, 3}, true).value(), loop_sum(z0, {1, 3}), 1e-12, 1e-12);
  test::check_close(ad::sum(z, {1, 2}, true).value(), loop_sum(z0, {1, 2}), 1e-12, 1e-12);
  test::check_close(ad::sum(z, {0, 2, 3}).value(), reshaped(loop_sum(z0, {0, 2, 3}), {3}), 1e-12, 1e-12);
  V all = ad::sum(z, {0, 1, 2, 3});
  BOOST_TEST(shape_of(all) == "()");
  BOOST_TEST(all.item() == ad::sum(z).item(), boost::test_tools::tolerance(1e-12));

  // Gradient by value with a seed: x.grad(i, j, k) = seed(j).
  const Array seed{10, 20, 30};
  ad::backward(y, V(seed));
  Array expected = Array::from_shape({2, 3, 4});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k) expected(i, j, k) = seed(j);
  test::check_close(x.grad().value(), expected);

  auto f1 = [](const Inputs& in) { return ad::sum(in[0], {0, 2}); };
  auto f2 = [](const Inputs& in) { return ad::sum(in[0], {0, 2}, true); };
  auto f3 = [](const Inputs& in) { return ad::sum(in[0], {-1, -3}, false); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
}

BOOST_AUTO_TEST_CASE(sum_over_an_empty_axis_gives_zeros) {
  V x(Array::from_shape({2, 0, 3}), true);
  V y = ad::sum(x, {1});
  BOOST_TEST(shape_of(y) == "(2, 3)");
  test::check_close(y.value(), xt::zeros<double>({2, 3}));
}

// ---- mean --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mean_over_all_elements_and_axes) {
  const Array x0 = test::random_array({2, 3, 4}, 5);
  V x = leaf(x0);
  V m = ad::mean(x);
  BOOST_TEST(shape_of(m) == "()");
  BOOST_TEST(m.item() == ad::sum(x).item() / 24.0, boost::test_tools::tolerance(1e-12));
  ad::backward(m);
  test::check_close(x.grad().value(), Array(xt::ones<double>({2, 3, 4}) / 24.0));

  // Over axes: the loop sum divided by the number of elements reduced.
  const Array r1 = loop_sum(x0, {1}) / 3.0;
  test::check_close(ad::mean(x, {1}, true).value(), r1, 1e-12, 1e-12);
  test::check_close(ad::mean(x, {-2}).value(), reshaped(r1, {2, 4}), 1e-12, 1e-12);
  const Array r02 = loop_sum(x0, {0, 2}) / 8.0;
  V y = ad::mean(x, {0, 2});
  BOOST_TEST(shape_of(y) == "(3,)");
  test::check_close(y.value(), reshaped(r02, {3}), 1e-12, 1e-12);
  test::check_close(ad::mean(x, {-1, 0}, true).value(), r02, 1e-12, 1e-12);

  x.zero_grad();
  const Array seed{8, -16, 4};
  ad::backward(y, V(seed));
  Array expected = Array::from_shape({2, 3, 4});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k) expected(i, j, k) = seed(j) / 8.0;
  test::check_close(x.grad().value(), expected);

  auto f1 = [](const Inputs& in) { return ad::mean(in[0]); };
  auto f2 = [](const Inputs& in) { return ad::mean(in[0], {0, 2}, true); };
  auto f3 = [](const Inputs& in) { return ad::mean(in[0], {-1}); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
}

BOOST_AUTO_TEST_CASE(mean_of_empty_input_throws) {
  V x(Array::from_shape({2, 0}), true);
  test::check_error<ad::ShapeError>([&] { ad::mean(x); }, {"mean"});
  test::check_error<ad::ShapeError>([&] { ad::mean(x, {1}); }, {"mean"});
}

// ---- max ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(max_forward_over_all_elements_and_axes) {
  const Array x0 = distinct_array({2, 3, 4}, 6);
  V x = leaf(x0);
  V m = ad::max(x);
  BOOST_TEST(shape_of(m) == "()");
  BOOST_TEST(m.item() == *std::max_element(x0.begin(), x0.end()));

  // Axis 2 against nested loops.
  Array ref = Array::from_shape({2, 3});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j) {
      ref(i, j) = x0(i, j, 0);
      for (std::size_t k = 1; k < 4; ++k) ref(i, j) = std::max(ref(i, j), x0(i, j, k));
    }
  test::check_close(ad::max(x, {2}).value(), ref);
  test::check_close(ad::max(x, {-1}).value(), ref);
  test::check_close(ad::max(x, {2}, true).value(), reshaped(ref, {2, 3, 1}));

  const std::vector<std::vector<std::size_t>> cases{{0}, {1}, {0, 2}, {0, 1}, {0, 1, 2}};
  for (const auto& axes : cases) {
    const ad::Axes ax(axes.begin(), axes.end());
    const Array r = loop_max(x0, axes);
    test::check_close(ad::max(x, ax, true).value(), r);
    test::check_close(ad::max(x, ax, false).value(), reshaped(r, dropped(x0, axes)));
  }
  test::check_close(ad::max(x, {-3, -1}).value(), reshaped(loop_max(x0, {0, 2}), {3}));
}

BOOST_AUTO_TEST_CASE(max_gradient_goes_to_the_argmax) {
  const Array x0 = distinct_array({2, 3, 4}, 7);
  {
    V x = leaf(x0);
    ad::backward(ad::max(x));
    Array expected = xt::zeros<double>({2, 3, 4});
    const auto at = std::max_element(x0.begin(), x0.end()) - x0.begin();
    expected.data()[at] = 1;
    test::check_close(x.grad().value(), expected);
  }
  const std::vector<std::vector<std::size_t>> cases{{1}, {0, 2}, {2}};
  for (const auto& axes : cases) {
    BOOST_TEST_CONTEXT("axes of size " << axes.size() << ", first " << axes[0]) {
      V x = leaf(x0);
      const ad::Axes ax(axes.begin(), axes.end());
      V y = ad::max(x, ax, false);
      // Seed with distinct values so that a wrong routing shows.
      Array seed = Array::from_shape(y.shape());
      for (std::size_t i = 0; i < seed.size(); ++i) seed.data()[i] = 1.0 + static_cast<double>(i);
      ad::backward(y, V(seed));
      const Array r = loop_max(x0, axes);
      const Array seed_k = reshaped(seed, ad::Shape(r.shape().begin(), r.shape().end()));
      Array expected = Array::from_shape({2, 3, 4});
      for (std::size_t flat = 0; flat < x0.size(); ++flat) {
        const auto idx = unravel(flat, x0.shape());
        expected.data()[flat] = x0.data()[flat] == at_keepdims(r, idx) ? at_keepdims(seed_k, idx) : 0.0;
      }
      test::check_close(x.grad().value(), expected);
    }
  }

  auto f1 = [](const Inputs& in) { return ad::max(in[0]); };
  auto f2 = [](const Inputs& in) { return ad::max(in[0], {1}); };
  auto f3 = [](const Inputs& in) { return ad::max(in[0], {0, 2}, true); };
  auto f4 = [](const Inputs& in) { return ad::max(in[0], {-1}); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
  CHECK_GRADIENTS(f4, x0);
}

BOOST_AUTO_TEST_CASE(max_tie_splits_the_gradient_evenly) {
  {
    V x = leaf(Array{1, 3, 3});
    V m = ad::max(x);
    BOOST_TEST(m.item() == 3.0);
    ad::backward(m);
    test::check_close(x.grad().value(), Array{0, 0.5, 0.5});
  }
  {
    // A three-way tie over all elements of a 1-D input, with a seed that must be split.
    V x = leaf(Array{2, 2, -1, 2});
    V m = ad::max(x, {0});
    BOOST_TEST(shape_of(m) == "()");
    ad::backward(m, V::scalar(6.0));
    test::check_close(x.grad().value(), Array{2, 2, 0, 2});
  }
  {
    // A tie over all elements of a 2-D input.
    V x = leaf(Array{{7, 1}, {7, 7}});
    ad::backward(ad::max(x));
    test::check_close(x.grad().value(), Array{{1.0 / 3, 0}, {1.0 / 3, 1.0 / 3}}, 1e-15, 1e-12);
  }
  {
    // Ties along the last axis, per row: two-way, three-way, two-way, none.
    V x = leaf(Array{{1, 3, 3}, {2, 2, 2}, {5, 0, 5}, {4, 1, 0}});
    V m = ad::max(x, {-1});
    test::check_close(m.value(), Array{3, 2, 5, 4});
    ad::backward(m, V(Array{1, 3, 2, 4}));
    test::check_close(x.grad().value(), Array{{0, 0.5, 0.5}, {1, 1, 1}, {1, 0, 1}, {4, 0, 0}}, 1e-15, 1e-12);
  }
  {
    // Ties along axis 0, keepdims.
    V x = leaf(Array{{5, 3, 3}, {2, 3, 2}, {5, 0, 3}});
    V m = ad::max(x, {0}, true);
    BOOST_TEST(shape_of(m) == "(1, 3)");
    test::check_close(m.value(), Array{{5, 3, 3}});
    ad::backward(ad::sum(m));
    test::check_close(x.grad().value(), Array{{0.5, 0.5, 0.5}, {0, 0.5, 0}, {0.5, 0, 0.5}});
  }
  {
    // Ties across two non-adjacent axes {0, 2} of a (2, 2, 2) input: three-way ties for j = 0, 1.
    const Array x0{{{1, 4}, {2, 0}}, {{4, 4}, {2, 2}}};
    V x = leaf(x0);
    V m = ad::max(x, {0, 2});
    test::check_close(m.value(), Array{4, 2});
    ad::backward(ad::sum(m));
    const double t = 1.0 / 3;
    test::check_close(x.grad().value(), Array{{{0, t}, {t, 0}}, {{t, t}, {t, t}}}, 1e-15, 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(max_of_empty_input_throws) {
  V x(Array::from_shape({0, 3}), true);
  test::check_error<ad::ShapeError>([&] { ad::max(x); }, {"max"});
}

BOOST_AUTO_TEST_CASE(max_propagates_nan_as_numpy) {
  const double nan = std::nan("");
  // A NaN anywhere, first, middle or last, in the contiguous and the strided kernels.
  for (const Array& x0 : {Array{1, nan, 2}, Array{nan, 1, 2}, Array{1, 2, nan}}) {
    BOOST_TEST(std::isnan(ad::max(V(x0)).item()));
  }
  const Array m{{1, nan, 3}, {4, 5, 6}, {nan, 0, -1}};
  const Array by_col = ad::max(V(m), {0}).value();
  BOOST_TEST(std::isnan(by_col(0)));
  BOOST_TEST(std::isnan(by_col(1)));
  BOOST_TEST(by_col(2) == 6.0);
  const Array by_row = ad::max(V(m), {1}).value();
  BOOST_TEST(std::isnan(by_row(0)));
  BOOST_TEST(by_row(1) == 6.0);
  BOOST_TEST(std::isnan(by_row(2)));
  BOOST_TEST(std::isnan(ad::max(ad::Var<float>(ArrayF{1, std::nanf(""), 2})).item()));
  // The gradient goes to the NaN elements (as torch.max over all elements), split evenly.
  V x(Array{{1, nan, 2}, {3, 4, 0}}, true);
  ad::backward(ad::sum(ad::max(x, {1})));
  test::check_close(test::grad_value(x), Array{{0, 1, 0}, {0, 1, 0}});
  V y(Array{nan, 1, nan}, true);
  ad::backward(ad::max(y));
  test::check_close(test::grad_value(y), Array{0.5, 0, 0.5});
}

BOOST_AUTO_TEST_CASE(logsumexp_and_softmax_propagate_nan) {
  const double nan = std::nan("");
  const V x(Array{{1, nan, 2}, {1e4, 0, -1e4}});
  const Array lse = ad::logsumexp(x, {1}).value();
  BOOST_TEST(std::isnan(lse(0)));
  BOOST_TEST(lse(1) == 1e4);
  for (const Array& p : {ad::softmax(x, -1).value(), ad::log_softmax(x, -1).value()}) {
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(std::isnan(p(0, j)));
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(!std::isnan(p(1, j)));
  }
  // Infinite lines as in PyTorch: a line with +inf, or all -inf, is NaN; a -inf entry among finite
  // ones has probability 0 (log-probability -inf).
  const double inf = std::numeric_limits<double>::infinity();
  const V infinite(Array{{inf, 1, 0}, {-inf, -inf, -inf}, {-inf, 1, 1}});
  const Array p = ad::softmax(infinite, 1).value(), lp = ad::log_softmax(infinite, 1).value();
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST((std::isnan(p(i, j)) && std::isnan(lp(i, j))));
  }
  BOOST_TEST((p(2, 0) == 0.0 && p(2, 1) == 0.5 && p(2, 2) == 0.5));
  BOOST_TEST(lp(2, 0) == -inf);
  BOOST_TEST(lp(2, 1) == -std::log(2.0));
  BOOST_TEST(std::isnan(ad::logsumexp(V(Array{nan, 1}), {0}).item()));
  BOOST_TEST(std::isnan(ad::sum(V(Array{nan, 1})).item()));
  BOOST_TEST(std::isnan(ad::mean(V(Array{nan, 1})).item()));
  BOOST_TEST(std::isnan(ad::l1_norm(V(Array{nan, 1})).item()));
  BOOST_TEST(std::isnan(ad::l2_norm(V(Array{nan, 1})).item()));
}

// ---- logsumexp, softmax, log_softmax ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(logsumexp_matches_log_of_sum_of_exp) {
  const Array x0 = test::random_array({2, 3, 4}, 8);
  V x = leaf(x0);
  const std::vector<std::vector<std::size_t>> cases{{2}, {1}, {0}, {0, 2}, {0, 1, 2}};
  for (const auto& axes : cases) {
    const ad::Axes ax(axes.begin(), axes.end());
    const Array r = loop_logsumexp(x0, axes);
    test::check_close(ad::logsumexp(x, ax, true).value(), r, 1e-12, 1e-12);
    test::check_close(ad::logsumexp(x, ax, false).value(), reshaped(r, dropped(x0, axes)), 1e-12, 1e-12);
  }
  test::check_close(ad::logsumexp(x, {-1}).value(), reshaped(loop_logsumexp(x0, {2}), {2, 3}), 1e-12, 1e-12);
  test::check_close(ad::logsumexp(x, {-3, -1}).value(), reshaped(loop_logsumexp(x0, {0, 2}), {3}), 1e-12, 1e-12);
  BOOST_TEST(shape_of(ad::logsumexp(x, {0, 1, 2})) == "()");

  // Large shifted inputs: logsumexp(x + c) = logsumexp(x) + c, with no overflow.
  V big(Array(x0 + 800.0));
  test::check_close(ad::logsumexp(big, {-1}).value(), reshaped(Array(loop_logsumexp(x0, {2}) + 800.0), {2, 3}), 0, 1e-12);

  // Gradient by value: the softmax over the reduced axes.
  V y = ad::logsumexp(x, {-1});
  ad::backward(ad::sum(y));
  const Array r = loop_logsumexp(x0, {2});
  Array expected = Array::from_shape({2, 3, 4});
  for (std::size_t flat = 0; flat < x0.size(); ++flat) {
    expected.data()[flat] = std::exp(x0.data()[flat] - at_keepdims(r, unravel(flat, x0.shape())));
  }
  test::check_close(x.grad().value(), expected, 1e-12, 1e-10);

  auto f1 = [](const Inputs& in) { return ad::logsumexp(in[0], {-1}); };
  auto f2 = [](const Inputs& in) { return ad::logsumexp(in[0], {0, 2}, true); };
  auto f3 = [](const Inputs& in) { return ad::logsumexp(in[0], {0, 1, 2}); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
}

BOOST_AUTO_TEST_CASE(softmax_forward_and_normalization) {
  const Array x0 = test::random_array({3, 4}, 9);
  V x = leaf(x0);

  // Axis -1: each row is exp(x) / sum(exp(x)) along the row, and sums to 1.
  V p = ad::softmax(x, -1);
  BOOST_TEST(shape_of(p) == "(3, 4)");
  Array ref = Array::from_shape({3, 4});
  for (std::size_t i = 0; i < 3; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < 4; ++j) s += std::exp(x0(i, j));
    for (std::size_t j = 0; j < 4; ++j) ref(i, j) = std::exp(x0(i, j)) / s;
  }
  test::check_close(p.value(), ref, 1e-14, 1e-12);
  test::check_close(ad::softmax(x).value(), ref, 1e-14, 1e-12);  // default axis is -1
  test::check_close(ad::softmax(x, 1).value(), ref, 1e-14, 1e-12);
  for (std::size_t i = 0; i < 3; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < 4; ++j) s += p.value()(i, j);
    BOOST_TEST(s == 1.0, boost::test_tools::tolerance(1e-12));
  }

  // Axis 0: each column sums to 1.
  V q = ad::softmax(x, 0);
  Array ref0 = Array::from_shape({3, 4});
  for (std::size_t j = 0; j < 4; ++j) {
    double s = 0;
    for (std::size_t i = 0; i < 3; ++i) s += std::exp(x0(i, j));
    for (std::size_t i = 0; i < 3; ++i) ref0(i, j) = std::exp(x0(i, j)) / s;
  }
  test::check_close(q.value(), ref0, 1e-14, 1e-12);
  test::check_close(ad::softmax(x, -2).value(), ref0, 1e-14, 1e-12);
  for (std::size_t j = 0; j < 4; ++j) {
    double s = 0;
    for (std::size_t i = 0; i < 3; ++i) s += q.value()(i, j);
    BOOST_TEST(s == 1.0, boost::test_tools::tolerance(1e-12));
  }

  // Gradient by value: d(sum(p * w))/dx = p * (w - sum(p * w)) along each row.
  const Array w{{1, -2, 0.5, 3}, {0, 1, 2, -1}, {4, 0, -3, 1}};
  ad::backward(ad::sum(p * V(w)));
  Array expected = Array::from_shape({3, 4});
  for (std::size_t i = 0; i < 3; ++i) {
    double pw = 0;
    for (std::size_t j = 0; j < 4; ++j) pw += ref(i, j) * w(i, j);
    for (std::size_t j = 0; j < 4; ++j) expected(i, j) = ref(i, j) * (w(i, j) - pw);
  }
  test::check_close(x.grad().value(), expected, 1e-12, 1e-10);

  auto f1 = [](const Inputs& in) { return ad::softmax(in[0], -1); };
  auto f2 = [](const Inputs& in) { return ad::softmax(in[0], 0); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);

  // A middle axis of a 3-D input.
  const Array z0 = test::random_array({2, 3, 2}, 10);
  V pz = ad::softmax(V(z0), 1);
  const Array rz = loop_logsumexp(z0, {1});
  Array expected_z = Array::from_shape({2, 3, 2});
  for (std::size_t flat = 0; flat < z0.size(); ++flat) {
    expected_z.data()[flat] = std::exp(z0.data()[flat] - at_keepdims(rz, unravel(flat, z0.shape())));
  }
  test::check_close(pz.value(), expected_z, 1e-14, 1e-12);
  auto f3 = [](const Inputs& in) { return ad::softmax(in[0], 1); };
  CHECK_GRADIENTS(f3, z0);
}

BOOST_AUTO_TEST_CASE(log_softmax_forward_and_gradients) {
  const Array x0 = test::random_array({3, 4}, 11);
  V x = leaf(x0);
  V ls = ad::log_softmax(x, -1);
  BOOST_TEST(shape_of(ls) == "(3, 4)");
  Array ref = Array::from_shape({3, 4});
  for (std::size_t i = 0; i < 3; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < 4; ++j) s += std::exp(x0(i, j));
    for (std::size_t j = 0; j < 4; ++j) ref(i, j) = x0(i, j) - std::log(s);
  }
  test::check_close(ls.value(), ref, 1e-12, 1e-12);
  test::check_close(ad::log_softmax(x).value(), ref, 1e-12, 1e-12);
  test::check_close(Array(xt::exp(ls.value())), ad::softmax(x, -1).value(), 1e-14, 1e-12);

  V ls0 = ad::log_softmax(x, 0);
  Array ref0 = Array::from_shape({3, 4});
  for (std::size_t j = 0; j < 4; ++j) {
    double s = 0;
    for (std::size_t i = 0; i < 3; ++i) s += std::exp(x0(i, j));
    for (std::size_t i = 0; i < 3; ++i) ref0(i, j) = x0(i, j) - std::log(s);
  }
  test::check_close(ls0.value(), ref0, 1e-12, 1e-12);
  test::check_close(ad::log_softmax(x, -2).value(), ref0, 1e-12, 1e-12);

  // Gradient by value: the seed minus softmax times the seed's row sum.
  const Array seed{{1, 0, 0, 0}, {0, 2, 0, 1}, {-1, 1, 3, 0}};
  ad::backward(ls, V(seed));
  Array expected = Array::from_shape({3, 4});
  for (std::size_t i = 0; i < 3; ++i) {
    double row = 0;
    for (std::size_t j = 0; j < 4; ++j) row += seed(i, j);
    for (std::size_t j = 0; j < 4; ++j) expected(i, j) = seed(i, j) - std::exp(ref(i, j)) * row;
  }
  test::check_close(x.grad().value(), expected, 1e-12, 1e-10);

  auto f1 = [](const Inputs& in) { return ad::log_softmax(in[0], -1); };
  auto f2 = [](const Inputs& in) { return ad::log_softmax(in[0], 0); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
}

BOOST_AUTO_TEST_CASE(softmax_family_is_stable_for_extreme_logits) {
  ad::DetectAnomalyGuard anomaly(true);  // no op may produce a NaN or Inf, forward or backward
  {
    const Array x0{1e4, -1e4, 0};
    V x = leaf(x0);
    V lse = ad::logsumexp(x, {0});
    BOOST_TEST(lse.item() == 1e4, boost::test_tools::tolerance(1e-15));
    test::check_close(ad::softmax(x).value(), Array{1, 0, 0}, 1e-15, 0);
    test::check_close(ad::log_softmax(x).value(), Array{0, -2e4, -1e4}, 1e-12, 1e-15);

    const auto g = ad::grad(lse, {x});
    BOOST_TEST(all_finite(g[0].value()));
    test::check_close(g[0].value(), Array{1, 0, 0}, 1e-15, 0);

    x.zero_grad();
    ad::backward(ad::sum(ad::softmax(x) * V(Array{1, 2, 3})));
    BOOST_TEST(all_finite(x.grad().value()));
    test::check_close(x.grad().value(), Array{0, 0, 0}, 1e-15, 0);

    x.zero_grad();
    ad::backward(ad::log_softmax(x), V(Array{0, 1, 0}));
    BOOST_TEST(all_finite(x.grad().value()));
    test::check_close(x.grad().value(), Array{-1, 1, 0}, 1e-15, 0);

    // Second order: the Hessian of logsumexp is diag(p) - p p^T = 0 at p = (1, 0, 0).
    x.zero_grad();
    V gx = ad::grad(ad::logsumexp(x, {0}), {x}, {.create_graph = true})[0];
    ad::backward(ad::sum(gx * V(Array{1, 2, 3})));
    BOOST_TEST(all_finite(x.grad().value()));
    test::check_close(x.grad().value(), Array{0, 0, 0}, 1e-15, 0);
  }
  {
    const Array x0{-1e4, -1e4};
    V x = leaf(x0);
    V lse = ad::logsumexp(x, {-1});
    BOOST_TEST(lse.item() == -1e4 + std::log(2.0), boost::test_tools::tolerance(1e-15));
    test::check_close(ad::softmax(x).value(), Array{0.5, 0.5}, 1e-12, 0);
    test::check_close(ad::log_softmax(x).value(), Array{-std::log(2.0), -std::log(2.0)}, 1e-12, 1e-12);

    const auto g = ad::grad(lse, {x});
    test::check_close(g[0].value(), Array{0.5, 0.5}, 1e-15, 0);

    ad::backward(ad::log_softmax(x), V(Array{1, 0}));
    BOOST_TEST(all_finite(x.grad().value()));
    test::check_close(x.grad().value(), Array{0.5, -0.5}, 1e-15, 0);

    // Hessian of logsumexp at p = (1/2, 1/2): [[1/4, -1/4], [-1/4, 1/4]]; times (1, 3) = (-1/2, 1/2).
    x.zero_grad();
    V gx = ad::grad(ad::logsumexp(x, {0}), {x}, {.create_graph = true})[0];
    ad::backward(ad::sum(gx * V(Array{1, 3})));
    test::check_close(x.grad().value(), Array{-0.5, 0.5}, 1e-12, 0);
  }
  {
    // Batched along axis 0 (a column per example) and along axis -1 (a row per example).
    const Array cols{{1e4, -1e4}, {-1e4, -1e4}, {0, -1e4}};
    V x = leaf(cols);
    test::check_close(ad::softmax(x, 0).value(), Array{{1, 1.0 / 3}, {0, 1.0 / 3}, {0, 1.0 / 3}}, 1e-15, 1e-11);
    const double l3 = std::log(3.0);
    test::check_close(ad::log_softmax(x, 0).value(), Array{{0, -l3}, {-2e4, -l3}, {-1e4, -l3}}, 1e-12, 1e-12);
    test::check_close(ad::logsumexp(x, {0}).value(), Array{1e4, -1e4 + l3}, 0, 1e-15);
    ad::backward(ad::sum(ad::log_softmax(x, 0) * V(Array{{1, 1}, {2, 0}, {3, 0}})));
    BOOST_TEST(all_finite(x.grad().value()));
    // Column 0: seed (1, 2, 3), p = (1, 0, 0): seed - p * 6 = (-5, 2, 3); column 1: seed (1, 0, 0),
    // p = 1/3 each: (1 - 1/3, -1/3, -1/3).
    test::check_close(x.grad().value(), Array{{-5, 2.0 / 3}, {2, -1.0 / 3}, {3, -1.0 / 3}}, 1e-12, 1e-12);

    V rows = leaf(Array(xt::transpose(cols)));
    test::check_close(ad::softmax(rows, -1).value(), Array{{1, 0, 0}, {1.0 / 3, 1.0 / 3, 1.0 / 3}}, 1e-15, 1e-11);
    ad::backward(ad::sum(ad::softmax(rows, -1)));  // softmax sums to 1 per row: zero gradient
    BOOST_TEST(all_finite(rows.grad().value()));
    test::check_close(rows.grad().value(), xt::zeros<double>({2, 3}), 1e-12, 0);
  }
  {
    // The same in float.
    ad::Var<float> x(ArrayF{1e4f, -1e4f, 0.f}, true);
    test::check_close(to_double(ad::softmax(x).value()), Array{1, 0, 0}, 1e-7, 0);
    test::check_close(to_double(ad::log_softmax(x).value()), Array{0, -2e4, -1e4}, 1e-7, 1e-7);
    BOOST_TEST(ad::logsumexp(x, {0}).item() == 1e4f);
    ad::backward(ad::logsumexp(x, {0}));
    test::check_close(to_double(x.grad().value()), Array{1, 0, 0}, 1e-7, 0);
  }
}

// ---- norms -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(l1_norm_forward_and_gradients) {
  const Array x0 = test::random_array({3, 4}, 12);
  V x = leaf(x0);
  V n = ad::l1_norm(x);
  BOOST_TEST(shape_of(n) == "()");
  double ref = 0;
  for (double v : x0) ref += std::abs(v);
  BOOST_TEST(n.item() == ref, boost::test_tools::tolerance(1e-12));
  ad::backward(n);
  Array expected = Array::from_shape({3, 4});
  for (std::size_t i = 0; i < x0.size(); ++i) expected.data()[i] = x0.data()[i] > 0 ? 1 : -1;
  test::check_close(x.grad().value(), expected);

  auto f = [](const Inputs& in) { return ad::l1_norm(in[0]); };
  CHECK_GRADIENTS(f, x0);
}

BOOST_AUTO_TEST_CASE(l2_norm_forward_and_gradients) {
  const Array x0 = test::random_array({3, 4}, 13);
  V x = leaf(x0);
  V n = ad::l2_norm(x);
  BOOST_TEST(shape_of(n) == "()");
  double ss = 0;
  for (double v : x0) ss += v * v;
  const double ref = std::sqrt(ss);
  BOOST_TEST(n.item() == ref, boost::test_tools::tolerance(1e-12));
  ad::backward(n);
  test::check_close(x.grad().value(), Array(x0 / ref), 1e-14, 1e-12);

  BOOST_TEST(ad::l2_norm(V(Array{3, -4})).item() == 5.0, boost::test_tools::tolerance(1e-15));

  auto f = [](const Inputs& in) { return ad::l2_norm(in[0]); };
  CHECK_GRADIENTS(f, x0);
}

// ---- reductions inside larger expressions ------------------------------------------------------

BOOST_AUTO_TEST_CASE(reductions_compose_with_elementwise_ops) {
  // keepdims gradients flowing into elementwise ops (abs, scaling, shifts) and back out.
  const Array x0 = test::random_array({2, 3, 4}, 14);
  auto f1 = [](const Inputs& in) { return ad::mean(ad::abs(in[0]) * 3.0 - 1.0, {0, 2}, true) / 2.0; };
  auto f2 = [](const Inputs& in) {
    V m = ad::max(in[0], {1}, true);  // (2, 1, 4)
    return ad::sum(ad::exp(in[0] - m), {1}, true) * ad::square(ad::sum(ad::abs(in[0]), {-2}, true)) + m;
  };
  auto f3 = [](const Inputs& in) { return ad::log_softmax(ad::sum(ad::tanh(in[0]), {1}), 0) * 2.0; };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
}

// ---- errors ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(axis_out_of_range_throws_naming_the_op) {
  V x = leaf(test::random_array({2, 3, 4}, 15));
  for (std::ptrdiff_t bad : {3, 7, -4}) {
    BOOST_TEST_CONTEXT("axis " << bad) {
      test::check_error<ad::ShapeError>([&] { ad::sum(x, {bad}); }, {"sum"});
      test::check_error<ad::ShapeError>([&] { ad::sum(x, {0, bad}, true); }, {"sum"});
      test::check_error<ad::ShapeError>([&] { ad::mean(x, {bad}); }, {"mean"});
      test::check_error<ad::ShapeError>([&] { ad::max(x, {bad}); }, {"max"});
      test::check_error<ad::ShapeError>([&] { ad::logsumexp(x, {bad}); }, {"logsumexp"});
    }
  }
}

BOOST_AUTO_TEST_CASE(softmax_axis_out_of_range_throws_naming_the_op) {
  V x = leaf(test::random_array({2, 3}, 16));
  test::check_error<ad::ShapeError>([&] { ad::softmax(x, 2); }, {"softmax"});
  test::check_error<ad::ShapeError>([&] { ad::softmax(x, -3); }, {"softmax"});
  test::check_error<ad::ShapeError>([&] { ad::log_softmax(x, 2); }, {"log_softmax"});
  test::check_error<ad::ShapeError>([&] { ad::log_softmax(x, -3); }, {"log_softmax"});
}

BOOST_AUTO_TEST_CASE(repeated_axis_throws) {
  V x = leaf(test::random_array({2, 3, 4}, 17));
  test::check_error<ad::ShapeError>([&] { ad::sum(x, {0, 0}); }, {"sum", "repeated"});
  test::check_error<ad::ShapeError>([&] { ad::sum(x, {1, -2}, true); }, {"sum", "repeated"});  // -2 is axis 1
  test::check_error<ad::ShapeError>([&] { ad::mean(x, {2, -1}); }, {"mean", "repeated"});
  test::check_error<ad::ShapeError>([&] { ad::max(x, {0, 2, 0}); }, {"max", "repeated"});
  test::check_error<ad::ShapeError>([&] { ad::logsumexp(x, {-3, 0}); }, {"logsumexp", "repeated"});
}

// ---- float32 -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(float_forward_matches_double) {
  // Long rows (not a multiple of 16) exercise the vectorized summation with its tail.
  const ArrayF xf = xt::cast<float>(test::random_array({5, 257}, 18));
  const Array xd = to_double(xf);  // the same values, so only the arithmetic differs
  const ArrayF pf = xt::cast<float>(test::positive_array({5, 257}, 19));
  const Array pd = to_double(pf);
  const ad::Var<float> vf(xf), vpf(pf);
  const V vd(xd), vpd(pd);
  const double rtol = 1e-5;

  test::check_close(to_double(ad::logsumexp(vf, {-1}).value()), ad::logsumexp(vd, {-1}).value(), 0, rtol);
  test::check_close(to_double(ad::logsumexp(vf, {0, 1}).value()), ad::logsumexp(vd, {0, 1}).value(), 0, rtol);
  test::check_close(to_double(ad::softmax(vf, -1).value()), ad::softmax(vd, -1).value(), 0, rtol);
  test::check_close(to_double(ad::softmax(vf, 0).value()), ad::softmax(vd, 0).value(), 0, rtol);
  test::check_close(to_double(ad::log_softmax(vf, -1).value()), ad::log_softmax(vd, -1).value(), 0, rtol);
  test::check_close(to_double(ad::mean(vpf).value()), ad::mean(vpd).value(), 0, rtol);
  test::check_close(to_double(ad::mean(vpf, {1}).value()), ad::mean(vpd, {1}).value(), 0, rtol);
  test::check_close(to_double(ad::sum(vpf, {0}).value()), ad::sum(vpd, {0}).value(), 0, rtol);
  test::check_close(to_double(ad::l2_norm(vf).value()), ad::l2_norm(vd).value(), 0, rtol);
  test::check_close(to_double(ad::l1_norm(vf).value()), ad::l1_norm(vd).value(), 0, rtol);
  test::check_close(to_double(ad::max(vf, {1}).value()), ad::max(vd, {1}).value(), 0, 0);

  // And the gradient of logsumexp (a softmax) in float against double.
  ad::Var<float> gf(xf, true);
  V gd(xd, true);
  ad::backward(ad::sum(ad::logsumexp(gf, {-1})));
  ad::backward(ad::sum(ad::logsumexp(gd, {-1})));
  test::check_close(to_double(gf.grad().value()), gd.grad().value(), 0, rtol);
}

// ---- helpers for the reductions of issue 13 ----------------------------------------------------

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();
const double inf_value = std::numeric_limits<double>::infinity();

Array loop_min(const Array& x, const std::vector<std::size_t>& axes) {
  return loop_reduce(x, axes, inf_value, [](double acc, double v) { return std::min(acc, v); });
}
Array loop_prod(const Array& x, const std::vector<std::size_t>& axes) {
  return loop_reduce(x, axes, 1.0, [](double acc, double v) { return acc * v; });
}
std::size_t group_count(const Array& x, const std::vector<std::size_t>& axes) {
  std::size_t n = 1;
  for (auto a : axes) n *= x.shape()[a];
  return n;
}
// Two-pass variance: the mean first, then the squared deviations from it.
Array loop_var(const Array& x, const std::vector<std::size_t>& axes, std::size_t ddof) {
  const double n = static_cast<double>(group_count(x, axes));
  const Array m = loop_sum(x, axes) / n;
  Array dev2 = x;
  for (std::size_t flat = 0; flat < x.size(); ++flat) {
    const double d = x.data()[flat] - at_keepdims(m, unravel(flat, x.shape()));
    dev2.data()[flat] = d * d;
  }
  return loop_sum(dev2, axes) / (n - static_cast<double>(ddof));
}
Array loop_pnorm(const Array& x, const std::vector<std::size_t>& axes, double p) {
  if (p == inf_value) return loop_reduce(x, axes, 0.0, [](double acc, double v) { return std::max(acc, std::abs(v)); });
  Array s = loop_reduce(x, axes, 0.0, [p](double acc, double v) { return acc + std::pow(std::abs(v), p); });
  for (auto& e : s) e = std::pow(e, 1.0 / p);
  return s;
}

// The Hessian of sum(f(x)) at x0 times v, through grad with create_graph and a second backward.
Array hessian_times(const std::function<V(const V&)>& f, const Array& x0, const Array& v) {
  V x = leaf(x0);
  const V gx = ad::grad(ad::sum(f(x)), {x}, {.create_graph = true})[0];
  ad::backward(ad::sum(gx * V(v)));
  return test::grad_value(x);
}

// The axis sets every reduction is checked over on a (2, 3, 4) input.
const std::vector<std::vector<std::size_t>> axis_cases{{0}, {1}, {2}, {0, 2}, {0, 1}, {1, 2}, {0, 1, 2}};

// Row 0 of a 2-D array.
Array first_row(const Array& a) {
  Array r = xt::zeros<double>({a.shape()[1]});
  std::copy_n(a.data(), a.shape()[1], r.data());
  return r;
}

ad::Axes to_axes(const std::vector<std::size_t>& axes) { return ad::Axes(axes.begin(), axes.end()); }

// reduce(x, axes, keepdims) against the loop reference, keepdims both ways and the same axes
// negative.
void check_against_loop(const std::function<V(const V&, const ad::Axes&, bool)>& reduce, const Array& x0,
                        const std::function<Array(const Array&, const std::vector<std::size_t>&)>& reference,
                        double rtol = 1e-12) {
  const V x(x0);
  for (const auto& axes : axis_cases) {
    BOOST_TEST_CONTEXT("axes of size " << axes.size() << ", first " << axes[0]) {
      const Array r = reference(x0, axes);
      ad::Axes negative;
      for (auto a : axes) negative.push_back(static_cast<std::ptrdiff_t>(a) - static_cast<std::ptrdiff_t>(x0.dimension()));
      test::check_close(reduce(x, to_axes(axes), true).value(), r, 1e-12, rtol);
      test::check_close(reduce(x, to_axes(axes), false).value(), reshaped(r, dropped(x0, axes)), 1e-12, rtol);
      test::check_close(reduce(x, negative, false).value(), reshaped(r, dropped(x0, axes)), 1e-12, rtol);
    }
  }
}

}  // namespace

// ---- min ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(min_forward_over_all_elements_and_axes) {
  const Array x0 = distinct_array({2, 3, 4}, 20);
  V x = leaf(x0);
  V m = ad::min(x);
  BOOST_TEST(shape_of(m) == "()");
  BOOST_TEST(m.item() == *std::min_element(x0.begin(), x0.end()));
  check_against_loop([](const V& v, const ad::Axes& ax, bool k) { return ad::min(v, ax, k); }, x0, loop_min);
}

BOOST_AUTO_TEST_CASE(min_gradient_goes_to_the_argmin_and_ties_split_evenly) {
  const Array x0 = distinct_array({2, 3, 4}, 21);
  {
    V x = leaf(x0);
    V y = ad::min(x, {1});
    const Array seed{{1, 2, 3, 4}, {5, 6, 7, 8}};
    ad::backward(y, V(seed));
    const Array r = loop_min(x0, {1});
    Array expected = Array::from_shape({2, 3, 4});
    for (std::size_t flat = 0; flat < x0.size(); ++flat) {
      const auto idx = unravel(flat, x0.shape());
      expected.data()[flat] = x0.data()[flat] == at_keepdims(r, idx) ? seed(idx[0], idx[2]) : 0.0;
    }
    test::check_close(x.grad().value(), expected);
  }
  {
    V x = leaf(Array{{1, -3, -3}, {2, 2, 2}, {-5, 0, -5}, {4, 1, 0}});
    V m = ad::min(x, {-1});
    test::check_close(m.value(), Array{-3, 2, -5, 0});
    ad::backward(m, V(Array{1, 3, 2, 4}));
    test::check_close(x.grad().value(), Array{{0, 0.5, 0.5}, {1, 1, 1}, {1, 0, 1}, {0, 0, 4}}, 1e-15, 1e-12);
  }
  {
    V x = leaf(Array{{7, 1}, {1, 1}});
    ad::backward(ad::min(x));
    test::check_close(x.grad().value(), Array{{0, 1.0 / 3}, {1.0 / 3, 1.0 / 3}}, 1e-15, 1e-12);
  }
  auto f1 = [](const Inputs& in) { return ad::min(in[0]); };
  auto f2 = [](const Inputs& in) { return ad::min(in[0], {1}); };
  auto f3 = [](const Inputs& in) { return ad::min(in[0], {0, 2}, true); };
  auto f4 = [](const Inputs& in) { return ad::min(in[0], {-1}); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
  CHECK_GRADIENTS(f4, x0);
}

BOOST_AUTO_TEST_CASE(min_of_empty_input_throws) {
  V x(Array::from_shape({0, 3}), true);
  test::check_error<ad::ShapeError>([&] { ad::min(x); }, {"min", "(0, 3)"});
}

// ---- logsumexp over all elements ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(logsumexp_over_all_elements) {
  const Array x0 = test::random_array({2, 3, 4}, 22);
  V x = leaf(x0);
  V y = ad::logsumexp(x);
  BOOST_TEST(shape_of(y) == "()");
  double s = 0;
  for (double v : x0) s += std::exp(v);
  BOOST_TEST(y.item() == std::log(s), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(ad::logsumexp(V(Array(x0 + 900.0))).item() == std::log(s) + 900.0, boost::test_tools::tolerance(1e-12));
  ad::backward(y);
  test::check_close(x.grad().value(), Array(xt::exp(x0) / s), 1e-14, 1e-12);
  auto f = [](const Inputs& in) { return ad::logsumexp(in[0]); };
  CHECK_GRADIENTS(f, x0);
}

// ---- prod --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(prod_forward_over_all_elements_and_axes) {
  const Array x0 = test::random_array({2, 3, 4}, 23, 0.5, 1.5, 0.5);
  V x = leaf(x0);
  V p = ad::prod(x);
  BOOST_TEST(shape_of(p) == "()");
  BOOST_TEST(p.item() == std::accumulate(x0.begin(), x0.end(), 1.0, std::multiplies<>()), boost::test_tools::tolerance(1e-12));
  check_against_loop([](const V& v, const ad::Axes& ax, bool k) { return ad::prod(v, ax, k); }, x0, loop_prod);
  // The empty product is 1.
  test::check_close(ad::prod(V(Array::from_shape({2, 0})), {1}).value(), Array{1, 1});
}

BOOST_AUTO_TEST_CASE(prod_gradients_away_from_zero) {
  const Array x0 = test::random_array({2, 3, 4}, 24, -1.5, 1.5, 0.3);
  {
    // Gradient by value: prod / x for each element of each group.
    V x = leaf(x0);
    ad::backward(ad::sum(ad::prod(x, {-1})));
    const Array r = loop_prod(x0, {2});
    Array expected = Array::from_shape({2, 3, 4});
    for (std::size_t flat = 0; flat < x0.size(); ++flat) {
      expected.data()[flat] = at_keepdims(r, unravel(flat, x0.shape())) / x0.data()[flat];
    }
    test::check_close(x.grad().value(), expected, 1e-14, 1e-12);
  }
  auto f1 = [](const Inputs& in) { return ad::prod(in[0]); };
  auto f2 = [](const Inputs& in) { return ad::prod(in[0], {1}); };
  auto f3 = [](const Inputs& in) { return ad::prod(in[0], {0, 2}, true); };
  auto f4 = [](const Inputs& in) { return ad::prod(in[0], {-1}, false); };
  auto f5 = [](const Inputs& in) { return ad::prod(in[0], {-3, -2}, true) * 2.0; };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
  CHECK_GRADIENTS(f4, x0);
  CHECK_GRADIENTS(f5, x0);
  // Third order: gradcheck of the gradient of prod (with create_graph) as the function. Its
  // numerical evaluations pass inputs that do not require grad: those get a leaf of their own
  // (which is why gradgradcheck, whose numerical side needs the graph, does not apply).
  auto gradient_of = [](const std::function<V(const V&)>& f) {
    return [f](const Inputs& in) {
      const V x = in[0].requires_grad() ? in[0] : V(in[0].value(), true);
      return ad::grad(ad::sum(f(x)), {x}, {.create_graph = true})[0];
    };
  };
  auto g1 = gradient_of([](const V& v) { return ad::prod(v, {1}); });
  auto g2 = gradient_of([](const V& v) { return ad::prod(v); });
  for (const auto& [g, input] : {std::pair{g1, x0}, std::pair{g2, Array(x0 * 1.6)}}) {
    const auto third = ad::gradcheck(g, {input}, test::tolerances);
    BOOST_CHECK_MESSAGE(third.ok, third.message);
  }
}

BOOST_AUTO_TEST_CASE(prod_gradient_with_zeros_is_exact) {
  ad::DetectAnomalyGuard anomaly(true);  // no NaN or Inf anywhere, forward or backward
  {
    // One zero: its gradient is the product of the others, every other gradient 0.
    V x = leaf(Array{2, 0, 3});
    V p = ad::prod(x);
    BOOST_TEST(p.item() == 0.0);
    ad::backward(p);
    test::check_close(x.grad().value(), Array{0, 6, 0});
  }
  {
    // Per row: one zero, two zeros (all 0), none (prod / x).
    V x = leaf(Array{{2, 0, 3}, {0, 0, 5}, {1, 2, 4}});
    V p = ad::prod(x, {-1});
    test::check_close(p.value(), Array{0, 0, 8});
    ad::backward(p, V(Array{1, 1, 0.5}));
    test::check_close(x.grad().value(), Array{{0, 6, 0}, {0, 0, 0}, {4, 2, 1}});
  }
  {
    // Along axis 0 with keepdims: column 0 has one zero, column 1 two.
    V x = leaf(Array{{0, 0}, {3, 0}, {-2, 7}});
    V p = ad::prod(x, {0}, true);
    BOOST_TEST(shape_of(p) == "(1, 2)");
    ad::backward(ad::sum(p));
    test::check_close(x.grad().value(), Array{{-6, 0}, {0, 0}, {0, 0}});
  }
  // Second order, by value: the Hessian of prod has H[i][j] = product of x[k] over k != i, j.
  // At (2, 0, 3): H = [[0, 3, 0], [3, 0, 2], [0, 2, 0]]; times v = (1, 2, 3): (6, 9, 4).
  const auto prod_all = [](const V& v) { return ad::prod(v); };
  test::check_close(hessian_times(prod_all, Array{2, 0, 3}, Array{1, 2, 3}), Array{6, 9, 4});
  // At (0, 0, 5): H[0][1] = 5, all else 0; times (1, 2, 3): (10, 5, 0).
  test::check_close(hessian_times(prod_all, Array{0, 0, 5}, Array{1, 2, 3}), Array{10, 5, 0});
  // Three zeros: the Hessian is 0.
  test::check_close(hessian_times(prod_all, Array{0, 0, 0}, Array{1, 2, 3}), Array{0, 0, 0});
  // Per row of a 2-D input, axis 1: rows (2, 0, 3) and (1, 2, 4) (H = [[0, 4, 2], [4, 0, 1], [2, 1, 0]]).
  const auto prod_rows = [](const V& v) { return ad::prod(v, {1}); };
  test::check_close(hessian_times(prod_rows, Array{{2, 0, 3}, {1, 2, 4}}, Array{{1, 2, 3}, {1, 2, 3}}),
                    Array{{6, 9, 4}, {14, 7, 4}});
}

// ---- var and std -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(var_and_std_forward) {
  const Array x0 = test::random_array({2, 3, 4}, 25);
  V x = leaf(x0);
  // Over all elements, default ddof 0 (numpy), and ddof 1 (PyTorch's default).
  const std::vector<std::size_t> all{0, 1, 2};
  BOOST_TEST(shape_of(ad::var(x)) == "()");
  BOOST_TEST(ad::var(x).item() == loop_var(x0, all, 0)(0, 0, 0), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(ad::var(x, 1).item() == loop_var(x0, all, 1)(0, 0, 0), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(ad::std(x).item() == std::sqrt(loop_var(x0, all, 0)(0, 0, 0)), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(ad::std(x, 1).item() == std::sqrt(loop_var(x0, all, 1)(0, 0, 0)), boost::test_tools::tolerance(1e-12));
  for (std::size_t ddof : {0, 1}) {
    BOOST_TEST_CONTEXT("ddof " << ddof) {
      check_against_loop([ddof](const V& v, const ad::Axes& ax, bool k) { return ad::var(v, ax, ddof, k); }, x0,
                         [ddof](const Array& a, const std::vector<std::size_t>& ax) { return loop_var(a, ax, ddof); });
      check_against_loop([ddof](const V& v, const ad::Axes& ax, bool k) { return ad::std(v, ax, ddof, k); }, x0,
                         [ddof](const Array& a, const std::vector<std::size_t>& ax) {
                           return Array(xt::sqrt(loop_var(a, ax, ddof)));
                         });
    }
  }
  // Braced axes are axes, not ddof.
  BOOST_TEST(shape_of(ad::var(x, {1})) == "(2, 4)");
  BOOST_TEST(shape_of(ad::std(x, {1})) == "(2, 4)");
  BOOST_TEST(shape_of(ad::var(x, {0, 2}, 1, true)) == "(1, 3, 1)");
  // A closed form: var(1, 2, 3, 4) = 1.25, with ddof 1: 5/3.
  BOOST_TEST(ad::var(V(Array{1, 2, 3, 4})).item() == 1.25, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(ad::var(V(Array{1, 2, 3, 4}), 1).item() == 5.0 / 3, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(ad::std(V(Array{2, 4, 4, 4, 5, 5, 7, 9})).item() == 2.0, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(var_and_std_gradients) {
  const Array x0 = test::random_array({2, 3, 4}, 26);
  {
    // d var / dx = 2 (x - mean) / (n - ddof) along each group.
    V x = leaf(x0);
    ad::backward(ad::sum(ad::var(x, {-1}, 1)));
    const Array m = loop_sum(x0, {2}) / 4.0;
    Array expected = Array::from_shape({2, 3, 4});
    for (std::size_t flat = 0; flat < x0.size(); ++flat) {
      expected.data()[flat] = 2 * (x0.data()[flat] - at_keepdims(m, unravel(flat, x0.shape()))) / 3.0;
    }
    test::check_close(x.grad().value(), expected, 1e-14, 1e-12);
  }
  auto v1 = [](const Inputs& in) { return ad::var(in[0]); };
  auto v2 = [](const Inputs& in) { return ad::var(in[0], {1}, 1); };
  auto v3 = [](const Inputs& in) { return ad::var(in[0], {0, 2}, 0, true); };
  auto v4 = [](const Inputs& in) { return ad::var(in[0], {-1}, 2, false); };
  auto s1 = [](const Inputs& in) { return ad::std(in[0], 1); };
  auto s2 = [](const Inputs& in) { return ad::std(in[0], {1}); };
  auto s3 = [](const Inputs& in) { return ad::std(in[0], {-3, -1}, 1, true); };
  CHECK_GRADIENTS(v1, x0);
  CHECK_GRADIENTS(v2, x0);
  CHECK_GRADIENTS(v3, x0);
  CHECK_GRADIENTS(v4, x0);
  CHECK_GRADIENTS(s1, x0);
  CHECK_GRADIENTS(s2, x0);
  CHECK_GRADIENTS(s3, x0);
}

BOOST_AUTO_TEST_CASE(std_gradient_at_zero_spread_is_zero) {
  // Row 0 is constant (zero spread): its gradient is 0, not NaN, at first and second order.
  const Array x0{{1.5, 1.5, 1.5}, {1, 2, 4}};
  const auto f = [](const V& v) { return ad::std(v, {1}); };
  V x = leaf(x0);
  ad::backward(ad::sum(f(x)));
  const Array g = test::grad_value(x);
  BOOST_TEST(all_finite(g));
  test::check_close(first_row(g), Array{0, 0, 0});
  const Array h = hessian_times(f, x0, Array{{1, 2, 3}, {1, -1, 2}});
  BOOST_TEST(all_finite(h));
  test::check_close(first_row(h), Array{0, 0, 0});
  // var there is smooth: gradient 0 as well.
  test::check_close(test::grad_of_sum([](const V& v) { return ad::var(v, {1}); }, x0),
                    Array{{0, 0, 0}, {2 * (1 - 7.0 / 3) / 3, 2 * (2 - 7.0 / 3) / 3, 2 * (4 - 7.0 / 3) / 3}}, 1e-15,
                    1e-12);
}

BOOST_AUTO_TEST_CASE(var_and_std_ddof_too_large_throws) {
  V x = leaf(test::random_array({2, 3}, 27));
  test::check_error<ad::ValueError>([&] { ad::var(x, {1}, 3); }, {"var", "ddof 3", "3"});
  test::check_error<ad::ValueError>([&] { ad::var(x, 6); }, {"var", "ddof 6", "6"});
  test::check_error<ad::ValueError>([&] { ad::std(x, {0}, 2); }, {"std", "ddof 2", "2"});
  test::check_error<ad::ValueError>([&] { ad::std(x, 7); }, {"std", "ddof 7", "6"});
  // An empty reduction has no variance even with ddof 0.
  test::check_error<ad::ValueError>([&] { ad::var(V(Array::from_shape({2, 0})), {1}); }, {"var", "ddof 0", "0"});
}

// ---- norm --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(norm_forward_for_p_1_2_inf) {
  const Array x0 = test::random_array({2, 3, 4}, 28);
  V x = leaf(x0);
  for (double p : {1.0, 2.0, inf_value}) {
    BOOST_TEST_CONTEXT("p = " << p) {
      BOOST_TEST(shape_of(ad::norm(x, p)) == "()");
      BOOST_TEST(ad::norm(x, p).item() == loop_pnorm(x0, {0, 1, 2}, p)(0, 0, 0), boost::test_tools::tolerance(1e-12));
      check_against_loop([p](const V& v, const ad::Axes& ax, bool k) { return ad::norm(v, p, ax, k); }, x0,
                         [p](const Array& a, const std::vector<std::size_t>& ax) { return loop_pnorm(a, ax, p); });
    }
  }
  const V v(Array{{3, -4}, {0, 0}, {-1, 0.5}});
  test::check_close(ad::norm(v, 2, {1}).value(), Array{5, 0, std::sqrt(1.25)}, 1e-15, 1e-15);
  test::check_close(ad::norm(v, 1, {-1}).value(), Array{7, 0, 1.5});
  test::check_close(ad::norm(v, inf_value, {1}, true).value(), test::column({4, 0, 1}));
  // l1_norm and l2_norm are norm(x, 1) and norm(x, 2).
  BOOST_TEST(ad::l1_norm(x).item() == ad::norm(x, 1).item(), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(ad::l2_norm(x).item() == ad::norm(x, 2).item(), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(norm_gradients) {
  const Array x0 = distinct_array({2, 3, 4}, 29);  // distinct |x|, all at least 0.15 from 0
  {
    // Gradients by value along the last axis: sign(x), x / norm, and the max-|x| element's sign.
    const Array n2 = loop_pnorm(x0, {2}, 2), ninf = loop_pnorm(x0, {2}, inf_value);
    const Array g1 = test::grad_of_sum([](const V& v) { return ad::norm(v, 1, {-1}); }, x0);
    const Array g2 = test::grad_of_sum([](const V& v) { return ad::norm(v, 2, {-1}); }, x0);
    const Array ginf = test::grad_of_sum([](const V& v) { return ad::norm(v, inf_value, {-1}); }, x0);
    for (std::size_t flat = 0; flat < x0.size(); ++flat) {
      const auto idx = unravel(flat, x0.shape());
      const double xv = x0.data()[flat], s = xv > 0 ? 1.0 : -1.0;
      BOOST_TEST(g1.data()[flat] == s);
      BOOST_TEST(g2.data()[flat] == xv / at_keepdims(n2, idx), boost::test_tools::tolerance(1e-12));
      BOOST_TEST(ginf.data()[flat] == (std::abs(xv) == at_keepdims(ninf, idx) ? s : 0.0));
    }
  }
  for (double p : {1.0, 2.0, inf_value}) {
    BOOST_TEST_CONTEXT("p = " << p) {
      auto f1 = [p](const Inputs& in) { return ad::norm(in[0], p); };
      auto f2 = [p](const Inputs& in) { return ad::norm(in[0], p, {1}); };
      auto f3 = [p](const Inputs& in) { return ad::norm(in[0], p, {0, 2}, true); };
      auto f4 = [p](const Inputs& in) { return ad::norm(in[0], p, {-1}, false); };
      CHECK_GRADIENTS(f1, x0);
      CHECK_GRADIENTS(f2, x0);
      CHECK_GRADIENTS(f3, x0);
      CHECK_GRADIENTS(f4, x0);
    }
  }
  auto l2 = [](const Inputs& in) { return ad::l2_norm(in[0]); };
  CHECK_GRADIENTS(l2, x0);
}

BOOST_AUTO_TEST_CASE(norm_subgradients_at_kinks) {
  // p = 1: sign(0) = 0. p = inf: a tie of |x| (of either sign) splits the gradient evenly.
  test::check_close(test::grad_of_sum([](const V& v) { return ad::norm(v, 1); }, Array{-2, 0, 3}), Array{-1, 0, 1});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::norm(v, inf_value); }, Array{3, -3, 1}),
                    Array{0.5, -0.5, 0});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::norm(v, inf_value, {1}); },
                                      Array{{2, -2, 2}, {1, 4, 0}}),
                    Array{{1.0 / 3, -1.0 / 3, 1.0 / 3}, {0, 1, 0}}, 1e-15, 1e-12);
  // p = 2 at a zero group: gradient 0, and l2_norm of zeros too.
  test::check_close(test::grad_of_sum([](const V& v) { return ad::norm(v, 2); }, Array{0, 0}), Array{0, 0});
  test::check_close(test::grad_of_sum([](const V& v) { return ad::l2_norm(v); }, Array{{0, 0}, {0, 0}}),
                    Array{{0, 0}, {0, 0}});
}

BOOST_AUTO_TEST_CASE(group_lasso_gradient_is_zero_at_zero_rows_at_every_order) {
  ad::DetectAnomalyGuard anomaly(true);  // no NaN or Inf anywhere, forward or backward
  // Rows 0 and 2 are all zeros; row 1 is (3, 4), norm 5.
  const Array w0{{0, 0}, {3, 4}, {0, 0}};
  const auto lasso = [](const V& w) { return ad::sum(ad::norm(w, 2, {1})); };
  V w = leaf(w0);
  V loss = lasso(w);
  BOOST_TEST(loss.item() == 5.0);
  ad::backward(loss);
  test::check_close(test::grad_value(w), Array{{0, 0}, {0.6, 0.8}, {0, 0}}, 1e-15, 1e-15);
  // Second order: the Hessian of a nonzero row is (I - u u^T) / n with u = x / n, here
  // [[0.128, -0.096], [-0.096, 0.072]]; at the zero rows 0.
  const Array h = hessian_times(lasso, w0, Array{{1, 2}, {1, 2}, {-3, 5}});
  test::check_close(h, Array{{0, 0}, {-0.064, 0.048}, {0, 0}}, 1e-15, 1e-12);
  // Third order through the second derivative stays finite as well.
  V w3 = leaf(w0);
  const V g = ad::grad(lasso(w3), {w3}, {.create_graph = true})[0];
  const V gg = ad::grad(ad::sum(g * V(Array{{1, 2}, {1, 2}, {-3, 5}})), {w3}, {.create_graph = true})[0];
  ad::backward(ad::sum(gg * gg));
  BOOST_TEST(all_finite(test::grad_value(w3)));
  test::check_close(first_row(test::grad_value(w3)), Array{0, 0});
  // Gradients away from zero rows, both orders.
  auto f = [](const Inputs& in) { return ad::sum(ad::norm(in[0], 2, {1})); };
  CHECK_GRADIENTS(f, test::random_array({4, 3}, 30));
}

// ---- cumsum ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cumsum_forward_and_gradients) {
  const Array x0 = test::random_array({2, 3, 4}, 31);
  V x = leaf(x0);
  for (std::ptrdiff_t axis = -3; axis < 3; ++axis) {
    BOOST_TEST_CONTEXT("axis " << axis) {
      const std::size_t a = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
      Array ref = x0;
      for (std::size_t flat = 0; flat < x0.size(); ++flat) {
        auto idx = unravel(flat, x0.shape());
        if (idx[a] == 0) continue;
        --idx[a];
        ref.data()[flat] = x0.data()[flat] + ref.element(idx.begin(), idx.end());  // row-major order: idx done
      }
      V y = ad::cumsum(x, axis);
      BOOST_TEST(shape_of(y) == "(2, 3, 4)");
      test::check_close(y.value(), ref, 1e-14, 1e-12);
    }
  }
  test::check_close(ad::cumsum(V(Array{1, 2, 3, 4}), 0).value(), Array{1, 3, 6, 10});
  test::check_close(ad::cumsum(V(Array{{1, 2}, {3, 4}}), 0).value(), Array{{1, 2}, {4, 6}});
  test::check_close(ad::cumsum(V(Array{{1, 2}, {3, 4}}), -1).value(), Array{{1, 3}, {3, 7}});
  // The gradient is the reverse running sum of the seed.
  V v = leaf(Array{{1, 2, 3}, {4, 5, 6}});
  ad::backward(ad::cumsum(v, 1), V(Array{{1, 10, 100}, {2, 20, 200}}));
  test::check_close(v.grad().value(), Array{{111, 110, 100}, {222, 220, 200}});
  v.zero_grad();
  ad::backward(ad::cumsum(v, 0), V(Array{{1, 10, 100}, {2, 20, 200}}));
  test::check_close(v.grad().value(), Array{{3, 30, 300}, {2, 20, 200}});

  auto f1 = [](const Inputs& in) { return ad::cumsum(in[0], 1); };
  auto f2 = [](const Inputs& in) { return ad::square(ad::cumsum(in[0], -1)); };  // nonzero second order
  auto f3 = [](const Inputs& in) { return ad::cumsum(ad::cumsum(in[0], 0) * in[0], 2); };
  CHECK_GRADIENTS(f1, x0);
  CHECK_GRADIENTS(f2, x0);
  CHECK_GRADIENTS(f3, x0);
}

// ---- argmax, argmin ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(argmax_and_argmin_values) {
  using Index = xt::xarray<std::size_t>;
  const V x(Array{{1, 5, 5, -2}, {7, 0, 7, -2}, {3, 3, 3, 3}});
  BOOST_CHECK(ad::argmax(x, 1) == (Index{1, 0, 0}));  // ties: the first occurrence
  BOOST_CHECK(ad::argmin(x, 1) == (Index{3, 3, 0}));
  BOOST_CHECK(ad::argmax(x, -1) == (Index{1, 0, 0}));
  BOOST_CHECK(ad::argmax(x, 0) == (Index{1, 0, 1, 2}));
  BOOST_CHECK(ad::argmin(x, -2) == (Index{0, 1, 2, 0}));
  const Index k = ad::argmax(x, 0, true);
  BOOST_TEST(ad::shape_str(k.shape()) == "(1, 4)");
  BOOST_CHECK(k == (Index{{1, 0, 1, 2}}));
  BOOST_TEST(ad::shape_str(ad::argmin(x, 1, true).shape()) == "(3, 1)");
  BOOST_TEST(ad::argmax(x) == 4u);  // the first 7, flat index 4
  BOOST_TEST(ad::argmin(x) == 3u);  // the first -2
  // A NaN counts as the extreme for both, the first NaN winning.
  const V n(Array{{1, nan_value, 9, nan_value}, {4, 2, 8, 0}});
  BOOST_CHECK(ad::argmax(n, 1) == (Index{1, 2}));
  BOOST_CHECK(ad::argmin(n, 1) == (Index{1, 3}));
  BOOST_CHECK(ad::argmax(n, 0) == (Index{1, 0, 0, 0}));
  BOOST_TEST(ad::argmax(n) == 1u);
  BOOST_TEST(ad::argmin(n) == 1u);
  // 3-D, middle axis, against a loop; and float.
  const Array z0 = distinct_array({2, 3, 4}, 32);
  const Index am = ad::argmax(V(z0), 1);
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 4; ++j) {
      std::size_t best = 0;
      for (std::size_t m = 1; m < 3; ++m) best = z0(i, m, j) > z0(i, best, j) ? m : best;
      BOOST_TEST(am(i, j) == best);
    }
  BOOST_CHECK(ad::argmin(ad::Var<float>(ArrayF{{2, -1, -1}, {0, 0, 5}}), 1) == (Index{1, 0}));
  BOOST_TEST(ad::argmax(ad::Var<float>(ArrayF{2, 8, 8})) == 1u);
}

BOOST_AUTO_TEST_CASE(argmax_errors) {
  const V x(test::random_array({2, 3}, 33));
  test::check_error<ad::ShapeError>([&] { ad::argmax(x, 2); }, {"argmax", "axis 2"});
  test::check_error<ad::ShapeError>([&] { ad::argmin(x, -3); }, {"argmin", "axis -3"});
  test::check_error<ad::ShapeError>([&] { ad::argmax(V(Array::from_shape({2, 0})), 1); }, {"argmax", "(2, 0)"});
  test::check_error<ad::ShapeError>([&] { ad::argmin(V(Array::from_shape({0}))); }, {"argmin", "(0,)"});
}

// ---- NaN propagation, errors, float ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(nan_propagates_through_the_new_reductions) {
  const V x(Array{{1, nan_value, 3}, {4, 5, 6}});
  const std::vector<std::pair<std::string, std::function<V(const V&)>>> cases{
      {"min", [](const V& v) { return ad::min(v, {1}); }},
      {"prod", [](const V& v) { return ad::prod(v, {1}); }},
      {"var", [](const V& v) { return ad::var(v, {1}); }},
      {"std", [](const V& v) { return ad::std(v, {1}); }},
      {"norm 1", [](const V& v) { return ad::norm(v, 1, {1}); }},
      {"norm 2", [](const V& v) { return ad::norm(v, 2, {1}); }},
      {"norm inf", [](const V& v) { return ad::norm(v, inf_value, {1}); }},
      {"logsumexp", [](const V& v) { return ad::logsumexp(v, {1}); }},
  };
  for (const auto& [name, f] : cases) {
    BOOST_TEST_CONTEXT(name) {
      const Array r = f(x).value();
      BOOST_TEST(std::isnan(r(0)));
      BOOST_TEST(!std::isnan(r(1)));
    }
  }
  BOOST_TEST(std::isnan(ad::min(x).item()));
  BOOST_TEST(std::isnan(ad::prod(x).item()));
  BOOST_TEST(std::isnan(ad::var(x).item()));
  BOOST_TEST(std::isnan(ad::norm(x, 2).item()));
  BOOST_TEST(std::isnan(ad::norm(x, inf_value).item()));
  const Array c = ad::cumsum(x, 1).value();
  BOOST_TEST((c(0, 0) == 1 && std::isnan(c(0, 1)) && std::isnan(c(0, 2)) && c(1, 2) == 15));
}

BOOST_AUTO_TEST_CASE(new_reductions_reject_bad_axes_and_arguments) {
  V x = leaf(test::random_array({2, 3, 4}, 34));
  for (std::ptrdiff_t bad : {3, -4}) {
    BOOST_TEST_CONTEXT("axis " << bad) {
      const std::string axis = "axis " + std::to_string(bad);
      test::check_error<ad::ShapeError>([&] { ad::min(x, {bad}); }, {"min", axis});
      test::check_error<ad::ShapeError>([&] { ad::prod(x, {0, bad}); }, {"prod", axis});
      test::check_error<ad::ShapeError>([&] { ad::var(x, {bad}); }, {"var", axis});
      test::check_error<ad::ShapeError>([&] { ad::std(x, {bad}, 1); }, {"std", axis});
      test::check_error<ad::ShapeError>([&] { ad::norm(x, 2, {bad}); }, {"norm", axis});
      test::check_error<ad::ShapeError>([&] { ad::cumsum(x, bad); }, {"cumsum", axis});
    }
  }
  test::check_error<ad::ShapeError>([&] { ad::min(x, {0, -3}); }, {"min", "repeated"});
  test::check_error<ad::ShapeError>([&] { ad::prod(x, {1, 1}); }, {"prod", "repeated"});
  test::check_error<ad::ShapeError>([&] { ad::var(x, {2, -1}); }, {"var", "repeated"});
  test::check_error<ad::ShapeError>([&] { ad::std(x, {0, 2, 0}); }, {"std", "repeated"});
  test::check_error<ad::ShapeError>([&] { ad::norm(x, 1, {-2, 1}); }, {"norm", "repeated"});
  for (double p : {0.0, 3.0, 0.5, -inf_value, nan_value}) {
    BOOST_TEST_CONTEXT("p = " << p) {
      std::ostringstream value;
      value << "p = " << p;
      test::check_error<ad::ValueError>([&] { ad::norm(x, p); }, {"norm", value.str()});
      test::check_error<ad::ValueError>([&] { ad::norm(x, p, {1}, true); }, {"norm", value.str()});
    }
  }
  test::check_error<ad::ShapeError>([&] { ad::norm(V(Array::from_shape({0, 2})), inf_value); }, {"norm", "(0, 2)"});
}

BOOST_AUTO_TEST_CASE(new_reductions_float_forward_matches_double) {
  const ArrayF xf = xt::cast<float>(test::random_array({5, 257}, 35));
  const Array xd = to_double(xf);
  const ArrayF pf = xt::cast<float>(test::positive_array({5, 7}, 36, 0.8, 1.25));
  const Array pd = to_double(pf);
  const ad::Var<float> vf(xf), vpf(pf);
  const V vd(xd), vpd(pd);
  const double rtol = 1e-5;
  auto same = [&](const ad::Var<float>& f, const V& d) { test::check_close(to_double(f.value()), d.value(), 0, rtol); };
  same(ad::min(vf, {1}), ad::min(vd, {1}));
  same(ad::min(vf), ad::min(vd));
  same(ad::logsumexp(vf), ad::logsumexp(vd));
  same(ad::prod(vpf, {1}), ad::prod(vpd, {1}));
  same(ad::prod(vpf, {0}, true), ad::prod(vpd, {0}, true));
  same(ad::var(vf, {1}), ad::var(vd, {1}));
  same(ad::var(vf, 1), ad::var(vd, 1));
  same(ad::std(vf, {-1}, 1), ad::std(vd, {-1}, 1));
  same(ad::std(vf), ad::std(vd));
  for (double p : {1.0, 2.0, inf_value}) {
    same(ad::norm(vf, p, {1}), ad::norm(vd, p, {1}));
    same(ad::norm(vf, p), ad::norm(vd, p));
  }
  // Running sums of mixed signs cancel: compare against the scale of the row's absolute sums.
  const Array cd = ad::cumsum(vd, 1).value();
  const Array cf = to_double(ad::cumsum(vf, 1).value());
  const Array scale = ad::cumsum(ad::abs(vd), 1).value();
  for (std::size_t i = 0; i < cd.size(); ++i) {
    BOOST_TEST(std::abs(cf.data()[i] - cd.data()[i]) <= rtol * scale.data()[i]);
  }
  BOOST_CHECK(ad::argmax(vf, 1) == ad::argmax(vd, 1));
  BOOST_CHECK(ad::argmin(vf, 0) == ad::argmin(vd, 0));

  // Gradients of float prod and group-lasso norm against double.
  ad::Var<float> gf(pf, true);
  V gd(pd, true);
  ad::backward(ad::sum(ad::prod(gf, {1})) + ad::sum(ad::norm(gf, 2, {0})));
  ad::backward(ad::sum(ad::prod(gd, {1})) + ad::sum(ad::norm(gd, 2, {0})));
  test::check_close(to_double(gf.grad().value()), gd.grad().value(), 0, rtol);
}
