// The whole autodiff API: Var, the ops, backward/grad, gradcheck, functional transforms (jvp,
// hvp, jacobian, hessian), tensor creation, random tensors and .npy files.
//
//   #include <autodiff/autodiff.hpp>
//   ad::Var<float> W(xt::xarray<float>{{1, -2}, {3, 4}}, true);
//   auto loss = ad::sum(ad::square(W)) + 0.001f * ad::sum(ad::abs(W));
//   ad::backward(loss);   // W.grad().value() == 2W + 0.001 sign(W)
#pragma once

#include "autodiff/activation.hpp"
#include "autodiff/conv.hpp"
#include "autodiff/creation.hpp"
#include "autodiff/functional.hpp"
#include "autodiff/generator.hpp"
#include "autodiff/gradcheck.hpp"
#include "autodiff/npy.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/sparse.hpp"
#include "autodiff/threads.hpp"
#include "autodiff/var.hpp"
