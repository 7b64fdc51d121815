// The proximal part of a regularizer: a non-smooth penalty h(w) (λ·Σ|w|, group norms, ...) that a
// proximal optimizer applies by its proximal operator after each ordinary step,
//     w ← argmin_u  h(u) + Σ_i (u_i − w_i)² / (2·η_i),
// instead of following h's subgradient (which only makes weights oscillate around zero).
// η_i is the optimizer's own step size for coordinate i: lr for SGD; for Adam
// lr·√(1−β2^t)/(√v_i + ε), the factor its update multiplies the bias-corrected mean gradient by.
// A group penalty sees every η_i of its group through ProxStep, and the parameter's shape, to
// find its groups.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>

#include <autodiff/var.hpp>

namespace nn {

// η_i = scale / (√v_i + ε), or scale for every i when v is null (SGD).
template <class T>
struct ProxStep {
  T scale;
  const T* v = nullptr;  // Adam's second moments, one per coordinate
  T epsilon = 0;

  T operator[](std::size_t i) const { return v == nullptr ? scale : scale / (std::sqrt(v[i]) + epsilon); }
  // η_i·λ, rounded as (scale·λ)/(√v_i + ε): λ joins the scalar factor first.
  T times(T lambda, std::size_t i) const {
    return v == nullptr ? scale * lambda : (scale * lambda) / (std::sqrt(v[i]) + epsilon);
  }
};

class ProximalTerm {
 public:
  virtual ~ProximalTerm() = default;
  virtual std::string description() const = 0;  // "L1(0.001)"
  // h(w) as a scalar tape expression (differentiable where h is; its subgradient otherwise).
  virtual ad::Var<float> value(const ad::Var<float>& w) const = 0;
  virtual ad::Var<double> value(const ad::Var<double>& w) const = 0;
  // w ← prox_{η·h}(w), in place; w is the parameter's data, row-major, of shape `shape`.
  virtual void prox(std::span<float> w, std::span<const std::size_t> shape, const ProxStep<float>& step) const = 0;
  virtual void prox(std::span<double> w, std::span<const std::size_t> shape, const ProxStep<double>& step) const = 0;
};

}  // namespace nn
