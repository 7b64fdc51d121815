// Tensor creation: constants, ranges as numpy counts them, eye, from_vector, the seeded
// Generator (pinned values), random tensors, and .npy files.
#define BOOST_TEST_MODULE creation
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <vector>

#include <xtensor/xbuilder.hpp>

#include "common/check.hpp"
#include "common/temp_dir.hpp"

using test::Array;
using test::V;

BOOST_AUTO_TEST_CASE(constants_have_their_shape_and_value) {
  const V z = ad::zeros<double>({2, 3}, true);
  BOOST_TEST(ad::shape_str(z.shape()) == "(2, 3)");
  BOOST_TEST(z.requires_grad());
  test::check_close(z.value(), xt::zeros<double>({2, 3}));
  test::check_close(ad::ones<double>({4}).value(), Array{1, 1, 1, 1});
  test::check_close(ad::full<double>({2, 2}, -2.5).value(), Array{{-2.5, -2.5}, {-2.5, -2.5}});
  BOOST_TEST(ad::full<float>({}, 3.0f).item() == 3.0f);  // 0-D
  BOOST_TEST(ad::zeros<float>({0, 4}).size() == 0u);
  const V x(Array{{1, 2, 3}});
  test::check_close(ad::zeros_like(x).value(), Array{{0, 0, 0}});
  test::check_close(ad::ones_like(x).value(), Array{{1, 1, 1}});
  BOOST_TEST(!ad::ones_like(x).requires_grad());
}

BOOST_AUTO_TEST_CASE(arange_counts_like_numpy) {
  test::check_close(ad::arange<double>(5).value(), Array{0, 1, 2, 3, 4});
  test::check_close(ad::arange<double>(2, 5).value(), Array{2, 3, 4});
  test::check_close(ad::arange<double>(0, 1, 0.25).value(), Array{0, 0.25, 0.5, 0.75});
  test::check_close(ad::arange<double>(5, 0, -2).value(), Array{5, 3, 1});
  // numpy.arange(0, 1, 0.1) has 10 values; arange(1, 1.3, 0.1) has 4 (numpy's documented
  // surprise: (1.3 - 1) / 0.1 = 3.0000000000000004 in double, whose ceil is 4). Checked with numpy.
  BOOST_TEST(ad::arange<double>(0, 1, 0.1).size() == 10u);
  BOOST_TEST(ad::arange<double>(1, 1.3, 0.1).size() == 4u);
  BOOST_TEST(ad::arange<float>(0, 1, 0.1f).size() == 10u);
  BOOST_TEST(ad::arange<double>(0.5, 0.5).size() == 0u);
  BOOST_TEST(ad::arange<double>(3, 1).size() == 0u);  // wrong direction: empty, as numpy
  BOOST_TEST(ad::arange<double>(0, 1, 0.1).value()(7) == 0.7000000000000001);  // 0 + 7 * 0.1, as numpy
  test::check_error<ad::ValueError>([] { ad::arange<double>(0, 1, 0); }, {"arange", "step", "0"});
  test::check_error<ad::ValueError>([] { ad::arange<double>(0, std::nan(""), 1); }, {"arange", "stop", "nan"});
}

BOOST_AUTO_TEST_CASE(linspace_includes_both_endpoints_exactly) {
  const V t = ad::linspace<double>(0, 1, 11);
  BOOST_TEST(t.size() == 11u);
  BOOST_TEST(t.value()(0) == 0.0);
  BOOST_TEST(t.value()(10) == 1.0);
  BOOST_TEST(t.value()(3) == 0.30000000000000004);  // 3 * 0.1, as numpy
  const ad::Var<float> u = ad::linspace<float>(-0.1f, 0.7f, 7);
  BOOST_TEST(u.value()(0) == -0.1f);
  BOOST_TEST(u.value()(6) == 0.7f);
  test::check_close(ad::linspace<double>(2, -2, 5).value(), Array{2, 1, 0, -1, -2});
  test::check_close(ad::linspace<double>(3, 9, 1).value(), Array{3});
  BOOST_TEST(ad::linspace<double>(0, 1, 0).size() == 0u);
  BOOST_TEST(ad::shape_str(ad::linspace<double>(0, 1, 0).shape()) == "(0,)");
}

BOOST_AUTO_TEST_CASE(eye_and_from_vector) {
  test::check_close(ad::eye<double>(3).value(), Array{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
  test::check_close(ad::eye<double>(2, 3).value(), Array{{1, 0, 0}, {0, 1, 0}});
  BOOST_TEST(ad::eye<float>(0).size() == 0u);
  const V m = ad::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}, true);
  test::check_close(m.value(), Array{{1, 2, 3}, {4, 5, 6}});
  BOOST_TEST(m.requires_grad());
  BOOST_TEST(ad::from_vector(std::vector<float>{7}, {}).item() == 7.0f);
  test::check_error<ad::ShapeError>([] { ad::from_vector(std::vector<double>{1, 2, 3, 4, 5}, {2, 3}); },
                                    {"from_vector", "5 values", "(2, 3)", "6 elements"});
}

