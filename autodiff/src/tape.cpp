// The tape: records in execution order, swept in reverse by backward/grad. No graph walk here
// recurses, and nodes never own other nodes, so a chain of any length is built, differentiated
// and destroyed in flat loops.
#include "tape.hpp"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>

#include "autodiff/ops.hpp"

namespace ad {

// ---- Var -------------------------------------------------------------------------------------

template <class T>
Var<T>::Var(Array value, bool requires_grad) : node_(std::make_shared<Node<T>>()) {
  node_->value = std::move(value);
  node_->requires_grad = requires_grad;
}

template <class T>
Var<T> Var<T>::scalar(T value, bool requires_grad) {
  Array a = Array::from_shape({});
  a() = value;
  return Var(std::move(a), requires_grad);
}

namespace {
template <class T>
Node<T>& deref(const std::shared_ptr<Node<T>>& node, const char* what) {
  if (!node) throw Error(std::string("Var::") + what + ": the Var is undefined (default-constructed)");
  return *node;
}
}  // namespace

template <class T>
const typename Var<T>::Array& Var<T>::value() const {
  return deref(node_, "value").value;
}

template <class T>
typename Var<T>::Array& Var<T>::mutable_value() const {
  Node<T>& n = deref(node_, "mutable_value");
  ++n.version;
  return n.value;
}

template <class T>
T Var<T>::item() const {
  const Array& v = value();
  if (v.size() != 1) throw ShapeError("Var::item: needs exactly one element, got shape " + shape_str(v.shape()));
  return v.data()[0];
}

template <class T>
bool Var<T>::requires_grad() const {
  return node_ && node_->requires_grad;
}

template <class T>
Var<T>& Var<T>::set_requires_grad(bool enabled) {
  Node<T>& n = deref(node_, "set_requires_grad");
  if (n.seq != 0) {
    throw GraphError(std::string("Var::set_requires_grad: only leaves can change it; this Var comes from op '") +
                     n.op + "' (use detach() for a new leaf)");
  }
  n.requires_grad = enabled;
  return *this;
}

template <class T>
bool Var<T>::is_leaf() const {
  return deref(node_, "is_leaf").seq == 0;
}

template <class T>
const char* Var<T>::op_name() const {
  return deref(node_, "op_name").op;
}

template <class T>
Var<T> Var<T>::grad() const {
  return deref(node_, "grad").grad;
}

template <class T>
void Var<T>::zero_grad() {
  deref(node_, "zero_grad").grad = Var();
}

template <class T>
void Var<T>::set_grad(const Var& grad) {
  Node<T>& n = deref(node_, "set_grad");
  if (grad.defined() && grad.shape() != n.value.shape()) {
    throw ShapeError("Var::set_grad: gradient of shape " + shape_str(grad.shape()) + " for a value of shape " +
                     shape_str(n.value.shape()));
  }
  n.grad = grad;
}

template <class T>
Var<T> Var<T>::detach() const {
  return Var(value(), false);
}

template class Var<float>;
template class Var<double>;

// ---- modes -----------------------------------------------------------------------------------

namespace {
thread_local bool grad_mode = true;
thread_local bool anomaly_mode = false;
}  // namespace

bool grad_enabled() { return grad_mode; }
NoGradGuard::NoGradGuard() : previous_(grad_mode) { grad_mode = false; }
NoGradGuard::~NoGradGuard() { grad_mode = previous_; }
GradModeGuard::GradModeGuard(bool enabled) : previous_(grad_mode) { grad_mode = enabled; }
GradModeGuard::~GradModeGuard() { grad_mode = previous_; }

void set_detect_anomaly(bool enabled) { anomaly_mode = enabled; }
bool detect_anomaly() { return anomaly_mode; }
DetectAnomalyGuard::DetectAnomalyGuard(bool enabled) : previous_(anomaly_mode) { anomaly_mode = enabled; }
DetectAnomalyGuard::~DetectAnomalyGuard() { anomaly_mode = previous_; }

// ---- tape ------------------------------------------------------------------------------------

namespace {
// glibc returns large freed blocks to the OS (munmap, heap trimming) and then page-faults fresh
// zero pages in for the next batch's tensors of the same size: on 1M-element chains that was
// 13x slower than LibTorch, and 3.5x faster with these settings. Freed memory is kept for
// reuse instead. TAPEFLOW_MALLOC=system keeps glibc's defaults.
void tune_malloc_once() {
  static const bool tuned = [] {
    const char* choice = std::getenv("TAPEFLOW_MALLOC");
    if (choice && std::string(choice) == "system") return false;
    mallopt(M_MMAP_THRESHOLD, 64 << 20);  // blocks below 64 MiB come from the reusable heap
    mallopt(M_TRIM_THRESHOLD, 1 << 30);   // keep up to 1 GiB of free heap instead of trimming
    mallopt(M_MXFAST, 0);
    return true;
  }();
  (void)tuned;
}
}  // namespace

template <class T>
Tape<T>& Tape<T>::current() {
  thread_local Tape<T> tape;
  tune_malloc_once();
  return tape;
}

template <class T>
void Tape<T>::push(Record<T>&& record) {
  if (!sweeping && records.size() >= compact_at) compact();
  records.push_back(std::move(record));
}

template <class T>
void Tape<T>::release(Record<T>& record) {
  if (!record.backward) return;
  record.backward = nullptr;
  record.inputs.clear();
  record.inputs.shrink_to_fit();
  if (auto out = record.out.lock()) out->released = true;
  ++released;
}

template <class T>
void Tape<T>::compact() {
  // Walking backwards, releasing a dead record can only kill results of earlier records, which
  // this same walk reaches later: one pass frees every unreachable record.
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->backward && it->out.expired()) release(*it);
  }
  std::erase_if(records, [](const Record<T>& r) { return !r.backward; });
  released = 0;
  compact_at = std::max<std::size_t>(4096, 2 * records.size());
}

