//! `quadratic`: the real roots of a*x^2 + b*x + c = 0, as a core WebAssembly module.
//!
//! One export, `solve(a: f64, b: f64, c: f64) -> (i32, f64, f64)` (a multi-value result):
//!
//! | count | meaning                                   | x1, x2                        |
//! |-------|-------------------------------------------|-------------------------------|
//! | 2     | two distinct real roots                   | the roots, x1 < x2            |
//! | 1     | one real root: a double root (exactly zero discriminant) or, when a = 0, the root -c/b of the linear equation | x1 = x2 = the root |
//! | 0     | no real root (negative discriminant)      | NaN, NaN                      |
//! | -1    | degenerate: a = b = 0 (every x solves it if c = 0, none does if c != 0) | NaN, NaN |
//! | -2    | invalid: a coefficient is NaN or infinite | NaN, NaN                      |
//!
//! Roots beyond the f64 range are +-inf; -0.0 is returned as 0.0. See `solver.rs` for the method.
//!
//! Build: Debian's rustc 1.63, `--target wasm32-unknown-unknown`, `-C target-feature=+multivalue`
//! (see `.cargo/config.toml`). The module imports nothing. The multi-value result comes from the
//! target's legacy C ABI, which passes a returned struct as its LLVM fields: a `#[repr(C, packed)]`
//! struct of (i32, f64, f64) has no padding field, so with multivalue enabled the export's wasm type is
//! exactly `(param f64 f64 f64) (result i32 f64 f64)`. `make build` fails if it is anything else.

mod solver;

use solver::Solution;

/// The three results of `solve`, returned as wasm multi-value (see the crate docs).
#[repr(C, packed)]
pub struct Roots {
    count: i32,
    x1: f64,
    x2: f64,
}

/// Real roots of a*x^2 + b*x + c = 0: (count, x1, x2). See the crate documentation for the cases.
#[no_mangle]
pub extern "C" fn solve(a: f64, b: f64, c: f64) -> Roots {
    let nan = f64::NAN;
    match solver::solve(a, b, c).0 {
        Solution::Two { x1, x2 } => Roots { count: 2, x1, x2 },
        Solution::Double { x } | Solution::Linear { x } => Roots { count: 1, x1: x, x2: x },
        Solution::ComplexPair { .. } => Roots { count: 0, x1: nan, x2: nan },
        Solution::AllReal | Solution::NoSolution => Roots { count: -1, x1: nan, x2: nan },
        Solution::Invalid { .. } => Roots { count: -2, x1: nan, x2: nan },
    }
}
