// Metrics: values by hand accumulated over two batches, reset, "accuracy" resolved by shapes,
// shape and name errors.
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/check.hpp"
#include "nn/metrics.hpp"

using test::Array;
namespace tt = boost::test_tools;

namespace {

std::unique_ptr<nn::Metric<double>> metric(const std::string& name) { return nn::make_metric<double>(name); }

}  // namespace

BOOST_AUTO_TEST_CASE(binary_accuracy_over_two_batches) {
  auto m = metric("binary_accuracy");
  BOOST_TEST(m->name() == "binary_accuracy");
  BOOST_TEST(m->result() == 0.0);  // before any update
  // Keras's example: predictions 1, 1, 0, 1 (0.6 > 0.5) against 1, 1, 0, 0: 3 of 4.
  m->update(test::column({1.0, 1.0, 0.0, 0.0}), test::column({0.98, 1.0, 0.0, 0.6}));
  BOOST_TEST(m->result() == 0.75);
  // 0.5 is not above the threshold: predictions 0, 0 against 1, 0: 1 of 2. Total 4 of 6.
  m->update(test::column({1.0, 0.0}), test::column({0.5, 0.2}));
  BOOST_TEST(m->result() == 4.0 / 6.0, tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(binary_accuracy_averages_over_the_last_axis) {
  auto m = metric("binary_accuracy");
  // Rows of two outputs: row 0 matches 1 of 2, row 1 both: per-sample 0.5 and 1.
  m->update(Array{{1.0, 0.0}, {0.0, 1.0}}, Array{{0.7, 0.7}, {0.1, 0.9}});
  BOOST_TEST(m->result() == 0.75);
  // Labels (batch,) against predictions (batch, 1): 1 of 2 matches. Samples 0.5, 1, 1, 0 -> 2.5 / 4.
  m->update(Array{1.0, 0.0}, test::column({0.9, 0.8}));
  BOOST_TEST(m->result() == 2.5 / 4.0, tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(categorical_accuracy_over_two_batches) {
  auto m = metric("categorical_accuracy");
  // Keras's example: argmax 2 vs 1, 1 vs 1: 1 of 2.
  m->update(Array{{0.0, 0.0, 1.0}, {0.0, 1.0, 0.0}}, Array{{0.1, 0.9, 0.8}, {0.05, 0.95, 0.0}});
  BOOST_TEST(m->result() == 0.5);
  // A tie goes to the first maximum (index 0 = label); second row argmax 2 vs label 1.
  m->update(Array{{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}}, Array{{0.4, 0.4, 0.2}, {0.3, 0.3, 0.4}});
  BOOST_TEST(m->result() == 0.5);
  m->update(Array{{0.0, 1.0, 0.0}}, Array{{0.2, 0.4, 0.4}});  // tie 1 vs 2 -> index 1: a match
  BOOST_TEST(m->result() == 3.0 / 5.0, tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(sparse_categorical_accuracy_over_two_batches) {
  auto m = metric("sparse_categorical_accuracy");
  // Keras's example: labels (2, 1) [[2], [1]], argmax 1 and 1: 1 of 2.
  m->update(test::column({2.0, 1.0}), Array{{0.1, 0.6, 0.3}, {0.05, 0.95, 0.0}});
  BOOST_TEST(m->result() == 0.5);
  // Labels (3,): argmax 0, 2, 0 against 0, 2, 1: 2 of 3. Total 3 of 5.
  m->update(Array{0.0, 2.0, 1.0}, Array{{0.5, 0.2, 0.3}, {0.1, 0.2, 0.7}, {0.6, 0.3, 0.1}});
  BOOST_TEST(m->result() == 3.0 / 5.0, tt::tolerance(1e-15));
  // A label that is no class index never matches: 3 of 6.
  m->update(Array{0.5}, Array{{0.9, 0.1, 0.0}});
  BOOST_TEST(m->result() == 0.5, tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(mse_over_two_batches) {
  for (const std::string name : {"mse", "mean_squared_error"}) {
    auto m = metric(name);
    BOOST_TEST(m->name() == name);
    // Squared errors [[1, 0], [1, 0]]: per-sample 0.5, 0.5.
    m->update(Array{{0.0, 1.0}, {0.0, 0.0}}, Array{{1.0, 1.0}, {1.0, 0.0}});
    BOOST_TEST(m->result() == 0.5);
    // Squared errors [[4, 0]]: per-sample 2. (0.5 + 0.5 + 2) / 3 = 1 = 6 / 6 elements.
    m->update(Array{{1.0, 2.0}}, Array{{3.0, 2.0}});
    BOOST_TEST(m->result() == 1.0, tt::tolerance(1e-15));
  }
}

BOOST_AUTO_TEST_CASE(mae_over_two_batches) {
  for (const std::string name : {"mae", "mean_absolute_error"}) {
    auto m = metric(name);
    BOOST_TEST(m->name() == name);
    m->update(Array{{0.0, 1.0}, {0.0, 0.0}}, Array{{1.0, 1.0}, {1.0, 0.0}});  // per-sample 0.5, 0.5
    BOOST_TEST(m->result() == 0.5);
    m->update(Array{{1.0, 2.0}}, Array{{-1.0, 2.5}});  // |e| = 2, 0.5: per-sample 1.25
    BOOST_TEST(m->result() == 2.25 / 3.0, tt::tolerance(1e-15));
    // Rank 1: each element a sample. |e| = 1, 3: total 2.25 + 4 over 5 samples.
    m->update(Array{0.0, 0.0}, Array{1.0, -3.0});
    BOOST_TEST(m->result() == 6.25 / 5.0, tt::tolerance(1e-15));
  }
}

BOOST_AUTO_TEST_CASE(reset_clears_the_state) {
  auto m = metric("categorical_accuracy");
  m->update(Array{{1.0, 0.0}}, Array{{0.9, 0.1}});
  BOOST_TEST(m->result() == 1.0);
  m->reset();
  BOOST_TEST(m->result() == 0.0);
  m->update(Array{{1.0, 0.0}, {1.0, 0.0}}, Array{{0.1, 0.9}, {0.8, 0.2}});
  BOOST_TEST(m->result() == 0.5);
  auto e = metric("mse");
  e->update(test::column({0.0}), test::column({3.0}));
  e->reset();
  e->update(test::column({0.0}), test::column({1.0}));
  BOOST_TEST(e->result() == 1.0);
}

BOOST_AUTO_TEST_CASE(float_metrics_accumulate_in_double) {
  auto m = nn::make_metric<float>("mae");
  // 0.1f is not 0.1: the result is the double mean of the float errors.
  m->update(xt::xarray<float>{{0.0f, 0.0f}}, xt::xarray<float>{{0.1f, 0.3f}});
  BOOST_TEST(m->result() == (static_cast<double>(0.1f) + static_cast<double>(0.3f)) / 2, tt::tolerance(1e-15));
  auto a = nn::make_metric<float>("accuracy");
  a->update(xt::xarray<float>{1.0f, 0.0f}, xt::xarray<float>{{0.2f, 0.8f}, {0.3f, 0.7f}});
  BOOST_TEST(a->result() == 0.5);
}

BOOST_AUTO_TEST_CASE(accuracy_resolves_by_shapes_as_keras) {
  // Keras (compile_utils): binary when y_pred has one column; the loss is not consulted. Predictions
  // (2, 1) of 0.7 and 0.6 against labels 1 and 0: binary accuracy 0.5 (a categorical argmax over
  // a single column would always match and report 1.0).
  const Array y = test::column({1.0, 0.0}), p = test::column({0.7, 0.6});
  for (const std::string name : {"accuracy", "acc"}) {
    {
      auto one_column = metric(name);
      BOOST_TEST(one_column->name() == "accuracy");
      BOOST_TEST(one_column->result() == 0.0);  // before any update
      one_column->update(y, p);
      BOOST_TEST(one_column->result() == 0.5);
    }

    // Several columns, one-hot labels: categorical.
    {
      auto categorical = metric(name);
      BOOST_TEST(categorical->name() == "accuracy");
      categorical->update(Array{{0.0, 1.0}, {1.0, 0.0}}, Array{{0.3, 0.7}, {0.3, 0.7}});
      BOOST_TEST(categorical->result() == 0.5);
    }

    // Labels of lower rank, or a trailing 1 against several columns: sparse.
    {
      auto sparse = metric(name);
      BOOST_TEST(sparse->name() == "accuracy");
      sparse->update(Array{1.0, 1.0}, Array{{0.3, 0.7}, {0.8, 0.2}});  // labels, not one-hot
      BOOST_TEST(sparse->result() == 0.5);
      sparse->update(test::column({2.0}), Array{{0.1, 0.2, 0.7}});
      BOOST_TEST(sparse->result() == 2.0 / 3.0, tt::tolerance(1e-15));
    }
  }
}

BOOST_AUTO_TEST_CASE(multi_label_binary_crossentropy_accuracy_is_categorical_as_in_keras) {
  // Keras resolves "accuracy" for binary_crossentropy on several output columns to
  // categorical_accuracy (argmax against argmax), not binary_accuracy: both rows below match by
  // argmax (1.0) while only half of the elements match at the 0.5 threshold (0.5).
  const Array y = Array{{1.0, 0.0}, {0.0, 1.0}}, p = Array{{0.9, 0.8}, {0.1, 0.4}};
  auto accuracy = metric("accuracy");
  accuracy->update(y, p);
  BOOST_TEST(accuracy->result() == 1.0);
  auto binary = metric("binary_accuracy");
  binary->update(y, p);
  BOOST_TEST(binary->result() == 0.5);
}

BOOST_AUTO_TEST_CASE(resolved_accuracy_resets) {
  auto m = metric("accuracy");
  m->update(test::column({1.0}), test::column({0.9}));
  BOOST_TEST(m->result() == 1.0);
  m->reset();
  BOOST_TEST(m->result() == 0.0);
  m->update(Array{{1.0, 0.0}, {1.0, 0.0}}, Array{{0.1, 0.9}, {0.8, 0.2}});  // now categorical
  BOOST_TEST(m->result() == 0.5);
}

BOOST_AUTO_TEST_CASE(shape_mismatches_throw) {
  BOOST_CHECK_EXCEPTION(metric("mse")->update(Array{{1.0, 2.0, 3.0}}, Array{{1.0, 2.0}}), std::invalid_argument,
                        test::message_has<std::invalid_argument>({"mse", "(1, 3)", "(1, 2)"}));
  BOOST_CHECK_EXCEPTION(metric("categorical_accuracy")->update(Array{1.0, 0.0}, Array{{0.3, 0.7}, {0.8, 0.2}}),
                        std::invalid_argument, test::message_has<std::invalid_argument>({"categorical_accuracy", "(2,)", "(2, 2)"}));
  BOOST_CHECK_EXCEPTION(
      metric("sparse_categorical_accuracy")->update(Array{1.0, 0.0, 1.0}, Array{{0.3, 0.7}, {0.8, 0.2}}),
      std::invalid_argument, test::message_has<std::invalid_argument>({"sparse_categorical_accuracy", "(3,)", "(2, 2)"}));
  BOOST_CHECK_THROW(metric("binary_accuracy")->update(Array{1.0, 0.0}, Array{0.3, 0.7, 0.1}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(unknown_names_throw_listing_the_known_ones) {
  BOOST_CHECK_EXCEPTION(metric("precision"), std::invalid_argument,
                        test::message_has<std::invalid_argument>({"precision", "accuracy", "binary_accuracy", "sparse_categorical_accuracy", "mae"}));
  BOOST_CHECK_THROW(metric("Accuracy"), std::invalid_argument);
  BOOST_CHECK_THROW(nn::make_metric<float>(""), std::invalid_argument);
}