template <class T>
std::ptrdiff_t Tape<T>::find(std::uint64_t seq) const {
  auto it = std::lower_bound(records.begin(), records.end(), seq,
                             [](const Record<T>& r, std::uint64_t s) { return r.seq < s; });
  if (it == records.end() || it->seq != seq || !it->backward) return -1;
  return it - records.begin();
}

template <class T>
TapeStats tape_stats() {
  const Tape<T>& tape = Tape<T>::current();
  TapeStats s;
  s.records = tape.records.size();
  for (const auto& r : tape.records) s.live_records += (r.backward && !r.out.expired()) ? 1 : 0;
  return s;
}

template <class T>
void compact_tape() {
  Tape<T>& tape = Tape<T>::current();
  if (tape.sweeping) throw GraphError("compact_tape: not allowed during backward");
  tape.compact();
}

// ---- the sweep -------------------------------------------------------------------------------

namespace {

// A gradient may arrive in keepdims shape (1 along axes that the output has longer); anything
// else is an op's bug, reported rather than silently broadcast.
template <class T>
bool fits(const Var<T>& g, const xt::xarray<T>& value) {
  const auto& gs = g.shape();
  const auto& vs = value.shape();
  if (gs.size() != vs.size()) return false;
  for (std::size_t i = 0; i < gs.size(); ++i) {
    if (gs[i] != vs[i] && gs[i] != 1) return false;
  }
  return true;
}

template <class T>
Var<T> zeros_like(const Var<T>& x) {
  return Var<T>(xt::xarray<T>(xt::zeros<T>(x.shape())));
}

template <class T>
Var<T> full_shape(const Var<T>& g, const xt::xarray<T>& value) {
  if (g.shape() == value.shape()) return g;
  return broadcast_to(g, Shape(value.shape().begin(), value.shape().end()));
}

// Nodes holding a pending gradient during one sweep. Holding them here keeps an intermediate
// result alive until its own record is reached, even if the record that fed it was released.
template <class T>
class PendingSet {
 public:
  ~PendingSet() {  // also on exceptions: leave no stale gradient behind
    for (auto& n : nodes_) {
      if (n) {
        n->pending = Var<T>();
        n->sweep_slot = 0;
      }
    }
  }
  // Adds g to n's pending gradient. Returns true if n had none before.
  bool add(const std::shared_ptr<Node<T>>& n, Var<T>&& g, bool create_graph) {
    if (!n->pending.defined()) {
      n->pending = std::move(g);
      nodes_.push_back(n);
      n->sweep_slot = static_cast<std::uint32_t>(nodes_.size());
      return true;
    }
    Var<T>& p = n->pending;
    if (!create_graph && p.node_ptr().use_count() == 1 && p.shape() == n->value.shape()) {
      p.node()->value += g.value();  // sole owner, full shape: accumulate in place
    } else {
      p = p + g;
    }
    return false;
  }
  // Takes n's pending gradient out and stops keeping n alive.
  Var<T> take(Node<T>& n) {
    Var<T> g = std::move(n.pending);
    n.pending = Var<T>();
    if (n.sweep_slot) {
      auto keep = std::move(nodes_[n.sweep_slot - 1]);  // n may die with this; touch nothing after
      n.sweep_slot = 0;
    }
    return g;
  }
  std::vector<std::shared_ptr<Node<T>>>& nodes() { return nodes_; }

