// tapeflow as an outside project uses it (.ci/consumer builds this against the installed CMake
// package, against tapeflow.pc, and through add_subdirectory): two moons, a 2-16-16-1 model with
// a custom kernel regularizer, fit, save_weights, load_weights into a fresh model, predict.
// Prints OK and exits 0 only if training learned the moons, the custom penalty was applied, the
// reloaded model predicts exactly what the trained one does, and tapeflow::version() is the
// version the build system found (TAPEFLOW_EXPECTED_VERSION).
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <unistd.h>

#include <datasets/synthetic.hpp>
#include <nn/nn.hpp>
#include <tapeflow/version.hpp>

#ifndef TAPEFLOW_EXPECTED_VERSION
#error "define TAPEFLOW_EXPECTED_VERSION: the tapeflow version the build system found"
#endif

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "moons_app: FAILED: " << what << '\n';
    ++failures;
  }
}

nn::Sequential<float> make_model(const nn::Regularizer& regularizer, std::uint64_t seed) {
  nn::Sequential<float> model(seed);
  model.add(nn::Input({2}));
  model.add(nn::Dense(16, "relu", {.kernel_regularizer = regularizer}));
  model.add(nn::Dense(16, "relu", {.kernel_regularizer = regularizer}));
  model.add(nn::Dense(1, "sigmoid"));
  model.compile(nn::Adam(0.01), "binary_crossentropy", {"accuracy"});
  return model;
}

}  // namespace

int main() {
  check(std::string(tapeflow::version()) == TAPEFLOW_EXPECTED_VERSION,
        std::string("tapeflow::version() is ") + tapeflow::version() + ", the build system found " +
            TAPEFLOW_EXPECTED_VERSION);

  auto moons = datasets::make_moons<float>(200, 0.1, 3);
  xt::xarray<float> x = moons.x, y = moons.y;
  y.reshape({y.shape()[0], 1});

  // A custom penalty: 1e-4 times the sum of the fourth powers of the kernel, counted per call.
  auto calls = std::make_shared<int>(0);
  nn::Regularizer quartic(
      [calls](const auto& w) {
        ++*calls;
        return 1e-4 * ad::sum(ad::square(ad::square(w)));
      },
      "quartic(1e-4)");

  auto model = make_model(quartic, 7);
  auto history = model.fit(x, y, {.epochs = 60, .batch_size = 32, .verbose = 0});
  const auto& loss = history["loss"];
  const auto& accuracy = history["accuracy"];
  const auto& penalty = history["penalty"];
  check(loss.back() < 0.5 * loss.front(),
        "the training loss should at least halve: " + std::to_string(loss.front()) + " -> " + std::to_string(loss.back()));
  check(accuracy.back() > 0.9, "training accuracy should exceed 0.9, got " + std::to_string(accuracy.back()));
  check(*calls > 0 && penalty.back() > 0,
        "the custom regularizer should run and add a penalty: " + std::to_string(*calls) + " calls, penalty " +
            std::to_string(penalty.back()));

  const auto path = std::filesystem::temp_directory_path() /
                    ("tapeflow_moons_app_" + std::to_string(::getpid()) + ".npz");
  model.save_weights(path.string());
  auto reloaded = make_model(quartic, 8);  // another seed: other initial weights until the load
  const xt::xarray<float> expected = model.predict(x);
  check(reloaded.predict(x) != expected, "a differently seeded model should predict differently before the load");
  reloaded.load_weights(path.string());
  std::filesystem::remove(path);
  const xt::xarray<float> got = reloaded.predict(x);
  check(got == expected, "the reloaded model should predict exactly what the trained one does");

  if (failures != 0) return EXIT_FAILURE;
  std::cout << "OK tapeflow " << tapeflow::version() << ": moons loss " << loss.front() << " -> " << loss.back()
            << ", accuracy " << accuracy.back() << '\n';
  return EXIT_SUCCESS;
}
