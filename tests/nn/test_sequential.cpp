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

#include "common/check.hpp"
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

// ---- one owner per penalty: built once per batch, the proximal part left to prox() -------------

namespace {

struct PenaltyCounts {
  int smooth = 0, value = 0, value_recorded = 0, prox = 0;
};

// λ·Σ|w| with its soft threshold, counting how the model and the optimizer use it.
class CountingL1 : public nn::ProximalTerm {
 public:
  explicit CountingL1(PenaltyCounts& counts) : counts_(counts) {}
  std::string description() const override { return "counting L1"; }
  ad::Var<float> value(const ad::Var<float>& w) const override { return count(w); }
  ad::Var<double> value(const ad::Var<double>& w) const override { return count(w); }
  void prox(std::span<float> w, std::span<const std::size_t>, const nn::ProxStep<float>& step) const override {
    shrink(w, step);
  }
  void prox(std::span<double> w, std::span<const std::size_t>, const nn::ProxStep<double>& step) const override {
    shrink(w, step);
  }

 private:
  template <class T>
  ad::Var<T> count(const ad::Var<T>& w) const {
    ++counts_.value;
    counts_.value_recorded += ad::grad_enabled();
    return T(0.01) * ad::sum(ad::abs(w));
  }
  template <class T>
  void shrink(std::span<T> w, const nn::ProxStep<T>& step) const {
    ++counts_.prox;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const T shrunk = std::abs(w[i]) - step.times(T(0.01), i);
      w[i] = shrunk > 0 ? std::copysign(shrunk, w[i]) : T(0);
    }
  }
  PenaltyCounts& counts_;
};

PenaltyCounts fit_counting(nn::OptimizerConfig opt) {
  PenaltyCounts counts;
  const nn::Regularizer smooth([&counts](const auto& w) {
    ++counts.smooth;
    return 0.001 * ad::sum(ad::square(w));
  }, "counting L2");
  const auto reg = nn::Regularizer::with_prox(smooth, std::make_shared<CountingL1>(counts));
  BOOST_TEST(reg.description() == "counting L1 + counting L2");
  auto [x, y] = blobs(100, 21);
  nn::Sequential<float> m(3);
  m.add(nn::Dense(4, "relu", {.kernel_regularizer = reg}));
  m.add(nn::Dense(1, "sigmoid"));
  m.compile(opt, "binary_crossentropy");
  const auto h = m.fit(x, y, {.epochs = 2, .batch_size = 20, .verbose = 0});
  BOOST_TEST(h["penalty"].back() > 0.0);  // the proximal part's value is reported
  return counts;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_penalty_is_built_once_per_batch_and_the_proximal_part_is_left_to_prox) {
  // 100 rows in batches of 20 for 2 epochs: 10 batches.
  const PenaltyCounts prox = fit_counting(nn::Adam{.learning_rate = 0.01, .proximal_l1 = true});
  BOOST_TEST(prox.smooth == 10);
  BOOST_TEST(prox.value == 10);
  BOOST_TEST(prox.value_recorded == 0);  // a value only: not differentiated
  BOOST_TEST(prox.prox == 10);           // one proximal step per optimizer step
  const PenaltyCounts plain = fit_counting(nn::Adam{.learning_rate = 0.01});
  BOOST_TEST(plain.smooth == 10);
  BOOST_TEST(plain.value == 10);
  BOOST_TEST(plain.value_recorded == 10);  // its subgradient is in the loss
  BOOST_TEST(plain.prox == 0);
}

// ---- a layer spec of one's own goes through Sequential::add like the built-in ones --------------

namespace {

template <class T>
class ScaleLayer : public nn::Layer<T> {
 public:
  explicit ScaleLayer(double factor) : nn::Layer<T>("scale"), factor_(factor) {}
  std::string type() const override { return "Scale"; }
  ad::Shape output_shape(const ad::Shape& input_shape) const override { return input_shape; }
  ad::Var<T> forward(const ad::Var<T>& x) override { return x * static_cast<T>(factor_); }

 protected:
  void build_parameters(const ad::Shape&, nn::Random&) override {}

 private:
  double factor_;
};

struct Scale {
  double factor;
  template <class T>
  std::shared_ptr<nn::Layer<T>> make_layer() const {
    return std::make_shared<ScaleLayer<T>>(factor);
  }
};

}  // namespace

static_assert(nn::LayerSpec<Scale, float> && nn::LayerSpec<nn::Dense, double> && nn::LayerSpec<nn::Conv2D, float>);
static_assert(!nn::LayerSpec<int, float> && !nn::LayerSpec<nn::Input, float>);

BOOST_AUTO_TEST_CASE(a_user_defined_layer_spec_is_added_without_editing_sequential) {
  nn::Sequential<float> m;
  m.add(nn::Input({2}));
  m.add(Scale{3.0});
  m.add(nn::Dense(2, "linear", {.kernel_initializer = nn::Initializer::constant(1.0), .use_bias = false}));
  m.add(Scale{0.5});
  BOOST_TEST(m.layers()[2]->name() == "scale_1");
  BOOST_TEST(m.summary().find("scale_1 (Scale)") != std::string::npos, m.summary());
  const F out = m.predict(F{{1.0f, 2.0f}});
  BOOST_TEST(out(0, 0) == 4.5f);  // (3·1 + 3·2)·0.5
  BOOST_TEST(out(0, 1) == 4.5f);
}
