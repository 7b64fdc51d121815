// The tape: records in execution order, swept in reverse by backward/grad. No graph walk here
// recurses, and nodes never own other nodes, so a chain of any length is built, differentiated
// and destroyed in flat loops.
#include "tape.hpp"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

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

// Guards a leaf's grad against sweeps on other threads (PyTorch's AccumulateGrad lock). Striped
// by address: no mutex per node, and threads working on different leaves rarely meet.
std::mutex& leaf_grad_lock(const void* node) {
  static std::mutex locks[64];
  return locks[(reinterpret_cast<std::uintptr_t>(node) >> 6) % 64];
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
  Node<T>& n = deref(node_, "grad");
  std::lock_guard lock(leaf_grad_lock(&n));
  return n.grad;
}

template <class T>
void Var<T>::zero_grad() {
  Node<T>& n = deref(node_, "zero_grad");
  Var old;  // released outside the lock
  std::lock_guard lock(leaf_grad_lock(&n));
  old = std::move(n.grad);
  n.grad = Var();
}

template <class T>
void Var<T>::set_grad(const Var& grad) {
  Node<T>& n = deref(node_, "set_grad");
  if (grad.defined() && grad.shape() != n.value.shape()) {
    throw ShapeError("Var::set_grad: gradient of shape " + shape_str(grad.shape()) + " for a value of shape " +
                     shape_str(n.value.shape()));
  }
  std::lock_guard lock(leaf_grad_lock(&n));
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

std::atomic<std::uint64_t> next_tape_id{1};
}  // namespace

template <class T>
thread_local Tape<T>* Tape<T>::live_ = nullptr;

template <class T>
Tape<T>::Tape() : id(next_tape_id.fetch_add(1, std::memory_order_relaxed)) {
  live_ = this;
}

template <class T>
Tape<T>::~Tape() {
  live_ = nullptr;  // the records' destruction below must not call back into this tape
}

template <class T>
Tape<T>& Tape<T>::current() {
  thread_local Tape<T> tape;
  tune_malloc_once();
  return tape;
}

template <class T>
void Tape<T>::output_died(std::uint64_t tape_id, std::uint64_t seq) noexcept {
  Tape* tape = live_;
  if (!tape || tape->id != tape_id) return;
  try {
    tape->dead_.push_back(seq);
    if (!tape->releasing_) tape->release_dead();
  } catch (...) {  // out of memory: the record stays until the next compaction
    tape->releasing_ = false;
  }
}

template <class T>
void Tape<T>::release_dead() {
  // Releasing a record drops its inputs, whose own deaths append to dead_ instead of recursing.
  releasing_ = true;
  while (!dead_.empty()) {
    const std::uint64_t seq = dead_.back();
    dead_.pop_back();
    const std::ptrdiff_t i = find(seq);
    if (i >= 0) release(records[static_cast<std::size_t>(i)]);
  }
  releasing_ = false;
  if (!sweeping && released > records.size() / 2) compact();
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
  const bool was_releasing = releasing_;
  releasing_ = true;
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->backward && it->out.expired()) release(*it);
  }
  std::erase_if(records, [](const Record<T>& r) { return !r.backward; });
  dead_.clear();  // all released by the walk
  releasing_ = was_releasing;
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

