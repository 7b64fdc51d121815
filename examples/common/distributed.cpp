#include "distributed.hpp"

#ifdef TAPEFLOW_EXAMPLES_MPI
#include <nn/mpi.hpp>
#endif

namespace experiment {

std::shared_ptr<nn::Communicator> communicator() {
#ifdef TAPEFLOW_EXAMPLES_MPI
  if (!nn::mpi::launched()) return nullptr;
  static nn::mpi::Session session;  // MPI_Finalize after main returns
  static const std::shared_ptr<nn::Communicator> world = session.world();
  return world;
#else
  return nullptr;
#endif
}

bool is_root() {
  const auto comm = communicator();
  return !comm || comm->rank() == 0;
}

double allreduce_seconds() {
#ifdef TAPEFLOW_EXAMPLES_MPI
  if (const auto comm = communicator()) return nn::mpi::stats(*comm).allreduce_seconds;
#endif
  return 0;
}

}  // namespace experiment
