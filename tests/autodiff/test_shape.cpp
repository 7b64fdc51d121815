#define BOOST_TEST_MODULE shape
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <cstddef>
#include <initializer_list>
#include <exception>
#include <string>
#include <vector>

namespace {

using test::Array;
using test::Inputs;
using test::V;

V leaf(const Array& a) { return V(a, true); }

std::string shape_of(const V& v) { return ad::shape_str(v.shape()); }

// 0, 1, 2, ... in row-major order: every element tells where it came from.
Array iota_array(const ad::Shape& shape) {
  Array a = Array::from_shape(shape);
  for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<double>(i);
  return a;
}

Array reshaped(Array a, const ad::Shape& shape) {
  a.reshape(shape);
  return a;
}

using ad::infer;  // reshape's "-1" entry

}  // namespace

// ---- reshape, flatten --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reshape_keeps_row_major_order) {
  const Array x0 = iota_array({2, 3});
  V x = leaf(x0);
  V y = ad::reshape(x, {3, 2});
  BOOST_TEST(shape_of(y) == "(3, 2)");
  test::check_close(y.value(), Array{{0, 1}, {2, 3}, {4, 5}});
  test::check_close(ad::reshape(x, {6}).value(), Array{0, 1, 2, 3, 4, 5});
  BOOST_TEST(shape_of(ad::reshape(x, {1, 6, 1})) == "(1, 6, 1)");
  BOOST_TEST(shape_of(ad::reshape(V(Array{7.0}), {})) == "()");

  const Array seed{{1, 2}, {3, 4}, {5, 6}};
  ad::backward(y, V(seed));
  test::check_close(x.grad().value(), Array{{1, 2, 3}, {4, 5, 6}});

  auto f1 = [](const Inputs& in) { return ad::reshape(in[0], {3, 2}); };
  auto f2 = [](const Inputs& in) { return ad::reshape(in[0], {2, 1, 3}) * ad::reshape(in[0], {2, 1, 3}); };
  CHECK_GRADIENTS(f1, test::random_array({2, 3}, 1));
  CHECK_GRADIENTS(f2, test::random_array({6}, 2));
}

BOOST_AUTO_TEST_CASE(reshape_infers_a_minus_one_entry) {
  // ops.hpp documents "one -1 entry allowed" for reshape's Shape (a vector of size_t).
  const Array x0 = iota_array({2, 3, 4});
  V x = leaf(x0);
  V y = ad::reshape(x, {infer, 4});
  BOOST_TEST(shape_of(y) == "(6, 4)");
  test::check_close(y.value(), reshaped(x0, {6, 4}));
  BOOST_TEST(shape_of(ad::reshape(x, {2, infer})) == "(2, 12)");
  BOOST_TEST(shape_of(ad::reshape(x, {infer})) == "(24,)");
  auto f = [](const Inputs& in) { return ad::reshape(in[0], {3, infer}); };
  CHECK_GRADIENTS(f, test::random_array({2, 3}, 3));
  // Two -1 entries, or a -1 that cannot divide the element count, are errors.
  test::check_error<ad::ShapeError>([&] { ad::reshape(x, {infer, infer}); }, {"reshape"});
  test::check_error<ad::ShapeError>([&] { ad::reshape(x, {infer, 5}); }, {"reshape"});
}

