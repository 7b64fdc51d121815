#include "nn/optimizers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>
#include <type_traits>

#include <xtensor/xbuilder.hpp>

#include <autodiff/var.hpp>

#include "check.hpp"

namespace nn {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

using detail::number;

const char* config_name(const OptimizerConfig& config) {
  return std::visit(Overloaded{[](const SGD&) { return "SGD"; }, [](const Adam&) { return "Adam"; },
                               [](const AdamW&) { return "AdamW"; }, [](const RMSprop&) { return "RMSprop"; },
                               [](const Adagrad&) { return "Adagrad"; }},
                    config);
}

void require_learning_rate(const char* optimizer, double lr) {
  detail::require_finite_positive(optimizer, "learning_rate", lr);
}

// Adam's and AdamW's shared hyperparameters.
template <class C>
void require_adam(const char* optimizer, const C& c) {
  require_learning_rate(optimizer, c.learning_rate);
  detail::require_fraction(optimizer, "beta_1", c.beta_1);
  detail::require_fraction(optimizer, "beta_2", c.beta_2);
  detail::require_finite_nonnegative(optimizer, "epsilon", c.epsilon);
}

void validate(const OptimizerConfig& config) {
  std::visit(Overloaded{[](const SGD& c) {
                          require_learning_rate("SGD", c.learning_rate);
                          detail::require_fraction("SGD", "momentum", c.momentum);
                        },
                        [](const Adam& c) { require_adam("Adam", c); },
                        [](const AdamW& c) {
                          require_adam("AdamW", c);
                          detail::require_finite_nonnegative("AdamW", "weight_decay", c.weight_decay);
                        },
                        [](const RMSprop& c) {
                          require_learning_rate("RMSprop", c.learning_rate);
                          detail::require_fraction("RMSprop", "rho", c.rho);
                          detail::require_fraction("RMSprop", "momentum", c.momentum);
                          detail::require_finite_nonnegative("RMSprop", "epsilon", c.epsilon);
                        },
                        [](const Adagrad& c) {
                          require_learning_rate("Adagrad", c.learning_rate);
                          detail::require_finite_nonnegative("Adagrad", "initial_accumulator_value", c.initial_accumulator_value);
                          detail::require_finite_nonnegative("Adagrad", "epsilon", c.epsilon);
                        }},
             config);
}

// The optional state entry of a parameter's frozen-zero mask (Optimizer::freeze_zeros).
constexpr const char* frozen_entry = "frozen_zeros";

// The names of a parameter's state arrays, in the order Slot::arrays holds them.
std::vector<std::string> slot_array_names(const OptimizerConfig& config) {
  return std::visit(Overloaded{[](const SGD& c) {
                                 return c.momentum > 0 ? std::vector<std::string>{"velocity"}
                                                       : std::vector<std::string>{};
                               },
                               [](const Adam&) { return std::vector<std::string>{"m", "v"}; },
                               [](const AdamW&) { return std::vector<std::string>{"m", "v"}; },
                               [](const RMSprop& c) {
                                 std::vector<std::string> names{"velocity"};
                                 if (c.centered) names.emplace_back("average_gradient");
                                 if (c.momentum > 0) names.emplace_back("momentum");
                                 return names;
                               },
                               [](const Adagrad&) { return std::vector<std::string>{"accumulator"}; }},
                    config);
}

// The value a fresh state array starts from.
double slot_initial_value(const OptimizerConfig& config) {
  if (const auto* c = std::get_if<Adagrad>(&config)) return c->initial_accumulator_value;
  return 0.0;
}

template <class A, class B>
bool equal_shapes(const A& a, const B& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Iteration counts that T represents exactly: [0, 2^digits).
template <class T>
constexpr std::uint64_t iteration_limit() {
  return std::uint64_t{1} << std::numeric_limits<T>::digits;
}

// ---- update kernels: raw loops over contiguous data, all arithmetic in T ----------------------

template <class T>
void sgd_update(const SGD& c, T* w, const T* g, T* velocity, std::size_t n) {
  const T lr = static_cast<T>(c.learning_rate);
  if (velocity == nullptr) {
    for (std::size_t i = 0; i < n; ++i) w[i] -= lr * g[i];
    return;
  }
  const T momentum = static_cast<T>(c.momentum);
  if (c.nesterov) {
    for (std::size_t i = 0; i < n; ++i) {
      velocity[i] = momentum * velocity[i] - lr * g[i];
      w[i] += momentum * velocity[i] - lr * g[i];
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      velocity[i] = momentum * velocity[i] - lr * g[i];
      w[i] += velocity[i];
    }
  }
}

// 1 − β and 1 − β^t computed in double and rounded once to T. Keras computes 1 − β so (β is a
// Python float there): 1.0f − 0.999f is 0.00099998713, float(1 − 0.999) is 0.001. The bias
// corrections 1 − β^t are rounded the same way, so that at t = 1 they equal the coefficients
// the moments were scaled by and cancel as they should.
template <class T>
T one_minus(double beta, std::uint64_t t = 1) {
  return static_cast<T>(1.0 - std::pow(beta, static_cast<double>(t)));
}

// Adam's hyperparameters in T.
template <class T>
struct AdamCoefficients {
  T lr, beta_1, beta_2, one_minus_beta_1, one_minus_beta_2, epsilon, decay;
  double beta_1_double, beta_2_double;
};

template <class T, class C>
AdamCoefficients<T> adam_coefficients(T lr, const C& c, double decay) {
  return {lr,
          static_cast<T>(c.beta_1),
          static_cast<T>(c.beta_2),
          one_minus<T>(c.beta_1),
          one_minus<T>(c.beta_2),
          static_cast<T>(c.epsilon),
          static_cast<T>(decay),
          c.beta_1,
          c.beta_2};
}

// Adam's update with the bias corrections folded into alpha (Keras: ε outside the correction).
// decay != 0 applies AdamW's decoupled decay w −= lr·weight_decay·w first.
template <class T>
void adam_update(const AdamCoefficients<T>& c, std::uint64_t iterations, T* w, const T* g, T* m, T* v,
                 std::size_t n) {
  const std::uint64_t t = iterations + 1;
  const T lr = c.lr, beta_1 = c.beta_1, beta_2 = c.beta_2, epsilon = c.epsilon, decay = c.decay;
  const T alpha = lr * std::sqrt(one_minus<T>(c.beta_2_double, t)) / one_minus<T>(c.beta_1_double, t);
  const T one_minus_beta_1 = c.one_minus_beta_1;
  const T one_minus_beta_2 = c.one_minus_beta_2;
  const T lr_decay = lr * decay;
  for (std::size_t i = 0; i < n; ++i) {
    if (decay != 0) w[i] -= lr_decay * w[i];
    m[i] = beta_1 * m[i] + one_minus_beta_1 * g[i];
    v[i] = beta_2 * v[i] + one_minus_beta_2 * (g[i] * g[i]);
    w[i] -= alpha * m[i] / (std::sqrt(v[i]) + epsilon);
  }
}

template <class T>
void rmsprop_update(const RMSprop& c, T* w, const T* g, T* velocity, T* average_gradient, T* momentum,
                    std::size_t n) {
  const T lr = static_cast<T>(c.learning_rate);
  const T rho = static_cast<T>(c.rho);
  const T one_minus_rho = one_minus<T>(c.rho);
  const T epsilon = static_cast<T>(c.epsilon);
  const T mu = static_cast<T>(c.momentum);
  for (std::size_t i = 0; i < n; ++i) {
    velocity[i] = rho * velocity[i] + one_minus_rho * (g[i] * g[i]);
    T denominator;
    if (average_gradient != nullptr) {
      average_gradient[i] = rho * average_gradient[i] + one_minus_rho * g[i];
      denominator = velocity[i] - average_gradient[i] * average_gradient[i] + epsilon;
    } else {
      denominator = velocity[i] + epsilon;
    }
    const T increment = lr * g[i] / std::sqrt(denominator);
    if (momentum != nullptr) {
      momentum[i] = mu * momentum[i] + increment;
      w[i] -= momentum[i];
    } else {
      w[i] -= increment;
    }
  }
}

template <class T>
void adagrad_update(const Adagrad& c, T* w, const T* g, T* accumulator, std::size_t n) {
  const T lr = static_cast<T>(c.learning_rate);
  const T epsilon = static_cast<T>(c.epsilon);
  for (std::size_t i = 0; i < n; ++i) {
    accumulator[i] += g[i] * g[i];
    w[i] -= lr * g[i] / std::sqrt(accumulator[i] + epsilon);
  }
}

// The optimizer's step sizes for a parameter's proximal step (proximal.hpp): lr for SGD; for
// Adam lr·√(1−β2^t)/(√v_i + ε) with the v just updated, t the step being taken.
template <class T>
ProxStep<T> prox_step(const OptimizerConfig& config, T lr, std::uint64_t t, const T* v) {
  if (const auto* adam = std::get_if<Adam>(&config)) {
    return {lr * std::sqrt(one_minus<T>(adam->beta_2, t)), v, static_cast<T>(adam->epsilon)};
  }
  return {lr};
}

// A stored frozen-zero mask holds only 0 and 1.
template <class T>
void check_mask(const std::string& who, const std::string& entry, const xt::xarray<T>& mask) {
  for (const T m : mask) {
    if (m != T(0) && m != T(1)) {
      throw std::runtime_error(who + "entry '" + entry + "' must hold only 0 and 1, found " +
                               number(static_cast<double>(m)));
    }
  }
}

// Masked fine-tuning: the frozen entries go back to exactly zero after the update.
template <class T>
void keep_frozen_at_zero(T* w, const T* frozen, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (frozen[i] != T(0)) w[i] = T(0);
  }
}

}  // namespace

