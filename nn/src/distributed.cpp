// Sequential::distribute and allreduce_gradients: the model's side of data parallelism
// (nn/distributed.hpp), MPI-free.
#include "nn/distributed.hpp"

#include <algorithm>
#include <span>

#include "nn/sequential.hpp"

namespace nn {

template <class T>
void Sequential<T>::distribute(std::shared_ptr<Communicator> comm) {
  comm_ = std::move(comm);
}

// One fused buffer: every gradient in parameters() order, then one flag per parameter (1 where
// this rank has a gradient), so a single allreduce carries everything.
template <class T>
void allreduce_gradients(Sequential<T>& model) {
  Communicator* comm = model.communicator();
  if (!comm) throw DistributedError("nn::allreduce_gradients: the model is not distributed (call model.distribute(comm) first)");
  if (comm->size() == 1) return;  // the sum over one rank: the gradients as they are
  const std::vector<Parameter<T>> params = model.parameters();
  std::size_t total = params.size();
  for (const auto& p : params) total += p.var.size();
  std::vector<T> buffer(total, T(0));
  std::size_t at = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const ad::Var<T> g = params[i].var.grad();
    if (g.defined()) {
      std::copy_n(g.value().data(), g.size(), buffer.data() + at);
      buffer[total - params.size() + i] = T(1);
    }
    at += params[i].var.size();
  }
  comm->allreduce_sum(std::span<T>(buffer));
  at = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Parameter<T>& p = params[i];
    const std::size_t n = p.var.size();
    const ad::Var<T> mine = p.var.grad();
    if (mine.defined() && mine.size() == n) {
      std::copy_n(buffer.data() + at, n, mine.mutable_value().data());  // in place: no allocation per step
    } else if (buffer[total - params.size() + i] != T(0)) {
      xt::xarray<T> g = xt::xarray<T>::from_shape(p.var.shape());
      std::copy_n(buffer.data() + at, n, g.data());
      ad::Var<T>(p.var).set_grad(ad::Var<T>(std::move(g)));
    }
    at += n;
  }
}

template void Sequential<float>::distribute(std::shared_ptr<Communicator>);
template void Sequential<double>::distribute(std::shared_ptr<Communicator>);
template void allreduce_gradients(Sequential<float>&);
template void allreduce_gradients(Sequential<double>&);

}  // namespace nn
