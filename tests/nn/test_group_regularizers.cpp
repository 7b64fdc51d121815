// Group penalties (GroupLasso, SparseGroupLasso) and Keras 3's Orthogonal: values worked out by
// hand, gradients by value (0 at an all-zero group, finite second order there), gradcheck and
// gradgradcheck, their proximal steps by hand, and the errors.
#define BOOST_TEST_MODULE group_regularizers
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nn/regularizers.hpp>

#include "common/check.hpp"

using test::Array;
using test::V;
namespace tt = boost::test_tools;

namespace {

const double root2 = std::sqrt(2.0), root3 = std::sqrt(3.0);

// The penalty's gradient at w, and its Hessian times v, through grad() with create_graph.
std::pair<Array, Array> gradient_and_hvp(const nn::Regularizer& r, const Array& w, const Array& v) {
  const V leaf(w, true);
  const V g = ad::grad(r(leaf), {leaf}, {.create_graph = true})[0];
  const V hvp = ad::grad(ad::sum(g * V(v)), {leaf})[0];
  return {g.value(), hvp.value()};
}

bool all_finite(const Array& a) {
  for (const double x : a) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

// Regularizer::prox on a copy of w with step sizes `step`.
Array proxed(const nn::Regularizer& r, Array w, const nn::ProxStep<double>& step) {
  const auto& shape = w.shape();
  r.prox(std::span<double>(w.data(), w.size()), {shape.data(), shape.size()}, step);
  return w;
}

}  // namespace

// ---- GroupLasso: values ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(group_lasso_of_a_dense_kernel_by_rows_and_by_columns) {
  // Rows (input features) [3, 4], [0, 0], [1, 0]: norms 5, 0, 1, groups of p = 2.
  const V w(Array{{3.0, 4.0}, {0.0, 0.0}, {1.0, 0.0}}, true);
  BOOST_TEST(nn::GroupLasso(0.1)(w).item() == 0.1 * root2 * 6, tt::tolerance(1e-14));
  // Columns (output units) [3, 0, 1], [4, 0, 0]: norms √10, 4, groups of p = 3.
  BOOST_TEST(nn::GroupLasso(0.1, nn::GroupBy::output)(w).item() == 0.1 * root3 * (std::sqrt(10.0) + 4),
             tt::tolerance(1e-14));
  BOOST_TEST(nn::GroupLasso(0.1).description() == "GroupLasso(0.1, input)");
  BOOST_TEST(nn::GroupLasso(0.1, nn::GroupBy::output).description() == "GroupLasso(0.1, output)");
  BOOST_TEST(nn::GroupLasso(0.1).has_prox());
  BOOST_TEST(nn::GroupLasso().description() == "GroupLasso(0.01, input)");
}

