//! The OS wake-up latency as a distribution: a narrow body around its median and a long tail,
//! given by five quantiles (`gil-model.md` rule 24), and a seeded draw from it by inverse CDF.
//!
//! Real wake-ups of a thread blocked on a futex take a few µs, most within a µs or two of the
//! median, and now and then tens of µs or a few ms (an interrupt, a core in a deep idle state,
//! another job on the core). Measured here, 200,000 wake-ups of a glibc semaphore waiter on a
//! quiet machine, twice: p1 4.4 / 4.9 µs, p10 4.5 / 5.6, p50 5.1 / 6.1, p90 6.0 / 6.8, p99 8.9 /
//! 11.6, p99.9 40 / 22.6, 0.19% / 0.22% beyond 20 µs, 0.07% / 0.02% beyond 50 µs: the body is
//! narrower below the median than above it.
//!
//! The draw: from p1 to p90 the body is linear in the quantile between p1, the median and p90
//! (below p1 the slope from p1 to the median goes on down to the least draw, never below 0);
//! from p90 up each decade of the tail (p90 to p99, p99 to p99.9) is a power law through its two
//! quantiles, and past p99.9 the power law through p99 and p99.9 goes on, to the 99.9999th
//! percentile at most (the draw's resolution). The low end matters: on the old GIL a wake-up
//! shorter than the releaser's `futex_wake` wins the lock. With the defaults (p1, p90, p99 and
//! p99.9 at 0.85, 1.2, 1.8 and 6 times the median) 0.22% of draws fall beyond 4 × the median (measured beyond 20 µs: 0.19–0.22%), 0.04%
//! beyond 10 × (beyond 50 µs: 0.02–0.07%), and none beyond 222 × (measured maxima 0.96 and
//! 2.5 ms).

use crate::time::Nanos;

/// Draws are whole millionths of the probability: the 99.9999th percentile is the largest.
pub const RESOLUTION: u64 = 1_000_000;

/// The quantiles of a wake-up latency (ns): p1, median, p90, p99 and p99.9, each at least the
/// one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WakeLatency {
    /// The 1st percentile.
    pub p1: Nanos,
    /// The median.
    pub median: Nanos,
    /// The 90th percentile.
    pub p90: Nanos,
    /// The 99th percentile.
    pub p99: Nanos,
    /// The 99.9th percentile.
    pub p999: Nanos,
}

impl WakeLatency {
    /// Whether every draw is 0 (no wake-up latency at all): then nothing need be drawn.
    pub fn is_zero(&self) -> bool {
        self.p999 == 0
    }

    /// The least latency drawn: the body's lower end.
    pub fn least(&self) -> Nanos {
        self.at(0)
    }

    /// The latency at quantile `r / RESOLUTION` (`r` below [`RESOLUTION`]).
    pub fn at(&self, r: u64) -> Nanos {
        const P1: u64 = RESOLUTION / 100;
        const P50: u64 = RESOLUTION / 2;
        const P90: u64 = RESOLUTION / 10 * 9;
        const P99: u64 = RESOLUTION / 100 * 99;
        let below = self.median - self.p1;
        let above = self.p90 - self.median;
        match r {
            r if r < P1 => self.p1.saturating_sub(scale(below, P1 - r, P50 - P1)),
            r if r < P50 => self.p1 + scale(below, r - P1, P50 - P1),
            r if r < P90 => self.median + scale(above, r - P50, P90 - P50),
            r if r < P99 => power_law(self.p90, self.p99, RESOLUTION - P90, RESOLUTION - r),
            // From p99 on, one power law through p99 and p99.9, past it to the last draw.
            r => power_law(
                self.p99,
                self.p999,
                RESOLUTION - P99,
                RESOLUTION - r.min(RESOLUTION - 1),
            ),
        }
    }
}

/// `value × part / whole` without overflow (`part` ≤ `whole`): in 64 bits where the product
/// fits (every latency under about 18 s at this resolution), else in 128.
fn scale(value: Nanos, part: u64, whole: u64) -> Nanos {
    match value.checked_mul(part) {
        Some(product) => product / whole,
        None => (u128::from(value) * u128::from(part) / u128::from(whole)) as Nanos,
    }
}

