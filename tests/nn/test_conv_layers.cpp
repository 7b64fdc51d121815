// Convolutional layers: Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D: shapes,
// Keras parameter counts and summary, regularizers, a whole-model gradient check, weight files.
#define BOOST_TEST_MODULE conv_layers
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <nn/nn.hpp>

#include "common/check.hpp"
#include "common/temp_dir.hpp"

using test::Array;
using test::V;
namespace tt = boost::test_tools;

namespace {

// The Keras tutorial's MNIST convnet (without its dropout).
nn::Sequential<float> keras_mnist_cnn(std::uint64_t seed = 1234) {
  nn::Sequential<float> m(seed);
  m.add(nn::Input({28, 28, 1}));
  m.add(nn::Conv2D(32, {3, 3}, "relu"));
  m.add(nn::MaxPooling2D({2, 2}));
  m.add(nn::Conv2D(64, 3, "relu"));
  m.add(nn::MaxPooling2D(2));
  m.add(nn::Flatten{});
  m.add(nn::Dense(10, "softmax"));
  return m;
}

std::vector<xt::xarray<float>> weights(const nn::Sequential<float>& m) {
  std::vector<xt::xarray<float>> w;
  for (const auto& p : m.parameters()) w.push_back(p.var.value());
  return w;
}

}  // namespace

BOOST_AUTO_TEST_CASE(output_shapes_and_keras_parameter_counts) {
  auto m = keras_mnist_cnn();
  const auto& layers = m.layers();
  BOOST_REQUIRE_EQUAL(layers.size(), 6u);
  BOOST_TEST(layers[0]->output_shape({28, 28, 1}) == (ad::Shape{26, 26, 32}), tt::per_element());
  BOOST_TEST(layers[1]->output_shape({26, 26, 32}) == (ad::Shape{13, 13, 32}), tt::per_element());
  BOOST_TEST(layers[2]->output_shape({13, 13, 32}) == (ad::Shape{11, 11, 64}), tt::per_element());
  BOOST_TEST(layers[3]->output_shape({11, 11, 64}) == (ad::Shape{5, 5, 64}), tt::per_element());
  BOOST_TEST(layers[0]->parameter_count() == 320u);     // 3·3·1·32 + 32
  BOOST_TEST(layers[2]->parameter_count() == 18496u);   // 3·3·32·64 + 64
  BOOST_TEST(layers[5]->parameter_count() == 16010u);   // 1600·10 + 10
  BOOST_TEST(m.parameter_count() == 34826u);
  std::vector<std::string> names;
  for (const auto& p : m.parameters()) names.push_back(p.name);
  BOOST_TEST(names == (std::vector<std::string>{"conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias",
                                                "dense/kernel", "dense/bias"}),
             tt::per_element());
  BOOST_TEST(ad::shape_str(m.parameters()[2].var.shape()) == "(3, 3, 32, 64)");  // Keras's kernel layout

  // Strides, "same" padding, non-square windows, pooling strides, global pooling.
  nn::Sequential<double> s;
  s.add(nn::Input({28, 28, 3}));
  s.add(nn::Conv2D(16, {5, 3}, "linear", {.strides = {2, 2}, .padding = "same"}, {.use_bias = false}));
  s.add(nn::AveragePooling2D(3, {.strides = nn::Size2{2, 2}, .padding = "same"}));
  s.add(nn::MaxPooling2D({2, 1}, {.strides = nn::Size2{1, 1}}));
  s.add(nn::Conv2D(8, 1));
  s.add(nn::GlobalAveragePooling2D{});
  BOOST_TEST(s.output_shape() == (ad::Shape{8}), tt::per_element());
  BOOST_TEST(s.layers()[0]->output_shape({28, 28, 3}) == (ad::Shape{14, 14, 16}), tt::per_element());
  BOOST_TEST(s.layers()[1]->output_shape({14, 14, 16}) == (ad::Shape{7, 7, 16}), tt::per_element());
  BOOST_TEST(s.layers()[2]->output_shape({7, 7, 16}) == (ad::Shape{6, 7, 16}), tt::per_element());
  BOOST_TEST(s.layers()[0]->parameter_count() == 5u * 3 * 3 * 16);  // no bias
  BOOST_TEST(s.layers()[3]->parameter_count() == 16u * 8 + 8);
  const V y = s.forward(V(test::random_array({2, 28, 28, 3}, 1)));
  BOOST_TEST(ad::shape_str(y.shape()) == "(2, 8)");
}

