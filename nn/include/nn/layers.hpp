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

#include "nn/kernel_layer.hpp"
#include "nn/layer.hpp"

namespace nn {

// Activations are named as in Keras: linear, relu, leaky_relu (slope 0.2, as keras.activations),
// elu, sigmoid, tanh, softplus, softmax (over the last axis); see autodiff/activation.hpp. An
// unknown name is an ad::ValueError naming the layer type and the name.
//
// Each spec makes its layer (make_layer<T>()), which is how Sequential::add takes it; a spec of
// your own does the same (see sequential.hpp).

using DenseOptions = KernelOptions;  // default name "dense"

struct Dense {
  std::size_t units;
  std::string activation = "linear";
  KernelOptions options{};
  Dense(std::size_t units_, std::string activation_ = "linear", KernelOptions options_ = {})
      : units(units_), activation(std::move(activation_)), options(std::move(options_)) {}
  template <class T> LayerPtr<T> make_layer() const;
};

// Inverted dropout: in training, each input is zeroed with probability `rate` and the survivors
// scaled by 1/(1 − rate); identity in evaluation. Masks come from the model's seeded streams.
// rate must be in [0, 1) (NaN refused), else std::invalid_argument naming the value.
struct Dropout {
  double rate;
  std::string name{};
  explicit Dropout(double rate_, std::string name_ = {}) : rate(rate_), name(std::move(name_)) {}
  template <class T> LayerPtr<T> make_layer() const;
};

struct Activation {
  std::string activation;
  std::string name{};
  explicit Activation(std::string activation_, std::string name_ = {})
      : activation(std::move(activation_)), name(std::move(name_)) {}
  template <class T> LayerPtr<T> make_layer() const;
};

// (batch, d1, d2, ...) -> (batch, d1·d2·...).
struct Flatten {
  std::string name{};
  template <class T> LayerPtr<T> make_layer() const;
};

// The per-sample input shape (no batch axis). Optional: without it the model builds at its
// first forward call from the data's shape.
struct Input {
  ad::Shape shape;
  explicit Input(ad::Shape shape_) : shape(std::move(shape_)) {}
};

template <class T>
class DenseLayer : public KernelLayer<T> {
 public:
  explicit DenseLayer(const Dense& spec);
  ad::Shape output_shape(const ad::Shape& input_shape) const override;

 protected:
  ad::Shape kernel_shape(const ad::Shape& input_shape) const override;  // (features, units)
  ad::Var<T> apply(const ad::Var<T>& x) const override;                  // ad::linear

 private:
  std::size_t units_;
};

template <class T>
class DropoutLayer : public Layer<T> {
 public:
  explicit DropoutLayer(const Dropout& spec);
  std::string type() const override { return "Dropout"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override { return input_shape; }
  // Row r of a batch is the epoch's row number next_row() + r; its mask is drawn from a
  // counter-based stream of (the epoch's stream, that row number), so a row gets the same mask
  // whichever batch or rank it lands in (data-parallel fit gives the same result on any number
  // of ranks). Each training forward advances next_row() by its batch size.
  ad::Var<T> forward(const ad::Var<T>& x) override;
  void set_random_stream(const Random& r) override;  // also restarts the row count at 0
  void set_batch_position(std::uint64_t first_row) override { next_row_ = first_row; }
  std::uint64_t next_row() const { return next_row_; }
  double rate() const { return rate_; }

 protected:
  void build_parameters(const ad::Shape&, Random&) override {}

 private:
  double rate_;
  std::uint64_t key_ = 0;       // from the epoch's stream
  std::uint64_t next_row_ = 0;
};

template <class T>
class ActivationLayer : public Layer<T> {
 public:
  explicit ActivationLayer(const Activation& spec);
  std::string type() const override { return "Activation"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override { return input_shape; }
  ad::Var<T> forward(const ad::Var<T>& x) override { return ad::activate(x, activation_); }
  ad::Activation activation() const { return activation_; }

 protected:
  void build_parameters(const ad::Shape&, Random&) override {}

 private:
  ad::Activation activation_;
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

template <class T> LayerPtr<T> Dense::make_layer() const { return make_layer_of<DenseLayer, T>(*this); }
template <class T> LayerPtr<T> Dropout::make_layer() const { return make_layer_of<DropoutLayer, T>(*this); }
template <class T> LayerPtr<T> Activation::make_layer() const { return make_layer_of<ActivationLayer, T>(*this); }
template <class T> LayerPtr<T> Flatten::make_layer() const { return make_layer_of<FlattenLayer, T>(*this); }

#define NN_EXTERN_LAYERS(T)                 \
  extern template class DenseLayer<T>;      \
  extern template class DropoutLayer<T>;    \
  extern template class ActivationLayer<T>; \
  extern template class FlattenLayer<T>;
NN_EXTERN_LAYERS(float)
NN_EXTERN_LAYERS(double)
#undef NN_EXTERN_LAYERS

}  // namespace nn
