// Layer: the base of every layer Sequential runs. A layer builds its parameters once for a
// per-sample input shape, maps a batch forward, and may record an activity penalty.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "nn/initializers.hpp"
#include "nn/module.hpp"

namespace nn {

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
  // The activity penalty of the latest forward (already divided by its batch size), or undefined.
  const ad::Var<T>& activity_penalty() const { return activity_penalty_; }
  void clear_activity_penalty() { activity_penalty_ = ad::Var<T>(); }
  // Layers that draw random numbers (Dropout) take a fresh stream from the model each epoch.
  virtual void set_random_stream(const Random&) {}
  // The row number (within the epoch) of the next training batch's first row, for layers whose
  // randomness is per row (Dropout); data-parallel fit sets it to each rank's slice.
  virtual void set_batch_position(std::uint64_t /*first_row*/) {}

 protected:
  virtual void build_parameters(const ad::Shape& input_shape, Random& rng) = 0;
  void set_activity_penalty(ad::Var<T> p) { activity_penalty_ = std::move(p); }

 private:
  bool built_ = false;
  ad::Shape input_shape_;
  ad::Var<T> activity_penalty_;
};

template <class T>
using LayerPtr = std::shared_ptr<Layer<T>>;

// The layer a spec makes: L<T> constructed from the spec (what the specs' make_layer<T>() do).
template <template <class> class L, class T, class Spec>
LayerPtr<T> make_layer_of(const Spec& spec) {
  return std::make_shared<L<T>>(spec);
}

extern template class Layer<float>;
extern template class Layer<double>;

}  // namespace nn