BOOST_AUTO_TEST_CASE(reshape_to_wrong_element_count_throws) {
  V x(iota_array({2, 3}), true);
  test::check_error<ad::ShapeError>([&] { ad::reshape(x, {4, 2}); }, {"reshape", "(2, 3)", "(4, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::reshape(x, {7}); }, {"reshape", "(2, 3)"});
  test::check_error<ad::ShapeError>([&] { ad::reshape(x, {}); }, {"reshape", "(2, 3)"});
}

BOOST_AUTO_TEST_CASE(flatten_from_axis_0_and_1) {
  const Array x0 = iota_array({2, 3, 4});
  V x = leaf(x0);
  V f0 = ad::flatten(x);
  BOOST_TEST(shape_of(f0) == "(24,)");
  test::check_close(f0.value(), iota_array({24}));
  test::check_close(ad::flatten(x, 0).value(), iota_array({24}));
  V f1 = ad::flatten(x, 1);
  BOOST_TEST(shape_of(f1) == "(2, 12)");
  test::check_close(f1.value(), iota_array({2, 12}));
  BOOST_TEST(shape_of(ad::flatten(x, 2)) == "(2, 3, 4)");
  BOOST_TEST(shape_of(ad::flatten(x, 3)) == "(2, 3, 4, 1)");
  test::check_error<ad::ShapeError>([&] { ad::flatten(x, 4); }, {"flatten", "(2, 3, 4)"});
  // Negative start axes count from the end.
  BOOST_TEST(shape_of(ad::flatten(x, -1)) == "(2, 3, 4)");
  BOOST_TEST(shape_of(ad::flatten(x, -2)) == "(2, 12)");
  BOOST_TEST(shape_of(ad::flatten(x, -3)) == "(24,)");
  test::check_error<ad::ShapeError>([&] { ad::flatten(x, -4); }, {"flatten", "-4", "(2, 3, 4)"});

  const Array seed = iota_array({2, 12}) * 2.0;
  ad::backward(f1, V(seed));
  test::check_close(x.grad().value(), Array(iota_array({2, 3, 4}) * 2.0));

  auto g0 = [](const Inputs& in) { return ad::flatten(in[0]); };
  auto g1 = [](const Inputs& in) { return ad::flatten(in[0], 1); };
  auto g2 = [](const Inputs& in) { return ad::square(ad::flatten(in[0], -2)); };
  CHECK_GRADIENTS(g0, test::random_array({2, 3, 2}, 4));
  CHECK_GRADIENTS(g1, test::random_array({2, 3, 2}, 5));
  CHECK_GRADIENTS(g2, test::random_array({2, 3, 2}, 39));
}

// ---- broadcast_to, sum_to_shape ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(broadcast_to_values_and_gradients) {
  {
    V x = leaf(Array{1, 2, 3});
    V y = ad::broadcast_to(x, {2, 3});
    BOOST_TEST(shape_of(y) == "(2, 3)");
    test::check_close(y.value(), Array{{1, 2, 3}, {1, 2, 3}});
    ad::backward(y, V(Array{{1, 10, 100}, {2, 20, 200}}));
    test::check_close(x.grad().value(), Array{3, 30, 300});
  }
  {
    V x = leaf(test::column({1, 2}));
    V y = ad::broadcast_to(x, {2, 3});
    test::check_close(y.value(), Array{{1, 1, 1}, {2, 2, 2}});
    ad::backward(ad::sum(y));
    test::check_close(x.grad().value(), test::column({3, 3}));
  }
  {
    V x = leaf(Array{{1, 2, 3}});
    V y = ad::broadcast_to(x, {4, 2, 3});
    BOOST_TEST(shape_of(y) == "(4, 2, 3)");
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t j = 0; j < 2; ++j)
        for (std::size_t k = 0; k < 3; ++k) BOOST_TEST(y.value()(i, j, k) == static_cast<double>(k + 1));
    ad::backward(ad::sum(y));
    test::check_close(x.grad().value(), Array{{8, 8, 8}});
  }
  {
    V s = leaf(Array(V::scalar(2.5).value()));
    V y = ad::broadcast_to(s, {2, 2});
    test::check_close(y.value(), Array{{2.5, 2.5}, {2.5, 2.5}});
    ad::backward(ad::sum(y));
    BOOST_TEST(s.grad().item() == 4.0);
  }
  auto f1 = [](const Inputs& in) { return ad::broadcast_to(in[0], {2, 3}); };
  auto f2 = [](const Inputs& in) { return ad::broadcast_to(in[0], {3, 2, 3}); };
  auto f3 = [](const Inputs& in) { return ad::square(ad::broadcast_to(in[0], {2, 3})); };
  CHECK_GRADIENTS(f1, test::random_array({3}, 6));
  CHECK_GRADIENTS(f2, test::random_array({2, 1}, 7));
  CHECK_GRADIENTS(f3, test::random_array({2, 1}, 8));
}

BOOST_AUTO_TEST_CASE(broadcast_to_incompatible_shape_throws) {
  V x(Array{1, 2, 3});
  test::check_error<ad::ShapeError>([&] { ad::broadcast_to(x, {2, 4}); }, {"broadcast_to", "(3,)"});
  test::check_error<ad::ShapeError>([&] { ad::broadcast_to(V(Array{{1, 2, 3}, {4, 5, 6}}), {3}); }, {"broadcast_to", "(2, 3)"});
}

BOOST_AUTO_TEST_CASE(sum_to_shape_values_and_gradients) {
  const Array x0{{1, 2, 3}, {4, 5, 6}};
  V x = leaf(x0);
  test::check_close(ad::sum_to_shape(x, {3}).value(), Array{5, 7, 9});
  test::check_close(ad::sum_to_shape(x, {1, 3}).value(), Array{{5, 7, 9}});
  V rows = ad::sum_to_shape(x, {2, 1});
  BOOST_TEST(shape_of(rows) == "(2, 1)");
  test::check_close(rows.value(), test::column({6, 15}));
  V all = ad::sum_to_shape(x, {});
  BOOST_TEST(shape_of(all) == "()");
  BOOST_TEST(all.item() == 21.0);
  test::check_close(ad::sum_to_shape(x, {2, 3}).value(), x0);  // same shape: unchanged

  // (2, 2, 3) down to (2, 1): the leading axis and the last axis are summed.
  const Array z0 = iota_array({2, 2, 3});
  V z = leaf(z0);
  V zs = ad::sum_to_shape(z, {2, 1});
  // row 0: elements 0,1,2 and 6,7,8 -> 24; row 1: 3,4,5 and 9,10,11 -> 42
  test::check_close(zs.value(), test::column({24, 42}));

  // Gradient by value: the seed broadcast back.
  ad::backward(zs, V(test::column({1, -2})));
  test::check_close(z.grad().value(), Array{{{1, 1, 1}, {-2, -2, -2}}, {{1, 1, 1}, {-2, -2, -2}}});
  ad::backward(ad::sum_to_shape(x, {3}), V(Array{1, 2, 3}));
  test::check_close(x.grad().value(), Array{{1, 2, 3}, {1, 2, 3}});

  auto f1 = [](const Inputs& in) { return ad::sum_to_shape(in[0], {3}); };
  auto f2 = [](const Inputs& in) { return ad::sum_to_shape(in[0], {2, 1}); };
  auto f3 = [](const Inputs& in) { return ad::sum_to_shape(ad::square(in[0]), {1, 3}); };
  CHECK_GRADIENTS(f1, test::random_array({2, 3}, 9));
  CHECK_GRADIENTS(f2, test::random_array({2, 2, 3}, 10));
  CHECK_GRADIENTS(f3, test::random_array({2, 3}, 11));
}