/// The power law through (`low` at tail share `from`) and (`high` at a tenth of it), at tail
/// share `at` (at most `from`; below `from / 10` it goes on past `high`): each tenth of the
/// tail share multiplies the latency by `high / low`.
fn power_law(low: Nanos, high: Nanos, from: u64, at: u64) -> Nanos {
    if low == 0 || high <= low {
        return high;
    }
    let decades = (from as f64 / at as f64).log10();
    let ratio = high as f64 / low as f64;
    (low as f64 * ratio.powf(decades)).round() as Nanos
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEASURED: WakeLatency = WakeLatency {
        p1: 4_250,
        median: 5_000,
        p90: 6_000,
        p99: 9_000,
        p999: 30_000,
    };

    fn share_beyond(w: &WakeLatency, x: Nanos) -> f64 {
        (0..RESOLUTION).filter(|&r| w.at(r) > x).count() as f64 / RESOLUTION as f64
    }

    #[test]
    fn the_draw_passes_through_its_quantiles_and_rises() {
        let w = MEASURED;
        assert_eq!(w.at(RESOLUTION / 100), 4_250);
        assert_eq!(w.at(RESOLUTION / 2), 5_000);
        assert_eq!(w.at(900_000), 6_000);
        assert_eq!(w.at(990_000), 9_000);
        assert_eq!(w.at(999_000), 30_000);
        // p1 less the slope from p1 to the median over the last 1%: 750 × 1/49.
        assert_eq!(w.least(), 4_250 - 15);
        let mut last = 0;
        for r in 0..RESOLUTION {
            let x = w.at(r);
            assert!(x >= last, "r {r}: {x} after {last}");
            last = x;
        }
        // The cap: three decades past p99.9 at the p99-to-p99.9 ratio.
        assert_eq!(last, (9_000.0 * (30.0f64 / 9.0).powi(4)).round() as Nanos);
        assert_eq!(last / 5_000, 222);
    }

    #[test]
    fn the_tail_holds_the_measured_shares() {
        // Measured here, quiet: 0.19–0.22% beyond 20 µs, 0.02–0.07% beyond 50 µs.
        let beyond_20 = share_beyond(&MEASURED, 20_000);
        let beyond_50 = share_beyond(&MEASURED, 50_000);
        assert!((0.0015..0.003).contains(&beyond_20), "{beyond_20}");
        assert!((0.0002..0.0007).contains(&beyond_50), "{beyond_50}");
    }

    #[test]
    fn scaling_is_exact_with_and_without_a_64_bit_product() {
        let exact = |v: u64, p: u64, w: u64| (u128::from(v) * u128::from(p) / u128::from(w)) as u64;
        for (v, p, w) in [
            (750, 123_457, 490_000),
            (u64::MAX / 490_000, 489_999, 490_000),
            (u64::MAX / 400_000, 399_999, 400_000),
            (u64::MAX, 9_999, 10_000),
        ] {
            assert_eq!(scale(v, p, w), exact(v, p, w), "{v} × {p} / {w}");
        }
    }

    #[test]
    fn degenerate_quantiles_give_flat_draws() {
        let zero = WakeLatency {
            p1: 0,
            median: 0,
            p90: 0,
            p99: 0,
            p999: 0,
        };
        assert!(zero.is_zero());
        assert_eq!(zero.at(999_999), 0);
        let flat = WakeLatency {
            p1: 7,
            median: 7,
            p90: 7,
            p99: 7,
            p999: 7,
        };
        assert!((0..RESOLUTION).step_by(997).all(|r| flat.at(r) == 7));
        assert_eq!(flat.at(RESOLUTION - 1), 7);
        // A p1 and median of 0 under a wider p90: nothing below 0.
        let from_zero = WakeLatency {
            p1: 0,
            median: 0,
            p90: 4_000,
            p99: 8_000,
            p999: 16_000,
        };
        assert_eq!(from_zero.least(), 0);
        assert_eq!(from_zero.at(990_000), 8_000);
    }
}
