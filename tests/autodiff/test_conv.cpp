#define BOOST_TEST_MODULE conv
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

using test::Array;
using test::Inputs;
using test::V;
using ArrayF = xt::xarray<float>;
using ad::Padding;
using ad::Size2;

std::string shape_of(const V& v) { return ad::shape_str(v.shape()); }

// TensorFlow's documented "same" padding: output ceil(n / s), total padding
// max((out - 1) s + k - n, 0), of which floor(total / 2) goes before.
struct Axis {
  std::size_t out;
  std::ptrdiff_t before;
};
Axis axis_of(std::size_t n, std::size_t k, std::size_t s, Padding p) {
  if (p == Padding::valid) return {(n - k) / s + 1, 0};
  const std::size_t out = (n + s - 1) / s;
  const std::ptrdiff_t total = std::max<std::ptrdiff_t>(std::ptrdiff_t((out - 1) * s + k) - std::ptrdiff_t(n), 0);
  return {out, total / 2};
}

// Direct convolution by nested loops over every output element and kernel tap.
Array naive_conv(const Array& x, const Array& k, const Array* b, Size2 s, Padding p) {
  const std::size_t N = x.shape()[0], H = x.shape()[1], W = x.shape()[2], C = x.shape()[3];
  const std::size_t KH = k.shape()[0], KW = k.shape()[1], F = k.shape()[3];
  const Axis ay = axis_of(H, KH, s[0], p), ax = axis_of(W, KW, s[1], p);
  Array y = xt::zeros<double>({N, ay.out, ax.out, F});
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t oy = 0; oy < ay.out; ++oy)
      for (std::size_t ox = 0; ox < ax.out; ++ox)
        for (std::size_t f = 0; f < F; ++f) {
          double acc = b ? (*b)(f) : 0.0;
          for (std::size_t ky = 0; ky < KH; ++ky)
            for (std::size_t kx = 0; kx < KW; ++kx) {
              const std::ptrdiff_t iy = std::ptrdiff_t(oy * s[0] + ky) - ay.before;
              const std::ptrdiff_t ix = std::ptrdiff_t(ox * s[1] + kx) - ax.before;
              if (iy < 0 || ix < 0 || iy >= std::ptrdiff_t(H) || ix >= std::ptrdiff_t(W)) continue;
              for (std::size_t c = 0; c < C; ++c) acc += x(n, iy, ix, c) * k(ky, kx, c, f);
            }
          y(n, oy, ox, f) = acc;
        }
  return y;
}

// Max or mean over the real (unpadded) elements of each window.
Array naive_pool(const Array& x, Size2 pool, Size2 s, Padding p, bool max) {
  const std::size_t N = x.shape()[0], H = x.shape()[1], W = x.shape()[2], C = x.shape()[3];
  const Axis ay = axis_of(H, pool[0], s[0], p), ax = axis_of(W, pool[1], s[1], p);
  Array y = Array::from_shape({N, ay.out, ax.out, C});
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t oy = 0; oy < ay.out; ++oy)
      for (std::size_t ox = 0; ox < ax.out; ++ox)
        for (std::size_t c = 0; c < C; ++c) {
          double best = -std::numeric_limits<double>::infinity(), total = 0;
          int count = 0;
          for (std::size_t ky = 0; ky < pool[0]; ++ky)
            for (std::size_t kx = 0; kx < pool[1]; ++kx) {
              const std::ptrdiff_t iy = std::ptrdiff_t(oy * s[0] + ky) - ay.before;
              const std::ptrdiff_t ix = std::ptrdiff_t(ox * s[1] + kx) - ax.before;
              if (iy < 0 || ix < 0 || iy >= std::ptrdiff_t(H) || ix >= std::ptrdiff_t(W)) continue;
              best = std::max(best, x(n, iy, ix, c));
              total += x(n, iy, ix, c);
              ++count;
            }
          y(n, oy, ox, c) = max ? best : total / count;
        }
  return y;
}

struct ConvCase {
  std::string name;
  ad::Shape x, k;
  Size2 strides;
  Padding padding;
  bool bias;
};

