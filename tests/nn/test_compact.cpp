// Sequential::compact: planted dead units and features are removed, constants folded, the
// compact model predicts the same; files, reports and the layers it refuses.
#define BOOST_TEST_MODULE compact
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nn/nn.hpp>

#include "common/temp_dir.hpp"

namespace tt = boost::test_tools;

namespace {

template <class T>
xt::xarray<T> random_inputs(std::size_t rows, std::size_t features, std::uint64_t seed) {
  nn::Random r(seed);
  xt::xarray<T> x = xt::xarray<T>::from_shape({rows, features});
  for (auto& e : x) e = T(2 * r.normal());
  return x;
}

// max |a − b| / max |a|: the compact model's deviation relative to the outputs' scale.
template <class T>
double relative_difference(const xt::xarray<T>& a, const xt::xarray<T>& b) {
  BOOST_REQUIRE(a.shape() == b.shape());
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(double(a.data()[i]) - double(b.data()[i])));
    scale = std::max(scale, std::abs(double(a.data()[i])));
  }
  return diff / std::max(scale, 1e-30);
}

template <class T>
xt::xarray<T>& value_of(nn::Sequential<T>& m, const std::string& name) {
  for (const auto& p : m.parameters()) {
    if (p.name == name) return p.var.mutable_value();
  }
  throw std::runtime_error("no parameter " + name);
}

template <class T>
void randomize_biases(nn::Sequential<T>& m, std::uint64_t seed) {
  nn::Random r(seed);
  for (const auto& p : m.parameters()) {
    if (p.var.dim() != 1) continue;
    for (auto& b : p.var.mutable_value()) b = T(r.normal());
  }
}

template <class T>
void zero_row(xt::xarray<T>& k, std::size_t i) {
  for (std::size_t o = 0; o < k.shape()[1]; ++o) k(i, o) = 0;
}
template <class T>
void zero_column(xt::xarray<T>& k, std::size_t j) {
  for (std::size_t i = 0; i < k.shape()[0]; ++i) k(i, j) = 0;
}

// 6 -> 5 relu -> Dropout -> 4 tanh -> 3 sigmoid -> 2 linear, with dead parts planted:
//   feature 2 has a zero row in dense's kernel;
//   dense unit 3 has a zero column and bias 0.7 (relu 0.7 folded); unit 4 a zero column and
//   bias -0.5 (relu gives 0);
//   dense_1 unit 0 has a zero outgoing row; dense unit 1 feeds only dense_1 unit 0 (a chain);
//   dense_1 unit 1 is fed by dense unit 4 only: constant once unit 4 is gone (tanh(0.3) folded);
//   dense_2 unit 2 has a zero outgoing row; dense_1 unit 3 feeds only dense_2 unit 2 (a chain).
template <class T>
nn::Sequential<T> planted_model() {
  nn::Sequential<T> m(/*seed=*/5);
  m.add(nn::Input({6}));
  m.add(nn::Dense(5, "relu"));
  m.add(nn::Dropout(0.3));
  m.add(nn::Dense(4, "tanh"));
  m.add(nn::Dense(3, "sigmoid"));
  m.add(nn::Dense(2));
  randomize_biases(m, 17);
  auto& k0 = value_of(m, "dense/kernel");
  auto& b0 = value_of(m, "dense/bias");
  auto& k1 = value_of(m, "dense_1/kernel");
  auto& b1 = value_of(m, "dense_1/bias");
  auto& k2 = value_of(m, "dense_2/kernel");
  auto& k3 = value_of(m, "dense_3/kernel");
  zero_row(k0, 2);
  zero_column(k0, 3);
  b0(3) = T(0.7);
  zero_column(k0, 4);
  b0(4) = T(-0.5);
  zero_row(k2, 0);
  zero_row(k1, 1);
  k1(1, 0) = T(0.9);
  zero_column(k1, 1);
  k1(4, 1) = T(0.8);
  b1(1) = T(0.3);
  zero_row(k3, 2);
  zero_row(k2, 3);
  k2(3, 2) = T(-1.2);
  return m;
}

