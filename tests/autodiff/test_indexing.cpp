#define BOOST_TEST_MODULE indexing
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

using test::Array;
using test::Inputs;
using test::V;
using ad::Indices;

std::string shape_of(const V& v) { return ad::shape_str(v.shape()); }

Array iota_array(const ad::Shape& shape) {
  Array a = Array::from_shape(shape);
  for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<double>(i);
  return a;
}

// Indices of `shape` with the given values in row-major order (a braced list of one-element rows
// such as Indices{{1}, {2}} is ambiguous).
Indices shaped(const ad::Shape& shape, std::initializer_list<std::ptrdiff_t> values) {
  Indices a = Indices::from_shape(shape);
  std::copy(values.begin(), values.end(), a.begin());
  return a;
}

}  // namespace

// ---- gather, scatter_add -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(gather_matches_np_take_on_any_axis) {
  // References from numpy 1.24: np.take(x, indices, axis) with x = np.arange(12.).reshape(3, 4).
  const V x(iota_array({3, 4}));
  test::check_close(ad::gather(x, Indices{2, 0, -1}, 1).value(), Array{{2, 0, 3}, {6, 4, 7}, {10, 8, 11}});
  test::check_close(ad::gather(x, Indices{2, 0, -1}, -1).value(), Array{{2, 0, 3}, {6, 4, 7}, {10, 8, 11}});
  V g2 = ad::gather(x, Indices{{0, 2}, {1, 1}}, 0);
  BOOST_TEST(shape_of(g2) == "(2, 2, 4)");
  test::check_close(g2.value(), Array{{{0, 1, 2, 3}, {8, 9, 10, 11}}, {{4, 5, 6, 7}, {4, 5, 6, 7}}});
  Indices one = Indices::from_shape({});
  one() = 1;
  V g0 = ad::gather(x, one, -2);  // 0-D indices drop the axis
  BOOST_TEST(shape_of(g0) == "(4,)");
  test::check_close(g0.value(), Array{4, 5, 6, 7});
  // np.take(np.arange(24.).reshape(2, 3, 4), [[1], [-3]], axis=1): a middle axis, 2-D indices.
  V g3 = ad::gather(V(iota_array({2, 3, 4})), shaped({2, 1}, {1, -3}), 1);
  BOOST_TEST(shape_of(g3) == "(2, 2, 1, 4)");
  test::check_close(g3.value(), Array{{{{4, 5, 6, 7}}, {{0, 1, 2, 3}}}, {{{16, 17, 18, 19}}, {{12, 13, 14, 15}}}});
  BOOST_TEST(shape_of(ad::gather(x, Indices::from_shape({0}), 1)) == "(3, 0)");
  // Indices of another integer type convert.
  const xt::xarray<int> small{3, 3};
  test::check_close(ad::gather(x, small, 1).value(), Array{{3, 3}, {7, 7}, {11, 11}});
}

BOOST_AUTO_TEST_CASE(gather_gradient_adds_up_at_repeated_indices) {
  V x(iota_array({3, 4}), true);
  // Column 1 is taken three times (once as -3): its gradient is the sum of the three seed columns.
  V y = ad::gather(x, Indices{1, 3, 1, -3}, 1);
  ad::backward(y, V(Array{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}}));
  test::check_close(x.grad().value(), Array{{0, 1 + 3 + 4, 0, 2}, {0, 5 + 7 + 8, 0, 6}, {0, 9 + 11 + 12, 0, 10}});

  auto f1 = [](const Inputs& in) { return ad::gather(in[0], Indices{1, 3, 1, -3}, 1); };
  auto f2 = [](const Inputs& in) { return ad::square(ad::gather(in[0], Indices{{0, 2}, {2, 2}}, -1)); };
  auto f3 = [](const Inputs& in) { return ad::square(ad::gather(in[0], Indices{1, 0, 1}, 0)); };
  CHECK_GRADIENTS(f1, test::random_array({3, 4}, 1));
  CHECK_GRADIENTS(f2, test::random_array({2, 2, 3}, 2));
  CHECK_GRADIENTS(f3, test::random_array({2, 3}, 3));
}

