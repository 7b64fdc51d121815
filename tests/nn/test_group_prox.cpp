// Proximal SGD and Adam with group penalties: the closed-form group lasso of an orthogonal design,
// the group lasso's zero condition under Adam, and scikit-learn's MultiTaskLasso
// (fixtures/multitask_lasso.hpp, made by fixtures/make_multitask_lasso.py).
#define BOOST_TEST_MODULE group_prox
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <nn/nn.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xmath.hpp>

#include "common/check.hpp"
#include "fixtures/multitask_lasso.hpp"

using test::Array;
using test::V;
using P = nn::Parameter<double>;

namespace {

// a·b by explicit sums.
Array product(const Array& a, const Array& b) {
  Array c = xt::zeros<double>({a.shape()[0], b.shape()[1]});
  for (std::size_t i = 0; i < a.shape()[0]; ++i)
    for (std::size_t j = 0; j < b.shape()[1]; ++j)
      for (std::size_t k = 0; k < a.shape()[1]; ++k) c(i, j) += a(i, k) * b(k, j);
  return c;
}

// Rows of w scaled by max(0, 1 − t/‖row‖): the block soft threshold.
Array block_threshold(Array w, double t) {
  for (std::size_t i = 0; i < w.shape()[0]; ++i) {
    double norm2 = 0;
    for (std::size_t j = 0; j < w.shape()[1]; ++j) norm2 += w(i, j) * w(i, j);
    const double scale = std::max(0.0, 1 - t / std::sqrt(norm2));
    for (std::size_t j = 0; j < w.shape()[1]; ++j) w(i, j) *= scale;
  }
  return w;
}

// Group lasso by rows of W (4 × 2) under the loss (1/(2n))·‖XW − Y‖²_F, X the 4 × 4 Hadamard
// matrix: XᵀX = nI, so the loss is ½‖W − Z‖²_F + const with Z = XᵀY/n, and the minimizer of
// loss + λ√2·Σ_j ‖W_j‖ is the block soft threshold of Z's rows by λ√2 (after the soft threshold
// by l1 for the sparse group lasso). Y = XZ makes XᵀY/n the Z written here.
struct OrthogonalDesign {
  Array X{{1.0, 1.0, 1.0, 1.0}, {1.0, -1.0, 1.0, -1.0}, {1.0, 1.0, -1.0, -1.0}, {1.0, -1.0, -1.0, 1.0}};
  // Row norms √5, 0.36, 1.80, 0.14 against the threshold λ√2 = 0.5·√2 = 0.707.
  Array Z{{2.0, 1.0}, {0.3, -0.2}, {-1.5, 1.0}, {0.1, 0.1}};
  Array Y = product(X, Z);  // XᵀY/n = XᵀXZ/n = Z