template <class T>
Optimizer<T>::Optimizer(OptimizerConfig config) : config_(std::move(config)) {
  validate(config_);
}

template <class T>
std::string Optimizer<T>::name() const {
  return config_name(config_);
}

template <class T>
bool Optimizer<T>::proximal() const {
  if (const auto* c = std::get_if<SGD>(&config_)) return c->proximal || c->proximal_l1;
  if (const auto* c = std::get_if<Adam>(&config_)) return c->proximal || c->proximal_l1;
  return false;
}

template <class T>
double Optimizer<T>::learning_rate() const {
  return std::visit([](const auto& c) { return c.learning_rate; }, config_);
}

template <class T>
void Optimizer<T>::set_learning_rate(double lr) {
  require_learning_rate(config_name(config_), lr);
  std::visit([lr](auto& c) { c.learning_rate = lr; }, config_);
}

template <class T>
typename Optimizer<T>::Slot* Optimizer<T>::find_slot(const std::string& param_name) {
  const std::size_t n = slots_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (slot_hint_ + k) % n;
    if (slots_[i].name == param_name) {
      slot_hint_ = i + 1 == n ? 0 : i + 1;
      return &slots_[i];
    }
  }
  return nullptr;
}

template <class T>
typename Optimizer<T>::Slot& Optimizer<T>::slot_for(const Parameter<T>& p) {
  const auto& shape = p.var.shape();
  if (Slot* slot = find_slot(p.name)) {
    if (!equal_shapes(slot->shape, shape)) {
      throw std::runtime_error(name() + ": parameter '" + p.name + "' has shape " + ad::shape_str(shape) +
                               " but its optimizer state was created for shape " + ad::shape_str(slot->shape));
    }
    return *slot;
  }
  Slot slot;
  slot.name = p.name;
  slot.shape.assign(shape.begin(), shape.end());
  const std::size_t count = slot_array_names(config_).size();
  const T initial = static_cast<T>(slot_initial_value(config_));
  slot.arrays.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    xt::xarray<T> a = xt::xarray<T>::from_shape(slot.shape);
    std::fill(a.begin(), a.end(), initial);
    slot.arrays.push_back(std::move(a));
  }
  slots_.push_back(std::move(slot));
  slot_hint_ = 0;
  return slots_.back();
}

