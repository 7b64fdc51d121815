// scikit-learn's two-moons and concentric-circles toy data, point for point.
//
//   auto moons = datasets::make_moons(100, 0.25, 2);          // sklearn make_moons(100, noise=0.25, random_state=2)
//   auto data = datasets::make_moons<float>(100, 0.25, 2);    // the same points, cast to float
//   // data.x: (100, 2) coordinates; data.y: (100,) labels 0 (outer moon) or 1 (inner moon)
//   auto rings = datasets::make_circles(200, 0.05, 3, 0.5);   // factor 0.5: inner radius / outer
//
// Same random_state, same points as scikit-learn 1.2 (make_moons / make_circles in
// sklearn/datasets/_samples_generator.py), because RandomState reproduces numpy's legacy stream:
//   1. n_out = n_samples / 2 (rounded down) points on the outer shape, n_in = n_samples - n_out on
//      the inner one, in that order; labels 0 then 1.
//        moons:   outer (cos t, sin t), inner (1 - cos t, 1 - sin t - 0.5), t = linspace(0, pi, n)
//        circles: outer (cos t, sin t), inner factor * (cos t, sin t),
//                 t = linspace(0, 2 pi, n, endpoint=False)
//   2. shuffle: the rows are permuted by rng.shuffle(arange(n_samples)) (sklearn's util.shuffle).
//   3. noise: x += rng.normal(scale=noise, size=(n_samples, 2)), drawn in row-major order.
// The arithmetic is numpy's, step by step (products rounded before sums, no FMA), so the points
// are the same doubles as numpy's wherever numpy calls the C library's cos and sin (checked
// against glibc: bit-identical). numpy 1.24 on an AVX-512 (AVX512_SKX) CPU computes float64
// cos/sin with its own SIMD kernels instead, which differ from libm's by one ulp for some angles;
// against such a run the points agree to within 5e-16 (see tests/datasets/test_synthetic.cpp).
//
// Differences from scikit-learn: noise == 0 draws no noise (sklearn's default noise=None; for
// noise=0.0 sklearn draws and adds zeros, which gives the same points but leaves a shared
// RandomState further along); random_state is an integer (sklearn's default None means "fresh
// entropy": pass RandomState(std::random_device{}()) for that); n_samples is a count, not an
// (n_out, n_in) pair. Only float and double are instantiated.
#pragma once

#include <cstddef>
#include <cstdint>

#include <xtensor/xarray.hpp>

#include "datasets/random_state.hpp"

namespace datasets {

template <class T>
struct SyntheticData {
  xt::xarray<T> x;  // (n_samples, 2) point coordinates
  xt::xarray<T> y;  // (n_samples,) class labels 0 or 1
};

// noise: standard deviation of the gaussian noise added to each coordinate (>= 0, finite, else
// std::invalid_argument). random_state: numpy seed in [0, 2**32 - 1] (else std::invalid_argument).
// The RandomState& overloads draw from (and advance) rng, as passing a RandomState instance to
// scikit-learn does.
template <class T = double>
SyntheticData<T> make_moons(std::size_t n_samples = 100, double noise = 0.0, std::int64_t random_state = 0,
                            bool shuffle = true);
template <class T = double>
SyntheticData<T> make_moons(std::size_t n_samples, double noise, RandomState& rng, bool shuffle = true);

// factor: inner circle radius relative to the outer one's 1, in [0, 1) (else std::invalid_argument).
template <class T = double>
SyntheticData<T> make_circles(std::size_t n_samples = 100, double noise = 0.0, std::int64_t random_state = 0,
                              double factor = 0.8, bool shuffle = true);
template <class T = double>
SyntheticData<T> make_circles(std::size_t n_samples, double noise, RandomState& rng, double factor = 0.8,
                              bool shuffle = true);

// numpy.linspace(start, stop, num, endpoint) with numpy's arithmetic: i * step + start with
// step = (stop - start) / (num - 1) (or / num without the endpoint), the endpoint set exactly.
xt::xarray<double> linspace(double start, double stop, std::size_t num, bool endpoint = true);

}  // namespace datasets