BOOST_AUTO_TEST_CASE(sum_to_shape_of_incompatible_shape_throws) {
  V x(Array{{1, 2, 3}, {4, 5, 6}});
  test::check_error<ad::ShapeError>([&] { ad::sum_to_shape(x, {4}); }, {"sum_to_shape", "(2, 3)"});
  test::check_error<ad::ShapeError>([&] { ad::sum_to_shape(x, {3, 2, 3}); }, {"sum_to_shape", "(2, 3)"});
}

// ---- gather_rows, scatter_add_rows -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(gather_rows_with_repeated_indices_accumulates) {
  const Array x0{{0, 1, 2}, {10, 11, 12}, {20, 21, 22}, {30, 31, 32}};
  V x = leaf(x0);
  const std::vector<std::size_t> idx{2, 0, 2, 3, 2};
  V y = ad::gather_rows(x, idx);
  BOOST_TEST(shape_of(y) == "(5, 3)");
  test::check_close(y.value(), Array{{20, 21, 22}, {0, 1, 2}, {20, 21, 22}, {30, 31, 32}, {20, 21, 22}});

  // Row 2 is gathered three times: its gradient is the sum of the three seed rows.
  const Array seed{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}, {13, 14, 15}};
  ad::backward(y, V(seed));
  test::check_close(x.grad().value(), Array{{4, 5, 6}, {0, 0, 0}, {21, 24, 27}, {10, 11, 12}});

  // 1-D input and no indices at all.
  V v = leaf(Array{5, 6, 7});
  V w = ad::gather_rows(v, {1, 1, 0});
  test::check_close(w.value(), Array{6, 6, 5});
  ad::backward(ad::sum(w));
  test::check_close(v.grad().value(), Array{1, 2, 0});
  BOOST_TEST(shape_of(ad::gather_rows(x, {})) == "(0, 3)");

  auto f1 = [](const Inputs& in) { return ad::gather_rows(in[0], {2, 0, 2, 3, 2}); };
  auto f2 = [](const Inputs& in) { return ad::square(ad::gather_rows(in[0], {1, 1, 0})); };
  CHECK_GRADIENTS(f1, test::random_array({4, 3}, 12));
  CHECK_GRADIENTS(f2, test::random_array({2, 2, 2}, 13));
}

BOOST_AUTO_TEST_CASE(gather_rows_errors) {
  V x(Array{{1, 2}, {3, 4}, {5, 6}});
  test::check_error<ad::ShapeError>([&] { ad::gather_rows(x, {0, 3}); }, {"gather_rows", "3", "(3, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::gather_rows(V::scalar(1.0), {0}); }, {"gather_rows"});
}

BOOST_AUTO_TEST_CASE(scatter_add_rows_values_and_gradients) {
  const Array x0{{1, 2}, {3, 4}, {5, 6}};
  V x = leaf(x0);
  V y = ad::scatter_add_rows(x, {1, 1, 3}, 4);
  BOOST_TEST(shape_of(y) == "(4, 2)");
  test::check_close(y.value(), Array{{0, 0}, {4, 6}, {0, 0}, {5, 6}});

  // Gradient by value: the seed rows gathered at the indices.
  ad::backward(y, V(Array{{1, 2}, {3, 4}, {5, 6}, {7, 8}}));
  test::check_close(x.grad().value(), Array{{3, 4}, {3, 4}, {7, 8}});

  // scatter_add_rows is the adjoint of gather_rows: <gather(a), b> = <a, scatter(b)>.
  const Array a = test::random_array({4, 2}, 14), b = test::random_array({3, 2}, 15);
  const std::vector<std::size_t> idx{3, 0, 3};
  const double lhs = ad::sum(ad::gather_rows(V(a), idx) * V(b)).item();
  const double rhs = ad::sum(V(a) * ad::scatter_add_rows(V(b), idx, 4)).item();
  BOOST_TEST(lhs == rhs, boost::test_tools::tolerance(1e-12));

  auto f1 = [](const Inputs& in) { return ad::scatter_add_rows(in[0], {1, 1, 3}, 4); };
  auto f2 = [](const Inputs& in) { return ad::square(ad::scatter_add_rows(in[0], {0, 2, 0}, 3)); };
  CHECK_GRADIENTS(f1, test::random_array({3, 2}, 16));
  CHECK_GRADIENTS(f2, test::random_array({3, 2}, 17));
}

BOOST_AUTO_TEST_CASE(scatter_add_rows_errors) {
  V x(Array{{1, 2}, {3, 4}});
  test::check_error<ad::ShapeError>([&] { ad::scatter_add_rows(x, {0, 4}, 4); }, {"scatter_add_rows", "4"});
  test::check_error<ad::ShapeError>([&] { ad::scatter_add_rows(x, {0, 1, 2}, 4); }, {"scatter_add_rows", "(2, 2)"});
}

// ---- concat ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(concat_along_axis_0) {
  const Array a0{{1, 2, 3}, {4, 5, 6}}, b0{{7, 8, 9}}, c0{{10, 11, 12}, {13, 14, 15}, {16, 17, 18}};
  V a = leaf(a0), b = leaf(b0), c = leaf(c0);
  V y = ad::concat(Inputs{a, b, c}, 0);
  BOOST_TEST(shape_of(y) == "(6, 3)");
  test::check_close(y.value(), Array{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}, {13, 14, 15}, {16, 17, 18}});
  test::check_close(ad::concat(Inputs{a, b, c}).value(), y.value());  // axis 0 is the default

  const Array seed = iota_array({6, 3});
  ad::backward(y, V(seed));
  test::check_close(a.grad().value(), Array{{0, 1, 2}, {3, 4, 5}});
  test::check_close(b.grad().value(), Array{{6, 7, 8}});
  test::check_close(c.grad().value(), Array{{9, 10, 11}, {12, 13, 14}, {15, 16, 17}});

  auto f = [](const Inputs& in) { return ad::concat(Inputs{in[0], in[1], in[2]}, 0); };
  CHECK_GRADIENTS(f, test::random_array({2, 3}, 18), test::random_array({1, 3}, 19), test::random_array({3, 3}, 20));
}

