#include "nn/module.hpp"

#include <stdexcept>

namespace nn {

template <class T>
ad::Var<T> Module<T>::register_parameter(const std::string& name, xt::xarray<T> value, Regularizer regularizer,
                                         Constraint constraint) {
  for (const auto& e : parameters_) {
    if (e.name == name) throw std::invalid_argument("module '" + name_ + "': parameter '" + name + "' registered twice");
  }
  ad::Var<T> v(std::move(value), true);
  parameters_.push_back({name, v, std::move(regularizer), std::move(constraint)});
  return v;
}

template <class T>
void Module<T>::register_module(std::shared_ptr<Module<T>> child) {
  for (const auto& c : children_) {
    if (c->name() == child->name()) {
      throw std::invalid_argument("module '" + name_ + "': two sub-modules named '" + child->name() + "'");
    }
  }
  child->train(training_);
  children_.push_back(std::move(child));
}

template <class T>
std::vector<Parameter<T>> Module<T>::parameters() const {
  std::vector<Parameter<T>> out;
  out.insert(out.end(), parameters_.begin(), parameters_.end());
  for (const auto& c : children_) {
    for (auto p : c->parameters()) {
      p.name = c->name() + "/" + p.name;
      out.push_back(std::move(p));
    }
  }
  return out;
}

template <class T>
ad::Var<T> Module<T>::regularization_penalty(bool prox_applied) const {
  ad::Var<T> total;
  for (const auto& e : parameters_) {
    if (!e.regularizer) continue;
    const ad::Var<T> p = e.regularizer(e.var, prox_applied);
    total = total.defined() ? total + p : p;
  }
  for (const auto& c : children_) {
    const ad::Var<T> p = c->regularization_penalty(prox_applied);
    if (p.defined()) total = total.defined() ? total + p : p;
  }
  return total;
}

template <class T>
std::size_t Module<T>::parameter_count() const {
  std::size_t n = 0;
  for (const auto& p : parameters()) n += p.var.size();
  return n;
}

template <class T>
void Module<T>::replace_parameter(const std::string& name, const ad::Var<T>& var) {
  for (auto& e : parameters_) {
    if (e.name != name) continue;
    if (!var.defined() || var.shape() != e.var.shape()) {
      throw ad::ShapeError("module '" + name_ + "': parameter '" + name + "' has shape " + ad::shape_str(e.var.shape()) +
                           ", the replacement " + (var.defined() ? ad::shape_str(var.shape()) : std::string("is undefined")));
    }
    e.var = var;
    return;
  }
  const auto slash = name.find('/');
  if (slash != std::string::npos) {
    for (auto& c : children_) {
      if (c->name() == name.substr(0, slash)) return c->replace_parameter(name.substr(slash + 1), var);
    }
  }
  throw std::invalid_argument("module '" + name_ + "': no parameter named '" + name + "'");
}

template <class T>
void Module<T>::train(bool on) {
  training_ = on;
  for (auto& c : children_) c->train(on);
}

template <class T>
void Module<T>::zero_grad() {
  for (auto& p : parameters()) p.var.zero_grad();
}

template class Module<float>;
template class Module<double>;

}  // namespace nn