// valid, same, stride 2, stride (2, 1), non-square kernels, several channels, with and without bias.
const std::vector<ConvCase> conv_cases{
    {"valid 3x3", {2, 5, 5, 1}, {3, 3, 1, 2}, {1, 1}, Padding::valid, true},
    {"same 3x3", {2, 5, 5, 2}, {3, 3, 2, 3}, {1, 1}, Padding::same, true},
    {"valid stride 2", {1, 7, 6, 2}, {3, 3, 2, 2}, {2, 2}, Padding::valid, true},
    {"same stride 2", {2, 6, 5, 2}, {3, 3, 2, 2}, {2, 2}, Padding::same, false},
    {"same stride (2, 1)", {1, 5, 4, 3}, {3, 2, 3, 2}, {2, 1}, Padding::same, true},
    {"valid non-square 2x3", {2, 4, 6, 3}, {2, 3, 3, 4}, {1, 1}, Padding::valid, false},
    {"same even 2x2", {1, 4, 5, 2}, {2, 2, 2, 3}, {1, 1}, Padding::same, true},
    {"valid stride (1, 3) 1x2", {1, 3, 7, 2}, {1, 2, 2, 2}, {1, 3}, Padding::valid, true},
    {"pointwise 1x1", {2, 3, 4, 3}, {1, 1, 3, 2}, {1, 1}, Padding::valid, true},
};

}  // namespace

// ---- output sizes --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(output_lengths_follow_keras) {
  BOOST_TEST(ad::conv_output_length(28, 3, 1, Padding::valid) == 26u);
  BOOST_TEST(ad::conv_output_length(28, 3, 1, Padding::same) == 28u);
  BOOST_TEST(ad::conv_output_length(28, 3, 2, Padding::same) == 14u);
  BOOST_TEST(ad::conv_output_length(7, 3, 2, Padding::same) == 4u);
  BOOST_TEST(ad::conv_output_length(7, 3, 2, Padding::valid) == 3u);
  BOOST_TEST(ad::conv_output_length(26, 2, 2, Padding::valid) == 13u);
  BOOST_TEST(ad::conv_output_length(11, 2, 2, Padding::valid) == 5u);
  BOOST_TEST(ad::conv_output_length(2, 3, 1, Padding::valid) == 0u);
}

// ---- conv2d values -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(conv2d_hand_computed) {
  // 1..9 in a 3x3 image, a 2x2 kernel of ones: the sums of each 2x2 block.
  Array x{1, 2, 3, 4, 5, 6, 7, 8, 9};
  x.reshape({1, 3, 3, 1});
  Array k = xt::ones<double>({2, 2, 1, 1});
  Array expected{12, 16, 24, 28};
  expected.reshape({1, 2, 2, 1});
  test::check_close(ad::conv2d(V(x), V(k)).value(), expected);
  // "same" with an even kernel pads only at the bottom and right (TensorFlow's split).
  Array same{12, 16, 9, 24, 28, 15, 15, 17, 9};
  same.reshape({1, 3, 3, 1});
  test::check_close(ad::conv2d(V(x), V(k), V(), {.padding = Padding::same}).value(), same);
  // Bias per filter; two filters, the second kernel doubled.
  Array k2 = xt::ones<double>({2, 2, 1, 2});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 2; ++j) k2(i, j, 0, 1) = 2;
  V y = ad::conv2d(V(x), V(k2), V(Array{0.5, -1}), {.strides = {2, 2}});
  BOOST_TEST(shape_of(y) == "(1, 1, 1, 2)");
  BOOST_TEST(y.value()(0, 0, 0, 0) == 12.5);
  BOOST_TEST(y.value()(0, 0, 0, 1) == 23.0);
  // No input channels: the bias alone (and its relu).
  const V b0(Array{0.5, -1});
  const V empty = ad::conv2d(V(xt::zeros<double>({1, 3, 3, 0})), V(xt::zeros<double>({2, 2, 0, 2})), b0);
  BOOST_TEST(shape_of(empty) == "(1, 2, 2, 2)");
  BOOST_TEST(empty.value()(0, 1, 1, 0) == 0.5);
  BOOST_TEST(empty.value()(0, 1, 1, 1) == -1.0);
  BOOST_TEST(ad::conv2d(V(xt::zeros<double>({1, 3, 3, 0})), V(xt::zeros<double>({2, 2, 0, 2})), b0, {}, ad::Activation::relu).value()(0, 0, 1, 1) == 0.0);
}

