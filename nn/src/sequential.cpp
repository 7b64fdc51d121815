#include "nn/sequential.hpp"

#include <algorithm>
#include <stdexcept>

#include "batch_shape.hpp"

namespace nn {

template <class T>
Sequential<T>::Sequential(std::uint64_t seed, std::string name) : Module<T>(std::move(name)), seed_(seed) {}

template <class T>
std::string Sequential<T>::unique_name(const std::string& base) {
  auto taken = [&](const std::string& n) {
    return std::any_of(layers_.begin(), layers_.end(), [&](const auto& l) { return l->name() == n; });
  };
  if (!taken(base)) return base;
  for (int i = 1;; ++i) {
    const std::string n = base + "_" + std::to_string(i);
    if (!taken(n)) return n;
  }
}

template <class T>
Sequential<T>& Sequential<T>::add(const Input& input) {
  if (!layers_.empty() || built_) throw std::logic_error("Sequential::add(Input): the input must come first");
  input_shape_ = input.shape;
  build(input.shape);
  return *this;
}

template <class T>
Sequential<T>& Sequential<T>::add(std::shared_ptr<Layer<T>> layer) {
  if (!layer) throw std::invalid_argument("Sequential::add: null layer");
  if (std::find(layers_.begin(), layers_.end(), layer) != layers_.end()) {
    throw std::invalid_argument("Sequential::add: layer '" + layer->name() + "' added twice");
  }
  layer->set_name(unique_name(layer->name()));
  if (built_) {
    Random rng = Random::stream(seed_, 0, layers_.size() + 1);
    layer->build(output_shape(), rng);
  }
  layers_.push_back(layer);
  this->register_module(layer);
  return *this;
}

template <class T>
void Sequential<T>::build(const ad::Shape& sample_shape) {
  if (built_) {
    if (sample_shape != input_shape_) {
      throw ad::ShapeError("Sequential '" + this->name() + "' was built for inputs " + ad::shape_str(input_shape_) +
                           " per sample, not " + ad::shape_str(sample_shape));
    }
    return;
  }
  ad::Shape shape = sample_shape;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    // One stream per layer: adding or removing a layer does not change the others' weights.
    Random rng = Random::stream(seed_, 0, i + 1);
    layers_[i]->build(shape, rng);
    shape = layers_[i]->output_shape(shape);
  }
  input_shape_ = sample_shape;
  built_ = true;
}

template <class T>
ad::Shape Sequential<T>::output_shape() const {
  if (!built_) throw std::logic_error("Sequential::output_shape: the model is not built yet");
  ad::Shape shape = input_shape_;
  for (const auto& l : layers_) shape = l->output_shape(shape);
  return shape;
}

template <class T>
ad::Var<T> Sequential<T>::forward(const ad::Var<T>& x) {
  if (x.dim() == 0) throw ad::ShapeError("Sequential::forward: input needs a batch axis, got a 0-d value");
  if (!built_) build(ad::Shape(x.shape().begin() + 1, x.shape().end()));
  if (!std::equal(x.shape().begin() + 1, x.shape().end(), input_shape_.begin(), input_shape_.end())) {
    throw ad::ShapeError("Sequential '" + this->name() + "': expects inputs " + detail::batch_shape_str(input_shape_) +
                         ", got " + ad::shape_str(x.shape()));
  }
  ad::Var<T> h = x;
  for (auto& l : layers_) {
    l->clear_activity_penalty();
    h = l->forward(h);
  }
  return h;
}

template <class T>
ad::Var<T> Sequential<T>::penalty() const {
  return penalty_terms(true, true);
}

// The kernel/bias regularizer penalties, the activity penalties, or both (layer by layer).
template <class T>
ad::Var<T> Sequential<T>::penalty_terms(bool regularization, bool activity) const {
  const bool prox_applied = optimizer_ && optimizer_->proximal();
  ad::Var<T> total;
  auto add = [&](const ad::Var<T>& p) {
    if (p.defined()) total = total.defined() ? total + p : p;
  };
  for (const auto& l : layers_) {
    if (regularization) add(l->regularization_penalty(prox_applied));
    if (activity) add(l->activity_penalty());
  }
  return total.defined() ? total : ad::Var<T>::scalar(T(0));
}

template <class T>
void Sequential<T>::compile(OptimizerConfig optimizer, const std::string& loss, std::vector<std::string> metrics) {
  compile(std::move(optimizer), loss_by_name<T>(loss), std::move(metrics), loss);
}

template <class T>
void Sequential<T>::compile(OptimizerConfig optimizer, LossFunction<T> loss, std::vector<std::string> metrics,
                            std::string loss_name) {
  if (!loss) throw std::invalid_argument("Sequential::compile: empty loss function");
  for (const auto& m : metrics) make_metric<T>(m);  // fail now on unknown names
  optimizer_ = std::make_unique<Optimizer<T>>(std::move(optimizer));
  loss_ = std::move(loss);
  loss_name_ = std::move(loss_name);
  metric_names_ = std::move(metrics);
}

template <class T>
Optimizer<T>& Sequential<T>::optimizer() {
  if (!optimizer_) throw std::logic_error("Sequential::optimizer: compile() the model first");
  return *optimizer_;
}

template <class T>
void Sequential<T>::set_random_streams(std::uint64_t seed, std::uint64_t epoch) {
  for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i]->set_random_stream(Random::stream(seed, epoch + 1, i + 1));
}

template <class T>
void Sequential<T>::set_batch_position(std::uint64_t first_row) {
  for (auto& l : layers_) l->set_batch_position(first_row);
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace nn
