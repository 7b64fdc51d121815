#include "autodiff/gradcheck.hpp"

#include <cmath>
#include <cstdio>
#include <random>

#include "autodiff/ops.hpp"

namespace ad {
namespace {

using Array = xt::xarray<double>;

std::string element_str(const Array::shape_type& shape, std::size_t flat) {
  if (shape.empty()) return "()";
  std::vector<std::size_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::vector<Var<double>> constants(const std::vector<Array>& values) {
  std::vector<Var<double>> r;
  for (const auto& v : values) r.emplace_back(v, false);
  return r;
}

// Rows of the checked matrix: either output elements or random projections of the outputs.
struct Rows {
  std::size_t count = 0;
  std::vector<Array> weights;  // empty: row j is output element j
};

// numeric[k] has shape (rows, inputs[k].size()): central differences of the weighted outputs.
std::vector<Array> numeric_jacobian(const DifferentiableFunction& f, const std::vector<Array>& inputs,
                                    const Rows& rows, double eps) {
  std::vector<Array> result;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    Array jac = xt::zeros<double>({rows.count, inputs[k].size()});
    for (std::size_t i = 0; i < inputs[k].size(); ++i) {
      std::vector<Array> plus = inputs, minus = inputs;
      plus[k].data()[i] += eps;
      minus[k].data()[i] -= eps;
      const Array fp = f(constants(plus)).value();
      const Array fm = f(constants(minus)).value();
      for (std::size_t r = 0; r < rows.count; ++r) {
        double d;
        if (rows.weights.empty()) {
          d = fp.data()[r] - fm.data()[r];
        } else {
          d = 0;
          for (std::size_t o = 0; o < fp.size(); ++o) d += rows.weights[r].data()[o] * (fp.data()[o] - fm.data()[o]);
        }
        jac(r, i) = d / (2 * eps);
      }
    }
    result.push_back(std::move(jac));
  }
  return result;
}

std::vector<Array> analytic_jacobian(const DifferentiableFunction& f, const std::vector<Array>& inputs,
                                     const Rows& rows) {
  std::vector<Var<double>> leaves;
  for (const auto& v : inputs) leaves.emplace_back(v, true);
  const Var<double> y = f(leaves);
  std::vector<Array> result;
  for (const auto& v : inputs) result.push_back(xt::zeros<double>({rows.count, v.size()}));
  if (!y.requires_grad()) return result;  // f ignores its inputs: the Jacobian is zero
  for (std::size_t r = 0; r < rows.count; ++r) {
    Array seed;
    if (rows.weights.empty()) {
      seed = xt::zeros<double>(y.shape());
      seed.data()[r] = 1;
    } else {
      seed = rows.weights[r];
    }
    const auto gs = grad(y, leaves, Var<double>(seed), {.retain_graph = true, .allow_unused = true});
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      for (std::size_t i = 0; i < inputs[k].size(); ++i) result[k](r, i) = gs[k].value().data()[i];
    }
  }
  return result;
}

}  // namespace

GradcheckResult gradcheck(const DifferentiableFunction& f, const std::vector<Array>& inputs,
                          const GradcheckOptions& options) {
  const Array y0 = f(constants(inputs)).value();
  Rows rows;
  if (y0.size() <= options.max_exact_outputs) {
    rows.count = y0.size();
  } else {
    std::mt19937_64 rng(options.seed);
    std::normal_distribution<double> normal;
    rows.count = options.projections;
    for (std::size_t r = 0; r < rows.count; ++r) {
      Array w = Array::from_shape(y0.shape());
      for (auto& e : w) e = normal(rng);
      rows.weights.push_back(std::move(w));
    }
  }
  const auto numeric = numeric_jacobian(f, inputs, rows, options.eps);
  const auto analytic = analytic_jacobian(f, inputs, rows);

  GradcheckResult result;
  result.worst_excess = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    for (std::size_t r = 0; r < rows.count; ++r) {
      for (std::size_t i = 0; i < inputs[k].size(); ++i) {
        const double a = analytic[k](r, i), n = numeric[k](r, i);
        const double tolerance = options.atol + options.rtol * std::abs(n);
        const double excess = std::isfinite(a) && std::isfinite(n) ? std::abs(a - n) - tolerance
                                                                     : std::numeric_limits<double>::infinity();
        if (excess <= result.worst_excess) continue;
        result.worst_excess = excess;
        if (excess <= 0) continue;
        result.ok = false;
        result.message = "gradcheck failed for input " + std::to_string(k) + " of shape " +
                         shape_str(inputs[k].shape()) + " at element " + element_str(inputs[k].shape(), i) + ", " +
                         (rows.weights.empty() ? "output element " + element_str(y0.shape(), r)
                                               : "random output projection " + std::to_string(r)) +
                         ": analytic " + num(a) + " vs numeric " + num(n) + ", |difference| " +
                         num(std::abs(a - n)) + " > tolerance " + num(tolerance) + " (atol " + num(options.atol) +
                         " + rtol " + num(options.rtol) + " * |numeric|, eps " + num(options.eps) + ")";
      }
    }
  }
  if (!result.ok) return result;
  if (rows.count == 0 || inputs.empty()) result.worst_excess = 0;
  return result;
}

GradcheckResult gradgradcheck(const DifferentiableFunction& f, const std::vector<Array>& inputs,
                              const GradcheckOptions& options) {
  const Array y0 = f(constants(inputs)).value();
  std::mt19937_64 rng(options.seed + 1);
  std::normal_distribution<double> normal;
  Array v = Array::from_shape(y0.shape());
  for (auto& e : v) e = normal(rng);

  const std::size_t n = inputs.size();
  // (x..., v) -> v^T J_f(x), flattened and concatenated over the inputs.
  DifferentiableFunction first_derivative = [&f, n](const std::vector<Var<double>>& in) {
    std::vector<Var<double>> xs;
    for (std::size_t k = 0; k < n; ++k) xs.push_back(in[k].requires_grad() ? in[k] : Var<double>(in[k].value(), true));
    const Var<double> y = f(xs);
    std::vector<Var<double>> parts;
    if (!y.requires_grad()) {
      for (const auto& x : xs) parts.emplace_back(xt::xarray<double>(xt::zeros<double>({x.size()})));
      return concat(parts);
    }
    const auto gs = grad(y, xs, in[n], {.create_graph = true, .allow_unused = true});
    for (const auto& g : gs) parts.push_back(flatten(g));
    return concat(parts);
  };
  std::vector<Array> extended = inputs;
  extended.push_back(v);
  GradcheckResult r = gradcheck(first_derivative, extended, options);
  if (!r.ok) r.message = "gradgradcheck (second derivative): " + r.message;
  return r;
}

}  // namespace ad
