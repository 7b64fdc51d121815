// Convolution and pooling (conv.hpp): each primitive's forward and, right below it, its backward,
// written with differentiable ops so that create_graph records the backward pass too.
//
// conv2d, conv2d_backward_input and conv2d_backward_kernel are the three bilinear maps
//   y  = conv(x, K)          = im2col(x) · K
//   dx = backward_input(g, K) = col2im(g · Kᵀ)
//   dK = backward_kernel(x, g) = im2col(x)ᵀ · g
// (K seen as a (kh·kw·C, F) matrix, y and g as (N·oh·ow, F)); the derivatives of each are the
// other two, so the family is closed under differentiation. Each runs on blocks of rows whose
// im2col patch matrix stays in cache, feeding one gemm per block, and never materializes the
// whole patch matrix.
#include "autodiff/conv.hpp"

#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "autodiff/ops.hpp"
#include "autodiff/threads.hpp"
#include "tape.hpp"

namespace ad {
namespace {

template <class T>
using Array = xt::xarray<T>;

// A Var's shape as an ad::Shape (the shape the gradients of an input must have).
template <class T>
Shape shape_of(const Var<T>& v) {
  return Shape(v.shape().begin(), v.shape().end());
}

std::string size2_str(Size2 s) { return "(" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ")"; }
const char* padding_name(Padding p) { return p == Padding::same ? "same" : "valid"; }

// Where a window of kernel (kh, kw) with strides (sh, sw) and the given padding goes over an
// NHWC input; f is the number of filters (convolutions only).
struct Geometry {
  std::size_t n = 0, h = 0, w = 0, c = 0;
  std::size_t kh = 0, kw = 0, sh = 1, sw = 1, f = 0;
  std::size_t pad_top = 0, pad_left = 0;
  std::size_t oh = 0, ow = 0;
  std::size_t rows() const { return n * oh * ow; }  // output positions
  std::size_t patch() const { return kh * kw * c; }  // one im2col row
  Shape input_shape() const { return {n, h, w, c}; }
  Shape output_shape(std::size_t channels) const { return {n, oh, ow, channels}; }
  Shape kernel_shape() const { return {kh, kw, c, f}; }
  // The window is the input itself, row by row: no patch matrix needed.
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1; }
};

// Keras's output length and TensorFlow's split of "same" padding (the odd element at the end).
std::size_t padding_before(std::size_t input, std::size_t kernel, std::size_t stride, Padding padding,
                           std::size_t out) {
  if (padding == Padding::valid || out == 0) return 0;
  const std::size_t needed = (out - 1) * stride + kernel;
  return needed > input ? (needed - input) / 2 : 0;
}

template <class S>
Geometry make_geometry(const char* op, const S& x_shape, Size2 kernel, Size2 strides, Padding padding,
                       const char* window = "kernel") {
  if (x_shape.size() != 4) {
    throw ShapeError(std::string(op) + ": expects an input of shape (batch, height, width, channels), got " +
                     shape_str(x_shape));
  }
  if (kernel[0] == 0 || kernel[1] == 0) {
    throw ShapeError(std::string(op) + ": " + window + " size must be positive, got " + size2_str(kernel));
  }
  if (strides[0] == 0 || strides[1] == 0) {
    throw ShapeError(std::string(op) + ": strides must be positive, got " + size2_str(strides));
  }
  Geometry g;
  g.n = x_shape[0], g.h = x_shape[1], g.w = x_shape[2], g.c = x_shape[3];
  g.kh = kernel[0], g.kw = kernel[1], g.sh = strides[0], g.sw = strides[1];
  g.oh = conv_output_length(g.h, g.kh, g.sh, padding);
  g.ow = conv_output_length(g.w, g.kw, g.sw, padding);
  if (g.oh == 0 || g.ow == 0) {
    throw ShapeError(std::string(op) + ": a " + std::to_string(g.kh) + "x" + std::to_string(g.kw) + " " + window +
                     " with padding '" + padding_name(padding) + "' does not fit an input of shape " +
                     shape_str(x_shape));
  }
  g.pad_top = padding_before(g.h, g.kh, g.sh, padding, g.oh);
  g.pad_left = padding_before(g.w, g.kw, g.sw, padding, g.ow);
  return g;
}

template <class S>
void check_same_shape(const char* op, const char* what, const S& got, const Shape& expected) {
  if (!std::equal(got.begin(), got.end(), expected.begin(), expected.end())) {
    throw ShapeError(std::string(op) + ": " + what + " has shape " + shape_str(got) + ", expected " +
                     shape_str(expected));
  }
}

// ---- the patch matrix, a block of rows at a time -----------------------------------------------

// Walks the output positions (n, oy, ox) of rows [r0, r1) in order, calling
// visit(row, n, iy0, ix0) with the window's top-left input coordinate (negative in padding).
template <class F>
void for_each_window(const Geometry& g, std::size_t r0, std::size_t r1, F&& visit) {
  std::size_t ox = r0 % g.ow, oy = (r0 / g.ow) % g.oh, n = r0 / (g.ow * g.oh);
  for (std::size_t r = r0; r < r1; ++r) {
    visit(r, n, static_cast<std::ptrdiff_t>(oy * g.sh) - static_cast<std::ptrdiff_t>(g.pad_top),
          static_cast<std::ptrdiff_t>(ox * g.sw) - static_cast<std::ptrdiff_t>(g.pad_left));
    if (++ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) oy = 0, ++n;
    }
  }
}

