// The collective steps of data-parallel fit and evaluate (nn/distributed.hpp), MPI-free: which
// rows a rank takes, the logs summed over the ranks, and the checks that the ranks agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "nn/distributed.hpp"
#include "nn/history.hpp"
#include "nn/metrics.hpp"
#include "nn/parameter.hpp"

namespace nn::detail {

// Rank r's contiguous part [begin, end) of the global rows [first, first + count): the first
// count * r / size to count * (r + 1) / size. All of them without a communicator.
struct RowSlice {
  std::size_t begin, end;
  std::size_t size() const { return end - begin; }
};
RowSlice rank_slice(std::size_t first, std::size_t count, const Communicator* comm);
// Part `index` of `parts` of the rows [first, first + count), cut the same way.
RowSlice part_slice(std::size_t first, std::size_t count, std::size_t index, std::size_t parts);

// Every parameter's gradient in one buffer: the gradients in parameters() order (zeros where a
// parameter has none), then one flag per parameter (1 where it has one). unpack_gradients sets
// each flagged parameter's gradient from such a buffer (in place when it has one already).
template <class T>
std::size_t gradient_buffer_size(const std::vector<Parameter<T>>& params);
template <class T>
void pack_gradients(const std::vector<Parameter<T>>& params, T* out);
template <class T>
void unpack_gradients(const std::vector<Parameter<T>>& params, const T* in);

// "loss", "data_loss", "penalty" and each metric from a rank's sums over its `rows` rows (the
// penalty counted as fit() and evaluate() count it), summed over the ranks when comm is given.
// Metrics must be sample-weighted means (all built-in ones are): rank r contributes
// result() * rows.
template <class T>
Logs reduced_logs(Communicator* comm, double data_sum, double penalty_sum, std::size_t rows,
                  const std::vector<std::unique_ptr<Metric<T>>>& metrics);

// Before training: every rank must have the same data (shapes, row count, a checksum of the
// first rows) and the same `settings` (name, value), checked before the model is built (a model
// built for other shapes would throw on one rank only), then the same model (parameter names
// and shapes). Otherwise every rank throws the same DistributedError naming the first difference.
using Settings = std::vector<std::pair<std::string, std::uint64_t>>;
template <class T>
void check_data_agree(Communicator& comm, const xt::xarray<T>& x, const xt::xarray<T>& y, const Settings& settings);
template <class T>
void check_model_agree(Communicator& comm, const std::vector<Parameter<T>>& params);

// Rank 0's parameter values to every rank.
template <class T>
void broadcast_parameters(Communicator& comm, const std::vector<Parameter<T>>& params);

// After an epoch: the ranks' weights must be bit-identical (they are, unless a rank was fed
// something else); DistributedError otherwise, on every rank.
template <class T>
void check_weights_agree(Communicator& comm, const std::vector<Parameter<T>>& params, int epoch);

}  // namespace nn::detail