template <class T>
void Optimizer<T>::step(const std::vector<Parameter<T>>& params) {
  ad::NoGradGuard no_grad;

  // Check everything first, so that an error leaves every parameter and all state untouched.
  for (const auto& p : params) {
    if (!p.var.defined()) continue;
    const ad::Var<T> g = p.var.grad();
    if (!g.defined()) continue;
    if (!equal_shapes(g.shape(), p.var.shape())) {
      throw std::runtime_error(name() + ": the gradient of parameter '" + p.name + "' has shape " +
                               ad::shape_str(g.shape()) + " but the parameter has shape " +
                               ad::shape_str(p.var.shape()));
    }
    if (const Slot* slot = find_slot(p.name); slot != nullptr && !equal_shapes(slot->shape, p.var.shape())) {
      throw std::runtime_error(name() + ": parameter '" + p.name + "' has shape " + ad::shape_str(p.var.shape()) +
                               " but its optimizer state was created for shape " + ad::shape_str(slot->shape));
    }
  }

  const bool apply_prox = proximal();
  const T lr = static_cast<T>(learning_rate());
  for (const auto& p : params) {
    if (!p.var.defined()) continue;
    const ad::Var<T> grad = p.var.grad();
    if (!grad.defined()) continue;
    Slot& slot = slot_for(p);
    const T* g = grad.value().data();
    T* w = p.var.mutable_value().data();
    const std::size_t n = p.var.size();
    auto array = [&slot](std::size_t i) { return slot.arrays[i].data(); };

    std::visit(Overloaded{[&](const SGD& c) { sgd_update(c, w, g, slot.arrays.empty() ? nullptr : array(0), n); },
                          [&](const Adam& c) {
                            adam_update(adam_coefficients(lr, c, 0.0), iterations_, w, g, array(0), array(1), n);
                          },
                          [&](const AdamW& c) {
                            adam_update(adam_coefficients(lr, c, c.weight_decay), iterations_, w, g, array(0),
                                        array(1), n);
                          },
                          [&](const RMSprop& c) {
                            std::size_t next = 1;
                            T* average = c.centered ? array(next++) : nullptr;
                            T* momentum = c.momentum > 0 ? array(next++) : nullptr;
                            rmsprop_update(c, w, g, array(0), average, momentum, n);
                          },
                          [&](const Adagrad& c) { adagrad_update(c, w, g, array(0), n); }},
               config_);

    if (slot.frozen) keep_frozen_at_zero(w, slot.frozen->data(), n);
    if (apply_prox && p.regularizer.has_prox()) {
      const T* v = std::holds_alternative<Adam>(config_) ? array(1) : nullptr;
      const auto& shape = p.var.shape();
      p.regularizer.prox(std::span<T>(w, n), {shape.data(), shape.size()}, prox_step(config_, lr, iterations_ + 1, v));
    }
    p.apply_constraint();
  }
  ++iterations_;
}

