// Layers: Keras's Dense, Dropout, Activation, Flatten, as run-time objects. The structs Dense,
// Dropout, Activation, Flatten and Input are type-free specifications; Sequential<T> turns them
// into Layer<T> objects, so the same model code serves float and double.
//
//   model.add(nn::Input({784}));
//   model.add(nn::Dense(512, "relu", {.kernel_regularizer = nn::L1(1e-3)}));
//   model.add(nn::Dropout(0.2));
//   model.add(nn::Dense(10, "softmax"));
#pragma once

#include <memory>
#include <string>

#include "nn/initializers.hpp"
#include "nn/module.hpp"
#include "nn/regularizers.hpp"

namespace nn {

// Activations by Keras name: linear, relu, leaky_relu (slope 0.2, as keras.activations), elu,
// sigmoid, tanh, softplus, softmax (over the last axis). Throws std::invalid_argument otherwise.
template <class T>
ad::Var<T> activation(const std::string& name, const ad::Var<T>& x);
void check_activation_name(const std::string& name);

struct DenseOptions {
  Initializer kernel_initializer = Initializer::glorot_uniform();
  Initializer bias_initializer = Initializer::zeros();
  Regularizer kernel_regularizer{};    // λ-penalty on the kernel, added to every batch's loss
  Regularizer bias_regularizer{};
  Regularizer activity_regularizer{};  // penalty on the layer's output, ÷ batch size (Keras)
  bool use_bias = true;
  std::string name{};                  // default: "dense", "dense_1", ...
};

struct Dense {
  std::size_t units;
  std::string activation = "linear";
  DenseOptions options{};
  Dense(std::size_t units_, std::string activation_ = "linear", DenseOptions options_ = {})
      : units(units_), activation(std::move(activation_)), options(std::move(options_)) {}
};

// Inverted dropout: in training, each input is zeroed with probability `rate` and the survivors
// scaled by 1/(1 − rate); identity in evaluation. Masks come from the model's seeded streams.
// rate must be in [0, 1) (NaN refused), else std::invalid_argument naming the value.
struct Dropout {
  double rate;
  std::string name{};
  explicit Dropout(double rate_, std::string name_ = {}) : rate(rate_), name(std::move(name_)) {}
};

struct Activation {
  std::string activation;
  std::string name{};
  explicit Activation(std::string activation_, std::string name_ = {})
      : activation(std::move(activation_)), name(std::move(name_)) {}
};

// (batch, d1, d2, ...) -> (batch, d1·d2·...).
struct Flatten {
  std::string name{};
};

// The per-sample input shape (no batch axis). Optional: without it the model builds at its
// first forward call from the data's shape.
struct Input {
  ad::Shape shape;
  explicit Input(ad::Shape shape_) : shape(std::move(shape_)) {}
};

template <class T>
class Layer : public Module<T> {
 public:
  using Module<T>::Module;

  virtual std::string type() const = 0;  // "Dense", ...
  // Creates the parameters for a per-sample input shape; once.
  void build(const ad::Shape& input_shape, Random& rng);
  bool built() const { return built_; }
  const ad::Shape& input_shape() const { return input_shape_; }
  virtual ad::Shape output_shape(const ad::Shape& input_shape) const = 0;
  // x has a leading batch axis.
  virtual ad::Var<T> forward(const ad::Var<T>& x) = 0;
  // Penalty of the kernel/bias regularizers on the current weights (recorded on the tape);
  // without their L1 parts if include_l1 is false. Undefined if the layer has none.
  ad::Var<T> weight_penalty(bool include_l1 = true) const;
  // The activity penalty of the latest forward (already divided by its batch size), or undefined.
  const ad::Var<T>& activity_penalty() const { return activity_penalty_; }
  void clear_activity_penalty() { activity_penalty_ = ad::Var<T>(); }
  // Layers that draw random numbers (Dropout) take a fresh stream from the model each epoch.
  virtual void set_random_stream(const Random&) {}

 protected:
  virtual void build_parameters(const ad::Shape& input_shape, Random& rng) = 0;
  void set_activity_penalty(ad::Var<T> p) { activity_penalty_ = std::move(p); }

 private:
  bool built_ = false;
  ad::Shape input_shape_;
  ad::Var<T> activity_penalty_;
};

template <class T>
class DenseLayer : public Layer<T> {
 public:
  explicit DenseLayer(const Dense& spec);
  std::string type() const override { return "Dense"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override;
  ad::Var<T> forward(const ad::Var<T>& x) override;
  const ad::Var<T>& kernel() const { return this->own_parameter(0); }
  ad::Var<T> bias() const { return spec_.options.use_bias ? this->own_parameter(1) : ad::Var<T>(); }
  const Dense& spec() const { return spec_; }

 protected:
  void build_parameters(const ad::Shape& input_shape, Random& rng) override;

 private:
  Dense spec_;
};

template <class T>
class DropoutLayer : public Layer<T> {
 public:
  explicit DropoutLayer(const Dropout& spec);
  std::string type() const override { return "Dropout"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override { return input_shape; }
  ad::Var<T> forward(const ad::Var<T>& x) override;
  void set_random_stream(const Random& r) override { random_ = r; }

 protected:
  void build_parameters(const ad::Shape&, Random&) override {}

 private:
  double rate_;
  Random random_;
};

template <class T>
class ActivationLayer : public Layer<T> {
 public:
  explicit ActivationLayer(const Activation& spec);
  std::string type() const override { return "Activation"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override { return input_shape; }
  ad::Var<T> forward(const ad::Var<T>& x) override { return activation<T>(activation_, x); }

 protected:
  void build_parameters(const ad::Shape&, Random&) override {}

 private:
  std::string activation_;
};

template <class T>
class FlattenLayer : public Layer<T> {
 public:
  explicit FlattenLayer(const Flatten& spec);
  std::string type() const override { return "Flatten"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override;
  ad::Var<T> forward(const ad::Var<T>& x) override { return ad::flatten(x, 1); }

 protected:
  void build_parameters(const ad::Shape&, Random&) override {}
};

#define NN_EXTERN_LAYERS(T)                 \
  extern template class Layer<T>;           \
  extern template class DenseLayer<T>;      \
  extern template class DropoutLayer<T>;    \
  extern template class ActivationLayer<T>; \
  extern template class FlattenLayer<T>;
NN_EXTERN_LAYERS(float)
NN_EXTERN_LAYERS(double)
#undef NN_EXTERN_LAYERS

}  // namespace nn
