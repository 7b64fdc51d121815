// Sequential::compact: removing dead Dense units and input features (see sequential.hpp).
//
// The weights are worked on as copies of full size with masks of the units still alive, so
// unit indices stay the original ones throughout; the smaller arrays are cut at the end.
// Between two Dense layers only identities at inference (Dropout, Flatten of a vector) and
// elementwise activations may stand, so that unit j of one layer feeds row j of the next kernel
// and nothing else.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nn/select_features.hpp"
#include "nn/sequential.hpp"

namespace nn {

namespace {

template <class T>
struct DenseState {
  const DenseLayer<T>* layer;
  xt::xarray<T> kernel;                 // (inputs, units)
  xt::xarray<T> bias;                   // zeros without use_bias
  std::vector<ad::Activation> outputs;  // own activation, then elementwise Activation layers up to the next Dense
  std::string kept_because;             // non-empty: no unit of this layer may go
  std::vector<bool> alive;
  CompactionReport::LayerRow row;
};

template <class T>
struct Plan {
  std::vector<DenseState<T>> dense;
  std::vector<bool> inputs_alive;      // the first Dense layer's inputs
  std::vector<std::string> untouched;  // convolutional layers before the first Dense layer
};

bool elementwise(ad::Activation a) { return a != ad::Activation::softmax; }

std::size_t count_alive(const std::vector<bool>& alive) { return std::size_t(std::count(alive.begin(), alive.end(), true)); }

[[noreturn]] void unsupported(const std::string& name, const std::string& type, const std::string& reason) {
  throw std::invalid_argument("Sequential::compact: layer '" + name + "' (" + type + "): " + reason);
}

// Conv2D and pooling layers, which compact() copies unchanged when they come before the first
// Dense layer: its inputs are then their outputs, whatever they are.
template <class T>
bool convolutional(const Layer<T>& l) {
  return dynamic_cast<const Conv2DLayer<T>*>(&l) || dynamic_cast<const Pooling2DLayer<T>*>(&l) ||
         dynamic_cast<const GlobalAveragePooling2DLayer<T>*>(&l);
}

template <class T>
DenseState<T> dense_state(const DenseLayer<T>& d) {
  DenseState<T> s{&d, d.kernel().value(), {}, {d.activation()}, {}, {}, {}};
  const std::size_t units = s.kernel.shape()[1];
  s.bias = d.options().use_bias ? xt::xarray<T>(d.bias().value()) : xt::xarray<T>(xt::zeros<T>({units}));
  if (!elementwise(d.activation())) s.kept_because = "softmax activation (across units)";
  s.alive.assign(units, true);
  s.row.name = d.name();
  s.row.units_before = units;
  return s;
}

// Reads the model's Dense layers and what stands between them; throws on layers compact() cannot
// see through.
template <class T>
Plan<T> plan_of(const std::vector<LayerPtr<T>>& layers) {
  Plan<T> plan;
  for (const auto& l : layers) {
    if (const auto* d = dynamic_cast<const DenseLayer<T>*>(l.get())) {
      plan.dense.push_back(dense_state(*d));
    } else if (const auto* a = dynamic_cast<const ActivationLayer<T>*>(l.get())) {
      if (plan.dense.empty()) continue;
      if (elementwise(a->activation())) plan.dense.back().outputs.push_back(a->activation());
      else if (plan.dense.back().kept_because.empty()) plan.dense.back().kept_because = "followed by softmax '" + a->name() + "'";
    } else if (dynamic_cast<const SelectFeaturesLayer<T>*>(l.get())) {
      if (!plan.dense.empty()) unsupported(l->name(), l->type(), "a feature selection after a Dense layer reorders its units");
    } else if (convolutional(*l)) {
      if (!plan.dense.empty()) unsupported(l->name(), l->type(), "convolutional layers after a Dense layer are not handled");
      plan.untouched.push_back(l->name());
    } else if (!dynamic_cast<const DropoutLayer<T>*>(l.get()) && !dynamic_cast<const FlattenLayer<T>*>(l.get())) {
      unsupported(l->name(), l->type(), "unknown to compact(), which handles Dense stacks (with Dropout, Activation "
                                        "and Flatten, after any Conv2D and pooling layers) and cannot rebuild other layers");
    }
  }
  if (!plan.dense.empty()) {
    if (plan.dense.back().kept_because.empty()) plan.dense.back().kept_because = "output layer";
    plan.inputs_alive.assign(plan.dense.front().kernel.shape()[0], true);
  }
  return plan;
}

template <class T>
bool row_is_zero(const xt::xarray<T>& kernel, std::size_t row, const std::vector<bool>& columns) {
  for (std::size_t o = 0; o < columns.size(); ++o) {
    if (columns[o] && kernel(row, o) != T(0)) return false;
  }
  return true;
}

template <class T>
bool column_is_zero(const xt::xarray<T>& kernel, std::size_t column, const std::vector<bool>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] && kernel(i, column) != T(0)) return false;
  }
  return true;
}