BOOST_AUTO_TEST_CASE(conv2d_matches_direct_convolution) {
  unsigned seed = 10;
  for (const auto& tc : conv_cases) {
    BOOST_TEST_CONTEXT(tc.name) {
      const Array x = test::random_array(tc.x, seed++), k = test::random_array(tc.k, seed++);
      const Array b = test::random_array({tc.k[3]}, seed++);
      const V y = ad::conv2d(V(x), V(k), tc.bias ? V(b) : V(), {tc.strides, tc.padding});
      test::check_close(y.value(), naive_conv(x, k, tc.bias ? &b : nullptr, tc.strides, tc.padding), 1e-12, 1e-12);
    }
  }
}

BOOST_AUTO_TEST_CASE(conv2d_over_many_blocks_and_in_float) {
  // 32 channels and 3x3: a patch row of 288 values, so the 1,210 output rows span several blocks.
  const Array x = test::random_array({10, 13, 13, 32}, 1), k = test::random_array({3, 3, 32, 8}, 2);
  const Array b = test::random_array({8}, 3);
  for (Padding p : {Padding::valid, Padding::same}) {
    const Array ref = naive_conv(x, k, &b, {1, 1}, p);
    test::check_close(ad::conv2d(V(x), V(k), V(b), {.padding = p}).value(), ref, 1e-10, 1e-10);
    const ArrayF yf = ad::conv2d(ad::Var<float>(ArrayF(x)), ad::Var<float>(ArrayF(k)), ad::Var<float>(ArrayF(b)),
                                 {.padding = p})
                          .value();
    test::check_close(Array(yf), ref, 1e-3, 1e-4);
  }
  // The weight and input gradients over many blocks, against the gradient of the composite
  // im2col · K (whose matmul backward is independent of the convolution's).
  V xv(x, true), kv(k, true);
  ad::backward(ad::sum(ad::square(ad::conv2d(xv, kv, V(), {.padding = Padding::same}))));
  V xr(x, true), kr(k, true);
  const V cols = ad::im2col(xr, {3, 3}, {.padding = Padding::same});
  ad::backward(ad::sum(ad::square(ad::matmul(cols, ad::reshape(kr, {288, 8})))));
  test::check_close(test::grad_value(kv), test::grad_value(kr), 1e-8, 1e-10);
  test::check_close(test::grad_value(xv), test::grad_value(xr), 1e-8, 1e-10);
}

BOOST_AUTO_TEST_CASE(conv2d_equals_im2col_times_kernel) {
  unsigned seed = 40;
  for (const auto& tc : conv_cases) {
    BOOST_TEST_CONTEXT(tc.name) {
      const Array x = test::random_array(tc.x, seed++), k = test::random_array(tc.k, seed++);
      const V cols = ad::im2col(V(x), {tc.k[0], tc.k[1]}, {tc.strides, tc.padding});
      const std::size_t patch = tc.k[0] * tc.k[1] * tc.k[2];
      BOOST_TEST(cols.shape()[1] == patch);
      const V prod = ad::matmul(cols, ad::reshape(V(k), {patch, tc.k[3]}));
      const Array ref = naive_conv(x, k, nullptr, tc.strides, tc.padding);
      test::check_close(ad::reshape(prod, ad::Shape(ref.shape().begin(), ref.shape().end())).value(), ref, 1e-12,
                        1e-12);
    }
  }
}

// ---- conv2d gradients ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(conv2d_gradcheck_and_gradgradcheck) {
  unsigned seed = 70;
  for (const auto& tc : conv_cases) {
    BOOST_TEST_CONTEXT(tc.name) {
      const ad::Conv2DOptions o{tc.strides, tc.padding};
      if (tc.bias) {
        auto f = [o](const Inputs& in) { return ad::conv2d(in[0], in[1], in[2], o); };
        CHECK_GRADIENTS(f, test::random_array(tc.x, seed), test::random_array(tc.k, seed + 1),
                        test::random_array({tc.k[3]}, seed + 2));
      } else {
        auto f = [o](const Inputs& in) { return ad::conv2d(in[0], in[1], V(), o); };
        CHECK_GRADIENTS(f, test::random_array(tc.x, seed), test::random_array(tc.k, seed + 1));
      }
      seed += 3;
    }
  }
}