// Copies (or adds) a run of m elements; short runs (few channels) inline, long ones memcpy.
template <class T>
inline void copy_run(const T* src, std::size_t m, T* dst) {
  if (m < 16) {
    for (std::size_t i = 0; i < m; ++i) dst[i] = src[i];
  } else {
    std::memcpy(dst, src, m * sizeof(T));
  }
}
template <class T>
inline void add_run(const T* src, std::size_t m, T* dst) {
  for (std::size_t i = 0; i < m; ++i) dst[i] += src[i];
}

// The runs of rows [r0, r1) of the patch matrix, in order: run(at, from, m) for m consecutive
// entries (at, relative to row r0's start) that come from m consecutive input elements (from,
// relative to the input's start), pad(at, m) for m entries in the padding. Each kernel row of a
// window is one contiguous run of kw·C input elements in NHWC, whole unless it crosses the padding.
// Span > 0 promises kw·C == Span, so that short runs are copied with a constant length.
template <std::size_t Span = 0, class Run, class Pad>
void for_each_run(const Geometry& g, std::size_t r0, std::size_t r1, Run&& run, Pad&& pad) {
  const std::size_t span = Span ? Span : g.kw * g.c, patch = g.patch();
  const auto H = static_cast<std::ptrdiff_t>(g.h), W = static_cast<std::ptrdiff_t>(g.w);
  const auto KW = static_cast<std::ptrdiff_t>(g.kw);
  for_each_window(g, r0, r1, [&](std::size_t r, std::size_t n, std::ptrdiff_t iy0, std::ptrdiff_t ix0) {
    const std::size_t row = (r - r0) * patch;
    const bool inside_x = ix0 >= 0 && ix0 + KW <= W;
    for (std::size_t ky = 0; ky < g.kh; ++ky) {
      const std::size_t at = row + ky * span;
      const std::ptrdiff_t iy = iy0 + static_cast<std::ptrdiff_t>(ky);
      if (iy < 0 || iy >= H) {
        pad(at, span);
        continue;
      }
      const std::size_t line = (n * g.h + static_cast<std::size_t>(iy)) * g.w * g.c;
      if (inside_x) {
        run(at, line + static_cast<std::size_t>(ix0) * g.c, span);
        continue;
      }
      for (std::ptrdiff_t kx = 0; kx < KW; ++kx) {
        const std::ptrdiff_t ix = ix0 + kx;
        const std::size_t at_x = at + static_cast<std::size_t>(kx) * g.c;
        if (ix < 0 || ix >= W) pad(at_x, g.c);
        else run(at_x, line + static_cast<std::size_t>(ix) * g.c, g.c);
      }
    }
  });
}

// Rows [r0, r1) of im2col(x) into out ((r1 - r0) x patch), zeros for the padding.
template <class T>
void im2col_rows(const T* x, const Geometry& g, std::size_t r0, std::size_t r1, T* out) {
  auto copy = [&](std::size_t at, std::size_t from, std::size_t m) { copy_run(x + from, m, out + at); };
  auto zero = [&](std::size_t at, std::size_t m) { std::fill_n(out + at, m, T(0)); };
  // One or three input channels under a 3-wide kernel: runs of 3 or 9 elements, unrolled.
  switch (g.kw * g.c) {
    case 3: return for_each_run<3>(g, r0, r1, copy, zero);
    case 9: return for_each_run<9>(g, r0, r1, copy, zero);
    default: return for_each_run(g, r0, r1, copy, zero);
  }
}

