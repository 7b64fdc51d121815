#include "groups.hpp"

#include <stdexcept>
#include <string>

namespace nn::detail {

const char* group_name(GroupBy groups) { return groups == GroupBy::input ? "input" : "output"; }

ad::Axes GroupLayout::reduced_axes(std::size_t rank) const {
  ad::Axes axes;
  for (std::size_t a = 0; a < rank; ++a) {
    if (a != axis) axes.push_back(static_cast<std::ptrdiff_t>(a));
  }
  return axes;
}

GroupLayout group_layout(std::string_view who, std::span<const std::size_t> shape, GroupBy groups) {
  if (shape.size() < 2) {
    throw std::invalid_argument(std::string(who) + ": groups by " + group_name(groups) +
                                " need a kernel of rank >= 2 (grouped axis " +
                                (groups == GroupBy::input ? "-2" : "-1") + "), got shape " + ad::shape_str(shape));
  }
  GroupLayout layout;
  layout.axis = groups == GroupBy::input ? shape.size() - 2 : shape.size() - 1;
  layout.count = shape[layout.axis];
  for (std::size_t a = 0; a < layout.axis; ++a) layout.outer *= shape[a];
  for (std::size_t a = layout.axis + 1; a < shape.size(); ++a) layout.stride *= shape[a];
  return layout;
}

}  // namespace nn::detail
