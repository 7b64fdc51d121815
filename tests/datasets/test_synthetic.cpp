#define BOOST_TEST_MODULE synthetic
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xoperation.hpp>

#include "datasets/random_state.hpp"
#include "datasets/synthetic.hpp"
#include "datasets/sklearn_fixtures.hpp"

namespace fx = sklearn_fixtures;
using datasets::RandomState;

namespace {

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

template <class A, class B>
void check_bits(const A& got, const B& want, const std::string& what) {
  BOOST_REQUIRE_EQUAL(std::size(got), std::size(want));
  for (std::size_t i = 0; i < std::size(want); ++i)
    BOOST_TEST(same_bits(got[i], want[i]), what << "[" << i << "]: got " << got[i] << " want " << want[i]);
}

// The fixture's default-run doubles with the scalar-libm patch applied: (flat index, signed
// nextafter steps) pairs.
template <std::size_t N, std::size_t P>
std::vector<double> scalar_libm_values(const double (&x)[N], const int (&patch)[P][2], std::size_t patch_size) {
  std::vector<double> v(std::begin(x), std::end(x));
  for (std::size_t p = 0; p < patch_size; ++p) {
    double& e = v[static_cast<std::size_t>(patch[p][0])];
    const int steps = patch[p][1];
    for (int s = 0; s < std::abs(steps); ++s)
      e = std::nextafter(e, steps > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity());
  }
  return v;
}

struct Comparison {
  double max_abs_diff = 0.0;
  std::size_t identical = 0;
};

// Points within 1e-12 of sklearn's default run, bit-identical to sklearn on the scalar libm path
// (with glibc, whose cos/sin numpy then calls too), labels exact.
template <std::size_t N, std::size_t M, std::size_t P>
Comparison check_points(const datasets::SyntheticData<double>& d, const double (&x)[N], const int (&y)[M],
                        const int (&patch)[P][2], std::size_t patch_size, const std::string& what) {
  BOOST_REQUIRE_EQUAL(N, 2 * M);
  BOOST_REQUIRE(d.x.shape() == (std::vector<std::size_t>{M, 2}));
  BOOST_REQUIRE(d.y.shape() == (std::vector<std::size_t>{M}));
  for (std::size_t i = 0; i < M; ++i) BOOST_TEST(d.y(i) == static_cast<double>(y[i]), what << " label " << i);
  Comparison c;
  for (std::size_t i = 0; i < N; ++i) {
    const double diff = std::abs(d.x.data()[i] - x[i]);
    BOOST_TEST(diff <= 1e-12, what << " x[" << i << "] = " << d.x.data()[i] << ", sklearn " << x[i]);
    c.max_abs_diff = std::max(c.max_abs_diff, diff);
    c.identical += same_bits(d.x.data()[i], x[i]) ? 1 : 0;
  }
#if defined(__GLIBC__)
  const std::vector<double> scalar = scalar_libm_values(x, patch, patch_size);
  for (std::size_t i = 0; i < N; ++i)
    BOOST_TEST(same_bits(d.x.data()[i], scalar[i]),
               what << " x[" << i << "] not bit-identical to numpy's scalar libm path: " << d.x.data()[i] << " vs "
                    << scalar[i]);
#else
  (void)patch;
  (void)patch_size;
#endif
  BOOST_TEST_MESSAGE(what << ": " << c.identical << " of " << N << " coordinates bit-identical to the AVX-512 run, max |diff| "
                          << c.max_abs_diff);
  return c;
}

}  // namespace

// ---- RandomState ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(seeding_is_init_genrand) {
  RandomState rs(5);
  BOOST_TEST(rs.pos() == 624u);
  for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(rs.key()[i] == fx::rs5_key_head[i]);
  BOOST_TEST(rs.key()[623] == fx::rs5_key_623[0]);
  BOOST_TEST(!rs.has_gauss());
}

BOOST_AUTO_TEST_CASE(mt19937_matches_std_and_the_standard) {
  // std::mt19937(seed) is specified with the same init_genrand seeding and tempering.
  for (std::uint32_t seed : {0u, 1u, 5u, 42u, 4294967295u}) {
    RandomState rs(seed);
    std::mt19937 ref(seed);
    for (int i = 0; i < 2000; ++i) BOOST_REQUIRE_EQUAL(rs.next_uint32(), ref());
  }
  // [rand.predef]: the 10000th output of a default-constructed mt19937 (seed 5489) is 4123659995.
  RandomState rs(5489);
  std::uint32_t v = 0;
  for (int i = 0; i < 10000; ++i) v = rs.next_uint32();
  BOOST_TEST(v == 4123659995u);
}