BOOST_AUTO_TEST_CASE(summary_has_the_keras_layout) {
  const auto m = keras_mnist_cnn();
  // Keras 2 prints this model so (long names continue on a second line), with the parameter
  // column right-aligned as in this project's dense summaries.
  const std::string expected =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      " Layer (type)                Output Shape                 Param #\n"
      "=================================================================\n"
      " conv2d (Conv2D)             (None, 26, 26, 32)               320\n"
      "\n"
      " max_pooling2d (MaxPooling2D (None, 13, 13, 32)                 0\n"
      " )\n"
      "\n"
      " conv2d_1 (Conv2D)           (None, 11, 11, 64)            18,496\n"
      "\n"
      " max_pooling2d_1 (MaxPooling (None, 5, 5, 64)                   0\n"
      " 2D)\n"
      "\n"
      " flatten (Flatten)           (None, 1600)                       0\n"
      "\n"
      " dense (Dense)               (None, 10)                    16,010\n"
      "=================================================================\n"
      "Total params: 34,826\n"
      "Trainable params: 34,826\n"
      "Non-trainable params: 0\n"
      "_________________________________________________________________\n";
  BOOST_TEST(m.summary() == expected);
}

BOOST_AUTO_TEST_CASE(conv2d_layer_forward_by_value) {
  nn::Conv2DLayer<double> c(nn::Conv2D(2, {2, 2}, "relu", {.kernel_initializer = nn::Initializer::constant(0.5),
                                                           .bias_initializer = nn::Initializer::constant(-3.0)}));
  nn::Random r(0);
  c.build({3, 3, 1}, r);
  BOOST_TEST(c.name() == "conv2d");
  BOOST_TEST(ad::shape_str(c.kernel().shape()) == "(2, 2, 1, 2)");
  Array x{1, 2, 3, 4, 5, 6, 7, 8, 9};
  x.reshape({1, 3, 3, 1});
  // Block sums 12, 16, 24, 28, halved, minus 3, relu: 3, 5, 9, 11 in both filters.
  Array expected{3, 3, 5, 5, 9, 9, 11, 11};
  expected.reshape({1, 2, 2, 2});
  test::check_close(c.forward(V(x)).value(), expected);
  BOOST_CHECK_THROW(c.forward(V(xt::zeros<double>({3, 3, 1}))), ad::ShapeError);
  BOOST_CHECK_THROW(c.build({3, 3, 2}, r), ad::ShapeError);  // built for one channel
}

BOOST_AUTO_TEST_CASE(glorot_fans_include_the_receptive_field) {
  nn::Conv2DLayer<double> c(nn::Conv2D(32, 3));
  nn::Random r(3);
  c.build({28, 28, 1}, r);
  // Keras: fan_in = 3·3·1 = 9, fan_out = 3·3·32 = 288, limit √(6 / 297).
  const double limit = std::sqrt(6.0 / 297.0);
  const Array& k = c.kernel().value();
  BOOST_TEST(xt::amax(xt::abs(k))() <= limit);
  BOOST_TEST(xt::amax(xt::abs(k))() > 0.95 * limit);
  BOOST_TEST(xt::amax(xt::abs(c.bias().value()))() == 0.0);
}

