#include "nn/layer.hpp"

#include "instantiate.hpp"

namespace nn {

template <class T>
void Layer<T>::build(const ad::Shape& input_shape, Random& rng) {
  if (built_) {
    if (input_shape != input_shape_) {
      throw ad::ShapeError("layer '" + this->name() + "' (" + type() + ") was built for inputs " +
                           ad::shape_str(input_shape_) + " per sample, not " + ad::shape_str(input_shape));
    }
    return;
  }
  build_parameters(input_shape, rng);
  input_shape_ = input_shape;
  built_ = true;
}

NN_INSTANTIATE_FLOAT_DOUBLE(Layer)

}  // namespace nn