BOOST_AUTO_TEST_CASE(conv2d_gradient_penalties_to_third_order) {
  // A penalty on the input gradient, differentiated with respect to the kernel, and one on the
  // kernel gradient with respect to the input: gradgradcheck of these differentiates the
  // backward's backward, so the three convolution primitives must close up.
  const ad::Conv2DOptions o{{2, 1}, Padding::same};
  const Array x0 = test::random_array({1, 4, 3, 2}, 90, -1, 1), k0 = test::random_array({2, 3, 2, 2}, 91, -1, 1);
  auto input_penalty = [o, x0](const Inputs& in) {
    V x(x0, true);
    const V gx = ad::grad(ad::sum(ad::tanh(ad::conv2d(x, in[0], V(), o))), {x}, {.create_graph = true})[0];
    return ad::sum(ad::square(gx));
  };
  CHECK_GRADIENTS(input_penalty, k0);
  auto kernel_penalty = [o, k0](const Inputs& in) {
    V k(k0, true);
    const V gk = ad::grad(ad::sum(ad::tanh(ad::conv2d(in[0], k, V(), o))), {k}, {.create_graph = true})[0];
    return ad::sum(ad::square(gk));
  };
  CHECK_GRADIENTS(kernel_penalty, x0);
}

BOOST_AUTO_TEST_CASE(conv2d_gradient_reaches_only_inputs_that_require_it) {
  const Array x = test::random_array({1, 4, 4, 2}, 95), k = test::random_array({3, 3, 2, 2}, 96);
  V xv(x), kv(k, true), bv(Array{0.1, 0.2}, true);
  ad::backward(ad::sum(ad::conv2d(xv, kv, bv)));
  BOOST_TEST(!xv.grad().defined());
  // d sum / d b = number of output positions per filter.
  test::check_close(test::grad_value(bv), Array{4, 4});
  BOOST_TEST(shape_of(kv.grad()) == "(3, 3, 2, 2)");
}

BOOST_AUTO_TEST_CASE(fused_relu_equals_relu_of_conv2d) {
  unsigned seed = 150;
  for (const auto& tc : conv_cases) {
    BOOST_TEST_CONTEXT(tc.name) {
      const ad::Conv2DOptions o{tc.strides, tc.padding};
      const Array x = test::random_array(tc.x, seed), k = test::random_array(tc.k, seed + 1);
      const Array b = test::random_array({tc.k[3]}, seed + 2);
      seed += 3;
      // Values, and the gradients of a weighted sum, against the two separate ops.
      V xf(x, true), kf(k, true), bf(b, true), xs(x, true), ks(k, true), bs(b, true);
      const V fused = ad::conv2d(xf, kf, bf, o, ad::Activation::relu);
      const V separate = ad::relu(ad::conv2d(xs, ks, bs, o));
      test::check_close(fused.value(), separate.value(), 0, 0);
      BOOST_TEST(xt::amin(fused.value())() == 0.0);  // some outputs were negative
      const V w(test::random_array(ad::Shape(fused.shape().begin(), fused.shape().end()), seed++));
      ad::backward(ad::sum(fused * w));
      ad::backward(ad::sum(separate * w));
      test::check_close(test::grad_value(xf), test::grad_value(xs), 1e-14, 1e-14);
      test::check_close(test::grad_value(kf), test::grad_value(ks), 1e-14, 1e-14);
      test::check_close(test::grad_value(bf), test::grad_value(bs), 1e-14, 1e-14);
      // Gradient checks: random inputs keep the outputs off relu's kink.
      auto f = [o](const Inputs& in) { return ad::square(ad::conv2d(in[0], in[1], in[2], o, ad::Activation::relu)); };
      CHECK_GRADIENTS(f, x, k, b);
    }
  }
}

