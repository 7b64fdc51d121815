// Activations as values: a layer resolves its activation's name once, at construction, and the
// fused ops (ad::linear, ad::conv2d) take the value. relu is fused into their output pass; the
// other activations are applied after the op, as ad::activate does.
//
//   const ad::Activation a = ad::activation_from_name("relu");
//   auto y = ad::linear(x, W, b, a);               // relu(x·W + b), one op
//   auto z = ad::activate(ad::matmul(x, W), a);    // the same values, two ops
#pragma once

#include <string>
#include <string_view>

#include "autodiff/var.hpp"

namespace ad {

// Keras's activations: leaky_relu has slope 0.2 and elu α = 1 (keras.activations' defaults);
// softmax is over the last axis.
enum class Activation { linear, relu, leaky_relu, elu, sigmoid, tanh, softplus, softmax };

// The activation named "linear", "relu", ... (the enumerators' names); ValueError naming `who`
// (the layer or op asking), the name and the known names otherwise.
Activation activation_from_name(std::string_view name, std::string_view who = "activation");
std::string_view activation_name(Activation a);

// a(x).
template <class T>
Var<T> activate(const Var<T>& x, Activation a);

}  // namespace ad
