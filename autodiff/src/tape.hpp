// Private: the node behind a Var, the records on the tape, and make_output, through which every
// op's forward registers its backward.
#pragma once

#include <cmath>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "autodiff/var.hpp"

namespace ad {

// Leaves may be shared by threads (two losses over the same weights, Hogwild training): a sweep
// keeps a leaf's pending gradient to itself and adds it to `grad` under a lock. A non-leaf belongs
// to the tape of the thread that recorded it; only that thread's sweeps touch its `pending`.
template <class T>
struct Node {
  xt::xarray<T> value;
  Var<T> grad;     // accumulated by backward() for leaves (under leaf_grad_lock)
  Var<T> pending;  // non-leaves: gradient gathered during a sweep; empty outside one
  std::uint64_t seq = 0;       // sequence number of the producing record; 0 for leaves
  std::uint64_t tape_id = 0;   // Tape::id of the tape holding that record; 0 for leaves
  std::uint32_t version = 0;   // bumped by Var::mutable_value()
  std::uint32_t sweep_slot = 0;  // 1 + index into the sweep's list of nodes holding a pending grad
  bool requires_grad = false;
  bool released = false;       // the producing record was freed by a backward
  const char* op = "leaf";
  ~Node();  // a result that dies frees its record (and what only that record kept alive)
};

// What an op's backward sees: its inputs, its output, the gradient of the output (g), and the
// gradients of the inputs to fill in (left undefined where zero or not needed).
template <class T>
struct BackwardContext {
  const std::vector<Var<T>>& in;
  const Var<T>& out;
  const Var<T>& g;
  std::vector<Var<T>>& grads;
  bool needs(std::size_t i) const { return in[i].requires_grad(); }
};
template <class T>
using BackwardFn = std::function<void(BackwardContext<T>&)>;

template <class T>
struct Record {
  std::uint64_t seq = 0;
  const char* op = "";
  std::weak_ptr<Node<T>> out;  // weak: a result nobody can reach needs no gradient
  std::vector<Var<T>> inputs;  // strong: later records keep earlier results alive
  std::uint64_t versions = 0;  // sum of input and output versions when recorded
  BackwardFn<T> backward;      // empty once released
  // The op's backward copes with a gradient of keepdims shape (all 1 where the output is not),
  // as produced by sum's backward; other ops get the gradient broadcast to the output shape.
  bool takes_broadcast_grad = false;
};

// One tape per thread and element type. Its id is unique over the process's lifetime, so a node
// names its tape even after the thread that recorded it has exited.
template <class T>
class Tape {
 public:
  Tape();
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;
  static Tape& current();
  // Called by ~Node of a recorded, unreleased result: if the result belongs to this thread's live
  // tape, its record is released at once, and so, in a flat loop, is every record that only the
  // released ones kept alive. Results dying on other threads are left to their tape's compaction.
  static void output_died(std::uint64_t tape_id, std::uint64_t seq) noexcept;

  void push(Record<T>&& record);
  void release(Record<T>& record);  // frees the record's inputs and closure
  void compact();                   // drops released records and those whose result is gone
  // Position of the record with sequence number seq, or -1 if it is not (or no longer) here.
  std::ptrdiff_t find(std::uint64_t seq) const;

  const std::uint64_t id;
  std::deque<Record<T>> records;  // in execution order; a deque keeps references stable on push
  std::uint64_t next_seq = 1;
  std::size_t released = 0;  // released records still in `records`
  std::size_t compact_at = 4096;
  bool sweeping = false;  // no compaction while a sweep indexes the records

 private:
  void release_dead();  // releases the records of the results in dead_
  static thread_local Tape* live_;  // this thread's tape while it exists
  std::vector<std::uint64_t> dead_;  // sequence numbers of results that died, not yet released
  bool releasing_ = false;          // inside release_dead or compact: deaths only queue up
};

template <class T>
Node<T>::~Node() {
  if (seq != 0 && !released) Tape<T>::output_died(tape_id, seq);
}

template <class T>
std::uint64_t version_sum(const std::vector<Var<T>>& inputs, const Node<T>& out) {
  std::uint64_t s = out.version;
  for (const auto& v : inputs) s += v.node()->version;
  return s;
}

template <class T>
void check_finite(const xt::xarray<T>& a, const std::string& what) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a.data()[i])) {
      throw AnomalyError("anomaly detected: " + what + " has " + (std::isnan(a.data()[i]) ? "NaN" : "Inf") +
                         " at flat index " + std::to_string(i) + " of shape " + shape_str(a.shape()));
    }
  }
}

// Wraps an op's result in a Var and, when grad mode is on and an input requires grad, records
// the op with its backward on the tape.
template <class T, class F>
Var<T> make_output(const char* op, xt::xarray<T>&& value, std::span<const Var<T>* const> inputs,
                   F&& backward, bool takes_broadcast_grad = false) {
  auto node = std::make_shared<Node<T>>();
  node->value = std::move(value);
  node->op = op;
  if (detect_anomaly()) check_finite(node->value, std::string("the output of op '") + op + "'");
  bool record = false;
  if (grad_enabled()) {
    for (const Var<T>* in : inputs) record = record || in->requires_grad();
  }
  if (record) {
    Tape<T>& tape = Tape<T>::current();
    Record<T> r;
    r.seq = node->seq = tape.next_seq++;
    node->tape_id = tape.id;
    r.op = op;
    r.out = node;
    r.inputs.reserve(inputs.size());
    for (const Var<T>* in : inputs) r.inputs.push_back(*in);
    r.versions = version_sum(r.inputs, *node);
    r.backward = BackwardFn<T>(std::forward<F>(backward));  // made only when recorded
    r.takes_broadcast_grad = takes_broadcast_grad;
    node->requires_grad = true;
    tape.push(std::move(r));
  }
  return Var<T>(std::move(node));
}

template <class T, class F>
Var<T> make_output(const char* op, xt::xarray<T>&& value, std::initializer_list<const Var<T>*> inputs,
                   F&& backward, bool takes_broadcast_grad = false) {
  return make_output<T>(op, std::move(value), std::span<const Var<T>* const>(inputs.begin(), inputs.size()),
                        std::forward<F>(backward), takes_broadcast_grad);
}

}  // namespace ad
