// Functional transforms of differentiable functions, as torch.autograd.functional: vector-Jacobian
// and Jacobian-vector products, Hessian-vector products, whole Jacobians and Hessians.
//
//   auto f = [&](const ad::Var<double>& w) { return ad::mean(ad::square(ad::matmul(X, w) - y)); };
//   auto [loss, hv] = ad::hvp(f, w, v);              // H v without forming H
//   ad::Var<double> H = ad::hessian(f, w);            // shape w.shape + w.shape
//   auto [out, jv] = ad::jvp(g, x, dx);               // forward-mode tangent J dx
//   // A penalty differentiable w.r.t. the parameters theta that f closes over:
//   auto Hc = ad::hessian(f, w, {.create_graph = true});
//
// Several inputs: f takes a std::vector<Var<T>>; vjp/hvp return one product per input, jacobian
// one Var per input (out_shape + in_shape_i), hessian H[i][j] of shape in_shape_i + in_shape_j.
//
// Inputs and results. The transforms differentiate w.r.t. x itself when x is a leaf that requires
// grad (a parameter: no copy is made, and ad::grad w.r.t. it touches no grad()), and also, with
// create_graph, when x is a result with history; otherwise w.r.t. a leaf copy of x that requires
// grad (as torch.autograd.functional detaches its inputs), where the backward sweeps stop. So f
// should reach x through its argument only: were f to capture x as well, those uses would count
// as the argument's. Without create_graph every result is off the tape (as if detached): a
// constant. With create_graph the results stay on the tape, differentiable w.r.t. x's history,
// w.r.t. v, and w.r.t. every Var that f closes over (the model's parameters), to any order, as
// torch.autograd.functional.hessian(create_graph=True) keeps the graph to the inputs (it reaches
// them through a view of x; we use x's own node, which gives the same derivatives).
//
// f runs with recording on (also under a NoGradGuard). An output that does not depend on an
// input gives zeros for it (allow_unused). Errors: hvp and hessian of an f whose output is not a
// single element, and a v whose shape is not the one its slot needs, throw ShapeError naming the
// shapes; a number of tangents other than the number of inputs, or an f returning an undefined
// Var, throws ValueError.
//
// Cost, with F one evaluation of f and B one backward pass through it:
//   vjp       F + B
//   jvp       F + ~2B: the double-vjp trick. u -> vjp(f, x, u) = J^T u is linear in u, so
//             J v = d<J^T u, v>/du: one backward with create_graph (recording J^T u), one
//             backward through that record. Exact, not a finite difference; any u gives the
//             same result (zeros are used).
//   hvp       F + ~2B: grad f with create_graph, then the gradient of <grad f, v>.
//   jacobian  F + out_size backward passes (one vjp per output element).
//   hessian   F + B + in_size backward passes through the gradient's record.
#pragma once

#include <cstddef>
#include <functional>
#include <type_traits>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

struct FunctionalOptions {
  // Keep the results on the tape (and x's history), so they can be differentiated again.
  bool create_graph = false;
};

template <class T>
using UnaryFunction = std::function<Var<T>(const Var<T>&)>;
template <class T>
using MultiFunction = std::function<Var<T>(const std::vector<Var<T>>&)>;

// f(x) and a product of its derivative with a vector: vjp, jvp and hvp return one.
//   auto [y, g] = ad::vjp(f, x, v);
template <class T, class Product = Var<T>>
struct WithOutput {
  Var<T> output;
  Product product;
};

// f's type takes no part in deducing T (a lambda converts to the std::function): T comes from x.
template <class T>
using Unary = std::type_identity_t<UnaryFunction<T>>;
template <class T>
using Multi = std::type_identity_t<MultiFunction<T>>;

// f(x) and v^T J (shape of x); v has f(x)'s shape.
template <class T>
WithOutput<T> vjp(const Unary<T>& f, const Var<T>& x, const Var<T>& v, const FunctionalOptions& options = {});
template <class T>
WithOutput<T, std::vector<Var<T>>> vjp(const Multi<T>& f, const std::vector<Var<T>>& xs, const Var<T>& v,
                                       const FunctionalOptions& options = {});

// f(x) and J v (shape of f(x)); v has x's shape (vs[i] xs[i]'s: the product is sum_i J_i vs[i]).
template <class T>
WithOutput<T> jvp(const Unary<T>& f, const Var<T>& x, const Var<T>& v, const FunctionalOptions& options = {});
template <class T>
WithOutput<T> jvp(const Multi<T>& f, const std::vector<Var<T>>& xs, const std::vector<Var<T>>& vs,
                  const FunctionalOptions& options = {});

// f(x) (a single element) and H v (shape of x), without forming H. For several inputs, product i
// is sum_j H_ij vs[j].
template <class T>
WithOutput<T> hvp(const Unary<T>& f, const Var<T>& x, const Var<T>& v, const FunctionalOptions& options = {});
template <class T>
WithOutput<T, std::vector<Var<T>>> hvp(const Multi<T>& f, const std::vector<Var<T>>& xs,
                                       const std::vector<Var<T>>& vs, const FunctionalOptions& options = {});

// d f(x) / d x, of shape f(x).shape + x.shape.
template <class T>
Var<T> jacobian(const Unary<T>& f, const Var<T>& x, const FunctionalOptions& options = {});
template <class T>
std::vector<Var<T>> jacobian(const Multi<T>& f, const std::vector<Var<T>>& xs, const FunctionalOptions& options = {});

// The Hessian of a single-element f, of shape x.shape + x.shape (the Jacobian of its gradient).
template <class T>
Var<T> hessian(const Unary<T>& f, const Var<T>& x, const FunctionalOptions& options = {});
template <class T>
std::vector<std::vector<Var<T>>> hessian(const Multi<T>& f, const std::vector<Var<T>>& xs,
                                         const FunctionalOptions& options = {});

}  // namespace ad