BOOST_AUTO_TEST_CASE(conv2d_applies_other_activations_after_the_op_as_activate_does) {
  const auto& tc = conv_cases.front();
  const ad::Conv2DOptions o{tc.strides, tc.padding};
  const Array x = test::random_array(tc.x, 190), k = test::random_array(tc.k, 191);
  const Array b = test::random_array({tc.k[3]}, 192);
  for (const ad::Activation a : {ad::Activation::tanh, ad::Activation::softplus}) {
    BOOST_TEST_CONTEXT(ad::activation_name(a)) {
      test::check_close(ad::conv2d(V(x), V(k), V(b), o, a).value(), ad::activate(ad::conv2d(V(x), V(k), V(b), o), a).value(),
                        0, 0);
      auto f = [o, a](const Inputs& in) { return ad::conv2d(in[0], in[1], in[2], o, a); };
      CHECK_GRADIENTS(f, x, k, b);
    }
  }
}

// ---- im2col / col2im -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(im2col_rows_and_padding) {
  Array x{1, 2, 3, 4};
  x.reshape({1, 2, 2, 1});
  // A 2x2 "same" window at each pixel: zeros beyond the bottom/right edge.
  const V cols = ad::im2col(V(x), {2, 2}, {.padding = Padding::same});
  test::check_close(cols.value(), Array{{1, 2, 3, 4}, {2, 0, 4, 0}, {3, 4, 0, 0}, {4, 0, 0, 0}});
  // col2im adds each entry back where it came from: pixel (0, 0) appears once, (1, 1) four times.
  const V back = ad::col2im(V(xt::ones<double>({4, 4})), {1, 2, 2, 1}, {2, 2}, {.padding = Padding::same});
  Array counts{1, 2, 2, 4};
  counts.reshape({1, 2, 2, 1});
  test::check_close(back.value(), counts);
}

BOOST_AUTO_TEST_CASE(im2col_col2im_gradcheck_and_adjointness) {
  const ad::Conv2DOptions o{{2, 1}, Padding::same};
  auto f = [o](const Inputs& in) { return ad::im2col(in[0], {3, 2}, o); };
  CHECK_GRADIENTS(f, test::random_array({2, 5, 4, 2}, 100));
  const ad::Shape xs{2, 5, 4, 2};
  const std::size_t rows = 2 * 3 * 4, patch = 3 * 2 * 2;
  auto g = [o, xs](const Inputs& in) { return ad::col2im(in[0], xs, {3, 2}, o); };
  CHECK_GRADIENTS(g, test::random_array({rows, patch}, 101));
  // <im2col(x), c> == <x, col2im(c)>.
  const Array x = test::random_array(xs, 102), c = test::random_array({rows, patch}, 103);
  const double lhs = xt::sum(ad::im2col(V(x), {3, 2}, o).value() * c)();
  const double rhs = xt::sum(x * ad::col2im(V(c), xs, {3, 2}, o).value())();
  BOOST_TEST(std::abs(lhs - rhs) <= 1e-10 * std::abs(lhs));
}

// ---- pooling -------------------------------------------------------------------------------------

struct PoolCase {
  std::string name;
  ad::Shape x;
  Size2 pool, strides;
  Padding padding;
};
const std::vector<PoolCase> pool_cases{
    {"2x2 valid", {2, 4, 6, 3}, {2, 2}, {2, 2}, Padding::valid},
    {"2x2 valid odd size", {1, 5, 5, 2}, {2, 2}, {2, 2}, Padding::valid},
    {"3x3 stride 2 same", {2, 5, 6, 2}, {3, 3}, {2, 2}, Padding::same},
    {"2x3 stride (1, 2) same", {1, 4, 5, 3}, {2, 3}, {1, 2}, Padding::same},
    {"3x2 stride 1 valid", {1, 4, 4, 2}, {3, 2}, {1, 1}, Padding::valid},
    {"2x2 stride 1 same", {1, 3, 3, 1}, {2, 2}, {1, 1}, Padding::same},
};

