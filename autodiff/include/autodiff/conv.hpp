// Convolution and pooling over images in NHWC layout (Keras's channels_last): inputs are
// (batch, height, width, channels), kernels (kernel_h, kernel_w, in_channels, filters) as Keras
// stores them, biases (filters).
//
//   ad::Var<float> x(images);                                        // (128, 28, 28, 1)
//   ad::Var<float> K(kernel, true), b(bias, true);                   // (3, 3, 1, 32), (32)
//   auto y = ad::relu(ad::conv2d(x, K, b));                          // (128, 26, 26, 32)
//   auto same_y = ad::conv2d(x, K, b, {}, ad::Activation::relu);     // the same, fused
//   auto p = ad::max_pool2d(y, {2, 2});                              // (128, 13, 13, 32)
//   auto z = ad::conv2d(p, K2, b2, {.strides = {2, 2}, .padding = ad::Padding::same});
//   auto g = ad::global_avg_pool2d(z);                               // (128, filters)
//
// Output sizes follow Keras/TensorFlow: "valid" gives floor((n - k) / s) + 1, "same" gives
// ceil(n / s) with the total padding max((out - 1) s + k - n, 0) split as evenly as possible,
// the odd element at the bottom/right. Max pooling ignores padded positions; average pooling
// divides by the number of real (unpadded) elements in each window, as TensorFlow does.
//
// Every op is on the tape and differentiable to any order: conv2d is one primitive whose
// backward is made of two primitives (the gradients for the input and for the kernel), and the
// three close under differentiation; im2col and col2im are each other's adjoints; max pooling
// records the position of each window's maximum (the first one on ties) and its backward
// scatters there. The convolutions run as im2col + BLAS gemm on cache-sized blocks of rows.
#pragma once

#include <array>
#include <cstddef>

#include "autodiff/activation.hpp"
#include "autodiff/var.hpp"

namespace ad {

using Size2 = std::array<std::size_t, 2>;  // (height, width)

enum class Padding { valid, same };

struct Conv2DOptions {
  Size2 strides{1, 1};
  Padding padding = Padding::valid;
};

struct Pool2DOptions {
  Size2 strides{0, 0};  // {0, 0}: the pool size, as in Keras
  Padding padding = Padding::valid;
};

// activation(x ⋆ kernel + bias): x (N, H, W, C) convolved (cross-correlated, as in every
// deep-learning library) with kernel (kh, kw, C, F), plus bias (F) if defined: (N, oh, ow, F).
// A relu is applied to each block of rows as the gemm leaves it in cache: one pass over the
// output less than two ops, same values and gradients (relu'(0) = 0). Other activations follow
// the op as ad::activate applies them (the same fusion rule as ad::linear).
template <class T>
Var<T> conv2d(const Var<T>& x, const Var<T>& kernel, const Var<T>& bias = Var<T>(), const Conv2DOptions& options = {},
              Activation activation = Activation::linear);

// The patches of x (N, H, W, C) that a (kh, kw) window visits, one row per output position in
// (n, oy, ox) order, each row laid out (ky, kx, c): a (N·oh·ow, kh·kw·C) matrix, zeros where the
// window covers padding. conv2d(x, K) equals im2col(x) · K reshaped to (kh·kw·C, F).
template <class T>
Var<T> im2col(const Var<T>& x, Size2 kernel_size, const Conv2DOptions& options = {});
// The adjoint of im2col: each row's entries added back at the positions they came from, in a
// zero tensor of shape input_shape (N, H, W, C).
template <class T>
Var<T> col2im(const Var<T>& cols, const Shape& input_shape, Size2 kernel_size, const Conv2DOptions& options = {});

template <class T>
Var<T> max_pool2d(const Var<T>& x, Size2 pool_size, const Pool2DOptions& options = {});
template <class T>
Var<T> avg_pool2d(const Var<T>& x, Size2 pool_size, const Pool2DOptions& options = {});
// The mean over height and width: (N, H, W, C) -> (N, C).
template <class T>
Var<T> global_avg_pool2d(const Var<T>& x);

// The output length of one spatial axis (Keras's conv_output_length); 0 if the window does not fit.
std::size_t conv_output_length(std::size_t input, std::size_t kernel, std::size_t stride, Padding padding);

}  // namespace ad
