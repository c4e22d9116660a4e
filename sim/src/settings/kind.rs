//! How a kind of setting value is written: in a scenario file (TOML) and on the command line.
//! Each row of the settings table names one of these kinds. Every error says, in words, what to
//! write instead.

use crate::model::PythonVersion;
use crate::names::{Named, or_list};
use crate::size::parse_size;
use crate::time::{Nanos, parse_duration};
use std::fmt::Display;
use std::marker::PhantomData;
use toml::de::DeValue;

/// A kind of setting value: what it becomes, how a file writes it, how a flag writes it.
pub trait SettingKind {
    /// The value, as [`Overrides`](super::Overrides) holds it.
    type Value;
    /// A switch: the flag alone means true (`--free-threaded`).
    const SWITCH: bool = false;
    /// The names allowed, for a value from a fixed set; empty otherwise.
    const CHOICES: &'static [&'static str] = &[];

    /// Reads the value a scenario file gives; the error says what to write instead.
    fn from_toml(value: &DeValue) -> Result<Self::Value, String>;

    /// Parses a command-line value; the error says what is wrong and what is allowed.
    fn parse(text: &str) -> Result<Self::Value, String>;
}

/// A TOML integer as written (any radix), if it fits an `i128`.
fn integer(value: &DeValue) -> Option<i128> {
    value
        .as_integer()
        .and_then(|i| i128::from_str_radix(i.as_str(), i.radix()).ok())
}

