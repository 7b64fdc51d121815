// Data-parallel fit under mpirun (tests/nn/mpi/CMakeLists.txt runs it on 2 and 3 ranks): every
// rank trains the distributed model and, in the same process, the same model on one process;
// the weights must agree within 1e-5 relative (the sums run in another order) with the same exact
// zeros, and the ranks must agree bit for bit.
#define BOOST_TEST_MODULE distributed_fit
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <array>
#include <memory>
#include <span>

#include <xtensor/xview.hpp>

#include <datasets/synthetic.hpp>
#include <nn/mpi.hpp>
#include <nn/nn.hpp>

#include "common/check.hpp"
#include "common/temp_dir.hpp"

namespace {

struct MpiFixture {
  MpiFixture() : session(boost::unit_test::framework::master_test_suite().argc,
                         boost::unit_test::framework::master_test_suite().argv) {}
  nn::mpi::Session session;
  static std::shared_ptr<nn::Communicator>& comm() {
    static std::shared_ptr<nn::Communicator> c;
    return c;
  }
};

struct World {
  World() { MpiFixture::comm() = fixture().session.world(); }
  static MpiFixture& fixture() {
    static MpiFixture f;
    return f;
  }
};
BOOST_TEST_GLOBAL_FIXTURE(World);

nn::Communicator& comm() { return *MpiFixture::comm(); }

using Weights = std::vector<xt::xarray<float>>;

Weights weights(const nn::Sequential<float>& m) {
  Weights w;
  for (const auto& p : m.parameters()) w.push_back(p.var.value());
  return w;
}

// max |a - b| / max |b| per parameter, the largest over the parameters; and the exact zeros agree.
double max_relative_difference(const Weights& a, const Weights& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_REQUIRE(a[i].shape() == b[i].shape());
    double diff = 0, scale = 0;
    for (std::size_t j = 0; j < a[i].size(); ++j) {
      diff = std::max(diff, double(std::abs(a[i].data()[j] - b[i].data()[j])));
      scale = std::max(scale, double(std::abs(b[i].data()[j])));
      BOOST_TEST((a[i].data()[j] == 0) == (b[i].data()[j] == 0), "parameter " << i << " element " << j);
    }
    worst = std::max(worst, scale > 0 ? diff / scale : diff);
  }
  return worst;
}

std::size_t exact_zeros(const Weights& w) {
  std::size_t n = 0;
  for (const auto& a : w) n += std::size_t(std::count(a.begin(), a.end(), 0.0f));
  return n;
}

std::pair<xt::xarray<float>, xt::xarray<float>> moons(std::size_t n) {
  auto data = datasets::make_moons<float>(n, 0.2, 3);
  xt::xarray<float> y = data.y;
  y.reshape({n, std::size_t{1}});
  return {data.x, y};
}

nn::Sequential<float> moons_model() {
  nn::Sequential<float> m(7);
  m.add(nn::Input({2}));
  m.add(nn::Dense(16, "relu", {.kernel_regularizer = nn::L1(3e-3), .activity_regularizer = nn::L2(1e-3)}));
  m.add(nn::Dense(16, "tanh", {.kernel_regularizer = nn::L1(3e-3), .bias_regularizer = nn::L2(1e-3)}));
  m.add(nn::Dense(1, "sigmoid"));
  m.compile(nn::Adam{.learning_rate = 1e-2, .proximal = true}, "binary_crossentropy", {"accuracy"});
  return m;
}

// 10 classes of 64 features around random centres: a small MNIST-like problem.
std::pair<xt::xarray<float>, xt::xarray<float>> mnist_like(std::size_t n) {
  nn::Random r(11);
  xt::xarray<float> centres = xt::xarray<float>::from_shape({10, 64});
  for (auto& c : centres) c = float(r.uniform());
  auto x = xt::xarray<float>::from_shape({n, 64});
  xt::xarray<float> y = xt::zeros<float>({n, std::size_t{10}});
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t label = r.below(10);
    y(i, label) = 1;
    for (std::size_t j = 0; j < 64; ++j) x(i, j) = centres(label, j) + float(r.normal() * 0.3);
  }
  return {x, y};
}

