//! How every user-facing number is written, in one style for the narration, the compare
//! headline, the app and the CLI: counts with their digits grouped by commas, durations with an
//! adaptive unit, fractions as percentages, ratios with a `×`, large rates with an SI prefix.
//! The app's `format` module re-exports these, so a number reads the same wherever it appears.

use crate::time::{Nanos, format_nanos, format_nanos_f};

/// What separates groups of three digits: a comma, which every font has and which never lets a
/// line wrap split a number.
pub const DIGIT_GROUP_SEPARATOR: char = ',';

/// A count with its digits grouped: `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(DIGIT_GROUP_SEPARATOR);
        }
        out.push(c);
    }
    out
}

/// A rate rounded to a whole count, grouped: `1234.6` as `1,235`. Negative or non-finite
/// values read 0.
pub fn whole(value: f64) -> String {
    count(if value.is_finite() && value > 0.0 {
        value.round() as u64
    } else {
        0
    })
}

/// A duration in nanoseconds with an adaptive unit: `5.07 ms`, `56.0 µs`, `120 ns`.
pub fn nanos(ns: Nanos) -> String {
    format_nanos(ns)
}

/// A duration in milliseconds with an adaptive unit, as [`nanos`] writes it.
pub fn ms(ms: f64) -> String {
    format_nanos_f(ms * 1e6)
}

/// A fraction as a percentage with one decimal: `0.998` as `99.8%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

/// A ratio with two decimals and a times sign: `1.94×`.
pub fn ratio(value: f64) -> String {
    format!("{value:.2}×")
}

/// A factor between two amounts with one decimal and a times sign: `4.7×`.
pub fn factor(value: f64) -> String {
    format!("{value:.1}×")
}

/// A small quantity with two decimals, such as the number of busy cores: `1.99`.
pub fn decimal(value: f64) -> String {
    format!("{value:.2}")
}

/// A large value with an SI prefix: `12_300_000.0` as `12.30 M`, `950.0` as `950`.
pub fn si(value: f64) -> String {
    if value >= 1e9 {
        format!("{:.2} G", value / 1e9)
    } else if value >= 1e6 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.1} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// `count` followed by `singular`, or by `plural` unless the count is 1: `1 core`, `8 cores`.
pub fn counted(n: u64, singular: &str, plural: &str) -> String {
    format!("{} {}", count(n), if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_commas() {
        assert_eq!(count(0), "0");
        assert_eq!(count(12), "12");
        assert_eq!(count(100), "100");
        assert_eq!(count(1_234), "1,234");
        assert_eq!(count(339_701), "339,701");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(whole(1_234.6), "1,235");
        assert_eq!(whole(-3.0), "0");
        assert_eq!(whole(f64::NAN), "0");
        assert_eq!(counted(1, "core", "cores"), "1 core");
        assert_eq!(counted(8, "core", "cores"), "8 cores");
    }

    #[test]
    fn ratios_percentages_and_durations() {
        assert_eq!(ratio(1.9449), "1.94×");
        assert_eq!(factor(4.66), "4.7×");
        assert_eq!(percent(0.998), "99.8%");
        assert_eq!(decimal(1.994), "1.99");
        assert_eq!(si(12_300_000.0), "12.30 M");
        assert_eq!(si(950.0), "950");
        assert_eq!(nanos(5_070_000), "5.07 ms");
        assert_eq!(ms(0.056), "56.0 µs");
    }
}
