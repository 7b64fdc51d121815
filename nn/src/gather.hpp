// Picking rows of a batch-first array: how fit, evaluate and predict cut batches.
#pragma once

#include <algorithm>
#include <cstddef>

#include <xtensor/xarray.hpp>

namespace nn::detail {

// Rows rows[0], ..., rows[count - 1] of x, in that order, as a new array.
template <class T>
xt::xarray<T> gather(const xt::xarray<T>& x, const std::size_t* rows, std::size_t count) {
  auto shape = x.shape();
  const std::size_t row = x.shape()[0] ? x.size() / x.shape()[0] : 0;
  shape[0] = count;
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  for (std::size_t i = 0; i < count; ++i) std::copy_n(x.data() + rows[i] * row, row, out.data() + i * row);
  return out;
}

}  // namespace nn::detail
