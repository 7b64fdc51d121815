// nn::Communicator on an MPI communicator: every MPI call tapeflow makes during training.
#include "communicator.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace nn::mpi::detail {

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw MpiError(std::string(call) + " failed: " + (length ? std::string(text, std::size_t(length)) : "error code " + std::to_string(code)));
}

[[noreturn]] void abort_job(const std::string& message, int exit_code) {
  int rank = -1, size = 0, initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  std::fflush(stdout);
  std::fprintf(stderr, "tapeflow: rank %d of %d: %s\n", rank, size, message.c_str());
  std::fflush(stderr);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

WorldCommunicator::WorldCommunicator(Reduction reduction) : reduction_(reduction) {
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
}

template <class T>
void WorldCommunicator::sum(std::span<T> values, MPI_Datatype type) {
  if (values.size() > std::size_t(std::numeric_limits<int>::max())) {
    throw MpiError("nn::mpi allreduce_sum: " + std::to_string(values.size()) + " values are more than one MPI call takes");
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int count = static_cast<int>(values.size());
  if (size_ == 1) {
    // The sum over one rank is its values: nothing to send.
  } else if (reduction_ == Reduction::mpi_allreduce) {
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), count, type, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  } else {
    // Kept between calls: a fresh multi-megabyte buffer per step costs its page faults every time.
    std::vector<T>& all = gathered<T>();
    all.resize(values.size() * std::size_t(size_));
    check(MPI_Allgather(values.data(), count, type, all.data(), count, type, MPI_COMM_WORLD), "MPI_Allgather");
    for (std::size_t i = 0; i < values.size(); ++i) {
      T s = all[i];
      for (std::size_t r = 1; r < std::size_t(size_); ++r) s += all[r * values.size() + i];
      values[i] = s;
    }
  }
  stats_.allreduce_calls += 1;
  stats_.allreduce_bytes += values.size_bytes();
  stats_.allreduce_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void WorldCommunicator::allreduce_sum(std::span<float> values) { sum(values, MPI_FLOAT); }
void WorldCommunicator::allreduce_sum(std::span<double> values) { sum(values, MPI_DOUBLE); }

void WorldCommunicator::broadcast(std::span<std::byte> bytes, int root) {
  if (bytes.size() > std::size_t(std::numeric_limits<int>::max())) {
    throw MpiError("nn::mpi broadcast: " + std::to_string(bytes.size()) + " bytes are more than one MPI call takes");
  }
  check(MPI_Bcast(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
}

template <class T>
std::vector<T> WorldCommunicator::gather(std::span<const T> mine, MPI_Datatype type) {
  if (mine.size() > std::size_t(std::numeric_limits<int>::max())) {
    throw MpiError("nn::mpi allgather: " + std::to_string(mine.size()) + " values are more than one MPI call takes");
  }
  const int count = static_cast<int>(mine.size());
  std::vector<T> all(mine.size() * std::size_t(size_));
  check(MPI_Allgather(mine.data(), count, type, all.data(), count, type, MPI_COMM_WORLD), "MPI_Allgather");
  return all;
}

std::vector<std::uint64_t> WorldCommunicator::allgather(std::span<const std::uint64_t> mine) {
  return gather(mine, MPI_UINT64_T);
}

std::vector<float> WorldCommunicator::allgather(std::span<const float> mine) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<float> all = gather(mine, MPI_FLOAT);
  stats_.allreduce_calls += 1;  // the gradient exchange of fixed shards
  stats_.allreduce_bytes += mine.size_bytes();
  stats_.allreduce_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return all;
}

std::vector<double> WorldCommunicator::allgather(std::span<const double> mine) { return gather(mine, MPI_DOUBLE); }

void WorldCommunicator::barrier() { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

void WorldCommunicator::abort(const std::string& message, int exit_code) { abort_job(message, exit_code); }

}  // namespace nn::mpi::detail
