// MNIST as the dense examples use it: images flattened to 784 values in [0, 1], labels one-hot.
//
//   const auto mnist = experiment::load_mnist_flat(opt.data);   // throws naming fetch-data if missing
//   model.fit(mnist.x_train, mnist.y_train, {...});
#pragma once

#include <string>

#include <xtensor/xarray.hpp>

namespace experiment {

struct MnistFlat {
  xt::xarray<float> x_train, y_train;  // (60000, 784), (60000, 10)
  xt::xarray<float> x_test, y_test;    // (10000, 784), (10000, 10)
};

// From <data>/mnist, <data> as --data resolves it (datasets::data_dir).
MnistFlat load_mnist_flat(const std::string& data_option);

}  // namespace experiment