 private:
  std::vector<std::shared_ptr<Node<T>>> nodes_;
};

struct SweepingFlag {
  bool& flag;
  bool previous;
  explicit SweepingFlag(bool& f) : flag(f), previous(f) { flag = true; }
  ~SweepingFlag() { flag = previous; }
};

// Sweeps the tape from y's record down, starting from `seed`. With `targets`, returns their
// gradients; without, accumulates into the grad() of every leaf reached that requires grad.
template <class T>
std::vector<Var<T>> sweep(const char* api, const Var<T>& y, const Var<T>* seed, const std::vector<Var<T>>* targets,
                          const GradOptions& options) {
  if (!y.defined()) throw GraphError(std::string(api) + ": the output Var is undefined");
  if (!y.requires_grad()) {
    throw GraphError(std::string(api) +
                     ": the output does not require grad (no input requires grad, or it was computed under "
                     "NoGradGuard)");
  }
  Var<T> seed_var;
  if (seed) {
    if (!seed->defined() || seed->shape() != y.shape()) {
      throw ShapeError(std::string(api) + ": seed gradient of shape " +
                       (seed->defined() ? shape_str(seed->shape()) : std::string("<undefined>")) +
                       " for an output of shape " + shape_str(y.shape()));
    }
    seed_var = *seed;
  } else {
    if (y.size() != 1) {
      throw GraphError(std::string(api) + ": the output has shape " + shape_str(y.shape()) +
                       " and is not a scalar; pass a seed gradient of that shape");
    }
    seed_var = Var<T>(xt::xarray<T>(xt::ones<T>(y.shape())));
  }
  const bool create_graph = options.create_graph;
  const bool retain = options.retain_graph || options.create_graph;

  Tape<T>& tape = Tape<T>::current();
  std::ptrdiff_t start = -1;
  if (!y.is_leaf()) {
    start = tape.find(y.node()->seq);
    if (start < 0) {
      throw GraphError(std::string(api) + ": the graph of '" + y.op_name() +
                       "' was already released by an earlier backward (pass retain_graph to sweep it twice), "
                       "or it was recorded on another thread's tape");
    }
  }

  // Target nodes: remember where each one's gradient goes.
  std::vector<Var<T>> results;
  std::vector<std::pair<const Node<T>*, std::size_t>> target_index;
  if (targets) {
    results.resize(targets->size());
    for (std::size_t i = 0; i < targets->size(); ++i) {
      const Var<T>& x = (*targets)[i];
      if (!x.defined()) throw GraphError(std::string(api) + ": input " + std::to_string(i) + " is undefined");
      if (!x.requires_grad()) {
        throw GraphError(std::string(api) + ": input " + std::to_string(i) + " (shape " + shape_str(x.shape()) +
                         ") does not require grad");
      }
      target_index.emplace_back(x.node(), i);
    }
  }
  // A target is "used" when the sweep reaches it, even if the gradient arriving is zero (the
  // second derivative of relu, say): as in PyTorch, only unreachable inputs are errors.
  std::vector<bool> reached(target_index.size(), false);
  auto deliver = [&](const Node<T>* n, const Var<T>& g) {
    for (const auto& [node, i] : target_index) {
      if (node == n) results[i] = g;
    }
  };
  auto mark_reached = [&](const Node<T>* n) {
    for (const auto& [node, i] : target_index) {
      if (node == n) reached[i] = true;
    }
  };
  mark_reached(y.node());

  GradModeGuard mode(create_graph);
  SweepingFlag sweeping(tape.sweeping);
  PendingSet<T> pending;
  pending.add(y.node_ptr(), std::move(seed_var), create_graph);
  std::size_t outstanding = y.is_leaf() ? 0 : 1;  // non-leaf nodes whose gradient is still pending
  std::vector<Var<T>> grads;

  for (std::ptrdiff_t i = start; i >= 0 && outstanding > 0; --i) {
    Record<T>& r = tape.records[static_cast<std::size_t>(i)];  // stable: the deque only grows at the back
    if (!r.backward) continue;
    std::shared_ptr<Node<T>> out_node = r.out.lock();
    if (!out_node || !out_node->pending.defined()) continue;
    --outstanding;
    const Var<T> out(out_node);
    Var<T> g = pending.take(*out_node);
    if (targets) deliver(out_node.get(), full_shape(g, out_node->value));
    if (version_sum(r.inputs, *out_node) != r.versions) {
      throw GraphError(std::string(api) + ": a value used by op '" + r.op +
                       "' was modified in place (mutable_value) after the op was recorded");
    }
    if (!r.takes_broadcast_grad) g = full_shape(g, out_node->value);

    grads.assign(r.inputs.size(), Var<T>());
    BackwardContext<T> ctx{r.inputs, out, g, grads};
    try {
      r.backward(ctx);
    } catch (const AnomalyError& e) {
      throw AnomalyError(std::string(e.what()) + ", in the backward of op '" + r.op + "'");
    }

    for (std::size_t j = 0; j < r.inputs.size(); ++j) {
      if (!r.inputs[j].requires_grad()) continue;
      if (targets) mark_reached(r.inputs[j].node());
      if (!grads[j].defined()) {
        // A leaf reached with a zero gradient (through sign, say) still gets one, as in PyTorch.
        if (!targets && r.inputs[j].is_leaf()) pending.add(r.inputs[j].node_ptr(), zeros_like(r.inputs[j]), create_graph);
        continue;
      }
      const std::shared_ptr<Node<T>>& in = r.inputs[j].node_ptr();
      if (!fits(grads[j], in->value)) {
        throw ShapeError(std::string(api) + ": backward of op '" + r.op + "' gave a gradient of shape " +
                         shape_str(grads[j].shape()) + " for its input " + std::to_string(j) + " of shape " +
                         shape_str(in->value.shape()));
      }
      if (detect_anomaly()) {
        check_finite(grads[j].value(), std::string("the gradient that backward of op '") + r.op +
                                           "' computed for its input " + std::to_string(j));
      }
      if (in->seq != 0 && in->released) {
        throw GraphError(std::string(api) + ": backward reached op '" + in->op +
                         "', whose record an earlier backward released (pass retain_graph to sweep it twice)");
      }
      if (pending.add(in, std::move(grads[j]), create_graph) && in->seq != 0) ++outstanding;
    }
    if (!retain) tape.release(r);
  }

  // Whatever is still pending now sits on leaves (or on y itself, if y is a leaf).
  for (auto& n : pending.nodes()) {
    if (!n || !n->pending.defined()) continue;
    Var<T> g = full_shape(n->pending, n->value);
    if (targets) {
      deliver(n.get(), g);
    } else if (n->seq == 0 && n->requires_grad) {
      if (!n->grad.defined()) {
        n->grad = g;
      } else if (!create_graph && n->grad.node_ptr().use_count() == 1 && !n->grad.requires_grad()) {
        n->grad.node()->value += g.value();
      } else {
        n->grad = n->grad + g;
      }
    }
  }

  if (!retain && tape.released > tape.records.size() / 2) tape.compact();

  if (targets) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].defined()) continue;
      if (!reached[i] && !options.allow_unused) {
        throw GraphError(std::string(api) + ": input " + std::to_string(i) + " (shape " +
                         shape_str((*targets)[i].shape()) +
                         ") was not used to compute the output; pass allow_unused to get zeros");
      }
      results[i] = Var<T>(xt::xarray<T>(xt::zeros<T>((*targets)[i].shape())));
    }
  }
  return results;
}

}  // namespace

