// Sparse-weight products (autodiff/sparse.hpp): with the sparse path forced on, matmul and linear
// give the BLAS's results up to rounding — forward, input gradient, every density from 0 to 1,
// shapes with k or n = 1, empty batches, both kernels (dot products for one row, SIMD panels for
// more) — NaN and inf in x propagate as on the BLAS, and the cached compressed form follows every
// mutable_value(). ctest runs this with TAPEFLOW_SPARSE=on, and once with an invalid value.
#define BOOST_TEST_MODULE sparse
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <autodiff/autodiff.hpp>

#include "common/check.hpp"

namespace {

// Restores the mode a test changed.
struct ModeGuard {
  ad::SparseKernels before = ad::sparse_kernels();
  ~ModeGuard() { ad::set_sparse_kernels(before); }
};

template <class T>
xt::xarray<T> random_matrix(std::size_t rows, std::size_t cols, double density, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::bernoulli_distribution keep(density);
  xt::xarray<T> a = xt::xarray<T>::from_shape({rows, cols});
  for (auto& v : a) v = keep(rng) ? T(u(rng)) : (u(rng) < 0 ? T(-0.0) : T(0));
  return a;
}

// The same computation with the sparse path forced on and off.
template <class T, class F>
std::pair<xt::xarray<T>, xt::xarray<T>> on_and_off(F&& f) {
  ModeGuard guard;
  ad::set_sparse_kernels(ad::SparseKernels::on);
  xt::xarray<T> on = f();
  ad::set_sparse_kernels(ad::SparseKernels::off);
  xt::xarray<T> off = f();
  return {on, off};
}

// Equal up to float rounding of sums of `terms` products of magnitude ≤ 1; NaN where NaN.
template <class T>
void check_same(const xt::xarray<T>& sparse, const xt::xarray<T>& dense, std::size_t terms, const std::string& what) {
  BOOST_TEST_REQUIRE(sparse.shape() == dense.shape(), what);
  const double tolerance = 4.0 * double(terms + 1) * std::numeric_limits<T>::epsilon();
  for (std::size_t i = 0; i < dense.size(); ++i) {
    const T s = sparse.data()[i], d = dense.data()[i];
    if (std::isnan(d) || std::isnan(s)) {
      BOOST_TEST((std::isnan(d) && std::isnan(s)), what << " at " << i << ": " << s << " vs " << d);
    } else if (std::isinf(d) || std::isinf(s)) {
      BOOST_TEST(s == d, what << " at " << i);
    } else {
      BOOST_TEST(std::abs(double(s) - double(d)) <= tolerance, what << " at " << i << ": " << s << " vs " << d);
    }
  }
}

struct Case {
  std::size_t m, k, n;
};
// Dot products (m = 1), panels (m ≥ 2, padded to a multiple of 8 rows: 70 → 64 + 8, 100 → 64 + 32
// + 8), k or n = 1, m = 0.
const std::vector<Case> cases{{1, 7, 5},   {3, 1, 4},    {5, 6, 1},     {0, 4, 3},  {8, 9, 2},
                              {70, 33, 17}, {2, 40, 25}, {100, 12, 6}, {1, 1, 1}, {16, 20, 40}};
const std::vector<double> densities{0, 0.01, 0.1, 0.5, 1};

template <class T>
void check_products(const Case& c, double density, unsigned seed) {
  const std::string what = "m " + std::to_string(c.m) + " k " + std::to_string(c.k) + " n " + std::to_string(c.n) +
                           " density " + std::to_string(density);
  const ad::Var<T> w(random_matrix<T>(c.k, c.n, density, seed), true);
  const ad::Var<T> x(random_matrix<T>(c.m, c.k, 1, seed + 1)), g(random_matrix<T>(c.m, c.n, 1, seed + 2));
  xt::xarray<T> bias = random_matrix<T>(1, c.n, 1, seed + 3);
  bias.reshape({c.n});
  const ad::Var<T> b(bias);
  auto [xw, xw_dense] = on_and_off<T>([&] { return ad::matmul(x, w).value(); });
  check_same(xw, xw_dense, c.k, what + " x·W");
  auto [gwt, gwt_dense] = on_and_off<T>([&] { return ad::matmul(g, w, false, true).value(); });
  check_same(gwt, gwt_dense, c.n, what + " g·Wᵀ");
  auto [lin, lin_dense] = on_and_off<T>([&] { return ad::linear(x, w, b, ad::Activation::relu).value(); });
  check_same(lin, lin_dense, c.k + 1, what + " linear");
}

}  // namespace