BOOST_AUTO_TEST_CASE(group_lasso_of_a_conv_kernel_by_input_channel_and_by_filter) {
  // (kh, kw, in, filters) = (2, 2, 2, 3), w[a, b, c, f] = (a + 2b − c + f) / 4: the sums of
  // squares over each input channel c and each filter f, by explicit loops.
  Array w = Array::from_shape({2, 2, 2, 3});
  std::vector<double> channel(2, 0.0), filter(3, 0.0);
  for (std::size_t a = 0; a < 2; ++a)
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t c = 0; c < 2; ++c)
        for (std::size_t f = 0; f < 3; ++f) {
          const double x = (double(a) + 2.0 * double(b) - double(c) + double(f)) / 4;
          w(a, b, c, f) = x;
          channel[c] += x * x;
          filter[f] += x * x;
        }
  const V leaf(w, true);
  // Channel groups hold 2·2·3 = 12 weights, filter groups 2·2·2 = 8.
  const double by_channel = 0.5 * std::sqrt(12.0) * (std::sqrt(channel[0]) + std::sqrt(channel[1]));
  const double by_filter =
      0.5 * std::sqrt(8.0) * (std::sqrt(filter[0]) + std::sqrt(filter[1]) + std::sqrt(filter[2]));
  BOOST_TEST(nn::GroupLasso(0.5)(leaf).item() == by_channel, tt::tolerance(1e-14));
  BOOST_TEST(nn::GroupLasso(0.5, nn::GroupBy::output)(leaf).item() == by_filter, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(sparse_group_lasso_is_l1_plus_group_lasso) {
  const V w(Array{{3.0, -4.0}, {0.0, 0.0}, {-1.0, 0.0}}, true);
  BOOST_TEST(nn::SparseGroupLasso(0.2, 0.1)(w).item() == 0.2 * 8 + 0.1 * root2 * 6, tt::tolerance(1e-14));
  BOOST_TEST(nn::SparseGroupLasso(0.2, 0.1).description() == "SparseGroupLasso(0.2, 0.1, input)");
  BOOST_TEST(nn::SparseGroupLasso(0.2, 0.1, nn::GroupBy::output).description() ==
             "SparseGroupLasso(0.2, 0.1, output)");
  ad::Var<float> wf(xt::xarray<float>{{3.0f, -4.0f}, {0.0f, 0.0f}}, true);
  BOOST_TEST(nn::SparseGroupLasso(0.5, 0.5)(wf).item() == 0.5f * 7 + 0.5f * std::sqrt(2.0f) * 5,
             tt::tolerance(1e-6f));
}

// ---- GroupLasso: gradients ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(group_lasso_gradient_by_value_and_zero_at_a_zero_group) {
  // d/dw λ√p·‖w_g‖ = λ√p·w_g/‖w_g‖; at the zero row 0; the Hessian times v is
  // λ√p·(v_g − u·(u·v_g))/‖w_g‖ with u = w_g/‖w_g‖, and finite (here 0) at the zero row.
  const Array w{{3.0, 4.0}, {0.0, 0.0}};
  const Array v{{1.0, 2.0}, {5.0, -7.0}};
  const auto [g, hvp] = gradient_and_hvp(nn::GroupLasso(0.1), w, v);
  const double k = 0.1 * root2;
  test::check_close(g, Array{{k * 0.6, k * 0.8}, {0.0, 0.0}}, 1e-15, 1e-13);
  BOOST_TEST(g(1, 0) == 0.0);  // exactly
  BOOST_TEST(g(1, 1) == 0.0);
  const double uv = 0.6 * 1.0 + 0.8 * 2.0;  // u·v_0
  test::check_close(hvp, Array{{k * (1.0 - 0.6 * uv) / 5, k * (2.0 - 0.8 * uv) / 5}, {0.0, 0.0}}, 1e-15, 1e-12);
  BOOST_TEST(all_finite(hvp));
}

BOOST_AUTO_TEST_CASE(an_all_zero_kernel_has_zero_gradient_and_finite_second_order) {
  for (const auto& r : {nn::GroupLasso(0.3), nn::GroupLasso(0.3, nn::GroupBy::output), nn::SparseGroupLasso(0.1, 0.3),
                        nn::Orthogonal(0.3), nn::Orthogonal(0.3, "columns")}) {
    const Array zeros = xt::zeros<double>({3, 4});
    const auto [g, hvp] = gradient_and_hvp(r, zeros, test::random_array({3, 4}, 5));
    BOOST_TEST(r(V(zeros)).item() == 0.0, r.description());
    test::check_close(g, zeros, 0, 0);
    BOOST_TEST(all_finite(hvp), r.description());
  }
}

BOOST_AUTO_TEST_CASE(group_penalties_pass_gradcheck_and_gradgradcheck) {
  for (const auto& r : {nn::GroupLasso(0.3), nn::GroupLasso(0.3, nn::GroupBy::output), nn::SparseGroupLasso(0.1, 0.3),
                        nn::SparseGroupLasso(0.1, 0.3, nn::GroupBy::output)}) {
    BOOST_TEST_CONTEXT(r.description()) {
      auto f = [&](const test::Inputs& in) { return r(in[0]); };
      CHECK_GRADIENTS(f, test::random_array({3, 4}, 1));
      CHECK_GRADIENTS(f, test::random_array({2, 2, 3, 2}, 2));  // a Conv2D kernel
    }
  }
}

