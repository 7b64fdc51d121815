// Sequential::fit: the training loop, with Keras's semantics, calling the callbacks and the
// progress display.
#include "nn/sequential.hpp"

#include <chrono>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <stdexcept>

#include "check.hpp"
#include "collective.hpp"
#include "gather.hpp"
#include "progress.hpp"

namespace nn {

namespace {

using Clock = std::chrono::steady_clock;
using detail::gather;

// Every option fit() is given, checked before anything runs.
template <class T>
void check_fit_options(const FitOptions<T>& o) {
  const char* who = "Sequential::fit";
  detail::require(o.epochs > 0, who, "epochs", "> 0", o.epochs);
  detail::require(o.initial_epoch >= 0 && o.initial_epoch <= o.epochs, who, "initial_epoch",
                  "in [0, epochs = " + std::to_string(o.epochs) + "]", o.initial_epoch);
  detail::require(o.batch_size > 0, who, "batch_size", "> 0", static_cast<double>(o.batch_size));
  detail::require_fraction(who, "validation_split", o.validation_split);
  detail::require(o.verbose >= 0 && o.verbose <= 2, who, "verbose", "0, 1 or 2", o.verbose);
}

// The rows fit() trains on: all, or all but the validation_split held out at the end.
template <class T>
std::size_t training_rows(std::size_t n_all, const FitOptions<T>& o) {
  std::size_t n_train = n_all;
  if (!o.validation_data && o.validation_split > 0) {
    // Keras: the last fraction, before shuffling.
    n_train = static_cast<std::size_t>(std::floor(double(n_all) * (1 - o.validation_split)));
    if (n_train == 0 || n_train == n_all) {
      throw std::invalid_argument("Sequential::fit: validation_split " + detail::number(o.validation_split) + " of " +
                                  std::to_string(n_all) + " rows leaves an empty training or validation set");
    }
  }
  if (n_train == 0) throw std::invalid_argument("Sequential::fit: no training rows");
  return n_train;
}

// The metrics as the progress bar shows them after the loss.
template <class T>
std::string metrics_text(const std::vector<std::unique_ptr<Metric<T>>>& metrics, const Logs& logs) {
  std::string ms;
  for (auto& m : metrics) ms += " - " + m->name() + ": " + std::to_string(logs.at(m->name())).substr(0, 6);
  return ms;
}

// What every rank of a distributed fit must have been given alike.
template <class T>
detail::Settings fit_settings(const FitOptions<T>& o, std::size_t n_train) {
  return {{"epochs", std::uint64_t(o.epochs)},
          {"initial_epoch", std::uint64_t(o.initial_epoch)},
          {"batch_size", o.batch_size},
          {"the number of training rows", n_train},
          {"the number of validation_data rows", o.validation_data ? o.validation_data->first.shape()[0] : 0},
          {"shuffle", o.shuffle},
          {"seed", o.seed},
          {"verbose", std::uint64_t(o.verbose)},
          {"the number of callbacks", o.callbacks.size()},
          {"freeze_zeros", o.freeze_zeros}};
}

}  // namespace

template <class T>
struct Sequential<T>::FitRun {
  const xt::xarray<T>& x;
  const xt::xarray<T>& y;
  const FitOptions<T>& o;
  std::size_t n_train;
  std::size_t steps;
  std::vector<std::size_t> order;  // the epoch's order of the training rows
  std::vector<std::unique_ptr<Metric<T>>> metrics;
  std::vector<Parameter<T>> params;
  std::vector<std::shared_ptr<Callback<T>>> callbacks;
  double data_sum = 0, penalty_sum = 0;  // over the epoch's rows so far, weighted by rows
  std::size_t rows_done = 0;
  bool step_logs = false;  // every step's running logs are needed (callbacks, a progress bar)
};

template <class T>
History Sequential<T>::fit(const xt::xarray<T>& x, const xt::xarray<T>& y, const FitOptions<T>& o) {
  if (!compiled()) throw std::logic_error("Sequential::fit: compile() the model first");
  if (x.dimension() == 0 || y.dimension() == 0 || x.shape()[0] != y.shape()[0]) {
    throw ad::ShapeError("Sequential::fit: x " + ad::shape_str(x.shape()) + " and y " + ad::shape_str(y.shape()) +
                         " need the same number of rows");
  }
  check_fit_options(o);
  const std::size_t n_train = training_rows(x.shape()[0], o);
  if (comm_) {
    detail::Settings settings = fit_settings(o, n_train);
    settings.emplace_back("DistributeOptions::shards", shards_);
    detail::check_data_agree(*comm_, x, y, settings);
  }
  if (!built_) build(ad::Shape(x.shape().begin() + 1, x.shape().end()));

  FitRun run{x, y, o, n_train, (n_train + o.batch_size - 1) / o.batch_size, std::vector<std::size_t>(n_train),
             {}, this->parameters(), {}};
  for (const auto& m : metric_names_) run.metrics.push_back(make_metric<T>(m));
  if (comm_) {
    detail::check_model_agree(*comm_, run.params);
    detail::broadcast_parameters(*comm_, run.params);  // before freeze_zeros reads the zeros
  }
  if (o.freeze_zeros && optimizer_->frozen_count() == 0) optimizer_->freeze_zeros(run.params);
  run.step_logs = !o.callbacks.empty() || detail::Progress::draws_steps(writes_files() ? o.verbose : 0);
  if (comm_) {  // the same on every rank: rank 0's (its stderr draws the bar)
    std::byte b = run.step_logs ? std::byte{1} : std::byte{0};
    comm_->broadcast(std::span<std::byte>(&b, 1), 0);
    run.step_logs = b != std::byte{0};
  }
  for (const auto& c : o.callbacks) {
    run.callbacks.push_back(c.get());
    c->set_model(*this);
  }
  History history;
  Logs logs;
  stop_training = false;
  for (auto& c : run.callbacks) c->on_train_begin(logs);
  for (int epoch = o.initial_epoch; epoch < o.epochs && !stop_training; ++epoch) {
    for (auto& c : run.callbacks) c->on_epoch_begin(epoch, Logs{});
    detail::Progress progress(writes_files() ? o.verbose : 0, epoch, o.epochs, run.steps);
    logs = run_epoch(run, epoch, progress);
    if (comm_) detail::check_weights_agree(*comm_, run.params, epoch);
    for (auto& c : run.callbacks) c->on_epoch_end(epoch, logs);
    history.epochs.push_back(epoch);
    for (const auto& [k, v] : logs) history.values[k].push_back(v);
    progress.end(logs);
  }
  for (auto& c : run.callbacks) c->on_train_end(logs);
  return history;
}

// One epoch: the batches in a fresh order, then the validation; the epoch's logs.
template <class T>
Logs Sequential<T>::run_epoch(FitRun& run, int epoch, detail::Progress& progress) {
  const FitOptions<T>& o = run.o;
  const auto t0 = Clock::now();
  this->train(true);
  std::iota(run.order.begin(), run.order.end(), 0);
  if (o.shuffle) {
    Random shuffle = Random::stream(o.seed, std::uint64_t(epoch) + 1, 0);
    for (std::size_t i = run.n_train; i > 1; --i) std::swap(run.order[i - 1], run.order[shuffle.below(i)]);
  }
  set_random_streams(o.seed, std::uint64_t(epoch));
  for (auto& m : run.metrics) m->reset();
  run.data_sum = run.penalty_sum = 0;
  run.rows_done = 0;

  for (std::size_t s = 0, step = 0; s < run.n_train && !stop_training; s += o.batch_size, ++step) {
    const std::size_t bs = std::min(o.batch_size, run.n_train - s);
    train_batch(run, s, bs);
    // The logs so far, summed over the ranks, when a callback or the bar shows them.
    if (!run.step_logs) continue;
    const Logs running = running_logs(run);
    if (o.verbose == 1) progress.step(step + 1, running.at("loss"), metrics_text(run.metrics, running));
    if (run.callbacks.empty()) continue;
    Logs batch_logs{{"loss", running.at("loss")}};
    for (auto& m : run.metrics) batch_logs[m->name()] = running.at(m->name());
    for (auto& c : run.callbacks) c->on_batch_end(int(step), batch_logs);
  }

  Logs logs = running_logs(run);
  Logs val;
  if (o.validation_data) {
    const auto& [vx, vy] = *o.validation_data;
    val = evaluate(vx, vy, o.batch_size);
  } else if (run.n_train < run.x.shape()[0]) {
    val = evaluate_rows(run.x, run.y, run.n_train, run.x.shape()[0], o.batch_size);
  }
  for (const auto& [k, v] : val) logs["val_" + k] = v;
  logs["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
  return logs;
}

// The epoch's logs so far, summed over the ranks of a distributed model.
template <class T>
Logs Sequential<T>::running_logs(const FitRun& run) const {
  return detail::reduced_logs(comm_.get(), run.data_sum, run.penalty_sum, run.rows_done, run.metrics);
}

// One optimizer step on rows order[first, first + count); adds to the epoch's sums and metrics.
template <class T>
void Sequential<T>::train_batch(FitRun& run, std::size_t first, std::size_t count) {
  if (comm_) return train_slice(run, first, count);
  const std::size_t bs = count;
  const ad::Var<T> xb(gather(run.x, run.order.data() + first, bs)), yb(gather(run.y, run.order.data() + first, bs));
  for (auto& p : run.params) p.var.zero_grad();
  const ad::Var<T> pred = forward(xb);
  const ad::Var<T> data_loss = loss_(yb, pred);
  // Built once: under a proximal optimizer the proximal parts count as values only.
  const ad::Var<T> pen = penalty();
  ad::backward(data_loss + pen);
  optimizer_->step(run.params);

  run.data_sum += double(data_loss.item()) * double(bs);
  run.penalty_sum += double(pen.item()) * double(bs);
  run.rows_done += bs;
  for (auto& m : run.metrics) m->update(yb.value(), pred.value());
}

// The distributed step: this rank's slice of the global batch order[first, first + count), or
// with fixed shards (DistributeOptions) its shards. The optimizer (and its proximal step) runs
// after the sum, on the same gradients on every rank.
template <class T>
void Sequential<T>::train_slice(FitRun& run, std::size_t first, std::size_t count) {
  if (shards_ != 0 && shards_ != std::size_t(comm_->size())) return train_shards(run, first, count);
  const detail::RowSlice slice = detail::rank_slice(first, count, comm_.get());
  for (auto& p : run.params) p.var.zero_grad();
  backward_slice(run, slice.begin, slice.end, count, comm_->rank() == 0);
  allreduce_gradients(*this);
  optimizer_->step(run.params);
}

// Fixed shards: each of this rank's shards is backpropagated alone, and every shard's gradients
// are added in shard order on every rank, so the sum does not depend on the number of ranks.
template <class T>
void Sequential<T>::train_shards(FitRun& run, std::size_t first, std::size_t count) {
  const std::size_t ranks = std::size_t(comm_->size()), per_rank = shards_ / ranks;
  const std::size_t length = detail::gradient_buffer_size(run.params);
  std::vector<T> mine(per_rank * length);
  for (std::size_t j = 0; j < per_rank; ++j) {
    const std::size_t shard = std::size_t(comm_->rank()) * per_rank + j;
    const detail::RowSlice slice = detail::part_slice(first, count, shard, shards_);
    for (auto& p : run.params) p.var.zero_grad();
    backward_slice(run, slice.begin, slice.end, count, shard == 0);
    detail::pack_gradients(run.params, mine.data() + j * length);
  }
  const std::vector<T> all = comm_->allgather(std::span<const T>(mine));  // every shard, in shard order
  std::vector<T> total(all.begin(), all.begin() + std::ptrdiff_t(length));
  for (std::size_t k = 1; k < shards_; ++k) {
    for (std::size_t i = 0; i < length; ++i) total[i] += all[k * length + i];
  }
  detail::unpack_gradients(run.params, total.data());
  optimizer_->step(run.params);
}

// Backpropagates rows order[begin, end) of a global batch of `count` rows: their data loss and
// activity penalties scaled by (end - begin) / count, so that the sum over the parts is the
// gradient of the global batch, plus the kernel/bias penalties if `regularization` (one part
// only: counted once). Adds to the epoch's sums and metrics.
template <class T>
void Sequential<T>::backward_slice(FitRun& run, std::size_t begin, std::size_t end, std::size_t count,
                                   bool regularization) {
  const std::size_t rows = end - begin;
  ad::Var<T> objective;
  if (rows > 0) {
    const ad::Var<T> xb(gather(run.x, run.order.data() + begin, rows));
    const ad::Var<T> yb(gather(run.y, run.order.data() + begin, rows));
    set_batch_position(begin);
    const ad::Var<T> pred = forward(xb);
    const ad::Var<T> data_loss = loss_(yb, pred);
    const ad::Var<T> act = penalty_terms(false, true);
    objective = (data_loss + act) * (static_cast<T>(rows) / static_cast<T>(count));
    run.data_sum += double(data_loss.item()) * double(rows);
    run.penalty_sum += double(act.item()) * double(rows);
    run.rows_done += rows;
    for (auto& m : run.metrics) m->update(yb.value(), pred.value());
  }
  if (regularization) {
    const ad::Var<T> reg = penalty_terms(true, false);
    objective = objective.defined() ? objective + reg : reg;
    run.penalty_sum += double(reg.item()) * double(count);
  }
  if (objective.defined() && objective.requires_grad()) ad::backward(objective);
}

#define TAPEFLOW_INSTANTIATE_FIT(T)                                                                          \
  template History Sequential<T>::fit(const xt::xarray<T>& x, const xt::xarray<T>& y, const FitOptions<T>& o); \
  template Logs Sequential<T>::run_epoch(FitRun& run, int epoch, detail::Progress& progress);                  \
  template void Sequential<T>::train_batch(FitRun& run, std::size_t first, std::size_t count); \
  template Logs Sequential<T>::running_logs(const FitRun& run) const;                                        \
  template void Sequential<T>::train_slice(FitRun& run, std::size_t first, std::size_t count);              \
  template void Sequential<T>::train_shards(FitRun& run, std::size_t first, std::size_t count);             \
  template void Sequential<T>::backward_slice(FitRun& run, std::size_t begin, std::size_t end, std::size_t count, \
                                              bool regularization);
TAPEFLOW_INSTANTIATE_FIT(float)
TAPEFLOW_INSTANTIATE_FIT(double)
#undef TAPEFLOW_INSTANTIATE_FIT

}  // namespace nn
