//! Virtual time: integer nanoseconds, and the duration strings scenario files use.

use crate::quantity::{parse_amount, split_unit, three_figures};

/// A point or a span of time, in nanoseconds (virtual time in the simulator, monotonic-clock
/// time since the run started in the live engine).
pub type Nanos = u64;

/// One microsecond in nanoseconds.
pub const US: Nanos = 1_000;
/// One millisecond in nanoseconds.
pub const MS: Nanos = 1_000_000;
/// One second in nanoseconds.
pub const SEC: Nanos = 1_000_000_000;

/// One hour in nanoseconds.
pub const HOUR: Nanos = 3_600 * SEC;
/// One day in nanoseconds.
pub const DAY: Nanos = 24 * HOUR;

/// The largest duration a scenario may name, and the most virtual time one operation may take:
/// one day. Every sum and product of virtual times the engine forms stays far below `u64::MAX`.
pub const MAX_DURATION: Nanos = DAY;

/// Parses a duration such as `"5ms"`, `"0.5ms"`, `"56us"`, `"56µs"`, `"2s"` or `"100ns"`.
///
/// The error is a sentence naming the bad value and what is allowed.
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    let trimmed = text.trim();
    if trimmed == "0" {
        // Zero needs no unit; whether zero is allowed is for the setting to say.
        return Ok(0);
    }
    let (number, unit) = split_unit(trimmed, true);
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" | "μs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "" => {
            return Err(format!(
                "duration {text:?} has no unit: write it with one of ns, us (or µs), ms, s, e.g. \"5ms\""
            ));
        }
        other => {
            return Err(format!(
                "duration {text:?} has an unknown unit {other:?}: use ns, us (or µs), ms or s"
            ));
        }
    };
    let value = parse_amount(text, number, "duration", "0.5ms")?;
    let nanos = (value * scale).round();
    if !nanos.is_finite() || nanos > MAX_DURATION as f64 {
        return Err(format!(
            "duration {text:?} is too long: at most one day (\"86400s\") is allowed"
        ));
    }
    Ok(nanos as Nanos)
}

/// Formats nanoseconds with a unit that keeps three significant figures: `5.00 ms`, `56.0 µs`,
/// `2.00 h`, `100 days`.
pub fn format_nanos(nanos: Nanos) -> String {
    format_nanos_f(nanos as f64)
}

/// Like [`format_nanos`] for a fractional amount of nanoseconds.
pub fn format_nanos_f(nanos: f64) -> String {
    let (value, unit) = if nanos >= 2.0 * DAY as f64 {
        (nanos / DAY as f64, "days")
    } else if nanos >= HOUR as f64 {
        (nanos / HOUR as f64, "h")
    } else if nanos >= 1e9 {
        (nanos / 1e9, "s")
    } else if nanos >= 1e6 {
        (nanos / 1e6, "ms")
    } else if nanos >= 1e3 {
        (nanos / 1e3, "µs")
    } else {
        (nanos, "ns")
    };
    if unit == "ns" && value.fract() == 0.0 {
        return format!("{value:.0} {unit}");
    }
    three_figures(value, unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_fractions() {
        assert_eq!(parse_duration("5ms"), Ok(5 * MS));
        assert_eq!(parse_duration("0.5ms"), Ok(500 * US));
        assert_eq!(parse_duration("56us"), Ok(56 * US));
        assert_eq!(parse_duration("56µs"), Ok(56 * US));
        assert_eq!(parse_duration("2s"), Ok(2 * SEC));
        assert_eq!(parse_duration("100ns"), Ok(100));
        assert_eq!(parse_duration("1.5 s"), Ok(1_500 * MS));
    }

    #[test]
    fn rejects_bad_durations_with_reasons() {
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("-1ms").unwrap_err().contains("negative"));
        assert!(parse_duration("5min").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("ms").unwrap_err().contains("number"));
        assert!(parse_duration("1000000s").unwrap_err().contains("too long"));
        assert!(parse_duration("1e400s").unwrap_err().contains("too long"));
        assert!(
            parse_duration("nan s")
                .unwrap_err()
                .contains("unknown unit")
        );
    }

    #[test]
    fn formats_with_adaptive_units() {
        assert_eq!(format_nanos(5 * MS), "5.00 ms");
        assert_eq!(format_nanos(56 * US), "56.0 µs");
        assert_eq!(format_nanos(40), "40 ns");
        assert_eq!(format_nanos(2 * SEC), "2.00 s");
        assert_eq!(format_nanos(150 * MS), "150 ms");
        assert_eq!(format_nanos(1_800 * SEC), "1800 s");
        assert_eq!(format_nanos(2 * HOUR), "2.00 h");
        assert_eq!(format_nanos(100 * DAY), "100 days");
    }
}