// ---- Orthogonal -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(orthogonal_by_hand) {
  // Rows [1, 0], [1, 1], [0, 2] normalize to (1, 0), (1, 1)/√2, (0, 1): off-diagonal Gram
  // entries 1/√2, 0, 1/√2 above the diagonal, the same below; mean of the 6 absolute values
  // 2√2/6.
  const V w(Array{{1.0, 0.0}, {1.0, 1.0}, {0.0, 2.0}}, true);
  BOOST_TEST(nn::Orthogonal(0.5)(w).item() == 0.5 * 2 * root2 / 6, tt::tolerance(1e-14));
  // Columns (1, 1, 0)/√2 and (0, 1, 2)/√5: one pair, dot 1/√10.
  BOOST_TEST(nn::Orthogonal(0.5, "columns")(w).item() == 0.5 / std::sqrt(10.0), tt::tolerance(1e-14));
  // A negative dot counts by its absolute value; orthogonal rows cost nothing.
  BOOST_TEST(nn::Orthogonal(1.0)(V(Array{{1.0, 1.0}, {-1.0, 0.0}})).item() == 1 / root2, tt::tolerance(1e-14));
  BOOST_TEST(nn::Orthogonal(1.0)(V(Array{{1.0, 1.0}, {-2.0, 2.0}})).item() == 0.0, tt::tolerance(1e-15));
  // A zero row stays zero (normalized by max(‖x‖, 1e-7)) and adds nothing.
  BOOST_TEST(nn::Orthogonal(0.5)(V(Array{{1.0, 0.0}, {0.0, 0.0}, {1.0, 1.0}})).item() == 0.5 * 2 / root2 / 6,
             tt::tolerance(1e-14));
  BOOST_TEST(nn::Orthogonal(0.5).description() == "Orthogonal(0.5, rows)");
  BOOST_TEST(nn::Orthogonal().description() == "Orthogonal(0.01, rows)");
  BOOST_TEST(!nn::Orthogonal().has_prox());
  ad::Var<float> wf(xt::xarray<float>{{1.0f, 0.0f}, {1.0f, 1.0f}, {0.0f, 2.0f}}, true);
  BOOST_TEST(nn::Orthogonal(0.5)(wf).item() == 0.5f * 2 * std::sqrt(2.0f) / 6, tt::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(orthogonal_passes_gradcheck_and_gradgradcheck) {
  for (const auto& r : {nn::Orthogonal(0.7), nn::Orthogonal(0.7, "columns")}) {
    BOOST_TEST_CONTEXT(r.description()) {
      auto f = [&](const test::Inputs& in) { return r(in[0]); };
      CHECK_GRADIENTS(f, test::random_array({3, 4}, 3));
      CHECK_GRADIENTS(f, test::random_array({4, 2}, 4));
    }
  }
}

// ---- proximal steps by hand -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(group_lasso_prox_is_the_block_soft_threshold) {
  // λ = 1/√2 on rows of p = 2: λ√p = 1; η = 0.1 (SGD): threshold 0.1. Row [3, 4] (norm 5)
  // scales by 1 − 0.1/5 = 0.98, row [0.3, 0.4] (norm 0.5) by 1 − 0.1/0.5 = 0.8.
  const auto r = nn::GroupLasso(1 / root2);
  test::check_close(proxed(r, Array{{3.0, 4.0}, {0.3, 0.4}}, {0.1}), Array{{2.94, 3.92}, {0.24, 0.32}}, 1e-15, 1e-14);
  // η = 0.6: the second row (norm 0.5 ≤ 0.6) becomes exactly +0, the first scales by 0.88.
  const Array w = proxed(r, Array{{3.0, 4.0}, {0.3, -0.4}}, {0.6});
  test::check_close(w, Array{{2.64, 3.52}, {0.0, 0.0}}, 1e-15, 1e-14);
  BOOST_TEST(!std::signbit(w(1, 1)));
  // By columns: [3, 0.3] and [4, 0.4].
  test::check_close(proxed(nn::GroupLasso(1 / root2, nn::GroupBy::output), Array{{3.0, 4.0}, {0.3, 0.4}}, {0.1}),
                    Array{{3.0 * (1 - 0.1 / std::hypot(3.0, 0.3)), 4.0 * (1 - 0.1 / std::hypot(4.0, 0.4))},
                          {0.3 * (1 - 0.1 / std::hypot(3.0, 0.3)), 0.4 * (1 - 0.1 / std::hypot(4.0, 0.4))}},
                    1e-15, 1e-14);
}

