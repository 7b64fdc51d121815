// KernelLayer: what Dense and Conv2D share. Both compute activation(op(x, kernel) + bias) with a
// kernel and an optional bias created by initializers, carrying regularizers, and an optional
// activity penalty on the output. The activation's name is resolved once, at construction; the
// op (ad::linear, ad::conv2d) fuses relu and applies the other activations after itself.
#pragma once

#include <string>

#include <autodiff/activation.hpp>

#include "nn/constraints.hpp"
#include "nn/initializers.hpp"
#include "nn/layer.hpp"
#include "nn/regularizers.hpp"

namespace nn {

struct KernelOptions {
  Initializer kernel_initializer = Initializer::glorot_uniform();
  Initializer bias_initializer = Initializer::zeros();
  Regularizer kernel_regularizer{};    // λ-penalty on the kernel, added to every batch's loss
  Regularizer bias_regularizer{};
  Regularizer activity_regularizer{};  // penalty on the layer's output, ÷ batch size (Keras)
  Constraint kernel_constraint{};      // applied after every optimizer update (constraints.hpp)
  Constraint bias_constraint{};
  bool use_bias = true;
  std::string name{};                  // default: the layer's ("dense", "conv2d"), then "_1", ...
};

template <class T>
class KernelLayer : public Layer<T> {
 public:
  std::string type() const override { return type_; }
  // x checked by the op, the op with its activation, the activity penalty recorded.
  ad::Var<T> forward(const ad::Var<T>& x) final;
  const ad::Var<T>& kernel() const { return this->own_parameter(0); }
  ad::Var<T> bias() const { return options_.use_bias ? this->own_parameter(1) : ad::Var<T>(); }
  ad::Activation activation() const { return activation_; }
  const KernelOptions& options() const { return options_; }

 protected:
  // type: "Dense", ...; default_name: "dense", ...; activation: a Keras name (ad::ValueError
  // naming the type and the name otherwise).
  KernelLayer(std::string type, const std::string& default_name, const std::string& activation,
              KernelOptions options);
  // The kernel's shape for a per-sample input shape (which it checks); its last axis is the
  // number of outputs, the bias's length.
  virtual ad::Shape kernel_shape(const ad::Shape& input_shape) const = 0;
  // activation(op(x, kernel) + bias) as one fused op, x checked against the kernel.
  virtual ad::Var<T> apply(const ad::Var<T>& x) const = 0;

 private:
  // Registers "kernel" and, with use_bias, "bias", in that order.
  void build_parameters(const ad::Shape& input_shape, Random& rng) final;

  std::string type_;
  KernelOptions options_;
  ad::Activation activation_;
};

extern template class KernelLayer<float>;
extern template class KernelLayer<double>;

}  // namespace nn
