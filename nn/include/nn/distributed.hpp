// Data-parallel training, MPI-free: the communicator interface fit() and evaluate() use once a
// model is distributed, and allreduce_gradients for custom training loops. The MPI
// implementation is the optional tapeflow::mpi library (<nn/mpi.hpp>); tapeflow::nn never links
// MPI. Launched as `mpirun -np N program`, every rank runs the same program on the same data:
//
//   nn::mpi::Session mpi(argc, argv);          // MPI_Init_thread ... MPI_Finalize
//   model.distribute(mpi.world());             // fit/evaluate now split every batch over the ranks
//   model.fit(x, y, {.batch_size = 128});      // 128 = the GLOBAL batch, as in Keras
//
// See nn/README.md ("Distributed training") for what is reduced, and when.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include <autodiff/var.hpp>

namespace nn {

// Ranks that disagree (on the data, the model or the weights), or a failed collective call.
class DistributedError : public ad::Error {
 public:
  using ad::Error::Error;
};

// The collective operations data-parallel training needs. Every rank must call each one, in the
// same order, with the same sizes. Every rank receives bit-identical results.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;  // 0 .. size() - 1
  virtual int size() const = 0;
  // Elementwise sum over the ranks, in place, in one call (one fused buffer), in an order that is
  // fixed for a given number of ranks: the same inputs give the same bits on every run.
  virtual void allreduce_sum(std::span<float> values) = 0;
  virtual void allreduce_sum(std::span<double> values) = 0;
  virtual void broadcast(std::span<std::byte> bytes, int root) = 0;  // root's bytes to every rank
  // Every rank's `mine` (the same length on all ranks), concatenated in rank order.
  virtual std::vector<std::uint64_t> allgather(std::span<const std::uint64_t> mine) = 0;
  virtual std::vector<float> allgather(std::span<const float> mine) = 0;
  virtual std::vector<double> allgather(std::span<const double> mine) = 0;
  virtual void barrier() = 0;
  // Ends the whole job: prints "<rank>: <message>" on stderr and never returns. For an error on
  // one rank that the others cannot know about (they would wait for it forever).
  [[noreturn]] virtual void abort(const std::string& message, int exit_code = 1) = 0;
};

// One process as a Communicator (rank 0 of 1), without MPI: a model distributed over it with
// fixed shards computes exactly what the same model computes on any number of ranks.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(std::span<float>) override {}
  void allreduce_sum(std::span<double>) override {}
  void broadcast(std::span<std::byte>, int root) override;  // root must be 0
  std::vector<std::uint64_t> allgather(std::span<const std::uint64_t> mine) override { return {mine.begin(), mine.end()}; }
  std::vector<float> allgather(std::span<const float> mine) override { return {mine.begin(), mine.end()}; }
  std::vector<double> allgather(std::span<const double> mine) override { return {mine.begin(), mine.end()}; }
  void barrier() override {}
  [[noreturn]] void abort(const std::string& message, int exit_code = 1) override;  // prints, then exits
};

struct DistributeOptions {
  // Into how many shards every global batch is cut: 0, one per rank. A fixed number (a multiple
  // of the number of ranks) makes the result independent of the number of ranks to the last bit:
  // each shard's gradient is computed alone, and the shards' gradients are added in shard order
  // whichever rank holds them. It costs shards / ranks backward passes per rank and step, and
  // every rank receives all `shards` gradient buffers.
  std::size_t shards = 0;
};

template <class T>
class Sequential;

// Sums every parameter's gradient over the ranks in one fused buffer (a parameter without a
// gradient on a rank counts as zeros there; it gets one if any rank has one). For custom training
// loops: scale each rank's loss so that the sum over ranks is the loss you want (for a mean over
// a global batch of B rows split into b_r rows per rank: multiply rank r's mean by b_r / B), call
// backward, then allreduce_gradients, then the optimizer step. Penalties on the weights belong on
// one rank only (rank 0), or they are counted size() times. Every rank ends with the same
// gradients. Throws DistributedError if the model is not distributed.
template <class T>
void allreduce_gradients(Sequential<T>& model);

}  // namespace nn

namespace nn {

// Runs body(); an exception escaping it ends the whole job through comm.abort with its message,
// instead of leaving the other ranks waiting in their next collective call for this one.
//   nn::abort_on_exception(*comm, [&] { model.fit(x, y, options); });
template <class Body>
decltype(auto) abort_on_exception(Communicator& comm, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    comm.abort(e.what());
  }
}

}  // namespace nn
