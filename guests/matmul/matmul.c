/* matmul: multiply two f64 matrices over linear memory (buffer ABI, docs/guests.md). Import-free: no libc, no
 * WASI; the allocator is alloc.h, the kernel matmul_kernel.h (shared with the native benchmark build).
 *
 * matmul(a_ptr, a_len, a_rows, a_cols, b_ptr, b_len, b_rows, b_cols) -> i64 (ptr << 32 | len) of a buffer
 * holding rows u32 LE, cols u32 LE, then rows*cols f64 LE row-major. The inputs stay owned by the host.
 * On refusal ptr = 0 and len is an error code: */
#include "alloc.h"
#include "matmul_kernel.h"

enum {
    ERR_A_SHAPE = 1,    /* a_len != a_rows * a_cols * 8, or a negative dimension */
    ERR_B_SHAPE = 2,    /* b_len != b_rows * b_cols * 8, or a negative dimension */
    ERR_MISMATCH = 3,   /* a_cols != b_rows */
    ERR_NO_MEMORY = 4,  /* the result does not fit in linear memory (or exceeds 4 GiB) */
};

static int shape_ok(unsigned len, int rows, int cols) {
    return rows >= 0 && cols >= 0 && (unsigned long long)rows * (unsigned long long)cols * 8ull == len;
}

__attribute__((export_name("matmul"))) unsigned long long matmul(const double *a, unsigned a_len, int a_rows,
                                                                   int a_cols, const double *b, unsigned b_len,
                                                                   int b_rows, int b_cols) {
    if (!shape_ok(a_len, a_rows, a_cols)) return ERR_A_SHAPE;
    if (!shape_ok(b_len, b_rows, b_cols)) return ERR_B_SHAPE;
    if (a_cols != b_rows) return ERR_MISMATCH;
    unsigned long long size = 8ull + (unsigned long long)a_rows * (unsigned long long)b_cols * 8ull;
    if (size > MAX_ALLOC) return ERR_NO_MEMORY;
    unsigned *out = alloc((unsigned)size);
    if (!out) return ERR_NO_MEMORY;
    out[0] = (unsigned)a_rows;
    out[1] = (unsigned)b_cols;
    matmul_kernel(a, b, (double *)(out + 2), (unsigned)a_rows, (unsigned)a_cols, (unsigned)b_cols);
    return ((unsigned long long)(unsigned)out << 32) | (unsigned)size;
}
