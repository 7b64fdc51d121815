// tapeflow::mpi: the Communicator of nn/distributed.hpp on MPI (OpenMPI, MPICH), the one place
// tapeflow calls MPI. Link tapeflow::mpi (built with -DTAPEFLOW_MPI=ON, or AUTO when CMake finds
// MPI); this header needs no <mpi.h>.
//
//   int main(int argc, char** argv) {
//     nn::mpi::Session mpi(argc, argv);             // MPI_Init_thread; MPI_Finalize at scope exit
//     auto comm = mpi.world();                      // MPI_COMM_WORLD
//     model.distribute(comm);
//     nn::abort_on_exception(*comm, [&] { model.fit(x, y, {.batch_size = 128}); });
//     if (comm->rank() == 0) model.save_weights("model.npz");
//   }
//
//   mpirun -np 4 ./program      (as root, OpenMPI also wants --allow-run-as-root)
//
// A failed MPI call throws MpiError naming the call and MPI's error string (the communicator's
// error handler is MPI_ERRORS_RETURN). An exception that leaves main() (std::terminate), or the
// Session's scope, prints "tapeflow: rank r of n: <what>" on stderr and calls MPI_Abort, so one
// rank's error ends the job instead of hanging the others.
#pragma once

#include <cstdint>
#include <memory>

#include "nn/distributed.hpp"

namespace nn::mpi {

class MpiError : public DistributedError {
 public:
  using DistributedError::DistributedError;
};

// True when this process was started by mpirun/mpiexec (OpenMPI's, MPICH's or PMIx's variables).
bool launched();

// How allreduce_sum adds the ranks' values.
enum class Reduction {
  // MPI_Allgather, then each rank adds the values in rank order: the same bits on every rank
  // and on every run whatever algorithm MPI picks; each rank receives (size - 1) x the buffer.
  rank_order,
  // MPI_Allreduce: bandwidth-optimal (a ring moves 2 (size - 1) / size x the buffer), but the
  // order of the additions is MPI's; fit still checks after every epoch that the ranks' weights
  // are bit-identical.
  mpi_allreduce,
};

// Time and traffic of a communicator's allreduce_sum calls and of the float allgathers of fixed
// shards (the gradient exchanges), for measurements.
struct Stats {
  std::uint64_t allreduce_calls = 0;
  std::uint64_t allreduce_bytes = 0;  // the buffers' sizes, summed
  double allreduce_seconds = 0;
};

class Session {
 public:
  Session();                                  // MPI_Init_thread(nullptr, nullptr, ...)
  Session(int& argc, char**& argv);
  ~Session();                                 // MPI_Finalize (or MPI_Abort during an exception)
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // MPI_COMM_WORLD as a Communicator.
  std::shared_ptr<Communicator> world(Reduction reduction = Reduction::rank_order) const;

 private:
  void start(int* argc, char*** argv);
};

// The stats of a communicator that world() made (zeros for any other communicator).
Stats stats(const Communicator& comm);

}  // namespace nn::mpi
