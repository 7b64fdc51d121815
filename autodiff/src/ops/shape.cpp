// Shape ops: reshape, broadcast, sum_to_shape, gather/scatter of rows, concat, slice, pad_axis, and
// those built from them: stack, split, squeeze, unsqueeze, tile, repeat, pad; and flip.

#include <algorithm>
#include <numeric>

#include <xtensor/xbroadcast.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "reduce.hpp"
#include "tape.hpp"

namespace ad {

Shape unsigned_shape(const std::vector<std::ptrdiff_t>& dims) {
  Shape r;
  for (auto d : dims) {
    if (d < -1) throw ShapeError("reshape: negative entry " + std::to_string(d) + " in the target shape");
    r.push_back(d == -1 ? infer : static_cast<std::size_t>(d));
  }
  return r;
}

template <class T>
Var<T> reshape(const Var<T>& x, const Shape& requested) {
  Shape shape = requested;
  const auto inferred = std::find(shape.begin(), shape.end(), infer);
  if (inferred != shape.end()) {
    if (std::find(inferred + 1, shape.end(), infer) != shape.end()) {
      throw ShapeError("reshape: more than one inferred (-1) entry in the target shape");
    }
    std::size_t known = 1;
    for (auto d : shape) known *= d == infer ? 1 : d;
    if (known == 0 || x.size() % known != 0) {
      throw ShapeError("reshape: cannot infer an entry to reshape " + shape_str(x.shape()) + " (" +
                       std::to_string(x.size()) + " elements) with " + std::to_string(known) +
                       " elements in the other entries");
    }
    *inferred = x.size() / known;
  }
  const std::size_t n = std::accumulate(shape.begin(), shape.end(), std::size_t(1), std::multiplies<>());
  if (n != x.size()) {
    throw ShapeError("reshape: cannot reshape " + shape_str(x.shape()) + " (" + std::to_string(x.size()) +
                     " elements) to " + shape_str(shape));
  }
  Array<T> v = x.value();
  v.reshape(shape);
  return make_output<T>("reshape", std::move(v), {&x}, [](BackwardContext<T>& c) {
    c.grads[0] = reshape(c.g, to_shape(c.in[0].shape()));
  });
}

template <class T>
Var<T> flatten(const Var<T>& x, std::ptrdiff_t start) {
  const auto d = static_cast<std::ptrdiff_t>(x.dim());
  if (start < -d || start > d) {
    throw ShapeError("flatten: start axis " + std::to_string(start) + " beyond shape " + shape_str(x.shape()));
  }
  const auto start_axis = static_cast<std::size_t>(start < 0 ? start + d : start);
  Shape s(x.shape().begin(), x.shape().begin() + static_cast<std::ptrdiff_t>(start_axis));
  std::size_t rest = 1;
  for (std::size_t i = start_axis; i < x.dim(); ++i) rest *= x.shape()[i];
  s.push_back(rest);
  return reshape(x, s);
}

template <class T>
Var<T> broadcast_to(const Var<T>& x, const Shape& shape) {
  if (broadcast_shapes("broadcast_to", x.shape(), shape) != shape) {
    throw ShapeError("broadcast_to: cannot broadcast " + shape_str(x.shape()) + " to " + shape_str(shape));
  }
  Array<T> v = xt::broadcast(x.value(), shape);
  return make_output<T>("broadcast_to", std::move(v), {&x}, [](BackwardContext<T>& c) {
    c.grads[0] = sum_to_shape(c.g, to_shape(c.in[0].shape()));
  });
}

template <class T>
Var<T> sum_to_shape(const Var<T>& x, const Shape& shape) {
  if (std::equal(x.shape().begin(), x.shape().end(), shape.begin(), shape.end())) return x;
  if (broadcast_shapes("sum_to_shape", shape, x.shape()) != to_shape(x.shape())) {
    throw ShapeError("sum_to_shape: " + shape_str(shape) + " does not broadcast to " + shape_str(x.shape()));
  }
  // Sum the leading axes that broadcasting added, and the axes where the target has length 1.
  const std::size_t lead = x.dim() - shape.size();
  std::vector<std::size_t> axes;
  for (std::size_t i = 0; i < x.dim(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1)) axes.push_back(i);
  }
  Array<T> v = reduce::reduce_keepdims<reduce::Sum>(x.value(), axes);
  v.reshape(shape);
  return make_output<T>("sum_to_shape", std::move(v), {&x}, [](BackwardContext<T>& c) {
    c.grads[0] = broadcast_to(c.g, to_shape(c.in[0].shape()));
  });
}

