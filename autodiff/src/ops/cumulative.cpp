// Cumulative sums along an axis. The backward of a running sum is the running sum in the other
// direction, so both directions are one op whose backward flips the direction.

#include <string>

#include "autodiff/ops.hpp"
#include "ops/common.hpp"
#include "ops/internal.hpp"
#include "tape.hpp"

namespace ad {

namespace {

// Running sums of x along `axis`, from the front (or, when `reverse`, from the back).
template <class T>
Array<T> running_sums(const Array<T>& x, std::size_t axis, bool reverse) {
  Array<T> out = x;
  const AxisBlocks b(x.shape(), axis);
  for (std::size_t o = 0; o < b.outer; ++o) {
    T* base = out.data() + o * b.length * b.inner;
    for (std::size_t k = 1; k < b.length; ++k) {
      const std::size_t to = reverse ? b.length - 1 - k : k;
      const std::size_t from = reverse ? to + 1 : to - 1;
      for (std::size_t i = 0; i < b.inner; ++i) base[to * b.inner + i] += base[from * b.inner + i];
    }
  }
  return out;
}

template <class T>
Var<T> cumsum_direction(const Var<T>& x, std::size_t axis, bool reverse) {
  Array<T> v = running_sums(x.value(), axis, reverse);
  return make_output<T>(reverse ? "reverse_cumsum" : "cumsum", std::move(v), {&x},
                        [axis, reverse](BackwardContext<T>& c) { c.grads[0] = cumsum_direction(c.g, axis, !reverse); });
}

}  // namespace

template <class T>
Var<T> cumsum(const Var<T>& x, std::ptrdiff_t axis) {
  return cumsum_direction(x, normalize_axis("cumsum", axis, x.dim()), false);
}

// ---- explicit instantiation for float and double ---------------------------------------------

#define AD_INSTANTIATE(T) template Var<T> cumsum(const Var<T>&, std::ptrdiff_t);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
