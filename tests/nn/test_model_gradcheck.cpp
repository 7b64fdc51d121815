// A model with every layer type, all three regularizer kinds and a custom regularizer: its total
// training loss (data loss + penalties) passes gradcheck and gradgradcheck in double with
// respect to every parameter.
#define BOOST_TEST_MODULE model_gradcheck
#include <boost/test/unit_test.hpp>

#include <nn/nn.hpp>

#include "common/check.hpp"

BOOST_AUTO_TEST_CASE(whole_model_total_loss_passes_gradcheck) {
  nn::Sequential<double> m(21);
  m.add(nn::Input({2, 3}));
  m.add(nn::Flatten{});
  m.add(nn::Dense(4, "tanh", {.kernel_regularizer = nn::L1(0.01),
                              .bias_regularizer = nn::L2(0.02),
                              .activity_regularizer = nn::L1L2(0.01, 0.03)}));
  m.add(nn::Dropout(0.3));
  m.add(nn::Activation("elu"));
  m.add(nn::Dense(3, "softmax", {.kernel_regularizer = nn::Regularizer(
                                     [](const auto& w) { return 0.05 * ad::sum(ad::pow(ad::square(w) + 1.0, 1.5)); },
                                     "smooth")}));
  const test::Array x = test::random_array({5, 2, 3}, 1);
  test::Array y = xt::zeros<double>({5, 3});
  for (std::size_t i = 0; i < 5; ++i) y(i, i % 3) = 1;

  std::vector<std::string> names;
  std::vector<test::Array> values;
  for (const auto& p : m.parameters()) {
    names.push_back(p.name);
    values.push_back(p.var.value());
  }
  BOOST_TEST(names.size() == 4u);
  // Keep the first-layer weights off the L1 kink at 0.
  for (auto& v : values) {
    for (auto& e : v) e = e >= 0 ? e + 0.05 : e - 0.05;
  }

  auto total_loss = [&](const test::Inputs& params) {
    for (std::size_t i = 0; i < names.size(); ++i) m.replace_parameter(names[i], params[i]);
    m.set_random_streams(7, 0);  // the same dropout mask at every evaluation
    const auto pred = m.forward(test::V(x));
    return nn::categorical_crossentropy(test::V(y), pred) + m.penalty();
  };
  BOOST_TEST(m.training());  // dropout active
  const auto first = ad::gradcheck(total_loss, values, test::tolerances);
  BOOST_TEST(first.ok, first.message);
  const auto second = ad::gradgradcheck(total_loss, values, test::tolerances);
  BOOST_TEST(second.ok, second.message);
}
