// One rank throws in the middle of a distributed fit; the job must end (not hang) with a non-zero
// exit code and the message on stderr (tests/nn/mpi/expect_abort.cmake runs it under mpirun).
//   throwing_rank wrapped     the exception is caught by nn::abort_on_exception
//   throwing_rank uncaught    the exception leaves main (std::terminate)
#include <cstring>
#include <stdexcept>

#include <nn/mpi.hpp>
#include <nn/nn.hpp>

namespace {

void train(nn::Communicator& comm) {
  nn::Sequential<float> m(3);
  m.add(nn::Input({4}));
  m.add(nn::Dense(8, "relu"));
  m.add(nn::Dense(1));
  m.compile(nn::SGD(0.01), "mse");
  m.distribute(std::shared_ptr<nn::Communicator>(&comm, [](nn::Communicator*) {}));
  const xt::xarray<float> x = xt::ones<float>({64, 4}), y = xt::zeros<float>({64, 1});
  const auto fail = nn::LambdaCallback{[&](nn::EpochEnd& e) {
    if (comm.rank() == 1 && e.epoch == 1) throw std::runtime_error("rank 1 fails on purpose after epoch 1");
  }};
  m.fit(x, y, {.epochs = 1000, .batch_size = 8, .verbose = 0, .callbacks = {fail}});
}

}  // namespace

int main(int argc, char** argv) {
  nn::mpi::Session mpi(argc, argv);
  auto comm = mpi.world();
  if (argc > 1 && std::strcmp(argv[1], "uncaught") == 0) {
    train(*comm);
  } else {
    nn::abort_on_exception(*comm, [&] { train(*comm); });
  }
  return 0;
}
