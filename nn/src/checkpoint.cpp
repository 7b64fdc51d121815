// Sequential's files: weights (save_weights/load_weights) and training checkpoints (weights,
// optimizer state and the number of epochs completed), as .npz written atomically.
#include "nn/sequential.hpp"

#include <algorithm>
#include <limits>

#include "nn/npz.hpp"

#include "check.hpp"

namespace nn {

template <class T>
std::vector<Parameter<T>> Sequential<T>::checked_parameters() const {
  if (!built_) throw std::logic_error("Sequential: build the model (or run it once) before saving or loading weights");
  return this->parameters();
}

template <class T>
void Sequential<T>::save_weights(const std::string& path) const {
  NpzArchive a;
  for (const auto& p : checked_parameters()) a.put(p.name, p.var.value());
  save_npz(path, a);
}

namespace {
// The values for params from entries "<prefix><name>", all checked before any is used, so that
// a failed load leaves the model untouched.
template <class T>
std::vector<xt::xarray<T>> checked_values(const NpzArchive& a, const std::string& path,
                                          const std::vector<Parameter<T>>& params, const std::string& prefix) {
  std::vector<xt::xarray<T>> values;
  for (const auto& p : params) {
    const std::string key = prefix + p.name;
    if (!a.contains(key)) throw FormatError("load '" + path + "': entry '" + key + "' is missing");
    xt::xarray<T> v;
    try {
      v = a.get<T>(key);
    } catch (const FormatError& e) {
      throw FormatError("load '" + path + "': entry '" + key + "': " + e.what());
    }
    if (v.shape() != p.var.shape()) {
      throw FormatError("load '" + path + "': entry '" + key + "' has shape " + ad::shape_str(v.shape()) +
                        ", the model's parameter has " + ad::shape_str(p.var.shape()));
    }
    values.push_back(std::move(v));
  }
  return values;
}

template <class T>
void assign(const std::vector<Parameter<T>>& params, std::vector<xt::xarray<T>>&& values) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto var = params[i].var;
    var.mutable_value() = std::move(values[i]);
  }
}
}  // namespace

template <class T>
void Sequential<T>::load_weights(const std::string& path) {
  const auto params = checked_parameters();
  const NpzArchive a = load_npz(path);
  for (const auto& name : a.names()) {
    const bool known = std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.name == name; });
    if (!known) throw FormatError("load_weights '" + path + "': entry '" + name + "' is not a parameter of this model");
  }
  assign(params, checked_values(a, path, params, ""));
}

template <class T>
void Sequential<T>::save_checkpoint(const std::string& path, int epochs_completed) const {
  if (!optimizer_) throw std::logic_error("Sequential::save_checkpoint: compile() the model first");
  detail::require(epochs_completed >= 0, "Sequential::save_checkpoint", "epochs_completed", ">= 0", epochs_completed);
  NpzArchive a;
  for (const auto& p : checked_parameters()) a.put("weights/" + p.name, p.var.value());
  for (const auto& [name, value] : optimizer_->state()) a.put("optimizer/" + name, value);
  xt::xarray<std::int64_t> meta = xt::xarray<std::int64_t>::from_shape({2});
  meta(0) = epochs_completed;
  meta(1) = static_cast<std::int64_t>(optimizer_->config().index());
  a.put("meta/epochs_and_optimizer", meta);
  save_npz(path, a);
}

template <class T>
int Sequential<T>::load_checkpoint(const std::string& path) {
  if (!optimizer_) throw std::logic_error("Sequential::load_checkpoint: compile() the model first");
  const auto params = checked_parameters();
  const NpzArchive a = load_npz(path);
  if (!a.contains("meta/epochs_and_optimizer")) throw FormatError("load_checkpoint '" + path + "': not a checkpoint (no meta entry)");
  const auto meta = a.get<std::int64_t>("meta/epochs_and_optimizer");
  if (meta.size() != 2) throw FormatError("load_checkpoint '" + path + "': malformed meta entry");
  const std::int64_t epochs = meta(0);
  if (epochs < 0 || epochs > std::numeric_limits<int>::max()) {
    throw FormatError("load_checkpoint '" + path + "': the stored epoch count " + std::to_string(epochs) +
                      " is not in [0, " + std::to_string(std::numeric_limits<int>::max()) + "]");
  }
  if (meta(1) != static_cast<std::int64_t>(optimizer_->config().index())) {
    throw FormatError("load_checkpoint '" + path + "': saved with another optimizer than " + optimizer_->name());
  }
  NamedArrays<T> state;
  for (const auto& name : a.names()) {
    if (name.rfind("optimizer/", 0) == 0) state.emplace_back(name.substr(10), a.get<T>(name));
  }
  auto values = checked_values(a, path, params, "weights/");
  optimizer_->load_state(state);  // checks its own entries before replacing anything
  assign(params, std::move(values));
  return static_cast<int>(epochs);
}

template std::vector<Parameter<float>> Sequential<float>::checked_parameters() const;
template void Sequential<float>::save_weights(const std::string& path) const;
template void Sequential<float>::load_weights(const std::string& path);
template void Sequential<float>::save_checkpoint(const std::string& path, int epochs_completed) const;
template int Sequential<float>::load_checkpoint(const std::string& path);
template std::vector<Parameter<double>> Sequential<double>::checked_parameters() const;
template void Sequential<double>::save_weights(const std::string& path) const;
template void Sequential<double>::load_weights(const std::string& path);
template void Sequential<double>::save_checkpoint(const std::string& path, int epochs_completed) const;
template int Sequential<double>::load_checkpoint(const std::string& path);

}  // namespace nn
