// Sequential: building, summary, fit/evaluate/predict with Keras semantics,
// determinism, proximal L1, sparsity report.
#define BOOST_TEST_MODULE sequential
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <xtensor/xview.hpp>

#include <nn/nn.hpp>

#include "autodiff/check.hpp"
#include "nn/fixtures.hpp"

namespace tt = boost::test_tools;
using F = xt::xarray<float>;
using test::blobs;
using test::small_model;
using test::weights;

namespace {

// Runs f with stderr redirected to a file; returns what was written.
template <class Fn>
std::string capture_stderr(Fn f) {
  const auto path = std::filesystem::temp_directory_path() / ("tapeflow_stderr_" + std::to_string(getpid()));
  std::fflush(stderr);
  const int saved = dup(fileno(stderr));
  FILE* file = std::fopen(path.c_str(), "w");
  dup2(fileno(file), fileno(stderr));
  f();
  std::fflush(stderr);
  dup2(saved, fileno(stderr));
  close(saved);
  std::fclose(file);
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::filesystem::remove(path);
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(summary_matches_keras) {
  nn::Sequential model;  // float by default
  model.add(nn::Input({2}));
  model.add(nn::Dense(128, "relu"));
  model.add(nn::Dense(128, "relu"));
  model.add(nn::Dense(1, "sigmoid"));
  const std::string s = model.summary();
  BOOST_TEST(s.find("Total params: 17,025") != std::string::npos, s);
  BOOST_TEST(s.find("dense_1 (Dense)") != std::string::npos, s);
  BOOST_TEST(s.find("(None, 128)") != std::string::npos, s);
  BOOST_TEST(s.find("384") != std::string::npos, s);
  BOOST_TEST(s.find("16,512") != std::string::npos, s);
  BOOST_TEST(model.parameter_count() == 17025u);
}

BOOST_AUTO_TEST_CASE(parameters_are_named_in_registration_order) {
  auto m = small_model();
  std::vector<std::string> names;
  for (const auto& p : m.parameters()) names.push_back(p.name);
  BOOST_TEST(names == (std::vector<std::string>{"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"}),
             tt::per_element());
  BOOST_TEST(m.output_shape() == ad::Shape{1});
}

BOOST_AUTO_TEST_CASE(builds_at_the_first_call_without_input) {
  nn::Sequential<double> m;
  m.add(nn::Flatten{});
  m.add(nn::Dense(3));
  BOOST_TEST(!m.built());
  const auto y = m(ad::Var<double>(xt::xarray<double>(xt::ones<double>({5, 2, 4}))));
  BOOST_TEST(m.built());
  BOOST_TEST(y.shape()[1] == 3u);
  BOOST_TEST(m.parameters()[0].var.shape()[0] == 8u);
  BOOST_CHECK_THROW(m(ad::Var<double>(xt::xarray<double>(xt::ones<double>({5, 3, 4})))), ad::ShapeError);
}

BOOST_AUTO_TEST_CASE(fit_learns_and_reports_keras_history) {
  auto [x, y] = blobs(400, 3);
  auto m = small_model(2, nn::L1(1e-3));
  m.compile(nn::Adam{.learning_rate = 0.02}, "binary_crossentropy", {"accuracy"});
  const auto h = m.fit(x, y, {.epochs = 15, .batch_size = 32, .validation_split = 0.25, .verbose = 0});
  for (const char* key : {"loss", "data_loss", "penalty", "val_loss", "val_data_loss", "val_penalty", "accuracy",
                          "val_accuracy", "seconds"}) {
    BOOST_TEST(h.contains(key), key);
  }
  BOOST_TEST(h.epochs.size() == 15u);
  BOOST_TEST(h["loss"].back() < h["loss"].front());
  BOOST_TEST(h["val_accuracy"].back() > 0.95);
  for (std::size_t e = 0; e < 15; ++e) {
    BOOST_TEST(h["loss"][e] == h["data_loss"][e] + h["penalty"][e], tt::tolerance(1e-9));
  }
  // The penalty is the L1 term of the current weights; val_loss includes it, as in Keras.
  const double l1 = 1e-3 * double(xt::sum(xt::abs(m.parameters()[0].var.value()))());
  BOOST_TEST(m.penalty().item() == l1, tt::tolerance(1e-5));
  BOOST_TEST(h["val_penalty"].back() == l1, tt::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(validation_split_takes_the_last_rows_before_shuffling) {
  auto [x, y] = blobs(200, 4);
  // Flip the labels of the last 50 rows: only the held-out rows are then "wrong".
  for (std::size_t i = 150; i < 200; ++i) y(i, 0) = 1 - y(i, 0);
  auto m = small_model(3);
  m.compile(nn::Adam{.learning_rate = 0.02}, "binary_crossentropy", {"accuracy"});
  const auto h = m.fit(x, y, {.epochs = 10, .batch_size = 16, .validation_split = 0.25, .verbose = 0});
  BOOST_TEST(h["accuracy"].back() > 0.9);
  BOOST_TEST(h["val_accuracy"].back() < 0.1);
  // ...and it is exactly what evaluate() says of rows 150..199.
  const F xv = xt::view(x, xt::range(150, 200)), yv = xt::view(y, xt::range(150, 200));
  const auto logs = m.evaluate(xv, yv, 16);
  BOOST_TEST(logs.at("loss") == h["val_loss"].back(), tt::tolerance(1e-12));
  BOOST_TEST(logs.at("accuracy") == h["val_accuracy"].back(), tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(validation_data_takes_precedence) {
  auto [x, y] = blobs(100, 5);
  auto [xv, yv] = blobs(40, 6);
  auto m = small_model(4);
  m.compile(nn::SGD{.learning_rate = 0.1}, "binary_crossentropy", {"accuracy"});
  const auto h = m.fit(x, y, {.epochs = 2, .validation_split = 0.5, .validation_data = std::pair{xv, yv}, .verbose = 0});
  BOOST_TEST(h["val_loss"].back() == m.evaluate(xv, yv, 32).at("loss"), tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(same_seed_gives_bitwise_identical_weights) {
  auto [x, y] = blobs(150, 7);
  auto train = [&](std::uint64_t model_seed, std::uint64_t fit_seed) {
    auto m = small_model(model_seed, nn::L2(1e-3));
    m.compile(nn::Adam{}, "binary_crossentropy");
    m.fit(x, y, {.epochs = 3, .batch_size = 16, .seed = fit_seed, .verbose = 0});
    return weights(m);
  };
  const auto a = train(5, 9), b = train(5, 9), c = train(5, 10), d = train(6, 9);
  BOOST_TEST((a == b));
  BOOST_TEST(!(a == c));  // another shuffle and other dropout masks
  BOOST_TEST(!(a == d));  // other initial weights
}

BOOST_AUTO_TEST_CASE(predict_and_evaluate_in_batches) {
  auto [x, y] = blobs(103, 8);
  auto m = small_model(6);
  m.compile(nn::Adam{}, "binary_crossentropy", {"accuracy", "mse"});
  const F all = m.predict(x, 1000), batched = m.predict(x, 7);
  BOOST_REQUIRE(all.shape() == batched.shape());
  BOOST_TEST(all.shape()[0] == 103u);
  for (std::size_t i = 0; i < all.size(); ++i) BOOST_TEST(all.data()[i] == batched.data()[i], tt::tolerance(1e-5f));
  const auto logs = m.evaluate(x, y, 10);
  for (const char* k : {"loss", "data_loss", "penalty", "accuracy", "mse"}) BOOST_TEST(logs.count(k) == 1u, k);
  BOOST_TEST(m.training());  // evaluate and predict restore training mode
}

BOOST_AUTO_TEST_CASE(progress_is_one_line_per_epoch_when_stderr_is_not_a_terminal) {
  auto [x, y] = blobs(64, 11);
  auto m = small_model(9);
  m.compile(nn::Adam{}, "binary_crossentropy", {"accuracy"});
  const std::string out = capture_stderr([&] { m.fit(x, y, {.epochs = 2, .batch_size = 16, .verbose = 1}); });
  BOOST_TEST(out.find("Epoch 1/2 - 4 steps") != std::string::npos, out);
  BOOST_TEST(out.find("Epoch 2/2") != std::string::npos, out);
  BOOST_TEST(out.find("accuracy:") != std::string::npos, out);
  BOOST_TEST(std::count(out.begin(), out.end(), '\n') == 2);
  BOOST_TEST(capture_stderr([&] { m.fit(x, y, {.epochs = 1, .verbose = 0}); }).empty());
}

BOOST_AUTO_TEST_CASE(proximal_l1_zeros_weights_exactly) {
  auto [x, y] = blobs(200, 12);
  // Add 6 pure-noise input features: their first-layer weights should die.
  nn::Random r(13);
  F xn = F::from_shape({200, 8});
  for (std::size_t i = 0; i < 200; ++i) {
    xn(i, 0) = x(i, 0);
    xn(i, 1) = x(i, 1);
    for (std::size_t j = 2; j < 8; ++j) xn(i, j) = float(r.normal());
  }
  auto train = [&](nn::OptimizerConfig opt) {
    nn::Sequential<float> m(11);
    m.add(nn::Dense(8, "relu", {.kernel_regularizer = nn::L1(0.01)}));
    m.add(nn::Dense(1, "sigmoid"));
    m.compile(opt, "binary_crossentropy", {"accuracy"});
    const auto h = m.fit(xn, y, {.epochs = 40, .batch_size = 20, .verbose = 0});
    return std::pair{m.sparsity(), h["accuracy"].back()};
  };
  const auto [plain, acc_plain] = train(nn::Adam{.learning_rate = 0.01});
  const auto [prox, acc_prox] = train(nn::Adam{.learning_rate = 0.01, .proximal_l1 = true});
  const auto [prox_sgd, acc_sgd] = train(nn::SGD{.learning_rate = 0.1, .proximal_l1 = true});
  BOOST_TEST(plain.total.exact_zeros == 0u);  // the subgradient never lands exactly on zero
  BOOST_TEST(prox.total.zero_fraction() > 0.3, prox.to_string());
  BOOST_TEST(prox_sgd.total.zero_fraction() > 0.3, prox_sgd.to_string());
  BOOST_TEST(acc_prox > 0.9);
  BOOST_TEST(acc_sgd > 0.9);
}

BOOST_AUTO_TEST_CASE(sparsity_report_by_value) {
  nn::Sequential<float> m;
  m.add(nn::Input({2}));
  m.add(nn::Dense(2));
  auto kernel = m.parameters()[0].var;
  F k = F::from_shape({2, 2});
  k(0, 0) = 0.0f;
  k(0, 1) = 5e-4f;
  k(1, 0) = -2e-3f;
  k(1, 1) = 1.0f;
  kernel.mutable_value() = k;
  const auto s = m.sparsity(1e-3);
  BOOST_REQUIRE_EQUAL(s.rows.size(), 1u);  // kernels only
  BOOST_TEST(s.rows[0].name == "dense/kernel");
  BOOST_TEST(s.rows[0].count == 4u);
  BOOST_TEST(s.rows[0].exact_zeros == 1u);
  BOOST_TEST(s.rows[0].small == 2u);
  BOOST_TEST(s.total.zero_fraction() == 0.25);
  BOOST_TEST(s.to_string().find("dense/kernel") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(custom_loss_and_double_models) {
  nn::Sequential<double> m(3);
  m.add(nn::Input({2}));
  m.add(nn::Dense(1));
  nn::LossFunction<double> l4 = [](const ad::Var<double>& t, const ad::Var<double>& p) {
    return ad::mean(ad::square(ad::square(p - t)));
  };
  m.compile(nn::SGD{.learning_rate = 0.01}, l4, {"mae"}, "quartic");
  BOOST_TEST(m.loss_name() == "quartic");
  xt::xarray<double> x{{1, 2}, {3, 4}, {5, 6}}, y{1, 2, 3};
  y.reshape({3, 1});
  const auto before = m.evaluate(x, y).at("loss");
  m.fit(x, y, {.epochs = 20, .batch_size = 3, .verbose = 0});
  BOOST_TEST(m.evaluate(x, y).at("loss") < before);
}

BOOST_AUTO_TEST_CASE(one_unit_mse_model_reports_binary_accuracy) {
  // Keras resolves "accuracy" to binary_accuracy for a one-column output whatever the loss. A
  // model that predicts 0 everywhere against labels 1, 1, 1, 0 is right once in four; an argmax
  // over the single column would call every prediction right.
  nn::Sequential<float> m(5);
  m.add(nn::Input({2}));
  m.add(nn::Dense(1, "linear", {.kernel_initializer = nn::Initializer::zeros()}));
  m.compile(nn::SGD{}, "mse", {"accuracy"});
  const F x{{1, 2}, {3, 4}, {5, 6}, {7, 8}};
  F y{1, 1, 1, 0};
  y.reshape({4, 1});
  BOOST_TEST(m.evaluate(x, y).at("accuracy") == 0.25);
  const auto h = m.fit(x, y, {.epochs = 1, .batch_size = 4, .verbose = 0});
  BOOST_TEST(h["accuracy"].back() == 0.25);  // the batch's predictions before its update
}

BOOST_AUTO_TEST_CASE(fit_options_are_checked_naming_option_and_value) {
  auto [x, y] = blobs(10, 15);
  auto m = small_model();
  m.compile(nn::SGD{}, "mse");
  const auto before = m.parameters().front().var.value();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto refused = [&](const nn::FitOptions<float>& o, std::vector<std::string> parts) {
    BOOST_CHECK_EXCEPTION(m.fit(x, y, o), std::invalid_argument, test::message_has<std::invalid_argument>(parts));
  };
  refused({.epochs = 0, .verbose = 0}, {"Sequential::fit: epochs must be > 0, got 0"});
  refused({.epochs = -3, .verbose = 0}, {"epochs", "-3"});
  refused({.epochs = 2, .verbose = 0, .initial_epoch = -1}, {"initial_epoch must be in [0, epochs = 2], got -1"});
  refused({.epochs = 2, .verbose = 0, .initial_epoch = 3}, {"initial_epoch", "got 3"});
  refused({.batch_size = 0, .verbose = 0}, {"batch_size must be > 0, got 0"});
  refused({.validation_split = -1e-20, .verbose = 0}, {"validation_split must be in [0, 1), got -1e-20"});
  refused({.validation_split = nan, .verbose = 0}, {"validation_split", "got nan"});
  refused({.verbose = 3}, {"verbose must be 0, 1 or 2, got 3"});
  refused({.verbose = -1}, {"verbose", "got -1"});
  BOOST_TEST((m.parameters().front().var.value() == before));  // nothing trained
  // The edges are accepted: nothing to do when resuming at the last epoch.
  BOOST_TEST(m.fit(x, y, {.epochs = 2, .verbose = 0, .initial_epoch = 2}).epochs.empty());
  BOOST_CHECK_EXCEPTION(m.sparsity(nan), std::invalid_argument,
                        test::message_has<std::invalid_argument>({"threshold", "got nan"}));
}

BOOST_AUTO_TEST_CASE(errors_name_the_problem) {
  auto [x, y] = blobs(10, 14);
  auto m = small_model();
  BOOST_CHECK_THROW(m.fit(x, y), std::logic_error);  // not compiled
  BOOST_CHECK_THROW(m.compile(nn::Adam{}, "crossentropy"), std::invalid_argument);
  BOOST_CHECK_THROW(m.compile(nn::Adam{}, "mse", {"f1"}), std::invalid_argument);
  m.compile(nn::Adam{}, "mse");
  const F y_short = xt::view(y, xt::range(0, 5));
  BOOST_CHECK_THROW(m.fit(x, y_short), ad::ShapeError);
  BOOST_CHECK_THROW(m.fit(x, y, {.validation_split = 1.0}), std::invalid_argument);
  BOOST_CHECK_THROW(m.fit(x, y, {.validation_split = 0.99, .verbose = 0}), std::invalid_argument);  // no training rows
  BOOST_CHECK_THROW(m.fit(x, y, {.batch_size = 0}), std::invalid_argument);
  BOOST_CHECK_THROW(m.predict(F(xt::ones<float>({3, 5}))), ad::ShapeError);
  nn::Sequential<float> twice;
  twice.add(nn::Dense(2));
  BOOST_CHECK_THROW(twice.add(nn::Input({2})), std::logic_error);
}
