// gradcheck and gradgradcheck must pass correct gradients and catch wrong ones, with messages
// that say where. Wrong gradients are built with detach(), which hides part of a function from
// the tape while leaving its value unchanged.
#define BOOST_TEST_MODULE gradcheck
#include <boost/test/unit_test.hpp>

#include "common/check.hpp"

using test::Array;
using test::Inputs;
using test::V;

BOOST_AUTO_TEST_CASE(passes_a_correct_gradient) {
  auto f = [](const Inputs& in) { return ad::sum(ad::tanh(ad::matmul(in[0], in[1])) * in[2]); };
  const auto r = ad::gradcheck(f, {test::random_array({2, 3}, 1), test::random_array({3, 2}, 2),
                                   test::random_array({2, 2}, 3)}, test::tolerances);
  BOOST_TEST(r.ok, r.message);
  BOOST_TEST(r.message.empty());
  BOOST_TEST(r.worst_excess <= 0);
}

BOOST_AUTO_TEST_CASE(catches_a_wrong_gradient_and_says_where) {
  // value x^2, but the tape sees only one factor: analytic x, numeric 2x.
  auto f = [](const Inputs& in) { return in[0] * in[0].detach(); };
  const auto r = ad::gradcheck(f, {Array{{1.0, 2.0}, {3.0, 4.0}}}, test::tolerances);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.message.find("input 0") != std::string::npos, r.message);
  BOOST_TEST(r.message.find("shape (2, 2)") != std::string::npos, r.message);
  BOOST_TEST(r.message.find("element (1, 1)") != std::string::npos, r.message);  // largest error at x = 4
  BOOST_TEST(r.message.find("analytic 4") != std::string::npos, r.message);
  BOOST_TEST(r.message.find("numeric 8") != std::string::npos, r.message);
  BOOST_TEST(r.message.find("tolerance") != std::string::npos, r.message);
}

BOOST_AUTO_TEST_CASE(names_the_second_input_when_it_is_wrong) {
  auto f = [](const Inputs& in) { return ad::sum(in[0] * in[1] * in[1].detach()); };
  const auto r = ad::gradcheck(f, {Array{1.0, 2.0}, Array{3.0, -1.0}}, test::tolerances);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.message.find("input 1") != std::string::npos, r.message);
}

BOOST_AUTO_TEST_CASE(random_projections_for_large_outputs) {
  ad::GradcheckOptions opts = test::tolerances;
  opts.max_exact_outputs = 4;  // a (4, 5) output is checked through projections
  auto good = [](const Inputs& in) { return ad::exp(in[0]) * in[1]; };
  const auto ok = ad::gradcheck(good, {test::random_array({4, 5}, 4), test::random_array({4, 5}, 5)}, opts);
  BOOST_TEST(ok.ok, ok.message);
  auto bad = [](const Inputs& in) { return ad::exp(in[0]) * in[1].detach() + in[1] * 0.0; };
  const auto r = ad::gradcheck(bad, {test::random_array({4, 5}, 4), test::random_array({4, 5}, 5)}, opts);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.message.find("projection") != std::string::npos, r.message);
}

BOOST_AUTO_TEST_CASE(tolerances_are_honoured) {
  // analytic x vs numeric 2x: a difference of x, here at most 0.01.
  auto f = [](const Inputs& in) { return in[0] * in[0].detach(); };
  const Array x{0.005, 0.01};
  BOOST_TEST(!ad::gradcheck(f, {x}, test::tolerances).ok);
  BOOST_TEST(ad::gradcheck(f, {x}, {.eps = 1e-6, .atol = 0.02, .rtol = 0}).ok);
  BOOST_TEST(ad::gradcheck(f, {x}, {.eps = 1e-6, .atol = 0, .rtol = 0.6}).ok);  // |x - 2x| <= 0.6 |2x|
}

BOOST_AUTO_TEST_CASE(function_independent_of_its_input) {
  auto f = [](const Inputs&) { return V(Array{1.0, 2.0}); };
  BOOST_TEST(ad::gradcheck(f, {Array{3.0}}, test::tolerances).ok);
}

BOOST_AUTO_TEST_CASE(gradgradcheck_catches_a_wrong_second_derivative) {
  // value x^3 / 3 and first derivative x^2 are right, but the first derivative's own gradient
  // is hidden from the tape: analytic 0, numeric 2x.
  auto f = [](const Inputs& in) {
    const V d = in[0].detach();
    return ad::sum(in[0] * d * d - (2.0 / 3.0) * d * d * d);
  };
  const Array x{0.5, -1.5, 2.0};
  const auto first = ad::gradcheck(f, {x}, test::tolerances);
  BOOST_TEST(first.ok, first.message);
  const auto second = ad::gradgradcheck(f, {x}, test::tolerances);
  BOOST_TEST(!second.ok);
  BOOST_TEST(second.message.find("second derivative") != std::string::npos, second.message);
}

BOOST_AUTO_TEST_CASE(gradgradcheck_passes_a_correct_function) {
  auto f = [](const Inputs& in) { return ad::sum(ad::exp(in[0]) * ad::sigmoid(in[1]) + ad::square(in[0] * in[1])); };
  CHECK_GRADIENTS(f, test::random_array({2, 2}, 6), test::random_array({2, 2}, 7));
}
