#include "nn/kernel_layer.hpp"

#include <utility>

#include "instantiate.hpp"

namespace nn {

template <class T>
KernelLayer<T>::KernelLayer(std::string type, const std::string& default_name, const std::string& activation,
                            KernelOptions options)
    : Layer<T>(options.name.empty() ? default_name : options.name),
      type_(std::move(type)),
      options_(std::move(options)),
      activation_(ad::activation_from_name(activation, type_)) {}

template <class T>
void KernelLayer<T>::build_parameters(const ad::Shape& input_shape, Random& rng) {
  const ad::Shape shape = kernel_shape(input_shape);
  options_.kernel_constraint.template check<T>(shape, type_ + " '" + this->name() + "' kernel");
  if (options_.use_bias) options_.bias_constraint.template check<T>({shape.back()}, type_ + " '" + this->name() + "' bias");
  this->register_parameter("kernel", options_.kernel_initializer.template operator()<T>(shape, rng),
                           options_.kernel_regularizer, options_.kernel_constraint);
  if (options_.use_bias) {
    this->register_parameter("bias", options_.bias_initializer.template operator()<T>({shape.back()}, rng),
                             options_.bias_regularizer, options_.bias_constraint);
  }
}

template <class T>
ad::Var<T> KernelLayer<T>::forward(const ad::Var<T>& x) {
  ad::Var<T> y = apply(x);
  if (options_.activity_regularizer) {
    this->set_activity_penalty(options_.activity_regularizer(y) / static_cast<T>(x.shape()[0]));
  }
  return y;
}

NN_INSTANTIATE_FLOAT_DOUBLE(KernelLayer)

}  // namespace nn