BOOST_AUTO_TEST_CASE(concat_along_axis_1_and_minus_1) {
  const Array a0 = test::column({1, 2}), b0{{3, 4, 5}, {6, 7, 8}}, c0{{9, 10}, {11, 12}};
  V a = leaf(a0), b = leaf(b0), c = leaf(c0);
  V y = ad::concat(Inputs{a, b, c}, 1);
  BOOST_TEST(shape_of(y) == "(2, 6)");
  test::check_close(y.value(), Array{{1, 3, 4, 5, 9, 10}, {2, 6, 7, 8, 11, 12}});
  test::check_close(ad::concat(Inputs{a, b, c}, -1).value(), y.value());

  const Array seed = iota_array({2, 6});
  ad::backward(y, V(seed));
  test::check_close(a.grad().value(), test::column({0, 6}));
  test::check_close(b.grad().value(), Array{{1, 2, 3}, {7, 8, 9}});
  test::check_close(c.grad().value(), Array{{4, 5}, {10, 11}});

  auto f1 = [](const Inputs& in) { return ad::concat(Inputs{in[0], in[1], in[2]}, 1); };
  CHECK_GRADIENTS(f1, test::random_array({2, 1}, 21), test::random_array({2, 3}, 22), test::random_array({2, 2}, 23));

  // Axis -1 of 3-D inputs of lengths 1, 3 and 2 along it.
  const Array p0 = iota_array({2, 2, 1}), q0 = iota_array({2, 2, 3}) + 100.0, r0 = iota_array({2, 2, 2}) + 200.0;
  V z = ad::concat(Inputs{V(p0), V(q0), V(r0)}, -1);
  BOOST_TEST(shape_of(z) == "(2, 2, 6)");
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 2; ++j) {
      BOOST_TEST(z.value()(i, j, 0) == p0(i, j, 0));
      for (std::size_t k = 0; k < 3; ++k) BOOST_TEST(z.value()(i, j, 1 + k) == q0(i, j, k));
      for (std::size_t k = 0; k < 2; ++k) BOOST_TEST(z.value()(i, j, 4 + k) == r0(i, j, k));
    }
  auto f2 = [](const Inputs& in) { return ad::concat(Inputs{in[0], in[1], in[2]}, -1); };
  CHECK_GRADIENTS(f2, test::random_array({2, 2, 1}, 24), test::random_array({2, 2, 3}, 25),
                  test::random_array({2, 2, 2}, 26));
  // Axis 1 of 3-D inputs (a middle axis).
  auto f3 = [](const Inputs& in) { return ad::concat(Inputs{in[0], in[1]}, 1); };
  CHECK_GRADIENTS(f3, test::random_array({2, 1, 2}, 27), test::random_array({2, 2, 2}, 28));
}

BOOST_AUTO_TEST_CASE(concat_of_the_same_var_twice_accumulates) {
  V x = leaf(Array{1, 2});
  V y = ad::concat(Inputs{x, x, V(Array{9.0})});
  test::check_close(y.value(), Array{1, 2, 1, 2, 9});
  ad::backward(y, V(Array{1, 2, 3, 4, 5}));
  test::check_close(x.grad().value(), Array{4, 6});
}

