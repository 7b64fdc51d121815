#include "autodiff/activation.hpp"

#include <array>
#include <utility>

#include "autodiff/ops.hpp"

namespace ad {

namespace {

constexpr std::array<std::pair<std::string_view, Activation>, 8> names{{{"linear", Activation::linear},
                                                                          {"relu", Activation::relu},
                                                                          {"leaky_relu", Activation::leaky_relu},
                                                                          {"elu", Activation::elu},
                                                                          {"sigmoid", Activation::sigmoid},
                                                                          {"tanh", Activation::tanh},
                                                                          {"softplus", Activation::softplus},
                                                                          {"softmax", Activation::softmax}}};

}  // namespace

Activation activation_from_name(std::string_view name, std::string_view who) {
  std::string known;
  for (const auto& [n, a] : names) {
    if (n == name) return a;
    known += (known.empty() ? "" : ", ") + std::string(n);
  }
  throw ValueError(std::string(who) + ": unknown activation '" + std::string(name) + "' (known: " + known + ")");
}

std::string_view activation_name(Activation a) {
  for (const auto& [n, value] : names) {
    if (value == a) return n;
  }
  throw ValueError("activation_name: no activation numbered " + std::to_string(static_cast<int>(a)));
}

template <class T>
Var<T> activate(const Var<T>& x, Activation a) {
  switch (a) {
    case Activation::linear: return x;
    case Activation::relu: return relu(x);
    case Activation::leaky_relu: return leaky_relu(x, T(0.2));
    case Activation::elu: return elu(x, T(1));
    case Activation::sigmoid: return sigmoid(x);
    case Activation::tanh: return tanh(x);
    case Activation::softplus: return softplus(x);
    case Activation::softmax: return softmax(x, -1);
  }
  throw ValueError("activate: no activation numbered " + std::to_string(static_cast<int>(a)));
}

template Var<float> activate(const Var<float>&, Activation);
template Var<double> activate(const Var<double>&, Activation);

}  // namespace ad