nn::Sequential<float> mnist_like_model() {
  nn::Sequential<float> m(5);
  m.add(nn::Input({64}));
  m.add(nn::Dense(32, "relu", {.kernel_regularizer = nn::L1(1e-3)}));
  m.add(nn::Dropout(0.2));
  m.add(nn::Dense(10, "softmax", {.kernel_regularizer = nn::L2(1e-4)}));
  m.compile(nn::Adam{.learning_rate = 3e-3, .proximal = true}, "categorical_crossentropy", {"accuracy"});
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(moons_with_proximal_l1_match_one_process) {
  const auto [x, y] = moons(203);  // batches of 25 split 12/13 over 2 ranks, a last batch of 3
  const nn::FitOptions<float> options{.epochs = 6, .batch_size = 25, .validation_split = 0.15, .seed = 3, .verbose = 0};
  auto single = moons_model();
  const nn::History h1 = single.fit(x, y, options);
  auto distributed = moons_model();
  distributed.distribute(MpiFixture::comm());
  const nn::History hn = distributed.fit(x, y, options);

  const double rel = max_relative_difference(weights(distributed), weights(single));
  BOOST_TEST_MESSAGE("moons, " << comm().size() << " ranks: max relative difference " << rel << ", exact zeros "
                               << exact_zeros(weights(distributed)) << " vs " << exact_zeros(weights(single)));
  BOOST_TEST(rel <= 1e-5);
  BOOST_TEST(exact_zeros(weights(single)) > 0);  // the proximal steps did zero weights
  for (const char* key : {"loss", "data_loss", "penalty", "accuracy", "val_loss", "val_accuracy"}) {
    for (std::size_t e = 0; e < h1[key].size(); ++e) BOOST_TEST(hn[key][e] == h1[key][e], boost::test_tools::tolerance(1e-5));
  }
}

BOOST_AUTO_TEST_CASE(mnist_like_with_dropout_matches_one_process) {
  const auto [x, y] = mnist_like(300);
  const nn::FitOptions<float> options{.epochs = 3, .batch_size = 32, .validation_split = 0.2, .seed = 9, .verbose = 0};
  auto single = mnist_like_model();
  single.fit(x, y, options);
  auto distributed = mnist_like_model();
  distributed.distribute(MpiFixture::comm());
  distributed.fit(x, y, options);

  const double rel = max_relative_difference(weights(distributed), weights(single));
  BOOST_TEST_MESSAGE("MNIST-like with dropout, " << comm().size() << " ranks: max relative difference " << rel
                                                 << ", exact zeros " << exact_zeros(weights(distributed)));
  BOOST_TEST(rel <= 1e-5);
  BOOST_TEST(exact_zeros(weights(single)) > 0);

  const nn::Logs e1 = single.evaluate(x, y, 50), en = distributed.evaluate(x, y, 50);
  for (const auto& [k, v] : e1) BOOST_TEST(en.at(k) == v, boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(the_ranks_end_bit_identical) {
  const auto [x, y] = moons(120);
  auto m = moons_model();
  m.distribute(MpiFixture::comm());
  m.fit(x, y, {.epochs = 2, .batch_size = 16, .verbose = 0});
  for (const auto& p : m.parameters()) {
    xt::xarray<float> mine = p.var.value(), root = mine;
    comm().broadcast(std::as_writable_bytes(std::span<float>(root.data(), root.size())), 0);
    BOOST_TEST(std::memcmp(mine.data(), root.data(), mine.size() * sizeof(float)) == 0, p.name);
  }
}

BOOST_AUTO_TEST_CASE(ranks_that_disagree_on_the_data_or_the_model_stop_before_training) {
  if (comm().size() < 2) return;  // nothing to disagree with (the 2- and 3-rank runs check this)
  auto [x, y] = moons(100);
  if (comm().rank() == 1) x(3, 1) += 1;  // one value in the first rows
  auto m = moons_model();
  m.distribute(MpiFixture::comm());
  const auto before = weights(m);
  BOOST_CHECK_EXCEPTION(m.fit(x, y, {.epochs = 1, .verbose = 0}), nn::DistributedError,
                        test::message_has<nn::DistributedError>(
                            {"Sequential::fit: the ranks disagree on the first 16 rows of x: rank 0 has checksum 0x",
                             ", rank 1 has checksum 0x"}));
  BOOST_TEST(max_relative_difference(weights(m), before) == 0);  // nothing trained

  const auto [x2, y2] = moons(100);
  nn::Sequential<float> other(7);
  other.add(nn::Input({2}));
  other.add(nn::Dense(comm().rank() == 1 ? 8 : 16, "relu"));
  other.add(nn::Dense(1, "sigmoid"));
  other.compile(nn::SGD(0.1), "binary_crossentropy");
  other.distribute(MpiFixture::comm());
  BOOST_CHECK_EXCEPTION(other.fit(x2, y2, {.epochs = 1, .verbose = 0}), nn::DistributedError,
                        test::message_has<nn::DistributedError>({"the ranks disagree on the parameters' names and shapes"}));
  BOOST_CHECK_EXCEPTION(other.fit(x2, y2, {.epochs = 1, .batch_size = comm().rank() == 1 ? 8u : 16u, .verbose = 0}),
                        nn::DistributedError,
                        test::message_has<nn::DistributedError>({"the ranks disagree on "}));

  // Another number of features on rank 1, for a model without an Input: stopped before the model
  // is built (building it would have failed on one rank only).
  nn::Sequential<float> unbuilt(7);
  unbuilt.add(nn::Dense(4, "relu"));
  unbuilt.add(nn::Dense(1, "sigmoid"));
  unbuilt.compile(nn::SGD(0.1), "binary_crossentropy");
  unbuilt.distribute(MpiFixture::comm());
  const xt::xarray<float> wide = xt::ones<float>({std::size_t{100}, std::size_t(comm().rank() == 1 ? 3 : 2)});
  BOOST_CHECK_EXCEPTION(unbuilt.fit(wide, y2, {.epochs = 1, .verbose = 0}), nn::DistributedError,
                        test::message_has<nn::DistributedError>({"the ranks disagree on the shape of x"}));
  BOOST_TEST(!unbuilt.built());
}

BOOST_AUTO_TEST_CASE(resuming_from_a_checkpoint_continues_exactly) {
  const auto [x, y] = mnist_like(160);
  const nn::FitOptions<float> all{.epochs = 4, .batch_size = 20, .seed = 2, .verbose = 0};
  auto straight = mnist_like_model();
  straight.distribute(MpiFixture::comm());
  straight.fit(x, y, all);

  // Rank 0's temporary directory, named to every rank.
  std::unique_ptr<test::TempDir> dir;
  std::array<char, 512> name{};
  if (comm().rank() == 0) {
    dir = std::make_unique<test::TempDir>("mpi-resume");
    std::strncpy(name.data(), (*dir / "ckpt.npz").c_str(), name.size() - 1);
  }
  comm().broadcast(std::as_writable_bytes(std::span<char>(name)), 0);
  const std::string path(name.data());

  auto first = mnist_like_model();
  first.distribute(MpiFixture::comm());
  nn::FitOptions<float> half = all;
  half.epochs = 2;
  half.callbacks = {nn::ModelCheckpoint{.filepath = path}};
  first.fit(x, y, half);
  comm().barrier();  // rank 0 has written it

  auto resumed = mnist_like_model();
  resumed.distribute(MpiFixture::comm());
  nn::FitOptions<float> rest = all;
  rest.initial_epoch = resumed.load_checkpoint(path);
  BOOST_TEST(rest.initial_epoch == 2);
  resumed.fit(x, y, rest);
  BOOST_TEST(max_relative_difference(weights(resumed), weights(straight)) == 0);
  comm().barrier();  // every rank has read it before rank 0 removes it
}

BOOST_AUTO_TEST_CASE(allreduce_gradients_gives_the_global_batch_gradient) {
  const auto [x, y] = moons(40);
  auto single = moons_model();
  auto model = moons_model();
  model.distribute(MpiFixture::comm());
  single.build({2});
  model.build({2});
  // One process: the mean loss over all 40 rows.
  ad::backward(nn::binary_crossentropy(ad::Var<float>(y), single(ad::Var<float>(x))));
  // Distributed: this rank's rows, its mean scaled by its share, then the sum over the ranks.
  const std::size_t r = std::size_t(comm().rank()), n = std::size_t(comm().size());
  const std::size_t begin = 40 * r / n, end = 40 * (r + 1) / n;
  const auto xs = xt::xarray<float>(xt::view(x, xt::range(begin, end))), ys = xt::xarray<float>(xt::view(y, xt::range(begin, end)));
  ad::backward(nn::binary_crossentropy(ad::Var<float>(ys), model(ad::Var<float>(xs))) * (float(end - begin) / 40.0f));
  nn::allreduce_gradients(model);
  Weights gs, gm;
  for (const auto& p : single.parameters()) gs.push_back(p.var.grad().value());
  for (const auto& p : model.parameters()) gm.push_back(p.var.grad().value());
  BOOST_TEST(max_relative_difference(gm, gs) <= 1e-5);
  nn::Sequential<float> lone(1);
  lone.add(nn::Input({2}));
  lone.add(nn::Dense(1));
  BOOST_CHECK_EXCEPTION(nn::allreduce_gradients(lone), nn::DistributedError,
                        test::message_has<nn::DistributedError>({"nn::allreduce_gradients: the model is not distributed"}));
}

BOOST_AUTO_TEST_CASE(mpi_errors_become_exceptions_naming_the_call) {
  std::array<std::byte, 4> bytes{};
  BOOST_CHECK_EXCEPTION(comm().broadcast(std::span<std::byte>(bytes), comm().size() + 5), nn::mpi::MpiError,
                        test::message_has<nn::mpi::MpiError>({"MPI_Bcast failed: MPI_ERR_ROOT"}));
  BOOST_CHECK_EXCEPTION(nn::mpi::Session(), nn::mpi::MpiError,
                        test::message_has<nn::mpi::MpiError>({"nn::mpi::Session: MPI is already initialized"}));
  comm().barrier();  // still usable
  BOOST_TEST(nn::mpi::stats(comm()).allreduce_calls > 0u);
}

BOOST_AUTO_TEST_CASE(callbacks_decide_alike_and_only_rank_0_writes) {
  const auto [x, y] = moons(160);
  // Rank 0's temporary directory; each rank names its own log file in it.
  std::unique_ptr<test::TempDir> dir;
  std::array<char, 512> name{};
  if (comm().rank() == 0) {
    dir = std::make_unique<test::TempDir>("mpi-logs");
    std::strncpy(name.data(), dir->path.c_str(), name.size() - 1);
  }
  comm().broadcast(std::as_writable_bytes(std::span<char>(name)), 0);
  const std::string log = std::string(name.data()) + "/rank" + std::to_string(comm().rank()) + ".csv";

  // min_delta 0.05: the validation loss soon stops improving that fast, and training stops early.
  nn::FitOptions<float> options{.epochs = 40, .batch_size = 16, .validation_split = 0.25, .seed = 4, .verbose = 0};
  options.callbacks = {nn::EarlyStopping{.patience = 1, .min_delta = 0.05, .restore_best_weights = true}};
  auto single = moons_model();
  const nn::History h1 = single.fit(x, y, options);
  options.callbacks.push_back(nn::CSVLogger{.path = log});
  auto distributed = moons_model();
  distributed.distribute(MpiFixture::comm());
  const nn::History hn = distributed.fit(x, y, options);
  BOOST_TEST(hn.epochs.size() < 40u);  // stopped early, on every rank at the same epoch (else a hang)
  BOOST_TEST(hn.epochs == h1.epochs, boost::test_tools::per_element());
  BOOST_TEST(max_relative_difference(weights(distributed), weights(single)) <= 1e-5);

  comm().barrier();  // the files are written
  BOOST_TEST(std::filesystem::exists(log) == (comm().rank() == 0), log);
  comm().barrier();  // checked before rank 0 removes the directory
}

BOOST_AUTO_TEST_CASE(mpi_allreduce_reduction_matches_too) {
  const auto [x, y] = moons(203);
  const nn::FitOptions<float> options{.epochs = 4, .batch_size = 25, .seed = 3, .verbose = 0};
  auto single = moons_model();
  single.fit(x, y, options);
  auto distributed = moons_model();
  const auto ring = World::fixture().session.world(nn::mpi::Reduction::mpi_allreduce);
  distributed.distribute(ring);
  distributed.fit(x, y, options);  // throws if the ranks' weights differ after an epoch
  BOOST_TEST(max_relative_difference(weights(distributed), weights(single)) <= 1e-5);
  // A gradient sum per step (9 a epoch) on 2 or more ranks; on one, only the epochs' logs.
  BOOST_TEST(nn::mpi::stats(*ring).allreduce_calls >= (comm().size() > 1 ? 4u * 9u : 4u));
}

BOOST_AUTO_TEST_CASE(fixed_shards_give_the_same_bits_on_any_number_of_ranks) {
  const auto [x, y] = mnist_like(300);
  const nn::FitOptions<float> options{.epochs = 3, .batch_size = 32, .validation_split = 0.2, .seed = 9, .verbose = 0};
  // 6 shards: a multiple of 1, 2 and 3 ranks. One process without MPI, then the ranks.
  auto alone = mnist_like_model();
  alone.distribute(std::make_shared<nn::LocalCommunicator>(), {.shards = 6});
  const nn::History h1 = alone.fit(x, y, options);
  auto ranks = mnist_like_model();
  ranks.distribute(MpiFixture::comm(), {.shards = 6});
  const nn::History hn = ranks.fit(x, y, options);
  BOOST_TEST(max_relative_difference(weights(ranks), weights(alone)) == 0);  // to the last bit
  BOOST_TEST(exact_zeros(weights(ranks)) > 0);
  // The logs are sums of float losses over other parts of the rows: equal up to float rounding.
  for (std::size_t e = 0; e < h1["val_loss"].size(); ++e) {
    BOOST_TEST(hn["val_loss"][e] == h1["val_loss"][e], boost::test_tools::tolerance(1e-6));
  }

  auto bad = mnist_like_model();
  if (comm().size() > 1) {
    BOOST_CHECK_EXCEPTION(bad.distribute(MpiFixture::comm(), {.shards = std::size_t(comm().size()) + 1}),
                          std::invalid_argument,
                          test::message_has<std::invalid_argument>({"Sequential::distribute: shards must be 0 (one per rank) or a multiple of the"}));
  }
  BOOST_CHECK_EXCEPTION(bad.distribute(nullptr, {.shards = 2}), std::invalid_argument,
                        test::message_has<std::invalid_argument>({"shards 2 needs a communicator"}));
}