template <class T>
void check_planted() {
  auto model = planted_model<T>();
  nn::CompactionReport report;
  auto small = model.compact(&report);
  const auto x = random_inputs<T>(64, 6, 11);
  BOOST_TEST(relative_difference(model.predict(x), small.predict(x)) <= 1e-5);

  BOOST_TEST(report.input_features == 6u);
  BOOST_TEST(report.kept_features == (std::vector<std::size_t>{0, 1, 3, 4, 5}), tt::per_element());
  BOOST_REQUIRE(report.layers.size() == 4u);
  BOOST_TEST(report.layers[0].removed == (std::vector<std::size_t>{1, 3, 4}), tt::per_element());
  BOOST_TEST(report.layers[0].units_after == 2u);
  BOOST_REQUIRE(report.layers[0].folded.size() == 2u);
  BOOST_TEST(report.layers[0].folded[0].first == 3u);
  BOOST_TEST(report.layers[0].folded[0].second == 0.7, tt::tolerance(1e-6));
  BOOST_TEST(report.layers[0].folded[1].second == 0.0);
  BOOST_TEST(report.layers[1].removed == (std::vector<std::size_t>{0, 1, 3}), tt::per_element());
  BOOST_TEST(report.layers[1].units_after == 1u);
  BOOST_REQUIRE(report.layers[1].folded.size() == 1u);
  BOOST_TEST(report.layers[1].folded[0].first == 1u);
  BOOST_TEST(report.layers[1].folded[0].second == std::tanh(0.3), tt::tolerance(1e-6));
  BOOST_TEST(report.layers[2].removed == (std::vector<std::size_t>{2}), tt::per_element());
  BOOST_TEST(report.layers[3].units_after == 2u);
  BOOST_TEST(report.layers[3].kept_because == "output layer");
  // (6·5 + 5) + (5·4 + 4) + (4·3 + 3) + (3·2 + 2) = 82; (5·2 + 2) + (2·1 + 1) + (1·2 + 2) + (2·2 + 2) = 25.
  BOOST_TEST(report.parameters_before == 82u);
  BOOST_TEST(report.parameters_after == 25u);
  BOOST_TEST(small.parameter_count() == 25u);
  BOOST_TEST(small.layers()[0]->type() == "SelectFeatures");
  BOOST_TEST(small.summary().find("dense_1 (Dense)             (None, 1)") != std::string::npos, small.summary());
}

}  // namespace

BOOST_AUTO_TEST_CASE(planted_dead_units_double) { check_planted<double>(); }
BOOST_AUTO_TEST_CASE(planted_dead_units_float) { check_planted<float>(); }