BOOST_AUTO_TEST_CASE(scatter_add_is_the_adjoint_of_gather) {
  V u(Array{{1, 2, 3}, {4, 5, 6}}, true);
  V s = ad::scatter_add(u, Indices{2, 0, 2}, -1, 4);
  BOOST_TEST(shape_of(s) == "(2, 4)");
  test::check_close(s.value(), Array{{2, 0, 4, 0}, {5, 0, 10, 0}});
  ad::backward(s, V(iota_array({2, 4})));
  test::check_close(u.grad().value(), Array{{2, 0, 2}, {6, 4, 6}});

  // <gather(a), b> = <a, scatter_add(b)>, with 2-D indices on a middle axis.
  const Indices idx{{2, -1}, {0, 2}};
  const Array a = test::random_array({2, 3, 2}, 4), b = test::random_array({2, 2, 2, 2}, 5);
  const double lhs = ad::sum(ad::gather(V(a), idx, 1) * V(b)).item();
  const double rhs = ad::sum(V(a) * ad::scatter_add(V(b), idx, 1, 3)).item();
  BOOST_TEST(lhs == rhs, boost::test_tools::tolerance(1e-12));

  auto f1 = [&idx](const Inputs& in) { return ad::square(ad::scatter_add(in[0], idx, 1, 3)); };
  auto f2 = [](const Inputs& in) { return ad::scatter_add(in[0], Indices{1, 1}, 0, 3); };
  CHECK_GRADIENTS(f1, test::random_array({2, 2, 2, 2}, 6));
  CHECK_GRADIENTS(f2, test::random_array({2, 3}, 7));
}

BOOST_AUTO_TEST_CASE(gather_and_scatter_add_errors) {
  V x(iota_array({3, 4}));
  test::check_error<ad::ShapeError>([&] { ad::gather(x, Indices{0, 4}, 1); }, {"gather", "index 4", "axis 1", "length 4"});
  test::check_error<ad::ShapeError>([&] { ad::gather(x, Indices{-4}, 0); }, {"gather", "index -4", "axis 0", "length 3"});
  test::check_error<ad::ShapeError>([&] { ad::gather(x, Indices{0}, 2); }, {"gather", "2"});
  test::check_error<ad::ShapeError>([&] { ad::scatter_add(x, Indices{0, 1}, 1, 5); }, {"scatter_add", "(3, 4)", "(2,)"});
  test::check_error<ad::ShapeError>([&] { ad::scatter_add(x, Indices{0, 1, 2, 5}, 1, 5); }, {"scatter_add", "index 5", "length 5"});
}

// ---- take_along_axis, scatter_add_along_axis ---------------------------------------------------

BOOST_AUTO_TEST_CASE(take_along_axis_matches_numpy) {
  // References from numpy 1.24: np.take_along_axis(np.arange(12.).reshape(3, 4), indices, axis).
  const V x(iota_array({3, 4}));
  test::check_close(ad::take_along_axis(x, Indices{{3, 0}, {1, 1}, {-1, 2}}, 1).value(),
                    Array{{3, 0}, {5, 5}, {11, 10}});
  // Indices broadcast along the other axes (here over the rows, then over the columns).
  test::check_close(ad::take_along_axis(x, Indices{{2, 0, 1, 1}}, 0).value(), Array{{8, 1, 6, 7}});
  test::check_close(ad::take_along_axis(x, shaped({3, 1}, {1, 3, 0}), -1).value(), test::column({1, 7, 8}));
  // An input of length 1 along another axis broadcasts too: np.take_along_axis(x[:1], [[0], [2]], 1).
  test::check_close(ad::take_along_axis(V(Array{{5, 6, 7}}), shaped({2, 1}, {0, 2}), 1).value(), test::column({5, 7}));
}

