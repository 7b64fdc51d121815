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
