// A per-sample shape written as Keras shows a batch of it: "(None, 28, 28, 1)".
#pragma once

#include <string>

#include "autodiff/var.hpp"

namespace nn::detail {

inline std::string batch_shape_str(const ad::Shape& sample) {
  std::string s = "(None";
  for (auto d : sample) s += ", " + std::to_string(d);
  return s + ")";
}

}  // namespace nn::detail