BOOST_AUTO_TEST_CASE(take_along_axis_gradient_adds_up_at_repeated_indices) {
  V x(iota_array({2, 3}), true);
  V y = ad::take_along_axis(x, Indices{{2, 2, 0, -1}, {1, 0, 1, 1}}, 1);
  test::check_close(y.value(), Array{{2, 2, 0, 2}, {4, 3, 4, 4}});
  ad::backward(y, V(Array{{1, 2, 3, 4}, {5, 6, 7, 8}}));
  test::check_close(x.grad().value(), Array{{3, 0, 1 + 2 + 4}, {6, 5 + 7 + 8, 0}});

  // Broadcast input: its gradient sums over the broadcast axis as well.
  V r(Array{{5, 6, 7}}, true);
  ad::backward(ad::sum(ad::take_along_axis(r, Indices{{0, 0}, {2, 0}}, 1)));
  test::check_close(r.grad().value(), Array{{3, 0, 1}});

  auto f1 = [](const Inputs& in) { return ad::take_along_axis(in[0], Indices{{2, 2, 0, -1}, {1, 0, 1, 1}}, 1); };
  auto f2 = [](const Inputs& in) { return ad::square(ad::take_along_axis(in[0], shaped({1, 2, 1}, {1, 0}), 0)); };
  auto f3 = [](const Inputs& in) { return ad::square(ad::take_along_axis(in[0], shaped({2, 1}, {0, 2}), -1)); };
  CHECK_GRADIENTS(f1, test::random_array({2, 3}, 8));
  CHECK_GRADIENTS(f2, test::random_array({2, 2, 3}, 9));
  CHECK_GRADIENTS(f3, test::random_array({1, 3}, 10));
}

BOOST_AUTO_TEST_CASE(scatter_add_along_axis_is_the_adjoint_of_take_along_axis) {
  V u(Array{{1, 2}, {3, 4}}, true);
  const Indices idx{{0, 0}, {2, -3}};
  V s = ad::scatter_add_along_axis(u, idx, 1, 3);
  test::check_close(s.value(), Array{{3, 0, 0}, {4, 0, 3}});
  ad::backward(s, V(iota_array({2, 3})));
  test::check_close(u.grad().value(), Array{{0, 0}, {5, 3}});

  const Array a = test::random_array({2, 3}, 11), b = test::random_array({2, 2}, 12);
  const double lhs = ad::sum(ad::take_along_axis(V(a), idx, 1) * V(b)).item();
  const double rhs = ad::sum(V(a) * ad::scatter_add_along_axis(V(b), idx, 1, 3)).item();
  BOOST_TEST(lhs == rhs, boost::test_tools::tolerance(1e-12));
  auto f = [&idx](const Inputs& in) { return ad::square(ad::scatter_add_along_axis(in[0], idx, -1, 3)); };
  CHECK_GRADIENTS(f, test::random_array({2, 2}, 13));
}

BOOST_AUTO_TEST_CASE(take_along_axis_errors) {
  V x(iota_array({3, 4}));
  test::check_error<ad::ShapeError>([&] { ad::take_along_axis(x, Indices{{0, 4}}, 1); },
                                    {"take_along_axis", "index 4", "axis 1", "length 4"});
  test::check_error<ad::ShapeError>([&] { ad::take_along_axis(x, Indices{0, 1}, 1); },
                                    {"take_along_axis", "(2,)", "(3, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::take_along_axis(x, shaped({2, 1}, {0, 1}), 1); },
                                    {"take_along_axis", "(2, 1)", "(3, 4)", "axis 1"});
  test::check_error<ad::ShapeError>([&] { ad::scatter_add_along_axis(x, shaped({1, 1}, {0}), 1, 4); },
                                    {"scatter_add_along_axis", "(1, 1)", "(3, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::scatter_add_along_axis(x, xt::zeros<std::ptrdiff_t>({3, 4}), 1, 0); },
                                    {"scatter_add_along_axis", "index 0", "length 0"});
}

BOOST_AUTO_TEST_CASE(indexing_in_float_matches_double) {
  const Array d0 = test::random_array({3, 4}, 14);
  const xt::xarray<float> f0 = xt::cast<float>(d0);
  const Indices idx{{1, -1}, {0, 0}, {3, 2}};
  auto both = [&](auto op) {
    const Array d = op(V(d0)).value();
    const xt::xarray<float> f = op(ad::Var<float>(f0)).value();
    test::check_close(Array(xt::cast<double>(f)), d, 1e-6, 1e-5);
  };
  both([&](const auto& v) { return ad::gather(v, idx, 1); });
  both([&](const auto& v) { return ad::take_along_axis(v, idx, -1); });
  both([&](const auto& v) { return ad::scatter_add(v, Indices{2, 2, 0, 1}, 1, 3); });
  both([&](const auto& v) { return ad::scatter_add_along_axis(v, Indices{{0, 1, 1, 0}, {1, 1, 0, 0}, {0, 0, 0, 1}}, 0, 2); });
}
