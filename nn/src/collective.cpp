#include "collective.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <sstream>

namespace nn::detail {

namespace {

// FNV-1a over bytes: a checksum, equal on every machine for equal bytes.
std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t h = 0xcbf29ce484222325ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

template <class S>
std::uint64_t shape_hash(const S& shape, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (std::size_t d : shape) h = fnv1a(&d, sizeof d, h);
  return fnv1a("|", 1, h);
}

template <class T>
std::uint64_t first_rows_checksum(const xt::xarray<T>& a, std::size_t rows) {
  const std::size_t row = a.shape()[0] ? a.size() / a.shape()[0] : 0;
  return fnv1a(a.data(), std::min(rows, a.shape()[0]) * row * sizeof(T));
}

std::string hex(std::uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

struct Item {
  std::string what;
  std::uint64_t value;
  bool hashed;  // printed as a checksum
};

// Every rank's items side by side; the first one that differs from rank 0's, as a message.
void require_same(Communicator& comm, const std::string& who, const std::vector<Item>& items) {
  std::vector<std::uint64_t> mine;
  for (const auto& i : items) mine.push_back(i.value);
  const std::vector<std::uint64_t> all = comm.allgather(mine);
  const std::size_t n = items.size();
  for (int r = 1; r < comm.size(); ++r) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t v0 = all[i], vr = all[std::size_t(r) * n + i];
      if (v0 == vr) continue;
      const auto show = [&](std::uint64_t v) { return items[i].hashed ? "checksum " + hex(v) : std::to_string(v); };
      throw DistributedError(who + ": the ranks disagree on " + items[i].what + ": rank 0 has " + show(v0) +
                             ", rank " + std::to_string(r) + " has " + show(vr) +
                             " (every rank must run the same program on the same data)");
    }
  }
}

template <class T>
std::uint64_t parameters_hash(const std::vector<Parameter<T>>& params, bool values) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& p : params) {
    h = fnv1a(p.name.data(), p.name.size() + 1, h);
    h = shape_hash(p.var.shape(), h);
    if (values) h = fnv1a(p.var.value().data(), p.var.size() * sizeof(T), h);
  }
  return h;
}

}  // namespace

RowSlice part_slice(std::size_t first, std::size_t count, std::size_t index, std::size_t parts) {
  return {first + count * index / parts, first + count * (index + 1) / parts};
}

RowSlice rank_slice(std::size_t first, std::size_t count, const Communicator* comm) {
  if (!comm) return {first, first + count};
  return part_slice(first, count, std::size_t(comm->rank()), std::size_t(comm->size()));
}

template <class T>
std::size_t gradient_buffer_size(const std::vector<Parameter<T>>& params) {
  std::size_t total = params.size();
  for (const auto& p : params) total += p.var.size();
  return total;
}

template <class T>
void pack_gradients(const std::vector<Parameter<T>>& params, T* out) {
  T* flags = out + gradient_buffer_size(params) - params.size();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const ad::Var<T> g = params[i].var.grad();
    const std::size_t n = params[i].var.size();
    flags[i] = g.defined() ? T(1) : T(0);
    if (g.defined()) std::copy_n(g.value().data(), n, out);
    else std::fill_n(out, n, T(0));
    out += n;
  }
}

template <class T>
void unpack_gradients(const std::vector<Parameter<T>>& params, const T* in) {
  const T* flags = in + gradient_buffer_size(params) - params.size();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Parameter<T>& p = params[i];
    const std::size_t n = p.var.size();
    const ad::Var<T> mine = p.var.grad();
    if (mine.defined() && mine.size() == n) {
      std::copy_n(in, n, mine.mutable_value().data());  // in place: no allocation per step
    } else if (flags[i] != T(0)) {
      xt::xarray<T> g = xt::xarray<T>::from_shape(p.var.shape());
      std::copy_n(in, n, g.data());
      ad::Var<T>(p.var).set_grad(ad::Var<T>(std::move(g)));
    }
    in += n;
  }
}

template <class T>
Logs reduced_logs(Communicator* comm, double data_sum, double penalty_sum, std::size_t rows,
                  const std::vector<std::unique_ptr<Metric<T>>>& metrics) {
  std::vector<double> sums{data_sum, penalty_sum, double(rows)};
  for (const auto& m : metrics) sums.push_back(m->result() * double(rows));
  if (comm) comm->allreduce_sum(std::span<double>(sums));
  const double n = sums[2];
  Logs logs{{"loss", (sums[0] + sums[1]) / n}, {"data_loss", sums[0] / n}, {"penalty", sums[1] / n}};
  for (std::size_t i = 0; i < metrics.size(); ++i) logs[metrics[i]->name()] = comm ? sums[3 + i] / n : metrics[i]->result();
  return logs;
}

template <class T>
void check_data_agree(Communicator& comm, const xt::xarray<T>& x, const xt::xarray<T>& y, const Settings& settings) {
  constexpr std::size_t checked_rows = 16;
  const std::string first = "the first " + std::to_string(checked_rows) + " rows of ";
  std::vector<Item> items{{"the number of rows of x", x.shape()[0], false},
                          {"the shape of x", shape_hash(x.shape()), true},
                          {"the shape of y", shape_hash(y.shape()), true},
                          {first + "x", first_rows_checksum(x, checked_rows), true},
                          {first + "y", first_rows_checksum(y, checked_rows), true}};
  for (const auto& [name, value] : settings) items.push_back({name, value, false});
  require_same(comm, "Sequential::fit", items);
}

template <class T>
void check_model_agree(Communicator& comm, const std::vector<Parameter<T>>& params) {
  require_same(comm, "Sequential::fit", {{"the number of parameters", params.size(), false},
                                         {"the parameters' names and shapes", parameters_hash(params, false), true}});
}

template <class T>
void broadcast_parameters(Communicator& comm, const std::vector<Parameter<T>>& params) {
  for (const auto& p : params) {
    auto& v = p.var.mutable_value();
    comm.broadcast(std::as_writable_bytes(std::span<T>(v.data(), v.size())), 0);
  }
}

template <class T>
void check_weights_agree(Communicator& comm, const std::vector<Parameter<T>>& params, int epoch) {
  require_same(comm, "Sequential::fit", {{"the weights after epoch " + std::to_string(epoch), parameters_hash(params, true), true}});
}

#define TAPEFLOW_INSTANTIATE_COLLECTIVE(T)                                                                       \
  template std::size_t gradient_buffer_size(const std::vector<Parameter<T>>&);                                  \
  template void pack_gradients(const std::vector<Parameter<T>>&, T*);                                           \
  template void unpack_gradients(const std::vector<Parameter<T>>&, const T*);                                   \
  template Logs reduced_logs(Communicator*, double, double, std::size_t, const std::vector<std::unique_ptr<Metric<T>>>&); \
  template void check_data_agree(Communicator&, const xt::xarray<T>&, const xt::xarray<T>&, const Settings&);     \
  template void check_model_agree(Communicator&, const std::vector<Parameter<T>>&);                              \
  template void broadcast_parameters(Communicator&, const std::vector<Parameter<T>>&);                          \
  template void check_weights_agree(Communicator&, const std::vector<Parameter<T>>&, int);
TAPEFLOW_INSTANTIATE_COLLECTIVE(float)
TAPEFLOW_INSTANTIATE_COLLECTIVE(double)
#undef TAPEFLOW_INSTANTIATE_COLLECTIVE

}  // namespace nn::detail
