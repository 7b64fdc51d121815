// Tapes across threads: concurrent backward sweeps into a shared leaf (Hogwild-style training,
// two losses over shared weights) accumulate exact sums; a graph used on a thread other than the
// one whose tape recorded it throws GraphError instead of returning without gradients. CI also
// runs this file under ThreadSanitizer.
#define BOOST_TEST_MODULE threads
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include <xtensor/xio.hpp>

#include "common/check.hpp"

using test::Array;
using test::V;

namespace {

// Starts `n` threads running f(thread index) together (a spin barrier so they overlap) and joins them.
template <class F>
void run_together(int n, F f) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < n) std::this_thread::yield();
      f(t);
    });
  }
  for (auto& th : threads) th.join();
}

std::string thread_error(const std::function<void()>& f) { return test::message_of<ad::GraphError>(f); }

}  // namespace

BOOST_AUTO_TEST_SUITE(threads)

BOOST_AUTO_TEST_CASE(concurrent_backward_into_a_shared_leaf_sums_exactly) {
  // Each thread's loss is sum(w * (t + 1)) + sum(square(w)) / 2, whose gradient is (t + 1) + w:
  // small integers, so the accumulated sum is exact in any order.
  const int n_threads = 4, steps = 200;
  V w(Array(xt::arange<double>(0.0, 64.0)), true);
  run_together(n_threads, [&](int t) {
    for (int s = 0; s < steps; ++s) {
      V loss = ad::sum(w * double(t + 1)) + ad::sum(ad::square(w)) * 0.5;
      ad::backward(loss);
    }
  });
  const Array expected = steps * (1.0 + 2.0 + 3.0 + 4.0) + n_threads * steps * w.value();
  BOOST_TEST(xt::all(xt::equal(w.grad().value(), expected)), "grad " << w.grad().value());
}

BOOST_AUTO_TEST_CASE(two_losses_over_shared_weights_with_matmul_and_broadcasting) {
  // A shared weight matrix and bias, used through matmul and a broadcast add on two threads.
  V w(Array{{1.0, 2.0}, {3.0, 4.0}}, true);
  V b(Array{0.5, -0.5}, true);
  const Array x1{{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}};
  const Array x2{{2.0, 1.0}};
  const int steps = 100;
  run_together(2, [&](int t) {
    const V x(t == 0 ? x1 : x2);
    for (int s = 0; s < steps; ++s) ad::backward(ad::sum(ad::matmul(x, w) + b));
  });
  // d/dW sum(xW + b) = column sums of x broadcast over W's columns; d/db = rows of x.
  const Array gw{{steps * 4.0, steps * 4.0}, {steps * 3.0, steps * 3.0}};
  const Array gb{steps * 4.0, steps * 4.0};
  BOOST_TEST(xt::all(xt::equal(w.grad().value(), gw)), "grad w " << w.grad().value());
  BOOST_TEST(xt::all(xt::equal(b.grad().value(), gb)), "grad b " << b.grad().value());
}

BOOST_AUTO_TEST_CASE(concurrent_grad_and_create_graph_over_a_shared_leaf) {
  // grad() touches no grad(), and create_graph records on each thread's own tape.
  V x(Array{1.0, 2.0, 3.0}, true);
  std::vector<Array> second(3);
  run_together(3, [&](int t) {
    for (int s = 0; s < 50; ++s) {
      V y = ad::sum(ad::pow(x, 3.0)) * double(t + 1);
      V g = ad::grad(y, {x}, {.create_graph = true})[0];  // 3 (t+1) x^2
      second[t] = ad::grad(ad::sum(g), {x})[0].value();   // 6 (t+1) x
    }
  });
  for (int t = 0; t < 3; ++t) test::check_close(second[t], 6.0 * (t + 1) * x.value());
  BOOST_TEST(!x.grad().defined());
}

BOOST_AUTO_TEST_CASE(a_result_from_an_exited_thread_throws_instead_of_losing_its_gradient) {
  V w(Array{1.0, 2.0}, true);
  V h;
  std::thread worker([&] { h = w * 2.0; });  // recorded on the worker's tape, which dies with it
  worker.join();
  V y = ad::sum(h * 3.0 + w);
  const auto msg = thread_error([&] { ad::backward(y); });
  BOOST_TEST(msg.find("'mul") != std::string::npos, msg);
  BOOST_TEST(msg.find("thread") != std::string::npos, msg);
  BOOST_TEST(!w.grad().defined());
  // The same value used as a constant works: detach() makes it a leaf of this thread's graph.
  ad::backward(ad::sum(h.detach() * 3.0 + w));
  test::check_close(w.grad().value(), Array{1.0, 1.0});
}

BOOST_AUTO_TEST_CASE(a_sweep_on_a_tape_holding_the_same_sequence_number_throws) {
  ad::compact_tape<double>();
  V x(Array{1.0, 2.0}, true);
  V y_other;
  std::thread worker([&] { y_other = ad::sum(x * 2.0); });  // records 1 and 2 on a fresh tape
  worker.join();
  std::thread main_like([&] {
    V z = ad::sum(x * 5.0);  // records 1 and 2 on this thread's fresh tape too
    const auto msg = thread_error([&] { ad::backward(y_other); });
    BOOST_TEST(msg.find("thread") != std::string::npos, msg);
    BOOST_TEST(!x.grad().defined());
    ad::backward(z);
  });
  main_like.join();
  test::check_close(x.grad().value(), Array{5.0, 5.0});
}

BOOST_AUTO_TEST_CASE(a_live_graph_swept_from_another_thread_throws_and_stays_usable) {
  V x(Array{1.0}, true);
  V h = ad::exp(x);
  std::string msg;
  std::thread other([&] { msg = thread_error([&] { ad::backward(ad::sum(h * 2.0)); }); });
  other.join();
  BOOST_TEST(msg.find("'exp'") != std::string::npos, msg);
  BOOST_TEST(msg.find("thread") != std::string::npos, msg);
  ad::backward(ad::sum(h));
  test::check_close(x.grad().value(), Array{std::exp(1.0)});
}

BOOST_AUTO_TEST_CASE(results_dropped_on_another_thread_are_freed_by_their_own_tape) {
  ad::compact_tape<double>();
  V x(Array{1.0}, true);
  V h = ad::exp(x) * 2.0;
  std::thread other([h = std::move(h)]() mutable { h = V(); });  // last owner dies elsewhere
  other.join();
  ad::compact_tape<double>();
  BOOST_TEST(ad::tape_stats<double>().records == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
