#include "nn/layers.hpp"

#include <stdexcept>

#include "check.hpp"

namespace nn {

namespace {
const char* const activation_names = "linear, relu, leaky_relu, elu, sigmoid, tanh, softplus, softmax";
}

void check_activation_name(const std::string& name) {
  for (const char* known : {"linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus", "softmax"}) {
    if (name == known) return;
  }
  throw std::invalid_argument("unknown activation '" + name + "' (known: " + activation_names + ")");
}

template <class T>
ad::Var<T> activation(const std::string& name, const ad::Var<T>& x) {
  if (name == "linear") return x;
  if (name == "relu") return ad::relu(x);
  if (name == "leaky_relu") return ad::leaky_relu(x, T(0.2));  // Keras's LeakyReLU default slope
  if (name == "elu") return ad::elu(x, T(1));
  if (name == "sigmoid") return ad::sigmoid(x);
  if (name == "tanh") return ad::tanh(x);
  if (name == "softplus") return ad::softplus(x);
  if (name == "softmax") return ad::softmax(x, -1);
  check_activation_name(name);
  return x;
}

// ---- Layer -----------------------------------------------------------------------------------

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

template <class T>
ad::Var<T> Layer<T>::weight_penalty(bool include_l1) const {
  return this->regularization_penalty(include_l1);
}

// ---- Dense -----------------------------------------------------------------------------------

template <class T>
DenseLayer<T>::DenseLayer(const Dense& spec) : Layer<T>(spec.options.name.empty() ? "dense" : spec.options.name),
                                              spec_(spec) {
  if (spec.units == 0) throw std::invalid_argument("Dense: units must be positive");
  check_activation_name(spec.activation);
}

template <class T>
ad::Shape DenseLayer<T>::output_shape(const ad::Shape& input_shape) const {
  if (input_shape.size() != 1) {
    throw ad::ShapeError("Dense '" + this->name() + "': expects inputs of shape (batch, features), got " +
                         ad::shape_str(input_shape) + " per sample (add a Flatten layer first)");
  }
  return {spec_.units};
}

template <class T>
void DenseLayer<T>::build_parameters(const ad::Shape& input_shape, Random& rng) {
  const std::size_t in = output_shape(input_shape).empty() ? 0 : input_shape[0];
  const DenseOptions& o = spec_.options;
  this->register_parameter("kernel", o.kernel_initializer.template operator()<T>({in, spec_.units}, rng),
                           o.kernel_regularizer);
  if (o.use_bias) {
    this->register_parameter("bias", o.bias_initializer.template operator()<T>({spec_.units}, rng), o.bias_regularizer);
  }
}

template <class T>
ad::Var<T> DenseLayer<T>::forward(const ad::Var<T>& x) {
  const ad::Var<T>& kernel = this->own_parameter(0);
  if (x.dim() != 2 || x.shape()[1] != kernel.shape()[0]) {
    throw ad::ShapeError("Dense '" + this->name() + "': expects inputs of shape (batch, " +
                         std::to_string(kernel.shape()[0]) + "), got " + ad::shape_str(x.shape()));
  }
  // One fused op for the product, the bias and a relu (the common case); other activations follow.
  const ad::Var<T> bias = spec_.options.use_bias ? this->own_parameter(1) : ad::Var<T>();
  const bool fused_relu = spec_.activation == "relu";
  ad::Var<T> y = ad::linear(x, kernel, bias, fused_relu ? "relu" : "linear");
  if (!fused_relu) y = activation<T>(spec_.activation, y);
  if (spec_.options.activity_regularizer) {
    this->set_activity_penalty(spec_.options.activity_regularizer(y) / static_cast<T>(x.shape()[0]));
  }
  return y;
}

// ---- Dropout ---------------------------------------------------------------------------------

template <class T>
DropoutLayer<T>::DropoutLayer(const Dropout& spec) : Layer<T>(spec.name.empty() ? "dropout" : spec.name),
                                                    rate_(spec.rate) {
  detail::require_fraction("Dropout", "rate", rate_);
}

template <class T>
ad::Var<T> DropoutLayer<T>::forward(const ad::Var<T>& x) {
  if (!this->training() || rate_ == 0) return x;
  xt::xarray<T> mask = xt::xarray<T>::from_shape(x.shape());
  const T keep_scale = T(1) / static_cast<T>(1 - rate_);
  for (auto& m : mask) m = random_.uniform() < rate_ ? T(0) : keep_scale;
  return x * ad::Var<T>(std::move(mask));
}

// ---- Activation, Flatten ---------------------------------------------------------------------

template <class T>
ActivationLayer<T>::ActivationLayer(const Activation& spec)
    : Layer<T>(spec.name.empty() ? "activation" : spec.name), activation_(spec.activation) {
  check_activation_name(activation_);
}

template <class T>
FlattenLayer<T>::FlattenLayer(const Flatten& spec) : Layer<T>(spec.name.empty() ? "flatten" : spec.name) {}

template <class T>
ad::Shape FlattenLayer<T>::output_shape(const ad::Shape& input_shape) const {
  std::size_t n = 1;
  for (auto d : input_shape) n *= d;
  return {n};
}

#define NN_INSTANTIATE_LAYERS(T)                                           \
  template ad::Var<T> activation<T>(const std::string&, const ad::Var<T>&); \
  template class Layer<T>;                                                 \
  template class DenseLayer<T>;                                            \
  template class DropoutLayer<T>;                                          \
  template class ActivationLayer<T>;                                       \
  template class FlattenLayer<T>;
NN_INSTANTIATE_LAYERS(float)
NN_INSTANTIATE_LAYERS(double)
#undef NN_INSTANTIATE_LAYERS

}  // namespace nn