// Each unit's output when its incoming weights are zero: the output activations of its bias.
template <class T>
xt::xarray<T> constant_outputs(const DenseState<T>& s) {
  ad::NoGradGuard no_grad;
  xt::xarray<T> row = s.bias;
  row.reshape({std::size_t(1), row.size()});
  ad::Var<T> h(std::move(row));
  for (auto a : s.outputs) h = ad::activate(h, a);
  xt::xarray<T> out = h.value();
  out.reshape({out.size()});
  return out;
}

template <class T>
void remove_unit(DenseState<T>& s, std::size_t j) {
  s.alive[j] = false;
  s.row.removed.push_back(j);
}

// Removes the units of layer k whose outgoing row is zero, or whose incoming column is zero and
// whose constant output can be folded into layer k + 1's bias. True if any went.
template <class T>
bool remove_dead_units(Plan<T>& plan, std::size_t k) {
  DenseState<T>& s = plan.dense[k];
  DenseState<T>& next = plan.dense[k + 1];
  const std::vector<bool>& rows = k == 0 ? plan.inputs_alive : plan.dense[k - 1].alive;
  const xt::xarray<T> constants = constant_outputs(s);
  const bool next_has_bias = next.layer->options().use_bias;
  bool changed = false;
  for (std::size_t j = 0; j < s.alive.size() && count_alive(s.alive) > 1; ++j) {
    if (!s.alive[j]) continue;
    if (row_is_zero(next.kernel, j, next.alive)) {
      remove_unit(s, j);
    } else if (column_is_zero(s.kernel, j, rows) && std::isfinite(constants(j)) &&
               (constants(j) == T(0) || next_has_bias)) {
      if (constants(j) != T(0)) {
        for (std::size_t o = 0; o < next.alive.size(); ++o) next.bias(o) += constants(j) * next.kernel(j, o);
      }
      s.row.folded.emplace_back(j, double(constants(j)));
      remove_unit(s, j);
    } else {
      continue;
    }
    changed = true;
  }
  return changed;
}

template <class T>
bool drop_dead_inputs(Plan<T>& plan) {
  const DenseState<T>& first = plan.dense.front();
  bool changed = false;
  for (std::size_t i = 0; i < plan.inputs_alive.size() && count_alive(plan.inputs_alive) > 1; ++i) {
    if (plan.inputs_alive[i] && row_is_zero(first.kernel, i, first.alive)) {
      plan.inputs_alive[i] = false;
      changed = true;
    }
  }
  return changed;
}

template <class T>
void shrink_to_fixed_point(Plan<T>& plan) {
  if (plan.dense.empty()) return;
  for (bool changed = true; changed;) {
    changed = drop_dead_inputs(plan);
    for (std::size_t k = 0; k + 1 < plan.dense.size(); ++k) {
      if (plan.dense[k].kept_because.empty()) changed = remove_dead_units(plan, k) || changed;
    }
  }
}

std::vector<std::size_t> indices_alive(const std::vector<bool>& alive) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < alive.size(); ++i) {
    if (alive[i]) out.push_back(i);
  }
  return out;
}

// The rows and columns alive of a 2-D array, or the entries alive of a vector (columns empty).
template <class T>
xt::xarray<T> cut(const xt::xarray<T>& a, const std::vector<std::size_t>& rows, const std::vector<std::size_t>& columns) {
  if (a.dimension() == 1) {
    xt::xarray<T> out = xt::xarray<T>::from_shape({rows.size()});
    for (std::size_t i = 0; i < rows.size(); ++i) out(i) = a(rows[i]);
    return out;
  }
  xt::xarray<T> out = xt::xarray<T>::from_shape({rows.size(), columns.size()});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < columns.size(); ++j) out(i, j) = a(rows[i], columns[j]);
  }
  return out;
}

// A copy of a convolutional layer (same type, name and options), or null for other layers.
template <class T>
LayerPtr<T> rebuilt_convolutional_layer(const Layer<T>& l) {
  if (const auto* c = dynamic_cast<const Conv2DLayer<T>*>(&l)) {
    KernelOptions options = c->options();
    options.name = c->name();
    return Conv2D(c->filters(), c->kernel_size(), std::string(ad::activation_name(c->activation())), c->geometry(),
                  options)
        .template make_layer<T>();
  }
  if (const auto* p = dynamic_cast<const Pooling2DLayer<T>*>(&l)) {
    Pooling2DOptions options = p->options();
    options.name = p->name();
    if (p->kind() == Pooling2DLayer<T>::Kind::max) return MaxPooling2D(p->pool_size(), options).template make_layer<T>();
    return AveragePooling2D(p->pool_size(), options).template make_layer<T>();
  }
  if (dynamic_cast<const GlobalAveragePooling2DLayer<T>*>(&l)) return GlobalAveragePooling2D{l.name()}.template make_layer<T>();
  return nullptr;
}