BOOST_AUTO_TEST_CASE(group_lasso_prox_of_a_conv_kernel_by_input_channel_and_by_filter) {
  // (kh, kw, in, filters) = (2, 3, 2, 3): each input channel's 18 weights, or each filter's 12,
  // scaled by max(0, 1 − η·λ√p/‖group‖), the norms by explicit loops. Channel 1 is made small
  // enough to go to zero.
  Array w = test::random_array({2, 3, 2, 3}, 9);
  for (std::size_t a = 0; a < 2; ++a)
    for (std::size_t b = 0; b < 3; ++b)
      for (std::size_t f = 0; f < 3; ++f) w(a, b, 1, f) *= 0.01;
  const double lambda = 0.1, eta = 0.5;
  for (const auto groups : {nn::GroupBy::input, nn::GroupBy::output}) {
    const bool by_channel = groups == nn::GroupBy::input;
    const std::size_t count = by_channel ? 2 : 3, p = by_channel ? 18 : 12;
    std::vector<double> norm2(count, 0.0);
    for (std::size_t a = 0; a < 2; ++a)
      for (std::size_t b = 0; b < 3; ++b)
        for (std::size_t c = 0; c < 2; ++c)
          for (std::size_t f = 0; f < 3; ++f) norm2[by_channel ? c : f] += w(a, b, c, f) * w(a, b, c, f);
    Array expected = w;
    for (std::size_t a = 0; a < 2; ++a)
      for (std::size_t b = 0; b < 3; ++b)
        for (std::size_t c = 0; c < 2; ++c)
          for (std::size_t f = 0; f < 3; ++f) {
            const double norm = std::sqrt(norm2[by_channel ? c : f]);
            expected(a, b, c, f) *= std::max(0.0, 1 - eta * lambda * std::sqrt(double(p)) / norm);
          }
    test::check_close(proxed(nn::GroupLasso(lambda, groups), w, {eta}), expected, 1e-15, 1e-13);
  }
  const Array by_channel = proxed(nn::GroupLasso(lambda), w, {eta});
  BOOST_TEST(by_channel(1, 2, 1, 2) == 0.0);  // channel 1: exactly zero
  BOOST_TEST(by_channel(1, 2, 0, 2) != 0.0);
}

BOOST_AUTO_TEST_CASE(sparse_group_lasso_prox_is_soft_then_block_threshold) {
  // l1 = 1, η = 0.1: soft threshold by 0.1 gives [2.9, 0, −3.9]; then the group of p = 3 with
  // λ = 1/√3 (λ√p = 1) scales by 1 − 0.1/‖[2.9, 0, −3.9]‖.
  const Array w = proxed(nn::SparseGroupLasso(1.0, 1 / root3), Array{{3.0, 0.05, -4.0}}, {0.1});
  const double scale = 1 - 0.1 / std::hypot(2.9, 3.9);
  test::check_close(w, Array{{2.9 * scale, 0.0, -3.9 * scale}}, 1e-15, 1e-14);
  BOOST_TEST(w(0, 1) == 0.0);
}

