// Indexing ops: gather (np.take) and take_along_axis, and their adjoints scatter_add and
// scatter_add_along_axis; each one's backward is the other of its pair.

#include <string>

#include <xtensor/xbroadcast.hpp>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "tape.hpp"

namespace ad {
namespace {

// The indices as positions in [0, length), negative ones counted from the end (numpy).
std::vector<std::size_t> checked_indices(const char* op, const Indices& indices, std::size_t length,
                                         std::size_t axis) {
  std::vector<std::size_t> r(indices.size());
  const auto len = static_cast<std::ptrdiff_t>(length);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const std::ptrdiff_t k = indices.data()[i];
    if (k < -len || k >= len) {
      throw ShapeError(std::string(op) + ": index " + std::to_string(k) + " is out of range for axis " +
                       std::to_string(axis) + " of length " + std::to_string(length));
    }
    r[i] = static_cast<std::size_t>(k < 0 ? k + len : k);
  }
  return r;
}

// Calls f(p, q) for each element picked by the indices along an axis: p its position in the picked
// array, seen as `picked` (outer, picks, inner), q the position of its source in the array of
// `length` along the axis. One index per pick (gather) or one per picked element (take_along_axis).
template <class F>
void for_each_pick(const AxisBlocks& picked, std::size_t length, const std::vector<std::size_t>& idx,
                   bool per_element, F&& f) {
  for (std::size_t o = 0; o < picked.outer; ++o) {
    for (std::size_t j = 0; j < picked.length; ++j) {
      for (std::size_t i = 0; i < picked.inner; ++i) {
        const std::size_t p = (o * picked.length + j) * picked.inner + i;
        f(p, (o * length + idx[per_element ? p : j]) * picked.inner + i);
      }
    }
  }
}

// The picked elements of `from`, in an array of `shape`.
template <class T>
Array<T> picked_values(const Array<T>& from, const AxisBlocks& picked, std::size_t length,
                       const std::vector<std::size_t>& idx, bool per_element, const Shape& shape) {
  Array<T> v = xt::zeros<T>(shape);
  for_each_pick(picked, length, idx, per_element, [&](std::size_t p, std::size_t q) { v.data()[p] = from.data()[q]; });
  return v;
}

// The elements of `from` (the picked array) added into zeros of `shape` at their sources.
template <class T>
Array<T> scattered_values(const Array<T>& from, const AxisBlocks& picked, std::size_t length,
                          const std::vector<std::size_t>& idx, bool per_element, const Shape& shape) {
  Array<T> v = xt::zeros<T>(shape);
  for_each_pick(picked, length, idx, per_element, [&](std::size_t p, std::size_t q) { v.data()[q] += from.data()[p]; });
  return v;
}

// take_along_axis once x and the indices have the same shape but along the axis.
template <class T>
Var<T> take_along_same_shape(const Var<T>& x, const Indices& indices, std::size_t ax) {
  const std::size_t length = x.shape()[ax];
  const auto idx = checked_indices("take_along_axis", indices, length, ax);
  const Shape s = to_shape(indices.shape());
  Array<T> v = picked_values(x.value(), AxisBlocks(s, ax), length, idx, true, s);
  return make_output<T>("take_along_axis", std::move(v), {&x}, [indices, ax](BackwardContext<T>& c) {
    c.grads[0] = scatter_add_along_axis(c.g, indices, static_cast<std::ptrdiff_t>(ax), c.in[0].shape()[ax]);
  });
}

}  // namespace

template <class T>
Var<T> gather(const Var<T>& x, const Indices& indices, std::ptrdiff_t axis) {
  const std::size_t ax = normalize_axis("gather", axis, x.dim()), length = x.shape()[ax];
  const auto idx = checked_indices("gather", indices, length, ax);
  AxisBlocks picked(x.shape(), ax);
  picked.length = idx.size();
  Shape s(x.shape().begin(), x.shape().begin() + static_cast<std::ptrdiff_t>(ax));
  s.insert(s.end(), indices.shape().begin(), indices.shape().end());
  s.insert(s.end(), x.shape().begin() + static_cast<std::ptrdiff_t>(ax) + 1, x.shape().end());
  Array<T> v = picked_values(x.value(), picked, length, idx, false, s);
  return make_output<T>("gather", std::move(v), {&x}, [indices, ax](BackwardContext<T>& c) {
    c.grads[0] = scatter_add(c.g, indices, static_cast<std::ptrdiff_t>(ax), c.in[0].shape()[ax]);
  });
}

