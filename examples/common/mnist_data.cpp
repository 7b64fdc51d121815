#include "mnist_data.hpp"

#include <datasets/idx.hpp>
#include <datasets/paths.hpp>
#include <datasets/preprocessing.hpp>

namespace experiment {

MnistFlat load_mnist_flat(const std::string& data_option) {
  const auto mnist = datasets::load_mnist(datasets::data_dir(data_option) + "/mnist");
  MnistFlat out{mnist.train_images, datasets::one_hot<float>(mnist.train_labels, 10), mnist.test_images,
                datasets::one_hot<float>(mnist.test_labels, 10)};
  out.x_train.reshape({out.x_train.shape()[0], std::size_t{784}});
  out.x_test.reshape({out.x_test.shape()[0], std::size_t{784}});
  return out;
}

}  // namespace experiment
