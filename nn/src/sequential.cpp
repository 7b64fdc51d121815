#include "nn/sequential.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "nn/npz.hpp"

#include "check.hpp"

namespace nn {

namespace {

using Clock = std::chrono::steady_clock;

std::string with_commas(std::size_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

std::string batch_shape_str(const ad::Shape& sample) {
  std::string s = "(None";
  for (auto d : sample) s += ", " + std::to_string(d);
  return s + ")";
}

// Rows [begin, begin + count) of x, in the given order, as a new array.
template <class T>
xt::xarray<T> gather(const xt::xarray<T>& x, const std::size_t* rows, std::size_t count) {
  auto shape = x.shape();
  const std::size_t row = x.shape()[0] ? x.size() / x.shape()[0] : 0;
  shape[0] = count;
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  for (std::size_t i = 0; i < count; ++i) std::copy_n(x.data() + rows[i] * row, row, out.data() + i * row);
  return out;
}

std::string format_logs(const Logs& logs) {
  std::ostringstream s;
  s << std::setprecision(4);
  for (const auto& [k, v] : logs) {
    if (k == "seconds") continue;
    s << " - " << k << ": " << v;
  }
  return s.str();
}

std::string format_duration(double seconds) {
  char buf[32];
  if (seconds >= 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(seconds / 3600), int(seconds / 60) % 60, int(seconds) % 60);
  else if (seconds >= 60) std::snprintf(buf, sizeof buf, "%d:%02d", int(seconds / 60), int(seconds) % 60);
  else std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  return buf;
}

// Keras-style progress on stderr: a redrawn bar on a terminal, one line per epoch otherwise.
class Progress {
 public:
  Progress(int verbose, int epoch, int epochs, std::size_t steps)
      : verbose_(verbose), steps_(steps), start_(Clock::now()), tty_(isatty(fileno(stderr)) != 0) {
    if (verbose_ == 1 && tty_) std::fprintf(stderr, "Epoch %d/%d\n", epoch + 1, epochs);
    prefix_ = "Epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs);
  }
  void step(std::size_t done, double running_loss, const std::string& metrics) {
    if (verbose_ != 1 || !tty_) return;
    const auto now = Clock::now();
    if (done < steps_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double eta = done ? elapsed / double(done) * double(steps_ - done) : 0;
    const int width = 30, filled = steps_ ? int(width * double(done) / double(steps_)) : width;
    std::string bar(static_cast<std::size_t>(filled), '=');
    if (filled < width) bar += '>';
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%zu/%zu [%s] - ETA: %s - loss: %.4f%s\033[K", done, steps_, bar.c_str(),
                 format_duration(eta).c_str(), running_loss, metrics.c_str());
    std::fflush(stderr);
  }
  void end(const Logs& logs) {
    if (verbose_ == 0) return;
    const double s = logs.count("seconds") ? logs.at("seconds") : 0;
    if (verbose_ == 1 && tty_) {
      std::fprintf(stderr, "\r%zu/%zu [==============================] - %s %.0fms/step%s\033[K\n", steps_, steps_,
                   format_duration(s).c_str(), steps_ ? s * 1000 / double(steps_) : 0.0, format_logs(logs).c_str());
    } else {
      std::fprintf(stderr, "%s - %zu steps - %.2fs%s\n", prefix_.c_str(), steps_, s, format_logs(logs).c_str());
    }
    std::fflush(stderr);
  }

 private:
  int verbose_;
  std::size_t steps_;
  Clock::time_point start_, last_draw_{};
  bool tty_;
  std::string prefix_;
};

bool maximize(const EarlyStopping& e) {
  if (e.mode == "max") return true;
  if (e.mode == "min") return false;
  if (e.mode != "auto") throw std::invalid_argument("EarlyStopping: mode must be auto, min or max, not '" + e.mode + "'");
  return e.monitor.find("acc") != std::string::npos;
}

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
  for (const auto& c : o.callbacks) {
    if (const auto* e = std::get_if<EarlyStopping>(&c)) {
      detail::require(e->patience >= 0, "EarlyStopping", "patience", ">= 0", e->patience);
      detail::require_finite_nonnegative("EarlyStopping", "min_delta", e->min_delta);
      (void)maximize(*e);  // checks the mode
    }
  }
}

}  // namespace

std::string SparsityReport::to_string() const {
  std::ostringstream s;
  s << std::left << std::setw(28) << "weights" << std::right << std::setw(12) << "count" << std::setw(14)
    << "exact zeros" << std::setw(10) << "fraction" << std::setw(14) << ("|w| < " + [&] {
         std::ostringstream t;
         t << threshold;
         return t.str();
       }()) << std::setw(10) << "fraction" << "\n";
  auto line = [&](const Row& r) {
    s << std::left << std::setw(28) << r.name << std::right << std::setw(12) << r.count << std::setw(14)
      << r.exact_zeros << std::setw(10) << std::fixed << std::setprecision(4) << r.zero_fraction() << std::setw(14)
      << r.small << std::setw(10) << r.small_fraction() << "\n";
  };
  for (const auto& r : rows) line(r);
  line(total);
  return s.str();
}

template <class T>
Sequential<T>::Sequential(std::uint64_t seed, std::string name) : Module<T>(std::move(name)), seed_(seed) {}

template <class T>
std::string Sequential<T>::unique_name(const std::string& base) {
  auto taken = [&](const std::string& n) {
    return std::any_of(layers_.begin(), layers_.end(), [&](const auto& l) { return l->name() == n; });
  };
  if (!taken(base)) return base;
  for (int i = 1;; ++i) {
    const std::string n = base + "_" + std::to_string(i);
    if (!taken(n)) return n;
  }
}

template <class T>
Sequential<T>& Sequential<T>::add(const Input& input) {
  if (!layers_.empty() || built_) throw std::logic_error("Sequential::add(Input): the input must come first");
  input_shape_ = input.shape;
  build(input.shape);
  return *this;
}

template <class T>
Sequential<T>& Sequential<T>::add(std::shared_ptr<Layer<T>> layer) {
  if (!layer) throw std::invalid_argument("Sequential::add: null layer");
  if (std::find(layers_.begin(), layers_.end(), layer) != layers_.end()) {
    throw std::invalid_argument("Sequential::add: layer '" + layer->name() + "' added twice");
  }
  layer->set_name(unique_name(layer->name()));
  if (built_) {
    Random rng = Random::stream(seed_, 0, layers_.size() + 1);
    layer->build(output_shape(), rng);
  }
  layers_.push_back(layer);
  this->register_module(layer);
  return *this;
}

template <class T>
void Sequential<T>::build(const ad::Shape& sample_shape) {
  if (built_) {
    if (sample_shape != input_shape_) {
      throw ad::ShapeError("Sequential '" + this->name() + "' was built for inputs " + ad::shape_str(input_shape_) +
                           " per sample, not " + ad::shape_str(sample_shape));
    }
    return;
  }
  ad::Shape shape = sample_shape;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    // One stream per layer: adding or removing a layer does not change the others' weights.
    Random rng = Random::stream(seed_, 0, i + 1);
    layers_[i]->build(shape, rng);
    shape = layers_[i]->output_shape(shape);
  }
  input_shape_ = sample_shape;
  built_ = true;
}

template <class T>
ad::Shape Sequential<T>::output_shape() const {
  if (!built_) throw std::logic_error("Sequential::output_shape: the model is not built yet");
  ad::Shape shape = input_shape_;
  for (const auto& l : layers_) shape = l->output_shape(shape);
  return shape;
}

template <class T>
ad::Var<T> Sequential<T>::forward(const ad::Var<T>& x) {
  if (x.dim() == 0) throw ad::ShapeError("Sequential::forward: input needs a batch axis, got a 0-d value");
  if (!built_) build(ad::Shape(x.shape().begin() + 1, x.shape().end()));
  if (!std::equal(x.shape().begin() + 1, x.shape().end(), input_shape_.begin(), input_shape_.end())) {
    throw ad::ShapeError("Sequential '" + this->name() + "': expects inputs " + batch_shape_str(input_shape_) +
                         ", got " + ad::shape_str(x.shape()));
  }
  ad::Var<T> h = x;
  for (auto& l : layers_) {
    l->clear_activity_penalty();
    h = l->forward(h);
  }
  return h;
}

template <class T>
ad::Var<T> Sequential<T>::penalty() const {
  const bool prox_applied = optimizer_ && optimizer_->proximal_l1();
  ad::Var<T> total;
  auto add = [&](const ad::Var<T>& p) {
    if (p.defined()) total = total.defined() ? total + p : p;
  };
  for (const auto& l : layers_) {
    add(l->regularization_penalty(prox_applied));
    add(l->activity_penalty());
  }
  return total.defined() ? total : ad::Var<T>::scalar(T(0));
}

template <class T>
void Sequential<T>::compile(OptimizerConfig optimizer, const std::string& loss, std::vector<std::string> metrics) {
  compile(std::move(optimizer), loss_by_name<T>(loss), std::move(metrics), loss);
}

template <class T>
void Sequential<T>::compile(OptimizerConfig optimizer, LossFunction<T> loss, std::vector<std::string> metrics,
                            std::string loss_name) {
  if (!loss) throw std::invalid_argument("Sequential::compile: empty loss function");
  for (const auto& m : metrics) make_metric<T>(m);  // fail now on unknown names
  optimizer_ = std::make_unique<Optimizer<T>>(std::move(optimizer));
  loss_ = std::move(loss);
  loss_name_ = std::move(loss_name);
  metric_names_ = std::move(metrics);
}

template <class T>
Optimizer<T>& Sequential<T>::optimizer() {
  if (!optimizer_) throw std::logic_error("Sequential::optimizer: compile() the model first");
  return *optimizer_;
}

template <class T>
void Sequential<T>::set_random_streams(std::uint64_t seed, std::uint64_t epoch) {
  for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i]->set_random_stream(Random::stream(seed, epoch + 1, i + 1));
}

