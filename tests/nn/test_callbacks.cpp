// Callbacks: the built-in ones (EarlyStopping, CSVLogger, LambdaCallback, ModelCheckpoint,
// ReduceLROnPlateau, LearningRateScheduler) against hand-computed sequences, their option checks,
// the order fit() calls the hooks in, and a callback class of one's own (the nn/README.md example).
#define BOOST_TEST_MODULE callbacks
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include <nn/nn.hpp>

#include "common/check.hpp"
#include "nn/fixtures.hpp"
#include "common/temp_dir.hpp"

namespace tt = boost::test_tools;
using F = xt::xarray<float>;
using test::blobs;
using test::small_model;
using test::weights;

namespace {

// --- The nn/README.md example, as written there. ---
// Halves the learning rate after every epoch and stops training after epoch `last` (0-based).
class HalveAndStop : public nn::Callback<float> {
 public:
  explicit HalveAndStop(int last) : last_(last) {}
  void on_epoch_end(int epoch, nn::Logs& logs) override {
    auto& optimizer = model().optimizer();
    logs["learning_rate"] = optimizer.learning_rate();  // the rate this epoch ran with
    optimizer.set_learning_rate(optimizer.learning_rate() / 2);
    if (epoch == last_) model().stop_training = true;
  }

 private:
  int last_;
};
// --- End of the example. ---

// A compiled model for driving a callback by hand: SGD at learning rate 1.
nn::Sequential<float> sgd_model(double learning_rate = 1.0) {
  auto m = small_model(3);
  m.compile(nn::SGD{.learning_rate = learning_rate}, "binary_crossentropy");
  return m;
}

// Feeds `monitored` as logs[key] to cb's on_epoch_end, epoch by epoch; returns the learning rate
// each epoch logged and checks it against the optimizer's rate at the time.
std::vector<double> feed(nn::Callback<float>& cb, const std::string& key, const std::vector<double>& monitored) {
  cb.on_train_begin({});
  std::vector<double> logged;
  for (std::size_t e = 0; e < monitored.size(); ++e) {
    nn::Logs logs{{key, monitored[e]}};
    const double before = cb.model().optimizer().learning_rate();
    cb.on_epoch_end(int(e), logs);
    logged.push_back(logs.at("learning_rate"));
    BOOST_TEST(logged.back() == before);
  }
  return logged;
}

template <class Make>
void refused(Make make, std::vector<std::string> parts) {
  BOOST_CHECK_EXCEPTION(make(), std::invalid_argument, test::message_has<std::invalid_argument>(std::move(parts)));
}

}  // namespace

BOOST_AUTO_TEST_CASE(early_stopping_restores_the_best_weights) {
  auto [x, y] = blobs(100, 9);
  auto m = small_model(7);
  m.compile(nn::Adam{.learning_rate = 0.01}, "binary_crossentropy");
  std::vector<F> after_first_epoch;
  // Training loss falls every epoch, so in "max" mode only epoch 0 is ever the best.
  const auto h = m.fit(x, y, {.epochs = 20, .verbose = 0,
                              .callbacks = {nn::LambdaCallback{[&](nn::EpochEnd& e) {
                                              if (e.epoch == 0) after_first_epoch = weights(m);
                                            }},
                                            nn::EarlyStopping{.monitor = "loss", .patience = 2, .mode = "max",
                                                              .restore_best_weights = true}}});
  BOOST_TEST(h.epochs.size() == 3u);  // epoch 0 best; epochs 1 and 2 fail to improve: stop (Keras counts so)
  BOOST_TEST((weights(m) == after_first_epoch));
  auto m2 = small_model(7);
  m2.compile(nn::Adam{}, "binary_crossentropy");
  BOOST_CHECK_THROW(m2.fit(x, y, {.epochs = 2, .verbose = 0, .callbacks = {nn::EarlyStopping{.monitor = "val_loss"}}}),
                    std::invalid_argument);  // no validation data: val_loss is not logged
}

