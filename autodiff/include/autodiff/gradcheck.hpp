// Gradient checks: the analytic Jacobian from backward against central differences, in double.
//
//   auto f = [](const std::vector<ad::Var<double>>& in) { return ad::sum(ad::tanh(in[0]) * in[1]); };
//   auto r = ad::gradcheck(f, {x0, y0}, {.eps = 1e-6, .atol = 1e-5, .rtol = 1e-3});
//   if (!r) std::cerr << r.message;      // names the input, element, both values, the tolerance
//   auto r2 = ad::gradgradcheck(f, {x0, y0});   // the same for the gradient of f
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

struct GradcheckOptions {
  double eps = 1e-6;   // central-difference step
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
  // Outputs with more elements than this are checked through random projections v^T J instead
  // of one backward per output element.
  std::size_t max_exact_outputs = 64;
  std::size_t projections = 6;
  std::uint64_t seed = 0;  // for projections and gradgradcheck's output gradient
};

struct GradcheckResult {
  bool ok = true;
  double worst_excess = 0;  // largest |analytic - numeric| - tolerance seen (<= 0 when ok)
  std::string message;      // empty when ok
  explicit operator bool() const { return ok; }
};

using DifferentiableFunction = std::function<Var<double>(const std::vector<Var<double>>&)>;

// Checks d f / d inputs. Inputs become leaves that require grad; f may return any shape.
GradcheckResult gradcheck(const DifferentiableFunction& f, const std::vector<xt::xarray<double>>& inputs,
                          const GradcheckOptions& options = {});

// Checks the second derivative: gradcheck of (inputs, v) -> v^T J_f(inputs), where J_f comes
// from grad(..., create_graph = true) and v is a fixed random output gradient.
GradcheckResult gradgradcheck(const DifferentiableFunction& f, const std::vector<xt::xarray<double>>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace ad
