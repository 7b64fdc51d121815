// Regularizers: Keras's documented values, gradients by value, custom penalties.
#define BOOST_TEST_MODULE regularizers
#include <boost/test/unit_test.hpp>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nn/regularizers.hpp>

#include "common/check.hpp"

using test::Array;
using test::V;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_CASE(keras_documented_values) {
  // keras.regularizers.L1(0.01) applied to a 5x5 kernel of ones gives 0.25 (Keras docs).
  const V ones(Array(xt::ones<double>({5, 5})), true);
  BOOST_TEST(nn::L1(0.01)(ones).item() == 0.25, tt::tolerance(1e-15));
  BOOST_TEST(nn::L2(0.01)(ones).item() == 0.25, tt::tolerance(1e-15));
  BOOST_TEST(nn::L1L2(0.01, 0.01)(ones).item() == 0.5, tt::tolerance(1e-15));
  // Keras defaults: L1() and L2() use 0.01, L1L2() is zero.
  BOOST_TEST(nn::L1().l1() == 0.01);
  BOOST_TEST(nn::L2().l2() == 0.01);
  BOOST_TEST(!nn::L1L2());
}

BOOST_AUTO_TEST_CASE(penalties_and_gradients_by_value) {
  const V w(Array{{0.5, -2.0}, {0.0, 3.0}}, true);
  const auto r = nn::L1L2(0.1, 0.01);
  const V p = r(w);
  BOOST_TEST(p.item() == 0.1 * 5.5 + 0.01 * 13.25, tt::tolerance(1e-14));
  ad::backward(p);
  // 0.1 sign(w) + 0.02 w, sign(0) = 0
  test::check_close(w.grad().value(), Array{{0.1 + 0.01, -0.1 - 0.04}, {0.0, 0.1 + 0.06}}, 1e-15, 1e-12);
  // The smooth part alone, and the penalty a proximal optimizer leaves in the loss: the same
  // value, the gradient of the smooth (L2) part only.
  BOOST_TEST(r.smooth(w).item() == 0.01 * 13.25, tt::tolerance(1e-14));
  const V w2(Array{{0.5, -2.0}, {0.0, 3.0}}, true);
  const V with_prox = r(w2, true);
  BOOST_TEST(with_prox.item() == p.item());
  ad::backward(with_prox);
  test::check_close(w2.grad().value(), Array{{0.01, -0.04}, {0.0, 0.06}}, 1e-15, 1e-12);
  BOOST_TEST(r.description() == "L1L2(0.1, 0.01)");
}

BOOST_AUTO_TEST_CASE(penalties_pass_gradcheck) {
  const auto r = nn::L1L2(0.1, 0.01);
  auto f = [&](const test::Inputs& in) { return r(in[0]); };
  CHECK_GRADIENTS(f, test::random_array({3, 4}, 1));
}

BOOST_AUTO_TEST_CASE(custom_regularizer_from_a_generic_lambda) {
  const nn::Regularizer cubic([](const auto& w) { return 0.5 * ad::sum(ad::pow(ad::abs(w), 3.0)); }, "cubic");
  BOOST_TEST(static_cast<bool>(cubic));
  BOOST_TEST(cubic.l1() == 0.0);
  const V w(Array{1.0, -2.0}, true);
  BOOST_TEST(cubic(w).item() == 0.5 * 9, tt::tolerance(1e-14));
  ad::Var<float> wf(xt::xarray<float>{1.0f, -2.0f}, true);
  BOOST_TEST(cubic(wf).item() == 4.5f);
  auto f = [&](const test::Inputs& in) { return cubic(in[0]); };
  CHECK_GRADIENTS(f, test::random_array({2, 3}, 2));
}

BOOST_AUTO_TEST_CASE(custom_regularizer_errors) {
  const nn::Regularizer float_only([](const ad::Var<float>& w) { return ad::sum(w); }, "float_only");
  const V w(Array{1.0, 2.0}, true);
  try {
    (void)float_only(w);
    BOOST_FAIL("expected an error");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("float_only") != std::string::npos, e.what());
  }
  const nn::Regularizer not_scalar([](const auto& x) { return x * 2.0; }, "not_scalar");
  BOOST_CHECK_THROW((void)not_scalar(w), std::invalid_argument);
  BOOST_CHECK_THROW(nn::L1(-1.0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(non_finite_and_negative_strengths_are_refused_naming_them) {
  // NaN used to pass the check l1 < 0 and train to NaN weights.
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<double, std::string>> bad{
      {std::numeric_limits<double>::quiet_NaN(), "nan"}, {inf, "inf"}, {-inf, "-inf"}, {-0.5, "-0.5"}};
  for (const auto& [v, text] : bad) {
    BOOST_CHECK_EXCEPTION(nn::L1(v), std::invalid_argument,
                          test::message_has<std::invalid_argument>({"nn::L1: l1 must be a finite number >= 0, got " + text}));
    BOOST_CHECK_EXCEPTION(nn::L2(v), std::invalid_argument,
                          test::message_has<std::invalid_argument>({"nn::L2: l2 must be a finite number >= 0, got " + text}));
    BOOST_CHECK_EXCEPTION(nn::L1L2(v, 0.1), std::invalid_argument,
                          test::message_has<std::invalid_argument>({"nn::L1L2: l1", "got " + text}));
    BOOST_CHECK_EXCEPTION(nn::L1L2(0.1, v), std::invalid_argument,
                          test::message_has<std::invalid_argument>({"nn::L1L2: l2", "got " + text}));
    BOOST_CHECK_EXCEPTION(nn::Regularizer::l1_l2(v, 0), std::invalid_argument,
                          test::message_has<std::invalid_argument>({"l1", "got " + text}));
  }
  BOOST_CHECK_NO_THROW(nn::L1L2(0, 0));
  BOOST_CHECK_NO_THROW(nn::L1(1e300));
}