BOOST_AUTO_TEST_CASE(max_pool_matches_direct_loop) {
  unsigned seed = 200;
  for (const auto& tc : pool_cases) {
    BOOST_TEST_CONTEXT(tc.name) {
      const Array x = test::random_array(tc.x, seed++);
      test::check_close(ad::max_pool2d(V(x), tc.pool, {tc.strides, tc.padding}).value(),
                        naive_pool(x, tc.pool, tc.strides, tc.padding, true));
    }
  }
  // Keras's default strides are the pool size; all-negative windows next to "same" padding
  // still take their real maximum (padding is not a zero).
  const Array x = test::random_array({1, 4, 4, 2}, 250, -3, -1);
  test::check_close(ad::max_pool2d(V(x), {2, 2}).value(), naive_pool(x, {2, 2}, {2, 2}, Padding::valid, true));
  test::check_close(ad::max_pool2d(V(x), {3, 3}, {.padding = Padding::same}).value(),
                    naive_pool(x, {3, 3}, {3, 3}, Padding::same, true));
  const ArrayF xf = ArrayF(test::random_array({2, 4, 4, 3}, 251));
  test::check_close(Array(ad::max_pool2d(ad::Var<float>(xf), {2, 2}).value()),
                    naive_pool(Array(xf), {2, 2}, {2, 2}, Padding::valid, true));
}

BOOST_AUTO_TEST_CASE(max_pool_gradient_goes_to_each_windows_maximum) {
  Array x{1, 5, 2, 0.5, 3, 4, 9, 8, 7, 6, -1, -2, 0.1, 0.2, 0.3, 0.4};
  x.reshape({1, 4, 4, 1});
  // Overlapping 2x2 windows with stride 1 (nine of them): 9 wins four, 7 two, 5, 6 and 0.4 one each.
  const Array g = test::grad_of_sum([](const V& v) { return ad::max_pool2d(v, {2, 2}, {.strides = {1, 1}}); }, x);
  Array expected = xt::zeros<double>({1, 4, 4, 1});
  expected(0, 0, 1, 0) = 1;
  expected(0, 1, 2, 0) = 4;
  expected(0, 2, 0, 0) = 2;
  expected(0, 2, 1, 0) = 1;
  expected(0, 3, 3, 0) = 1;
  test::check_close(g, expected);
  // A tie goes to the first element of the window, in row-major order.
  Array ties = xt::ones<double>({1, 2, 2, 1});
  Array first = xt::zeros<double>({1, 2, 2, 1});
  first(0, 0, 0, 0) = 1;
  test::check_close(test::grad_of_sum([](const V& v) { return ad::max_pool2d(v, {2, 2}); }, ties), first);
}

BOOST_AUTO_TEST_CASE(max_pool_propagates_nan_wherever_it_is_in_the_window) {
  const double nan = std::nan("");
  for (std::size_t at = 0; at < 4; ++at) {
    BOOST_TEST_CONTEXT("NaN at window position " << at) {
      Array x{1, 5, 2, 0.5, 3, 4, 9, 8};  // (1, 2, 2, 2): one 2x2 window, two channels
      x.reshape({1, 2, 2, 2});
      x.data()[2 * at] = nan;  // channel 0 only
      V v(x, true);
      const V y = ad::max_pool2d(v, {2, 2});
      BOOST_TEST(std::isnan(y.value()(0, 0, 0, 0)));
      BOOST_TEST(y.value()(0, 0, 0, 1) == 8.0);
      // The gradient goes to the NaN, as to a maximum.
      ad::backward(ad::sum(y));
      Array expected = xt::zeros<double>({1, 2, 2, 2});
      expected.data()[2 * at] = 1;
      expected(0, 1, 1, 1) = 1;
      test::check_close(test::grad_value(v), expected);
    }
  }
  // Two NaNs: the first one takes the gradient. Float windows with "same" padding too.
  Array two = xt::ones<double>({1, 2, 2, 1});
  two(0, 0, 1, 0) = nan;
  two(0, 1, 0, 0) = nan;
  Array first = xt::zeros<double>({1, 2, 2, 1});
  first(0, 0, 1, 0) = 1;
  test::check_close(test::grad_of_sum([](const V& v) { return ad::max_pool2d(v, {2, 2}); }, two), first);
  ArrayF xf = ArrayF(test::random_array({1, 3, 3, 1}, 260));
  xf(0, 2, 2, 0) = std::nanf("");
  const ArrayF yf = ad::max_pool2d(ad::Var<float>(xf), {2, 2}, {.padding = Padding::same}).value();
  BOOST_TEST(!std::isnan(yf(0, 0, 0, 0)));
  BOOST_TEST(std::isnan(yf(0, 1, 1, 0)));
}