template <class T>
Logs Sequential<T>::evaluate_rows(const xt::xarray<T>& x, const xt::xarray<T>& y, std::size_t begin,
                                  std::size_t end, std::size_t batch_size) {
  const bool was_training = this->training();
  this->eval();
  ad::NoGradGuard no_grad;
  std::vector<std::unique_ptr<Metric<T>>> metrics;
  for (const auto& m : metric_names_) metrics.push_back(make_metric<T>(m));
  double data_sum = 0, penalty_sum = 0;
  std::vector<std::size_t> rows(end - begin);
  std::iota(rows.begin(), rows.end(), begin);
  for (std::size_t s = 0; s < rows.size(); s += batch_size) {
    const std::size_t bs = std::min(batch_size, rows.size() - s);
    const ad::Var<T> xb(gather(x, rows.data() + s, bs)), yb(gather(y, rows.data() + s, bs));
    const ad::Var<T> pred = forward(xb);
    data_sum += double(loss_(yb, pred).item()) * double(bs);
    penalty_sum += double(penalty().item()) * double(bs);
    for (auto& m : metrics) m->update(yb.value(), pred.value());
  }
  this->train(was_training);
  const double n = double(rows.size());
  Logs logs{{"loss", (data_sum + penalty_sum) / n}, {"data_loss", data_sum / n}, {"penalty", penalty_sum / n}};
  for (auto& m : metrics) logs[m->name()] = m->result();
  return logs;
}

