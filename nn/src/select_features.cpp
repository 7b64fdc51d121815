#include "nn/select_features.hpp"

#include <algorithm>
#include <stdexcept>

#include <autodiff/autodiff.hpp>

#include "instantiate.hpp"

namespace nn {

template <class T>
SelectFeaturesLayer<T>::SelectFeaturesLayer(const SelectFeatures& spec)
    : Layer<T>(spec.name.empty() ? "select_features" : spec.name), indices_(spec.indices) {
  if (indices_.empty()) throw std::invalid_argument("SelectFeatures '" + this->name() + "': indices must not be empty");
  picked_ = xt::xarray<std::ptrdiff_t>::from_shape({indices_.size()});
  std::copy(indices_.begin(), indices_.end(), picked_.begin());
  largest_ = *std::max_element(indices_.begin(), indices_.end());
}

template <class T>
ad::Shape SelectFeaturesLayer<T>::output_shape(const ad::Shape& input_shape) const {
  if (input_shape.size() != 1) {
    throw ad::ShapeError("SelectFeatures '" + this->name() + "': expects inputs of shape (batch, features), got " +
                         ad::shape_str(input_shape) + " per sample");
  }
  if (largest_ >= input_shape[0]) {
    throw ad::ShapeError("SelectFeatures '" + this->name() + "': index " + std::to_string(largest_) +
                         " is out of range for " + std::to_string(input_shape[0]) + " features");
  }
  return {indices_.size()};
}

template <class T>
ad::Var<T> SelectFeaturesLayer<T>::forward(const ad::Var<T>& x) {
  output_shape(ad::Shape(x.shape().begin() + (x.dim() ? 1 : 0), x.shape().end()));
  return ad::gather(x, picked_, 1);
}

NN_INSTANTIATE_FLOAT_DOUBLE(SelectFeaturesLayer)

}  // namespace nn
