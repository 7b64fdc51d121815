// Var: a tensor value (xt::xarray<T>, T = float or double) with an optional gradient, recorded on
// the calling thread's tape when it is computed from inputs that require gradients.
//
//   ad::Var<double> W(xt::xarray<double>{{0.5, -1.0}, {2.0, 0.25}}, /*requires_grad=*/true);
//   auto loss = ad::sum(ad::square(W)) + 0.01 * ad::sum(ad::abs(W));
//   ad::backward(loss);                       // W.grad() now holds 2W + 0.01 sign(W)
//   auto g = ad::grad(loss2, {W});            // returns gradients, leaves W.grad() alone
//
// A Var is a cheap handle (one shared pointer); copies share the same value and gradient.
//
// Threads: each thread records on its own tape. Leaves (Vars made by the constructor) may be
// shared: threads may call backward concurrently on graphs over the same weights, and the
// gradients add up in grad() exactly as if the sweeps had run one after the other (as PyTorch's
// shared-leaf accumulation; grad(), set_grad() and zero_grad() take the same lock). A result of an
// op belongs to the thread that computed it: sweeping a graph that reaches it from another thread
// throws GraphError (detach() it to use its value there as a constant). The records of a graph are
// freed as soon as its last result dies, when that happens on the thread that recorded it (on
// other threads, at that tape's next compaction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>

namespace ad {

// Every error the library raises derives from ad::Error; messages name the op and the shapes.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ShapeError : public Error {  // operands whose shapes do not fit the op
 public:
  using Error::Error;
};
class ValueError : public Error {  // an argument or setting out of range: an activation name, a thread count
 public:
  using Error::Error;
};
class GraphError : public Error {  // misuse of backward/grad: released graph, missing seed, ...
 public:
  using Error::Error;
};
class AnomalyError : public Error {  // anomaly detection found a NaN or Inf
 public:
  using Error::Error;
};

using Shape = std::vector<std::size_t>;
using Axes = std::vector<std::ptrdiff_t>;  // negative axes count from the end, as in numpy

template <class T>
using Scalar = std::type_identity_t<T>;  // scalars next to a Var<T> take no part in deducing T

// "(2, 3)" for error messages; works for any xtensor shape type.
template <class S>
std::string shape_str(const S& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

template <class T>
struct Node;

template <class T>
class Var {
 public:
  using value_type = T;
  using Array = xt::xarray<T>;

  Var() = default;  // an undefined handle: defined() is false
  // A leaf holding `value`. Leaves that require grad receive gradients in grad().
  explicit Var(Array value, bool requires_grad = false);
  // A 0-dimensional leaf.
  static Var scalar(T value, bool requires_grad = false);

  bool defined() const { return node_ != nullptr; }
  const Array& value() const;
  // Mutable access for in-place updates (optimizers, initializers). Bumps the value's version:
  // backward refuses to use a record whose saved input was modified after it was recorded.
  Array& mutable_value() const;  // a handle: const-ness of the handle, not of the value
  const typename Array::shape_type& shape() const { return value().shape(); }
  std::size_t size() const { return value().size(); }
  std::size_t dim() const { return value().dimension(); }
  T item() const;  // the single element; throws unless size() == 1

  bool requires_grad() const;
  Var& set_requires_grad(bool enabled = true);  // leaves only
  bool is_leaf() const;                          // not produced by a recorded op
  const char* op_name() const;                   // producing op, or "leaf"

  // Gradient accumulated by backward() (undefined if none yet). With create_graph it is itself
  // on the tape, so penalties built from it are differentiable.
  Var grad() const;
  void zero_grad();                 // forget the accumulated gradient
  void set_grad(const Var& grad);   // e.g. for gradient clipping in custom loops
  Var detach() const;               // same value (copied), no history, no grad

  // Identity of the underlying storage; two handles are the same variable iff equal.
  const void* id() const { return node_.get(); }
  Node<T>* node() const { return node_.get(); }
  explicit Var(std::shared_ptr<Node<T>> node) : node_(std::move(node)) {}
  const std::shared_ptr<Node<T>>& node_ptr() const { return node_; }

 private:
  std::shared_ptr<Node<T>> node_;
};

// ---- grad mode -------------------------------------------------------------------------------
// Recording is on by default. Inside a NoGradGuard's scope no op is recorded (inference,
// optimizer steps). Thread-local, like the tape.
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};
// Sets grad mode explicitly for a scope (used by backward with create_graph).
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled);
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

// ---- anomaly detection -----------------------------------------------------------------------
// Off by default. When on, every op checks its output, and backward checks every gradient it
// computes, and the first NaN or Inf throws AnomalyError naming the op.
void set_detect_anomaly(bool enabled);
bool detect_anomaly();
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool enabled = true);
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

// ---- backward --------------------------------------------------------------------------------
struct GradOptions {
  bool retain_graph = false;  // keep the records for another backward (implied by create_graph)
  bool create_graph = false;  // record the backward pass itself, for higher-order gradients
  bool allow_unused = false;  // grad(): an input that y does not depend on gets zeros, not an error
};

// Accumulates dy/dx into x.grad() for every leaf x that requires grad. y must be a scalar
// (seed 1) unless a seed of y's shape is given. Releases the records it swept unless retained.
template <class T>
void backward(const Var<T>& y, const GradOptions& options = {});
template <class T>
void backward(const Var<T>& y, const Var<T>& seed, const GradOptions& options = {});

// Returns d(y)/d(x) for each x in xs (leaves or intermediate results); touches no grad().
template <class T>
std::vector<Var<T>> grad(const Var<T>& y, const std::vector<Var<T>>& xs, const GradOptions& options = {});
template <class T>
std::vector<Var<T>> grad(const Var<T>& y, const std::vector<Var<T>>& xs, const Var<T>& seed,
                         const GradOptions& options = {});

// ---- tape diagnostics ------------------------------------------------------------------------
struct TapeStats {
  std::size_t records = 0;       // records held, live or waiting to be compacted
  std::size_t live_records = 0;  // records whose result is still reachable
};
template <class T>
TapeStats tape_stats();
// Drops records whose results can no longer be reached. Runs by itself as the tape grows.
template <class T>
void compact_tape();

extern template class Var<float>;
extern template class Var<double>;

}  // namespace ad