BOOST_AUTO_TEST_CASE(conv2d_relu_keeps_nan) {
  const double nan = std::nan("");
  Array x = test::random_array({1, 4, 4, 2}, 270);
  x(0, 0, 0, 0) = nan;
  const Array k = test::random_array({2, 2, 2, 3}, 271);
  const Array b{0.1, -0.2, 0.3};
  const Array fused = ad::conv2d(V(x), V(k), V(b), {}, ad::Activation::relu).value();
  const Array composed = ad::relu(ad::conv2d(V(x), V(k), V(b))).value();
  for (std::size_t i = 0; i < fused.size(); ++i) {
    BOOST_TEST(std::isnan(fused.data()[i]) == std::isnan(composed.data()[i]), "element " << i);
    if (!std::isnan(composed.data()[i])) BOOST_TEST(fused.data()[i] == composed.data()[i]);
  }
  for (std::size_t f = 0; f < 3; ++f) BOOST_TEST(std::isnan(fused(0, 0, 0, f)));  // every filter reads x[0, 0, 0, 0]
  BOOST_TEST(!std::isnan(fused(0, 2, 2, 0)));
  // The backward passes the gradient where the output is NaN, as relu's does.
  V bias(b, true);
  ad::backward(ad::sum(ad::conv2d(V(x), V(k), bias, {}, ad::Activation::relu)));
  Array passed = xt::zeros<double>({3});
  for (std::size_t i = 0; i < fused.size(); ++i) passed(i % 3) += fused.data()[i] <= 0 ? 0.0 : 1.0;
  test::check_close(test::grad_value(bias), passed);
  // conv2d without an activation, average pooling and global average pooling read it too.
  BOOST_TEST(std::isnan(ad::conv2d(V(x), V(k)).value()(0, 0, 0, 1)));
  BOOST_TEST(std::isnan(ad::avg_pool2d(V(x), {2, 2}).value()(0, 0, 0, 0)));
  BOOST_TEST(!std::isnan(ad::avg_pool2d(V(x), {2, 2}).value()(0, 0, 0, 1)));
  BOOST_TEST(std::isnan(ad::global_avg_pool2d(V(x)).value()(0, 0)));
  // No input channels: the bias alone, a NaN in it kept by the relu.
  const Array none = ad::conv2d(V(Array::from_shape({1, 2, 2, 0})), V(Array::from_shape({1, 1, 0, 2})),
                                V(Array{nan, -1}), {}, ad::Activation::relu).value();
  BOOST_TEST(std::isnan(none(0, 1, 1, 0)));
  BOOST_TEST(none(0, 1, 1, 1) == 0.0);
}

BOOST_AUTO_TEST_CASE(max_pool_gradcheck_and_gradgradcheck) {
  unsigned seed = 300;
  for (const auto& tc : pool_cases) {
    BOOST_TEST_CONTEXT(tc.name) {
      const ad::Pool2DOptions o{tc.strides, tc.padding};
      const Size2 pool = tc.pool;
      auto f = [pool, o](const Inputs& in) { return ad::max_pool2d(in[0], pool, o); };
      CHECK_GRADIENTS(f, test::random_array(tc.x, seed++));
      // Through a nonlinearity before the pool, so the second derivative is not zero.
      auto g = [pool, o](const Inputs& in) { return ad::max_pool2d(ad::square(in[0]), pool, o); };
      CHECK_GRADIENTS(g, test::random_array(tc.x, seed++, 0.1, 2));
    }
  }
}

BOOST_AUTO_TEST_CASE(avg_pool_matches_direct_loop_and_gradchecks) {
  unsigned seed = 400;
  for (const auto& tc : pool_cases) {
    BOOST_TEST_CONTEXT(tc.name) {
      const Array x = test::random_array(tc.x, seed++);
      const ad::Pool2DOptions o{tc.strides, tc.padding};
      test::check_close(ad::avg_pool2d(V(x), tc.pool, o).value(), naive_pool(x, tc.pool, tc.strides, tc.padding, false),
                        1e-12, 1e-12);
      const Size2 pool = tc.pool;
      auto f = [pool, o](const Inputs& in) { return ad::avg_pool2d(in[0], pool, o); };
      CHECK_GRADIENTS(f, x);
    }
  }
  // "same" divides by the real elements only: the corner window of a 2x2 stride-1 pool over a
  // 2x2 image holds one pixel.
  Array x{1, 2, 3, 4};
  x.reshape({1, 2, 2, 1});
  Array expected{2.5, 3, 3.5, 4};
  expected.reshape({1, 2, 2, 1});
  test::check_close(ad::avg_pool2d(V(x), {2, 2}, {.strides = {1, 1}, .padding = Padding::same}).value(), expected);
}

