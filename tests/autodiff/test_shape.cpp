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

  const Array seed = iota_array({2, 12}) * 2.0;
  ad::backward(f1, V(seed));
  test::check_close(x.grad().value(), Array(iota_array({2, 3, 4}) * 2.0));

  auto g0 = [](const Inputs& in) { return ad::flatten(in[0]); };
  auto g1 = [](const Inputs& in) { return ad::flatten(in[0], 1); };
  CHECK_GRADIENTS(g0, test::random_array({2, 3, 2}, 4));
  CHECK_GRADIENTS(g1, test::random_array({2, 3, 2}, 5));
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
