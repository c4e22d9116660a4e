//! How the app writes numbers, in one style everywhere (stats table, tooltips, sampler and
//! sweep views, `gilscope run` text). Counts, durations, percentages, ratios and SI-scaled
//! rates are the simulator's own (`gilscope_sim::format`), so the app, the CLI and the
//! narration the simulator assembles always agree on "5.07 ms" and "339,701"; what only the
//! app writes (plot axes, percentage points, sweep intervals) is here.

pub use gilscope_sim::format::{
    DIGIT_GROUP_SEPARATOR, count, counted, decimal, factor, ms, nanos, percent, ratio, si, whole,
};

/// A point in time (ns) with the digits that `resolution` ns of precision calls for, in the
/// unit of its magnitude: `2.11942 s` at 20 µs, `396.12346 ms` at 15 ns, `12 ms` at 1 ms.
pub fn instant(ns: f64, resolution: f64) -> String {
    let magnitude = ns.abs();
    let (scale, unit) = if magnitude >= 1e9 {
        (1e9, "s")
    } else if magnitude >= 1e6 {
        (1e6, "ms")
    } else if magnitude >= 1e3 {
        (1e3, "µs")
    } else {
        (1.0, "ns")
    };
    let step = resolution.max(1.0) / scale;
    let decimals = if step >= 1.0 {
        0
    } else {
        ((-step.log10()).ceil() as usize).min(9)
    };
    format!("{:.decimals$} {unit}", ns / scale)
}

/// A switch interval in milliseconds, with the digits that matter: `0.1 ms`, `13.9 ms`.
pub fn interval_ms(ms: f64) -> String {
    gilscope_sim::analysis::format_interval(ms)
}

/// A signed difference of two fractions in percentage points; one that rounds to zero reads
/// `0.0 points`.
pub fn points(difference: f64) -> String {
    let p = difference * 100.0;
    if p.abs() < 0.05 {
        "0.0 points".to_owned()
    } else {
        format!("{p:+.1} points")
    }
}

/// A plot's axis label: a sensible number of digits, no trailing zeros, `k`/`M` for large
/// values (`13k`, `0.25`, `2M`).
pub fn plain_number(v: f64) -> String {
    let a = v.abs();
    let (text, suffix) = if a == 0.0 {
        return "0".to_owned();
    } else if a >= 1e6 {
        (format!("{:.1}", v / 1e6), "M")
    } else if a >= 1e4 {
        (format!("{:.0}", v / 1e3), "k")
    } else if a >= 10.0 {
        (format!("{v:.0}"), "")
    } else if a >= 1.0 {
        (format!("{v:.1}"), "")
    } else {
        (format!("{v:.3}"), "")
    };
    let trimmed = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{trimmed}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_values_and_percentages() {
        assert_eq!(si(12_300_000.0), "12.30 M");
        assert_eq!(si(950.0), "950");
        assert_eq!(percent(0.998), "99.8%");
        assert_eq!(points(0.0004), "0.0 points");
        assert_eq!(points(-0.0123), "-1.2 points");
        assert_eq!(points(0.05), "+5.0 points");
    }

    #[test]
    fn durations_use_the_simulators_units() {
        assert_eq!(nanos(5_070_000), "5.07 ms");
        assert_eq!(ms(0.056), "56.0 µs");
        assert_eq!(interval_ms(0.1), "0.1 ms");
    }

    #[test]
    fn instants_carry_the_precision_asked_for() {
        assert_eq!(instant(2_119_420_000.0, 20_000.0), "2.11942 s");
        assert_eq!(instant(396_123_456.0, 15.0), "396.12346 ms");
        assert_eq!(instant(12_000_000.0, 1e6), "12 ms");
        assert_eq!(instant(1_500.0, 100.0), "1.5 µs");
        assert_eq!(instant(0.0, 1e6), "0 ns");
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(plain_number(13_400.0), "13k");
        assert_eq!(plain_number(0.5), "0.5");
        assert_eq!(plain_number(3.0), "3");
        assert_eq!(plain_number(0.25), "0.25");
        assert_eq!(plain_number(2_000_000.0), "2M");
    }
}