  // `steps` full-batch steps of `config` from a fixed start, with the kernel's regularizer `r`.
  Array solve(const nn::OptimizerConfig& config, const nn::Regularizer& r, int steps) const {
    nn::Optimizer<double> opt(config);
    V w(Array{{0.5, 0.7}, {-0.4, 0.2}, {0.1, 0.0}, {0.3, -0.3}}, true);
    const V Xv(X), Yv(Y);
    for (int s = 0; s < steps; ++s) {
      w.zero_grad();
      ad::backward(0.5 / 4 * ad::sum(ad::square(ad::matmul(Xv, w) - Yv)));
      opt.step({P{"w", w, r}});
    }
    return w.value();
  }
};

void check_zero_rows(const Array& w, const std::vector<std::size_t>& zero_rows) {
  for (std::size_t i = 0; i < w.shape()[0]; ++i) {
    const bool zero = std::find(zero_rows.begin(), zero_rows.end(), i) != zero_rows.end();
    for (std::size_t j = 0; j < w.shape()[1]; ++j) {
      if (zero) BOOST_TEST(w(i, j) == 0.0, "row " << i << " should be exactly zero");  // exactly
      else BOOST_TEST(w(i, j) != 0.0, "row " << i << " should be nonzero");
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(orthogonal_design_is_what_the_comment_says) {
  const OrthogonalDesign d;
  test::check_close(product(xt::transpose(d.X), d.X), 4.0 * xt::eye<double>(4), 0, 0);
  test::check_close(product(xt::transpose(d.X), d.Y) / 4.0, d.Z, 1e-15, 0);
}

BOOST_AUTO_TEST_CASE(proximal_sgd_solves_the_group_lasso_of_an_orthogonal_design) {
  const OrthogonalDesign d;
  const double lambda = 0.5;
  const Array expected = block_threshold(d.Z, lambda * std::sqrt(2.0));
  // lr 0.5: the smooth gradient is W − Z, each step halves the distance to the fixed point.
  const Array w = d.solve(nn::SGD{.learning_rate = 0.5, .proximal = true}, nn::GroupLasso(lambda), 100);
  test::check_close(w, expected, 1e-12, 0);
  check_zero_rows(w, {1, 3});
  // proximal_l1, the option's first name, does the same.
  const Array same = d.solve(nn::SGD{.learning_rate = 0.5, .proximal_l1 = true}, nn::GroupLasso(lambda), 100);
  test::check_close(same, w, 0, 0);
}

BOOST_AUTO_TEST_CASE(proximal_sgd_solves_the_sparse_group_lasso_of_an_orthogonal_design) {
  const OrthogonalDesign d;
  // Soft threshold by l1 = 0.25, then block threshold by 0.4·√2 = 0.566:
  // [1.75, 0.75], [0.05, 0] (norm 0.05: zero), [−1.25, 0.75], [0, 0].
  Array soft = d.Z;
  for (auto& z : soft) z = std::copysign(std::max(0.0, std::abs(z) - 0.25), z);
  const Array expected = block_threshold(soft, 0.4 * std::sqrt(2.0));
  const Array w = d.solve(nn::SGD{.learning_rate = 0.5, .proximal = true}, nn::SparseGroupLasso(0.25, 0.4), 100);
  test::check_close(w, expected, 1e-12, 0);
  check_zero_rows(w, {1, 3});
}

BOOST_AUTO_TEST_CASE(proximal_adam_solves_the_group_lasso_of_an_orthogonal_design) {
  // A fixed point of proximal Adam, u = prox(u − η⊙m̂) with m̂ = the gradient there, satisfies
  // 0 ∈ gradient + ∂(λ√p·Σ‖u_g‖) for any positive step sizes η_i: the group lasso's solution.
  const OrthogonalDesign d;
  const Array expected = block_threshold(d.Z, 0.5 * std::sqrt(2.0));
  const Array w = d.solve(nn::Adam{.learning_rate = 0.01, .proximal = true}, nn::GroupLasso(0.5), 3000);
  test::check_close(w, expected, 1e-6, 0);
  check_zero_rows(w, {1, 3});
}

BOOST_AUTO_TEST_CASE(under_adam_a_group_stays_zero_exactly_while_its_mean_gradient_is_within_the_threshold) {
  // Kernel 2 × 3 by rows, λ√3 = c. Both rows start at zero with fixed, very unequal gradients
  // (so Adam's η_i differ by orders of magnitude): row 0's norm 0.99·c, row 1's 1.01·c. The
  // group lasso's optimality condition keeps row 0 at zero and moves row 1.
  const double lambda = 0.2, c = lambda * std::sqrt(3.0);
  const Array direction{1.0, 0.01, -0.3};
  const double norm = std::sqrt(1.0 + 0.0001 + 0.09);
  Array g = xt::zeros<double>({2, 3});
  for (std::size_t j = 0; j < 3; ++j) {
    g(0, j) = 0.99 * c * direction(j) / norm;
    g(1, j) = 1.01 * c * direction(j) / norm;
  }
  nn::Optimizer<double> opt(nn::Adam{.learning_rate = 0.01, .proximal = true});
  V w(Array(xt::zeros<double>({2, 3})), true);
  for (int s = 0; s < 50; ++s) {
    w.set_grad(V(g));
    opt.step({P{"w", w, nn::GroupLasso(lambda)}});
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(w.value()(0, j) == 0.0, "step " << s);
    BOOST_TEST(w.value()(1, 0) != 0.0, "step " << s);
  }
}

BOOST_AUTO_TEST_CASE(proximal_sgd_matches_sklearn_multitask_lasso) {
  namespace fx = fixtures::multitask_lasso;
  // MultiTaskLasso's α·Σ‖W_j‖ is GroupLasso(λ)'s λ·√tasks·Σ‖W_j‖: λ = α/√tasks.
  const double n = static_cast<double>(fx::X.shape()[0]);
  const double lambda = fx::alpha / std::sqrt(static_cast<double>(fx::tasks));
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = fx::learning_rate, .proximal = true});
  V w(Array(xt::zeros<double>(fx::W.shape())), true);
  const V X(fx::X), Y(fx::Y);
  for (int s = 0; s < 4 * fx::steps; ++s) {
    w.zero_grad();
    ad::backward(0.5 / n * ad::sum(ad::square(ad::matmul(X, w) - Y)));
    opt.step({P{"kernel", w, nn::GroupLasso(lambda)}});
  }
  BOOST_TEST_MESSAGE("proximal SGD vs MultiTaskLasso: max |difference| " << xt::amax(xt::abs(w.value() - fx::W))());
  test::check_close(w.value(), fx::W, 1e-4, 0);
  check_zero_rows(w.value(), fx::zero_rows);
}

BOOST_AUTO_TEST_CASE(a_dense_model_fitted_with_proximal_sgd_matches_sklearn_multitask_lasso) {
  // The same problem through Sequential::fit: a bias-free linear Dense(tasks), full batch, MSE.
  // Keras's MSE is (1/(n·t))‖R‖², 2/t times the (1/(2n))‖R‖² above: with lr' = lr·t/2 and
  // λ' = 2λ/t the iterates, thresholds lr'·λ'√t = lr·λ√t included, are the same.
  namespace fx = fixtures::multitask_lasso;
  const double t = static_cast<double>(fx::tasks);
  const double lambda = 2 * fx::alpha / (t * std::sqrt(t));
  nn::Sequential<double> model(/*seed=*/1);
  model.add(nn::Input({fx::X.shape()[1]}));
  model.add(nn::Dense(fx::tasks, "linear", {.kernel_regularizer = nn::GroupLasso(lambda), .use_bias = false}));
  model.compile(nn::SGD{.learning_rate = fx::learning_rate * t / 2, .proximal = true}, "mean_squared_error");
  model.fit(fx::X, fx::Y, {.epochs = 4 * fx::steps, .batch_size = fx::X.shape()[0], .shuffle = false, .verbose = 0});
  const Array kernel = model.parameters()[0].var.value();
  BOOST_TEST_MESSAGE("Sequential::fit vs MultiTaskLasso: max |difference| " << xt::amax(xt::abs(kernel - fx::W))());
  test::check_close(kernel, fx::W, 1e-4, 0);
  check_zero_rows(kernel, fx::zero_rows);
}

BOOST_AUTO_TEST_CASE(proximal_adam_with_a_group_lasso_switches_off_the_irrelevant_inputs) {
  // y = x0 − 2·x1 + 0.5·x2 from 10 standard normal inputs: a float relu network trained with
  // proximal Adam and a group lasso on the first kernel's rows ends with the rows of the seven
  // irrelevant inputs exactly zero and the three others not.
  nn::Random random(5);
  xt::xarray<float> x = xt::xarray<float>::from_shape({256, 10}), y = xt::xarray<float>::from_shape({256, 1});
  for (std::size_t i = 0; i < 256; ++i) {
    for (std::size_t j = 0; j < 10; ++j) x(i, j) = float(random.normal());
    y(i, 0) = x(i, 0) - 2 * x(i, 1) + 0.5f * x(i, 2);
  }
  nn::Sequential<float> model(/*seed=*/2);
  model.add(nn::Input({10}));
  model.add(nn::Dense(8, "relu", {.kernel_regularizer = nn::GroupLasso(0.01)}));
  model.add(nn::Dense(1));
  model.compile(nn::Adam{.learning_rate = 0.01, .proximal = true}, "mean_squared_error");
  model.fit(x, y, {.epochs = 60, .batch_size = 32, .verbose = 0});
  const xt::xarray<float> kernel = model.parameters()[0].var.value();
  BOOST_TEST_MESSAGE("feature selection: kernel rows\n" << kernel);
  for (std::size_t j = 0; j < 10; ++j) {
    float norm = 0;
    for (std::size_t k = 0; k < 8; ++k) norm += kernel(j, k) * kernel(j, k);
    if (j < 3) BOOST_TEST(norm > 0.01f, "input " << j << " should stay");
    else BOOST_TEST(norm == 0.0f, "input " << j << " should be switched off exactly");
  }
}