// The adjoint: adds rows [r0, r1) of a patch matrix back into dx at the positions im2col_rows
// read them from (padding entries are dropped).
template <class T>
void col2im_rows_add(const T* cols, const Geometry& g, std::size_t r0, std::size_t r1, T* dx) {
  for_each_run(
      g, r0, r1, [&](std::size_t at, std::size_t from, std::size_t m) { add_run(cols + at, m, dx + from); },
      [](std::size_t, std::size_t) {});
}

// Rows per block: a patch block of about 256 KiB of floats, which the gemm reads from cache.
std::size_t block_rows(const Geometry& g) {
  constexpr std::size_t target_elements = std::size_t(1) << 16;
  return std::max<std::size_t>(1, target_elements / std::max<std::size_t>(1, g.patch()));
}

// ---- BLAS --------------------------------------------------------------------------------------

void ensure_blas_configured() {
  static const bool once = [] {
    num_threads();  // the first call selects the kernels and the default of one thread (threads.hpp)
    return true;
  }();
  (void)once;
}

// C (m x n, leading dimension n) = op(A) op(B) + beta C; lda/ldb as stored.
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, std::size_t lda,
          const float* b, std::size_t ldb, float beta, float* c) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m), int(n), int(k),
              1.0f, a, int(lda), b, int(ldb), beta, c, int(n));
}
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a, std::size_t lda,
          const double* b, std::size_t ldb, double beta, double* c) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m), int(n), int(k),
              1.0, a, int(lda), b, int(ldb), beta, c, int(n));
}

void check_blas_size(const char* op, const Geometry& g) {
  const std::size_t limit = static_cast<std::size_t>(std::numeric_limits<int>::max());
  if (g.rows() > limit || g.patch() > limit || g.f > limit) {
    throw ShapeError(std::string(op) + ": dimensions beyond the BLAS's int range for input " +
                     shape_str(g.input_shape()));
  }
}

// Calls visit(r0, r1, patches) for consecutive blocks of output rows, `patches` pointing at rows
// [r0, r1) of im2col(x): a cache-sized buffer, or x itself for a pointwise kernel.
template <class T, class Visit>
void for_each_patch_block(const T* x, const Geometry& g, Visit&& visit) {
  const std::size_t M = g.rows();
  if (g.pointwise()) {
    visit(std::size_t(0), M, x);
    return;
  }
  const std::size_t block = block_rows(g);
  std::vector<T> buffer(std::min(block, M) * g.patch());
  for (std::size_t r0 = 0; r0 < M; r0 += block) {
    const std::size_t r1 = std::min(M, r0 + block);
    im2col_rows(x, g, r0, r1, buffer.data());
    visit(r0, r1, static_cast<const T*>(buffer.data()));
  }
}

// y (rows x F) = im2col(x) · K (+ bias in every row).
template <class T>
void conv_forward(const T* x, const T* kernel, const T* bias, const Geometry& g, T* y, bool relu = false) {
  const std::size_t M = g.rows(), P = g.patch(), F = g.f;
  if (M == 0 || F == 0) return;
  if (P == 0) {  // no input channels: the bias alone
    for (std::size_t r = 0; r < M; ++r)
      for (std::size_t j = 0; j < F; ++j) y[r * F + j] = bias && !(relu && bias[j] <= T(0)) ? bias[j] : T(0);
    return;
  }
  ensure_blas_configured();
  for_each_patch_block(x, g, [&](std::size_t r0, std::size_t r1, const T* patches) {
    T* block = y + r0 * F;
    for (std::size_t r = 0; bias && r < r1 - r0; ++r) std::copy_n(bias, F, block + r * F);  // while in cache
    gemm(false, false, r1 - r0, F, P, patches, P, kernel, F, bias ? T(1) : T(0), block);
    // x <= 0 ? 0 : x, so a NaN stays NaN; a compare and a select, vectorized.
    for (std::size_t i = 0; relu && i < (r1 - r0) * F; ++i) block[i] = block[i] <= T(0) ? T(0) : block[i];
  });
}

