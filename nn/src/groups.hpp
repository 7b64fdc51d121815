// Where a kernel's groups lie (GroupBy, regularizers.hpp): the grouped axis k (-2 for input, -1
// for output) splits the row-major data into outer · count · stride elements, the element
// (o, g, s) at o·count·stride + g·stride + s belonging to group g. Used by the group penalties'
// values (the axes to reduce) and by their proximal steps (the elements of each group).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include <autodiff/var.hpp>

#include "nn/regularizers.hpp"

namespace nn::detail {

struct GroupLayout {
  std::size_t outer = 1, count = 1, stride = 1;
  std::size_t axis = 0;  // the grouped axis, counted from the front

  std::size_t group_size() const { return outer * stride; }
  ad::Axes reduced_axes(std::size_t rank) const;  // every axis but the grouped one
  // f(i) for every index i of group g's elements, in row-major order.
  template <class F>
  void for_each_in_group(std::size_t g, F&& f) const {
    for (std::size_t o = 0; o < outer; ++o) {
      const std::size_t base = (o * count + g) * stride;
      for (std::size_t s = 0; s < stride; ++s) f(base + s);
    }
  }
};

// The layout of `shape`'s groups; std::invalid_argument naming `who` and the shape when the
// shape has rank < 2 (no grouped axis).
GroupLayout group_layout(std::string_view who, std::span<const std::size_t> shape, GroupBy groups);

const char* group_name(GroupBy groups);  // "input", "output"

}  // namespace nn::detail