// The gradients gathered during one sweep. A non-leaf (always of this thread's tape) keeps its
// pending gradient in the node, found in O(1); holding the node here keeps an intermediate result
// alive until its own record is reached, even if the record that fed it was released. A leaf may
// be reached by sweeps on other threads at the same time, so its pending gradient stays here.
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
    if (n->seq == 0) return add_leaf(n, std::move(g), create_graph);
    if (!n->pending.defined()) {
      n->pending = std::move(g);
      nodes_.push_back(n);
      n->sweep_slot = static_cast<std::uint32_t>(nodes_.size());
      return true;
    }
    accumulate(n->pending, std::move(g), n->value, create_graph);
    return false;
  }
  // Takes the non-leaf n's pending gradient out and stops keeping n alive.
  Var<T> take(Node<T>& n) {
    Var<T> g = std::move(n.pending);
    n.pending = Var<T>();
    if (n.sweep_slot) {
      auto keep = std::move(nodes_[n.sweep_slot - 1]);  // n may die with this; touch nothing after
      n.sweep_slot = 0;
    }
    return g;
  }
  // The leaves reached, each with its gradient, in the order first reached.
  std::vector<std::pair<std::shared_ptr<Node<T>>, Var<T>>>& leaves() { return leaves_; }

 private:
  bool add_leaf(const std::shared_ptr<Node<T>>& n, Var<T>&& g, bool create_graph) {
    const auto [it, inserted] = leaf_index_.try_emplace(n.get(), leaves_.size());
    if (inserted) {
      leaves_.emplace_back(n, std::move(g));
      return true;
    }
    accumulate(leaves_[it->second].second, std::move(g), n->value, create_graph);
    return false;
  }
  static void accumulate(Var<T>& p, Var<T>&& g, const xt::xarray<T>& value, bool create_graph) {
    if (!create_graph && p.node_ptr().use_count() == 1 && p.shape() == value.shape()) {
      p.node()->value += g.value();  // sole owner, full shape: accumulate in place
    } else {
      p = p + g;
    }
  }

  std::vector<std::shared_ptr<Node<T>>> nodes_;
  std::vector<std::pair<std::shared_ptr<Node<T>>, Var<T>>> leaves_;
  std::unordered_map<const Node<T>*, std::size_t> leaf_index_;
};

struct SweepingFlag {
  bool& flag;
  bool previous;
  explicit SweepingFlag(bool& f) : flag(f), previous(f) { flag = true; }
  ~SweepingFlag() { flag = previous; }
};

// Adds g to a leaf's grad, under the leaf's lock: sweeps on other threads may reach it too.
template <class T>
void accumulate_grad(Node<T>& leaf, Var<T>&& g, bool create_graph) {
  Var<T> old;  // released outside the lock
  std::lock_guard lock(leaf_grad_lock(&leaf));
  if (!leaf.grad.defined()) {
    leaf.grad = std::move(g);
  } else if (!create_graph && leaf.grad.node_ptr().use_count() == 1 && !leaf.grad.requires_grad()) {
    leaf.grad.node()->value += g.value();
  } else {
    old = leaf.grad;
    leaf.grad = leaf.grad + g;
  }
}

template <class T>
std::string on_other_tape(const char* api, const Node<T>& n) {
  return std::string(api) + ": op '" + n.op +
         "' was recorded on another thread's tape (tapes are per thread, and that thread may have exited); "
         "sweep a graph on the thread that built it, or detach() the value to use it here as a constant";
}

template <class T>
Var<T> seed_for(const char* api, const Var<T>& y, const Var<T>* seed) {
  if (seed) {
    if (!seed->defined() || seed->shape() != y.shape()) {
      throw ShapeError(std::string(api) + ": seed gradient of shape " +
                       (seed->defined() ? shape_str(seed->shape()) : std::string("<undefined>")) +
                       " for an output of shape " + shape_str(y.shape()));
    }
    return *seed;
  }
  if (y.size() != 1) {
    throw GraphError(std::string(api) + ": the output has shape " + shape_str(y.shape()) +
                     " and is not a scalar; pass a seed gradient of that shape");
  }
  return Var<T>(xt::xarray<T>(xt::ones<T>(y.shape())));
}

