// The whole nn API: Sequential models, layers, initializers, regularizers, losses, metrics,
// optimizers, callbacks, .npz files.
//
//   #include <nn/nn.hpp>
//   nn::Sequential model;
//   model.add(nn::Dense(128, "relu", {.kernel_regularizer = nn::L1(1e-3)}));
//   model.add(nn::Dense(1, "sigmoid"));
//   model.compile(nn::Adam{.learning_rate = 0.01}, "binary_crossentropy", {"accuracy"});
//   auto history = model.fit(x, y, {.epochs = 100, .validation_split = 0.2});
#pragma once

#include "nn/callbacks.hpp"
#include "nn/constraints.hpp"
#include "nn/conv_layers.hpp"
#include "nn/initializers.hpp"
#include "nn/kernel_layer.hpp"
#include "nn/layer.hpp"
#include "nn/layers.hpp"
#include "nn/losses.hpp"
#include "nn/metrics.hpp"
#include "nn/module.hpp"
#include "nn/npz.hpp"
#include "nn/optimizers.hpp"
#include "nn/proximal.hpp"
#include "nn/regularizers.hpp"
#include "nn/select_features.hpp"
#include "nn/sequential.hpp"