BOOST_AUTO_TEST_CASE(adam_metric_prox_satisfies_its_optimality_condition) {
  // η_i = scale/(√v_i + ε) differ; u = prox must satisfy (u − w)/η + c·u/‖u‖ = 0 for a
  // nonzero group (c = λ√p), and u = 0 exactly when ‖w ⊘ η‖ ≤ c.
  const Array v{{0.04, 1.0, 0.0025}, {0.04, 1.0, 0.0025}};
  const nn::ProxStep<double> step{0.01, v.data(), 0.0};  // η = 0.05, 0.01, 0.2
  const Array eta{0.05, 0.01, 0.2};
  const double lambda = 0.5, c = lambda * root3;
  // Row 0: w ⊘ η = [4, 10, 5], norm 11.87 > c = 0.866: nonzero. Row 1: w ⊘ η =
  // 0.98·[0.4, −0.6, 0.5], norm 0.98·0.8775 = 0.860 ≤ c: exactly zero (although ‖w‖ = 0.100 is
  // far above the threshold η·c of the smallest η, 0.0087).
  const Array w{{0.2, 0.1, 1.0}, {0.98 * 0.02, -0.98 * 0.006, 0.98 * 0.1}};
  const Array u = proxed(nn::GroupLasso(lambda), w, step);
  const double norm = std::sqrt(u(0, 0) * u(0, 0) + u(0, 1) * u(0, 1) + u(0, 2) * u(0, 2));
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(std::abs((u(0, i) - w(0, i)) / eta(i) + c * u(0, i) / norm) < 1e-12, "coordinate " << i);
    BOOST_TEST(u(1, i) == 0.0);
  }
  // Equal η_i: the block soft threshold with η.
  const Array same{{1.0, 1.0, 1.0}};
  test::check_close(proxed(nn::GroupLasso(lambda), Array{{3.0, 0.0, 4.0}}, {0.1, same.data(), 0.0}),
                    Array{{3.0 * (1 - 0.1 * c / 5), 0.0, 4.0 * (1 - 0.1 * c / 5)}}, 1e-15, 1e-13);
}