BOOST_AUTO_TEST_CASE(concat_errors) {
  V a(iota_array({2, 3})), b(iota_array({2, 4})), c(iota_array({2, 3, 1}));
  test::check_error<ad::ShapeError>([&] { ad::concat(Inputs{a, b}, 0); }, {"concat", "(2, 3)", "(2, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::concat(Inputs{a, c}, 0); }, {"concat", "(2, 3)", "(2, 3, 1)"});
  test::check_error<ad::ShapeError>([&] { ad::concat(Inputs{a, a}, 2); }, {"concat"});
  test::check_error<ad::ShapeError>([&] { ad::concat(std::vector<V>{}); }, {"concat"});
}

// ---- slice, pad_axis ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(slice_values_and_gradients) {
  const Array x0{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}};
  V x = leaf(x0);
  V y = ad::slice(x, 1, 1, 3);
  BOOST_TEST(shape_of(y) == "(3, 2)");
  test::check_close(y.value(), Array{{1, 2}, {5, 6}, {9, 10}});
  test::check_close(ad::slice(x, -1, 1, 3).value(), y.value());
  test::check_close(ad::slice(x, 0, 2, 3).value(), Array{{8, 9, 10, 11}});
  test::check_close(ad::slice(x, -2, 0, 3).value(), x0);
  BOOST_TEST(shape_of(ad::slice(x, 1, 2, 2)) == "(3, 0)");

  // Gradient by value: the seed padded back with zeros.
  ad::backward(y, V(Array{{1, 2}, {3, 4}, {5, 6}}));
  test::check_close(x.grad().value(), Array{{0, 1, 2, 0}, {0, 3, 4, 0}, {0, 5, 6, 0}});

  // A middle axis of a 3-D input.
  const Array z0 = iota_array({2, 3, 2});
  V zs = ad::slice(V(z0), 1, 1, 2);
  test::check_close(zs.value(), Array{{{2, 3}}, {{8, 9}}});

  auto f1 = [](const Inputs& in) { return ad::slice(in[0], 1, 1, 3); };
  auto f2 = [](const Inputs& in) { return ad::slice(in[0], 0, 1, 2); };
  auto f3 = [](const Inputs& in) { return ad::square(ad::slice(in[0], -2, 0, 2)); };
  CHECK_GRADIENTS(f1, test::random_array({3, 4}, 29));
  CHECK_GRADIENTS(f2, test::random_array({3, 4}, 30));
  CHECK_GRADIENTS(f3, test::random_array({2, 3, 2}, 31));
}

