//! A number with a unit, as settings write durations (`"0.5ms"`) and sizes (`"512MB"`): the
//! parsing and the three-significant-figure formatting both share.

/// Splits `"0.5 ms"` into its number (`"0.5"`) and unit (`"ms"`), both trimmed; `exponent`
/// lets the number carry an `e` (`"1e3us"`).
pub(crate) fn split_unit(text: &str, exponent: bool) -> (&str, &str) {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || (exponent && c == 'e'))
        })
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    (number, unit.trim())
}

/// Parses the number of a quantity, 0 or more. `kind` names it in the error (`"duration"`,
/// `"size"`), `example` shows a good one (`"0.5ms"`); `text` is the whole value as written.
pub(crate) fn parse_amount(
    text: &str,
    number: &str,
    kind: &str,
    example: &str,
) -> Result<f64, String> {
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{kind} {text:?} does not start with a number, e.g. {example:?}"))?;
    if value < 0.0 {
        return Err(format!(
            "{kind} {text:?} is negative: {kind}s must be 0 or more"
        ));
    }
    Ok(value)
}

/// `value` with `unit` to three significant figures: `512 MB`, `56.0 µs`, `1.45 GB`.
pub(crate) fn three_figures(value: f64, unit: &str) -> String {
    if value >= 100.0 {
        format!("{value:.0} {unit}")
    } else if value >= 10.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.2} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_number_from_unit() {
        assert_eq!(split_unit(" 0.5 ms ", false), ("0.5", "ms"));
        assert_eq!(split_unit("1e3us", true), ("1e3", "us"));
        assert_eq!(split_unit("1e3us", false), ("1", "e3us"));
        assert_eq!(split_unit("MB", false), ("", "MB"));
    }

    #[test]
    fn amounts_are_numbers_of_zero_or_more() {
        assert_eq!(parse_amount("2s", "2", "duration", "5ms"), Ok(2.0));
        let negative = parse_amount("-1MB", "-1", "size", "512MB").unwrap_err();
        assert_eq!(
            negative,
            "size \"-1MB\" is negative: sizes must be 0 or more"
        );
        let missing = parse_amount("ms", "", "duration", "0.5ms").unwrap_err();
        assert_eq!(
            missing,
            "duration \"ms\" does not start with a number, e.g. \"0.5ms\""
        );
    }

    #[test]
    fn keeps_three_figures() {
        assert_eq!(three_figures(512.0, "MB"), "512 MB");
        assert_eq!(three_figures(56.0, "µs"), "56.0 µs");
        assert_eq!(three_figures(1.45, "GB"), "1.45 GB");
    }
}
