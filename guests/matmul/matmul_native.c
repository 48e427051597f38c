/* Native build of the guest's kernel, for the guest-vs-native benchmark:
 *   gcc -O2 -shared -fPIC matmul_native.c -o libmatmul_native.so
 * then ctypes: matmul_f64(a, b, out, m, k, n) with row-major double arrays (out: m*n, not zeroed by caller). */
#include "matmul_kernel.h"

void matmul_f64(const double *a, const double *b, double *out, int m, int k, int n) {
    if (m < 0 || k < 0 || n < 0) return;
    matmul_kernel(a, b, out, (unsigned)m, (unsigned)k, (unsigned)n);
}