// gather_rows and scatter_add_rows are gather and scatter_add along axis 0 (ops/indexing.cpp),
// for unsigned row indices, with errors that name them.
namespace {

Indices row_indices(const char* op, const std::vector<std::size_t>& indices, std::size_t rows,
                    const std::string& what) {
  Indices r = Indices::from_shape({indices.size()});
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= rows) {
      throw ShapeError(std::string(op) + ": index " + std::to_string(indices[i]) + " at position " +
                       std::to_string(i) + " is out of range for " + what);
    }
    r(i) = static_cast<std::ptrdiff_t>(indices[i]);
  }
  return r;
}

}  // namespace

template <class T>
Var<T> gather_rows(const Var<T>& x, const std::vector<std::size_t>& indices) {
  if (x.dim() == 0) throw ShapeError("gather_rows: needs at least 1-D input, got a 0-D one");
  return gather(x, row_indices("gather_rows", indices, x.shape()[0], "shape " + shape_str(x.shape())), 0);
}

template <class T>
Var<T> scatter_add_rows(const Var<T>& x, const std::vector<std::size_t>& indices, std::size_t rows) {
  if (x.dim() == 0 || x.shape()[0] != indices.size()) {
    throw ShapeError("scatter_add_rows: " + std::to_string(indices.size()) + " indices for input of shape " +
                     shape_str(x.shape()));
  }
  return scatter_add(x, row_indices("scatter_add_rows", indices, rows, std::to_string(rows) + " rows"), 0, rows);
}

template <class T>
Var<T> concat(const std::vector<Var<T>>& xs, std::ptrdiff_t axis) {
  if (xs.empty()) throw ShapeError("concat: no inputs");
  const std::size_t dim = xs[0].dim();
  const std::size_t ax = normalize_axis("concat", axis, dim);
  Shape s = to_shape(xs[0].shape());
  s[ax] = 0;
  for (const auto& x : xs) {
    bool same = x.dim() == dim;
    for (std::size_t i = 0; same && i < dim; ++i) same = i == ax || x.shape()[i] == xs[0].shape()[i];
    if (!same) {
      throw ShapeError("concat: shape " + shape_str(x.shape()) + " does not fit " + shape_str(xs[0].shape()) +
                       " along axis " + std::to_string(ax));
    }
    s[ax] += x.shape()[ax];
  }
  Array<T> v = Array<T>::from_shape(s);
  std::vector<std::size_t> offsets;
  std::size_t at = 0;
  for (const auto& x : xs) {
    offsets.push_back(at);
    copy_along_axis(x.value(), 0, v, at, x.shape()[ax], ax);
    at += x.shape()[ax];
  }
  std::vector<const Var<T>*> inputs;
  for (const auto& x : xs) inputs.push_back(&x);
  return make_output<T>("concat", std::move(v), std::span<const Var<T>* const>(inputs),
                        [ax, offsets](BackwardContext<T>& c) {
                          for (std::size_t i = 0; i < c.in.size(); ++i) {
                            if (c.needs(i)) {
                              c.grads[i] = slice(c.g, static_cast<std::ptrdiff_t>(ax), offsets[i],
                                                 offsets[i] + c.in[i].shape()[ax]);
                            }
                          }
                        });
}

template <class T>
Var<T> slice(const Var<T>& x, std::ptrdiff_t axis, std::size_t begin, std::size_t end) {
  const std::size_t ax = normalize_axis("slice", axis, x.dim());
  if (begin > end || end > x.shape()[ax]) {
    throw ShapeError("slice: range [" + std::to_string(begin) + ", " + std::to_string(end) + ") along axis " +
                     std::to_string(ax) + " of shape " + shape_str(x.shape()));
  }
  Shape s = to_shape(x.shape());
  s[ax] = end - begin;
  Array<T> v = Array<T>::from_shape(s);
  copy_along_axis(x.value(), begin, v, 0, end - begin, ax);
  return make_output<T>("slice", std::move(v), {&x}, [ax, begin](BackwardContext<T>& c) {
    c.grads[0] = pad_axis(c.g, static_cast<std::ptrdiff_t>(ax), begin, c.in[0].shape()[ax]);
  });
}

