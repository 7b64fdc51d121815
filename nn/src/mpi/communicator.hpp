// The MPI_COMM_WORLD communicator behind nn::mpi::Session::world(), and the error check of
// every MPI call.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "nn/mpi.hpp"

namespace nn::mpi::detail {

// Throws MpiError("<call> failed: <MPI's error string>") unless code is MPI_SUCCESS.
void check(int code, const char* call);

// Prints "tapeflow: rank r of n: <message>" on stderr, then MPI_Abort (or _Exit without MPI).
[[noreturn]] void abort_job(const std::string& message, int exit_code);

class WorldCommunicator final : public Communicator {
 public:
  explicit WorldCommunicator(Reduction reduction);
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(std::span<float> values) override;
  void allreduce_sum(std::span<double> values) override;
  void broadcast(std::span<std::byte> bytes, int root) override;
  std::vector<std::uint64_t> allgather(std::span<const std::uint64_t> mine) override;
  std::vector<float> allgather(std::span<const float> mine) override;
  std::vector<double> allgather(std::span<const double> mine) override;
  void barrier() override;
  [[noreturn]] void abort(const std::string& message, int exit_code) override;
  const Stats& stats() const { return stats_; }

 private:
  template <class T>
  void sum(std::span<T> values, MPI_Datatype type);
  template <class T>
  std::vector<T> gather(std::span<const T> mine, MPI_Datatype type);

  template <class T>
  std::vector<T>& gathered() {
    if constexpr (std::is_same_v<T, float>) return gathered_float_;
    else return gathered_double_;
  }

  Reduction reduction_;
  std::vector<float> gathered_float_;
  std::vector<double> gathered_double_;
  int rank_ = 0, size_ = 1;
  Stats stats_;
};

}  // namespace nn::mpi::detail
