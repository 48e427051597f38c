/* The matrix-multiply kernel shared by the Wasm guest (matmul.c) and the native build (matmul_native.c),
 * so the guest-vs-native benchmark compares the same C code compiled two ways.
 *
 * out[m x n] = a[m x k] * b[k x n], all row-major f64; the three arrays must not overlap (restrict).
 * i-k-j order: the inner loop streams rows of b and one row of out with unit stride, which the compiler
 * vectorises (f64x2 under -msimd128, SSE2 natively). k is unrolled by 4 so each pass over `row` folds in four
 * rows of b: a quarter of the loads/stores of `row`, and a quarter of the loop iterations, which matters most in
 * wasmtime with fuel metering (2.6-3x faster there than the plain i-k-j loop, 1.8x natively). Each out element is
 * summed in blocks of four products, so results can differ from a naive dot product in the last bits.
 * The j loop is interleaved by 2 (clang: two f64x2 vectors per iteration; gcc ignores the pragma): wasmtime puts
 * an epoch check (and a fuel update) on every loop back-edge, so halving the iterations halves that cost
 * (256x256 under fuel + epochs measured 3.3-3.7 ms instead of 5.7-9.8 ms, native gcc -O2 2.9 ms, same run). */
#ifndef MATMUL_KERNEL_H
#define MATMUL_KERNEL_H

static inline void matmul_kernel(const double *restrict a, const double *restrict b, double *restrict out,
                                 unsigned m, unsigned k, unsigned n) {
    for (unsigned i = 0; i < m; i++) {
        double *restrict row = out + (unsigned long)i * n;
        const double *restrict arow = a + (unsigned long)i * k;
        for (unsigned j = 0; j < n; j++) row[j] = 0.0;
        unsigned p = 0;
        for (; p + 4 <= k; p += 4) {
            const double a0 = arow[p], a1 = arow[p + 1], a2 = arow[p + 2], a3 = arow[p + 3];
            const double *restrict b0 = b + (unsigned long)p * n;
            const double *restrict b1 = b0 + n;
            const double *restrict b2 = b1 + n;
            const double *restrict b3 = b2 + n;
#ifdef __clang__
#pragma clang loop interleave_count(2)
#endif
            for (unsigned j = 0; j < n; j++) row[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
        }
        for (; p < k; p++) {
            const double aip = arow[p];
            const double *restrict brow = b + (unsigned long)p * n;
            for (unsigned j = 0; j < n; j++) row[j] += aip * brow[j];
        }
    }
}

#endif