template <class T>
Var<T> pad_axis(const Var<T>& x, std::ptrdiff_t axis, std::size_t begin, std::size_t size) {
  const std::size_t ax = normalize_axis("pad_axis", axis, x.dim());
  const std::size_t len = x.shape()[ax];
  if (begin + len > size) {
    throw ShapeError("pad_axis: " + std::to_string(len) + " elements at " + std::to_string(begin) +
                     " do not fit in length " + std::to_string(size));
  }
  Shape s = to_shape(x.shape());
  s[ax] = size;
  Array<T> v = xt::zeros<T>(s);
  copy_along_axis(x.value(), 0, v, begin, len, ax);
  return make_output<T>("pad_axis", std::move(v), {&x}, [ax, begin](BackwardContext<T>& c) {
    c.grads[0] = slice(c.g, static_cast<std::ptrdiff_t>(ax), begin, begin + c.in[0].shape()[ax]);
  });
}

template <class T>
Var<T> stack(const std::vector<Var<T>>& xs, std::ptrdiff_t axis) {
  if (xs.empty()) throw ShapeError("stack: no inputs");
  const std::size_t ax = normalize_axis("stack", axis, xs[0].dim() + 1);
  std::vector<Var<T>> expanded;
  for (const auto& x : xs) {
    if (!std::equal(x.shape().begin(), x.shape().end(), xs[0].shape().begin(), xs[0].shape().end())) {
      throw ShapeError("stack: shape " + shape_str(x.shape()) + " differs from " + shape_str(xs[0].shape()));
    }
    expanded.push_back(unsqueeze(x, static_cast<std::ptrdiff_t>(ax)));
  }
  return concat(expanded, static_cast<std::ptrdiff_t>(ax));
}

template <class T>
std::vector<Var<T>> split(const Var<T>& x, const std::vector<std::size_t>& sizes, std::ptrdiff_t axis) {
  const std::size_t ax = normalize_axis("split", axis, x.dim());
  const std::size_t total = std::accumulate(sizes.begin(), sizes.end(), std::size_t(0));
  if (total != x.shape()[ax]) {
    throw ShapeError("split: sizes " + shape_str(sizes) + " add up to " + std::to_string(total) + ", not to the length " +
                     std::to_string(x.shape()[ax]) + " of axis " + std::to_string(ax) + " of shape " +
                     shape_str(x.shape()));
  }
  std::vector<Var<T>> parts;
  std::size_t at = 0;
  for (auto n : sizes) {
    parts.push_back(slice(x, static_cast<std::ptrdiff_t>(ax), at, at + n));
    at += n;
  }
  return parts;
}

template <class T>
std::vector<Var<T>> split(const Var<T>& x, std::size_t sections, std::ptrdiff_t axis) {
  const std::size_t ax = normalize_axis("split", axis, x.dim()), len = x.shape()[ax];
  if (sections == 0 || len % sections != 0) {
    throw ShapeError("split: axis " + std::to_string(ax) + " of length " + std::to_string(len) + " of shape " +
                     shape_str(x.shape()) + " does not divide into " + std::to_string(sections) + " equal sections");
  }
  return split(x, std::vector<std::size_t>(sections, len / sections), axis);
}

template <class T>
Var<T> squeeze(const Var<T>& x, const Axes& axes) {
  const std::vector<std::size_t> ax = normalize_axes("squeeze", axes, x.dim());
  for (auto a : ax) {
    if (x.shape()[a] != 1) {
      throw ShapeError("squeeze: axis " + std::to_string(a) + " of shape " + shape_str(x.shape()) + " has length " +
                       std::to_string(x.shape()[a]) + ", not 1");
    }
  }
  return reshape(x, reduced_shape(x.shape(), ax));
}

template <class T>
Var<T> squeeze(const Var<T>& x) {
  Axes ones;
  for (std::size_t i = 0; i < x.dim(); ++i) {
    if (x.shape()[i] == 1) ones.push_back(static_cast<std::ptrdiff_t>(i));
  }
  return squeeze(x, ones);
}

template <class T>
Var<T> unsqueeze(const Var<T>& x, std::ptrdiff_t axis) {
  const std::size_t ax = normalize_axis("unsqueeze", axis, x.dim() + 1);
  Shape s = to_shape(x.shape());
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(ax), 1);
  return reshape(x, s);
}

// Reverses v in place along `axis`.
template <class T>
void reverse_along_axis(Array<T>& v, std::size_t axis) {
  const AxisBlocks b(v.shape(), axis);
  for (std::size_t o = 0; o < b.outer; ++o) {
    T* block = v.data() + o * b.length * b.inner;
    for (std::size_t j = 0; j < b.length / 2; ++j) {
      std::swap_ranges(block + j * b.inner, block + (j + 1) * b.inner, block + (b.length - 1 - j) * b.inner);
    }
  }
}