// First, before any test sets the mode: the environment's (ctest sets TAPEFLOW_SPARSE).
BOOST_AUTO_TEST_CASE(environment_variable) {
  const char* env = std::getenv("TAPEFLOW_SPARSE");
  const std::string value = env ? env : "";
  if (value.empty() || value == "auto") {
    BOOST_TEST((ad::sparse_kernels() == ad::SparseKernels::automatic));
  } else if (value == "on" || value == "off") {
    BOOST_TEST((ad::sparse_kernels() == (value == "on" ? ad::SparseKernels::on : ad::SparseKernels::off)));
  } else {
    test::check_error<ad::ValueError>([] { ad::sparse_kernels(); },
                                         {"TAPEFLOW_SPARSE must be off, on or auto, got '" + value + "'"});
  }
}

BOOST_AUTO_TEST_CASE(modes_by_name) {
  ModeGuard guard;
  ad::set_sparse_kernels("off");
  BOOST_TEST((ad::sparse_kernels() == ad::SparseKernels::off));
  ad::set_sparse_kernels("auto");
  BOOST_TEST((ad::sparse_kernels() == ad::SparseKernels::automatic));
  ad::set_sparse_kernels("on");
  BOOST_TEST((ad::sparse_kernels() == ad::SparseKernels::on));
  test::check_error<ad::ValueError>([] { ad::set_sparse_kernels("sparse"); },
                                       {"ad::set_sparse_kernels must be off, on or auto, got 'sparse'"});
  BOOST_TEST((ad::sparse_kernels() == ad::SparseKernels::on));  // unchanged
}

