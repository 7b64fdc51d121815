// Sequential::compact: removing dead Dense units, Conv2D filters and input features (see
// sequential.hpp).
//
// Every kernel is seen as a matrix (rows, units): a Dense kernel as it is, a Conv2D kernel
// (kh, kw, channels, filters) with its leading axes merged. Row r of a kernel reads unit
// r mod C of the kernel layer before it (C its number of units): for a Dense or a Conv2D after
// a Conv2D, or a Dense after a Flatten (NHWC: the channel varies fastest) or a global pooling of
// a Conv2D's output. Between two kernel layers only identities at inference (Dropout, Flatten),
// elementwise activations and per-channel pooling may stand, so that nothing else mixes units.
// The weights are worked on as copies of full size with masks of the units still alive, so
// unit indices stay the original ones throughout; the smaller arrays are cut at the end.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nn/select_features.hpp"
#include "nn/sequential.hpp"

namespace nn {

namespace {

template <class T>
struct UnitState {
  const KernelLayer<T>* layer;
  ad::Shape kernel_shape;               // as the layer has it
  xt::xarray<T> kernel;                 // (rows, units)
  xt::xarray<T> bias;                   // zeros without use_bias
  std::vector<ad::Activation> outputs;  // own activation, then elementwise Activation layers up to the next kernel layer
  // A constant input unit can be folded into this layer's bias: every output sees the same
  // number of that unit's values (a Dense, or a Conv2D with 'valid' padding).
  bool takes_constants = true;
  std::string kept_because;             // non-empty: no unit of this layer may go
  std::vector<bool> alive;
  CompactionReport::LayerRow row;
};

template <class T>
struct Plan {
  std::vector<UnitState<T>> kernels;
  std::vector<bool> inputs_alive;  // what the first kernel's rows read (features, or channels of a Conv2D)
  bool inputs_droppable = false;   // the first kernel layer is a Dense: a SelectFeatures can go before it
};

bool elementwise(ad::Activation a) { return a != ad::Activation::softmax; }

std::size_t count_alive(const std::vector<bool>& alive) { return std::size_t(std::count(alive.begin(), alive.end(), true)); }

[[noreturn]] void unsupported(const std::string& name, const std::string& type, const std::string& reason) {
  throw std::invalid_argument("Sequential::compact: layer '" + name + "' (" + type + "): " + reason);
}

// Layers that keep units apart: identities at inference and per-channel pooling.
template <class T>
bool passes_units(const Layer<T>& l) {
  return dynamic_cast<const DropoutLayer<T>*>(&l) || dynamic_cast<const FlattenLayer<T>*>(&l) ||
         dynamic_cast<const Pooling2DLayer<T>*>(&l) || dynamic_cast<const GlobalAveragePooling2DLayer<T>*>(&l);
}

template <class T>
UnitState<T> unit_state(const KernelLayer<T>& k) {
  UnitState<T> s{&k, ad::Shape(k.kernel().shape().begin(), k.kernel().shape().end()), k.kernel().value(), {}, {k.activation()}, true, {}, {}, {}};
  const std::size_t units = s.kernel_shape.back();
  s.kernel.reshape({s.kernel.size() / units, units});
  s.bias = k.options().use_bias ? xt::xarray<T>(k.bias().value()) : xt::xarray<T>(xt::zeros<T>({units}));
  if (const auto* c = dynamic_cast<const Conv2DLayer<T>*>(&k)) s.takes_constants = c->geometry().padding == "valid";
  if (!elementwise(k.activation())) s.kept_because = "softmax activation (across units)";
  s.alive.assign(units, true);
  s.row.name = k.name();
  s.row.units_before = units;
  return s;
}

// Reads the model's kernel layers and what stands between them; throws on layers compact()
// cannot see through.
template <class T>
Plan<T> plan_of(const std::vector<LayerPtr<T>>& layers) {
  Plan<T> plan;
  for (const auto& l : layers) {
    const auto* k = dynamic_cast<const KernelLayer<T>*>(l.get());
    if (k && (dynamic_cast<const DenseLayer<T>*>(k) || dynamic_cast<const Conv2DLayer<T>*>(k))) {
      plan.kernels.push_back(unit_state(*k));
    } else if (const auto* a = dynamic_cast<const ActivationLayer<T>*>(l.get())) {
      if (plan.kernels.empty()) continue;
      if (elementwise(a->activation())) plan.kernels.back().outputs.push_back(a->activation());
      else if (plan.kernels.back().kept_because.empty()) plan.kernels.back().kept_because = "followed by softmax '" + a->name() + "'";
    } else if (dynamic_cast<const SelectFeaturesLayer<T>*>(l.get())) {
      if (!plan.kernels.empty()) unsupported(l->name(), l->type(), "a feature selection after a kernel layer reorders its units");
    } else if (!passes_units(*l)) {
      unsupported(l->name(), l->type(), "unknown to compact(), which handles Dense and Conv2D layers with Dropout, "
                                        "Activation, Flatten and pooling layers between, and cannot rebuild other layers");
    }
  }
  if (!plan.kernels.empty()) {
    auto& first = plan.kernels.front();
    if (plan.kernels.back().kept_because.empty()) plan.kernels.back().kept_because = "output layer";
    plan.inputs_droppable = dynamic_cast<const DenseLayer<T>*>(first.layer) != nullptr;
    plan.inputs_alive.assign(first.kernel_shape[first.kernel_shape.size() - 2], true);
  }
  return plan;
}

// Whether unit j of a layer with `units` units feeds nothing: the rows reading it (j, j + units,
// ...) of the next kernel are zero in the columns alive.
template <class T>
bool outgoing_is_zero(const xt::xarray<T>& next, std::size_t j, std::size_t units, const std::vector<bool>& columns) {
  for (std::size_t r = j; r < next.shape()[0]; r += units) {
    for (std::size_t o = 0; o < columns.size(); ++o) {
      if (columns[o] && next(r, o) != T(0)) return false;
    }
  }
  return true;
}

// Whether column j of a kernel is zero in the rows that read inputs alive (row r reads r mod n).
template <class T>
bool incoming_is_zero(const xt::xarray<T>& kernel, std::size_t j, const std::vector<bool>& inputs) {
  for (std::size_t r = 0; r < kernel.shape()[0]; ++r) {
    if (inputs[r % inputs.size()] && kernel(r, j) != T(0)) return false;
  }
  return true;
}

// Each unit's output when its incoming weights are zero: the output activations of its bias
// (pooling a constant gives the constant).
template <class T>
xt::xarray<T> constant_outputs(const UnitState<T>& s) {
  ad::NoGradGuard no_grad;
  xt::xarray<T> row = s.bias;
  row.reshape({std::size_t(1), row.size()});
  ad::Var<T> h(std::move(row));
  for (auto a : s.outputs) h = ad::activate(h, a);
  xt::xarray<T> out = h.value();
  out.reshape({out.size()});
  return out;
}

// next's bias += c · (the rows reading unit j, summed): what a constant unit j contributed.
template <class T>
void fold_constant(UnitState<T>& next, std::size_t j, std::size_t units, T c) {
  for (std::size_t r = j; r < next.kernel.shape()[0]; r += units) {
    for (std::size_t o = 0; o < next.alive.size(); ++o) next.bias(o) += c * next.kernel(r, o);
  }
}

// Removes the units of layer k whose outgoing rows are zero, or whose incoming column is zero
// and whose constant output can be folded into layer k + 1's bias. True if any went.
template <class T>
bool remove_dead_units(Plan<T>& plan, std::size_t k) {
  UnitState<T>& s = plan.kernels[k];
  UnitState<T>& next = plan.kernels[k + 1];
  const std::vector<bool>& inputs = k == 0 ? plan.inputs_alive : plan.kernels[k - 1].alive;
  const xt::xarray<T> constants = constant_outputs(s);
  const bool folds = next.layer->options().use_bias && next.takes_constants;
  const std::size_t units = s.alive.size();
  bool changed = false;
  for (std::size_t j = 0; j < units && count_alive(s.alive) > 1; ++j) {
    if (!s.alive[j]) continue;
    const T c = constants(j);
    if (outgoing_is_zero(next.kernel, j, units, next.alive)) {
      s.row.removed.push_back(j);
    } else if (incoming_is_zero(s.kernel, j, inputs) && std::isfinite(c) && (c == T(0) || folds)) {
      if (c != T(0)) fold_constant(next, j, units, c);
      s.row.folded.emplace_back(j, double(c));
      s.row.removed.push_back(j);
    } else {
      continue;
    }
    s.alive[j] = false;
    changed = true;
  }
  return changed;
}

template <class T>
bool drop_dead_inputs(Plan<T>& plan) {
  if (!plan.inputs_droppable) return false;
  const UnitState<T>& first = plan.kernels.front();
  bool changed = false;
  for (std::size_t i = 0; i < plan.inputs_alive.size() && count_alive(plan.inputs_alive) > 1; ++i) {
    if (plan.inputs_alive[i] && outgoing_is_zero(first.kernel, i, plan.inputs_alive.size(), first.alive)) {
      plan.inputs_alive[i] = false;
      changed = true;
    }
  }
  return changed;
}

template <class T>
void shrink_to_fixed_point(Plan<T>& plan) {
  if (plan.kernels.empty()) return;
  for (bool changed = true; changed;) {
    changed = drop_dead_inputs(plan);
    for (std::size_t k = 0; k + 1 < plan.kernels.size(); ++k) {
      if (plan.kernels[k].kept_because.empty()) changed = remove_dead_units(plan, k) || changed;
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

// The layer's kernel of the compact model: the rows reading inputs alive (row r reads
// r mod inputs.size()) and the units alive, in the layer's own shape.
template <class T>
xt::xarray<T> cut_kernel(const UnitState<T>& s, const std::vector<bool>& inputs) {
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < s.kernel.shape()[0]; ++r) {
    if (inputs[r % inputs.size()]) rows.push_back(r);
  }
  const auto columns = indices_alive(s.alive);
  xt::xarray<T> out = xt::xarray<T>::from_shape({rows.size(), columns.size()});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < columns.size(); ++j) out(i, j) = s.kernel(rows[i], columns[j]);
  }
  ad::Shape shape = s.kernel_shape;  // (inputs, units) or (kh, kw, channels, filters)
  std::size_t window = 1;
  for (std::size_t d = 0; d + 2 < shape.size(); ++d) window *= shape[d];
  shape[shape.size() - 2] = rows.size() / window;
  shape.back() = columns.size();
  out.reshape(shape);
  return out;
}

template <class T>
xt::xarray<T> cut_bias(const UnitState<T>& s) {
  const auto units = indices_alive(s.alive);
  xt::xarray<T> out = xt::xarray<T>::from_shape({units.size()});
  for (std::size_t i = 0; i < units.size(); ++i) out(i) = s.bias(units[i]);
  return out;
}

// A kernel layer of the compact model: the same type, name and options, `units` units.
template <class T>
LayerPtr<T> rebuilt_kernel_layer(const KernelLayer<T>& k, std::size_t units) {
  KernelOptions options = k.options();
  options.name = k.name();
  const std::string activation(ad::activation_name(k.activation()));
  if (const auto* c = dynamic_cast<const Conv2DLayer<T>*>(&k)) {
    return Conv2D(units, c->kernel_size(), activation, c->geometry(), options).template make_layer<T>();
  }
  return Dense(units, activation, options).template make_layer<T>();
}

// A layer of the compact model: the same type, name and options.
template <class T>
LayerPtr<T> rebuilt_layer(const Layer<T>& l, const Plan<T>& plan, std::size_t& kernel_index) {
  if (const auto* k = dynamic_cast<const KernelLayer<T>*>(&l)) {
    return rebuilt_kernel_layer(*k, count_alive(plan.kernels[kernel_index++].alive));
  }
  if (const auto* a = dynamic_cast<const ActivationLayer<T>*>(&l)) {
    return Activation(std::string(ad::activation_name(a->activation())), a->name()).template make_layer<T>();
  }
  if (const auto* r = dynamic_cast<const DropoutLayer<T>*>(&l)) return Dropout(r->rate(), r->name()).template make_layer<T>();
  if (const auto* s = dynamic_cast<const SelectFeaturesLayer<T>*>(&l)) {
    return SelectFeatures(s->indices(), s->name()).template make_layer<T>();
  }
  if (const auto* p = dynamic_cast<const Pooling2DLayer<T>*>(&l)) {
    Pooling2DOptions options = p->options();
    options.name = p->name();
    if (p->kind() == Pooling2DLayer<T>::Kind::max) return MaxPooling2D(p->pool_size(), options).template make_layer<T>();
    return AveragePooling2D(p->pool_size(), options).template make_layer<T>();
  }
  if (dynamic_cast<const GlobalAveragePooling2DLayer<T>*>(&l)) return GlobalAveragePooling2D{l.name()}.template make_layer<T>();
  return Flatten{l.name()}.template make_layer<T>();  // plan_of() let only these types through
}

// Cuts the plan's weights into the compact model's kernel layers, in order.
template <class T>
void assign_weights(const Plan<T>& plan, const std::vector<LayerPtr<T>>& layers) {
  std::size_t k = 0;
  for (const auto& l : layers) {
    const auto* layer = dynamic_cast<const KernelLayer<T>*>(l.get());
    if (layer == nullptr) continue;
    const UnitState<T>& s = plan.kernels[k];
    layer->kernel().mutable_value() = cut_kernel(s, k == 0 ? plan.inputs_alive : plan.kernels[k - 1].alive);
    if (layer->options().use_bias) layer->bias().mutable_value() = cut_bias(s);
    ++k;
  }
}

template <class T>
void fill_report(const Plan<T>& plan, CompactionReport& report) {
  report.layers.clear();
  for (const auto& s : plan.kernels) {
    CompactionReport::LayerRow row = s.row;
    row.units_after = count_alive(s.alive);
    row.kept_because = s.kept_because;
    std::sort(row.removed.begin(), row.removed.end());
    std::sort(row.folded.begin(), row.folded.end());
    report.layers.push_back(std::move(row));
  }
  report.input_features = plan.inputs_droppable ? plan.inputs_alive.size() : 0;
  report.kept_features = plan.inputs_droppable ? indices_alive(plan.inputs_alive) : std::vector<std::size_t>{};
}

}  // namespace

template <class T>
Sequential<T> Sequential<T>::compact(CompactionReport* report) const {
  if (!built_) throw std::logic_error("Sequential::compact: the model '" + this->name() + "' is not built yet");
  Plan<T> plan = plan_of(layers_);
  shrink_to_fixed_point(plan);

  Sequential<T> out(seed_, this->name());
  out.add(Input(input_shape_));
  std::size_t kernel_index = 0;
  const bool select = count_alive(plan.inputs_alive) < plan.inputs_alive.size();
  for (const auto& l : layers_) {
    if (select && kernel_index == 0 && dynamic_cast<const KernelLayer<T>*>(l.get())) {
      out.add(SelectFeatures(indices_alive(plan.inputs_alive)));
    }
    out.add(rebuilt_layer(*l, plan, kernel_index));
  }
  assign_weights(plan, out.layers());
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