template <class T>
Logs Sequential<T>::evaluate(const xt::xarray<T>& x, const xt::xarray<T>& y, std::size_t batch_size) {
  if (!compiled()) throw std::logic_error("Sequential::evaluate: compile() the model first");
  if (x.dimension() == 0 || y.dimension() == 0 || x.shape()[0] != y.shape()[0] || x.shape()[0] == 0 || batch_size == 0) {
    throw ad::ShapeError("Sequential::evaluate: x " + ad::shape_str(x.shape()) + " and y " + ad::shape_str(y.shape()) +
                         " need the same positive number of rows, and batch_size > 0");
  }
  return evaluate_rows(x, y, 0, x.shape()[0], batch_size);
}

template <class T>
xt::xarray<T> Sequential<T>::predict(const xt::xarray<T>& x, std::size_t batch_size) {
  if (x.dimension() == 0 || batch_size == 0) throw ad::ShapeError("Sequential::predict: x needs a batch axis and batch_size > 0");
  const bool was_training = this->training();
  this->eval();
  ad::NoGradGuard no_grad;
  const std::size_t n = x.shape()[0];
  xt::xarray<T> out;
  std::vector<std::size_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  for (std::size_t s = 0; s < n; s += batch_size) {
    const std::size_t bs = std::min(batch_size, n - s);
    const xt::xarray<T> p = forward(ad::Var<T>(gather(x, rows.data() + s, bs))).value();
    if (s == 0) {
      auto shape = p.shape();
      shape[0] = n;
      out = xt::xarray<T>::from_shape(shape);
    }
    std::copy(p.begin(), p.end(), out.data() + s * (p.size() / bs));
  }
  this->train(was_training);
  return out;
}

