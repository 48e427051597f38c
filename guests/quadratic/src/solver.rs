//! Real roots of a*x^2 + b*x + c = 0 in IEEE-754 double precision, without overflow or catastrophic
//! cancellation in the intermediate steps.
//!
//! The coefficients are rescaled by exact powers of two before the discriminant is formed: with
//! `ea`, `eb`, `ec` the binary exponents of a, b, c, pick `k = max(eb, ceil((ea + ec) / 2))` and put
//! `A = a / 2^ea` (in [1, 2)), `B = b / 2^k`, `C = c / 2^(2k - ea)` (all below 2 in magnitude). This
//! is the substitution x = 2^(k - ea) * y followed by a division of the whole equation by 2^(2k - ea),
//! so A*y^2 + B*y + C = 0 has the same roots up to the exact factor 2^(k - ea), and nothing can
//! overflow: B^2 <= 4 and |4AC| <= 16. The discriminant D' = B^2 - 4AC is computed with fused
//! multiply-adds (the rounding error of the product 4AC is recovered exactly), then
//!
//!   q  = -(B + sign(B) * sqrt(D')) / 2      (no cancellation: both terms have the sign of B)
//!   y1 = q / A,  y2 = C / q                 (Vieta: y1 * y2 = C / A)
//!
//! and the roots are y1, y2 times 2^(k - ea), sorted (the second is computed as (c / 2^k) / q, the
//! same value, so that it survives when C underflows). A root beyond the f64 range comes back as
//! +-inf; one below the smallest subnormal becomes 0. -0.0 is returned as 0.0.

/// The solution set of a*x^2 + b*x + c = 0 over the reals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Solution {
    /// A coefficient is NaN or +-inf (`which`: 0 = a, 1 = b, 2 = c, the first bad one).
    Invalid { which: u8 },
    /// a = b = c = 0: every real x is a solution.
    AllReal,
    /// a = b = 0, c != 0: no x is a solution.
    NoSolution,
    /// a = 0, b != 0: the single root -c/b of the linear equation.
    Linear { x: f64 },
    /// a != 0 and the discriminant is negative: the complex pair re +- im*i (im > 0).
    ComplexPair { re: f64, im: f64 },
    /// a != 0 and the discriminant is exactly 0: the double root -b/(2a).
    Double { x: f64 },
    /// a != 0 and the discriminant is positive: two distinct real roots, x1 < x2 (equal only if
    /// they round to the same double).
    Two { x1: f64, x2: f64 },
}

/// Quadratic-specific extras: the discriminant b^2 - 4ac and the vertex (-b/(2a), -D/(4a)).
/// Present only when a != 0 and all coefficients are finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Extras {
    pub discriminant: f64,
    pub vertex_x: f64,
    pub vertex_y: f64,
}

#[inline]
fn pos_zero(x: f64) -> f64 {
    // -0.0 + 0.0 == +0.0 in round-to-nearest; every other value is unchanged.
    x + 0.0
}

const TWO_POW_1023: f64 = 8.98846567431158e307; // 2^1023
const TWO_POW_M1022: f64 = 2.2250738585072014e-308; // 2^-1022
const TWO_POW_M1020: f64 = 8.900295434028806e-308; // 2^-1020
const TWO_POW_53: f64 = 9007199254740992.0; // 2^53

/// x * 2^n, correctly rounded (like C's `scalbn`) except for double rounding in the subnormal range.
pub fn scalbn(mut x: f64, mut n: i32) -> f64 {
    if n > 1023 {
        x *= TWO_POW_1023;
        n -= 1023;
        if n > 1023 {
            x *= TWO_POW_1023;
            n -= 1023;
            if n > 1023 {
                n = 1023;
            }
        }
    } else if n < -1022 {
        // Scale down in steps that keep x normal as long as possible (2^-1022 * 2^53).
        x *= TWO_POW_M1022 * TWO_POW_53;
        n += 1022 - 53;
        if n < -1022 {
            x *= TWO_POW_M1022 * TWO_POW_53;
            n += 1022 - 53;
            if n < -1022 {
                n = -1022;
            }
        }
    }
    x * f64::from_bits(((0x3ff + n) as u64) << 52)
}

