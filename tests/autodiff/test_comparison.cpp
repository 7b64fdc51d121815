#define BOOST_TEST_MODULE comparison
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace {

using test::Array;
using test::V;
using Mask = xt::xarray<bool>;
using VF = ad::Var<float>;

// Each comparison with the operator it computes, for the three overloads.
struct Comparison {
  std::string name;
  std::function<Mask(const V&, const V&)> vv;
  std::function<Mask(const V&, double)> vs;
  std::function<Mask(double, const V&)> sv;
  std::function<bool(double, double)> ref;
};

#define COMPARISON(name, op)                                                \
  Comparison {                                                              \
    #name, [](const V& a, const V& b) { return ad::name(a, b); },           \
        [](const V& a, double b) { return ad::name(a, b); },                \
        [](double a, const V& b) { return ad::name(a, b); },                \
        [](double a, double b) { return a op b; }                           \
  }

std::vector<Comparison> comparisons() {
  return {COMPARISON(greater, >),     COMPARISON(less, <),   COMPARISON(greater_equal, >=),
          COMPARISON(less_equal, <=), COMPARISON(equal, ==), COMPARISON(not_equal, !=)};
}

// ref(a[i, j], b[j]) for a (m, n) and b (n).
Mask reference(const Array& a, const Array& b, const std::function<bool(double, double)>& ref) {
  Mask m = Mask::from_shape({a.shape()[0], a.shape()[1]});
  for (std::size_t i = 0; i < a.shape()[0]; ++i)
    for (std::size_t j = 0; j < a.shape()[1]; ++j) m(i, j) = ref(a(i, j), b(j));
  return m;
}

void check_mask(const Mask& got, const Mask& want) {
  BOOST_REQUIRE_MESSAGE(got.shape() == want.shape(),
                        "shapes differ: " << ad::shape_str(got.shape()) << " vs " << ad::shape_str(want.shape()));
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_CHECK_MESSAGE(got.data()[i] == want.data()[i], "element " << i << ": " << got.data()[i]);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(comparisons_of_same_shape_and_scalars) {
  const Array a{{1, 2, 3}, {4, 5, 6}};
  const Array b{{3, 2, 1}, {4, 0, 9}};
  for (const auto& c : comparisons()) {
    BOOST_TEST_CONTEXT(c.name) {
      Mask want = Mask::from_shape({2, 3});
      for (std::size_t i = 0; i < a.size(); ++i) want.data()[i] = c.ref(a.data()[i], b.data()[i]);
      check_mask(c.vv(V(a), V(b)), want);
      for (std::size_t i = 0; i < a.size(); ++i) want.data()[i] = c.ref(a.data()[i], 4.0);
      check_mask(c.vs(V(a), 4.0), want);
      for (std::size_t i = 0; i < a.size(); ++i) want.data()[i] = c.ref(4.0, a.data()[i]);
      check_mask(c.sv(4.0, V(a)), want);
    }
  }
  // By value, so the table above is not the only reference.
  check_mask(ad::greater(V(Array{1, 2, 3}), 2.0), Mask{false, false, true});
  check_mask(ad::less_equal(2.0, V(Array{1, 2, 3})), Mask{false, true, true});
  check_mask(ad::not_equal(V(Array{1, 2}), V(Array{1, 3})), Mask{false, true});
}

BOOST_AUTO_TEST_CASE(comparisons_broadcast_along_the_last_axis) {
  // A row broadcast along the last axis, long enough for vectorized loops (xtensor 0.24 with
  // xsimd miscomputes its own comparisons there).
  const Array mat = test::random_array({3, 9}, 1);
  Array row = test::random_array({9}, 2);
  row(3) = mat(1, 3);  // a tie
  for (const auto& c : comparisons()) {
    BOOST_TEST_CONTEXT(c.name) {
      check_mask(c.vv(V(mat), V(row)), reference(mat, row, c.ref));
      Mask flipped = reference(mat, row, [&](double x, double y) { return c.ref(y, x); });
      check_mask(c.vv(V(row), V(mat)), flipped);
      // (3, 1) against (9): both broadcast.
      const Array col = test::column({0.5, -0.5, 1.5});
      Mask both = Mask::from_shape({3, 9});
      for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 9; ++j) both(i, j) = c.ref(col(i, 0), row(j));
      check_mask(c.vv(V(col), V(row)), both);
      // A 0-d operand.
      check_mask(c.vv(V(mat), V::scalar(0.25)), reference(mat, xt::ones<double>({9}) * 0.25, c.ref));
    }
  }
}

BOOST_AUTO_TEST_CASE(comparisons_with_nan_follow_numpy) {
  const double nan = std::nan("");
  const V x(Array{nan, 1.0});
  const V y(Array{nan, nan});
  for (const auto& c : comparisons()) {
    BOOST_TEST_CONTEXT(c.name) {
      const bool expected = c.name == "not_equal";
      check_mask(c.vv(x, y), Mask{expected, expected});
      check_mask(c.vs(x, nan), Mask{expected, expected});
      check_mask(c.sv(nan, x), Mask{expected, expected});
      check_mask(c.vv(x, x), Mask{expected, c.ref(1.0, 1.0)});
    }
  }
}

BOOST_AUTO_TEST_CASE(comparisons_in_float_and_masks_for_where) {
  const VF a(xt::xarray<float>{-1.5f, 0.0f, 2.0f, 0.1f});
  check_mask(ad::greater(a, 0.0f), Mask{false, false, true, true});
  check_mask(ad::equal(0.0, a), Mask{false, true, false, false});  // a double scalar converts to float
  check_mask(ad::less(a, VF(xt::xarray<float>{0.0f})), Mask{true, false, false, false});
  // A leaky relu by hand, with its gradient through where.
  V x(Array{{-2, 3}, {0.5, -0.25}}, true);
  const V leaky = ad::where(ad::greater(x, 0.0), x, 0.1 * x);
  test::check_close(leaky.value(), Array{{-0.2, 3}, {0.5, -0.025}});
  ad::backward(ad::sum(leaky));
  test::check_close(test::grad_value(x), Array{{0.1, 1}, {1, 0.1}});
  // A mask from a broadcast comparison selects at the broadcast shape.
  const V m(Array{{1, 5}, {4, 2}});
  const V r(Array{3, 3});
  test::check_close(ad::where(ad::greater_equal(m, r), m, r).value(), Array{{3, 5}, {4, 3}});
  // A (0,) operand against a 0-d one gives an empty mask.
  BOOST_TEST(ad::less(V(xt::zeros<double>({0})), 1.0).size() == 0u);
}

BOOST_AUTO_TEST_CASE(comparison_shape_errors_name_the_op_and_shapes) {
  const V a(xt::zeros<double>({2, 3}));
  const V b(xt::zeros<double>({4}));
  for (const auto& c : comparisons()) {
    BOOST_TEST_CONTEXT(c.name) {
      test::check_error<ad::ShapeError>([&] { c.vv(a, b); }, {c.name + ": ", "(2, 3)", "(4,)", "broadcast"});
    }
  }
}