BOOST_AUTO_TEST_CASE(global_avg_pool_values_and_gradchecks) {
  const Array x = test::random_array({2, 3, 4, 5}, 500);
  const V y = ad::global_avg_pool2d(V(x));
  BOOST_TEST(shape_of(y) == "(2, 5)");
  test::check_close(y.value(), Array(xt::mean(x, {1, 2})), 1e-14, 1e-12);
  auto f = [](const Inputs& in) { return ad::global_avg_pool2d(in[0]); };
  CHECK_GRADIENTS(f, x);
  // In a composite: a small all-convolutional classifier head.
  auto g = [](const Inputs& in) {
    return ad::log_softmax(ad::global_avg_pool2d(ad::max_pool2d(ad::relu(ad::conv2d(in[0], in[1], in[2], {.padding = Padding::same})), {2, 2})), -1);
  };
  CHECK_GRADIENTS(g, test::random_array({2, 4, 4, 2}, 501), test::random_array({3, 3, 2, 3}, 502),
                  test::random_array({3}, 503));
}

// ---- errors --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_the_shapes) {
  const V x(xt::zeros<double>({1, 5, 5, 2}));
  const V k(xt::zeros<double>({3, 3, 2, 4}));
  test::check_error<ad::ShapeError>([&] { ad::conv2d(V(xt::zeros<double>({5, 5, 2})), k); },
                                    {"conv2d", "(batch, height, width, channels)", "(5, 5, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::conv2d(x, V(xt::zeros<double>({3, 3, 2}))); },
                                    {"conv2d", "kernel", "(3, 3, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::conv2d(V(xt::zeros<double>({1, 5, 5, 3})), k); },
                                    {"conv2d", "(3, 3, 2, 4)", "2 input channels", "(1, 5, 5, 3)", "has 3"});
  test::check_error<ad::ShapeError>([&] { ad::conv2d(x, k, V(xt::zeros<double>({3}))); },
                                    {"conv2d", "bias", "(3,)", "4 filters"});
  test::check_error<ad::ShapeError>([&] { ad::conv2d(x, k, V(), {.strides = {0, 1}}); },
                                    {"conv2d", "strides", "(0, 1)"});
  test::check_error<ad::ShapeError>([&] { ad::conv2d(x, V(xt::zeros<double>({7, 3, 2, 4}))); },
                                    {"conv2d", "7x3", "valid", "(1, 5, 5, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::conv2d(V(xt::zeros<double>({1, 5, 5, 3})), k, V(), {}, ad::Activation::relu); },
                                    {"conv2d_relu", "2 input channels"});
  // "same" fits any kernel.
  BOOST_TEST(shape_of(ad::conv2d(x, V(xt::zeros<double>({7, 3, 2, 4})), V(), {.padding = Padding::same})) ==
             "(1, 5, 5, 4)");
  test::check_error<ad::ShapeError>([&] { ad::max_pool2d(x, {6, 2}); }, {"max_pool2d", "6x2", "pool", "(1, 5, 5, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::max_pool2d(x, {0, 2}); }, {"max_pool2d", "pool size", "(0, 2)"});
  test::check_error<ad::ShapeError>([&] { ad::avg_pool2d(V(xt::zeros<double>({5, 5})), {2, 2}); },
                                    {"avg_pool2d", "(5, 5)"});
  test::check_error<ad::ShapeError>([&] { ad::global_avg_pool2d(V(xt::zeros<double>({2, 5}))); },
                                    {"global_avg_pool2d", "(2, 5)"});
  test::check_error<ad::ShapeError>([&] { ad::col2im(V(xt::zeros<double>({8, 18})), {1, 5, 5, 2}, {3, 3}); },
                                    {"col2im", "(8, 18)", "expected (9, 18)"});
}