template <class T>
void backward(const Var<T>& y, const GradOptions& options) {
  sweep<T>("backward", y, nullptr, nullptr, options);
}

template <class T>
void backward(const Var<T>& y, const Var<T>& seed, const GradOptions& options) {
  sweep<T>("backward", y, &seed, nullptr, options);
}

template <class T>
std::vector<Var<T>> grad(const Var<T>& y, const std::vector<Var<T>>& xs, const GradOptions& options) {
  return sweep<T>("grad", y, nullptr, &xs, options);
}

template <class T>
std::vector<Var<T>> grad(const Var<T>& y, const std::vector<Var<T>>& xs, const Var<T>& seed,
                         const GradOptions& options) {
  return sweep<T>("grad", y, &seed, &xs, options);
}

#define AD_INSTANTIATE(T)                                                                                   \
  template class Tape<T>;                                                                                   \
  template void backward<T>(const Var<T>&, const GradOptions&);                                             \
  template void backward<T>(const Var<T>&, const Var<T>&, const GradOptions&);                              \
  template std::vector<Var<T>> grad<T>(const Var<T>&, const std::vector<Var<T>>&, const GradOptions&);      \
  template std::vector<Var<T>> grad<T>(const Var<T>&, const std::vector<Var<T>>&, const Var<T>&,            \
                                       const GradOptions&);                                                 \
  template TapeStats tape_stats<T>();                                                                       \
  template void compact_tape<T>();
AD_INSTANTIATE(float)
AD_INSTANTIATE(double)
#undef AD_INSTANTIATE

}  // namespace ad