BOOST_AUTO_TEST_CASE(csv_logger_and_lambda_stop) {
  auto [x, y] = blobs(64, 10);
  auto m = small_model(8);
  m.compile(nn::Adam{}, "binary_crossentropy", {"accuracy"});
  const auto path = std::filesystem::temp_directory_path() / ("tapeflow_log_" + std::to_string(getpid()) + ".csv");
  const auto h = m.fit(x, y, {.epochs = 10, .verbose = 0,
                              .callbacks = {nn::CSVLogger{.path = path.string()},
                                            nn::LambdaCallback{[](nn::EpochEnd& e) { e.stop_training = e.epoch == 2; }}}});
  BOOST_TEST(h.epochs.size() == 3u);
  std::ifstream in(path);
  std::string header, line;
  std::getline(in, header);
  BOOST_TEST(header == "epoch,accuracy,data_loss,loss,penalty,seconds");
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  BOOST_TEST(rows == 3);
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(early_stopping_options_are_checked) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  refused([] { nn::CallbackRef<float>(nn::EarlyStopping{.patience = -1}); }, {"EarlyStopping: patience must be >= 0, got -1"});
  for (const double d : {nan, std::numeric_limits<double>::infinity(), -0.5}) {
    refused([d] { nn::CallbackRef<float>(nn::EarlyStopping{.min_delta = d}); },
            {"EarlyStopping: min_delta must be a finite number >= 0"});
  }
  refused([] { nn::CallbackRef<float>(nn::EarlyStopping{.mode = "up"}); },
          {"EarlyStopping: mode must be auto, min or max, got up"});
}

