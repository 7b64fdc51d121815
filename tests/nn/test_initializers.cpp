// Initializers: Keras's scales, reproducibility from a seed, truncation.
#define BOOST_TEST_MODULE initializers
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>

#include <nn/initializers.hpp>

#include "common/check.hpp"

namespace {
template <class T>
double variance(const xt::xarray<T>& a) {
  double mean = 0, sq = 0;
  for (auto v : a) mean += double(v);
  mean /= double(a.size());
  for (auto v : a) sq += (double(v) - mean) * (double(v) - mean);
  return sq / double(a.size());
}
}  // namespace

BOOST_AUTO_TEST_CASE(same_seed_same_weights) {
  nn::Random a(42), b(42), c(43);
  const auto wa = nn::Initializer::glorot_uniform().operator()<float>({300, 200}, a);
  const auto wb = nn::Initializer::glorot_uniform().operator()<float>({300, 200}, b);
  const auto wc = nn::Initializer::glorot_uniform().operator()<float>({300, 200}, c);
  BOOST_TEST(wa == wb);
  BOOST_TEST(!(wa == wc));
  // Independent streams for (seed, a, b) triples.
  auto s1 = nn::Random::stream(1, 0, 1), s2 = nn::Random::stream(1, 0, 2), s1b = nn::Random::stream(1, 0, 1);
  BOOST_TEST(s1.uniform() != s2.uniform());
  s1 = nn::Random::stream(1, 0, 1);
  BOOST_TEST(s1.uniform() == s1b.uniform());
}

BOOST_AUTO_TEST_CASE(uniform_initializers_respect_their_limits) {
  nn::Random r(1);
  const auto g = nn::Initializer::glorot_uniform().operator()<double>({400, 200}, r);
  const double limit = std::sqrt(6.0 / 600);
  BOOST_TEST(xt::amax(xt::abs(g))() <= limit);
  BOOST_TEST(variance(g) == limit * limit / 3, boost::test_tools::tolerance(0.02));
  const auto h = nn::Initializer::he_uniform().operator()<double>({400, 200}, r);
  BOOST_TEST(xt::amax(xt::abs(h))() <= std::sqrt(6.0 / 400));
  BOOST_TEST(variance(h) == 2.0 / 400, boost::test_tools::tolerance(0.02));
}

BOOST_AUTO_TEST_CASE(truncated_normal_initializers_keep_the_intended_variance) {
  nn::Random r(2);
  struct Case {
    nn::Initializer init;
    double var;
  };
  for (const auto& c : {Case{nn::Initializer::glorot_normal(), 2.0 / 600}, Case{nn::Initializer::he_normal(), 2.0 / 400},
                        Case{nn::Initializer::lecun_normal(), 1.0 / 400}}) {
    const auto w = c.init.operator()<double>({400, 200}, r);
    BOOST_TEST(variance(w) == c.var, boost::test_tools::tolerance(0.02));
    // truncated at 2 standard deviations of the underlying normal
    BOOST_TEST(xt::amax(xt::abs(w))() <= 2 * std::sqrt(c.var) / 0.87962566103423978 + 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(constant_initializers_and_names) {
  nn::Random r(3);
  BOOST_TEST(nn::Initializer::zeros().operator()<float>({3}, r) == xt::xarray<float>({0.f, 0.f, 0.f}));
  BOOST_TEST(nn::Initializer::ones().operator()<float>({2}, r) == xt::xarray<float>({1.f, 1.f}));
  BOOST_TEST(nn::Initializer::constant(0.5).operator()<double>({2}, r) == xt::xarray<double>({0.5, 0.5}));
  BOOST_TEST(nn::Initializer::from_name("he_normal").name() == "he_normal");
  BOOST_CHECK_THROW(nn::Initializer::from_name("glorot"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(random_below_is_in_range_and_roughly_uniform) {
  nn::Random r(4);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[r.below(7)];
  for (int c : counts) BOOST_TEST(std::abs(c - 10000) < 500);
  BOOST_CHECK_THROW(r.below(0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(constant_value_must_be_finite) {
  const double inf = std::numeric_limits<double>::infinity();
  for (const auto& [v, text] : std::vector<std::pair<double, std::string>>{
           {std::numeric_limits<double>::quiet_NaN(), "nan"}, {inf, "inf"}, {-inf, "-inf"}}) {
    BOOST_CHECK_EXCEPTION(nn::Initializer::constant(v), std::invalid_argument,
                          test::message_has<std::invalid_argument>({"nn::Initializer::constant: value must be a finite number, got " + text}));
  }
  BOOST_CHECK_NO_THROW(nn::Initializer::constant(-3.5));
}
