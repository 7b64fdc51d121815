// Dense layers on the sparse-weight path (autodiff/sparse.hpp): training with proximal L1, whose
// kernels become mostly exact zeros, ends with the same weights with the path forced on as with
// it off (the compressed kernels are rebuilt after every optimizer step), and predict agrees.
#define BOOST_TEST_MODULE sparse_training
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <nn/nn.hpp>
#include <xtensor/xview.hpp>

namespace {

struct Trained {
  std::vector<xt::xarray<double>> weights;
  xt::xarray<double> prediction;
};

// A 12-32-16-2 relu network with proximal L1 on both hidden kernels, fitted to a fixed regression
// with the given mode; batches of 20 leave a last batch of 10.
Trained fit(ad::SparseKernels mode) {
  ad::set_sparse_kernels(mode);
  nn::Random random(3);
  xt::xarray<double> x = xt::xarray<double>::from_shape({150, 12}), y = xt::xarray<double>::from_shape({150, 2});
  for (std::size_t i = 0; i < 150; ++i) {
    for (std::size_t j = 0; j < 12; ++j) x(i, j) = random.normal();
    y(i, 0) = x(i, 0) - 2 * x(i, 1);
    y(i, 1) = 0.5 * x(i, 2) + x(i, 0) * x(i, 3);
  }
  nn::Sequential<double> model(/*seed=*/4);
  model.add(nn::Input({12}));
  model.add(nn::Dense(32, "relu", {.kernel_regularizer = nn::L1(0.02)}));
  model.add(nn::Dense(16, "relu", {.kernel_regularizer = nn::L1(0.02)}));
  model.add(nn::Dense(2));
  model.compile(nn::Adam{.learning_rate = 0.01, .proximal = true}, "mean_squared_error");
  model.fit(x, y, {.epochs = 30, .batch_size = 20, .shuffle = true, .seed = 1, .verbose = 0});
  Trained t;
  for (const auto& p : model.parameters()) t.weights.push_back(p.var.value());
  t.prediction = model.predict(xt::view(x, xt::range(0, 1), xt::all()));  // one row: dot products
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(proximal_l1_training_is_the_same_on_the_sparse_path) {
  const ad::SparseKernels before = ad::sparse_kernels();
  const Trained on = fit(ad::SparseKernels::on), off = fit(ad::SparseKernels::off);
  const Trained automatic = fit(ad::SparseKernels::automatic);
  ad::set_sparse_kernels(before);
  BOOST_TEST_REQUIRE(on.weights.size() == off.weights.size());
  std::size_t zeros = 0, count = 0;
  for (std::size_t i = 0; i < on.weights.size(); ++i) {
    const double difference = xt::amax(xt::abs(on.weights[i] - off.weights[i]))();
    BOOST_TEST(difference <= 1e-9, "parameter " << i << ": max |on - off| = " << difference);
    BOOST_TEST(xt::amax(xt::abs(automatic.weights[i] - off.weights[i]))() <= 1e-9, "parameter " << i);
    if (on.weights[i].dimension() == 2 && i < 4) {
      for (const double w : on.weights[i]) zeros += w == 0;
      count += on.weights[i].size();
    }
  }
  BOOST_TEST_MESSAGE("hidden kernels: " << zeros << " of " << count << " exactly zero");
  BOOST_TEST(zeros * 2 > count);  // mostly zeros: the sparse path did meet sparse kernels
  BOOST_TEST(xt::amax(xt::abs(on.prediction - off.prediction))() <= 1e-12);
}