template <class T>
History Sequential<T>::fit(const xt::xarray<T>& x, const xt::xarray<T>& y, const FitOptions<T>& o) {
  if (!compiled()) throw std::logic_error("Sequential::fit: compile() the model first");
  if (x.dimension() == 0 || y.dimension() == 0 || x.shape()[0] != y.shape()[0]) {
    throw ad::ShapeError("Sequential::fit: x " + ad::shape_str(x.shape()) + " and y " + ad::shape_str(y.shape()) +
                         " need the same number of rows");
  }
  check_fit_options(o);
  const std::size_t n_all = x.shape()[0];
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
  if (!built_) build(ad::Shape(x.shape().begin() + 1, x.shape().end()));

  const std::size_t steps = (n_train + o.batch_size - 1) / o.batch_size;
  History history;

  // Callback state.
  struct EarlyState {
    double best;
    int wait = 0;
    std::vector<xt::xarray<T>> best_weights;
  };
  std::vector<EarlyState> early(o.callbacks.size());
  std::vector<std::ofstream> csv(o.callbacks.size());
  std::vector<bool> csv_header_written(o.callbacks.size(), false);
  for (std::size_t c = 0; c < o.callbacks.size(); ++c) {
    if (auto* e = std::get_if<EarlyStopping>(&o.callbacks[c])) {
      early[c].best = maximize(*e) ? -INFINITY : INFINITY;
    } else if (auto* l = std::get_if<CSVLogger>(&o.callbacks[c])) {
      csv[c].open(l->path, l->append ? std::ios::app : std::ios::trunc);
      if (!csv[c]) throw std::runtime_error("CSVLogger: cannot open '" + l->path + "': " + std::strerror(errno));
      csv_header_written[c] = l->append && csv[c].tellp() > 0;
    }
  }

  std::vector<std::size_t> order(n_train);
  std::vector<std::unique_ptr<Metric<T>>> metrics;
  for (const auto& m : metric_names_) metrics.push_back(make_metric<T>(m));
  auto params = this->parameters();

  for (int epoch = o.initial_epoch; epoch < o.epochs; ++epoch) {
    const auto t0 = Clock::now();
    this->train(true);
    std::iota(order.begin(), order.end(), 0);
    if (o.shuffle) {
      Random shuffle = Random::stream(o.seed, std::uint64_t(epoch) + 1, 0);
      for (std::size_t i = n_train; i > 1; --i) std::swap(order[i - 1], order[shuffle.below(i)]);
    }
    set_random_streams(o.seed, std::uint64_t(epoch));
    for (auto& m : metrics) m->reset();
    Progress progress(o.verbose, epoch, o.epochs, steps);
    double data_sum = 0, penalty_sum = 0;

    for (std::size_t s = 0, step = 0; s < n_train; s += o.batch_size, ++step) {
      const std::size_t bs = std::min(o.batch_size, n_train - s);
      const ad::Var<T> xb(gather(x, order.data() + s, bs)), yb(gather(y, order.data() + s, bs));
      for (auto& p : params) p.var.zero_grad();
      const ad::Var<T> pred = forward(xb);
      const ad::Var<T> data_loss = loss_(yb, pred);
      // Built once: under a proximal optimizer the proximal parts count as values only.
      const ad::Var<T> pen = penalty();
      ad::backward(data_loss + pen);
      optimizer_->step(params);

      data_sum += double(data_loss.item()) * double(bs);
      penalty_sum += double(pen.item()) * double(bs);
      for (auto& m : metrics) m->update(yb.value(), pred.value());
      if (o.verbose == 1) {
        std::string ms;
        for (auto& m : metrics) ms += " - " + m->name() + ": " + std::to_string(m->result()).substr(0, 6);
        progress.step(step + 1, (data_sum + penalty_sum) / double(s + bs), ms);
      }
    }

    Logs logs{{"loss", (data_sum + penalty_sum) / double(n_train)},
              {"data_loss", data_sum / double(n_train)},
              {"penalty", penalty_sum / double(n_train)}};
    for (auto& m : metrics) logs[m->name()] = m->result();
    Logs val;
    if (o.validation_data) {
      const auto& [vx, vy] = *o.validation_data;
      val = evaluate(vx, vy, o.batch_size);
    } else if (n_train < n_all) {
      val = evaluate_rows(x, y, n_train, n_all, o.batch_size);
    }
    for (const auto& [k, v] : val) logs["val_" + k] = v;
    logs["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();

    history.epochs.push_back(epoch);
    for (const auto& [k, v] : logs) history.values[k].push_back(v);
    progress.end(logs);

    bool stop = false;
    for (std::size_t c = 0; c < o.callbacks.size(); ++c) {
      if (auto* e = std::get_if<EarlyStopping>(&o.callbacks[c])) {
        auto it = logs.find(e->monitor);
        if (it == logs.end()) {
          throw std::invalid_argument("EarlyStopping: '" + e->monitor + "' is not in the logs (" +
                                      format_logs(logs) + ")");
        }
        const bool up = maximize(*e);
        const bool better = up ? it->second > early[c].best + e->min_delta : it->second < early[c].best - e->min_delta;
        if (better) {
          early[c].best = it->second;
          early[c].wait = 0;
          if (e->restore_best_weights) {
            early[c].best_weights.clear();
            for (const auto& p : params) early[c].best_weights.push_back(p.var.value());
          }
        } else if (++early[c].wait >= e->patience) {  // Keras: stop once `patience` epochs failed to improve
          stop = true;
          if (e->restore_best_weights && !early[c].best_weights.empty()) {
            for (std::size_t i = 0; i < params.size(); ++i) params[i].var.mutable_value() = early[c].best_weights[i];
          }
        }
      } else if (auto* l = std::get_if<CSVLogger>(&o.callbacks[c])) {
        if (!csv_header_written[c]) {
          csv[c] << "epoch";
          for (const auto& [k, v] : logs) csv[c] << l->separator << k;
          csv[c] << "\n";
          csv_header_written[c] = true;
        }
        csv[c] << epoch;
        for (const auto& [k, v] : logs) csv[c] << l->separator << std::setprecision(10) << v;
        csv[c] << "\n";
        csv[c].flush();
        if (!csv[c]) throw std::runtime_error("CSVLogger: writing '" + l->path + "' failed");
      } else if (auto* f = std::get_if<LambdaCallback>(&o.callbacks[c])) {
        if (f->on_epoch_end) {
          EpochEnd info{epoch, logs, false};
          f->on_epoch_end(info);
          stop = stop || info.stop_training;
        }
      }
    }
    if (stop) break;
  }
  return history;
}

template <class T>
std::string Sequential<T>::summary() const {
  std::ostringstream s;
  const std::string rule(65, '_'), double_rule(65, '=');
  s << "Model: \"" << this->name() << "\"\n" << rule << "\n";
  auto row = [&](const std::string& a, const std::string& b, const std::string& c) {
    // As Keras does, a name longer than its column ("max_pooling2d (MaxPooling2D)") goes on in
    // 27-character pieces on further lines.
    constexpr std::size_t name_width = 27;
    s << " " << std::left << std::setw(28) << a.substr(0, name_width) << std::setw(26) << b << std::right
      << std::setw(10) << c << "\n";
    for (std::size_t at = name_width; at < a.size(); at += name_width) s << " " << a.substr(at, name_width) << "\n";
  };
  row("Layer (type)", "Output Shape", "Param #");
  s << double_rule << "\n";
  ad::Shape shape = input_shape_;
  std::size_t total = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const auto& l = layers_[i];
    std::string out = "?";
    if (built_) {
      shape = l->output_shape(shape);
      out = batch_shape_str(shape);
    }
    const std::size_t count = l->parameter_count();
    total += count;
    row(l->name() + " (" + l->type() + ")", out, with_commas(count));
    if (i + 1 < layers_.size()) s << "\n";
  }
  s << double_rule << "\n";
  s << "Total params: " << with_commas(total) << "\n";
  s << "Trainable params: " << with_commas(total) << "\n";
  s << "Non-trainable params: 0\n" << rule << "\n";
  if (!built_) s << "(not built yet: output shapes and parameters appear once the input shape is known)\n";
  return s.str();
}

