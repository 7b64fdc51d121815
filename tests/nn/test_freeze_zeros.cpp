// Masked fine-tuning (Optimizer::freeze_zeros, FitOptions::freeze_zeros): frozen entries stay
// exactly zero under every optimizer and proximal step, the other entries update exactly as
// without a mask, the masks travel with the optimizer state and checkpoints, and bad stored
// masks are rejected by name.
#define BOOST_TEST_MODULE freeze_zeros
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nn/nn.hpp>

#include "common/check.hpp"

namespace {

using A = xt::xarray<double>;
using V = ad::Var<double>;
using P = nn::Parameter<double>;

// A (4, 6) weight with a planted zero every third entry and random other entries.
A planted_weight(std::uint64_t seed) {
  nn::Random r(seed);
  A w = A::from_shape({4, 6});
  for (std::size_t i = 0; i < w.size(); ++i) w.data()[i] = i % 3 == 0 ? 0.0 : r.normal();
  return w;
}

A random_gradient(nn::Random& r) {
  A g = A::from_shape({4, 6});
  for (auto& v : g) v = r.normal();
  return g;
}

// Runs `steps` steps of `config` on two copies of `w`, the first frozen at its zeros, with the
// same random gradients; returns the two final weights.
std::pair<A, A> masked_and_free(const nn::OptimizerConfig& config, const A& w, nn::Regularizer reg, int steps = 6) {
  P masked{"w", V(w, true), reg}, free{"w", V(w, true), reg};
  nn::Optimizer<double> om(config), of(config);
  BOOST_TEST(om.freeze_zeros({masked}) == 8u);
  nn::Random r(11);
  for (int s = 0; s < steps; ++s) {
    const A g = random_gradient(r);
    masked.var.set_grad(V(g));
    free.var.set_grad(V(g));
    om.step({masked});
    of.step({free});
  }
  return {masked.var.value(), free.var.value()};
}

std::vector<nn::OptimizerConfig> per_coordinate_configs() {
  return {nn::SGD{.learning_rate = 0.1},
          nn::SGD{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true},
          nn::Adam{.learning_rate = 0.01},
          nn::AdamW{.learning_rate = 0.01},
          nn::RMSprop{.learning_rate = 0.01, .momentum = 0.5, .centered = true},
          nn::Adagrad{.learning_rate = 0.1},
          nn::Adam{.learning_rate = 0.01, .proximal = true}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(frozen_entries_stay_zero_and_the_others_update_as_without_a_mask) {
  const A w = planted_weight(3);
  for (const auto& config : per_coordinate_configs()) {
    // L1 with a proximal optimizer: prox after the re-zeroing; otherwise a plain gradient rule.
    const auto [masked, free] = masked_and_free(config, w, nn::L1(1e-3));
    BOOST_TEST_CONTEXT(nn::Optimizer<double>(config).name()) {
      for (std::size_t i = 0; i < w.size(); ++i) {
        if (i % 3 == 0) {
          BOOST_TEST(masked.data()[i] == 0.0);
          BOOST_TEST(free.data()[i] != 0.0);  // without the mask the zero moves: the test can fail
        } else {
          BOOST_TEST(masked.data()[i] == free.data()[i]);  // bit for bit
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(group_prox_and_constraints_keep_frozen_entries_at_zero) {
  const A w = planted_weight(4);
  const auto [masked, free] =
      masked_and_free(nn::Adam{.learning_rate = 0.05, .proximal = true}, w, nn::SparseGroupLasso(1e-3, 1e-3));
  for (std::size_t i = 0; i < w.size(); i += 3) BOOST_TEST(masked.data()[i] == 0.0);

  P p{"w", V(w, true), {}, nn::MaxNorm(0.5)};
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.5});
  opt.freeze_zeros({p});
  nn::Random r(2);
  for (int s = 0; s < 3; ++s) {
    p.var.set_grad(V(random_gradient(r)));
    opt.step({p});
  }
  for (std::size_t i = 0; i < w.size(); i += 3) BOOST_TEST(p.var.value().data()[i] == 0.0);
}

BOOST_AUTO_TEST_CASE(freezing_again_adds_new_zeros_and_unfreeze_releases_them) {
  A w = planted_weight(5);
  P p{"w", V(w, true)};
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.1});
  BOOST_TEST(opt.frozen_count() == 0u);
  BOOST_TEST(opt.freeze_zeros({p}) == 8u);
  p.var.mutable_value().data()[1] = 0.0;  // a new zero joins; the old ones stay
  BOOST_TEST(opt.freeze_zeros({p}) == 9u);
  BOOST_TEST(opt.frozen_count() == 9u);
  opt.unfreeze();
  BOOST_TEST(opt.frozen_count() == 0u);
  p.var.set_grad(V(A(xt::ones<double>({4, 6}))));
  opt.step({p});
  BOOST_TEST(p.var.value().data()[0] == -0.1);
}

BOOST_AUTO_TEST_CASE(masks_are_state_and_a_restored_optimizer_continues_bit_exactly) {
  const A w = planted_weight(6);
  P a{"w", V(w, true), nn::L1(1e-2)};
  nn::Optimizer<double> first(nn::Adam{.learning_rate = 0.05, .proximal = true});
  first.freeze_zeros({a});
  nn::Random r(9);
  std::vector<A> grads;
  for (int s = 0; s < 6; ++s) grads.push_back(random_gradient(r));
  for (int s = 0; s < 3; ++s) {
    a.var.set_grad(V(grads[s]));
    first.step({a});
  }
  const auto state = first.state();
  bool stored = false;
  for (const auto& [name, array] : state) stored = stored || name == "w/frozen_zeros";
  BOOST_TEST(stored);

  P b{"w", V(a.var.value(), true), nn::L1(1e-2)};
  nn::Optimizer<double> second(nn::Adam{.learning_rate = 0.05, .proximal = true});
  second.load_state(state);
  BOOST_TEST(second.frozen_count() == first.frozen_count());
  for (int s = 3; s < 6; ++s) {
    a.var.set_grad(V(grads[s]));
    b.var.set_grad(V(grads[s]));
    first.step({a});
    second.step({b});
  }
  BOOST_TEST(xt::all(xt::equal(a.var.value(), b.var.value())));
}

BOOST_AUTO_TEST_CASE(bad_stored_masks_are_rejected_by_name) {
  P p{"dense/kernel", V(planted_weight(7), true)};
  nn::Optimizer<double> opt(nn::SGD{.learning_rate = 0.1});
  opt.freeze_zeros({p});
  auto state = opt.state();
  auto with = [&](const std::string& name, const A& array) {
    auto s = state;
    for (auto& [n, a] : s) {
      if (n == name) a = array;
    }
    return s;
  };
  A half = xt::zeros<double>({4, 6});
  half(0, 0) = 0.5;
  nn::Optimizer<double> fresh(nn::SGD{.learning_rate = 0.1});
  test::check_error<std::runtime_error>(
      [&] { fresh.load_state(with("dense/kernel/frozen_zeros", half)); },
      {"'dense/kernel/frozen_zeros'", "only 0 and 1", "0.5"});
  auto twice = state;
  twice.push_back(twice.back());
  test::check_error<std::runtime_error>([&] { fresh.load_state(twice); }, {"duplicate", "'dense/kernel/frozen_zeros'"});
  BOOST_TEST(fresh.frozen_count() == 0u);  // nothing was loaded
  // An optimizer that holds state knows its parameters' shapes.
  test::check_error<std::runtime_error>(
      [&] { opt.load_state(with("dense/kernel/frozen_zeros", A(xt::zeros<double>({3, 6})))); },
      {"'dense/kernel/frozen_zeros'", "(3, 6)", "(4, 6)"});
  BOOST_TEST(opt.frozen_count() == 8u);  // unchanged
}

namespace {

using F = xt::xarray<float>;

std::pair<F, F> data(std::size_t n) {
  nn::Random r(5);
  F x = F::from_shape({n, 6}), y = F::from_shape({n, 1});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < 6; ++j) x(i, j) = float(r.normal());
    y(i, 0) = x(i, 0) - 2 * x(i, 1) + 0.5 * x(i, 2) * x(i, 2) > 0.5 ? 1.0f : 0.0f;
  }
  return {x, y};
}

// A proximal-L1 classifier trained until its first kernel has many exact zeros.
nn::Sequential<float> sparse_model() {
  nn::Sequential<float> m(3);
  m.add(nn::Input({6}));
  m.add(nn::Dense(16, "relu", {.kernel_regularizer = nn::L1(0.01)}));
  m.add(nn::Dense(1, "sigmoid"));
  m.compile(nn::Adam{.learning_rate = 0.01, .proximal = true}, "binary_crossentropy");
  const auto [x, y] = data(400);
  m.fit(x, y, {.epochs = 10, .batch_size = 32, .verbose = 0});
  return m;
}

F kernel(const nn::Sequential<float>& m) { return m.parameters()[0].var.value(); }

}  // namespace

BOOST_AUTO_TEST_CASE(fit_with_freeze_zeros_retrains_the_survivors_and_keeps_every_zero) {
  const auto [x, y] = data(400);
  for (const bool freeze : {true, false}) {
    auto m = sparse_model();
    const F before = kernel(m);
    const auto zeros = std::count(before.begin(), before.end(), 0.0f);
    BOOST_TEST_REQUIRE(zeros > 20);
    const double loss_before = m.evaluate(x, y, 400).at("data_loss");
    // Fine-tune without the penalty's pull: plain Adam (the L1 penalty now acts as a subgradient,
    // which is zero at the frozen zeros).
    m.compile(nn::Adam{.learning_rate = 0.01}, "binary_crossentropy");
    m.fit(x, y, {.epochs = 5, .batch_size = 32, .verbose = 0, .freeze_zeros = freeze});
    const F after = kernel(m);
    std::size_t kept = 0, changed = 0;
    for (std::size_t i = 0; i < after.size(); ++i) {
      if (before.data()[i] == 0.0f) kept += after.data()[i] == 0.0f;
      else changed += after.data()[i] != before.data()[i];
    }
    BOOST_TEST_CONTEXT("freeze_zeros " << freeze) {
      if (freeze) {
        BOOST_TEST(kept == std::size_t(zeros));
        BOOST_TEST(m.optimizer().frozen_count() >= std::size_t(zeros));
      } else {
        BOOST_TEST(kept < std::size_t(zeros));  // without the mask, zeros with a gradient grow back
      }
      BOOST_TEST(changed > (after.size() - std::size_t(zeros)) / 2);
      BOOST_TEST(m.evaluate(x, y, 400).at("data_loss") < loss_before);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_fine_tuning_run_resumed_from_a_checkpoint_continues_exactly) {
  const auto [x, y] = data(400);
  const auto dir = std::filesystem::temp_directory_path() / ("tapeflow_freeze_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "ckpt.npz").string();

  auto whole = sparse_model();
  whole.compile(nn::Adam{.learning_rate = 0.01}, "binary_crossentropy");
  whole.fit(x, y, {.epochs = 4, .batch_size = 32, .seed = 2, .verbose = 0, .freeze_zeros = true});

  auto first = sparse_model();
  first.compile(nn::Adam{.learning_rate = 0.01}, "binary_crossentropy");
  first.fit(x, y, {.epochs = 2, .batch_size = 32, .seed = 2, .verbose = 0, .freeze_zeros = true});
  first.save_checkpoint(path, 2);
  auto resumed = sparse_model();
  resumed.compile(nn::Adam{.learning_rate = 0.01}, "binary_crossentropy");
  const int done = resumed.load_checkpoint(path);
  BOOST_TEST(resumed.optimizer().frozen_count() == first.optimizer().frozen_count());
  resumed.fit(x, y, {.epochs = 4, .batch_size = 32, .seed = 2, .verbose = 0, .initial_epoch = done, .freeze_zeros = true});
  std::filesystem::remove_all(dir);

  const auto pw = whole.parameters(), pr = resumed.parameters();
  for (std::size_t i = 0; i < pw.size(); ++i) BOOST_TEST(xt::all(xt::equal(pw[i].var.value(), pr[i].var.value())));
}