BOOST_AUTO_TEST_CASE(legacy_stream_is_bit_exact) {
  // One continuing RandomState(5) stream, as the fixture generator drew it.
  RandomState rs(5);
  for (std::uint32_t want : fx::rs5_raw_u32) BOOST_TEST(rs.next_uint32() == want);
  std::vector<double> got;
  for (int i = 0; i < 5; ++i) got.push_back(rs.random_sample());
  check_bits(got, fx::rs5_random_sample, "random_sample");
  got.clear();
  for (int i = 0; i < 5; ++i) got.push_back(rs.standard_normal());
  check_bits(got, fx::rs5_standard_normal, "standard_normal");
  BOOST_TEST(rs.has_gauss());  // odd count: the pair's second value is kept
  for (std::int64_t want : fx::rs5_randint_0_10) BOOST_TEST(rs.randint(0, 10) == want);
  const std::vector<std::size_t> perm = rs.permutation(10);
  BOOST_TEST(perm == std::vector<std::size_t>(std::begin(fx::rs5_permutation_10), std::end(fx::rs5_permutation_10)),
             boost::test_tools::per_element());
  BOOST_TEST(rs.has_gauss());  // integer draws leave the kept gaussian alone
  got.clear();
  for (int i = 0; i < 3; ++i) got.push_back(rs.standard_normal());
  check_bits(got, fx::rs5_standard_normal_after, "standard_normal after");
  got.clear();
  for (int i = 0; i < 3; ++i) got.push_back(rs.uniform(-1.0, 3.0));
  check_bits(got, fx::rs5_uniform_m1_3, "uniform(-1, 3)");
  xt::xarray<double> normals = rs.normal(1.5, 2.0, {3});
  check_bits(std::vector<double>(normals.begin(), normals.end()), fx::rs5_normal_1p5_2, "normal(1.5, 2)");
  for (std::int64_t want : fx::rs5_randint_big) BOOST_TEST(rs.randint(-5, std::int64_t{1} << 40) == want);
  std::vector<std::size_t> items(12);
  for (std::size_t i = 0; i < 12; ++i) items[i] = i;
  rs.shuffle(items);
  BOOST_TEST(items == std::vector<std::size_t>(std::begin(fx::rs5_shuffle_12), std::end(fx::rs5_shuffle_12)),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(other_seeds) {
  RandomState big(std::uint32_t{4294967295u});
  check_bits(std::vector<double>{big.random_sample(), big.random_sample()}, fx::rs_max_seed_random_sample,
             "RandomState(2**32 - 1)");
  RandomState zero(0);
  xt::xarray<double> u = zero.random_sample({3});
  check_bits(std::vector<double>(u.begin(), u.end()), fx::rs0_random_sample, "RandomState(0)");
  RandomState dflt;
  BOOST_TEST(same_bits(dflt.random_sample(), fx::rs0_random_sample[0]));
  // reseed restarts the stream and drops a kept gaussian
  zero.standard_normal();
  BOOST_TEST(zero.has_gauss());
  zero.reseed(0);
  BOOST_TEST(!zero.has_gauss());
  BOOST_TEST(same_bits(zero.random_sample(), fx::rs0_random_sample[0]));
}

BOOST_AUTO_TEST_CASE(shuffle_rows_uses_the_same_draws) {
  xt::xarray<int> m = {{0, 0}, {1, 10}, {2, 20}, {3, 30}, {4, 40}, {5, 50}, {6, 60}, {7, 70}, {8, 80}, {9, 90}, {10, 100}, {11, 110}};
  RandomState a(5), b(5);
  a.shuffle(m);
  std::vector<std::size_t> v(12);
  for (std::size_t i = 0; i < 12; ++i) v[i] = i;
  b.shuffle(v);
  for (std::size_t i = 0; i < 12; ++i) {
    BOOST_TEST(m(i, 0) == static_cast<int>(v[i]));
    BOOST_TEST(m(i, 1) == static_cast<int>(10 * v[i]));
  }
}

BOOST_AUTO_TEST_CASE(random_state_errors_and_edge_cases) {
  BOOST_CHECK_THROW(RandomState(-1), std::invalid_argument);
  BOOST_CHECK_THROW(RandomState(std::int64_t{1} << 32), std::invalid_argument);
  BOOST_CHECK_NO_THROW(RandomState(std::uint64_t{4294967295u}));
  RandomState rs(1);
  BOOST_CHECK_THROW(rs.randint(3, 3), std::invalid_argument);
  BOOST_CHECK_THROW(rs.randint(4, 3), std::invalid_argument);
  BOOST_CHECK_THROW(rs.normal(0.0, -1.0), std::invalid_argument);
  BOOST_CHECK_THROW(rs.normal(0.0, std::nan(""), {2}), std::invalid_argument);
  xt::xarray<int> scalar = 3;
  BOOST_CHECK_THROW(rs.shuffle(scalar), std::invalid_argument);
  // A one-value range and random_interval(0) draw nothing, as in numpy.
  RandomState a(9), b(9);
  BOOST_TEST(a.randint(7, 8) == 7);
  BOOST_TEST(a.random_interval(0) == 0u);
  BOOST_TEST(a.next_uint32() == b.next_uint32());
  // the full 32-bit range takes each output as it is
  RandomState c(9), d(9);
  BOOST_TEST(static_cast<std::uint64_t>(c.randint(0, std::int64_t{1} << 32)) == d.next_uint32());
  // randint spans the whole int64 range without overflow
  RandomState e(3);
  for (int i = 0; i < 100; ++i) {
    const std::int64_t v = e.randint(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
    BOOST_TEST(v < std::numeric_limits<std::int64_t>::max());
  }
  std::vector<std::size_t> none;
  rs.shuffle(none);
  BOOST_TEST(rs.permutation(0).empty());
  BOOST_TEST(rs.permutation(1) == std::vector<std::size_t>{0});
}

// ---- make_moons / make_circles ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(moons_seed_workload) {
  const auto d = datasets::make_moons(100, 0.25, 2);
  const Comparison c = check_points(d, fx::moons100_X, fx::moons100_y, fx::moons100_X_scalar_patch,
                                    fx::moons100_X_scalar_patch_size, "make_moons(100, noise=0.25, random_state=2)");
  BOOST_TEST(c.max_abs_diff < 1e-15);  // SVML vs libm cos/sin: last-bit differences only
}

BOOST_AUTO_TEST_CASE(moons_small) {
  check_points(datasets::make_moons(7, 0.1, 0), fx::moons7_X, fx::moons7_y, fx::moons7_X_scalar_patch,
               fx::moons7_X_scalar_patch_size, "make_moons(7, noise=0.1, random_state=0)");
  check_points(datasets::make_moons(10, 0.0, 0, false), fx::moons10_plain_X, fx::moons10_plain_y,
               fx::moons10_plain_X_scalar_patch, fx::moons10_plain_X_scalar_patch_size, "make_moons(10, shuffle=False)");
}

BOOST_AUTO_TEST_CASE(circles) {
  check_points(datasets::make_circles(20, 0.05, 3, 0.5), fx::circles20_X, fx::circles20_y, fx::circles20_X_scalar_patch,
               fx::circles20_X_scalar_patch_size, "make_circles(20, noise=0.05, random_state=3, factor=0.5)");
  check_points(datasets::make_circles(7, 0.0, 0), fx::circles7_X, fx::circles7_y, fx::circles7_X_scalar_patch,
               fx::circles7_X_scalar_patch_size, "make_circles(7, random_state=0)");
}

BOOST_AUTO_TEST_CASE(float_variant_is_the_double_points_cast) {
  const auto d = datasets::make_moons(100, 0.25, 2);
  const auto f = datasets::make_moons<float>(100, 0.25, 2);
  BOOST_REQUIRE(f.x.shape() == d.x.shape());
  for (std::size_t i = 0; i < d.x.size(); ++i) BOOST_TEST(f.x.data()[i] == static_cast<float>(d.x.data()[i]));
  for (std::size_t i = 0; i < d.y.size(); ++i) BOOST_TEST(f.y(i) == static_cast<float>(d.y(i)));
  const auto cf = datasets::make_circles<float>(20, 0.05, 3, 0.5);
  const auto cd = datasets::make_circles(20, 0.05, 3, 0.5);
  for (std::size_t i = 0; i < cd.x.size(); ++i) BOOST_TEST(cf.x.data()[i] == static_cast<float>(cd.x.data()[i]));
}

BOOST_AUTO_TEST_CASE(shared_random_state_is_advanced) {
  RandomState rng(2);
  const auto a = datasets::make_moons(100, 0.25, rng);
  const auto b = datasets::make_moons(100, 0.25, 2);
  for (std::size_t i = 0; i < a.x.size(); ++i) BOOST_TEST(same_bits(a.x.data()[i], b.x.data()[i]));
  // sklearn draws permutation(100), then 200 normals
  RandomState ref(2);
  ref.permutation(100);
  ref.standard_normal({200});
  BOOST_TEST(rng.next_uint32() == ref.next_uint32());
  // a second call continues the stream: different points
  const auto c = datasets::make_moons(100, 0.25, rng);
  BOOST_TEST(xt::any(xt::not_equal(c.x, a.x)));
}

BOOST_AUTO_TEST_CASE(degenerate_sizes_as_sklearn) {
  const auto none = datasets::make_moons(0, 0.1, 0);
  BOOST_TEST((none.x.shape() == std::vector<std::size_t>{0, 2}));
  BOOST_TEST((none.y.shape() == std::vector<std::size_t>{0}));
  const auto one = datasets::make_moons(1, 0.0, 0);  // sklearn: [[0.0, 0.5]], [1]
  BOOST_TEST(one.x(0, 0) == 0.0);
  BOOST_TEST(one.x(0, 1) == 0.5);
  BOOST_TEST(one.y(0) == 1.0);
  const auto two = datasets::make_moons(2, 0.0, 0);  // sklearn: [[0.0, 0.5], [1.0, 0.0]], [1, 0]
  BOOST_TEST(two.x(0, 0) == 0.0);
  BOOST_TEST(two.x(0, 1) == 0.5);
  BOOST_TEST(two.x(1, 0) == 1.0);
  BOOST_TEST(two.x(1, 1) == 0.0);
  BOOST_TEST(two.y(0) == 1.0);
  BOOST_TEST(two.y(1) == 0.0);
  const auto ring = datasets::make_circles(1, 0.0, 0);  // sklearn: [[0.8, 0.0]], [1]
  BOOST_TEST(ring.x(0, 0) == 0.8);
  BOOST_TEST(ring.x(0, 1) == 0.0);
  BOOST_TEST(ring.y(0) == 1.0);
}

BOOST_AUTO_TEST_CASE(linspace_as_numpy) {
  const auto a = datasets::linspace(0.0, 1.0, 5);
  BOOST_TEST(a == (xt::xarray<double>{0.0, 0.25, 0.5, 0.75, 1.0}));
  const auto b = datasets::linspace(0.0, 1.0, 4, false);
  BOOST_TEST(b == (xt::xarray<double>{0.0, 0.25, 0.5, 0.75}));
  BOOST_TEST(datasets::linspace(2.0, 3.0, 1) == (xt::xarray<double>{2.0}));
  BOOST_TEST(datasets::linspace(0.0, 1.0, 0).size() == 0u);
  const auto c = datasets::linspace(0.0, std::numbers::pi, 50);
  BOOST_TEST(c(49) == std::numbers::pi);  // the endpoint exactly
  BOOST_TEST(c(7) == 7.0 * (std::numbers::pi / 49.0));
}

BOOST_AUTO_TEST_CASE(bad_arguments) {
  BOOST_CHECK_THROW(datasets::make_moons(10, -0.1, 0), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::make_moons(10, std::nan(""), 0), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::make_moons(10, std::numeric_limits<double>::infinity(), 0), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::make_moons(10, 0.1, -1), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::make_moons(10, 0.1, std::int64_t{1} << 32), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::make_circles(10, 0.1, 0, 1.0), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::make_circles(10, 0.1, 0, -0.1), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::make_circles(10, 0.1, 0, std::nan("")), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::make_circles(10, -1.0, 0), std::invalid_argument);
  BOOST_CHECK_NO_THROW(datasets::make_circles(10, 0.0, 0, 0.0));
  try {
    datasets::make_circles(10, 0.1, 0, 1.5);
    BOOST_FAIL("no throw");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("factor") != std::string::npos);
  }
  try {
    datasets::make_moons(10, -2.0, 0);
    BOOST_FAIL("no throw");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("noise") != std::string::npos);
  }
}