/// A value as a message shows it: numbers and booleans as written, strings quoted, a list or a
/// table by what it is.
pub fn written(value: &DeValue) -> String {
    match value {
        // Quoted, with control characters escaped, so that a message stays on one line.
        DeValue::String(s) => format!("{s:?}"),
        DeValue::Integer(i) => i.to_string(),
        DeValue::Float(f) => f.to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        DeValue::Array(_) => "a list".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

/// A duration with a unit: `"5ms"` in a file, `5ms` on the command line.
pub struct Duration;

impl SettingKind for Duration {
    type Value = Nanos;
    fn from_toml(value: &DeValue) -> Result<Nanos, String> {
        match value {
            DeValue::String(s) => parse_duration(s),
            DeValue::Integer(_) | DeValue::Float(_) => Err(format!(
                "a duration needs a unit: write it as a string, e.g. \"{}ms\"",
                written(value)
            )),
            _ => Err("write a duration as a string with a unit, e.g. \"5ms\"".into()),
        }
    }
    fn parse(text: &str) -> Result<Nanos, String> {
        parse_duration(text)
    }
}

/// A size in bytes with a unit: `"512MB"` in a file, `512MB` on the command line.
pub struct Size;

impl SettingKind for Size {
    type Value = u64;
    fn from_toml(value: &DeValue) -> Result<u64, String> {
        match value {
            DeValue::String(s) => parse_size(s),
            DeValue::Integer(_) | DeValue::Float(_) => Err(format!(
                "a size needs a unit: write it as a string, e.g. \"{}MB\"",
                written(value)
            )),
            _ => Err("write a size as a string with a unit, e.g. \"512MB\"".into()),
        }
    }
    fn parse(text: &str) -> Result<u64, String> {
        parse_size(text)
    }
}

/// A whole number of type `T` (`u32`, `u64`): `4` in a file and on the command line.
pub struct Whole<T>(PhantomData<T>);

/// The largest value of an unsigned type, for messages.
pub trait Largest: TryFrom<u64> + Display {
    /// `T::MAX`.
    const LARGEST: Self;
}

impl Largest for u32 {
    const LARGEST: Self = u32::MAX;
}

impl Largest for u64 {
    const LARGEST: Self = u64::MAX;
}

impl<T: Largest> Whole<T> {
    fn fit(n: i128) -> Result<T, String> {
        if n < 0 {
            return Err("it is negative: write a whole number, 0 or more and within the range the setting allows".into());
        }
        u64::try_from(n)
            .ok()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| format!("it is too large: at most {}", T::LARGEST))
    }
}

impl<T: Largest> SettingKind for Whole<T> {
    type Value = T;
    fn from_toml(value: &DeValue) -> Result<T, String> {
        match value {
            DeValue::Integer(_) => match integer(value) {
                Some(n) => Self::fit(n),
                None => Err(format!("it is too large: at most {}", T::LARGEST)),
            },
            DeValue::Float(_) => Err("write a whole number, without a decimal point".into()),
            DeValue::String(s) if s.trim().parse::<i128>().is_ok() => {
                Err(format!("write the number without quotes: {}", s.trim()))
            }
            _ => Err("write a whole number".into()),
        }
    }
    fn parse(text: &str) -> Result<T, String> {
        match text.trim().parse::<i128>() {
            Ok(n) => Self::fit(n),
            Err(e) => Err(format!(
                "\"{text}\" is not a whole number ({e}): write digits only, e.g. 4"
            )),
        }
    }
}

/// A number that may have a fraction: `0.4`, `5` in a file and on the command line.
pub struct Number;

impl SettingKind for Number {
    type Value = f64;
    fn from_toml(value: &DeValue) -> Result<f64, String> {
        let number = match value {
            DeValue::Integer(_) => integer(value).map(|n| n as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        match number {
            Some(n) if n.is_finite() => Ok(n),
            Some(_) => Err("write a finite number".into()),
            None => Err("write a number, e.g. 0.5".into()),
        }
    }
    fn parse(text: &str) -> Result<f64, String> {
        match text.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(format!(
                "\"{text}\" is not a number: write one like 0.5 or 5"
            )),
        }
    }
}

/// A Python version: `"3.13"` (quoted) in a file, `3.13` on the command line.
pub struct Version;

impl SettingKind for Version {
    type Value = PythonVersion;
    fn from_toml(value: &DeValue) -> Result<PythonVersion, String> {
        match value {
            DeValue::String(s) => s.parse(),
            DeValue::Float(_) | DeValue::Integer(_) => Err(format!(
                "write the version in quotes, e.g. \"{}\" (unquoted, 3.10 would be the number 3.1)",
                written(value)
            )),
            _ => Err("write a version in quotes, e.g. \"3.13\"".into()),
        }
    }
    fn parse(text: &str) -> Result<PythonVersion, String> {
        text.parse()
    }
}

/// One of a fixed set of names (see [`Named`]), written as a string in a file.
pub struct Choice<T>(PhantomData<T>);

impl<T: Named> SettingKind for Choice<T> {
    type Value = T;
    const CHOICES: &'static [&'static str] = T::NAMES;
    fn from_toml(value: &DeValue) -> Result<T, String> {
        if let DeValue::String(s) = value {
            return T::from_name(s);
        }
        let quoted: Vec<String> = T::NAMES.iter().map(|n| format!("\"{n}\"")).collect();
        let quoted: Vec<&str> = quoted.iter().map(String::as_str).collect();
        Err(format!("write one of {} in quotes", or_list(&quoted)))
    }
    fn parse(text: &str) -> Result<T, String> {
        T::from_name(text)
    }
}

/// A yes/no setting: `true`/`false` in a file; on the command line the flag alone means true.
pub struct Switch;

impl SettingKind for Switch {
    type Value = bool;
    const SWITCH: bool = true;
    fn from_toml(value: &DeValue) -> Result<bool, String> {
        match value {
            DeValue::Boolean(b) => Ok(*b),
            DeValue::String(s) if matches!(s.trim(), "true" | "false") => {
                Err(format!("write {} without quotes", s.trim()))
            }
            _ => Err("write true or false".into()),
        }
    }
    fn parse(text: &str) -> Result<bool, String> {
        match text.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("\"{text}\": use true or false")),
        }
    }
}

/// `PYTHON_GIL`: `0` or `1`, a number in a file and on the command line.
pub struct GilFlag;

/// What `gil` allows.
const GIL_VALUES: &str = "use 0 (PYTHON_GIL=0, GIL off) or 1 (PYTHON_GIL=1, GIL on)";

