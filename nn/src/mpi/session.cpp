// nn::mpi::Session: MPI_Init_thread and MPI_Finalize, and the abort of the whole job when an
// exception would otherwise leave the other ranks waiting.
#include <cstdlib>
#include <exception>
#include <string>

#include "communicator.hpp"

namespace nn::mpi {

namespace {

// std::terminate (an exception left main, or a noexcept function): the message, then MPI_Abort.
[[noreturn]] void terminate_job() {
  std::string what = "terminate called without an active exception";
  if (const std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = std::string("uncaught exception: ") + x.what();
    } catch (...) {
      what = "uncaught exception of a type not derived from std::exception";
    }
  }
  detail::abort_job(what, 1);
}

}  // namespace

bool launched() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(name)) return true;
  }
  return false;
}

Session::Session() { start(nullptr, nullptr); }

Session::Session(int& argc, char**& argv) { start(&argc, &argv); }

void Session::start(int* argc, char*** argv) {
  int initialized = 0;
  detail::check(MPI_Initialized(&initialized), "MPI_Initialized");
  if (initialized) throw MpiError("nn::mpi::Session: MPI is already initialized (one Session per process)");
  int provided = 0;
  // Only the main thread calls MPI; tapeflow's own threads (OpenBLAS, autodiff) never do.
  detail::check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  detail::check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  std::set_terminate(terminate_job);
}

Session::~Session() {
  if (std::uncaught_exceptions() > 0) {
    detail::abort_job("an exception is leaving the scope of nn::mpi::Session (catch it with nn::abort_on_exception "
                      "to see its message); ending the job so that the other ranks do not wait for this one",
                      1);
  }
  MPI_Finalize();
}

std::shared_ptr<Communicator> Session::world(Reduction reduction) const {
  return std::make_shared<detail::WorldCommunicator>(reduction);
}

Stats stats(const Communicator& comm) {
  const auto* world = dynamic_cast<const detail::WorldCommunicator*>(&comm);
  return world ? world->stats() : Stats{};
}

}  // namespace nn::mpi
