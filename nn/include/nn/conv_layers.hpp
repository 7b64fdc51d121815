// Convolutional layers: Keras's Conv2D, MaxPooling2D, AveragePooling2D and
// GlobalAveragePooling2D, channels_last. Inputs are (batch, height, width, channels); a Conv2D
// kernel is (kernel_h, kernel_w, in_channels, filters) and its bias (filters), as Keras stores
// them (and as save_weights writes them).
//
//   model.add(nn::Input({28, 28, 1}));
//   model.add(nn::Conv2D(32, {3, 3}, "relu", {.kernel_regularizer = nn::L2(1e-3)}));
//   model.add(nn::MaxPooling2D({2, 2}));
//   model.add(nn::Conv2D(64, 3, "relu", {.strides = {2, 2}, .padding = "same"}));
//   model.add(nn::Conv2D(64, 3, "relu", {.padding = "same"}, {.kernel_regularizer = nn::L1(1e-4)}));
//   model.add(nn::GlobalAveragePooling2D{});
//   model.add(nn::Dense(10, "softmax"));
//
// Keras's defaults: strides 1 and padding "valid" for Conv2D, glorot_uniform kernels (fans
// include the receptive field) and zero biases; pooling strides equal to the pool size.
// Padding "same" gives ceil(n / stride) outputs, the odd padding element at the bottom/right.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include <autodiff/conv.hpp>

#include "nn/layers.hpp"

namespace nn {

using Size2 = ad::Size2;

// "valid" or "same" (throws std::invalid_argument naming the layer otherwise).
ad::Padding padding_from_name(const std::string& padding, const std::string& layer);

// Where the window goes; the kernel's own options (initializers, regularizers, bias, name) are
// the KernelOptions that Dense takes too (default name "conv2d").
struct Conv2DGeometry {
  Size2 strides{1, 1};
  std::string padding = "valid";
};

struct Conv2D {
  std::size_t filters;
  Size2 kernel_size;
  std::string activation = "linear";
  Conv2DGeometry geometry{};
  KernelOptions options{};
  Conv2D(std::size_t filters_, Size2 kernel_size_, std::string activation_ = "linear", KernelOptions options_ = {})
      : Conv2D(filters_, kernel_size_, std::move(activation_), Conv2DGeometry{}, std::move(options_)) {}
  Conv2D(std::size_t filters_, Size2 kernel_size_, std::string activation_, Conv2DGeometry geometry_,
         KernelOptions options_ = {})
      : filters(filters_),
        kernel_size(kernel_size_),
        activation(std::move(activation_)),
        geometry(std::move(geometry_)),
        options(std::move(options_)) {}
  // A square kernel.
  Conv2D(std::size_t filters_, std::size_t kernel_size_, std::string activation_ = "linear", KernelOptions options_ = {})
      : Conv2D(filters_, Size2{kernel_size_, kernel_size_}, std::move(activation_), std::move(options_)) {}
  Conv2D(std::size_t filters_, std::size_t kernel_size_, std::string activation_, Conv2DGeometry geometry_,
         KernelOptions options_ = {})
      : Conv2D(filters_, Size2{kernel_size_, kernel_size_}, std::move(activation_), std::move(geometry_),
               std::move(options_)) {}
  template <class T> LayerPtr<T> make_layer() const;
};

struct Pooling2DOptions {
  std::optional<Size2> strides{};  // default: the pool size
  std::string padding = "valid";
  std::string name{};
};

// A pooling window: size, and options (strides default to the pool size, as in Keras).
struct Pooling2D {
  Size2 pool_size{2, 2};
  Pooling2DOptions options{};
  Pooling2D(Size2 pool_size_ = {2, 2}, Pooling2DOptions options_ = {})
      : pool_size(pool_size_), options(std::move(options_)) {}
  Pooling2D(std::size_t pool_size_, Pooling2DOptions options_ = {})  // a square window
      : Pooling2D(Size2{pool_size_, pool_size_}, std::move(options_)) {}
};

struct MaxPooling2D : Pooling2D {
  using Pooling2D::Pooling2D;
  template <class T> LayerPtr<T> make_layer() const;
};

// Averages over the real (unpadded) elements of each window, as TensorFlow does.
struct AveragePooling2D : Pooling2D {
  using Pooling2D::Pooling2D;
  template <class T> LayerPtr<T> make_layer() const;
};

// (batch, height, width, channels) -> (batch, channels): the mean over height and width.
struct GlobalAveragePooling2D {
  std::string name{};
  template <class T> LayerPtr<T> make_layer() const;
};

template <class T>
class Conv2DLayer : public KernelLayer<T> {
 public:
  explicit Conv2DLayer(const Conv2D& spec);
  ad::Shape output_shape(const ad::Shape& input_shape) const override;
  std::size_t filters() const { return filters_; }
  Size2 kernel_size() const { return kernel_size_; }
  const Conv2DGeometry& geometry() const { return geometry_; }

