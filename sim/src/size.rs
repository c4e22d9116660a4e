//! Sizes in bytes, as the memory budget and its messages write them: `"512MB"`, `"2GiB"`.

use crate::quantity::{parse_amount, split_unit, three_figures};

/// Decimal and binary units, largest first.
const UNITS: [(&str, u64); 9] = [
    ("TiB", 1 << 40),
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("TB", 1_000_000_000_000),
    ("GB", 1_000_000_000),
    ("MB", 1_000_000),
    ("KB", 1_000),
    ("B", 1),
];

/// Parses a size such as `"512MB"`, `"1.5GB"`, `"64MiB"` or `"4096B"`.
///
/// The error is a sentence naming the bad value and what is allowed.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (number, unit) = split_unit(text, false);
    let Some(&(_, scale)) = UNITS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(unit))
    else {
        return Err(if unit.is_empty() {
            format!(
                "size {text:?} has no unit: write it with one of B, KB, MB, GB, TB (or KiB, MiB, GiB, TiB), e.g. \"512MB\""
            )
        } else {
            format!(
                "size {text:?} has an unknown unit {unit:?}: use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
            )
        });
    };
    let value = parse_amount(text, number, "size", "512MB")?;
    let bytes = (value * scale as f64).round();
    // 2^53: every whole number up to here is exact in an f64, and no machine has this much.
    if !bytes.is_finite() || bytes > (1u64 << 53) as f64 {
        return Err(format!("size {text:?} is too large: at most 8 PiB"));
    }
    Ok(bytes as u64)
}

/// Formats bytes with a decimal unit and three significant figures: `512 MB`, `1.45 GB`.
pub fn format_bytes(bytes: u64) -> String {
    let (value, unit) = match bytes {
        b if b >= 1_000_000_000 => (b as f64 / 1e9, "GB"),
        b if b >= 1_000_000 => (b as f64 / 1e6, "MB"),
        b if b >= 1_000 => (b as f64 / 1e3, "KB"),
        b => return format!("{b} B"),
    };
    three_figures(value, unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_and_binary_units() {
        assert_eq!(parse_size("512MB"), Ok(512_000_000));
        assert_eq!(parse_size("1.5 GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("4096b"), Ok(4096));
        assert!(parse_size("512").unwrap_err().contains("no unit"));
        assert!(parse_size("5PB").unwrap_err().contains("unknown unit"));
        assert_eq!(parse_size("1TB"), Ok(1_000_000_000_000));
        assert!(parse_size("-1MB").unwrap_err().contains("negative"));
        assert!(parse_size("MB").unwrap_err().contains("number"));
        assert!(
            parse_size("99999999999GB")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn formats_with_three_figures() {
        assert_eq!(format_bytes(512_000_000), "512 MB");
        assert_eq!(format_bytes(1_450_000_000), "1.45 GB");
        assert_eq!(format_bytes(1 << 20), "1.05 MB");
        assert_eq!(format_bytes(999), "999 B");
    }
}
