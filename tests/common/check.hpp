// Shared helpers for the autodiff and nn tests: random inputs kept away from kinks, and first- plus
// second-order gradient checks with the project's tolerances passed by name.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <autodiff/autodiff.hpp>

namespace test {

using Array = xt::xarray<double>;
using V = ad::Var<double>;
using Inputs = std::vector<V>;

// The tolerances of the project's correctness discipline.
inline const ad::GradcheckOptions tolerances{.eps = 1e-6, .atol = 1e-5, .rtol = 1e-3};

// Uniform values in [lo, hi] whose magnitude is at least min_abs, so |x| and relu stay off their
// kinks by much more than the central-difference step.
inline Array random_array(const ad::Shape& shape, unsigned seed, double lo = -2, double hi = 2, double min_abs = 0.1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  Array a = Array::from_shape(shape);
  for (auto& e : a) {
    do e = u(rng);
    while (std::abs(e) < min_abs);
  }
  return a;
}

// Positive values in [lo, hi] (log, sqrt, division).
inline Array positive_array(const ad::Shape& shape, unsigned seed, double lo = 0.5, double hi = 2) {
  return random_array(shape, seed, lo, hi, 0);
}

// An (n, 1) column; a braced list of one-element rows such as Array{{1}, {2}} is ambiguous.
inline Array column(std::initializer_list<double> values) {
  Array a = Array::from_shape({values.size(), 1});
  std::copy(values.begin(), values.end(), a.begin());
  return a;
}

// The message of the E that f throws, or "<no exception>".
template <class E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

// f must throw an E whose message contains every string in `needles`.
template <class E, class F>
void check_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    BOOST_ERROR("expected an exception, but nothing was thrown");
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& n : needles) {
      BOOST_CHECK_MESSAGE(msg.find(n) != std::string::npos, "message \"" << msg << "\" does not contain \"" << n << "\"");
    }
  } catch (const std::exception& e) {
    BOOST_ERROR("expected another exception type, got: " << e.what());
  }
}

// x's accumulated gradient; fails the test case if backward left none.
inline Array grad_value(const V& x) {
  BOOST_REQUIRE_MESSAGE(x.grad().defined(), "no gradient was accumulated");
  return x.grad().value();
}

// d/dx sum(f(x)) at x, through backward.
inline Array grad_of_sum(const std::function<V(const V&)>& f, const Array& x) {
  V leaf(x, true);
  ad::backward(ad::sum(f(leaf)));
  return grad_value(leaf);
}

// f applied elementwise to a copy of x, with a plain scalar function (the reference values).
inline Array map(const Array& x, const std::function<double(double)>& f) {
  Array r = x;
  for (auto& e : r) e = f(e);
  return r;
}

// A predicate for BOOST_CHECK_EXCEPTION: the message contains every one of `parts`.
template <class E>
auto message_has(std::vector<std::string> parts) {
  return [parts](const E& e) {
    const std::string m = e.what();
    bool ok = true;
    for (const auto& p : parts) {
      if (m.find(p) == std::string::npos) {
        BOOST_TEST_MESSAGE("message '" << m << "' lacks '" << p << "'");
        ok = false;
      }
    }
    return ok;
  };
}

// Checks f's first and second derivatives at `inputs`.
#define CHECK_GRADIENTS(f, ...)                                                               \
  do {                                                                                        \
    const std::vector<test::Array> inputs_{__VA_ARGS__};                                      \
    const auto first_ = ad::gradcheck(f, inputs_, test::tolerances);                          \
    BOOST_CHECK_MESSAGE(first_.ok, first_.message);                                           \
    const auto second_ = ad::gradgradcheck(f, inputs_, test::tolerances);                     \
    BOOST_CHECK_MESSAGE(second_.ok, second_.message);                                         \
  } while (0)

// Checks that two arrays have the same shape and agree elementwise within atol + rtol * |b|.
inline void check_close(const Array& a, const Array& b, double atol = 1e-12, double rtol = 1e-12) {
  BOOST_REQUIRE_MESSAGE(a.shape() == b.shape(),
                        "shapes differ: " + ad::shape_str(a.shape()) + " vs " + ad::shape_str(b.shape()));
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = a.data()[i], y = b.data()[i];
    BOOST_CHECK_MESSAGE(std::abs(x - y) <= atol + rtol * std::abs(y),
                        "element " << i << ": " << x << " vs " << y);
  }
}

}  // namespace test