// The targets of grad(): where each one's gradient goes, and whether the sweep reached it. A
// target is "used" when the sweep reaches it, even if the gradient arriving is zero (the second
// derivative of relu, say): as in PyTorch, only unreachable inputs are errors.
template <class T>
class Targets {
 public:
  Targets(const char* api, const std::vector<Var<T>>* xs) : xs_(xs) {
    if (!xs_) return;
    results_.resize(xs_->size());
    reached_.assign(xs_->size(), false);
    for (std::size_t i = 0; i < xs_->size(); ++i) {
      const Var<T>& x = (*xs_)[i];
      if (!x.defined()) throw GraphError(std::string(api) + ": input " + std::to_string(i) + " is undefined");
      if (!x.requires_grad()) {
        throw GraphError(std::string(api) + ": input " + std::to_string(i) + " (shape " + shape_str(x.shape()) +
                         ") does not require grad");
      }
      index_.emplace_back(x.node(), i);
    }
  }
  bool any() const { return xs_ != nullptr; }
  void deliver(const Node<T>* n, const Var<T>& g) {
    for (const auto& [node, i] : index_) {
      if (node == n) results_[i] = g;
    }
  }
  void mark_reached(const Node<T>* n) {
    for (const auto& [node, i] : index_) {
      if (node == n) reached_[i] = true;
    }
  }
  std::vector<Var<T>> results(const char* api, bool allow_unused) {
    for (std::size_t i = 0; i < results_.size(); ++i) {
      if (results_[i].defined()) continue;
      if (!reached_[i] && !allow_unused) {
        throw GraphError(std::string(api) + ": input " + std::to_string(i) + " (shape " +
                         shape_str((*xs_)[i].shape()) +
                         ") was not used to compute the output; pass allow_unused to get zeros");
      }
      results_[i] = Var<T>(xt::xarray<T>(xt::zeros<T>((*xs_)[i].shape())));
    }
    return std::move(results_);
  }

 private:
  const std::vector<Var<T>>* xs_;
  std::vector<Var<T>> results_;
  std::vector<bool> reached_;
  std::vector<std::pair<const Node<T>*, std::size_t>> index_;
};

// One backward sweep over this thread's tape, from y's record down. With targets, it returns
// their gradients; without, it accumulates into the grad() of every leaf reached that requires grad.
template <class T>
class Sweep {
 public:
  Sweep(const char* api, const Var<T>& y, const std::vector<Var<T>>* xs, const GradOptions& options)
      : api_(api), targets_(api, xs), create_graph_(options.create_graph),
        retain_(options.retain_graph || options.create_graph), tape_(Tape<T>::current()) {
    if (!y.defined()) throw GraphError(std::string(api) + ": the output Var is undefined");
    if (!y.requires_grad()) {
      throw GraphError(std::string(api) +
                       ": the output does not require grad (no input requires grad, or it was computed under "
                       "NoGradGuard)");
    }
    if (!y.is_leaf()) {
      if (y.node()->tape_id != tape_.id) throw GraphError(on_other_tape(api, *y.node()));
      start_ = tape_.find(y.node()->seq);
      if (start_ < 0) {
        throw GraphError(std::string(api) + ": the graph of '" + y.op_name() +
                         "' was already released by an earlier backward (pass retain_graph to sweep it twice)");
      }
    }
  }

  std::vector<Var<T>> run(const Var<T>& y, Var<T>&& seed, bool allow_unused) {
    targets_.mark_reached(y.node());
    GradModeGuard mode(create_graph_);
    SweepingFlag sweeping(tape_.sweeping);
    pending_.add(y.node_ptr(), std::move(seed), create_graph_);
    outstanding_ = y.is_leaf() ? 0 : 1;
    for (std::ptrdiff_t i = start_; i >= 0 && outstanding_ > 0; --i) {
      step(tape_.records[static_cast<std::size_t>(i)]);  // stable: the deque only grows at the back
    }
    if (outstanding_ > 0) {  // a pending non-leaf whose record was never found: no silent loss
      throw GraphError(std::string(api_) + ": part of the graph of '" + y.op_name() + "' is not on this thread's tape");
    }
    finish_leaves();
    if (!retain_ && tape_.released > tape_.records.size() / 2) tape_.compact();
    return targets_.any() ? targets_.results(api_, allow_unused) : std::vector<Var<T>>{};
  }