template <class T>
Var<T> scatter_add(const Var<T>& x, const Indices& indices, std::ptrdiff_t axis, std::size_t length) {
  const std::size_t k = indices.dimension();
  const std::size_t ax = normalize_axis("scatter_add", axis, x.dim() + 1 >= k ? x.dim() + 1 - k : 0);
  if (!std::equal(indices.shape().begin(), indices.shape().end(), x.shape().begin() + static_cast<std::ptrdiff_t>(ax),
                  x.shape().begin() + static_cast<std::ptrdiff_t>(std::min(ax + k, x.dim())))) {
    throw ShapeError("scatter_add: input of shape " + shape_str(x.shape()) + " does not hold indices of shape " +
                     shape_str(indices.shape()) + " at axis " + std::to_string(ax));
  }
  const auto idx = checked_indices("scatter_add", indices, length, ax);
  Shape s(x.shape().begin(), x.shape().begin() + static_cast<std::ptrdiff_t>(ax));
  s.push_back(length);
  s.insert(s.end(), x.shape().begin() + static_cast<std::ptrdiff_t>(ax + k), x.shape().end());
  AxisBlocks picked(s, ax);
  picked.length = idx.size();
  Array<T> v = scattered_values(x.value(), picked, length, idx, false, s);
  return make_output<T>("scatter_add", std::move(v), {&x}, [indices, ax](BackwardContext<T>& c) {
    c.grads[0] = gather(c.g, indices, static_cast<std::ptrdiff_t>(ax));
  });
}

template <class T>
Var<T> take_along_axis(const Var<T>& x, const Indices& indices, std::ptrdiff_t axis) {
  if (indices.dimension() != x.dim()) {
    throw ShapeError("take_along_axis: indices of shape " + shape_str(indices.shape()) + " for input of shape " +
                     shape_str(x.shape()) + ": needs as many dimensions");
  }
  const std::size_t ax = normalize_axis("take_along_axis", axis, x.dim());
  // The other axes broadcast: x and the indices are brought to the common shape but along `ax`.
  Shape xs = to_shape(x.shape()), is = to_shape(indices.shape());
  xs[ax] = is[ax] = 1;
  Shape to_x;
  try {
    to_x = broadcast_shapes("take_along_axis", xs, is);
  } catch (const ShapeError&) {
    throw ShapeError("take_along_axis: indices of shape " + shape_str(indices.shape()) +
                     " do not broadcast against input of shape " + shape_str(x.shape()) + " outside axis " +
                     std::to_string(ax));
  }
  Shape to_i = to_x;
  to_x[ax] = x.shape()[ax];
  to_i[ax] = indices.shape()[ax];
  const Var<T> xb = to_x == to_shape(x.shape()) ? x : broadcast_to(x, to_x);
  if (to_i == to_shape(indices.shape())) return take_along_same_shape(xb, indices, ax);
  return take_along_same_shape(xb, Indices(xt::broadcast(indices, to_i)), ax);
}

template <class T>
Var<T> scatter_add_along_axis(const Var<T>& x, const Indices& indices, std::ptrdiff_t axis, std::size_t length) {
  if (!std::equal(x.shape().begin(), x.shape().end(), indices.shape().begin(), indices.shape().end())) {
    throw ShapeError("scatter_add_along_axis: indices of shape " + shape_str(indices.shape()) +
                     " for input of shape " + shape_str(x.shape()) + ": needs the same shape");
  }
  const std::size_t ax = normalize_axis("scatter_add_along_axis", axis, x.dim());
  const auto idx = checked_indices("scatter_add_along_axis", indices, length, ax);
  Shape s = to_shape(x.shape());
  s[ax] = length;
  Array<T> v = scattered_values(x.value(), AxisBlocks(x.shape(), ax), length, idx, true, s);
  return make_output<T>("scatter_add_along_axis", std::move(v), {&x}, [indices, ax](BackwardContext<T>& c) {
    c.grads[0] = take_along_axis(c.g, indices, static_cast<std::ptrdiff_t>(ax));
  });
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T)                                                                                      \
  template Var<T> gather(const Var<T>&, const Indices&, std::ptrdiff_t);                                       \
  template Var<T> scatter_add(const Var<T>&, const Indices&, std::ptrdiff_t, std::size_t);                     \
  template Var<T> take_along_axis(const Var<T>&, const Indices&, std::ptrdiff_t);                              \
  template Var<T> scatter_add_along_axis(const Var<T>&, const Indices&, std::ptrdiff_t, std::size_t);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