template <class T>
SparsityReport Sequential<T>::sparsity(double threshold) const {
  detail::require_finite_nonnegative("Sequential::sparsity", "threshold", threshold);
  SparsityReport r;
  r.threshold = threshold;
  r.total.name = "total";
  for (const auto& p : this->parameters()) {
    if (p.name.size() < 7 || p.name.compare(p.name.size() - 7, 7, "/kernel") != 0) continue;
    SparsityReport::Row row;
    row.name = p.name;
    for (T w : p.var.value()) {
      ++row.count;
      row.exact_zeros += w == T(0);
      row.small += std::abs(double(w)) < threshold;
    }
    r.total.count += row.count;
    r.total.exact_zeros += row.exact_zeros;
    r.total.small += row.small;
    r.rows.push_back(row);
  }
  return r;
}

template <class T>
std::vector<Parameter<T>> Sequential<T>::checked_parameters() const {
  if (!built_) throw std::logic_error("Sequential: build the model (or run it once) before saving or loading weights");
  return this->parameters();
}

template <class T>
void Sequential<T>::save_weights(const std::string& path) const {
  NpzArchive a;
  for (const auto& p : checked_parameters()) a.put(p.name, p.var.value());
  save_npz(path, a);
}

namespace {
// The values for params from entries "<prefix><name>", all checked before any is used, so that
// a failed load leaves the model untouched.
template <class T>
std::vector<xt::xarray<T>> checked_values(const NpzArchive& a, const std::string& path,
                                          const std::vector<Parameter<T>>& params, const std::string& prefix) {
  std::vector<xt::xarray<T>> values;
  for (const auto& p : params) {
    const std::string key = prefix + p.name;
    if (!a.contains(key)) throw FormatError("load '" + path + "': entry '" + key + "' is missing");
    xt::xarray<T> v;
    try {
      v = a.get<T>(key);
    } catch (const FormatError& e) {
      throw FormatError("load '" + path + "': entry '" + key + "': " + e.what());
    }
    if (v.shape() != p.var.shape()) {
      throw FormatError("load '" + path + "': entry '" + key + "' has shape " + ad::shape_str(v.shape()) +
                        ", the model's parameter has " + ad::shape_str(p.var.shape()));
    }
    values.push_back(std::move(v));
  }
  return values;
}

template <class T>
void assign(const std::vector<Parameter<T>>& params, std::vector<xt::xarray<T>>&& values) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto var = params[i].var;
    var.mutable_value() = std::move(values[i]);
  }
}
}  // namespace

