#include "nn/select_features.hpp"

#include <stdexcept>

#include <autodiff/autodiff.hpp>

#include "instantiate.hpp"

namespace nn {

template <class T>
SelectFeaturesLayer<T>::SelectFeaturesLayer(const SelectFeatures& spec)
    : Layer<T>(spec.name.empty() ? "select_features" : spec.name), indices_(spec.indices) {
  if (indices_.empty()) throw std::invalid_argument("SelectFeatures '" + this->name() + "': indices must not be empty");
}

template <class T>
ad::Shape SelectFeaturesLayer<T>::output_shape(const ad::Shape& input_shape) const {
  if (input_shape.size() != 1) {
    throw ad::ShapeError("SelectFeatures '" + this->name() + "': expects inputs of shape (batch, features), got " +
                         ad::shape_str(input_shape) + " per sample");
  }
  for (auto i : indices_) {
    if (i >= input_shape[0]) {
      throw ad::ShapeError("SelectFeatures '" + this->name() + "': index " + std::to_string(i) +
                           " is out of range for " + std::to_string(input_shape[0]) + " features");
    }
  }
  return {indices_.size()};
}

template <class T>
ad::Var<T> SelectFeaturesLayer<T>::forward(const ad::Var<T>& x) {
  output_shape(ad::Shape(x.shape().begin() + (x.dim() ? 1 : 0), x.shape().end()));
  // One slice per run of consecutive indices, joined along the features.
  std::vector<ad::Var<T>> runs;
  for (std::size_t begin = 0; begin < indices_.size();) {
    std::size_t end = begin + 1;
    while (end < indices_.size() && indices_[end] == indices_[end - 1] + 1) ++end;
    runs.push_back(ad::slice(x, 1, indices_[begin], indices_[end - 1] + 1));
    begin = end;
  }
  return runs.size() == 1 ? runs[0] : ad::concat(runs, 1);
}

NN_INSTANTIATE_FLOAT_DOUBLE(SelectFeaturesLayer)

}  // namespace nn
