// tapeflow::mpi from the installed package (.ci/consumer, when the build has it): one process
// (MPI's singleton start, no mpirun), a distributed fit on a 1-rank world. Prints OK and exits 0
// only if the model learned y = 2x and the communicator has one rank.
#include <cmath>
#include <iostream>

#include <nn/mpi.hpp>
#include <nn/nn.hpp>

int main(int argc, char** argv) {
  nn::mpi::Session mpi(argc, argv);
  auto comm = mpi.world();
  nn::Sequential<float> model(1);
  model.add(nn::Input({1}));
  model.add(nn::Dense(1));
  model.compile(nn::SGD(0.1), "mse");
  model.distribute(comm);
  xt::xarray<float> x = xt::xarray<float>::from_shape({64, 1}), y = x;
  for (std::size_t i = 0; i < 64; ++i) x(i, 0) = float(i) / 64, y(i, 0) = 2 * x(i, 0);
  nn::abort_on_exception(*comm, [&] { model.fit(x, y, {.epochs = 200, .batch_size = 16, .verbose = 0}); });
  const float slope = model.parameters()[0].var.value()(0, 0);
  const bool ok = comm->size() == 1 && std::abs(slope - 2) < 0.05;
  std::cout << (ok ? "OK" : "FAILED") << ": tapeflow::mpi, " << comm->size() << " rank, slope " << slope << "\n";
  return ok ? 0 : 1;
}