 protected:
  // (kernel_h, kernel_w, channels, filters)
  ad::Shape kernel_shape(const ad::Shape& input_shape) const override;
  ad::Var<T> apply(const ad::Var<T>& x) const override;  // ad::conv2d

 private:
  std::size_t filters_;
  Size2 kernel_size_;
  Conv2DGeometry geometry_;
  ad::Conv2DOptions conv_;
};

// Max and average pooling share everything but the op.
template <class T>
class Pooling2DLayer : public Layer<T> {
 public:
  enum class Kind { max, average };
  Pooling2DLayer(Kind kind, Size2 pool_size, const Pooling2DOptions& options);
  explicit Pooling2DLayer(const MaxPooling2D& spec) : Pooling2DLayer(Kind::max, spec.pool_size, spec.options) {}
  explicit Pooling2DLayer(const AveragePooling2D& spec)
      : Pooling2DLayer(Kind::average, spec.pool_size, spec.options) {}
  std::string type() const override { return kind_ == Kind::max ? "MaxPooling2D" : "AveragePooling2D"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override;
  ad::Var<T> forward(const ad::Var<T>& x) override;
  Kind kind() const { return kind_; }
  Size2 pool_size() const { return pool_size_; }
  const Pooling2DOptions& options() const { return options_; }  // as given (strides unset: the pool size)

 protected:
  void build_parameters(const ad::Shape& input_shape, Random&) override { output_shape(input_shape); }

 private:
  Kind kind_;
  Size2 pool_size_;
  Pooling2DOptions options_;
  ad::Pool2DOptions pool_;
};

template <class T>
class GlobalAveragePooling2DLayer : public Layer<T> {
 public:
  explicit GlobalAveragePooling2DLayer(const GlobalAveragePooling2D& spec);
  std::string type() const override { return "GlobalAveragePooling2D"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override;
  ad::Var<T> forward(const ad::Var<T>& x) override { return ad::global_avg_pool2d(x); }

 protected:
  void build_parameters(const ad::Shape& input_shape, Random&) override { output_shape(input_shape); }
};

template <class T> LayerPtr<T> Conv2D::make_layer() const { return make_layer_of<Conv2DLayer, T>(*this); }
template <class T> LayerPtr<T> MaxPooling2D::make_layer() const { return make_layer_of<Pooling2DLayer, T>(*this); }
template <class T> LayerPtr<T> AveragePooling2D::make_layer() const { return make_layer_of<Pooling2DLayer, T>(*this); }
template <class T> LayerPtr<T> GlobalAveragePooling2D::make_layer() const {
  return make_layer_of<GlobalAveragePooling2DLayer, T>(*this);
}

#define NN_EXTERN_CONV_LAYERS(T)                 \
  extern template class Conv2DLayer<T>;          \
  extern template class Pooling2DLayer<T>;       \
  extern template class GlobalAveragePooling2DLayer<T>;
NN_EXTERN_CONV_LAYERS(float)
NN_EXTERN_CONV_LAYERS(double)
#undef NN_EXTERN_CONV_LAYERS

}  // namespace nn