template <class T>
std::size_t Optimizer<T>::freeze_zeros(const std::vector<Parameter<T>>& params) {
  std::size_t count = 0;
  for (const auto& p : params) {
    if (!p.var.defined()) continue;
    Slot& slot = slot_for(p);
    const auto& w = p.var.value();
    if (!slot.frozen) slot.frozen = xt::xarray<T>(xt::zeros<T>(slot.shape));
    auto f = slot.frozen->begin();
    for (auto it = w.begin(); it != w.end(); ++it, ++f) {
      if (*it == T(0)) *f = T(1);
      count += *f != T(0);
    }
  }
  return count;
}

template <class T>
void Optimizer<T>::unfreeze() {
  for (auto& slot : slots_) slot.frozen.reset();
}

template <class T>
std::size_t Optimizer<T>::frozen_count() const {
  std::size_t count = 0;
  for (const auto& slot : slots_) {
    if (slot.frozen) count += static_cast<std::size_t>(std::count(slot.frozen->begin(), slot.frozen->end(), T(1)));
  }
  return count;
}

template <class T>
NamedArrays<T> Optimizer<T>::state() const {
  if (iterations_ >= iteration_limit<T>()) {
    throw std::runtime_error(name() + ": iterations = " + std::to_string(iterations_) + " cannot be stored exactly in " +
                             (std::is_same_v<T, float> ? "float" : "double") + " (the limit is 2^" +
                             std::to_string(std::numeric_limits<T>::digits) + ")");
  }
  const auto names = slot_array_names(config_);
  NamedArrays<T> out;
  out.reserve(1 + slots_.size() * names.size());
  xt::xarray<T> count = xt::xarray<T>::from_shape(std::vector<std::size_t>{});
  count() = static_cast<T>(iterations_);
  out.emplace_back("iterations", std::move(count));
  for (const auto& slot : slots_) {
    for (std::size_t i = 0; i < names.size(); ++i) out.emplace_back(slot.name + "/" + names[i], slot.arrays[i]);
    if (slot.frozen) out.emplace_back(slot.name + "/" + frozen_entry, *slot.frozen);
  }
  return out;
}