BOOST_AUTO_TEST_CASE(generator_is_seeded_and_pinned) {
  // std::mt19937_64's output is fixed by the standard: its default seed 5489 starts with this.
  ad::Generator standard(5489);
  BOOST_TEST(standard.bits() == 14514284786278117030ull);
  ad::Generator a(42), b(42), c(43);
  std::vector<double> da, db, dc;
  for (int i = 0; i < 8; ++i) {
    da.push_back(a.normal());
    db.push_back(b.normal());
    dc.push_back(c.normal());
  }
  BOOST_TEST(da == db);
  BOOST_TEST(da != dc);
  // Pinned: these exact numbers on every platform and compiler (see autodiff/generator.hpp).
  ad::Generator g(2024);
  BOOST_TEST(g.uniform() == 0.612684545263525);
  BOOST_TEST(g.uniform() == 0.79471606632696579);
  BOOST_TEST(g.normal() == -1.2166635819871587);
  BOOST_TEST(g.normal() == -0.86029753861470992);
  BOOST_TEST(g.normal() == 0.69713821433695289);
  g.seed(2024);
  BOOST_TEST(g.uniform() == 0.612684545263525);
  const ad::Var<float> w = ad::normal<float>({3}, g, 1.0f, 0.5f);
  ad::Generator h(2024);
  h.uniform();
  BOOST_TEST(w.value()(0) == static_cast<float>(1.0 + 0.5 * h.normal()));
}

BOOST_AUTO_TEST_CASE(normal_and_uniform_samples_have_their_moments) {
  ad::Generator gen(7);
  const Array n = ad::normal<double>({100000}, gen, 2.0, 3.0).value();
  const double mean = xt::mean(n)();
  const double sd = std::sqrt(xt::mean(xt::square(n - mean))());
  BOOST_TEST(std::abs(mean - 2.0) < 0.03);  // standard error 3 / sqrt(1e5) ~ 0.0095
  BOOST_TEST(std::abs(sd - 3.0) < 0.03);
  const auto u = ad::uniform<float>({100000}, gen, -1.0f, 3.0f).value();
  BOOST_TEST(xt::amin(u)() >= -1.0f);
  BOOST_TEST(xt::amax(u)() < 3.0f);
  BOOST_TEST(std::abs(xt::mean(u)() - 1.0f) < 0.02f);
  BOOST_TEST(ad::normal<double>({2, 2}, gen, 0, 0).value() == xt::zeros<double>({2, 2}));  // std 0 is allowed
  test::check_error<ad::ValueError>([&] { ad::normal<double>({2}, gen, 0, -1); }, {"normal", "std", "-1"});
  test::check_error<ad::ValueError>([&] { ad::normal<double>({2}, gen, 0, std::nan("")); }, {"normal", "std", "nan"});
  test::check_error<ad::ValueError>([&] { ad::uniform<double>({2}, gen, 1, 1); }, {"uniform", "lo 1", "hi 1"});
  test::check_error<ad::ValueError>([&] { ad::uniform<double>({2}, gen, 2, 1); }, {"uniform", "lo 2", "hi 1"});
}

namespace {
template <class T>
void check_round_trip(const test::TempDir& dir, const xt::xarray<T>& a, const std::string& name) {
  ad::save_npy(dir / name, ad::Var<T>(a));
  const ad::Var<T> b = ad::load_npy<T>(dir / name);
  BOOST_TEST(ad::shape_str(b.shape()) == ad::shape_str(a.shape()));
  BOOST_TEST(b.value() == a);
  BOOST_TEST(!b.requires_grad());
}
}  // namespace

BOOST_AUTO_TEST_CASE(npy_round_trips_float_and_double_including_0d_and_empty) {
  test::TempDir dir("npy");
  ad::Generator gen(1);
  check_round_trip<float>(dir, ad::normal<float>({3, 4}, gen).value(), "f.npy");
  check_round_trip<double>(dir, ad::normal<double>({2, 3, 2}, gen).value(), "d.npy");
  check_round_trip<double>(dir, xt::xarray<double>(2.5), "scalar.npy");
  check_round_trip<float>(dir, xt::xarray<float>::from_shape({0}), "empty.npy");
  check_round_trip<double>(dir, xt::xarray<double>::from_shape({3, 0}), "empty2.npy");
  // Saving again replaces the file.
  check_round_trip<double>(dir, xt::xarray<double>{1, 2}, "d.npy");
  // What numpy.save (numpy 1.24) writes for np.float32(2.5) as a 0-D array: a 128-byte header.
  const std::string numpy_file = std::string("\x93NUMPY\x01\x00v\x00", 10) +
                                 "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" + std::string(62, ' ') +
                                 "\n" + std::string("\x00\x00\x20\x40", 4);
  {
    std::ofstream out(dir / "numpy.npy", std::ios::binary);
    out << numpy_file;
  }
  const ad::Var<float> loaded = ad::load_npy<float>(dir / "numpy.npy");
  BOOST_TEST(loaded.dim() == 0u);
  BOOST_TEST(loaded.item() == 2.5f);
}

BOOST_AUTO_TEST_CASE(load_npy_refuses_another_dtype_and_names_file_and_dtypes) {
  test::TempDir dir("npy");
  ad::save_npy(dir / "f.npy", ad::ones<float>({2}));
  test::check_error<ad::FileError>([&] { ad::load_npy<double>(dir / "f.npy"); },
                                    {"load_npy", dir / "f.npy", "'<f4' (float32)", "'<f8' (float64)"});
  test::check_error<ad::FileError>([&] { ad::load_npy<float>(dir / "missing.npy"); }, {"load_npy", "missing.npy"});
  {
    std::ofstream bad(dir / "bad.npy", std::ios::binary);
    bad << "not a numpy file";
  }
  test::check_error<ad::FileError>([&] { ad::load_npy<float>(dir / "bad.npy"); },
                                   {"load_npy", "bad.npy", "magic"});
  test::check_error<ad::FileError>([&] { ad::save_npy(dir / "no/such/dir/x.npy", ad::ones<float>({1})); },
                                   {"save_npy", "x.npy"});
}
