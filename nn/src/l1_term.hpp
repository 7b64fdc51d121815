// The L1 term λ·Σ|w| as a proximal part: its value and its proximal operator, the soft threshold
// w ← sign(w)·max(|w| − η_i·λ, 0) (+0 for the zeros). L1 and L1L2 hold it; SparseGroupLasso
// uses its two halves.
#pragma once

#include <memory>
#include <span>

#include <autodiff/var.hpp>

#include "nn/proximal.hpp"

namespace nn::detail {

std::shared_ptr<const ProximalTerm> l1_term(double l1);

template <class T>
ad::Var<T> l1_value(const ad::Var<T>& w, double l1);  // l1·Σ|w|, one fused pass each way
template <class T>
void soft_threshold(std::span<T> w, double l1, const ProxStep<T>& step);

}  // namespace nn::detail
