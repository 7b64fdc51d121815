// The proximal step of c·Σ_g ‖w_g‖₂ (c = λ√p_g) in the optimizer's metric diag(1/η_i):
//     u_g = argmin_u  c·‖u‖ + Σ_{i∈g} (u_i − w_i)² / (2·η_i)      for every group g.
// Its optimality condition gives u_g = 0 iff ‖w_g ⊘ η_g‖ ≤ c, and otherwise
// u_i = w_i·r/(r + η_i·c) with r = ‖u_g‖ > 0 the root of ψ(r) = Σ_i w_i²/(r + η_i·c)² = 1.
//
// SGD (one η = lr for all i): r = ‖w_g‖ − η·c, and u_g is the block soft threshold
// w_g·max(0, 1 − η·λ√p_g/‖w_g‖).
// Adam (η_i = lr·√(1−β2^t)/(√v_i + ε)): no single η_g is used. After Adam's step from a zero
// group, w_i = −η_i·m̂_i (m̂ the bias-corrected mean gradient), so the exact test
// ‖w_g ⊘ η_g‖ ≤ c reads ‖m̂_g‖ ≤ λ√p_g: the group stays at exactly zero while its averaged data
// gradient is within the group lasso's optimality condition, as L1's per-coordinate threshold
// does for the lasso. A block soft threshold with one η_g would test ‖η ⊙ m̂‖ ≤ η_g·c instead,
// which is not that condition unless all η_i are equal. The root r is found by Newton's method
// on ψ^(−1/2), concave and increasing in r (the trust-region secular equation), started at
// max(0, ‖w_g‖ − c·max η_i) ≤ r: its iterates increase monotonically to r, one step when the η_i
// are equal.
#pragma once

#include <span>

#include "groups.hpp"
#include "nn/proximal.hpp"

namespace nn::detail {

template <class T>
void group_prox(std::span<T> w, const GroupLayout& layout, double c, const ProxStep<T>& step);

}  // namespace nn::detail