BOOST_AUTO_TEST_CASE(products_equal_the_blas_for_every_density_and_shape) {
  unsigned seed = 1;
  for (const Case& c : cases) {
    for (const double density : densities) {
      check_products<float>(c, density, seed += 10);
      check_products<double>(c, density, seed += 10);
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_through_linear_equal_the_blas) {
  const ad::Var<double> w(random_matrix<double>(12, 9, 0.1, 3), true);
  const ad::Var<double> x(random_matrix<double>(10, 12, 1, 4), true), b(xt::xarray<double>(xt::zeros<double>({9})), true);
  for (std::size_t i = 0; i < 2; ++i) {
    auto [on, off] = on_and_off<double>([&] {
      return ad::grad(ad::sum(ad::square(ad::linear(x, w, b, ad::Activation::tanh))), {x, w})[i].value();
    });
    check_same(on, off, 12, i == 0 ? "gradient of x" : "gradient of W");
  }
}

BOOST_AUTO_TEST_CASE(nan_and_inf_in_x_propagate_as_on_the_blas) {
  // W has zeros in every column: the BLAS gives NaN wherever inf or NaN meets them (0·inf = NaN).
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (const std::size_t m : {1u, 2u, 9u}) {
    xt::xarray<double> xv = random_matrix<double>(m, 6, 1, 5);
    xv(0, 1) = inf;
    xv(m - 1, 4) = m > 1 ? nan : -inf;
    const ad::Var<double> x(xv), w(random_matrix<double>(6, 4, 0.3, 6), true);
    auto [on, off] = on_and_off<double>([&] { return ad::matmul(x, w).value(); });
    check_same(on, off, 6, "x with inf/NaN, m " + std::to_string(m));
  }
  // inf in W itself is a nonzero: kept, and 0·inf in x's zeros gives NaN on both paths.
  xt::xarray<double> wv = random_matrix<double>(3, 2, 0.5, 7);
  wv(1, 0) = inf;
  const ad::Var<double> w(wv, true), x(xt::xarray<double>{{1.0, 0.0, 2.0}, {0.5, 1.0, 0.0}});
  auto [on, off] = on_and_off<double>([&] { return ad::matmul(x, w).value(); });
  check_same(on, off, 3, "W with inf");
}

BOOST_AUTO_TEST_CASE(the_cached_form_follows_mutable_value) {
  ModeGuard guard;
  const ad::Var<float> w(random_matrix<float>(20, 6, 0.2, 8), true);
  const ad::Var<float> x(random_matrix<float>(9, 20, 1, 9)), one(random_matrix<float>(1, 20, 1, 10));
  for (int step = 0; step < 4; ++step) {
    ad::set_sparse_kernels(ad::SparseKernels::on);
    const xt::xarray<float> batch = ad::matmul(x, w).value(), single = ad::matmul(one, w).value();
    ad::set_sparse_kernels(ad::SparseKernels::off);
    check_same(batch, xt::xarray<float>(ad::matmul(x, w).value()), 20, "batch, step " + std::to_string(step));
    check_same(single, xt::xarray<float>(ad::matmul(one, w).value()), 20, "one row, step " + std::to_string(step));
    // An optimizer-like step: in place, then a new value of the same shape.
    auto& value = w.mutable_value();
    if (step % 2 == 0) {
      value(step, 1) = 0;
      value(step + 1, 2) = 3.5f;
    } else {
      value = random_matrix<float>(20, 6, 0.05 * step, 20 + step);
    }
  }
  // A new shape: the next product uses it, not the cached (20, 6) form.
  w.mutable_value() = random_matrix<float>(20, 3, 0.1, 30);
  auto [on, off] = on_and_off<float>([&] { return ad::matmul(x, w).value(); });
  check_same(on, off, 20, "after a reshaping assignment");
}

BOOST_AUTO_TEST_CASE(automatic_mode_agrees_with_off) {
  ModeGuard guard;
  const ad::Var<float> w(random_matrix<float>(64, 32, 0.02, 11), true), x(random_matrix<float>(40, 64, 1, 12));
  ad::set_sparse_kernels(ad::SparseKernels::automatic);
  const xt::xarray<float> automatic = ad::matmul(x, w).value();
  ad::set_sparse_kernels(ad::SparseKernels::off);
  check_same(automatic, xt::xarray<float>(ad::matmul(x, w).value()), 64, "automatic");
}

BOOST_AUTO_TEST_CASE(automatic_mode_follows_a_weight_from_dense_to_sparse_and_back) {
  // 512×512 is a "large" W for the rule: one row takes the sparse path up to 10% nonzeros. A dense
  // value is only counted (not compressed); the next value, sparse, must be compressed and used.
  ModeGuard guard;
  const ad::Var<float> w(random_matrix<float>(512, 512, 0.5, 13), true), x(random_matrix<float>(1, 512, 1, 14));
  const double densities[] = {0.5, 0.05, 0.3, 0.01};
  for (std::size_t step = 0; step < 4; ++step) {
    if (step > 0) w.mutable_value() = random_matrix<float>(512, 512, densities[step], 15 + unsigned(step));
    ad::set_sparse_kernels(ad::SparseKernels::automatic);
    const xt::xarray<float> automatic = ad::matmul(x, w).value(), transposed = ad::matmul(x, w, false, true).value();
    ad::set_sparse_kernels(ad::SparseKernels::off);
    const std::string what = "density " + std::to_string(densities[step]);
    check_same(automatic, xt::xarray<float>(ad::matmul(x, w).value()), 512, what);
    check_same(transposed, xt::xarray<float>(ad::matmul(x, w, false, true).value()), 512, what + ", x·Wᵀ");
  }
}
