// Saving and loading weights and checkpoints: bit-exact round trips, clear errors, and training
// resumed from a checkpoint that continues exactly as uninterrupted training.
#define BOOST_TEST_MODULE checkpoint
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

#include <nn/nn.hpp>

#include "common/check.hpp"
#include "common/non_regular.hpp"

namespace fs = std::filesystem;
using F = xt::xarray<float>;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("tapeflow_ckpt_" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::pair<F, F> data(std::size_t n) {
  nn::Random r(5);
  F x = F::from_shape({n, 3}), y = F::from_shape({n, 1});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < 3; ++j) x(i, j) = float(r.normal());
    y(i, 0) = x(i, 0) - 2 * x(i, 1) > 0 ? 1.0f : 0.0f;
  }
  return {x, y};
}

template <class T = float>
nn::Sequential<T> model(std::uint64_t seed, std::size_t hidden = 8) {
  nn::Sequential<T> m(seed);
  m.add(nn::Input({3}));
  m.add(nn::Dense(hidden, "relu", {.kernel_regularizer = nn::L1(1e-3)}));
  m.add(nn::Dropout(0.2));
  m.add(nn::Dense(1, "sigmoid"));
  m.compile(nn::Adam{.learning_rate = 0.01}, "binary_crossentropy", {"accuracy"});
  return m;
}

std::vector<F> weights(const nn::Sequential<float>& m) {
  std::vector<F> w;
  for (const auto& p : m.parameters()) w.push_back(p.var.value());
  return w;
}

}  // namespace

BOOST_AUTO_TEST_CASE(weights_round_trip_bit_exactly) {
  TempDir dir;
  auto [x, y] = data(64);
  auto a = model(1);
  a.fit(x, y, {.epochs = 2, .verbose = 0});
  a.save_weights(dir.file("w.npz"));
  auto b = model(2);
  BOOST_TEST(!(weights(a) == weights(b)));
  b.load_weights(dir.file("w.npz"));
  BOOST_TEST((weights(a) == weights(b)));
}