template <class T>
Var<T> flip(const Var<T>& x, const Axes& axes) {
  const std::vector<std::size_t> ax = normalize_axes("flip", axes, x.dim());
  Array<T> v = x.value();
  for (auto a : ax) reverse_along_axis(v, a);
  return make_output<T>("flip", std::move(v), {&x}, [axes](BackwardContext<T>& c) {
    c.grads[0] = flip(c.g, axes);
  });
}

// tile and repeat: x seen with an axis of length 1 next to each tiled or repeated axis, broadcast
// along those axes, and the pairs of axes merged. `before` puts the copies outside the original
// axis (tile: a b a b) rather than inside it (repeat: a a b b).
template <class T>
Var<T> broadcast_and_merge(const Var<T>& x, const Shape& counts, bool before) {
  Shape spread, target, merged;
  for (std::size_t i = 0; i < x.dim(); ++i) {
    const std::size_t d = x.shape()[i], n = counts[i];
    spread.push_back(before ? 1 : d);
    spread.push_back(before ? d : 1);
    target.push_back(before ? n : d);
    target.push_back(before ? d : n);
    merged.push_back(d * n);
  }
  return reshape(broadcast_to(reshape(x, spread), target), merged);
}

template <class T>
Var<T> tile(const Var<T>& x, const Shape& reps) {
  const std::size_t dim = std::max(x.dim(), reps.size());
  Shape shape(dim - x.dim(), 1), counts(dim - reps.size(), 1);
  shape.insert(shape.end(), x.shape().begin(), x.shape().end());
  counts.insert(counts.end(), reps.begin(), reps.end());
  return broadcast_and_merge(reshape(x, shape), counts, true);
}

template <class T>
Var<T> repeat(const Var<T>& x, std::size_t n, std::ptrdiff_t axis) {
  Shape counts(x.dim(), 1);
  counts[normalize_axis("repeat", axis, x.dim())] = n;
  return broadcast_and_merge(x, counts, false);
}

template <class T>
Var<T> pad(const Var<T>& x, const PadWidths& widths, Scalar<T> value) {
  if (widths.size() != x.dim()) {
    throw ShapeError("pad: " + std::to_string(widths.size()) + " (before, after) pairs for shape " +
                     shape_str(x.shape()) + ", which needs one per axis");
  }
  auto zero_padded = [&widths](Var<T> v) {
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const auto [before, after] = widths[i];
      if (before + after > 0) v = pad_axis(v, static_cast<std::ptrdiff_t>(i), before, v.shape()[i] + before + after);
    }
    return v;
  };
  const Var<T> padded = zero_padded(x);
  if (value == T(0)) return padded;
  const Var<T> inside = zero_padded(constant(Array<T>(xt::ones<T>(x.shape()))));
  return padded + constant(Array<T>(value * (T(1) - inside.value())));
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> reshape(const Var<T>&, const Shape&);                                                        \
  template Var<T> flatten(const Var<T>&, std::ptrdiff_t);                                                      \
  template Var<T> broadcast_to(const Var<T>&, const Shape&);                                                   \
  template Var<T> sum_to_shape(const Var<T>&, const Shape&);                                                   \
  template Var<T> gather_rows(const Var<T>&, const std::vector<std::size_t>&);                                 \
  template Var<T> scatter_add_rows(const Var<T>&, const std::vector<std::size_t>&, std::size_t);               \
  template Var<T> concat(const std::vector<Var<T>>&, std::ptrdiff_t);                                          \
  template Var<T> slice(const Var<T>&, std::ptrdiff_t, std::size_t, std::size_t);                              \
  template Var<T> pad_axis(const Var<T>&, std::ptrdiff_t, std::size_t, std::size_t);                          \
  template Var<T> stack(const std::vector<Var<T>>&, std::ptrdiff_t);                                           \
  template std::vector<Var<T>> split(const Var<T>&, std::size_t, std::ptrdiff_t);                              \
  template std::vector<Var<T>> split(const Var<T>&, const std::vector<std::size_t>&, std::ptrdiff_t);          \
  template Var<T> squeeze(const Var<T>&);                                                                      \
  template Var<T> squeeze(const Var<T>&, const Axes&);                                                         \
  template Var<T> unsqueeze(const Var<T>&, std::ptrdiff_t);                                                    \
  template Var<T> flip(const Var<T>&, const Axes&);                                                            \
  template Var<T> tile(const Var<T>&, const Shape&);                                                           \
  template Var<T> repeat(const Var<T>&, std::size_t, std::ptrdiff_t);                                          \
  template Var<T> pad(const Var<T>&, const PadWidths&, Scalar<T>);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
