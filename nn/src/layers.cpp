#include "nn/layers.hpp"

#include <cstdint>
#include <stdexcept>

#include "check.hpp"
#include "instantiate.hpp"

namespace nn {

// ---- Dense -----------------------------------------------------------------------------------

template <class T>
DenseLayer<T>::DenseLayer(const Dense& spec)
    : KernelLayer<T>("Dense", "dense", spec.activation, spec.options), units_(spec.units) {
  if (spec.units == 0) throw std::invalid_argument("Dense: units must be positive");
}

template <class T>
ad::Shape DenseLayer<T>::output_shape(const ad::Shape& input_shape) const {
  if (input_shape.size() != 1) {
    throw ad::ShapeError("Dense '" + this->name() + "': expects inputs of shape (batch, features), got " +
                         ad::shape_str(input_shape) + " per sample (add a Flatten layer first)");
  }
  return {units_};
}

template <class T>
ad::Shape DenseLayer<T>::kernel_shape(const ad::Shape& input_shape) const {
  output_shape(input_shape);
  return {input_shape[0], units_};
}

template <class T>
ad::Var<T> DenseLayer<T>::apply(const ad::Var<T>& x) const {
  const ad::Var<T>& kernel = this->kernel();
  if (x.dim() != 2 || x.shape()[1] != kernel.shape()[0]) {
    throw ad::ShapeError("Dense '" + this->name() + "': expects inputs of shape (batch, " +
                         std::to_string(kernel.shape()[0]) + "), got " + ad::shape_str(x.shape()));
  }
  return ad::linear(x, kernel, this->bias(), this->activation());
}

// ---- Dropout ---------------------------------------------------------------------------------

template <class T>
DropoutLayer<T>::DropoutLayer(const Dropout& spec) : Layer<T>(spec.name.empty() ? "dropout" : spec.name),
                                                    rate_(spec.rate) {
  detail::require_fraction("Dropout", "rate", rate_);
}

namespace {

// SplitMix64's finalizer: a bijection of 64-bit words whose outputs pass as independent uniform
// draws for consecutive inputs (the counter-based generator of the masks).
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t golden = 0x9e3779b97f4a7c15ULL;

}  // namespace

template <class T>
void DropoutLayer<T>::set_random_stream(const Random& r) {
  Random stream = r;
  key_ = static_cast<std::uint64_t>(stream.uniform() * 0x1.0p53);
  next_row_ = 0;
}

template <class T>
ad::Var<T> DropoutLayer<T>::forward(const ad::Var<T>& x) {
  if (!this->training() || rate_ == 0) return x;
  xt::xarray<T> mask = xt::xarray<T>::from_shape(x.shape());
  const T keep_scale = T(1) / static_cast<T>(1 - rate_);
  const std::size_t rows = x.dim() == 0 ? 1 : x.shape()[0];
  const std::size_t per_row = rows ? mask.size() / rows : 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint64_t row_key = mix(key_ ^ mix((next_row_ + r) * golden));
    T* m = mask.data() + r * per_row;
    for (std::size_t j = 0; j < per_row; ++j) {
      const double u = static_cast<double>(mix(row_key + (j + 1) * golden) >> 11) * 0x1.0p-53;
      m[j] = u < rate_ ? T(0) : keep_scale;
    }
  }
  next_row_ += rows;
  return x * ad::Var<T>(std::move(mask));
}

// ---- Activation, Flatten ---------------------------------------------------------------------

template <class T>
ActivationLayer<T>::ActivationLayer(const Activation& spec)
    : Layer<T>(spec.name.empty() ? "activation" : spec.name),
      activation_(ad::activation_from_name(spec.activation, "Activation")) {}

template <class T>
FlattenLayer<T>::FlattenLayer(const Flatten& spec) : Layer<T>(spec.name.empty() ? "flatten" : spec.name) {}

template <class T>
ad::Shape FlattenLayer<T>::output_shape(const ad::Shape& input_shape) const {
  std::size_t n = 1;
  for (auto d : input_shape) n *= d;
  return {n};
}

NN_INSTANTIATE_FLOAT_DOUBLE(DenseLayer)
NN_INSTANTIATE_FLOAT_DOUBLE(DropoutLayer)
NN_INSTANTIATE_FLOAT_DOUBLE(ActivationLayer)
NN_INSTANTIATE_FLOAT_DOUBLE(FlattenLayer)

}  // namespace nn