 private:
  void step(Record<T>& r) {
    if (!r.backward) return;
    std::shared_ptr<Node<T>> out_node = r.out.lock();
    if (!out_node || !out_node->pending.defined()) return;
    --outstanding_;
    const Var<T> out(out_node);
    Var<T> g = pending_.take(*out_node);
    if (targets_.any()) targets_.deliver(out_node.get(), full_shape(g, out_node->value));
    if (version_sum(r.inputs, *out_node) != r.versions) {
      throw GraphError(std::string(api_) + ": a value used by op '" + r.op +
                       "' was modified in place (mutable_value) after the op was recorded");
    }
    if (!r.takes_broadcast_grad) g = full_shape(g, out_node->value);
    grads_.assign(r.inputs.size(), Var<T>());
    BackwardContext<T> ctx{r.inputs, out, g, grads_};
    try {
      r.backward(ctx);
    } catch (const AnomalyError& e) {
      throw AnomalyError(std::string(e.what()) + ", in the backward of op '" + r.op + "'");
    }
    for (std::size_t j = 0; j < r.inputs.size(); ++j) pass_down(r, j);
    if (!retain_) tape_.release(r);
  }

  // Hands the gradient that r's backward computed for its input j on to that input.
  void pass_down(const Record<T>& r, std::size_t j) {
    if (!r.inputs[j].requires_grad()) return;
    const std::shared_ptr<Node<T>>& in = r.inputs[j].node_ptr();
    if (targets_.any()) targets_.mark_reached(in.get());
    if (!grads_[j].defined()) {
      // A leaf reached with a zero gradient (through sign, say) still gets one, as in PyTorch.
      if (!targets_.any() && in->seq == 0) pending_.add(in, zeros_like(r.inputs[j]), create_graph_);
      return;
    }
    if (!fits(grads_[j], in->value)) {
      throw ShapeError(std::string(api_) + ": backward of op '" + r.op + "' gave a gradient of shape " +
                       shape_str(grads_[j].shape()) + " for its input " + std::to_string(j) + " of shape " +
                       shape_str(in->value.shape()));
    }
    if (detect_anomaly()) {
      check_finite(grads_[j].value(), std::string("the gradient that backward of op '") + r.op +
                                          "' computed for its input " + std::to_string(j));
    }
    if (in->seq != 0) {
      if (in->tape_id != tape_.id) throw GraphError(on_other_tape(api_, *in));
      if (in->released) {
        throw GraphError(std::string(api_) + ": backward reached op '" + in->op +
                         "', whose record an earlier backward released (pass retain_graph to sweep it twice)");
      }
    }
    if (pending_.add(in, std::move(grads_[j]), create_graph_) && in->seq != 0) ++outstanding_;
  }

  // Whatever is still pending now sits on leaves (y itself, if y is a leaf).
  void finish_leaves() {
    for (auto& [n, g] : pending_.leaves()) {
      Var<T> full = full_shape(g, n->value);
      if (targets_.any()) {
        targets_.deliver(n.get(), full);
      } else if (n->requires_grad) {
        accumulate_grad(*n, std::move(full), create_graph_);
      }
    }
  }

  const char* api_;
  Targets<T> targets_;
  const bool create_graph_;
  const bool retain_;
  Tape<T>& tape_;
  std::ptrdiff_t start_ = -1;
  PendingSet<T> pending_;
  std::size_t outstanding_ = 0;  // non-leaf nodes whose gradient is still pending
  std::vector<Var<T>> grads_;
};

template <class T>
std::vector<Var<T>> sweep(const char* api, const Var<T>& y, const Var<T>* seed, const std::vector<Var<T>>* targets,
                          const GradOptions& options) {
  Sweep<T> s(api, y, targets, options);
  return s.run(y, seed_for(api, y, seed), options.allow_unused);
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