BOOST_AUTO_TEST_CASE(slice_out_of_range_throws) {
  V x(iota_array({3, 4}));
  test::check_error<ad::ShapeError>([&] { ad::slice(x, 1, 2, 5); }, {"slice", "(3, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::slice(x, 0, 2, 1); }, {"slice", "(3, 4)"});
  test::check_error<ad::ShapeError>([&] { ad::slice(x, 2, 0, 1); }, {"slice"});
  test::check_error<ad::ShapeError>([&] { ad::slice(x, -3, 0, 1); }, {"slice"});
}

BOOST_AUTO_TEST_CASE(pad_axis_values_and_gradients) {
  V x = leaf(Array{{1, 2}, {3, 4}});
  V y = ad::pad_axis(x, 1, 1, 4);
  BOOST_TEST(shape_of(y) == "(2, 4)");
  test::check_close(y.value(), Array{{0, 1, 2, 0}, {0, 3, 4, 0}});
  test::check_close(ad::pad_axis(x, -1, 1, 4).value(), y.value());
  test::check_close(ad::pad_axis(x, 0, 2, 4).value(), Array{{0, 0}, {0, 0}, {1, 2}, {3, 4}});
  test::check_close(ad::pad_axis(x, 0, 0, 2).value(), Array{{1, 2}, {3, 4}});

  // Gradient by value: the seed sliced where x was placed.
  ad::backward(y, V(Array{{1, 2, 3, 4}, {5, 6, 7, 8}}));
  test::check_close(x.grad().value(), Array{{2, 3}, {6, 7}});

  // pad_axis is the adjoint of slice: <slice(a), b> = <a, pad(b)>.
  const Array a = test::random_array({3, 5}, 32), b = test::random_array({3, 2}, 33);
  const double lhs = ad::sum(ad::slice(V(a), 1, 2, 4) * V(b)).item();
  const double rhs = ad::sum(V(a) * ad::pad_axis(V(b), 1, 2, 5)).item();
  BOOST_TEST(lhs == rhs, boost::test_tools::tolerance(1e-12));

  auto f1 = [](const Inputs& in) { return ad::pad_axis(in[0], 1, 1, 4); };
  auto f2 = [](const Inputs& in) { return ad::square(ad::pad_axis(in[0], 0, 0, 3)); };
  CHECK_GRADIENTS(f1, test::random_array({2, 2}, 34));
  CHECK_GRADIENTS(f2, test::random_array({2, 3}, 35));
}

BOOST_AUTO_TEST_CASE(pad_axis_errors) {
  V x(Array{{1, 2}, {3, 4}});
  test::check_error<ad::ShapeError>([&] { ad::pad_axis(x, 1, 3, 4); }, {"pad_axis"});
  test::check_error<ad::ShapeError>([&] { ad::pad_axis(x, 0, 0, 1); }, {"pad_axis"});
  test::check_error<ad::ShapeError>([&] { ad::pad_axis(x, 2, 0, 4); }, {"pad_axis"});
}

// ---- reshape with signed entries, negative axes ------------------------------------------------

BOOST_AUTO_TEST_CASE(reshape_takes_signed_entries_with_minus_one) {
  const Array x0 = iota_array({2, 3, 4});
  V x = leaf(x0);
  V y = ad::reshape(x, {3, -1});  // a braced list of ints
  BOOST_TEST(shape_of(y) == "(3, 8)");
  test::check_close(y.value(), reshaped(x0, {3, 8}));
  BOOST_TEST(shape_of(ad::reshape(x, {-1})) == "(24,)");
  BOOST_TEST(shape_of(ad::reshape(x, {4, 3, 2})) == "(4, 3, 2)");
  const std::vector<std::ptrdiff_t> dims{-1, 2, 2};
  BOOST_TEST(shape_of(ad::reshape(x, dims)) == "(6, 2, 2)");
  // The Shape overloads still compile and are picked: variables, ad::infer, size_t lists, {}.
  const ad::Shape shape{4, 6};
  BOOST_TEST(shape_of(ad::reshape(x, shape)) == "(4, 6)");
  BOOST_TEST(shape_of(ad::reshape(x, ad::Shape{infer, 12})) == "(2, 12)");
  const std::size_t n = 12;
  BOOST_TEST(shape_of(ad::reshape(x, {n, infer})) == "(12, 2)");
  BOOST_TEST(shape_of(ad::reshape(V(Array{7.0}), {})) == "()");

  ad::backward(ad::sum(ad::reshape(x, {-1, 2}) * ad::reshape(x, {-1, 2})));
  test::check_close(x.grad().value(), Array(2.0 * x0));
  auto f = [](const Inputs& in) { return ad::square(ad::reshape(in[0], {2, -1})); };
  CHECK_GRADIENTS(f, test::random_array({3, 2, 2}, 40));
  test::check_error<ad::ShapeError>([&] { ad::reshape(x, {-1, -1}); }, {"reshape"});
  test::check_error<ad::ShapeError>([&] { ad::reshape(x, {-2, 12}); }, {"reshape", "-2"});
  test::check_error<ad::ShapeError>([&] { ad::reshape(x, {5, -1}); }, {"reshape", "(2, 3, 4)"});
}

BOOST_AUTO_TEST_CASE(normalized_axes_name_a_repeated_axis) {
  V x(iota_array({2, 3}));
  test::check_error<ad::ShapeError>([&] { ad::sum(x, {1, -1}); }, {"sum", "axis 1", "repeated"});
}

// ---- stack, split ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(stack_values_gradients_and_errors) {
  const Array a0 = iota_array({2, 3}), b0 = iota_array({2, 3}) + 10.0;
  V a = leaf(a0), b = leaf(b0);
  // References from numpy 1.24: np.stack([a, b], axis=-1) and axis=1.
  V y = ad::stack(Inputs{a, b}, -1);
  BOOST_TEST(shape_of(y) == "(2, 3, 2)");
  test::check_close(y.value(), Array{{{0, 10}, {1, 11}, {2, 12}}, {{3, 13}, {4, 14}, {5, 15}}});
  test::check_close(ad::stack(Inputs{a, b}, 1).value(), Array{{{0, 1, 2}, {10, 11, 12}}, {{3, 4, 5}, {13, 14, 15}}});
  test::check_close(ad::stack(Inputs{a, b}).value(), Array{{{0, 1, 2}, {3, 4, 5}}, {{10, 11, 12}, {13, 14, 15}}});
  BOOST_TEST(shape_of(ad::stack(Inputs{a, b}, -3)) == "(2, 2, 3)");

  ad::backward(y, V(iota_array({2, 3, 2})));
  test::check_close(a.grad().value(), Array{{0, 2, 4}, {6, 8, 10}});
  test::check_close(b.grad().value(), Array{{1, 3, 5}, {7, 9, 11}});

  auto f = [](const Inputs& in) { return ad::square(ad::stack(Inputs{in[0], in[1], in[0]}, -2)); };
  CHECK_GRADIENTS(f, test::random_array({2, 3}, 41), test::random_array({2, 3}, 42));
  test::check_error<ad::ShapeError>([&] { ad::stack(Inputs{a, V(iota_array({3, 2}))}); }, {"stack", "(3, 2)", "(2, 3)"});
  test::check_error<ad::ShapeError>([&] { ad::stack(Inputs{a, b}, 3); }, {"stack", "3"});
  test::check_error<ad::ShapeError>([&] { ad::stack(Inputs{a, b}, -4); }, {"stack", "-4"});
  test::check_error<ad::ShapeError>([&] { ad::stack(std::vector<V>{}); }, {"stack"});
}

BOOST_AUTO_TEST_CASE(split_values_gradients_and_errors) {
  const Array x0 = iota_array({2, 6});
  V x = leaf(x0);
  const std::vector<V> thirds = ad::split(x, 3, -1);
  BOOST_REQUIRE(thirds.size() == 3);
  test::check_close(thirds[0].value(), Array{{0, 1}, {6, 7}});
  test::check_close(thirds[2].value(), Array{{4, 5}, {10, 11}});
  const std::vector<V> parts = ad::split(x, std::vector<std::size_t>{1, 0, 5}, 1);
  BOOST_REQUIRE(parts.size() == 3);
  BOOST_TEST(shape_of(parts[1]) == "(2, 0)");
  test::check_close(parts[0].value(), test::column({0, 6}));
  test::check_close(parts[2].value(), Array{{1, 2, 3, 4, 5}, {7, 8, 9, 10, 11}});
  const std::vector<V> rows = ad::split(x, 2);
  test::check_close(rows[1].value(), Array{{6, 7, 8, 9, 10, 11}});

  // Gradient by value: 1 * part 0 + 2 * part 2, the middle part unused.
  ad::backward(ad::sum(thirds[0]) + 2.0 * ad::sum(thirds[2]));
  test::check_close(x.grad().value(), Array{{1, 1, 0, 0, 2, 2}, {1, 1, 0, 0, 2, 2}});

  auto f = [](const Inputs& in) {
    const auto p = ad::split(in[0], std::vector<std::size_t>{2, 1}, -2);
    return ad::sum(ad::square(p[0]), {0}) * p[1];
  };
  CHECK_GRADIENTS(f, test::random_array({3, 2}, 43));
  test::check_error<ad::ShapeError>([&] { ad::split(x, 4, 1); }, {"split", "6", "4", "(2, 6)"});
  test::check_error<ad::ShapeError>([&] { ad::split(x, 0, 1); }, {"split", "(2, 6)"});
  test::check_error<ad::ShapeError>([&] { ad::split(x, std::vector<std::size_t>{2, 3}, 1); }, {"split", "5", "6"});
  test::check_error<ad::ShapeError>([&] { ad::split(x, 2, 2); }, {"split", "2"});
}

// ---- squeeze, unsqueeze ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(squeeze_and_unsqueeze) {
  const Array x0 = iota_array({1, 3, 1, 2});
  V x = leaf(x0);
  BOOST_TEST(shape_of(ad::squeeze(x)) == "(3, 2)");
  test::check_close(ad::squeeze(x).value(), iota_array({3, 2}));
  BOOST_TEST(shape_of(ad::squeeze(x, {-2})) == "(1, 3, 2)");
  BOOST_TEST(shape_of(ad::squeeze(x, {0, 2})) == "(3, 2)");
  BOOST_TEST(shape_of(ad::squeeze(x, {})) == "(1, 3, 1, 2)");
  BOOST_TEST(shape_of(ad::squeeze(V(test::column({5})))) == "()");
  test::check_error<ad::ShapeError>([&] { ad::squeeze(x, {1}); }, {"squeeze", "axis 1", "(1, 3, 1, 2)", "3"});
  test::check_error<ad::ShapeError>([&] { ad::squeeze(x, {4}); }, {"squeeze", "4"});
  test::check_error<ad::ShapeError>([&] { ad::squeeze(x, {0, -4}); }, {"squeeze", "repeated"});

  V v = leaf(Array{1, 2, 3});
  BOOST_TEST(shape_of(ad::unsqueeze(v, 0)) == "(1, 3)");
  BOOST_TEST(shape_of(ad::unsqueeze(v, 1)) == "(3, 1)");
  BOOST_TEST(shape_of(ad::unsqueeze(v, -1)) == "(3, 1)");
  BOOST_TEST(shape_of(ad::unsqueeze(v, -2)) == "(1, 3)");
  BOOST_TEST(shape_of(ad::unsqueeze(x, 2)) == "(1, 3, 1, 1, 2)");
  test::check_error<ad::ShapeError>([&] { ad::unsqueeze(v, 2); }, {"unsqueeze", "2"});
  test::check_error<ad::ShapeError>([&] { ad::unsqueeze(v, -3); }, {"unsqueeze", "-3"});

  ad::backward(ad::unsqueeze(v, -1), V(test::column({4, 5, 6})));
  test::check_close(v.grad().value(), Array{4, 5, 6});
  auto f1 = [](const Inputs& in) { return ad::square(ad::squeeze(in[0])); };
  auto f2 = [](const Inputs& in) { return ad::square(ad::unsqueeze(in[0], -2)); };
  CHECK_GRADIENTS(f1, test::random_array({1, 3, 1, 2}, 44));
  CHECK_GRADIENTS(f2, test::random_array({2, 3}, 45));
}