template <class T>
void Optimizer<T>::load_state(const NamedArrays<T>& state) {
  const std::string who = name() + ".load_state: ";
  const auto names = slot_array_names(config_);
  auto expected = [&names] {
    std::string s = "'iterations'";
    for (const auto& n : names) s += ", '<parameter>/" + n + "'";
    return s;
  };

  // The new slots: the current parameters if there are any (they must all be present), else
  // whatever parameters the state names, in its order.
  const bool fixed = !slots_.empty();
  std::vector<Slot> slots;
  std::vector<std::vector<bool>> seen;
  if (fixed) {
    slots.reserve(slots_.size());
    for (const auto& s : slots_) {
      slots.push_back(Slot{s.name, std::vector<xt::xarray<T>>(names.size()), s.shape, std::nullopt});
      seen.emplace_back(names.size(), false);
    }
  }

  bool have_iterations = false;
  std::uint64_t count = 0;
  for (const auto& [entry, array] : state) {
    if (entry == "iterations") {
      if (have_iterations) throw std::runtime_error(who + "duplicate entry 'iterations'");
      if (array.size() != 1) {
        throw std::runtime_error(who + "entry 'iterations' must hold one value, got shape " + ad::shape_str(array.shape()));
      }
      const T value = *array.begin();
      if (!(value >= 0) || std::floor(value) != value || !(value < static_cast<T>(iteration_limit<T>()))) {
        throw std::runtime_error(who + "entry 'iterations' must be a non-negative integer below 2^" +
                                 std::to_string(std::numeric_limits<T>::digits) + ", got " +
                                 number(static_cast<double>(value)));
      }
      count = static_cast<std::uint64_t>(value);
      have_iterations = true;
      continue;
    }
    const auto slash = entry.rfind('/');
    const std::string param = slash == std::string::npos ? std::string() : entry.substr(0, slash);
    const std::string array_name = slash == std::string::npos ? std::string() : entry.substr(slash + 1);
    const auto which = std::find(names.begin(), names.end(), array_name);
    const bool is_mask = array_name == frozen_entry;
    if (param.empty() || (which == names.end() && !is_mask)) {
      throw std::runtime_error(who + "unknown entry '" + entry + "' (" + name() + " expects " + expected() +
                               ", and optionally '<parameter>/" + frozen_entry + "')");
    }
    const std::size_t index = static_cast<std::size_t>(which - names.begin());
    auto slot = std::find_if(slots.begin(), slots.end(), [&param](const Slot& s) { return s.name == param; });
    if (slot == slots.end()) {
      if (fixed) {
        throw std::runtime_error(who + "unknown entry '" + entry + "': this optimizer has no state for a parameter '" +
                                 param + "'");
      }
      slots.push_back(Slot{param, std::vector<xt::xarray<T>>(names.size()),
                           std::vector<std::size_t>(array.shape().begin(), array.shape().end()), std::nullopt});
      seen.emplace_back(names.size(), false);
      slot = slots.end() - 1;
    }
    if (!equal_shapes(slot->shape, array.shape())) {
      throw std::runtime_error(who + "entry '" + entry + "' has shape " + ad::shape_str(array.shape()) +
                               " but parameter '" + param + "' has shape " + ad::shape_str(slot->shape));
    }
    if (is_mask) {
      if (slot->frozen) throw std::runtime_error(who + "duplicate entry '" + entry + "'");
      check_mask(who, entry, array);
      slot->frozen = array;
      continue;
    }
    auto& got = seen[static_cast<std::size_t>(slot - slots.begin())];
    if (got[index]) throw std::runtime_error(who + "duplicate entry '" + entry + "'");
    slot->arrays[index] = array;
    got[index] = true;
  }

  if (!have_iterations) throw std::runtime_error(who + "missing entry 'iterations'");
  for (std::size_t s = 0; s < slots.size(); ++s) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!seen[s][i]) throw std::runtime_error(who + "missing entry '" + slots[s].name + "/" + names[i] + "'");
    }
  }

  slots_ = std::move(slots);
  iterations_ = count;
  slot_hint_ = 0;
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace nn
