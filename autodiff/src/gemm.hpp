// The matrix products behind ad::matmul: C = op(A)·op(B), row-major, op = optional transpose,
// C overwritten. Dense products go to the BLAS (one thread by default, see threads.hpp); a left
// operand that is mostly zeros takes a zero-skipping kernel instead (gemm.cpp says when and why;
// tests/autodiff/test_linalg.cpp reaches it through ad::matmul with mostly-zero operands).
#pragma once

#include <cstddef>

namespace ad::detail {

// a is (m×k), or (k×m) if ta; b is (k×n), or (n×k) if tb; c is (m×n).
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b, float* c);
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a, const double* b, double* c);

}  // namespace ad::detail