// ---- flip --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(flip_values_gradients_and_errors) {
  V x = leaf(iota_array({2, 3, 4}));
  V y = ad::flip(x, {0, -1});
  // Reference from numpy 1.24: np.flip(np.arange(24.).reshape(2, 3, 4), (0, -1)).
  test::check_close(y.value(), Array{{{15, 14, 13, 12}, {19, 18, 17, 16}, {23, 22, 21, 20}},
                                     {{3, 2, 1, 0}, {7, 6, 5, 4}, {11, 10, 9, 8}}});
  test::check_close(ad::flip(V(Array{1, 2, 3}), {0}).value(), Array{3, 2, 1});
  test::check_close(ad::flip(x, {}).value(), iota_array({2, 3, 4}));
  // flip is its own adjoint: the gradient is the seed flipped back.
  ad::backward(y, V(iota_array({2, 3, 4})));
  test::check_close(x.grad().value(), y.value());
  auto f = [](const Inputs& in) { return ad::square(ad::flip(in[0], {1, -1})); };
  CHECK_GRADIENTS(f, test::random_array({2, 3, 3}, 46));
  test::check_error<ad::ShapeError>([&] { ad::flip(x, {3}); }, {"flip", "3"});
  test::check_error<ad::ShapeError>([&] { ad::flip(x, {1, -2}); }, {"flip", "repeated"});
}