BOOST_AUTO_TEST_CASE(regularizers_on_conv_kernels_have_keras_values) {
  auto layer = [](nn::Regularizer kernel, nn::Regularizer bias = {}, nn::Regularizer activity = {}) {
    auto c = std::make_shared<nn::Conv2DLayer<double>>(
        nn::Conv2D(4, 3, "linear", {.kernel_initializer = nn::Initializer::constant(0.5),
                                    .bias_initializer = nn::Initializer::constant(-2.0),
                                    .kernel_regularizer = std::move(kernel),
                                    .bias_regularizer = std::move(bias),
                                    .activity_regularizer = std::move(activity)}));
    nn::Random r(0);
    c->build({5, 5, 2}, r);
    return c;
  };
  // tf.keras.regularizers.L1(0.01)(0.5 · ones((3, 3, 2, 4))) = 0.01 · 72 · 0.5 = 0.36; L2: 0.18.
  BOOST_TEST(layer(nn::L1(0.01))->regularization_penalty().item() == 0.36, tt::tolerance(1e-14));
  BOOST_TEST(layer(nn::L2(0.01))->regularization_penalty().item() == 0.18, tt::tolerance(1e-14));
  BOOST_TEST(layer(nn::L1L2(0.01, 0.01), nn::L2(0.5))->regularization_penalty().item() == 0.36 + 0.18 + 0.5 * 4 * 4,
             tt::tolerance(1e-14));
  // Its gradient: λ·sign(W) for L1, 2λW for L2.
  auto c = layer(nn::L2(0.01));
  ad::backward(c->regularization_penalty());
  test::check_close(test::grad_value(c->kernel()), xt::xarray<double>(xt::ones<double>({3, 3, 2, 4}) * 0.01));
  // The activity penalty is taken on the output and divided by the batch size.
  auto a = layer({}, {}, nn::L1(0.1));
  const Array x = xt::ones<double>({2, 5, 5, 2});
  const V y = a->forward(V(x));  // every output 0.5 · 18 − 2 = 7; 2·3·3·4 of them
  BOOST_TEST(a->activity_penalty().item() == 0.1 * 7 * 72 / 2, tt::tolerance(1e-12));
  // In a model, fit's penalty sums the kernel penalties of every layer.
  nn::Sequential<double> m;
  m.add(nn::Input({5, 5, 2}));
  m.add(nn::Conv2D(4, 3, "linear", {.kernel_initializer = nn::Initializer::constant(0.5), .kernel_regularizer = nn::L1(0.01)}));
  m.add(nn::Conv2D(1, 3, "linear", {.kernel_initializer = nn::Initializer::constant(-1.0), .kernel_regularizer = nn::L2(0.1)}));
  BOOST_TEST(m.penalty().item() == 0.36 + 0.1 * 36, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(whole_conv_model_total_loss_passes_gradcheck) {
  nn::Sequential<double> m(7);
  m.add(nn::Input({6, 6, 2}));
  m.add(nn::Conv2D(3, 3, "tanh", {.padding = "same"},
                   {.kernel_regularizer = nn::L1(0.01),
                    .bias_regularizer = nn::L2(0.02),
                    .activity_regularizer = nn::L2(0.01)}));
  m.add(nn::MaxPooling2D(2));                                                  // (3, 3, 3)
  m.add(nn::Conv2D(4, {2, 1}, "softplus", {.strides = {1, 2}}, {.kernel_regularizer = nn::L2(0.03)}));  // (2, 2, 4)
  m.add(nn::AveragePooling2D(2, {.strides = nn::Size2{1, 1}, .padding = "same"}));  // (2, 2, 4)
  m.add(nn::GlobalAveragePooling2D{});                                        // (4)
  m.add(nn::Dense(3, "softmax"));
  const Array x = test::random_array({3, 6, 6, 2}, 11);
  Array y = xt::zeros<double>({3, 3});
  for (std::size_t i = 0; i < 3; ++i) y(i, i) = 1;

  std::vector<std::string> names;
  std::vector<Array> values;
  for (const auto& p : m.parameters()) {
    names.push_back(p.name);
    values.push_back(p.var.value());
  }
  BOOST_TEST(names.size() == 6u);
  for (auto& v : values) {  // off the L1 kink at 0
    for (auto& e : v) e = e >= 0 ? e + 0.05 : e - 0.05;
  }
  auto total_loss = [&](const test::Inputs& params) {
    for (std::size_t i = 0; i < names.size(); ++i) m.replace_parameter(names[i], params[i]);
    const auto pred = m.forward(V(x));
    return nn::categorical_crossentropy(V(y), pred) + m.penalty();
  };
  const auto first = ad::gradcheck(total_loss, values, test::tolerances);
  BOOST_TEST(first.ok, first.message);
  const auto second = ad::gradgradcheck(total_loss, values, test::tolerances);
  BOOST_TEST(second.ok, second.message);
}

BOOST_AUTO_TEST_CASE(fit_learns_where_the_bright_pixel_is) {
  // One bright pixel per 6x6 image, in the left or the right half: the label.
  nn::Random r(4);
  const std::size_t n = 128;
  xt::xarray<float> x = xt::zeros<float>({n, std::size_t{6}, std::size_t{6}, std::size_t{1}});
  xt::xarray<float> y = xt::zeros<float>({n, std::size_t{2}});
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t row = r.below(6), col = r.below(6);
    x(i, row, col, 0) = 1;
    y(i, col < 3 ? 0 : 1) = 1;
  }
  nn::Sequential<float> m(3);
  m.add(nn::Input({6, 6, 1}));
  m.add(nn::Conv2D(4, 3, "relu", {.padding = "same"}));
  m.add(nn::MaxPooling2D(2));
  m.add(nn::Flatten{});
  m.add(nn::Dense(2, "softmax"));
  m.compile(nn::Adam{.learning_rate = 0.02}, "categorical_crossentropy", {"accuracy"});
  const auto h = m.fit(x, y, {.epochs = 40, .batch_size = 16, .verbose = 0});
  BOOST_TEST(h["loss"].back() < 0.25 * h["loss"].front());
  BOOST_TEST(m.evaluate(x, y).at("accuracy") >= 0.95);
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_npz) {
  test::TempDir dir("conv-layers");
  auto a = keras_mnist_cnn(1);
  auto b = keras_mnist_cnn(2);
  BOOST_TEST(!(weights(a) == weights(b)));
  a.save_weights(dir / "cnn.npz");
  b.load_weights(dir / "cnn.npz");
  BOOST_TEST(weights(a) == weights(b));
  const xt::xarray<float> x = xt::xarray<float>(test::random_array({3, 28, 28, 1}, 5, 0, 1, 0));
  // The same weights give the same predictions, up to rounding that may depend on where the
  // buffers lie (vectorized sums peel unaligned heads).
  BOOST_TEST(xt::allclose(a.predict(x), b.predict(x), 1e-5, 1e-7));
  // A model with other filter counts refuses the file and names the entry.
  nn::Sequential<float> other;
  other.add(nn::Input({28, 28, 1}));
  other.add(nn::Conv2D(16, 3, "relu"));
  other.add(nn::MaxPooling2D(2));
  other.add(nn::Conv2D(64, 3, "relu"));
  other.add(nn::MaxPooling2D(2));
  other.add(nn::Flatten{});
  other.add(nn::Dense(10, "softmax"));
  test::check_error<nn::FormatError>([&] { other.load_weights(dir / "cnn.npz"); },
                                    {"conv2d/kernel", "(3, 3, 1, 32)", "(3, 3, 1, 16)"});
}

BOOST_AUTO_TEST_CASE(errors_name_the_layer) {
  nn::Sequential<float> m;
  m.add(nn::Input({784}));
  test::check_error<ad::ShapeError>([&] { m.add(nn::Conv2D(8, 3)); },
                                    {"Conv2D 'conv2d'", "(batch, height, width, channels)", "(784,)"});
  nn::Sequential<float> small;
  small.add(nn::Input({4, 4, 1}));
  test::check_error<ad::ShapeError>([&] { small.add(nn::MaxPooling2D(5)); },
                                    {"MaxPooling2D 'max_pooling2d'", "(4, 4, 1)", "valid"});
  test::check_error<std::invalid_argument>([] { nn::Conv2DLayer<float>(nn::Conv2D(8, 3, "relu", {.padding = "full"})); },
                                           {"Conv2D", "padding", "'full'"});
  test::check_error<std::invalid_argument>([] { nn::Conv2DLayer<float>(nn::Conv2D(0, 3)); }, {"Conv2D", "filters"});
  test::check_error<ad::ValueError>([] { nn::Conv2DLayer<float>(nn::Conv2D(8, 3, "swish")); }, {"Conv2D", "swish"});
  test::check_error<std::invalid_argument>(
      [] { nn::Pooling2DLayer<float>(nn::Pooling2DLayer<float>::Kind::average, {2, 2}, {.strides = nn::Size2{0, 1}}); },
      {"AveragePooling2D", "strides", "(0, 1)"});
}
