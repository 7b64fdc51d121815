#include "nn/conv_layers.hpp"

#include <stdexcept>

#include "instantiate.hpp"

namespace nn {

namespace {

// Per-sample (height, width, channels), with an error naming the layer otherwise.
void check_image_shape(const std::string& layer, const std::string& type, const ad::Shape& input_shape) {
  if (input_shape.size() != 3) {
    throw ad::ShapeError(type + " '" + layer + "': expects inputs of shape (batch, height, width, channels), got " +
                         ad::shape_str(input_shape) + " per sample");
  }
}

std::string size2_str(Size2 s) { return "(" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ")"; }

void check_positive(const std::string& type, const char* what, Size2 s) {
  if (s[0] == 0 || s[1] == 0) throw std::invalid_argument(type + ": " + what + " must be positive, got " + size2_str(s));
}

// One spatial axis of a window over an input of `length`; throws when "valid" does not fit.
std::size_t output_length(const std::string& layer, const std::string& type, const ad::Shape& input_shape,
                          std::size_t axis, std::size_t window, std::size_t stride, ad::Padding padding) {
  const std::size_t out = ad::conv_output_length(input_shape[axis], window, stride, padding);
  if (out == 0) {
    throw ad::ShapeError(type + " '" + layer + "': a window of " + std::to_string(window) + " along " +
                         (axis == 0 ? "height" : "width") + " does not fit inputs of shape " +
                         ad::shape_str(input_shape) + " per sample with padding 'valid'");
  }
  return out;
}

}  // namespace

ad::Padding padding_from_name(const std::string& padding, const std::string& layer) {
  if (padding == "valid") return ad::Padding::valid;
  if (padding == "same") return ad::Padding::same;
  throw std::invalid_argument(layer + ": padding must be 'valid' or 'same', got '" + padding + "'");
}

// ---- Conv2D ----------------------------------------------------------------------------------

template <class T>
Conv2DLayer<T>::Conv2DLayer(const Conv2D& spec)
    : KernelLayer<T>("Conv2D", "conv2d", spec.activation, spec.options),
      filters_(spec.filters),
      kernel_size_(spec.kernel_size),
      geometry_(spec.geometry) {
  if (spec.filters == 0) throw std::invalid_argument("Conv2D: filters must be positive");
  check_positive("Conv2D", "kernel_size", spec.kernel_size);
  check_positive("Conv2D", "strides", spec.geometry.strides);
  conv_ = {spec.geometry.strides, padding_from_name(spec.geometry.padding, "Conv2D")};
}

template <class T>
ad::Shape Conv2DLayer<T>::output_shape(const ad::Shape& input_shape) const {
  const std::string type = this->type();
  check_image_shape(this->name(), type, input_shape);
  return {output_length(this->name(), type, input_shape, 0, kernel_size_[0], conv_.strides[0], conv_.padding),
          output_length(this->name(), type, input_shape, 1, kernel_size_[1], conv_.strides[1], conv_.padding),
          filters_};
}

template <class T>
ad::Shape Conv2DLayer<T>::kernel_shape(const ad::Shape& input_shape) const {
  output_shape(input_shape);
  return {kernel_size_[0], kernel_size_[1], input_shape[2], filters_};
}

template <class T>
ad::Var<T> Conv2DLayer<T>::apply(const ad::Var<T>& x) const {
  if (x.dim() != 4) {
    throw ad::ShapeError("Conv2D '" + this->name() + "': expects inputs of shape (batch, height, width, channels), got " +
                         ad::shape_str(x.shape()));
  }
  return ad::conv2d(x, this->kernel(), this->bias(), conv_, this->activation());
}

// ---- MaxPooling2D, AveragePooling2D ----------------------------------------------------------

template <class T>
Pooling2DLayer<T>::Pooling2DLayer(Kind kind, Size2 pool_size, const Pooling2DOptions& options)
    : Layer<T>(options.name.empty() ? (kind == Kind::max ? "max_pooling2d" : "average_pooling2d") : options.name),
      kind_(kind),
      pool_size_(pool_size),
      options_(options) {
  check_positive(type(), "pool_size", pool_size);
  const Size2 strides = options.strides.value_or(pool_size);
  check_positive(type(), "strides", strides);
  pool_ = {strides, padding_from_name(options.padding, type())};
}

template <class T>
ad::Shape Pooling2DLayer<T>::output_shape(const ad::Shape& input_shape) const {
  check_image_shape(this->name(), type(), input_shape);
  return {output_length(this->name(), type(), input_shape, 0, pool_size_[0], pool_.strides[0], pool_.padding),
          output_length(this->name(), type(), input_shape, 1, pool_size_[1], pool_.strides[1], pool_.padding),
          input_shape[2]};
}

template <class T>
ad::Var<T> Pooling2DLayer<T>::forward(const ad::Var<T>& x) {
  return kind_ == Kind::max ? ad::max_pool2d(x, pool_size_, pool_) : ad::avg_pool2d(x, pool_size_, pool_);
}

// ---- GlobalAveragePooling2D ------------------------------------------------------------------

template <class T>
GlobalAveragePooling2DLayer<T>::GlobalAveragePooling2DLayer(const GlobalAveragePooling2D& spec)
    : Layer<T>(spec.name.empty() ? "global_average_pooling2d" : spec.name) {}

template <class T>
ad::Shape GlobalAveragePooling2DLayer<T>::output_shape(const ad::Shape& input_shape) const {
  check_image_shape(this->name(), type(), input_shape);
  return {input_shape[2]};
}

NN_INSTANTIATE_FLOAT_DOUBLE(Conv2DLayer)
NN_INSTANTIATE_FLOAT_DOUBLE(Pooling2DLayer)
NN_INSTANTIATE_FLOAT_DOUBLE(GlobalAveragePooling2DLayer)

}  // namespace nn