namespace {

// u = prox of w for GroupLasso(lambda) on one row of ProxStep{scale, v, 0}: exactly 0 when
// ‖w ⊘ η‖ ≤ c = λ√p, else (u − w)/η + c·u/‖u‖ = 0 within rtol relative to c.
template <class T>
void check_adam_metric_prox(const xt::xarray<T>& w, const xt::xarray<T>& v, T scale, double lambda, double rtol) {
  xt::xarray<T> u = w;
  const auto& shape = u.shape();
  nn::GroupLasso(lambda).prox(std::span<T>(u.data(), u.size()), {shape.data(), shape.size()},
                              nn::ProxStep<T>{scale, v.data(), T(0)});
  const double c = lambda * std::sqrt(static_cast<double>(w.size()));
  double scaled = 0, norm = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double eta = double(scale) / std::sqrt(double(v(i)));
    scaled += (double(w(i)) / eta) * (double(w(i)) / eta);
    norm += double(u(i)) * double(u(i));
  }
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double eta = double(scale) / std::sqrt(double(v(i)));
    if (std::sqrt(scaled) <= c * (1 - 10 * rtol)) {
      BOOST_TEST(u(i) == T(0));
    } else if (std::sqrt(scaled) > c * (1 + 10 * rtol)) {
      const double residual = (double(u(i)) - double(w(i))) / eta + c * double(u(i)) / std::sqrt(norm);
      BOOST_TEST(std::abs(residual) <= rtol * c, "coordinate " << i << ": residual " << residual);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(adam_metric_prox_is_optimal_for_step_sizes_over_six_decades) {
  // 300 random groups of 5 with η_i = 1e-3/√v_i, v_i = 10^[−6, 0]: η from 1e-3 to 1; w_i = η_i·z_i
  // with ‖z‖ around c, so about half the groups go to zero.
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> exponent(-6, 0), size(0.3, 1.7);
  std::normal_distribution<double> normal;
  const double lambda = 0.3, c = lambda * std::sqrt(5.0);
  for (int trial = 0; trial < 300; ++trial) {
    Array w = Array::from_shape({1, 5}), v = Array::from_shape({5});
    const double s = size(rng);
    for (std::size_t i = 0; i < 5; ++i) {
      v(i) = std::pow(10.0, exponent(rng));
      w(0, i) = 1e-3 / std::sqrt(v(i)) * c * s * normal(rng) / std::sqrt(5.0);
    }
    check_adam_metric_prox<double>(w, v, 1e-3, lambda, 1e-10);
    check_adam_metric_prox<float>(xt::xarray<float>(w), xt::xarray<float>(v), 1e-3f, lambda, 1e-4);
  }
}

BOOST_AUTO_TEST_CASE(a_group_of_one_weight_is_l1) {
  // GroupLasso on an (n, 1) kernel by rows has groups of one weight and √1 = 1: its prox is L1's
  // soft threshold, with SGD's and with Adam's step sizes.
  const Array w = test::column({0.5, -0.02, 0.03, -2.0});
  const Array v = test::column({0.01, 4.0, 0.0001, 1.0});
  for (const nn::ProxStep<double>& step : {nn::ProxStep<double>{0.1}, nn::ProxStep<double>{0.01, v.data(), 1e-7}}) {
    test::check_close(proxed(nn::GroupLasso(0.3), w, step), proxed(nn::L1(0.3), w, step), 1e-16, 1e-14);
  }
}

// ---- errors ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(strengths_that_are_negative_or_not_finite_are_refused_naming_them) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<double, std::string>> bad{
      {std::numeric_limits<double>::quiet_NaN(), "nan"}, {inf, "inf"}, {-inf, "-inf"}, {-0.5, "-0.5"}};
  using E = std::invalid_argument;
  for (const auto& [x, text] : bad) {
    BOOST_CHECK_EXCEPTION(nn::GroupLasso(x), E,
                          test::message_has<E>({"nn::GroupLasso: lambda must be a finite number >= 0, got " + text}));
    BOOST_CHECK_EXCEPTION(nn::SparseGroupLasso(x, 0.1), E, test::message_has<E>({"nn::SparseGroupLasso: l1", "got " + text}));
    BOOST_CHECK_EXCEPTION(nn::SparseGroupLasso(0.1, x), E,
                          test::message_has<E>({"nn::SparseGroupLasso: group", "got " + text}));
    BOOST_CHECK_EXCEPTION(nn::Orthogonal(x), E,
                          test::message_has<E>({"nn::Orthogonal: factor must be a finite number >= 0, got " + text}));
  }
  BOOST_CHECK_EXCEPTION(nn::Orthogonal(0.1, "diagonal"), E,
                        test::message_has<E>({"nn::Orthogonal: mode must be \"rows\" or \"columns\", got \"diagonal\""}));
  BOOST_CHECK_NO_THROW(nn::GroupLasso(0));
}

BOOST_AUTO_TEST_CASE(a_parameter_without_the_grouped_axis_is_refused_naming_regularizer_and_shape) {
  using E = std::invalid_argument;
  const V bias(Array{1.0, 2.0, 3.0}, true);
  BOOST_CHECK_EXCEPTION((void)nn::GroupLasso(0.1)(bias), E,
                        test::message_has<E>({"nn::GroupLasso(0.1, input)", "rank >= 2", "got shape (3,)"}));
  BOOST_CHECK_EXCEPTION((void)nn::SparseGroupLasso(0.1, 0.2, nn::GroupBy::output)(bias), E,
                        test::message_has<E>({"nn::SparseGroupLasso(0.1, 0.2, output)", "got shape (3,)"}));
  BOOST_CHECK_EXCEPTION(proxed(nn::GroupLasso(0.1), Array{1.0, 2.0}, {0.1}), E,
                        test::message_has<E>({"nn::GroupLasso(0.1, input)", "got shape (2,)"}));
  BOOST_CHECK_EXCEPTION((void)nn::Orthogonal(0.1)(V(test::random_array({2, 2, 3}, 1))), E,
                        test::message_has<E>({"nn::Orthogonal(0.1, rows)", "rank-2", "got shape (2, 2, 3)"}));
  BOOST_CHECK_EXCEPTION((void)nn::Orthogonal(0.1, "columns")(V(test::column({1.0, 2.0}))), E,
                        test::message_has<E>({"nn::Orthogonal(0.1, columns)", "2 columns", "got shape (2, 1)"}));
}