// The spec of a layer of the compact model: the same type, name and options.
template <class T>
LayerPtr<T> rebuilt_layer(const Layer<T>& l, const Plan<T>& plan, std::size_t& dense_index) {
  if (const auto* d = dynamic_cast<const DenseLayer<T>*>(&l)) {
    KernelOptions options = d->options();
    options.name = d->name();
    const std::size_t units = count_alive(plan.dense[dense_index++].alive);
    return Dense(units, std::string(ad::activation_name(d->activation())), options).template make_layer<T>();
  }
  if (const auto* a = dynamic_cast<const ActivationLayer<T>*>(&l)) {
    return Activation(std::string(ad::activation_name(a->activation())), a->name()).template make_layer<T>();
  }
  if (const auto* r = dynamic_cast<const DropoutLayer<T>*>(&l)) return Dropout(r->rate(), r->name()).template make_layer<T>();
  if (const auto* s = dynamic_cast<const SelectFeaturesLayer<T>*>(&l)) {
    return SelectFeatures(s->indices(), s->name()).template make_layer<T>();
  }
  if (auto conv = rebuilt_convolutional_layer(l)) return conv;
  return Flatten{l.name()}.template make_layer<T>();  // plan_of() let only these types through
}

// Cuts the plan's weights into the compact model's Dense layers, in order.
template <class T>
void assign_weights(const Plan<T>& plan, const std::vector<LayerPtr<T>>& layers) {
  std::size_t k = 0;
  for (const auto& l : layers) {
    const auto* d = dynamic_cast<const DenseLayer<T>*>(l.get());
    if (d == nullptr) continue;
    const DenseState<T>& s = plan.dense[k];
    const auto rows = indices_alive(k == 0 ? plan.inputs_alive : plan.dense[k - 1].alive);
    const auto columns = indices_alive(s.alive);
    d->kernel().mutable_value() = cut(s.kernel, rows, columns);
    if (d->options().use_bias) d->bias().mutable_value() = cut(s.bias, columns, {});
    ++k;
  }
}

// The untouched layers' weights, copied by layer name (compact() keeps the names).
template <class T>
void copy_untouched_weights(const std::vector<LayerPtr<T>>& from, const std::vector<LayerPtr<T>>& to) {
  for (const auto& target : to) {
    if (!dynamic_cast<const Conv2DLayer<T>*>(target.get())) continue;
    const auto source = std::find_if(from.begin(), from.end(), [&](const auto& l) { return l->name() == target->name(); });
    const auto values = (*source)->parameters();
    const auto params = target->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) params[i].var.mutable_value() = values[i].var.value();
  }
}

template <class T>
void fill_report(const Plan<T>& plan, CompactionReport& report) {
  report.layers.clear();
  for (const auto& s : plan.dense) {
    CompactionReport::LayerRow row = s.row;
    row.units_after = count_alive(s.alive);
    row.kept_because = s.kept_because;
    std::sort(row.removed.begin(), row.removed.end());
    std::sort(row.folded.begin(), row.folded.end());
    report.layers.push_back(std::move(row));
  }
  report.input_features = plan.inputs_alive.size();
  report.kept_features = indices_alive(plan.inputs_alive);
  report.untouched = plan.untouched;
}

}  // namespace

template <class T>
Sequential<T> Sequential<T>::compact(CompactionReport* report) const {
  if (!built_) throw std::logic_error("Sequential::compact: the model '" + this->name() + "' is not built yet");
  Plan<T> plan = plan_of(layers_);
  shrink_to_fixed_point(plan);

  Sequential<T> out(seed_, this->name());
  out.add(Input(input_shape_));
  std::size_t dense_index = 0;
  const bool select = count_alive(plan.inputs_alive) < plan.inputs_alive.size();
  for (const auto& l : layers_) {
    if (select && dense_index == 0 && dynamic_cast<const DenseLayer<T>*>(l.get())) {
      out.add(SelectFeatures(indices_alive(plan.inputs_alive)));
    }
    out.add(rebuilt_layer(*l, plan, dense_index));
  }
  assign_weights(plan, out.layers());
  copy_untouched_weights(layers_, out.layers());
  out.train(this->training());
  if (report != nullptr) {
    fill_report(plan, *report);
    report->parameters_before = this->parameter_count();
    report->parameters_after = out.parameter_count();
  }
  return out;
}

template Sequential<float> Sequential<float>::compact(CompactionReport*) const;
template Sequential<double> Sequential<double>::compact(CompactionReport*) const;

}  // namespace nn
