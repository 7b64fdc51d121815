// Losses with Keras semantics: each returns the mean over the batch of a per-sample loss, as a
// differentiable scalar. y_true first, as in Keras.
//
//   auto loss = nn::categorical_crossentropy(Y, model.forward(X));             // probabilities
//   auto loss = nn::binary_crossentropy(Y, logits, /*from_logits=*/true);      // stable
//   auto fn = nn::loss_by_name<float>("sparse_categorical_crossentropy");
#pragma once

#include <functional>
#include <string>

#include <autodiff/autodiff.hpp>

namespace nn {

// Shapes: y_true must have y_pred's shape, except that ranks differing by a trailing 1 are
// matched as Keras does ((batch,) against (batch, 1) and the other way round); any other mismatch
// throws ad::ShapeError naming the loss and both shapes. Bad arguments (sparse labels, huber's
// delta <= 0, undefined Vars) throw std::invalid_argument.

// Clipping constant for probabilities (Keras's backend epsilon).
inline constexpr double probability_epsilon = 1e-7;

template <class T> ad::Var<T> mean_squared_error(const ad::Var<T>& y_true, const ad::Var<T>& y_pred);
template <class T> ad::Var<T> mean_absolute_error(const ad::Var<T>& y_true, const ad::Var<T>& y_pred);
// 0.5·e² for |e| ≤ delta, delta·(|e| − 0.5·delta) beyond.
template <class T> ad::Var<T> huber(const ad::Var<T>& y_true, const ad::Var<T>& y_pred, double delta = 1.0);
// Probabilities are clipped to [ε, 1−ε]; logits use max(x,0) − x·y + log1p(e^−|x|), accurate
// to a few ulps at any logit (no cancellation for label 1 and large x), derivative sigmoid(x) − y.
template <class T> ad::Var<T> binary_crossentropy(const ad::Var<T>& y_true, const ad::Var<T>& y_pred,
                                                  bool from_logits = false);
// y_true one-hot (batch, classes). Probabilities are renormalized to sum 1 and clipped to [ε, 1−ε].
template <class T> ad::Var<T> categorical_crossentropy(const ad::Var<T>& y_true, const ad::Var<T>& y_pred,
                                                       bool from_logits = false);
// y_true holds class indices (batch) or (batch, 1) as T; throws naming the bad label otherwise.
template <class T> ad::Var<T> sparse_categorical_crossentropy(const ad::Var<T>& y_true, const ad::Var<T>& y_pred,
                                                              bool from_logits = false);

template <class T>
using LossFunction = std::function<ad::Var<T>(const ad::Var<T>& y_true, const ad::Var<T>& y_pred)>;

// "mse"/"mean_squared_error", "mae"/"mean_absolute_error", "huber", "binary_crossentropy",
// "categorical_crossentropy", "sparse_categorical_crossentropy"; throws std::invalid_argument
// listing the known names otherwise.
template <class T> LossFunction<T> loss_by_name(const std::string& name);

}  // namespace nn