BOOST_AUTO_TEST_CASE(mismatches_are_reported_by_entry) {
  TempDir dir;
  auto a = model(1);
  a.save_weights(dir.file("w.npz"));
  auto wider = model(1, 9);
  std::string msg = test::message_of<nn::FormatError>([&] { wider.load_weights(dir.file("w.npz")); });
  BOOST_TEST(msg.find("dense/kernel") != std::string::npos, msg);
  BOOST_TEST(msg.find("(3, 8)") != std::string::npos, msg);
  BOOST_TEST(msg.find("(3, 9)") != std::string::npos, msg);
  const auto before = weights(wider);
  BOOST_TEST((weights(wider) == before));  // a failed load changes nothing

  auto as_double = model<double>(1);
  msg = test::message_of<nn::FormatError>([&] { as_double.load_weights(dir.file("w.npz")); });
  BOOST_TEST(msg.find("dense/kernel") != std::string::npos, msg);
  BOOST_TEST(msg.find("<f4") != std::string::npos, msg);

  nn::Sequential<float> fewer(1);
  fewer.add(nn::Input({3}));
  fewer.add(nn::Dense(8, "relu"));
  msg = test::message_of<nn::FormatError>([&] { fewer.load_weights(dir.file("w.npz")); });
  BOOST_TEST(msg.find("dense_1/kernel") != std::string::npos, msg);  // not a parameter of this model

  // A truncated file is an error, not a short read.
  const auto size = fs::file_size(dir.file("w.npz"));
  fs::resize_file(dir.file("w.npz"), size / 2);
  BOOST_CHECK_THROW(a.load_weights(dir.file("w.npz")), nn::FormatError);
  BOOST_CHECK_THROW(a.load_weights(dir.file("missing.npz")), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(resumed_training_continues_exactly) {
  TempDir dir;
  auto [x, y] = data(96);
  const nn::FitOptions<float> opts{.epochs = 6, .batch_size = 16, .validation_split = 0.25, .seed = 3, .verbose = 0};
  auto straight = model(4);
  straight.fit(x, y, opts);

  auto first_half = model(4);
  auto half = opts;
  half.epochs = 3;
  first_half.fit(x, y, half);
  first_half.save_checkpoint(dir.file("ckpt.npz"), 3);

  auto resumed = model(99);  // other initial weights: everything must come from the checkpoint
  const int done = resumed.load_checkpoint(dir.file("ckpt.npz"));
  BOOST_TEST(done == 3);
  BOOST_TEST(resumed.optimizer().iterations() == first_half.optimizer().iterations());
  auto rest = opts;
  rest.initial_epoch = done;
  const auto h = resumed.fit(x, y, rest);
  BOOST_TEST(h.epochs.front() == 3);
  BOOST_TEST((weights(resumed) == weights(straight)));
}

BOOST_AUTO_TEST_CASE(checkpoint_of_another_optimizer_is_refused) {
  TempDir dir;
  auto a = model(1);
  a.save_checkpoint(dir.file("c.npz"), 0);
  auto b = model(1);
  b.compile(nn::SGD{}, "binary_crossentropy");
  BOOST_CHECK_THROW(b.load_checkpoint(dir.file("c.npz")), nn::FormatError);
  a.save_weights(dir.file("w.npz"));
  BOOST_CHECK_THROW(a.load_checkpoint(dir.file("w.npz")), nn::FormatError);  // weights only
}

BOOST_AUTO_TEST_CASE(stored_epoch_count_is_validated) {
  // A checkpoint whose stored epoch count is negative or does not fit an int is refused, naming
  // the file and the value, and the model is left unchanged.
  TempDir dir;
  auto a = model(1);
  a.save_checkpoint(dir.file("good.npz"), 2);
  const nn::NpzArchive good = nn::load_npz(dir.file("good.npz"));
  for (const std::int64_t epochs : {std::int64_t{-5}, std::int64_t{-1}, (std::int64_t{1} << 32) + 3,
                                    std::int64_t{std::numeric_limits<int>::max()} + 1}) {
    nn::NpzArchive crafted;
    for (const auto& name : good.names()) {
      if (name != "meta/epochs_and_optimizer") crafted.put_raw(name, good.raw(name));
    }
    xt::xarray<std::int64_t> meta = good.get<std::int64_t>("meta/epochs_and_optimizer");
    meta(0) = epochs;
    crafted.put("meta/epochs_and_optimizer", meta);
    const std::string path = dir.file("crafted.npz");
    nn::save_npz(path, crafted);
    auto b = model(7);
    const auto before = weights(b);
    BOOST_CHECK_EXCEPTION(b.load_checkpoint(path), nn::FormatError,
                          test::message_has<nn::FormatError>({path, "epoch", std::to_string(epochs)}));
    BOOST_TEST((weights(b) == before));
  }
  auto c = model(7);
  BOOST_TEST(c.load_checkpoint(dir.file("good.npz")) == 2);
  // Saving refuses a negative count in the first place.
  BOOST_CHECK_EXCEPTION(a.save_checkpoint(dir.file("bad.npz"), -1), std::invalid_argument,
                        test::message_has<std::invalid_argument>({"epochs_completed", "-1"}));
  BOOST_TEST(!fs::exists(dir.file("bad.npz")));
}

BOOST_AUTO_TEST_CASE(numpy_reads_saved_weights) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
    BOOST_TEST_MESSAGE("python3-numpy is not installed: numpy interoperability not checked");
    return;
  }
  TempDir dir;
  auto a = model(1);
  a.save_weights(dir.file("w.npz"));
  const double expected = double(xt::sum(a.parameters()[0].var.value())());
  const std::string script = dir.file("check.py");
  std::ofstream(script) << "import numpy, sys\n"
                           "a = numpy.load(sys.argv[1])\n"
                           "assert sorted(a.files) == sorted(['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']), a.files\n"
                           "k = a['dense/kernel']\n"
                           "assert k.dtype == numpy.float32 and k.shape == (3, 8), (k.dtype, k.shape)\n"
                           "print(repr(float(k.sum(dtype=numpy.float64))))\n";
  const std::string out = dir.file("out.txt");
  BOOST_REQUIRE(std::system(("/usr/bin/python3 " + script + " " + dir.file("w.npz") + " > " + out).c_str()) == 0);
  double got = 0;
  std::ifstream(out) >> got;
  BOOST_TEST(got == expected, boost::test_tools::tolerance(1e-6));
}

// A legal 250-byte file name (NAME_MAX is 255) saves and loads; nothing else is left behind.
BOOST_AUTO_TEST_CASE(checkpoint_with_a_250_byte_file_name) {
  TempDir dir;
  const std::string path = dir.file(std::string(246, 'c') + ".npz");
  auto a = model(1);
  a.save_checkpoint(path, 4);
  auto b = model(2);
  BOOST_CHECK_EQUAL(b.load_checkpoint(path), 4);
  const auto wa = weights(a), wb = weights(b);
  BOOST_REQUIRE_EQUAL(wa.size(), wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) BOOST_CHECK(wa[i] == wb[i]);
  BOOST_CHECK_EQUAL(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}), 1);
}

// Checkpoints and weights are not read from a character device or a FIFO.
BOOST_AUTO_TEST_CASE(checkpoint_from_a_non_regular_file_is_refused) {
  TempDir dir;
  const std::string fifo = dir.file("pipe.npz");
  BOOST_REQUIRE_EQUAL(::mkfifo(fifo.c_str(), 0600), 0);
  const auto checkpoint = [](const std::string& p) { model(1).load_checkpoint(p); };
  const auto weights_only = [](const std::string& p) { model(1).load_weights(p); };
  BOOST_CHECK_EQUAL(test::refusal_of(checkpoint, "/dev/zero", "character device"), "");
  BOOST_CHECK_EQUAL(test::refusal_of(checkpoint, fifo, "FIFO"), "");
  BOOST_CHECK_EQUAL(test::refusal_of(weights_only, fifo, "FIFO"), "");
}