BOOST_AUTO_TEST_CASE(report_prints) {
  auto model = planted_model<double>();
  nn::CompactionReport report;
  model.compact(&report);
  const std::string text = report.to_string();
  BOOST_TEST(text.find("Input features: 6 -> 5, kept [0, 1, 3, 4, 5]") != std::string::npos, text);
  BOOST_TEST(text.find("dense: units 5 -> 2, removed [1, 3, 4], folded 3:0.7 4:0") != std::string::npos, text);
  BOOST_TEST(text.find("dense_3: units 2 -> 2 (kept: output layer)") != std::string::npos, text);
  BOOST_TEST(text.find("Parameters: 82 -> 25") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(nothing_dead_changes_nothing) {
  nn::Sequential<double> model(3);
  model.add(nn::Input({4}));
  model.add(nn::Dense(3, "relu"));
  model.add(nn::Dense(2));
  nn::CompactionReport report;
  auto same = model.compact(&report);
  BOOST_TEST(report.parameters_after == report.parameters_before);
  BOOST_TEST(same.layers().size() == 2u);  // no SelectFeatures
  const auto x = random_inputs<double>(16, 4, 2);
  BOOST_TEST(relative_difference(model.predict(x), same.predict(x)) == 0.0);
}

// Random models with random dead rows and columns and random biases, every activation: the
// compact model predicts the same, and compacting it again removes nothing more.
BOOST_AUTO_TEST_CASE(random_planted_models) {
  const std::vector<std::string> activations{"relu", "tanh", "sigmoid", "linear", "elu", "leaky_relu"};
  std::size_t removed = 0, folded = 0, dropped = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    nn::Random r(seed * 101);
    nn::Sequential<double> model(seed);
    model.add(nn::Input({7}));
    for (int l = 0; l < 3; ++l) {
      model.add(nn::Dense(6, activations[(seed + l) % activations.size()]));
      if (l == 1) model.add(nn::Dropout(0.5));
    }
    model.add(nn::Dense(3));
    randomize_biases(model, seed);
    for (const auto& p : model.parameters()) {
      auto& w = p.var.mutable_value();
      if (w.dimension() != 2) continue;
      for (std::size_t i = 0; i < w.shape()[0]; ++i) if (r.uniform() < 0.3) zero_row(w, i);
      for (std::size_t j = 0; j < w.shape()[1]; ++j) if (r.uniform() < 0.3) zero_column(w, j);
    }
    nn::CompactionReport report;
    auto small = model.compact(&report);
    const auto x = random_inputs<double>(32, 7, seed);
    BOOST_TEST(relative_difference(model.predict(x), small.predict(x)) <= 1e-5, "seed " << seed);
    BOOST_TEST(report.parameters_after <= report.parameters_before);
    BOOST_TEST(small.parameter_count() == report.parameters_after);
    for (const auto& l : report.layers) removed += l.removed.size(), folded += l.folded.size();
    dropped += report.input_features - report.kept_features.size();
    nn::CompactionReport again;
    small.compact(&again);
    BOOST_TEST(again.parameters_after == again.parameters_before, "seed " << seed << "\n" << again.to_string());
  }
  BOOST_TEST_MESSAGE("removed " << removed << " units (" << folded << " folded), dropped " << dropped << " features");
  BOOST_TEST(removed >= 20u);  // the planted zeros do make units dead
  BOOST_TEST(folded >= 5u);
  BOOST_TEST(dropped >= 3u);
}

BOOST_AUTO_TEST_CASE(constants_fold_through_activation_layers_and_flatten) {
  // (2, 3) inputs flattened to 6 features; a linear Dense then an elementwise tanh Activation:
  // unit 1's zero column makes it output tanh(b1), folded into dense_1's bias; feature 4 is
  // unused, so a SelectFeatures after the Flatten drops it.
  nn::Sequential<double> model(8);
  model.add(nn::Input({2, 3}));
  model.add(nn::Flatten{});
  model.add(nn::Dense(3));
  model.add(nn::Activation("tanh"));
  model.add(nn::Dropout(0.5));
  model.add(nn::Dense(2, "sigmoid"));
  model.add(nn::Activation("softmax"));
  randomize_biases(model, 3);
  zero_column(value_of(model, "dense/kernel"), 1);
  zero_row(value_of(model, "dense/kernel"), 4);
  const double b1 = value_of(model, "dense/bias")(1);
  nn::CompactionReport report;
  auto small = model.compact(&report);
  BOOST_TEST(report.kept_features == (std::vector<std::size_t>{0, 1, 2, 3, 5}), tt::per_element());
  BOOST_REQUIRE(report.layers[0].folded.size() == 1u);
  BOOST_TEST(report.layers[0].folded[0].second == std::tanh(b1), tt::tolerance(1e-12));
  BOOST_TEST(report.layers[1].kept_because == "followed by softmax 'activation_1'");  // and the output layer
  std::vector<std::string> types;
  for (const auto& l : small.layers()) types.push_back(l->type());
  BOOST_TEST(types == (std::vector<std::string>{"Flatten", "SelectFeatures", "Dense", "Activation", "Dropout", "Dense",
                                                "Activation"}),
             tt::per_element());
  nn::Random r(2);
  xt::xarray<double> x = xt::xarray<double>::from_shape({10, 2, 3});
  for (auto& e : x) e = r.normal();
  BOOST_TEST(relative_difference(model.predict(x), small.predict(x)) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(compacting_twice_keeps_the_inputs) {
  // A compact model with a SelectFeatures layer compacts again: the new selection indexes the
  // first Dense layer's inputs, after the old one.
  auto model = planted_model<double>();
  auto once = model.compact();
  zero_row(value_of(once, "dense/kernel"), 0);  // the first kept feature (0) goes too
  nn::CompactionReport report;
  auto twice = once.compact(&report);
  BOOST_TEST(report.kept_features == (std::vector<std::size_t>{1, 2, 3, 4}), tt::per_element());
  const auto x = random_inputs<double>(16, 6, 5);
  BOOST_TEST(relative_difference(once.predict(x), twice.predict(x)) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(save_and_load_a_compact_model) {
  auto model = planted_model<float>();
  nn::CompactionReport report;
  auto small = model.compact(&report);
  test::TempDir dir("compact");
  model.save_weights(dir / "full.npz");
  small.save_weights(dir / "small.npz");
  BOOST_TEST(std::filesystem::file_size(dir / "small.npz") < std::filesystem::file_size(dir / "full.npz"));

  // The compact model's architecture, written from the report: the same layers, names and
  // activations, with the units after compaction and the kept features selected first.
  nn::Sequential<float> rebuilt;
  rebuilt.add(nn::Input({6}));
  rebuilt.add(nn::SelectFeatures(report.kept_features));
  rebuilt.add(nn::Dense(report.layers[0].units_after, "relu"));
  rebuilt.add(nn::Dropout(0.3));
  rebuilt.add(nn::Dense(report.layers[1].units_after, "tanh"));
  rebuilt.add(nn::Dense(report.layers[2].units_after, "sigmoid"));
  rebuilt.add(nn::Dense(report.layers[3].units_after));
  rebuilt.load_weights(dir / "small.npz");
  const auto x = random_inputs<float>(20, 6, 4);
  BOOST_TEST(relative_difference(small.predict(x), rebuilt.predict(x)) == 0.0);
  BOOST_CHECK_THROW(rebuilt.load_weights(dir / "full.npz"), nn::FormatError);
}

BOOST_AUTO_TEST_CASE(constants_that_cannot_be_folded_stay) {
  // A sigmoid unit with zero incoming weights outputs 0.5; the next layer has no bias to take
  // it, so it stays. A relu unit with a negative bias outputs 0 and goes without a bias.
  nn::Sequential<double> model(2);
  model.add(nn::Input({3}));
  model.add(nn::Dense(3, "sigmoid", {.name = "hidden"}));
  model.add(nn::Dense(3, "relu", {.use_bias = false, .name = "nobias"}));
  model.add(nn::Dense(2, "linear", {.use_bias = false}));
  zero_column(value_of(model, "hidden/kernel"), 0);
  zero_column(value_of(model, "nobias/kernel"), 1);
  nn::CompactionReport report;
  auto small = model.compact(&report);
  BOOST_TEST(report.layers[0].units_after == 3u);
  BOOST_TEST(report.layers[1].removed == (std::vector<std::size_t>{1}), tt::per_element());  // relu(0) = 0
  const auto x = random_inputs<double>(16, 3, 9);
  BOOST_TEST(relative_difference(model.predict(x), small.predict(x)) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(softmax_units_stay) {
  nn::Sequential<double> model(4);
  model.add(nn::Input({3}));
  model.add(nn::Dense(4, "softmax", {.name = "soft"}));
  model.add(nn::Dense(4, "linear", {.name = "lin"}));
  model.add(nn::Activation("softmax", "act"));
  model.add(nn::Dense(2));
  zero_row(value_of(model, "lin/kernel"), 0);        // soft's unit 0 feeds nothing: stays (softmax)
  zero_row(value_of(model, "dense/kernel"), 1);      // lin's unit 1 feeds nothing: stays (softmax after)
  nn::CompactionReport report;
  auto small = model.compact(&report);
  BOOST_TEST(report.parameters_after == report.parameters_before);
  BOOST_TEST(report.layers[0].kept_because == "softmax activation (across units)");
  BOOST_TEST(report.layers[1].kept_because == "followed by softmax 'act'");
  const auto x = random_inputs<double>(8, 3, 1);
  BOOST_TEST(relative_difference(model.predict(x), small.predict(x)) == 0.0);
}

BOOST_AUTO_TEST_CASE(every_layer_keeps_a_unit) {
  nn::Sequential<double> model(6);
  model.add(nn::Input({2}));
  model.add(nn::Dense(3, "relu"));
  model.add(nn::Dense(1));
  value_of(model, "dense/kernel").fill(0);
  value_of(model, "dense_1/kernel").fill(0);
  nn::CompactionReport report;
  auto small = model.compact(&report);
  BOOST_TEST(report.layers[0].units_after == 1u);
  BOOST_TEST(report.kept_features.size() == 1u);
  const auto x = random_inputs<double>(5, 2, 3);
  BOOST_TEST(relative_difference(model.predict(x), small.predict(x)) <= 1e-12);
}

namespace {
template <class T>
class Scale : public nn::Layer<T> {
 public:
  Scale() : nn::Layer<T>("scale") {}
  std::string type() const override { return "Scale"; }
  ad::Shape output_shape(const ad::Shape& s) const override { return s; }
  ad::Var<T> forward(const ad::Var<T>& x) override { return x * T(2); }

 protected:
  void build_parameters(const ad::Shape&, nn::Random&) override {}
};

// A kernel layer of one's own: compact() cannot rebuild it either.
template <class T>
class Square : public nn::KernelLayer<T> {
 public:
  Square() : nn::KernelLayer<T>("Square", "square", "linear", {}) {}
  ad::Shape output_shape(const ad::Shape& s) const override { return s; }

 protected:
  ad::Shape kernel_shape(const ad::Shape& s) const override { return {s[0], s[0]}; }
  ad::Var<T> apply(const ad::Var<T>& x) const override {
    return ad::linear(x, this->kernel(), this->bias(), this->activation());
  }
};

template <class F>
void expect_message(F f, const std::string& message) {
  try {
    f();
  } catch (const std::exception& e) {
    BOOST_TEST(std::string(e.what()).find(message) != std::string::npos, e.what());
    return;
  }
  BOOST_FAIL("no exception, expected: " + message);
}
}  // namespace

// Zeroes the entries of a 4-D kernel (kh, kw, channels, filters) with channel c (or filter f).
template <class T>
void zero_channel(xt::xarray<T>& k, std::size_t c) {
  for (std::size_t i = 0; i < k.shape()[0]; ++i)
    for (std::size_t j = 0; j < k.shape()[1]; ++j)
      for (std::size_t f = 0; f < k.shape()[3]; ++f) k(i, j, c, f) = 0;
}
template <class T>
void zero_filter(xt::xarray<T>& k, std::size_t f) {
  for (std::size_t i = 0; i < k.shape()[0]; ++i)
    for (std::size_t j = 0; j < k.shape()[1]; ++j)
      for (std::size_t c = 0; c < k.shape()[2]; ++c) k(i, j, c, f) = 0;
}

template <class T>
xt::xarray<T> random_images(std::size_t n, std::uint64_t seed) {
  nn::Random r(seed);
  xt::xarray<T> x = xt::xarray<T>::from_shape({n, 6, 6, 1});
  for (auto& e : x) e = T(r.normal());
  return x;
}

// (6, 6, 1) -> Conv2D 3 'same' relu -> MaxPooling 2 -> Conv2D 4 (2×2 'valid') tanh ->
// AveragePooling 1 -> Flatten (2·2·4 = 16) -> Dense 3 relu -> Dense 2, with:
//   conv2d filter 0 read by nobody; filter 2 with a zero kernel and bias 0.4 (relu 0.4, folded
//   into conv2d_1's bias through the max pooling and the 'valid' window);
//   conv2d_1 filter 1 read by nobody (dense rows 1, 5, 9, 13 zero); filter 3 with a zero kernel
//   and bias 0.2 (tanh 0.2 folded into dense's bias through the pooling and the Flatten);
//   dense unit 1 read by nobody.
template <class T>
void check_planted_cnn() {
  nn::Sequential<T> cnn(4);
  cnn.add(nn::Input({6, 6, 1}));
  cnn.add(nn::Conv2D(3, 3, "relu", {.padding = "same"}, {.kernel_constraint = nn::MaxNorm(2, {0, 1, 2})}));
  cnn.add(nn::MaxPooling2D(2));
  cnn.add(nn::Conv2D(4, 2, "tanh"));
  cnn.add(nn::AveragePooling2D(1));
  cnn.add(nn::Flatten());
  cnn.add(nn::Dense(3, "relu"));
  cnn.add(nn::Dense(2));
  randomize_biases(cnn, 5);
  zero_channel(value_of(cnn, "conv2d_1/kernel"), 0);
  zero_filter(value_of(cnn, "conv2d/kernel"), 2);
  value_of(cnn, "conv2d/bias")(2) = T(0.4);
  for (std::size_t r = 1; r < 16; r += 4) zero_row(value_of(cnn, "dense/kernel"), r);
  zero_filter(value_of(cnn, "conv2d_1/kernel"), 3);
  value_of(cnn, "conv2d_1/bias")(3) = T(0.2);
  zero_row(value_of(cnn, "dense_1/kernel"), 1);
  nn::CompactionReport report;
  auto small = cnn.compact(&report);
  const auto x = random_images<T>(8, 6);
  BOOST_TEST(relative_difference(cnn.predict(x), small.predict(x)) <= 1e-5);
  BOOST_TEST(report.layers[0].removed == (std::vector<std::size_t>{0, 2}), tt::per_element());
  BOOST_REQUIRE(report.layers[0].folded.size() == 1u);
  BOOST_TEST(report.layers[0].folded[0].second == 0.4, tt::tolerance(1e-6));
  BOOST_TEST(report.layers[1].removed == (std::vector<std::size_t>{1, 3}), tt::per_element());
  BOOST_REQUIRE(report.layers[1].folded.size() == 1u);
  BOOST_TEST(report.layers[1].folded[0].second == std::tanh(0.2), tt::tolerance(1e-6));
  BOOST_TEST(report.layers[2].removed == (std::vector<std::size_t>{1}), tt::per_element());
  BOOST_TEST(report.input_features == 0u);  // the first kernel layer is a Conv2D: no selection
  // (9·3 + 3) + (4·3·4 + 4) + (16·3 + 3) + (3·2 + 2) = 141; (9 + 1) + (4·1·2 + 2) + (8·2 + 2) + (2·2 + 2) = 44.
  BOOST_TEST(report.parameters_before == 141u);
  BOOST_TEST(report.parameters_after == 44u);
  BOOST_TEST(small.summary().find("conv2d_1 (Conv2D)           (None, 2, 2, 2)") != std::string::npos, small.summary());
}

BOOST_AUTO_TEST_CASE(planted_dead_filters_double) { check_planted_cnn<double>(); }
BOOST_AUTO_TEST_CASE(planted_dead_filters_float) { check_planted_cnn<float>(); }

// Random CNNs with random dead filters, channels and rows: the compact model predicts the same,
// and compacting it again removes nothing more.
BOOST_AUTO_TEST_CASE(random_planted_cnns) {
  const std::vector<std::string> activations{"relu", "tanh", "sigmoid", "elu"};
  std::size_t removed = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    nn::Random r(seed * 31);
    nn::Sequential<double> cnn(seed);
    cnn.add(nn::Input({6, 6, 2}));
    cnn.add(nn::Conv2D(4, 3, activations[seed % 4], {.padding = seed % 2 ? "same" : "valid"}));
    cnn.add(nn::MaxPooling2D(2, {.padding = "same"}));
    cnn.add(nn::Conv2D(4, 2, activations[(seed + 1) % 4], {.padding = seed % 3 ? "valid" : "same"}));
    cnn.add(nn::Flatten());
    cnn.add(nn::Dense(5, activations[(seed + 2) % 4]));
    cnn.add(nn::Dense(2));
    randomize_biases(cnn, seed);
    for (const auto& p : cnn.parameters()) {
      auto& w = p.var.mutable_value();
      if (w.dimension() == 4) {
        for (std::size_t c = 0; c < w.shape()[2]; ++c) if (r.uniform() < 0.3) zero_channel(w, c);
        for (std::size_t f = 0; f < w.shape()[3]; ++f) if (r.uniform() < 0.3) zero_filter(w, f);
      } else if (w.dimension() == 2) {
        const std::size_t channels = w.shape()[0] == 5 ? 5 : 4;  // dense reads 4 channels, dense_1 5 units
        for (std::size_t c = 0; c < channels; ++c) {
          if (r.uniform() >= 0.3) continue;
          for (std::size_t row = c; row < w.shape()[0]; row += channels) zero_row(w, row);
        }
      }
    }
    nn::CompactionReport report;
    auto small = cnn.compact(&report);
    nn::Random xr(seed);
    xt::xarray<double> x = xt::xarray<double>::from_shape({6, 6, 6, 2});
    for (auto& e : x) e = xr.normal();
    BOOST_TEST(relative_difference(cnn.predict(x), small.predict(x)) <= 1e-5, "seed " << seed);
    for (const auto& l : report.layers) removed += l.removed.size();
    nn::CompactionReport again;
    small.compact(&again);
    BOOST_TEST(again.parameters_after == again.parameters_before, "seed " << seed << "\n" << again.to_string());
  }
  BOOST_TEST(removed >= 10u);
}

BOOST_AUTO_TEST_CASE(same_padding_takes_no_constants) {
  // Into a 'same' Conv2D a constant filter does not fold (the padded border sees zeros, not the
  // constant): relu(0.5) stays, relu(-0.5) = 0 goes.
  nn::Sequential<double> cnn(2);
  cnn.add(nn::Input({6, 6, 1}));
  cnn.add(nn::Conv2D(3, 3, "relu"));
  cnn.add(nn::Conv2D(2, 3, "linear", {.padding = "same"}));
  cnn.add(nn::GlobalAveragePooling2D());
  cnn.add(nn::Dense(1));
  zero_filter(value_of(cnn, "conv2d/kernel"), 0);
  value_of(cnn, "conv2d/bias")(0) = 0.5;
  zero_filter(value_of(cnn, "conv2d/kernel"), 1);
  value_of(cnn, "conv2d/bias")(1) = -0.5;
  zero_row(value_of(cnn, "dense/kernel"), 0);  // conv2d_1 filter 0 goes, through the global pooling
  nn::CompactionReport report;
  auto small = cnn.compact(&report);
  BOOST_TEST(report.layers[0].removed == (std::vector<std::size_t>{1}), tt::per_element());
  BOOST_TEST(report.layers[1].removed == (std::vector<std::size_t>{0}), tt::per_element());
  const auto x = random_images<double>(4, 3);
  BOOST_TEST(relative_difference(cnn.predict(x), small.predict(x)) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(refused_layers_are_named) {
  nn::Sequential<float> custom;
  custom.add(nn::Input({3}));
  custom.add(nn::Dense(2));
  custom.add(std::make_shared<Scale<float>>());
  expect_message([&] { custom.compact(); }, "Sequential::compact: layer 'scale' (Scale): unknown to compact()");
  nn::Sequential<float> first;
  first.add(nn::Input({3}));
  first.add(std::make_shared<Scale<float>>());
  first.add(nn::Dense(2));
  expect_message([&] { first.compact(); }, "Sequential::compact: layer 'scale' (Scale): unknown to compact()");
  nn::Sequential<float> kernel;
  kernel.add(nn::Input({3}));
  kernel.add(std::make_shared<Square<float>>());
  kernel.add(nn::Dense(2));
  expect_message([&] { kernel.compact(); }, "Sequential::compact: layer 'square' (Square): unknown to compact()");
  nn::Sequential<float> unbuilt;
  unbuilt.add(nn::Dense(2));
  BOOST_CHECK_THROW(unbuilt.compact(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(select_features_checks) {
  BOOST_CHECK_THROW(nn::SelectFeatures({}).make_layer<float>(), std::invalid_argument);
  nn::Sequential<float> m;
  m.add(nn::Input({3}));
  expect_message([&] { m.add(nn::SelectFeatures({0, 3}, "pick")); },
                 "SelectFeatures 'pick': index 3 is out of range for 3 features");
  nn::Sequential<double> ok;
  ok.add(nn::Input({4}));
  ok.add(nn::SelectFeatures({3, 0, 1}));
  const xt::xarray<double> x{{1.0, 2.0, 3.0, 4.0}};
  const xt::xarray<double> y = ok.predict(x);
  BOOST_CHECK(y == (xt::xarray<double>{{4.0, 1.0, 2.0}}));
}
