// Differentiable ops on Var<T>. Elementwise binary ops broadcast as numpy does; their backward
// sums the gradient back to each operand's shape. Scalars on either side convert to T.
//
//   auto y = ad::relu(ad::matmul(X, W) + b);                       // b of shape (n) onto (m, n)
//   auto loss = ad::mean(ad::square(y - target)) + 1e-3 * ad::sum(ad::abs(W));
//   auto p = ad::softmax(logits, -1);                              // stable for logits of ±1e4
//
// Subgradient conventions (tested by value): abs'(0) = 0, relu'(0) = 0, sign' = 0,
// leaky_relu'(0) = slope, clip passes the gradient on the closed interval [lo, hi],
// maximum/minimum send a tie to the first operand, max over axes splits a tie evenly.
// NaN propagates as in numpy and PyTorch: a NaN that an op reads reaches its output (relu, clip,
// maximum/minimum, max, max_pool2d, the fused relu of linear and conv2d included). Comparisons
// (ad::greater, ...) return masks for ad::where; NaN compares false except in not_equal.
#pragma once

#include "autodiff/activation.hpp"
#include "autodiff/ops/arithmetic.hpp"
#include "autodiff/ops/elementwise.hpp"
#include "autodiff/ops/activations.hpp"
#include "autodiff/ops/linalg.hpp"
#include "autodiff/ops/shape.hpp"
#include "autodiff/ops/indexing.hpp"
#include "autodiff/ops/reductions.hpp"
#include "autodiff/ops/comparison.hpp"