template <class T>
void Sequential<T>::load_weights(const std::string& path) {
  const auto params = checked_parameters();
  const NpzArchive a = load_npz(path);
  for (const auto& name : a.names()) {
    const bool known = std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.name == name; });
    if (!known) throw FormatError("load_weights '" + path + "': entry '" + name + "' is not a parameter of this model");
  }
  assign(params, checked_values(a, path, params, ""));
}

template <class T>
void Sequential<T>::save_checkpoint(const std::string& path, int epochs_completed) const {
  if (!optimizer_) throw std::logic_error("Sequential::save_checkpoint: compile() the model first");
  detail::require(epochs_completed >= 0, "Sequential::save_checkpoint", "epochs_completed", ">= 0", epochs_completed);
  NpzArchive a;
  for (const auto& p : checked_parameters()) a.put("weights/" + p.name, p.var.value());
  for (const auto& [name, value] : optimizer_->state()) a.put("optimizer/" + name, value);
  xt::xarray<std::int64_t> meta = xt::xarray<std::int64_t>::from_shape({2});
  meta(0) = epochs_completed;
  meta(1) = static_cast<std::int64_t>(optimizer_->config().index());
  a.put("meta/epochs_and_optimizer", meta);
  save_npz(path, a);
}

template <class T>
int Sequential<T>::load_checkpoint(const std::string& path) {
  if (!optimizer_) throw std::logic_error("Sequential::load_checkpoint: compile() the model first");
  const auto params = checked_parameters();
  const NpzArchive a = load_npz(path);
  if (!a.contains("meta/epochs_and_optimizer")) throw FormatError("load_checkpoint '" + path + "': not a checkpoint (no meta entry)");
  const auto meta = a.get<std::int64_t>("meta/epochs_and_optimizer");
  if (meta.size() != 2) throw FormatError("load_checkpoint '" + path + "': malformed meta entry");
  const std::int64_t epochs = meta(0);
  if (epochs < 0 || epochs > std::numeric_limits<int>::max()) {
    throw FormatError("load_checkpoint '" + path + "': the stored epoch count " + std::to_string(epochs) +
                      " is not in [0, " + std::to_string(std::numeric_limits<int>::max()) + "]");
  }
  if (meta(1) != static_cast<std::int64_t>(optimizer_->config().index())) {
    throw FormatError("load_checkpoint '" + path + "': saved with another optimizer than " + optimizer_->name());
  }
  NamedArrays<T> state;
  for (const auto& name : a.names()) {
    if (name.rfind("optimizer/", 0) == 0) state.emplace_back(name.substr(10), a.get<T>(name));
  }
  auto values = checked_values(a, path, params, "weights/");
  optimizer_->load_state(state);  // checks its own entries before replacing anything
  assign(params, std::move(values));
  return static_cast<int>(epochs);
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace nn
