// Tensors made without writing xtensor code: constants, ranges, identity matrices, values from
// a std::vector, and random tensors from a seeded ad::Generator. Every element of every result
// is written: nothing made here exposes uninitialized memory.
//
//   auto W = ad::normal<float>({2, 128}, gen, 0.0f, 0.1f, /*requires_grad=*/true);
//   auto b = ad::zeros<float>({128}, true);
//   auto t = ad::linspace<double>(0, 1, 11);          // 0, 0.1, ..., 1 (both ends exact)
//   auto i = ad::arange<double>(0, 1, 0.25);          // 0, 0.25, 0.5, 0.75
//   auto x = ad::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
//   ad::save_npy("x.npy", x);                         // autodiff/npy.hpp
//
// T is given explicitly (ad::zeros<double>(...)) except where a Var or a std::vector argument
// fixes it. arange and linspace compute in double and round each value to T, as numpy does for
// Python floats. Errors: ValueError naming the op and the value (a zero or non-finite step, a
// negative or NaN std, lo >= hi), ShapeError naming the sizes for from_vector.
#pragma once

#include <cstddef>
#include <vector>

#include "autodiff/generator.hpp"
#include "autodiff/var.hpp"

namespace ad {

template <class T> Var<T> zeros(const Shape& shape, bool requires_grad = false);
template <class T> Var<T> ones(const Shape& shape, bool requires_grad = false);
template <class T> Var<T> full(const Shape& shape, Scalar<T> value, bool requires_grad = false);
template <class T> Var<T> zeros_like(const Var<T>& x, bool requires_grad = false);  // x's shape
template <class T> Var<T> ones_like(const Var<T>& x, bool requires_grad = false);

// numpy.arange: start, start + step, ... while before stop; ceil((stop - start) / step) values.
template <class T> Var<T> arange(Scalar<T> stop);  // 0, 1, ..., up to stop
template <class T> Var<T> arange(Scalar<T> start, Scalar<T> stop, Scalar<T> step = 1);
// numpy.linspace with endpoint: num values from start to stop, both exact; num 0 is empty.
template <class T> Var<T> linspace(Scalar<T> start, Scalar<T> stop, std::size_t num);
// (n, m) with ones on the main diagonal; eye(n) is (n, n).
template <class T> Var<T> eye(std::size_t n);
template <class T> Var<T> eye(std::size_t n, std::size_t m);

// values in C (row-major) order; values.size() must be the product of shape.
template <class T> Var<T> from_vector(std::vector<T> values, const Shape& shape, bool requires_grad = false);

// mean + stddev * N(0, 1), and uniform in [lo, hi), drawn in C order from gen.
template <class T> Var<T> normal(const Shape& shape, Generator& gen, Scalar<T> mean = 0, Scalar<T> stddev = 1,
                                 bool requires_grad = false);
template <class T> Var<T> uniform(const Shape& shape, Generator& gen, Scalar<T> lo = 0, Scalar<T> hi = 1,
                                  bool requires_grad = false);

}  // namespace ad
