// The tape itself: recording, backward/grad semantics, release, no_grad, errors, anomaly mode,
// and the million-op chain that must neither recurse nor leak.
#define BOOST_TEST_MODULE tape
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <thread>

#include "common/check.hpp"

using test::Array;
using test::V;

namespace {
// Each test starts from an empty tape so tape_stats are meaningful.
struct FreshTape {
  FreshTape() {
    ad::compact_tape<double>();
    ad::compact_tape<float>();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tape, FreshTape)

BOOST_AUTO_TEST_CASE(backward_accumulates_into_leaves) {
  V x(Array{1.0, 2.0, 3.0}, true);
  V w(Array{0.5, -1.0, 2.0}, true);
  V c(Array{10.0, 10.0, 10.0});  // a constant: gets no gradient
  ad::backward(ad::sum(x * w + c));
  test::check_close(x.grad().value(), Array{0.5, -1.0, 2.0});
  test::check_close(w.grad().value(), Array{1.0, 2.0, 3.0});
  BOOST_TEST(!c.grad().defined());
  // A second backward adds to the gradients, as in PyTorch.
  ad::backward(ad::sum(x * w));
  test::check_close(x.grad().value(), Array{1.0, -2.0, 4.0});
  x.zero_grad();
  BOOST_TEST(!x.grad().defined());
}

BOOST_AUTO_TEST_CASE(grad_returns_without_touching_grad) {
  V x(Array{1.0, 2.0}, true);
  auto g = ad::grad(ad::sum(ad::square(x)), {x});
  BOOST_REQUIRE_EQUAL(g.size(), 1u);
  test::check_close(g[0].value(), Array{2.0, 4.0});
  BOOST_TEST(!x.grad().defined());
  BOOST_TEST(!g[0].requires_grad());  // no create_graph: a plain value
}

BOOST_AUTO_TEST_CASE(grad_of_intermediate_result) {
  V x(Array{1.0, 2.0}, true);
  V h = x * 3.0;
  V y = ad::sum(ad::square(h));
  auto g = ad::grad(y, {h, x});
  test::check_close(g[0].value(), Array{6.0, 12.0});   // 2h
  test::check_close(g[1].value(), Array{18.0, 36.0});  // 2h * 3
}

BOOST_AUTO_TEST_CASE(grad_of_a_leaf_output_is_the_seed) {
  V x(Array{4.0}, true);
  ad::backward(x);
  test::check_close(x.grad().value(), Array{1.0});
}

BOOST_AUTO_TEST_CASE(broadcast_sum_gradient_arrives_full_shape) {
  V x(test::random_array({3, 4}, 1), true);
  ad::backward(3.0 * ad::sum(x));
  test::check_close(x.grad().value(), Array(xt::ones<double>({3, 4}) * 3.0));
}

BOOST_AUTO_TEST_CASE(requires_grad_propagates) {
  V a(Array{1.0, 2.0});
  V b(Array{3.0, 4.0}, true);
  const auto before = ad::tape_stats<double>().records;
  V c = a * a;  // nothing requires grad: not recorded
  BOOST_TEST(!c.requires_grad());
  BOOST_TEST(ad::tape_stats<double>().records == before);
  V d = a * b;
  BOOST_TEST(d.requires_grad());
  BOOST_TEST(!d.is_leaf());
  BOOST_TEST(std::string(d.op_name()) == "mul");
  BOOST_TEST(ad::tape_stats<double>().records == before + 1);
  BOOST_CHECK_THROW(d.set_requires_grad(false), ad::GraphError);
  V e = d.detach();
  BOOST_TEST(e.is_leaf());
  BOOST_TEST(!e.requires_grad());
}

BOOST_AUTO_TEST_CASE(no_grad_records_nothing) {
  V x(Array{1.0, 2.0}, true);
  const auto before = ad::tape_stats<double>().records;
  {
    ad::NoGradGuard outer;
    {
      ad::NoGradGuard inner;
    }
    BOOST_TEST(!ad::grad_enabled());  // the inner guard restored "off", not "on"
    V y = ad::exp(x) * x;
    BOOST_TEST(!y.requires_grad());
    BOOST_TEST(ad::tape_stats<double>().records == before);
    BOOST_CHECK_THROW(ad::backward(ad::sum(y)), ad::GraphError);
  }
  BOOST_TEST(ad::grad_enabled());
}

BOOST_AUTO_TEST_CASE(non_scalar_backward_needs_a_seed) {
  V x(Array{1.0, 2.0, 3.0}, true);
  V y = x * x;
  const auto msg = test::message_of<ad::GraphError>([&] { ad::backward(y); });
  BOOST_TEST(msg.find("(3,)") != std::string::npos, msg);
  BOOST_TEST(msg.find("seed") != std::string::npos, msg);
  // The seed weights the output elements: d(sum(seed * x^2))/dx = 2 x seed.
  ad::backward(y, V(Array{1.0, 0.0, -1.0}));
  test::check_close(x.grad().value(), Array{2.0, 0.0, -6.0});
}

BOOST_AUTO_TEST_CASE(seed_of_wrong_shape_throws) {
  V x(Array{1.0, 2.0, 3.0}, true);
  V y = x * x;
  const auto msg = test::message_of<ad::ShapeError>([&] { ad::backward(y, V(Array{1.0, 2.0})); });
  BOOST_TEST(msg.find("(2,)") != std::string::npos, msg);
  BOOST_TEST(msg.find("(3,)") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(graph_is_released_after_backward) {
  V x(Array{1.0, 2.0}, true);
  V y = ad::sum(ad::exp(x));
  BOOST_TEST(ad::tape_stats<double>().live_records == 2u);
  ad::backward(y);
  BOOST_TEST(ad::tape_stats<double>().live_records == 0u);
  BOOST_TEST(ad::tape_stats<double>().records == 0u);  // nothing else was alive: the tape is empty
  const auto msg = test::message_of<ad::GraphError>([&] { ad::backward(y); });
  BOOST_TEST(msg.find("released") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(retain_graph_allows_a_second_sweep) {
  V x(Array{1.0, 2.0}, true);
  V y = ad::sum(ad::square(x));
  ad::backward(y, {.retain_graph = true});
  ad::backward(y);
  test::check_close(x.grad().value(), Array{4.0, 8.0});
  BOOST_CHECK_THROW(ad::backward(y), ad::GraphError);
}

BOOST_AUTO_TEST_CASE(backward_through_a_released_part_throws) {
  V x(Array{1.0, 2.0}, true);
  V h = ad::exp(x);
  ad::backward(ad::sum(h));  // releases exp's record
  V y = ad::sum(h * 2.0);    // reuses h
  const auto msg = test::message_of<ad::GraphError>([&] { ad::backward(y); });
  BOOST_TEST(msg.find("exp") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(unrelated_graphs_survive_a_backward) {
  V x(Array{1.0, 2.0}, true);
  V a = ad::sum(ad::exp(x));
  V b = ad::sum(ad::square(x));
  ad::backward(b);  // must not release a's records
  x.zero_grad();
  ad::backward(a);
  test::check_close(x.grad().value(), Array{std::exp(1.0), std::exp(2.0)});
}

BOOST_AUTO_TEST_CASE(unused_inputs) {
  V x(Array{1.0}, true), z(Array{5.0, 6.0}, true);
  V y = ad::sum(x * 2.0);
  const auto msg = test::message_of<ad::GraphError>([&] { ad::grad(y, {x, z}, {.retain_graph = true}); });
  BOOST_TEST(msg.find("input 1") != std::string::npos, msg);
  auto g = ad::grad(y, {x, z}, {.allow_unused = true});
  test::check_close(g[1].value(), Array{0.0, 0.0});
  V c(Array{1.0});
  BOOST_CHECK_THROW(ad::grad(ad::sum(x * c), {c}), ad::GraphError);  // c does not require grad
}

BOOST_AUTO_TEST_CASE(in_place_modification_is_detected) {
  V x(Array{1.0, 2.0}, true);
  V w(Array{3.0, 4.0}, true);
  V y = ad::sum(x * w);
  w.mutable_value()(0) = 100.0;  // mul saved w for its backward
  const auto msg = test::message_of<ad::GraphError>([&] { ad::backward(y); });
  BOOST_TEST(msg.find("mul") != std::string::npos, msg);
  BOOST_TEST(msg.find("modified") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(undefined_and_non_scalar_values_throw) {
  V empty;
  BOOST_TEST(!empty.defined());
  BOOST_CHECK_THROW(empty.value(), ad::Error);
  BOOST_CHECK_THROW(ad::backward(empty), ad::GraphError);
  V x(Array{1.0, 2.0});
  const auto msg = test::message_of<ad::ShapeError>([&] { (void)x.item(); });
  BOOST_TEST(msg.find("(2,)") != std::string::npos, msg);
  BOOST_TEST(V::scalar(2.5).item() == 2.5);
  BOOST_TEST(V::scalar(2.5).dim() == 0u);
}

BOOST_AUTO_TEST_CASE(anomaly_mode_names_the_forward_op) {
  V x(Array{1.0, 0.0}, true);
  {
    V y = ad::log(x);  // off by default: -inf is allowed through
    BOOST_TEST(std::isinf(y.value()(1)));
  }
  ad::DetectAnomalyGuard anomaly;
  const auto msg = test::message_of<ad::AnomalyError>([&] { (void)ad::log(x); });
  BOOST_TEST(msg.find("'log'") != std::string::npos, msg);
  BOOST_TEST(msg.find("Inf") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(anomaly_mode_names_the_backward_op) {
  V x(Array{4.0, 0.0}, true);
  ad::DetectAnomalyGuard anomaly;
  V y = ad::sum(ad::sqrt(x));  // finite forward, infinite slope at 0
  const auto msg = test::message_of<ad::AnomalyError>([&] { ad::backward(y); });
  BOOST_TEST(msg.find("backward of op 'sqrt'") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(anomaly_guard_restores_previous_mode) {
  BOOST_TEST(!ad::detect_anomaly());
  {
    ad::DetectAnomalyGuard on;
    BOOST_TEST(ad::detect_anomaly());
    {
      ad::DetectAnomalyGuard off(false);
      BOOST_TEST(!ad::detect_anomaly());
    }
    BOOST_TEST(ad::detect_anomaly());
  }
  BOOST_TEST(!ad::detect_anomaly());
}

BOOST_AUTO_TEST_CASE(million_op_chain_backward) {
  // 1,000,000 recorded ops in one chain: the sweep and the release must be flat loops.
  const int steps = 500000;
  V x(Array{1.0}, true);
  V y = x;
  for (int i = 0; i < steps; ++i) y = y * 1.000001 + 0.5;
  BOOST_TEST(ad::tape_stats<double>().records == 2u * steps);
  ad::backward(ad::sum(y));
  BOOST_TEST(x.grad().value()(0) == std::pow(1.000001, steps), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(ad::tape_stats<double>().records == 0u);
}

BOOST_AUTO_TEST_CASE(million_op_chain_dropped_without_backward) {
  V x(Array{1.0}, true);
  {
    V y = x;
    for (int i = 0; i < 500000; ++i) y = ad::exp(y * 0.0);  // 1,000,000 ops
  }
  // Dropping the result leaves unreachable records behind; compaction frees them in one pass.
  ad::compact_tape<double>();
  BOOST_TEST(ad::tape_stats<double>().records == 0u);
}

BOOST_AUTO_TEST_CASE(million_op_graph_is_freed_when_its_result_dies) {
  // As in PyTorch, the graph goes when its last result does: no compact_tape() call here.
  V x(Array{1.0}, true);
  {
    V y = x;
    for (int i = 0; i < 500000; ++i) y = ad::exp(y * 0.0);  // 1,000,000 ops
    BOOST_TEST(ad::tape_stats<double>().records == 1000000u);
  }
  BOOST_TEST(ad::tape_stats<double>().records == 0u);
}

BOOST_AUTO_TEST_CASE(retained_graph_is_freed_when_its_result_dies) {
  V x(Array{1.0, 2.0}, true);
  {
    V y = ad::sum(ad::exp(x) * 3.0);
    ad::backward(y, {.retain_graph = true});
    BOOST_TEST(ad::tape_stats<double>().records == 3u);
  }
  BOOST_TEST(ad::tape_stats<double>().records == 0u);
}

BOOST_AUTO_TEST_CASE(dropping_a_result_keeps_the_part_of_the_graph_still_reachable) {
  V x(Array{1.0, 2.0}, true);
  V h = ad::exp(x);
  { V y = ad::sum(h * 2.0); }  // mul and sum die with y; exp lives on in h
  BOOST_TEST(ad::tape_stats<double>().live_records == 1u);
  ad::backward(ad::sum(h));
  test::check_close(x.grad().value(), Array(xt::exp(x.value())));
}

BOOST_AUTO_TEST_CASE(unreachable_records_are_freed_as_the_tape_grows) {
  V x(Array{1.0, 2.0}, true);
  for (int i = 0; i < 100000; ++i) (void)ad::sum(x * 2.0);  // results dropped, never backwarded
  BOOST_TEST(ad::tape_stats<double>().records < 10000u);
}

BOOST_AUTO_TEST_CASE(million_op_chain_destroyed_with_its_thread) {
  // The thread's tape is destroyed at thread exit with a million records on it.
  std::thread worker([] {
    V x(Array{1.0}, true);
    V y = x;
    for (int i = 0; i < 1000000; ++i) y = y + 1.0;
    BOOST_TEST(ad::tape_stats<double>().records == 1000000u);
  });
  worker.join();
}

BOOST_AUTO_TEST_CASE(tapes_are_per_thread) {
  V x(Array{1.0}, true);
  V y = ad::sum(x * 2.0);
  std::string msg;
  std::thread other([&] { msg = test::message_of<ad::GraphError>([&] { ad::backward(y); }); });
  other.join();
  BOOST_TEST(msg.find("thread") != std::string::npos, msg);
  ad::backward(y);  // still intact on its own thread
  test::check_close(x.grad().value(), Array{2.0});
}

BOOST_AUTO_TEST_CASE(float_and_double_tapes_are_independent) {
  ad::Var<float> xf(xt::xarray<float>{1.0f, 2.0f}, true);
  V xd(Array{1.0, 2.0}, true);
  auto yf = ad::sum(ad::square(xf));
  auto yd = ad::sum(ad::square(xd));
  ad::backward(yd);
  ad::backward(yf);
  BOOST_TEST(xf.grad().value()(1) == 4.0f);
  BOOST_TEST(xd.grad().value()(1) == 4.0);
}

BOOST_AUTO_TEST_CASE(set_grad_checks_the_shape) {
  V x(Array{1.0, 2.0}, true);
  BOOST_CHECK_THROW(x.set_grad(V(Array{1.0})), ad::ShapeError);
  x.set_grad(V(Array{0.5, 0.5}));
  ad::backward(ad::sum(x));
  test::check_close(x.grad().value(), Array{1.5, 1.5});
}

BOOST_AUTO_TEST_SUITE_END()
