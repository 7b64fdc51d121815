// Module: named parameters and sub-modules in registration order, train/eval mode, zero_grad.
// Like PyTorch's C++ Module, the order in which parameters are registered is the order in which
// parameters() lists them, so optimizers and files see a deterministic order.
//
//   class Affine : public nn::Module<float> {
//    public:
//     Affine() : Module("affine") {
//       w_ = register_parameter("w", xt::xarray<float>(xt::ones<float>({3, 3})));
//     }
//    private:
//     ad::Var<float> w_;
//   };
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/parameter.hpp"
#include "nn/regularizers.hpp"

namespace nn {

template <class T>
class Module {
 public:
  explicit Module(std::string name = "module") : name_(std::move(name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;  // parameters are shared handles: a copy would alias them
  Module& operator=(const Module&) = delete;
  Module(Module&&) noexcept = default;
  Module& operator=(Module&&) noexcept = default;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // Own parameters first, then each sub-module's, depth first; names are "<child>/<param>".
  std::vector<Parameter<T>> parameters() const;
  std::size_t parameter_count() const;
  // Sum of the registered regularizers' penalties on the current parameters, sub-modules
  // included (recorded on the tape); prox_applied as for Regularizer::operator(): true when a
  // proximal optimizer applies the proximal parts. Undefined if there is no penalty.
  ad::Var<T> regularization_penalty(bool prox_applied = false) const;

  // Replaces the Var behind a parameter, by its name in parameters() ("dense/kernel"), with one
  // of the same shape: for tied weights, or to differentiate a model with respect to Vars you
  // hold (see the whole-model gradient check in tests/nn).
  void replace_parameter(const std::string& name, const ad::Var<T>& var);

  void train(bool on = true);  // propagates to sub-modules
  void eval() { train(false); }
  bool training() const { return training_; }
  void zero_grad();            // forgets every parameter's gradient

 protected:
  // A new leaf that requires grad, owned by this module. Names must be unique in the module.
  ad::Var<T> register_parameter(const std::string& name, xt::xarray<T> value, Regularizer regularizer = {},
                                Constraint constraint = {});
  void register_module(std::shared_ptr<Module<T>> child);
  // This module's own i-th registered parameter (registration order).
  const ad::Var<T>& own_parameter(std::size_t i) const { return parameters_.at(i).var; }
  const std::vector<std::shared_ptr<Module<T>>>& children() const { return children_; }

 private:
  using Entry = Parameter<T>;  // name within this module
  std::string name_;
  bool training_ = true;
  std::vector<Entry> parameters_;
  std::vector<std::shared_ptr<Module<T>>> children_;
};

extern template class Module<float>;
extern template class Module<double>;

}  // namespace nn