BOOST_AUTO_TEST_CASE(user_callback_halves_the_learning_rate_and_stops) {
  auto [x, y] = blobs(64, 21);
  auto model = small_model(4);
  model.compile(nn::SGD{.learning_rate = 0.8}, "binary_crossentropy");
  // As in nn/README.md:
  auto halve = std::make_shared<HalveAndStop>(2);
  auto history = model.fit(x, y, {.epochs = 10, .verbose = 0, .callbacks = {halve}});
  BOOST_TEST(history.epochs == (std::vector<int>{0, 1, 2}));
  BOOST_TEST(history["learning_rate"] == (std::vector<double>{0.8, 0.4, 0.2}), tt::per_element());
  BOOST_TEST(model.optimizer().learning_rate() == 0.1);
  BOOST_TEST(&halve->model() == &model);
  // The next fit starts afresh: stop_training is cleared, the halving goes on from 0.1.
  history = model.fit(x, y, {.epochs = 2, .verbose = 0, .callbacks = {halve}});
  BOOST_TEST(history["learning_rate"] == (std::vector<double>{0.1, 0.05}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(hooks_are_called_in_keras_order_and_a_batch_can_stop_training) {
  struct Recorder : nn::Callback<float> {
    std::vector<std::string> calls;
    int stop_at_batch = -1;
    void on_train_begin(const nn::Logs&) override { calls.push_back("train_begin"); }
    void on_epoch_begin(int e, const nn::Logs& logs) override {
      calls.push_back("epoch_begin " + std::to_string(e) + (logs.empty() ? "" : " with logs"));
    }
    void on_batch_end(int b, const nn::Logs& logs) override {
      calls.push_back("batch " + std::to_string(b) + (logs.count("loss") && logs.count("accuracy") ? "" : " without loss"));
      if (b == stop_at_batch) model().stop_training = true;
    }
    void on_epoch_end(int e, nn::Logs& logs) override {
      calls.push_back("epoch_end " + std::to_string(e) + (logs.count("val_loss") ? "" : " without val_loss"));
    }
    void on_train_end(const nn::Logs& logs) override {
      calls.push_back("train_end" + std::string(logs.count("loss") ? "" : " without loss"));
    }
  };
  auto [x, y] = blobs(40, 22);
  auto m = small_model(5);
  m.compile(nn::Adam{}, "binary_crossentropy", {"accuracy"});
  auto rec = std::make_shared<Recorder>();
  // 32 training rows in batches of 16: 2 batches an epoch.
  m.fit(x, y, {.epochs = 3, .batch_size = 16, .validation_split = 0.2, .verbose = 0, .initial_epoch = 1, .callbacks = {rec}});
  const std::vector<std::string> expected{"train_begin", "epoch_begin 1", "batch 0", "batch 1", "epoch_end 1",
                                          "epoch_begin 2", "batch 0", "batch 1", "epoch_end 2", "train_end"};
  BOOST_TEST(rec->calls == expected, tt::per_element());
  rec->calls.clear();
  rec->stop_at_batch = 0;
  const auto h = m.fit(x, y, {.epochs = 3, .batch_size = 16, .validation_split = 0.2, .verbose = 0, .callbacks = {rec}});
  const std::vector<std::string> stopped{"train_begin", "epoch_begin 0", "batch 0", "epoch_end 0", "train_end"};
  BOOST_TEST(rec->calls == stopped, tt::per_element());
  BOOST_TEST(h.epochs.size() == 1u);
  BOOST_TEST(std::isfinite(h["loss"].front()));  // averaged over the rows that were trained on
  refused([] { nn::CallbackRef<float>(std::shared_ptr<Recorder>()); }, {"null"});
}

BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_follows_keras_with_cooldown_and_min_lr) {
  auto m = sgd_model(1.0);
  nn::callbacks::ReduceLROnPlateau<float> cb(
      {.factor = 0.5, .patience = 2, .mode = "min", .min_delta = 0.1, .cooldown = 2, .min_lr = 0.2});
  cb.set_model(m);
  // Hand-computed (Keras's rules): improvement means < best - 0.1. e2 improves (0.85 < 0.9);
  // e3, e4 wait 1, 2: reduce to 0.5 after e4, cooldown 2; e5 in cooldown; e6 wait 1; e7 wait 2:
  // 0.25, cooldown; e8 cooldown; e9, e10: max(0.125, 0.2) = 0.2; e11 improves (0.5 < 0.75);
  // e12, e13, e14 wait 1, 2, 3, but the rate is at min_lr: no change.
  const auto logged = feed(cb, "val_loss", {1.0, 0.95, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.9, 0.9, 0.9});
  const std::vector<double> expected{1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2};
  BOOST_TEST(logged == expected, tt::per_element());
  BOOST_TEST(m.optimizer().learning_rate() == 0.2);
  // With patience 1 the cooldown epochs count: no waiting while the counter runs down, and an
  // improvement during the cooldown resets the best. e1 reduces to 0.5 (cooldown 2); e2 improves
  // (0.85 < 0.9); e3 waits 1: 0.25; e4 cooldown; e5 waits 1: 0.2; e6 cooldown; e7 at min_lr;
  // e8 improves (0.5 < 0.75); e9 at min_lr.
  auto m1 = sgd_model(1.0);
  nn::callbacks::ReduceLROnPlateau<float> cb1(
      {.factor = 0.5, .patience = 1, .min_delta = 0.1, .cooldown = 2, .min_lr = 0.2});  // "auto": min for val_loss
  cb1.set_model(m1);
  BOOST_TEST(feed(cb1, "val_loss", {1.0, 0.95, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.9}) ==
                 (std::vector<double>{1, 1, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2}),
             tt::per_element());
  // on_train_begin resets the counters: a second run from 0.2 cannot go lower.
  BOOST_TEST(feed(cb, "val_loss", {1, 1, 1, 1}) == (std::vector<double>{0.2, 0.2, 0.2, 0.2}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_auto_mode_maximizes_accuracies) {
  auto m = sgd_model(1.0);
  nn::callbacks::ReduceLROnPlateau<float> cb({.monitor = "val_accuracy", .patience = 1, .min_delta = 0});
  cb.set_model(m);
  // 0.5 is the best; 0.4 twice fails to improve it: 1 -> 0.1 after e1, 0.1 -> 0.01 after e2.
  const auto logged = feed(cb, "val_accuracy", {0.5, 0.4, 0.4});
  BOOST_TEST(logged == (std::vector<double>{1, 1, 0.1}), tt::per_element());
  BOOST_TEST(m.optimizer().learning_rate() == 0.1 * 0.1);
  // The default min_delta 1e-4 counts: a rise by 1e-5 is no improvement.
  auto m2 = sgd_model(1.0);
  nn::callbacks::ReduceLROnPlateau<float> cb2({.monitor = "loss", .patience = 1, .mode = "max"});
  cb2.set_model(m2);
  BOOST_TEST(feed(cb2, "loss", {0.5, 0.50001}) == (std::vector<double>{1, 1}), tt::per_element());
  BOOST_TEST(m2.optimizer().learning_rate() == 0.1);
  BOOST_CHECK_THROW(feed(cb2, "val_loss", {0.5}), std::invalid_argument);  // "loss" is not in those logs
}

BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_in_fit) {
  auto [x, y] = blobs(100, 9);
  auto m = small_model(7);
  m.compile(nn::Adam{.learning_rate = 0.01}, "binary_crossentropy");
  // Training loss falls every epoch, so in "max" mode only epoch 0 is ever the best.
  const auto h = m.fit(x, y, {.epochs = 4, .verbose = 0,
                              .callbacks = {nn::ReduceLROnPlateau{.monitor = "loss", .factor = 0.5, .patience = 1,
                                                                  .mode = "max"}}});
  BOOST_TEST(h["learning_rate"] == (std::vector<double>{0.01, 0.01, 0.005, 0.0025}), tt::per_element());
  BOOST_TEST(m.optimizer().learning_rate() == 0.00125);
}

BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_options_are_checked) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  using R = nn::ReduceLROnPlateau;
  refused([] { nn::CallbackRef<float>(R{.factor = 1}); }, {"ReduceLROnPlateau: factor must be in (0, 1), got 1"});
  refused([] { nn::CallbackRef<float>(R{.factor = 0}); }, {"factor", "got 0"});
  refused([=] { nn::CallbackRef<float>(R{.factor = nan}); }, {"factor", "got nan"});
  refused([] { nn::CallbackRef<float>(R{.patience = -1}); }, {"ReduceLROnPlateau: patience must be >= 0, got -1"});
  refused([] { nn::CallbackRef<float>(R{.mode = "down"}); }, {"ReduceLROnPlateau: mode must be auto, min or max, got down"});
  refused([] { nn::CallbackRef<float>(R{.min_delta = -1}); }, {"ReduceLROnPlateau: min_delta", "got -1"});
  refused([] { nn::CallbackRef<float>(R{.cooldown = -2}); }, {"ReduceLROnPlateau: cooldown must be >= 0, got -2"});
  refused([=] { nn::CallbackRef<float>(R{.min_lr = nan}); }, {"ReduceLROnPlateau: min_lr", "got nan"});
}

BOOST_AUTO_TEST_CASE(learning_rate_scheduler_sets_each_epochs_rate) {
  auto [x, y] = blobs(64, 23);
  auto m = small_model(6);
  m.compile(nn::SGD{.learning_rate = 0.1}, "binary_crossentropy");
  std::vector<int> epochs_seen;
  auto schedule = [&](int epoch, double lr) {
    epochs_seen.push_back(epoch);
    return epoch < 2 ? lr : lr * 0.5;
  };
  auto h = m.fit(x, y, {.epochs = 5, .verbose = 0, .callbacks = {nn::LearningRateScheduler{schedule}}});
  BOOST_TEST(h["learning_rate"] == (std::vector<double>{0.1, 0.1, 0.05, 0.025, 0.0125}), tt::per_element());
  BOOST_TEST(epochs_seen == (std::vector<int>{0, 1, 2, 3, 4}), tt::per_element());
  epochs_seen.clear();
  h = m.fit(x, y, {.epochs = 4, .verbose = 0, .initial_epoch = 2, .callbacks = {nn::LearningRateScheduler{schedule}}});
  BOOST_TEST(epochs_seen == (std::vector<int>{2, 3}), tt::per_element());  // epochs count from initial_epoch
  BOOST_TEST(h["learning_rate"] == (std::vector<double>{0.00625, 0.003125}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(learning_rate_scheduler_rate_reaches_the_optimizer) {
  auto [x, y] = blobs(64, 24);
  auto scheduled = small_model(8), plain = small_model(8);
  scheduled.compile(nn::SGD{.learning_rate = 1.0}, "binary_crossentropy");
  plain.compile(nn::SGD{.learning_rate = 0.05}, "binary_crossentropy");
  scheduled.fit(x, y, {.epochs = 2, .verbose = 0, .callbacks = {nn::LearningRateScheduler{[](int, double) { return 0.05; }}}});
  plain.fit(x, y, {.epochs = 2, .verbose = 0});
  BOOST_TEST((weights(scheduled) == weights(plain)));
  refused([] { nn::CallbackRef<float>(nn::LearningRateScheduler{}); }, {"LearningRateScheduler: schedule"});
  for (const double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN()}) {
    BOOST_CHECK_EXCEPTION(
        plain.fit(x, y, {.epochs = 1, .verbose = 0, .callbacks = {nn::LearningRateScheduler{[=](int, double) { return bad; }}}}),
        std::invalid_argument, test::message_has<std::invalid_argument>({"LearningRateScheduler: schedule(0, lr)", "got"}));
  }
}

BOOST_AUTO_TEST_CASE(model_checkpoint_saves_only_improvements_named_by_epoch) {
  const test::TempDir dir("checkpoint-cb");
  auto m = sgd_model();
  auto set_weights = [&](float v) {
    for (auto& p : m.parameters()) p.var.mutable_value().fill(v);
  };
  auto files = [&] {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir.path)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  nn::callbacks::ModelCheckpoint<float> min_cb(
      {.filepath = dir / "w-{epoch:02d}.npz", .save_best_only = true, .save_weights_only = true, .mode = "min"});
  min_cb.set_model(m);
  min_cb.on_train_begin({});
  const std::vector<double> val_loss{1.0, 0.8, 0.9, 0.7, 0.7};
  for (std::size_t e = 0; e < val_loss.size(); ++e) {
    set_weights(float(e));
    nn::Logs logs{{"val_loss", val_loss[e]}};
    min_cb.on_epoch_end(int(e), logs);
  }
  // Written at 1-based epochs 1, 2 and 4 only (0.7 again is no improvement); no temporary files left.
  BOOST_TEST(files() == (std::vector<std::string>{"w-01.npz", "w-02.npz", "w-04.npz"}), tt::per_element());
  m.load_weights(dir / "w-04.npz");
  BOOST_TEST(m.parameters().front().var.value()(0) == 3.0f);  // the weights of epoch index 3

  nn::callbacks::ModelCheckpoint<float> max_cb(
      {.filepath = dir / "best.npz", .monitor = "acc", .save_best_only = true, .save_weights_only = true, .mode = "max"});
  max_cb.set_model(m);
  max_cb.on_train_begin({});
  const std::vector<double> acc{0.5, 0.4, 0.6, 0.55};
  for (std::size_t e = 0; e < acc.size(); ++e) {
    set_weights(10.0f + float(e));
    nn::Logs logs{{"acc", acc[e]}};
    max_cb.on_epoch_end(int(e), logs);
  }
  m.load_weights(dir / "best.npz");
  BOOST_TEST(m.parameters().front().var.value()(0) == 12.0f);  // epoch index 2 had the best accuracy
  nn::Logs no_acc{{"loss", 1.0}};
  BOOST_CHECK_EXCEPTION(max_cb.on_epoch_end(4, no_acc), std::invalid_argument,
                        test::message_has<std::invalid_argument>({"ModelCheckpoint", "'acc' is not in the logs (loss)"}));
}

BOOST_AUTO_TEST_CASE(model_checkpoint_in_fit_writes_resumable_checkpoints) {
  const test::TempDir dir("checkpoint-fit");
  auto [x, y] = blobs(64, 25);
  auto m = small_model(9);
  m.compile(nn::Adam{}, "binary_crossentropy");
  m.fit(x, y, {.epochs = 3, .verbose = 0, .callbacks = {nn::ModelCheckpoint{.filepath = dir / "sub/ckpt-{epoch}.npz"}}});
  for (const char* name : {"ckpt-1.npz", "ckpt-2.npz", "ckpt-3.npz"}) BOOST_TEST(std::filesystem::exists(dir.path / "sub" / name));
  const auto final_weights = weights(m);
  auto resumed = small_model(1);
  resumed.compile(nn::Adam{}, "binary_crossentropy");
  BOOST_TEST(resumed.load_checkpoint(dir / "sub/ckpt-3.npz") == 3);
  BOOST_TEST((weights(resumed) == final_weights));
  BOOST_TEST(resumed.load_checkpoint(dir / "sub/ckpt-2.npz") == 2);
}

BOOST_AUTO_TEST_CASE(model_checkpoint_options_are_checked) {
  using C = nn::ModelCheckpoint;
  refused([] { nn::CallbackRef<float>(C{}); }, {"ModelCheckpoint: filepath must be a file name"});
  for (const char* bad : {"w-{val_loss}.npz", "w-{epoch.npz", "w-}.npz", "w-{epoch:2x}.npz", "w-{epoch:}.npz"}) {
    refused([=] { nn::CallbackRef<float>(C{.filepath = bad}); }, {"ModelCheckpoint: filepath", bad});
  }
  refused([] { nn::CallbackRef<float>(C{.filepath = "a.npz", .mode = "best"}); },
          {"ModelCheckpoint: mode must be auto, min or max, got best"});
  const nn::callbacks::ModelCheckpoint<float> padded({.filepath = "e{epoch:3d}-{epoch:04d}-{epoch}.npz"});
  BOOST_TEST(padded.path_for(6) == "e  7-0007-7.npz");
  BOOST_TEST(padded.path_for(1233) == "e1234-1234-1234.npz");
}
