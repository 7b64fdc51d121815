// The `sparse` section of the benchmark: dense (BLAS) against sparse-weight products.
#pragma once

namespace bench {

// One JSON line per (shape, batch, density, product): x·W (forward) and g·Wᵀ (input gradient) on
// the MNIST layer shapes through ad::matmul, with ad::SparseKernels::off and ::on in alternating
// rounds; min and median microseconds of each side, the ratio of medians (sparse / dense), and
// whether the automatic rule takes the sparse path there; then ("sparse_predict") predict of the
// seed MNIST MLP with every kernel at 2/5/10% nonzeros, 1 and 1000 rows, automatic against off.
// quick: fewer cases and repetitions.
void bench_sparse(bool quick);

}  // namespace bench