// dx = col2im(g · Kᵀ).
template <class T>
void conv_backward_input(const T* gy, const T* kernel, const Geometry& g, T* dx) {
  const std::size_t M = g.rows(), P = g.patch(), F = g.f;
  std::fill_n(dx, g.n * g.h * g.w * g.c, T(0));
  if (M == 0 || P == 0) return;
  if (F == 0) return;
  ensure_blas_configured();
  if (g.pointwise()) {
    gemm(false, true, M, P, F, gy, F, kernel, F, T(0), dx);
    return;
  }
  const std::size_t block = block_rows(g);
  std::vector<T> buffer(std::min(block, M) * P);
  for (std::size_t r0 = 0; r0 < M; r0 += block) {
    const std::size_t r1 = std::min(M, r0 + block);
    gemm(false, true, r1 - r0, P, F, gy + r0 * F, F, kernel, F, T(0), buffer.data());
    col2im_rows_add(buffer.data(), g, r0, r1, dx);
  }
}

// dK = im2col(x)ᵀ · g, accumulated block by block.
template <class T>
void conv_backward_kernel(const T* x, const T* gy, const Geometry& g, T* dk) {
  const std::size_t M = g.rows(), P = g.patch(), F = g.f;
  if (M == 0 || P == 0 || F == 0) {
    std::fill_n(dk, P * F, T(0));
    return;
  }
  ensure_blas_configured();
  for_each_patch_block(x, g, [&](std::size_t r0, std::size_t r1, const T* patches) {
    gemm(true, false, P, F, r1 - r0, patches, P, gy + r0 * F, F, r0 == 0 ? T(0) : T(1), dk);
  });
}

// ---- the three convolution primitives ----------------------------------------------------------

template <class T>
Var<T> conv2d_backward_input(const Var<T>& gy, const Var<T>& kernel, const Geometry& g);
template <class T>
Var<T> conv2d_backward_kernel(const Var<T>& x, const Var<T>& gy, const Geometry& g);

// g where y > 0 or NaN, else 0: the backward of the fused relu (relu'' = 0, so y gets no gradient).
template <class T>
Var<T> relu_mask(const Var<T>& g, const Var<T>& y) {
  Array<T> out = Array<T>::from_shape(y.shape());
  const T* gs = g.value().data();
  const T* ys = y.value().data();
  T* o = out.data();
  for (std::size_t i = 0; i < out.size(); ++i) o[i] = ys[i] <= T(0) ? T(0) : gs[i];  // NaN passes, as relu
  return make_output<T>("conv2d_relu_backward", std::move(out), {&g, &y}, [](BackwardContext<T>& c) {
    if (c.needs(0)) c.grads[0] = relu_mask(c.g, c.in[1]);
  });
}

template <class T>
Var<T> conv2d_primitive(const Var<T>& x, const Var<T>& kernel, const Var<T>& bias, const Geometry& g,
                        bool relu = false) {
  Array<T> y = Array<T>::from_shape(g.output_shape(g.f));
  conv_forward(x.value().data(), kernel.value().data(), bias.defined() ? bias.value().data() : nullptr, g, y.data(),
               relu);
  auto backward = [g, relu](BackwardContext<T>& c) {
    const Var<T> gz = relu ? relu_mask(c.g, c.out) : c.g;
    if (c.needs(0)) c.grads[0] = conv2d_backward_input(gz, c.in[1], g);
    if (c.needs(1)) c.grads[1] = conv2d_backward_kernel(c.in[0], gz, g);
    if (c.in.size() > 2 && c.needs(2)) c.grads[2] = sum(gz, {0, 1, 2});
  };
  const char* op = relu ? "conv2d_relu" : "conv2d";
  if (bias.defined()) return make_output<T>(op, std::move(y), {&x, &kernel, &bias}, std::move(backward));
  return make_output<T>(op, std::move(y), {&x, &kernel}, std::move(backward));
}

template <class T>
Var<T> conv2d_backward_input(const Var<T>& gy, const Var<T>& kernel, const Geometry& g) {
  check_same_shape("conv2d_backward_input", "the output gradient", gy.shape(), g.output_shape(g.f));
  check_same_shape("conv2d_backward_input", "the kernel", kernel.shape(), g.kernel_shape());
  Array<T> dx = Array<T>::from_shape(g.input_shape());
  conv_backward_input(gy.value().data(), kernel.value().data(), g, dx.data());
  return make_output<T>("conv2d_backward_input", std::move(dx), {&gy, &kernel}, [g](BackwardContext<T>& c) {
    // dx is bilinear in (g, K): d/dg = conv(h, K), d/dK = backward_kernel(h, g).
    if (c.needs(0)) c.grads[0] = conv2d_primitive(c.g, c.in[1], Var<T>(), g);
    if (c.needs(1)) c.grads[1] = conv2d_backward_kernel(c.g, c.in[0], g);
  });
}