/// The one message for a `gil` flag other than 0 or 1.
fn bad_gil(value: impl Display) -> String {
    format!("gil = {value}: {GIL_VALUES}")
}

impl SettingKind for GilFlag {
    type Value = bool;
    fn from_toml(value: &DeValue) -> Result<bool, String> {
        match integer(value) {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(GIL_VALUES.into()),
        }
    }
    fn parse(text: &str) -> Result<bool, String> {
        match text.trim() {
            "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(bad_gil(text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Runtime;
    use crate::time::MS;

    fn toml(text: &str) -> DeValue<'_> {
        DeValue::parse(text).unwrap().into_inner()
    }

    #[test]
    fn command_line_values_parse_or_say_what_is_allowed() {
        assert_eq!(Duration::parse("5ms"), Ok(5 * MS));
        assert!(Duration::parse("5").unwrap_err().contains("no unit"));
        assert_eq!(Version::parse("3.9"), Ok(PythonVersion::new(3, 9)));
        assert_eq!(Whole::<u32>::parse(" 4 "), Ok(4));
        assert!(Whole::<u32>::parse("four").is_err());
        assert!(Whole::<u64>::parse("-1").unwrap_err().contains("negative"));
        assert!(
            Whole::<u32>::parse("4294967296")
                .unwrap_err()
                .contains("at most 4294967295")
        );
        assert!(Number::parse("NaN").is_err());
        assert_eq!(Choice::<Runtime>::parse("asyncio"), Ok(Runtime::Asyncio));
        assert!(Choice::<Runtime>::parse("fibers").unwrap_err().contains(
            "threads, asyncio, multiprocessing, subinterpreters, pool, process-pool or thread-pool"
        ));
        assert_eq!(Switch::parse("false"), Ok(false));
        assert!(Switch::parse("yes").is_err());
        assert_eq!(GilFlag::parse("1"), Ok(true));
        assert!(GilFlag::parse("2").unwrap_err().contains("use 0"));
        assert_eq!(Choice::<Runtime>::CHOICES.len(), Runtime::ALL.len());
        assert_eq!(Size::parse("1MB"), Ok(1_000_000));
    }

    #[test]
    fn file_values_of_the_wrong_kind_say_what_to_write() {
        assert_eq!(Duration::from_toml(&toml("\"5ms\"")), Ok(5 * MS));
        assert!(
            Duration::from_toml(&toml("5"))
                .unwrap_err()
                .contains("\"5ms\"")
        );
        assert_eq!(Whole::<u32>::from_toml(&toml("0x10")), Ok(16));
        assert!(
            Whole::<u32>::from_toml(&toml("-1"))
                .unwrap_err()
                .contains("negative")
        );
        assert!(
            Whole::<u32>::from_toml(&toml("1.5"))
                .unwrap_err()
                .contains("decimal point")
        );
        assert!(
            Whole::<u32>::from_toml(&toml("\"4\""))
                .unwrap_err()
                .contains("without quotes")
        );
        assert!(
            Whole::<u64>::from_toml(&toml("99999999999999999999999"))
                .unwrap_err()
                .contains("too large")
        );
        assert_eq!(Number::from_toml(&toml("5")), Ok(5.0));
        assert_eq!(Number::from_toml(&toml("0.4")), Ok(0.4));
        assert!(
            Number::from_toml(&toml("inf"))
                .unwrap_err()
                .contains("finite")
        );
        assert!(
            Version::from_toml(&toml("3.10"))
                .unwrap_err()
                .contains("in quotes")
        );
        assert!(
            Choice::<Runtime>::from_toml(&toml("5"))
                .unwrap_err()
                .contains("\"asyncio\"")
        );
        assert!(
            Switch::from_toml(&toml("\"true\""))
                .unwrap_err()
                .contains("without quotes")
        );
        assert!(
            GilFlag::from_toml(&toml("2"))
                .unwrap_err()
                .contains("use 0")
        );
        assert!(
            Size::from_toml(&toml("512"))
                .unwrap_err()
                .contains("\"512MB\"")
        );
    }
}
