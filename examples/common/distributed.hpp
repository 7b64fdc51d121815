// The examples under mpirun. Built with tapeflow::mpi and started by mpirun/mpiexec, a program
// runs on every rank: experiment::communicator() is MPI_COMM_WORLD (MPI starts at its first call
// and ends at exit), the examples distribute their models over it (data-parallel fit, or the
// λ sweep's fits over the ranks), and rank 0 alone prints reports and writes plots and files.
// Started without mpirun, or built without MPI, communicator() is nullptr and nothing changes.
#pragma once

#include <memory>

#include <nn/distributed.hpp>

namespace experiment {

std::shared_ptr<nn::Communicator> communicator();
// True on rank 0, and without MPI: the process that prints reports and writes files.
bool is_root();
// Seconds spent in the communicator's allreduce_sum so far (0 without MPI).
double allreduce_seconds();

}  // namespace experiment
