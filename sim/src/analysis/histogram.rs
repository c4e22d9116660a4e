//! Distributions of a run: histograms with log-spaced bins of I/O latency, GIL acquire latency
//! and slice length, with p50/p90/p99. The samples are those [`Stats`] summarizes
//! ([`Samples::of`]), so the percentiles here equal the ones in `gilscope run --json`.
//!
//! [`Stats`]: crate::stats::Stats

use crate::stats::{Samples, Summary};
use crate::time::Nanos;
use crate::trace::Trace;

/// A histogram over log-spaced bins, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Bin edges in milliseconds, increasing: bin `i` is `[edges[i], edges[i + 1])`.
    pub edges: Vec<f64>,
    /// Samples per bin (`edges.len() - 1` of them). Samples below the first edge count in
    /// the first bin, samples at or above the last edge in the last.
    pub counts: Vec<u64>,
    /// Mean and percentiles of all the samples (nearest rank, as in the stats).
    pub summary: Option<Summary>,
}

/// Log-spaced bin edges (in ms) covering `[lo_ns, hi_ns]` with `per_decade` bins per factor of
/// ten, aligned to powers of ten so two histograms with edges from the same range line up.
pub fn log_edges(lo_ns: Nanos, hi_ns: Nanos, per_decade: usize) -> Vec<f64> {
    let per_decade = per_decade.max(1) as f64;
    let lo = (lo_ns.max(1) as f64 / 1e6).log10();
    let hi = (hi_ns.max(lo_ns).max(1) as f64 / 1e6).log10();
    let first = (lo * per_decade).floor() as i64;
    let mut last = (hi * per_decade).floor() as i64 + 1;
    if last <= first {
        last = first + 1;
    }
    (first..=last)
        .map(|k| 10f64.powf(k as f64 / per_decade))
        .collect()
}

impl Histogram {
    /// Bins `samples` (ns) into `edges` (ms, increasing, at least two).
    pub fn with_edges(samples: &[Nanos], edges: Vec<f64>) -> Self {
        let bins = edges.len().saturating_sub(1).max(1);
        let mut counts = vec![0; bins];
        for &s in samples {
            let ms = s as f64 / 1e6;
            let i = edges.partition_point(|&e| e <= ms).saturating_sub(1);
            counts[i.min(bins - 1)] += 1;
        }
        Self {
            edges,
            counts,
            summary: Summary::of(samples.to_vec()),
        }
    }

    /// A histogram of `samples` with bins spanning their own range.
    pub fn log(samples: &[Nanos], per_decade: usize) -> Self {
        let lo = samples.iter().copied().min().unwrap_or(1);
        let hi = samples.iter().copied().max().unwrap_or(1);
        Self::with_edges(samples, log_edges(lo, hi, per_decade))
    }

    /// Histograms of two sample sets over the same bins (for a compared pair).
    pub fn pair(a: &[Nanos], b: &[Nanos], per_decade: usize) -> (Self, Self) {
        let both = a.iter().chain(b);
        let lo = both.clone().copied().min().unwrap_or(1);
        let hi = both.copied().max().unwrap_or(1);
        let edges = log_edges(lo, hi, per_decade);
        (
            Self::with_edges(a, edges.clone()),
            Self::with_edges(b, edges),
        )
    }

    /// Total samples.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The three distributions of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Distributions {
    /// I/O call latency (release for the call until holding the GIL again).
    pub io_latency: Histogram,
    /// Wait from wanting the GIL until holding it.
    pub acquire_latency: Histogram,
    /// Length of each uninterrupted hold of the GIL.
    pub slice: Histogram,
}

/// Bins per decade used by [`Distributions`].
pub const BINS_PER_DECADE: usize = 10;

impl Distributions {
    /// The distributions of `trace`.
    pub fn of(trace: &Trace) -> Self {
        let s = Samples::of(trace);
        Self {
            io_latency: Histogram::log(&s.io_latency, BINS_PER_DECADE),
            acquire_latency: Histogram::log(&s.acquire_latency, BINS_PER_DECADE),
            slice: Histogram::log(&s.slices, BINS_PER_DECADE),
        }
    }

    /// The distributions of two runs, each pair on shared bins so they can be overlaid.
    pub fn pair(a: &Trace, b: &Trace) -> (Self, Self) {
        let (sa, sb) = (Samples::of(a), Samples::of(b));
        let (io_a, io_b) = Histogram::pair(&sa.io_latency, &sb.io_latency, BINS_PER_DECADE);
        let (acq_a, acq_b) =
            Histogram::pair(&sa.acquire_latency, &sb.acquire_latency, BINS_PER_DECADE);
        let (sl_a, sl_b) = Histogram::pair(&sa.slices, &sb.slices, BINS_PER_DECADE);
        (
            Self {
                io_latency: io_a,
                acquire_latency: acq_a,
                slice: sl_a,
            },
            Self {
                io_latency: io_b,
                acquire_latency: acq_b,
                slice: sl_b,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Overrides;
    use crate::presets::preset;
    use crate::stats::Stats;
    use crate::time::{MS, US};

    #[test]
    fn edges_are_aligned_log_steps() {
        let e = log_edges(MS, 100 * MS, 1);
        assert_eq!(e.len(), 4);
        assert!((e[0] - 1.0).abs() < 1e-12 && (e[3] - 1000.0).abs() < 1e-9);
        let e = log_edges(150 * US, 150 * US, 10);
        assert_eq!(e.len(), 2);
        assert!(e[0] <= 0.15 && 0.15 < e[1]);
    }

    #[test]
    fn samples_land_in_their_bins_and_none_is_lost() {
        let samples = [MS, 2 * MS, 9 * MS, 10 * MS, 50 * MS, 0];
        let h = Histogram::with_edges(&samples, vec![1.0, 10.0, 100.0]);
        assert_eq!(h.counts, vec![4, 2]);
        assert_eq!(h.total(), samples.len() as u64);
        let (a, b) = Histogram::pair(&[MS], &[100 * MS], 1);
        assert_eq!(a.edges, b.edges);
        assert_eq!((a.total(), b.total()), (1, 1));
    }

    #[test]
    fn percentiles_match_the_run_stats() {
        let scenario = preset("convoy").unwrap().unwrap();
        let config = scenario
            .config(&Overrides {
                duration: Some(100 * MS),
                ..Overrides::default()
            })
            .unwrap();
        let trace = crate::run::simulate(&scenario, &config).unwrap();
        let stats = Stats::compute(&trace);
        let d = Distributions::of(&trace);
        assert_eq!(d.slice.summary, stats.gil.slice_ms);
        assert_eq!(d.acquire_latency.summary, stats.gil.acquire_latency_ms);
        let io_thread = stats.threads.iter().find(|t| t.io_ops > 0).unwrap();
        assert_eq!(d.io_latency.summary, io_thread.io_latency_ms);
        // Every latency sample is a completed call; a call that completed just before the cut,
        // with the GIL not yet retaken, has no latency yet.
        let samples = Samples::of(&trace).io_latency.len() as u64;
        assert_eq!(d.io_latency.total(), samples);
        assert!(samples <= io_thread.io_ops && io_thread.io_ops <= samples + 1);
    }
}
