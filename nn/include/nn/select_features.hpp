// SelectFeatures: a fixed choice of input features, (batch, features) -> (batch, kept), in the
// order given. Sequential::compact() puts one before the first Dense layer when it drops input
// features, so that the compact model still takes the original inputs:
//
//   model.add(nn::Input({10}));
//   model.add(nn::SelectFeatures({0, 3, 4}));   // columns 0, 3 and 4 of x
//   model.add(nn::Dense(8, "relu"));
//
// No parameters. Indices must be non-empty (std::invalid_argument at construction) and each
// below the number of features (ad::ShapeError naming the layer and the index when built).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nn/layer.hpp"

namespace nn {

struct SelectFeatures {
  std::vector<std::size_t> indices;
  std::string name{};
  explicit SelectFeatures(std::vector<std::size_t> indices_, std::string name_ = {})
      : indices(std::move(indices_)), name(std::move(name_)) {}
  template <class T> LayerPtr<T> make_layer() const;
};

template <class T>
class SelectFeaturesLayer : public Layer<T> {
 public:
  explicit SelectFeaturesLayer(const SelectFeatures& spec);
  std::string type() const override { return "SelectFeatures"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override;  // (kept,)
  ad::Var<T> forward(const ad::Var<T>& x) override;
  const std::vector<std::size_t>& indices() const { return indices_; }

 protected:
  void build_parameters(const ad::Shape& input_shape, Random&) override { output_shape(input_shape); }

 private:
  std::vector<std::size_t> indices_;
  xt::xarray<std::ptrdiff_t> picked_;  // indices_ as ad::gather takes them
  std::size_t largest_ = 0;            // the largest index
};

template <class T> LayerPtr<T> SelectFeatures::make_layer() const { return make_layer_of<SelectFeaturesLayer, T>(*this); }

extern template class SelectFeaturesLayer<float>;
extern template class SelectFeaturesLayer<double>;

}  // namespace nn
