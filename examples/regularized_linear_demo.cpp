// Fits a linear model y = X W + b by gradient descent on
//   mean((X W + b - y)^2) + l1 * sum|W| + l2 * sum W^2,
// where the penalties are ordinary tape nodes. The data have 3 informative and 5 noise
// features; the L1 term pulls the noise weights towards zero. Prints the loss and the gradient
// norms as it trains, then the weights.
//
//   regularized_linear_demo [--steps N] [--l1 X] [--l2 X] [--lr X] [--seed N]
#include <cmath>
#include <cstdio>
#include <random>

#include <autodiff/autodiff.hpp>

#include "cli.hpp"
#include "run_main.hpp"

namespace {

struct Settings {
  int steps = 300;
  double l1 = 0.05, l2 = 0.001, lr = 0.1;
  unsigned seed = 7;
};

double norm(const ad::Var<float>& g) { return std::sqrt(static_cast<double>(xt::sum(g.value() * g.value())())); }

void fit(const Settings& s) {
  constexpr std::size_t samples = 256, features = 8;
  const float true_w[features] = {2.0f, -3.0f, 1.5f, 0, 0, 0, 0, 0};

  std::mt19937 rng(s.seed);
  std::normal_distribution<float> normal;
  xt::xarray<float> x = xt::xarray<float>::from_shape({samples, features});
  xt::xarray<float> y = xt::xarray<float>::from_shape({samples, 1});
  for (std::size_t i = 0; i < samples; ++i) {
    float t = 0.5f;  // true bias
    for (std::size_t j = 0; j < features; ++j) {
      x(i, j) = normal(rng);
      t += true_w[j] * x(i, j);
    }
    y(i, 0) = t + 0.1f * normal(rng);
  }
  const ad::Var<float> X(x), Y(y);
  ad::Var<float> W(xt::xarray<float>(xt::zeros<float>({features, std::size_t(1)})), true);
  ad::Var<float> b(xt::xarray<float>(xt::zeros<float>({std::size_t(1)})), true);

  std::printf("step      loss      data   penalty   |dL/dW|   |dL/db|\n");
  for (int step = 0; step <= s.steps; ++step) {
    const auto data_loss = ad::mean(ad::square(ad::matmul(X, W) + b - Y));
    const auto penalty = s.l1 * ad::sum(ad::abs(W)) + s.l2 * ad::sum(ad::square(W));
    const auto loss = data_loss + penalty;
    W.zero_grad();
    b.zero_grad();
    ad::backward(loss);
    if (step % (s.steps / 10 > 0 ? s.steps / 10 : 1) == 0) {
      std::printf("%4d %9.5f %9.5f %9.5f %9.5f %9.5f\n", step, loss.item(), data_loss.item(), penalty.item(),
                  norm(W.grad()), norm(b.grad()));
    }
    ad::NoGradGuard no_grad;  // the update itself is not recorded
    W.mutable_value() -= static_cast<float>(s.lr) * W.grad().value();
    b.mutable_value() -= static_cast<float>(s.lr) * b.grad().value();
  }
  std::printf("\nfeature  true_w  fitted_w\n");
  for (std::size_t j = 0; j < features; ++j) std::printf("%7zu %7.3f %9.4f\n", j, true_w[j], W.value()(j, 0));
  std::printf("bias      0.500 %9.4f\n", b.value()(0));
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app{"Fit a linear model with L1 + L2 penalties on the autodiff tape"};
  app.add_option("--steps", s.steps, "gradient-descent steps")->capture_default_str()->check(cli::integer_in(1, 1000000));
  app.add_option("--l1", s.l1, "L1 strength (lambda * sum|W|)")->capture_default_str()->check(cli::finite_non_negative());
  app.add_option("--l2", s.l2, "L2 strength (lambda * sum W^2)")->capture_default_str()->check(cli::finite_non_negative());
  app.add_option("--lr", s.lr, "learning rate")->capture_default_str()->check(cli::finite_positive());
  app.add_option("--seed", s.seed, "data seed")->capture_default_str()->check(cli::integer_in<unsigned>());
  return cli::run_main(app, argc, argv, [&] { fit(s); });
}