// ---- tile, repeat ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tile_values_and_gradients) {
  const Array x0{{1, 2}, {3, 4}};
  V x = leaf(x0);
  // References from numpy 1.24: np.tile(x, (2, 3)), np.tile(x, 3), np.tile([1, 2, 3], (2, 1, 2)).
  V y = ad::tile(x, {2, 3});
  test::check_close(y.value(), Array{{1, 2, 1, 2, 1, 2}, {3, 4, 3, 4, 3, 4}, {1, 2, 1, 2, 1, 2}, {3, 4, 3, 4, 3, 4}});
  test::check_close(ad::tile(x, {3}).value(), Array{{1, 2, 1, 2, 1, 2}, {3, 4, 3, 4, 3, 4}});
  test::check_close(ad::tile(V(Array{1, 2, 3}), {2, 1, 2}).value(), Array{{{1, 2, 3, 1, 2, 3}}, {{1, 2, 3, 1, 2, 3}}});
  BOOST_TEST(shape_of(ad::tile(x, {})) == "(2, 2)");
  BOOST_TEST(shape_of(ad::tile(x, {0, 2})) == "(0, 4)");
  // Gradient by value: each element's seeds over its 6 copies add up.
  ad::backward(y, V(iota_array({4, 6})));
  test::check_close(x.grad().value(), Array{{0 + 2 + 4 + 12 + 14 + 16, 1 + 3 + 5 + 13 + 15 + 17},
                                            {6 + 8 + 10 + 18 + 20 + 22, 7 + 9 + 11 + 19 + 21 + 23}});
  auto f1 = [](const Inputs& in) { return ad::square(ad::tile(in[0], {2, 1, 3})); };
  auto f2 = [](const Inputs& in) { return ad::square(ad::tile(in[0], {2})); };
  CHECK_GRADIENTS(f1, test::random_array({2, 3}, 47));
  CHECK_GRADIENTS(f2, test::random_array({2, 3}, 48));
}

BOOST_AUTO_TEST_CASE(repeat_values_gradients_and_errors) {
  const Array x0{{1, 2}, {3, 4}};
  V x = leaf(x0);
  // References from numpy 1.24: np.repeat(x, 2, axis=-1), np.repeat(x, 3, axis=0).
  V y = ad::repeat(x, 2, -1);
  test::check_close(y.value(), Array{{1, 1, 2, 2}, {3, 3, 4, 4}});
  test::check_close(ad::repeat(x, 3, 0).value(), Array{{1, 2}, {1, 2}, {1, 2}, {3, 4}, {3, 4}, {3, 4}});
  BOOST_TEST(shape_of(ad::repeat(x, 0, 1)) == "(2, 0)");
  ad::backward(y, V(iota_array({2, 4})));
  test::check_close(x.grad().value(), Array{{0 + 1, 2 + 3}, {4 + 5, 6 + 7}});
  auto f = [](const Inputs& in) { return ad::square(ad::repeat(in[0], 3, -2)); };
  CHECK_GRADIENTS(f, test::random_array({2, 2, 3}, 49));
  test::check_error<ad::ShapeError>([&] { ad::repeat(x, 2, 2); }, {"repeat", "2"});
  test::check_error<ad::ShapeError>([&] { ad::repeat(V::scalar(1.0), 2, 0); }, {"repeat"});
}

// ---- pad ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(pad_on_several_axes_with_a_value) {
  const Array x0{{1, 2}, {3, 4}};
  V x = leaf(x0);
  // Reference from numpy 1.24: np.pad(x, ((1, 0), (2, 1)), constant_values=7).
  V y = ad::pad(x, {{1, 0}, {2, 1}}, 7.0);
  test::check_close(y.value(), Array{{7, 7, 7, 7, 7}, {7, 7, 1, 2, 7}, {7, 7, 3, 4, 7}});
  test::check_close(ad::pad(x, {{0, 1}, {0, 0}}).value(), Array{{1, 2}, {3, 4}, {0, 0}});
  test::check_close(ad::pad(x, {{0, 0}, {0, 0}}).value(), x0);
  // Gradient by value: the seed where x sits.
  ad::backward(y, V(iota_array({3, 5})));
  test::check_close(x.grad().value(), Array{{7, 8}, {12, 13}});
  auto f1 = [](const Inputs& in) { return ad::square(ad::pad(in[0], {{1, 2}, {0, 0}, {2, 1}}, -0.5)); };
  auto f2 = [](const Inputs& in) { return ad::pad(in[0], {{0, 1}, {1, 0}}); };
  CHECK_GRADIENTS(f1, test::random_array({2, 2, 2}, 50));
  CHECK_GRADIENTS(f2, test::random_array({2, 3}, 51));
  test::check_error<ad::ShapeError>([&] { ad::pad(x, {{1, 1}}); }, {"pad", "1", "(2, 2)"});
}

BOOST_AUTO_TEST_CASE(new_shape_ops_in_float_match_double) {
  const Array d0 = test::random_array({2, 3, 4}, 52);
  const xt::xarray<float> f0 = xt::cast<float>(d0);
  auto both = [&](auto op) {
    const Array d = op(V(d0)).value();
    const xt::xarray<float> f = op(ad::Var<float>(f0)).value();
    test::check_close(Array(xt::cast<double>(f)), d, 1e-6, 1e-5);
  };
  both([](const auto& v) { return ad::stack(std::vector{v, v}, -1); });
  both([](const auto& v) { return ad::split(v, 2, -1)[1]; });
  both([](const auto& v) { return ad::squeeze(ad::unsqueeze(v, 1)); });
  both([](const auto& v) { return ad::flip(v, {-1, 0}); });
  both([](const auto& v) { return ad::tile(v, {2, 1, 1, 2}); });
  both([](const auto& v) { return ad::repeat(v, 2, 1); });
  both([](const auto& v) { return ad::pad(v, {{1, 0}, {0, 2}, {1, 1}}, 3); });
  both([](const auto& v) { return ad::reshape(v, {-1, 6}); });
}