template <class T>
Var<T> conv2d_backward_kernel(const Var<T>& x, const Var<T>& gy, const Geometry& g) {
  check_same_shape("conv2d_backward_kernel", "the input", x.shape(), g.input_shape());
  check_same_shape("conv2d_backward_kernel", "the output gradient", gy.shape(), g.output_shape(g.f));
  Array<T> dk = Array<T>::from_shape(g.kernel_shape());
  conv_backward_kernel(x.value().data(), gy.value().data(), g, dk.data());
  return make_output<T>("conv2d_backward_kernel", std::move(dk), {&x, &gy}, [g](BackwardContext<T>& c) {
    // dK is bilinear in (x, g): d/dx = backward_input(g, h), d/dg = conv(x, h).
    if (c.needs(0)) c.grads[0] = conv2d_backward_input(c.in[1], c.g, g);
    if (c.needs(1)) c.grads[1] = conv2d_primitive(c.in[0], c.g, Var<T>(), g);
  });
}

// ---- max pooling: argmax positions, and the scatter/gather pair by those positions -------------

using Positions = std::shared_ptr<const std::vector<std::uint32_t>>;

template <class T>
Var<T> gather_positions(const Var<T>& x, const Positions& at, const Shape& out_shape);

// out (of out_shape, zeros) with g[i] added at flat position at[i]: max pooling's backward.
template <class T>
Var<T> scatter_positions(const Var<T>& g, const Positions& at, const Shape& out_shape) {
  Array<T> out = xt::zeros<T>(out_shape);
  const T* gs = g.value().data();
  T* o = out.data();
  const std::uint32_t* p = at->data();
  for (std::size_t i = 0; i < at->size(); ++i) o[p[i]] += gs[i];
  return make_output<T>("max_pool2d_backward", std::move(out), {&g}, [at](BackwardContext<T>& c) {
    c.grads[0] = gather_positions(c.g, at, shape_of(c.in[0]));
  });
}

// x[at[i]] for every i, shaped out_shape: the adjoint of scatter_positions.
template <class T>
Var<T> gather_positions(const Var<T>& x, const Positions& at, const Shape& out_shape) {
  Array<T> out = Array<T>::from_shape(out_shape);
  const T* xs = x.value().data();
  T* o = out.data();
  const std::uint32_t* p = at->data();
  for (std::size_t i = 0; i < at->size(); ++i) o[i] = xs[p[i]];
  return make_output<T>("max_pool2d_gather", std::move(out), {&x}, [at](BackwardContext<T>& c) {
    c.grads[0] = scatter_positions(c.g, at, shape_of(c.in[0]));
  });
}

Size2 pool_strides(Size2 pool_size, const Pool2DOptions& options) {
  return options.strides == Size2{0, 0} ? pool_size : options.strides;
}

// Per window position, the number of real (unpadded) input elements along one axis.
std::vector<std::size_t> window_counts(std::size_t out, std::size_t input, std::size_t kernel, std::size_t stride,
                                       std::size_t pad) {
  std::vector<std::size_t> counts(out);
  for (std::size_t o = 0; o < out; ++o) {
    const auto lo = static_cast<std::ptrdiff_t>(o * stride) - static_cast<std::ptrdiff_t>(pad);
    const std::ptrdiff_t b = std::max<std::ptrdiff_t>(lo, 0);
    const std::ptrdiff_t e = std::min<std::ptrdiff_t>(lo + static_cast<std::ptrdiff_t>(kernel), static_cast<std::ptrdiff_t>(input));
    counts[o] = static_cast<std::size_t>(std::max<std::ptrdiff_t>(e - b, 0));
  }
  return counts;
}

}  // namespace

std::size_t conv_output_length(std::size_t input, std::size_t kernel, std::size_t stride, Padding padding) {
  if (stride == 0) throw ShapeError("conv_output_length: stride must be positive");
  if (padding == Padding::same) return (input + stride - 1) / stride;
  return input >= kernel ? (input - kernel) / stride + 1 : 0;
}

// ---- conv2d --------------------------------------------------------------------------------------

