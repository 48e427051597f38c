//! Core module behind `quadratic_component.wasm`: `solve` from `wit/quadratic.wit`, lifted with
//! hand-written canonical ABI glue (no wit-bindgen is available offline).
//!
//! WIT: `export solve: func(a: f64, b: f64, c: f64) -> result<roots, string>;`
//! Core: `solve(f64, f64, f64) -> i32`, the address of a return area holding the lowered result
//! (the result flattens to more than one value, so the canonical ABI returns it through memory).
//!
//! Return-area layout (offsets in bytes, natural alignment, 80 bytes, align 8):
//!
//! ```text
//!  0  u8   result tag: 0 = ok, 1 = err
//!     ok(roots), the record starting at 8:
//!  8  u8     solution tag: 0 two-real, 1 one-real, 2 complex-pair, 3 all-real, 4 no-solution
//! 16  f64    two-real.0 / one-real / complex-pair.re
//! 24  f64    two-real.1 / complex-pair.im
//! 32  u8     real-count: option tag (0 none, 1 some)
//! 33  u8     real-count value
//! 40  u8     discriminant: option tag
//! 48  f64    discriminant value
//! 56  u8     vertex: option tag
//! 64  f64    vertex.0
//! 72  f64    vertex.1
//!     err(string):
//!  8  i32    pointer to UTF-8 bytes (static data, so no `cabi_post_solve` is needed)
//! 12  i32    length in bytes
//! ```
//!
//! The module imports nothing and needs no `cabi_realloc`: no parameter lives in linear memory.

mod solver;

use solver::Solution;

#[repr(C, align(8))]
struct RetArea([u8; 80]);

static mut RET_AREA: RetArea = RetArea([0; 80]);

static ERR_A: &str = "coefficient a must be a finite number (got NaN or infinity)";
static ERR_B: &str = "coefficient b must be a finite number (got NaN or infinity)";
static ERR_C: &str = "coefficient c must be a finite number (got NaN or infinity)";

#[inline]
unsafe fn put_u8(base: *mut u8, off: usize, v: u8) {
    base.add(off).write(v);
}

#[inline]
unsafe fn put_f64(base: *mut u8, off: usize, v: f64) {
    (base.add(off) as *mut f64).write(v);
}

#[inline]
unsafe fn put_i32(base: *mut u8, off: usize, v: i32) {
    (base.add(off) as *mut i32).write(v);
}

/// Lowered `solve`: writes the result into the return area and returns its address.
#[no_mangle]
pub unsafe extern "C" fn solve(a: f64, b: f64, c: f64) -> *mut u8 {
    let p = RET_AREA.0.as_mut_ptr();
    for i in 0..80 {
        put_u8(p, i, 0);
    }
    let (solution, extras) = solver::solve(a, b, c);
    if let Solution::Invalid { which } = solution {
        let msg = match which {
            0 => ERR_A,
            1 => ERR_B,
            _ => ERR_C,
        };
        put_u8(p, 0, 1);
        put_i32(p, 8, msg.as_ptr() as i32);
        put_i32(p, 12, msg.len() as i32);
        return p;
    }
    put_u8(p, 0, 0);
    // solution variant and real-count option
    let count: Option<u8> = match solution {
        Solution::Two { x1, x2 } => {
            put_u8(p, 8, 0);
            put_f64(p, 16, x1);
            put_f64(p, 24, x2);
            Some(2)
        }
        Solution::Double { x } | Solution::Linear { x } => {
            put_u8(p, 8, 1);
            put_f64(p, 16, x);
            Some(1)
        }
        Solution::ComplexPair { re, im } => {
            put_u8(p, 8, 2);
            put_f64(p, 16, re);
            put_f64(p, 24, im);
            Some(0)
        }
        Solution::AllReal => {
            put_u8(p, 8, 3);
            None
        }
        Solution::NoSolution => {
            put_u8(p, 8, 4);
            Some(0)
        }
        Solution::Invalid { .. } => None, // handled above
    };
    if let Some(n) = count {
        put_u8(p, 32, 1);
        put_u8(p, 33, n);
    }
    if let Some(e) = extras {
        put_u8(p, 40, 1);
        put_f64(p, 48, e.discriminant);
        put_u8(p, 56, 1);
        put_f64(p, 64, e.vertex_x);
        put_f64(p, 72, e.vertex_y);
    }
    p
}