/// The binary exponent e of a finite, non-zero x: |x| / 2^e lies in [1, 2).
pub fn ilogb(x: f64) -> i32 {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: normalise first.
        let y = x * TWO_POW_53;
        (((y.to_bits() >> 52) & 0x7ff) as i32) - 1023 - 53
    } else {
        biased - 1023
    }
}

/// Solve a*x^2 + b*x + c = 0. See the module documentation for the method.
pub fn solve(a: f64, b: f64, c: f64) -> (Solution, Option<Extras>) {
    if !a.is_finite() {
        return (Solution::Invalid { which: 0 }, None);
    }
    if !b.is_finite() {
        return (Solution::Invalid { which: 1 }, None);
    }
    if !c.is_finite() {
        return (Solution::Invalid { which: 2 }, None);
    }
    if a == 0.0 {
        if b == 0.0 {
            return (if c == 0.0 { Solution::AllReal } else { Solution::NoSolution }, None);
        }
        return (Solution::Linear { x: pos_zero(-c / b) }, None);
    }

    let ea = ilogb(a);
    let mut k = if b != 0.0 { ilogb(b) } else { i32::MIN };
    if c != 0.0 {
        let sum = ea + ilogb(c); // in [-2148, 2046]
        let half_up = if sum >= 0 { (sum + 1) / 2 } else { -((-sum) / 2) };
        if half_up > k {
            k = half_up;
        }
    }
    if k == i32::MIN {
        // b = c = 0: a*x^2 = 0.
        let extras = Extras { discriminant: 0.0, vertex_x: 0.0, vertex_y: 0.0 };
        return (Solution::Double { x: 0.0 }, Some(extras));
    }
    let j = 2 * k - ea;
    let sa = scalbn(a, -ea);
    let sb = scalbn(b, -k);
    let sc = scalbn(c, -j);

    // D' = sb^2 - 4*sa*sc with the product's rounding error recovered by fma.
    let w = 4.0 * sa * sc; // 4*sa is exact
    let err = (4.0 * sa).mul_add(sc, -w); // exact: 4*sa*sc - w
    let d = sb.mul_add(sb, -w) - err;

    let shift = k - ea; // x = 2^shift * y
    // -b/(2a) straight from the inputs, halving where it is exact (b/2 is exact unless b is tiny,
    // and then b/a cannot overflow), so the result is correctly rounded.
    let vertex_x = pos_zero(if b.abs() < TWO_POW_M1020 { (-b / a) * 0.5 } else { (-0.5 * b) / a });
    let extras = Extras {
        discriminant: scalbn(scalbn(d, k), k),
        vertex_x,
        vertex_y: pos_zero(scalbn(-d / (4.0 * sa), j)),
    };

    let solution = if d < 0.0 {
        // Only reachable when 4*A*C > B^2, so C and D' are of order 1 here.
        let im = scalbn((-d).sqrt() / (2.0 * sa.abs()), shift);
        Solution::ComplexPair { re: vertex_x, im }
    } else if d == 0.0 {
        Solution::Double { x: vertex_x }
    } else {
        let root = d.sqrt();
        // |q| >= 1/2 here (either |B| >= 1, or |C| >= 1/2 with A*C < 0 so D' >= 2).
        let q = -0.5 * (sb + if sb.is_sign_negative() { -root } else { root });
        let y1 = scalbn(q / sa, shift);
        // Vieta: x1 * x2 = c / a, i.e. x2 = C / q * 2^shift = (c / 2^k) / q. Computed from c itself
        // so that a small root is not lost when C underflows (b much larger than a).
        // b = 0: the roots are exactly +-sqrt(-c/a); keep them symmetric.
        let y2 = if b == 0.0 { -y1 } else { scalbn(c, -k) / q };
        let (x1, x2) = if y1 <= y2 { (y1, y2) } else { (y2, y1) };
        Solution::Two { x1: pos_zero(x1), x2: pos_zero(x2) }
    };
    (solution, Some(extras))
}
