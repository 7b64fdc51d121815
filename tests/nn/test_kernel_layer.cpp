// KernelLayer: Dense and Conv2D share their options, parameter set-up, activation and activity
// penalty through one class; each check here runs on both.
#define BOOST_TEST_MODULE kernel_layer
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

#include <nn/conv_layers.hpp>
#include <nn/layers.hpp>

#include "common/check.hpp"

namespace tt = boost::test_tools;
using test::Array;
using test::V;

namespace {

// A 1×1 convolution over a 1×1 image is a dense layer: the same numbers through both layers.
struct Case {
  std::string type;
  std::shared_ptr<nn::KernelLayer<double>> layer;
  ad::Shape sample;  // per-sample input shape
  V x;               // a batch of 2
};

Case make_case(bool conv, const std::string& activation, const nn::KernelOptions& options) {
  const Array x2{{1.0, -2.0, 0.5}, {0.25, 1.0, -1.0}};
  if (conv) {
    return {"Conv2D", std::make_shared<nn::Conv2DLayer<double>>(nn::Conv2D(2, 1, activation, options)), {1, 1, 3},
            V(Array(xt::reshape_view(x2, {2, 1, 1, 3})))};
  }
  return {"Dense", std::make_shared<nn::DenseLayer<double>>(nn::Dense(2, activation, options)), {3}, V(x2)};
}

const nn::KernelOptions constant_options{.kernel_initializer = nn::Initializer::constant(0.5),
                                         .bias_initializer = nn::Initializer::constant(-1.0),
                                         .kernel_regularizer = nn::L1(0.1),
                                         .bias_regularizer = nn::L2(0.2),
                                         .activity_regularizer = nn::L1(0.3)};

}  // namespace

BOOST_AUTO_TEST_CASE(dense_and_conv2d_share_options_parameters_activation_and_activity_penalty) {
  for (const bool conv : {false, true}) {
    Case c = make_case(conv, "tanh", constant_options);
    BOOST_TEST_CONTEXT(c.type) {
      BOOST_TEST(c.layer->type() == c.type);
      BOOST_TEST(c.layer->name() == (conv ? "conv2d" : "dense"));
      BOOST_TEST(ad::activation_name(c.layer->activation()) == "tanh");
      nn::Random rng(0);
      c.layer->build(c.sample, rng);
      const auto params = c.layer->parameters();
      BOOST_TEST_REQUIRE(params.size() == 2u);
      BOOST_TEST(params[0].name == "kernel");
      BOOST_TEST(params[1].name == "bias");
      BOOST_TEST(params[0].regularizer.description() == "L1(0.1)");
      BOOST_TEST(params[1].regularizer.description() == "L2(0.2)");
      // x·W with W all 0.5: row sums 0.5·(−0.5) and 0.5·0.25, then the bias −1 and tanh.
      const V y = c.layer->forward(c.x);
      const Array z{{-1.25, -1.25}, {-0.875, -0.875}};
      test::check_close(Array(xt::reshape_view(y.value(), {2, 2})), Array(xt::tanh(z)), 1e-15, 1e-15);
      // Keras: the activity penalty over the batch size.
      BOOST_TEST(c.layer->activity_penalty().item() == 0.3 * double(xt::sum(xt::abs(xt::tanh(z)))()) / 2,
                 tt::tolerance(1e-14));
      BOOST_TEST(c.layer->regularization_penalty().item() == 0.1 * 0.5 * 6 + 0.2 * 2, tt::tolerance(1e-14));
    }
  }
}

BOOST_AUTO_TEST_CASE(relu_is_fused_and_use_bias_false_leaves_the_bias_out_for_both) {
  for (const bool conv : {false, true}) {
    Case c = make_case(conv, "relu", {.kernel_initializer = nn::Initializer::constant(1.0), .use_bias = false});
    BOOST_TEST_CONTEXT(c.type) {
      nn::Random rng(0);
      c.layer->build(c.sample, rng);
      BOOST_TEST(c.layer->parameters().size() == 1u);
      BOOST_TEST(!c.layer->bias().defined());
      BOOST_TEST(!c.layer->activity_penalty().defined());
      const V y = c.layer->forward(c.x);
      BOOST_TEST(std::string(y.op_name()) == (conv ? "conv2d_relu" : "linear_relu"));  // one op, relu fused
      test::check_close(Array(xt::reshape_view(y.value(), {2, 2})), Array{{0.0, 0.0}, {0.25, 0.25}});
    }
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_activation_is_refused_at_construction_naming_the_layer) {
  for (const bool conv : {false, true}) {
    test::check_error<ad::ValueError>([conv] { make_case(conv, "swish", {}); },
                                      {conv ? "Conv2D" : "Dense", "unknown activation 'swish'"});
  }
}
