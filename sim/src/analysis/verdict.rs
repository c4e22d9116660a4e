//! The one-line verdict under a switch-interval sweep: what the current setting costs the I/O
//! threads, and what the best-latency setting would cost the CPU-bound work.

use crate::format::ms as format_ms;
use crate::stats::Stats;

/// How close to the lowest I/O latency a point must be to count as "best": among points
/// within this factor of the lowest, the largest interval wins (it costs the least
/// throughput for nearly the best latency).
pub const NEAR_BEST: f64 = 1.10;

/// A throughput change smaller than this (a fraction) reads as "unchanged".
const NEGLIGIBLE: f64 = 0.005;

fn interval_ms(row: &Stats) -> f64 {
    row.switch_interval_us as f64 / 1000.0
}

/// A switch interval in milliseconds with three significant figures and no trailing zeros:
/// `5 ms`, `0.5 ms`, `1.47 ms`, `0.012 ms`.
pub fn format_interval(ms: f64) -> String {
    if !(ms.is_finite() && ms > 0.0) {
        return format!("{ms} ms");
    }
    let decimals = (2 - ms.log10().floor() as i32).max(0) as usize;
    let text = format!("{ms:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text} ms")
}

/// The row whose interval is nearest (on a log scale) to `current_us`.
fn nearest(rows: &[Stats], current_us: u64) -> Option<&Stats> {
    let target = (current_us.max(1) as f64).ln();
    rows.iter().min_by(|a, b| {
        let da = ((a.switch_interval_us.max(1) as f64).ln() - target).abs();
        let db = ((b.switch_interval_us.max(1) as f64).ln() - target).abs();
        da.total_cmp(&db)
    })
}

/// "drops 2%", "rises 3%" or "stays the same", going from `from` to `to`.
fn change(from: f64, to: f64) -> String {
    if from <= 0.0 {
        return "stays the same".to_owned();
    }
    let delta = (to - from) / from;
    if delta.abs() < NEGLIGIBLE {
        "stays the same".to_owned()
    } else if delta < 0.0 {
        format!("drops {:.0}%", -delta * 100.0)
    } else {
        format!("rises {:.0}%", delta * 100.0)
    }
}

/// The verdict for a sweep's rows (any order) with `current_us` the setting in use; `None`
/// for an empty sweep. Plain text, one line, to copy.
///
/// With I/O: "at 5 ms your I/O thread waits 5.1 ms per call; at 0.5 ms it waits 0.6 ms and
/// CPU throughput drops 2%". Without I/O, the throughput and switch rate at the current
/// setting against the best-throughput point.
pub fn sweep_verdict(rows: &[Stats], current_us: u64) -> Option<String> {
    let current = nearest(rows, current_us)?;
    let at = |row: &Stats| format_interval(interval_ms(row));
    let io_threads = current.threads.iter().filter(|t| t.io_ops > 0).count();
    let latency = |row: &Stats| row.io_latency().map(|s| s.mean);
    if let Some(now_latency) = latency(current) {
        let who = if io_threads > 1 {
            ("your I/O threads", "wait", "they wait")
        } else {
            ("your I/O thread", "waits", "it waits")
        };
        let lowest = rows
            .iter()
            .filter_map(latency)
            .fold(f64::INFINITY, f64::min);
        let best = rows
            .iter()
            .filter(|r| latency(r).is_some_and(|l| l <= lowest * NEAR_BEST))
            .max_by_key(|r| r.switch_interval_us)
            .unwrap_or(current);
        let head = format!(
            "at {} {} {} {} per call",
            at(current),
            who.0,
            who.1,
            format_ms(now_latency)
        );
        if best.switch_interval_us == current.switch_interval_us {
            return Some(format!(
                "{head}, as low as anywhere in this sweep ({} – {})",
                at(rows.iter().min_by_key(|r| r.switch_interval_us)?),
                at(rows.iter().max_by_key(|r| r.switch_interval_us)?)
            ));
        }
        return Some(format!(
            "{head}; at {} {} {} and CPU throughput {}",
            at(best),
            who.2,
            format_ms(latency(best).unwrap_or(lowest)),
            change(current.bytecodes_per_s, best.bytecodes_per_s)
        ));
    }
    let best = rows
        .iter()
        .max_by(|a, b| a.bytecodes_per_s.total_cmp(&b.bytecodes_per_s))
        .unwrap_or(current);
    let head = format!(
        "no thread does I/O; at {} CPU throughput is {:.1} M bytecodes/s with {:.0} switches/s",
        at(current),
        current.bytecodes_per_s / 1e6,
        current.gil.switches_per_s
    );
    if best.switch_interval_us == current.switch_interval_us
        || (best.bytecodes_per_s - current.bytecodes_per_s) / current.bytecodes_per_s.max(1.0)
            < NEGLIGIBLE
    {
        Some(format!("{head}, within 0.5% of the best in this sweep"))
    } else {
        Some(format!(
            "{head}; at {} it {} ({:.0} switches/s)",
            at(best),
            change(current.bytecodes_per_s, best.bytecodes_per_s),
            best.gil.switches_per_s
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Overrides;
    use crate::presets::preset;
    use crate::sweep::sweep;
    use crate::time::{MS, US};
    use std::sync::atomic::AtomicBool;

    fn rows(name: &str, intervals: &[u64]) -> Vec<Stats> {
        let scenario = preset(name).unwrap().unwrap();
        let base = Overrides {
            duration: Some(200 * MS),
            ..Overrides::default()
        };
        sweep(
            &scenario,
            &base,
            intervals,
            2,
            &AtomicBool::new(false),
            &|_| {},
        )
        .into_iter()
        .map(Result::unwrap)
        .collect()
    }

    #[test]
    fn convoy_verdict_names_the_cost_of_the_default() {
        let rows = rows("convoy", &[500 * US, MS, 5 * MS, 20 * MS]);
        let text = sweep_verdict(&rows, 5000).unwrap();
        assert!(text.starts_with("at 5 ms your I/O thread waits "), "{text}");
        assert!(text.contains("; at 0.5 ms it waits "), "{text}");
        assert!(text.contains("CPU throughput"), "{text}");
        assert!(!text.contains('\n'));
        // At the best point already: no suggestion to move.
        let text = sweep_verdict(&rows, 500).unwrap();
        assert!(text.contains("as low as anywhere in this sweep"), "{text}");
    }

    #[test]
    fn cpu_only_verdict_talks_throughput_and_empty_is_none() {
        let rows = rows("cpu-bound", &[MS, 5 * MS]);
        let text = sweep_verdict(&rows, 5000).unwrap();
        assert!(text.starts_with("no thread does I/O; at 5 ms"), "{text}");
        assert_eq!(sweep_verdict(&[], 5000), None);
    }

    #[test]
    fn intervals_read_plainly() {
        assert_eq!(format_interval(5.0), "5 ms");
        assert_eq!(format_interval(0.5), "0.5 ms");
        assert_eq!(format_interval(1.468), "1.47 ms");
        assert_eq!(format_interval(0.012), "0.012 ms");
        assert_eq!(format_interval(100.0), "100 ms");
    }

    #[test]
    fn change_words() {
        assert_eq!(change(100.0, 98.0), "drops 2%");
        assert_eq!(change(100.0, 103.0), "rises 3%");
        assert_eq!(change(100.0, 100.2), "stays the same");
    }
}
