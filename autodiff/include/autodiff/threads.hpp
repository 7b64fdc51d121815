// Threads (and kernels) of the BLAS behind matmul.
//
// One by default: on the 2-core machines we measure on, a second thread made OpenBLAS's small
// and medium gemms (and PyTorch) slower or no faster, and one thread compares like for like with
// single-threaded peers. More, for large layers or more cores:
//
//   ad::set_num_threads(2);          // from code, at any time
//   TAPEFLOW_NUM_THREADS=2 ./prog    // or from the environment, read at the first matmul
//
// OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, if set and TAPEFLOW_NUM_THREADS is not, are left to
// OpenBLAS as usual.
#pragma once

#include <string>

namespace ad {

// The most threads asked for, by set_num_threads or TAPEFLOW_NUM_THREADS.
inline constexpr int max_num_threads = 1024;

// threads in [1, max_num_threads], else std::invalid_argument naming the value. An invalid
// TAPEFLOW_NUM_THREADS (not an integer in that range) throws std::invalid_argument at the first
// matmul, naming the variable and its value.
void set_num_threads(int threads);
int num_threads();  // what the BLAS uses now

// The OpenBLAS kernel set in use, e.g. "Haswell" (AVX2) or "Cooperlake" (AVX-512): OpenBLAS
// picks it for the CPU when it loads, unless OPENBLAS_CORETYPE names one.
std::string blas_kernels();

}  // namespace ad
