// Optimizers with Keras's update rules and defaults. Configurations are plain structs; an
// Optimizer<T> holds the per-parameter state.
//
//   nn::Optimizer<float> opt(nn::Adam{.learning_rate = 1e-3});
//   ad::backward(loss);
//   opt.step(model.parameters());          // reads each parameter's grad(), updates its value
//
// Proximal steps (SGD and Adam, `.proximal = true`; `.proximal_l1 = true` is the same option under
// its first name): for a parameter whose regularizer has a proximal part (the L1 part λ·Σ|w|, a
// group lasso, see proximal.hpp), that part's gradient is left out of the loss (the model does
// this) and after the ordinary update the optimizer asks the regularizer for its proximal step,
// with the optimizer's step sizes η_i and the parameter's shape; for L1 that is the soft threshold
//     SGD:   w ← sign(w) · max(|w| − lr·λ, 0)
//     Adam:  w_i ← sign(w_i) · max(|w_i| − η_i·λ, 0),  η_i = lr·√(1−β2^t) / (√v_i + ε)
// which sets weights exactly to zero, unlike the subgradient λ·sign(w), which only makes them
// oscillate around zero. η_i is Adam's own step size for coordinate i (its update is η_i times
// the bias-corrected mean gradient), so Adam's threshold is the proximal step in Adam's metric:
// a weight stays at zero exactly when its averaged data gradient is within ±λ, the lasso
// condition. (A flat lr·λ under Adam is swamped by Adam's normalized steps and zeroes nothing.)
// For a group lasso it is the block soft threshold (SGD) or the exact group step in Adam's metric,
// under which a group stays at zero while its averaged data gradient's norm is ≤ λ√p_g.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <xtensor/xarray.hpp>

#include "nn/parameter.hpp"

namespace nn {

// velocity = momentum·velocity − lr·g; w += velocity (Nesterov: w += momentum·velocity − lr·g).
struct SGD {
  double learning_rate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  bool proximal = false;     // apply each regularizer's proximal part by its prox() step
  bool proximal_l1 = false;  // the same option, its first name (kept working)
};

// Keras's Adam: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
// w −= lr·√(1−β2^t)/(1−β1^t) · m / (√v + ε). As in Keras, 1−β1 and 1−β2 (and RMSprop's 1−ρ)
// are computed in double and rounded once to the element type; so are 1−β1^t and 1−β2^t, so
// that at t = 1 the bias corrections equal the moments' coefficients.
struct Adam {
  double learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool proximal = false;     // as SGD's
  bool proximal_l1 = false;  // the same option, its first name
};

// Adam with decoupled weight decay (Loshchilov & Hutter): w −= lr·weight_decay·w before the Adam
// step. This is NOT an L2 penalty: the decay does not pass through the adaptive scaling m/√v, so
// large-gradient and small-gradient weights decay at the same rate.
struct AdamW {
  double learning_rate = 0.001;
  double weight_decay = 0.004;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
};

// v = ρ·v + (1−ρ)·g² (centered: minus the square of the running mean of g);
// increment = lr·g/√(v + ε); with momentum, m = momentum·m + increment, w −= m.
struct RMSprop {
  double learning_rate = 0.001;
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
  bool centered = false;
};

// acc += g²; w −= lr·g/√(acc + ε).
struct Adagrad {
  double learning_rate = 0.001;
  double initial_accumulator_value = 0.1;
  double epsilon = 1e-7;
};

using OptimizerConfig = std::variant<SGD, Adam, AdamW, RMSprop, Adagrad>;

// Named arrays, as stored in checkpoints.
template <class T>
using NamedArrays = std::vector<std::pair<std::string, xt::xarray<T>>>;

template <class T>
class Optimizer {
 public:
  explicit Optimizer(OptimizerConfig config);

  // One update of every parameter that has a gradient, in place (never recorded on the tape).
  // Parameters are identified by name; their state is created at the first step that sees them.
  void step(const std::vector<Parameter<T>>& params);

  const OptimizerConfig& config() const { return config_; }
  std::string name() const;                 // "SGD", "Adam", ...
  bool proximal() const;                    // true if configured for proximal steps
  bool proximal_l1() const { return proximal(); }  // its first name
  double learning_rate() const;
  void set_learning_rate(double lr);
  std::uint64_t iterations() const { return iterations_; }

  // Everything needed to continue training exactly: "iterations" plus one entry per state array
  // ("<param name>/m", "<param name>/v", "<param name>/velocity", ...). load_state checks names
  // and shapes and throws std::runtime_error naming the offending entry.
  //
  // Entries, per parameter that has received a gradient, in first-seen order:
  //   SGD      "velocity" (only with momentum > 0)       Adam, AdamW  "m", "v"
  //   RMSprop  "velocity", "average_gradient" (centered), "momentum" (momentum > 0)
  //   Adagrad  "accumulator"
  // "iterations" is a 0-d array holding the step count as T. T must hold it exactly, so state()
  // throws std::runtime_error once iterations() reaches 2^24 for float (2^53 for double).
  //
  // load_state replaces the whole state. It requires "iterations" and, for every parameter it
  // names, all of that parameter's entries, of one shape. If the optimizer already has state
  // (it has stepped or loaded before), the parameters are fixed: every one of them must be
  // present with its current shape, and an entry for any other parameter is unknown. Unknown or
  // duplicate entries throw. On any error the optimizer is left unchanged. A restored optimizer
  // continues bit-exactly as the saved one would have.
  NamedArrays<T> state() const;
  void load_state(const NamedArrays<T>& state);

  // Masked fine-tuning (the retraining phase of prune-and-retrain, Han et al. 2015): after
  // freeze_zeros(params), each of these parameters' entries that is exactly zero now stays exactly
  // zero at every later step (set back to zero after the update, before the proximal step and the
  // constraint, none of which can move a zero), while the other entries train as usual; their
  // updates are those of the unmasked optimizer (every rule here is per coordinate; a group
  // prox sees the frozen entries as zeros). Returns how many entries it froze. A parameter frozen
  // before keeps its old mask and gains the new zeros. The masks are optimizer state: state()
  // stores them as "<param name>/frozen_zeros" (1 where frozen), so a checkpoint resumes them;
  // unfreeze() forgets them all. Sequential::fit's FitOptions::freeze_zeros calls this for every
  // parameter. Undefined parameters are skipped.
  std::size_t freeze_zeros(const std::vector<Parameter<T>>& params);
  void unfreeze();
  std::size_t frozen_count() const;  // entries frozen, over all parameters

 private:
  struct Slot {
    std::string name;
    std::vector<xt::xarray<T>> arrays;  // m/v/velocity/... depending on the optimizer
    std::vector<std::size_t> shape;     // the parameter's shape when the slot was created
    std::optional<xt::xarray<T>> frozen;  // 1 where the entry is frozen at zero
  };
  Slot& slot_for(const Parameter<T>& p);
  Slot* find_slot(const std::string& name);  // nullptr if the parameter has no state yet

  OptimizerConfig config_;
  std::uint64_t iterations_ = 0;
  std::vector<Slot> slots_;
  std::size_t slot_hint_ = 0;  // where the next lookup starts: parameters usually come in order
};

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace nn
