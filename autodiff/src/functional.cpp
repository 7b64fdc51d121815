// Functional transforms (see autodiff/functional.hpp): each one runs f on prepared inputs and
// calls ad::grad on the result, once or several times (retain_graph, allow_unused).
#include "autodiff/functional.hpp"

#include <string>
#include <utility>

#include <xtensor/xbuilder.hpp>

#include "autodiff/ops.hpp"

namespace ad {
namespace {

template <class T>
using Vars = std::vector<Var<T>>;

// "v" for a single slot, "v[i]" among several, for error messages.
std::string slot(const char* name, std::size_t i, std::size_t count) {
  return count == 1 ? std::string(name) : std::string(name) + "[" + std::to_string(i) + "]";
}

template <class T>
Var<T> zeros_of(const Shape& shape) {
  return Var<T>(xt::xarray<T>(xt::zeros<T>(shape)));
}

template <class T>
Shape shape_of(const Var<T>& x) {
  return Shape(x.shape().begin(), x.shape().end());
}

// x as the transform's input: x itself if it is a leaf that requires grad (grad() w.r.t. it
// touches no grad()), or with create_graph if it requires grad at all (its history is wanted);
// else a leaf copy of it that requires grad, where the sweeps stop.
template <class T>
Var<T> as_input(const char* api, const Var<T>& x, std::size_t i, std::size_t count, bool create_graph) {
  if (!x.defined()) throw ValueError(std::string(api) + ": " + slot("x", i, count) + " is undefined");
  if (x.requires_grad() && (create_graph || x.is_leaf())) return x;
  Var<T> leaf = x.detach();
  leaf.set_requires_grad(true);
  return leaf;
}

template <class T>
Vars<T> as_inputs(const char* api, const Vars<T>& xs, bool create_graph) {
  Vars<T> in;
  in.reserve(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) in.push_back(as_input(api, xs[i], i, xs.size(), create_graph));
  return in;
}

template <class T>
Var<T> call(const char* api, const MultiFunction<T>& f, const Vars<T>& in) {
  Var<T> y = f(in);
  if (!y.defined()) throw ValueError(std::string(api) + ": f returned an undefined Var");
  return y;
}

template <class T>
void require_scalar(const char* api, const Var<T>& y) {
  if (y.size() != 1) {
    throw ShapeError(std::string(api) + ": f must return a single element, but f(x) has shape " +
                     shape_str(y.shape()));
  }
}

template <class T>
void require_shape(const char* api, const std::string& what, const Var<T>& v, const std::string& of, const Var<T>& ref) {
  if (!v.defined()) throw ValueError(std::string(api) + ": " + what + " is undefined");
  if (v.shape() != ref.shape()) {
    throw ShapeError(std::string(api) + ": " + what + " has shape " + shape_str(v.shape()) + " but " + of +
                     " has shape " + shape_str(ref.shape()));
  }
}

// One tangent per input, each of its input's shape.
template <class T>
void require_tangents(const char* api, const Vars<T>& vs, const Vars<T>& xs) {
  if (vs.size() != xs.size()) {
    throw ValueError(std::string(api) + ": " + std::to_string(vs.size()) + " vectors v for " +
                     std::to_string(xs.size()) + " inputs x");
  }
  for (std::size_t i = 0; i < xs.size(); ++i) {
    require_shape(api, slot("v", i, xs.size()), vs[i], slot("x", i, xs.size()), xs[i]);
  }
}

// d y / d xs (seeded), zeros where y does not depend on an input; the graph is kept for more.
template <class T>
Vars<T> grads(const Var<T>& y, const Vars<T>& xs, const Scalar<Var<T>>* seed, bool create_graph) {
  if (!y.requires_grad()) {
    Vars<T> zeros;
    for (const auto& x : xs) zeros.push_back(zeros_of<T>(shape_of(x)));
    return zeros;
  }
  const GradOptions options{.retain_graph = true, .create_graph = create_graph, .allow_unused = true};
  return seed ? grad(y, xs, *seed, options) : grad(y, xs, options);
}

// The gradient w.r.t. `wrt` of <gs, vs> = sum_i sum(gs[i] * vs[i]). One term needs no product:
// vs[0] seeds the sweep from gs[0].
template <class T>
Vars<T> grad_of_inner(const Vars<T>& gs, const Vars<T>& vs, const Vars<T>& wrt, bool create_graph) {
  if (gs.size() == 1) return grads(gs[0], wrt, &vs[0], create_graph);
  Var<T> s = Var<T>::scalar(T(0));
  for (std::size_t i = 0; i < gs.size(); ++i) s = s + sum(gs[i] * vs[i]);
  return grads(s, wrt, nullptr, create_graph);
}

// A result as returned: off the tape unless create_graph. One that is not on it is no copy.
template <class T>
Var<T> finish(const Var<T>& r, bool create_graph) {
  return create_graph || !r.requires_grad() ? r : r.detach();
}

template <class T>
Vars<T> finish(const Vars<T>& rs, bool create_graph) {
  Vars<T> out;
  for (const auto& r : rs) out.push_back(finish(r, create_graph));
  return out;
}

template <class T>
Shape joined(const Var<T>& a, const Var<T>& b) {
  Shape s = shape_of(a);
  s.insert(s.end(), b.shape().begin(), b.shape().end());
  return s;
}

// The rows of one input's Jacobian, (1, in_size) each, as a Var of shape out_shape + in_shape.
template <class T>
Var<T> stack_rows(const Vars<T>& rows, const Var<T>& y, const Var<T>& x) {
  if (rows.empty() || x.size() == 0) return zeros_of<T>(joined(y, x));
  return reshape(concat(rows, 0), joined(y, x));
}

// d y / d xs[i] for every i, one backward per element of y.
template <class T>
Vars<T> jacobian_of(const Var<T>& y, const Vars<T>& xs, bool create_graph) {
  std::vector<Vars<T>> rows(xs.size());
  if (y.requires_grad()) {
    for (std::size_t k = 0; k < y.size(); ++k) {
      xt::xarray<T> one_hot = xt::zeros<T>(y.shape());
      one_hot.data()[k] = T(1);
      const Var<T> seed(std::move(one_hot));
      const Vars<T> g = grads(y, xs, &seed, create_graph);
      for (std::size_t i = 0; i < xs.size(); ++i) rows[i].push_back(reshape(g[i], Shape{1, xs[i].size()}));
    }
  }
  Vars<T> out;
  for (std::size_t i = 0; i < xs.size(); ++i) out.push_back(finish(stack_rows(rows[i], y, xs[i]), create_graph));
  return out;
}

template <class T>
MultiFunction<T> on_first(const UnaryFunction<T>& f) {
  return [&f](const Vars<T>& xs) { return f(xs[0]); };
}

}  // namespace

template <class T>
WithOutput<T, std::vector<Var<T>>> vjp(const Multi<T>& f, const std::vector<Var<T>>& xs, const Var<T>& v,
                                       const FunctionalOptions& options) {
  GradModeGuard recording(true);
  const Vars<T> in = as_inputs("vjp", xs, options.create_graph);
  const Var<T> y = call("vjp", f, in);
  require_shape("vjp", "v", v, "f(x)", y);
  return {finish(y, options.create_graph), finish(grads(y, in, &v, options.create_graph), options.create_graph)};
}

template <class T>
WithOutput<T> vjp(const Unary<T>& f, const Var<T>& x, const Var<T>& v, const FunctionalOptions& options) {
  auto r = vjp<T>(on_first(f), Vars<T>{x}, v, options);
  return {r.output, r.product[0]};
}

template <class T>
WithOutput<T> jvp(const Multi<T>& f, const std::vector<Var<T>>& xs, const std::vector<Var<T>>& vs,
                  const FunctionalOptions& options) {
  GradModeGuard recording(true);
  require_tangents("jvp", vs, xs);
  const Vars<T> in = as_inputs("jvp", xs, options.create_graph);
  const Var<T> y = call("jvp", f, in);
  Var<T> u(xt::xarray<T>(xt::zeros<T>(y.shape())), true);  // J^T u is linear in u: any value will do
  const Vars<T> jtu = grads(y, in, &u, /*create_graph=*/true);
  const Var<T> jv = grad_of_inner(jtu, vs, Vars<T>{u}, options.create_graph)[0];
  return {finish(y, options.create_graph), finish(jv, options.create_graph)};
}

template <class T>
WithOutput<T> jvp(const Unary<T>& f, const Var<T>& x, const Var<T>& v, const FunctionalOptions& options) {
  return jvp<T>(on_first(f), Vars<T>{x}, Vars<T>{v}, options);
}

template <class T>
WithOutput<T, std::vector<Var<T>>> hvp(const Multi<T>& f, const std::vector<Var<T>>& xs,
                                       const std::vector<Var<T>>& vs, const FunctionalOptions& options) {
  GradModeGuard recording(true);
  require_tangents("hvp", vs, xs);
  const Vars<T> in = as_inputs("hvp", xs, options.create_graph);
  const Var<T> y = call("hvp", f, in);
  require_scalar("hvp", y);
  const Vars<T> g = grads(y, in, nullptr, /*create_graph=*/true);
  const Vars<T> hv = grad_of_inner(g, vs, in, options.create_graph);
  return {finish(y, options.create_graph), finish(hv, options.create_graph)};
}

template <class T>
WithOutput<T> hvp(const Unary<T>& f, const Var<T>& x, const Var<T>& v, const FunctionalOptions& options) {
  auto r = hvp<T>(on_first(f), Vars<T>{x}, Vars<T>{v}, options);
  return {r.output, r.product[0]};
}

template <class T>
std::vector<Var<T>> jacobian(const Multi<T>& f, const std::vector<Var<T>>& xs, const FunctionalOptions& options) {
  GradModeGuard recording(true);
  const Vars<T> in = as_inputs("jacobian", xs, options.create_graph);
  return jacobian_of(call("jacobian", f, in), in, options.create_graph);
}

template <class T>
Var<T> jacobian(const Unary<T>& f, const Var<T>& x, const FunctionalOptions& options) {
  return jacobian<T>(on_first(f), Vars<T>{x}, options)[0];
}

template <class T>
std::vector<std::vector<Var<T>>> hessian(const Multi<T>& f, const std::vector<Var<T>>& xs,
                                         const FunctionalOptions& options) {
  GradModeGuard recording(true);
  const Vars<T> in = as_inputs("hessian", xs, options.create_graph);
  const Var<T> y = call("hessian", f, in);
  require_scalar("hessian", y);
  const Vars<T> g = grads(y, in, nullptr, /*create_graph=*/true);
  std::vector<Vars<T>> h;
  for (const auto& gi : g) h.push_back(jacobian_of(gi, in, options.create_graph));
  return h;
}

template <class T>
Var<T> hessian(const Unary<T>& f, const Var<T>& x, const FunctionalOptions& options) {
  return hessian<T>(on_first(f), Vars<T>{x}, options)[0][0];
}

#define AD_INSTANTIATE(T)                                                                                      \
  template WithOutput<T> vjp<T>(const Unary<T>&, const Var<T>&, const Var<T>&, const FunctionalOptions&);     \
  template WithOutput<T, Vars<T>> vjp<T>(const Multi<T>&, const Vars<T>&, const Var<T>&,                       \
                                         const FunctionalOptions&);                                            \
  template WithOutput<T> jvp<T>(const Unary<T>&, const Var<T>&, const Var<T>&, const FunctionalOptions&);     \
  template WithOutput<T> jvp<T>(const Multi<T>&, const Vars<T>&, const Vars<T>&, const FunctionalOptions&);   \
  template WithOutput<T> hvp<T>(const Unary<T>&, const Var<T>&, const Var<T>&, const FunctionalOptions&);     \
  template WithOutput<T, Vars<T>> hvp<T>(const Multi<T>&, const Vars<T>&, const Vars<T>&,                      \
                                         const FunctionalOptions&);                                            \
  template Var<T> jacobian<T>(const Unary<T>&, const Var<T>&, const FunctionalOptions&);                      \
  template Vars<T> jacobian<T>(const Multi<T>&, const Vars<T>&, const FunctionalOptions&);                    \
  template Var<T> hessian<T>(const Unary<T>&, const Var<T>&, const FunctionalOptions&);                       \
  template std::vector<Vars<T>> hessian<T>(const Multi<T>&, const Vars<T>&, const FunctionalOptions&);
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
