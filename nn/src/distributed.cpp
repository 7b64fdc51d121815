// Sequential::distribute, allreduce_gradients and LocalCommunicator: the model's side of data
// parallelism (nn/distributed.hpp), MPI-free.
#include "nn/distributed.hpp"

#include <cstdio>
#include <cstdlib>
#include <span>
#include <stdexcept>

#include "collective.hpp"
#include "nn/sequential.hpp"

namespace nn {

void LocalCommunicator::broadcast(std::span<std::byte>, int root) {
  if (root != 0) throw std::invalid_argument("LocalCommunicator::broadcast: root must be 0 (one rank), got " + std::to_string(root));
}

void LocalCommunicator::abort(const std::string& message, int exit_code) {
  std::fflush(stdout);
  std::fprintf(stderr, "tapeflow: rank 0 of 1: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(exit_code);
}

template <class T>
void Sequential<T>::distribute(std::shared_ptr<Communicator> comm, DistributeOptions options) {
  if (options.shards != 0 && !comm) {
    throw std::invalid_argument("Sequential::distribute: shards " + std::to_string(options.shards) + " needs a communicator");
  }
  if (comm && options.shards % std::size_t(comm->size()) != 0) {
    throw std::invalid_argument("Sequential::distribute: shards must be 0 (one per rank) or a multiple of the " +
                                std::to_string(comm->size()) + " ranks, got " + std::to_string(options.shards));
  }
  comm_ = std::move(comm);
  shards_ = options.shards;
}

// One fused buffer (detail::pack_gradients), so a single allreduce carries everything.
template <class T>
void allreduce_gradients(Sequential<T>& model) {
  Communicator* comm = model.communicator();
  if (!comm) throw DistributedError("nn::allreduce_gradients: the model is not distributed (call model.distribute(comm) first)");
  if (comm->size() == 1) return;  // the sum over one rank: the gradients as they are
  const std::vector<Parameter<T>> params = model.parameters();
  std::vector<T> buffer(detail::gradient_buffer_size(params));
  detail::pack_gradients(params, buffer.data());
  comm->allreduce_sum(std::span<T>(buffer));
  detail::unpack_gradients(params, buffer.data());
}

template void Sequential<float>::distribute(std::shared_ptr<Communicator>, DistributeOptions);
template void Sequential<double>::distribute(std::shared_ptr<Communicator>, DistributeOptions);
template void allreduce_gradients(Sequential<float>&);
template void allreduce_gradients(Sequential<double>&);

}  // namespace nn