// The checked geometry of conv2d(x, kernel, bias).
template <class T>
Geometry conv2d_geometry(const char* op, const Var<T>& x, const Var<T>& kernel, const Var<T>& bias,
                         const Conv2DOptions& options) {
  if (kernel.dim() != 4) {
    throw ShapeError(std::string(op) + ": expects a kernel of shape (kernel_h, kernel_w, in_channels, filters), got " +
                     shape_str(kernel.shape()));
  }
  const auto& ks = kernel.shape();
  Geometry g = make_geometry(op, x.shape(), {ks[0], ks[1]}, options.strides, options.padding);
  g.f = ks[3];
  if (ks[2] != g.c) {
    throw ShapeError(std::string(op) + ": kernel " + shape_str(ks) + " expects " + std::to_string(ks[2]) +
                     " input channels, but the input " + shape_str(x.shape()) + " has " + std::to_string(g.c));
  }
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != g.f)) {
    throw ShapeError(std::string(op) + ": bias of shape " + shape_str(bias.shape()) + " does not match the " +
                     std::to_string(g.f) + " filters of kernel " + shape_str(ks));
  }
  check_blas_size(op, g);
  return g;
}

template <class T>
Var<T> conv2d(const Var<T>& x, const Var<T>& kernel, const Var<T>& bias, const Conv2DOptions& options,
              Activation activation) {
  const bool relu = activation == Activation::relu;
  const Geometry g = conv2d_geometry(relu ? "conv2d_relu" : "conv2d", x, kernel, bias, options);
  if (relu) return conv2d_primitive(x, kernel, bias, g, true);
  return activate(conv2d_primitive(x, kernel, bias, g), activation);
}

// ---- im2col / col2im -----------------------------------------------------------------------------

template <class T>
Var<T> im2col(const Var<T>& x, Size2 kernel_size, const Conv2DOptions& options) {
  const Geometry g = make_geometry("im2col", x.shape(), kernel_size, options.strides, options.padding);
  Array<T> cols = Array<T>::from_shape({g.rows(), g.patch()});
  im2col_rows(x.value().data(), g, 0, g.rows(), cols.data());
  return make_output<T>("im2col", std::move(cols), {&x}, [kernel_size, options](BackwardContext<T>& c) {
    c.grads[0] = col2im(c.g, shape_of(c.in[0]), kernel_size, options);
  });
}

template <class T>
Var<T> col2im(const Var<T>& cols, const Shape& input_shape, Size2 kernel_size, const Conv2DOptions& options) {
  const Geometry g = make_geometry("col2im", input_shape, kernel_size, options.strides, options.padding);
  check_same_shape("col2im", "the patch matrix", cols.shape(), Shape{g.rows(), g.patch()});
  Array<T> x = xt::zeros<T>(input_shape);
  col2im_rows_add(cols.value().data(), g, 0, g.rows(), x.data());
  return make_output<T>("col2im", std::move(x), {&cols}, [kernel_size, options](BackwardContext<T>& c) {
    c.grads[0] = im2col(c.g, kernel_size, options);
  });
}

// ---- pooling -------------------------------------------------------------------------------------

template <class T>
Var<T> max_pool2d(const Var<T>& x, Size2 pool_size, const Pool2DOptions& options) {
  const Geometry g = make_geometry("max_pool2d", x.shape(), pool_size, pool_strides(pool_size, options),
                                   options.padding, "pool");
  if (x.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw ShapeError("max_pool2d: inputs of more than 2^32 elements are not supported, got " + shape_str(x.shape()));
  }
  const Shape out_shape = g.output_shape(g.c);
  Array<T> y = Array<T>::from_shape(out_shape);
  auto at = std::make_shared<std::vector<std::uint32_t>>(y.size());
  const T* xs = x.value().data();
  const auto H = static_cast<std::ptrdiff_t>(g.h), W = static_cast<std::ptrdiff_t>(g.w);
  const std::size_t C = g.c;
  for_each_window(g, 0, g.rows(), [&](std::size_t r, std::size_t n, std::ptrdiff_t iy0, std::ptrdiff_t ix0) {
    T* best = y.data() + r * C;
    std::uint32_t* pos = at->data() + r * C;
    std::fill_n(best, C, -std::numeric_limits<T>::infinity());
    std::fill_n(pos, C, std::uint32_t(0));
    bool first = true;
    for (std::ptrdiff_t iy = std::max<std::ptrdiff_t>(iy0, 0); iy < std::min<std::ptrdiff_t>(iy0 + std::ptrdiff_t(g.kh), H); ++iy) {
      for (std::ptrdiff_t ix = std::max<std::ptrdiff_t>(ix0, 0); ix < std::min<std::ptrdiff_t>(ix0 + std::ptrdiff_t(g.kw), W); ++ix) {
        const std::size_t base = ((n * g.h + std::size_t(iy)) * g.w + std::size_t(ix)) * C;
        const T* v = xs + base;
        const auto b = static_cast<std::uint32_t>(base);
        if (first) {  // the window's first real element: taken as is (also when it is NaN or -inf)
          for (std::size_t ch = 0; ch < C; ++ch) best[ch] = v[ch], pos[ch] = b + std::uint32_t(ch);
          first = false;
          continue;
        }
        for (std::size_t ch = 0; ch < C; ++ch) {
          // Strictly larger, so a tie keeps the first maximum; the first NaN is taken and kept.
          const bool larger = v[ch] > best[ch] || (v[ch] != v[ch] && best[ch] == best[ch]);
          best[ch] = larger ? v[ch] : best[ch];
          pos[ch] = larger ? b + std::uint32_t(ch) : pos[ch];
        }
      }
    }
  });
  Positions positions = std::move(at);
  return make_output<T>("max_pool2d", std::move(y), {&x}, [positions](BackwardContext<T>& c) {
    c.grads[0] = scatter_positions(c.g, positions, shape_of(c.in[0]));
  });
}

template <class T>
Var<T> avg_pool2d(const Var<T>& x, Size2 pool_size, const Pool2DOptions& options) {
  // A composite: the windows as patch rows (pool_h·pool_w, C), summed, divided by the number of
  // real elements in each window.
  const Size2 strides = pool_strides(pool_size, options);
  const Geometry g = make_geometry("avg_pool2d", x.shape(), pool_size, strides, options.padding, "pool");
  const Var<T> windows = reshape(im2col(x, pool_size, {strides, options.padding}), {g.rows(), g.kh * g.kw, g.c});
  const Var<T> sums = reshape(sum(windows, {1}), g.output_shape(g.c));
  if (g.pad_top == 0 && g.pad_left == 0 && (g.oh - 1) * g.sh + g.kh <= g.h && (g.ow - 1) * g.sw + g.kw <= g.w) {
    return sums / static_cast<T>(g.kh * g.kw);
  }
  const auto rows = window_counts(g.oh, g.h, g.kh, g.sh, g.pad_top);
  const auto cols = window_counts(g.ow, g.w, g.kw, g.sw, g.pad_left);
  Array<T> inverse = Array<T>::from_shape({1, g.oh, g.ow, 1});
  for (std::size_t i = 0; i < g.oh; ++i)
    for (std::size_t j = 0; j < g.ow; ++j) inverse(0, i, j, 0) = T(1) / static_cast<T>(rows[i] * cols[j]);
  return sums * Var<T>(std::move(inverse));
}

template <class T>
Var<T> global_avg_pool2d(const Var<T>& x) {
  if (x.dim() != 4) {
    throw ShapeError("global_avg_pool2d: expects an input of shape (batch, height, width, channels), got " +
                     shape_str(x.shape()));
  }
  if (x.shape()[1] == 0 || x.shape()[2] == 0) {
    throw ShapeError("global_avg_pool2d: empty spatial extent in input of shape " + shape_str(x.shape()));
  }
  return mean(x, {1, 2});
}

// ---- explicit instantiation for float and double -------------------------------------------------

#define AD_INSTANTIATE_CONV(T)                                                                   \
  template Var<T> conv2d(const Var<T>&, const Var<T>&, const Var<T>&, const Conv2DOptions&, Activation); \
  template Var<T> im2col(const Var<T>&, Size2, const Conv2DOptions&);                          \
  template Var<T> col2im(const Var<T>&, const Shape&, Size2, const Conv2DOptions&);            \
  template Var<T> max_pool2d(const Var<T>&, Size2, const Pool2DOptions&);                      \
  template Var<T> avg_pool2d(const Var<T>&, Size2, const Pool2DOptions&);                      \
  template Var<T> global_avg_pool2d(const Var<T>&);
AD_INSTANTIATE_CONV(float)
AD_INSTANTIATE_CONV(double)
#undef AD_INSTANTIATE_CONV

}  // namespace ad
