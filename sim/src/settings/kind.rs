//! How a kind of setting value is written: in a scenario file (TOML) and on the command line.
//! Each row of the settings table names one of these kinds.

use crate::names::Named;
use crate::time::{DurationValue, Nanos, parse_duration};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::fmt::Display;
use std::marker::PhantomData;
use std::str::FromStr;

/// A kind of setting value: what it becomes, how a file writes it, how a flag writes it.
pub trait SettingKind {
    /// The value, as [`Overrides`](super::Overrides) holds it.
    type Value;
    /// The value as a scenario file writes it.
    type File: DeserializeOwned;
    /// A switch: the flag alone means true (`--free-threaded`).
    const SWITCH: bool = false;
    /// The names allowed, for a value from a fixed set; empty otherwise.
    const CHOICES: &'static [&'static str] = &[];

    /// The value a file's entry stands for.
    fn from_file(file: Self::File) -> Self::Value;

    /// Parses a command-line value; the error says what is wrong and what is allowed.
    fn parse(text: &str) -> Result<Self::Value, String>;
}

/// A duration with a unit: `"5ms"` in a file, `5ms` on the command line.
pub struct Duration;

impl SettingKind for Duration {
    type Value = Nanos;
    type File = DurationValue;
    fn from_file(file: DurationValue) -> Nanos {
        file.0
    }
    fn parse(text: &str) -> Result<Nanos, String> {
        parse_duration(text)
    }
}

/// A value written the same way in both places: a TOML value that deserializes to `T`, and a
/// flag value that `T::from_str` reads (numbers, versions, named enums).
pub struct Parsed<T>(PhantomData<T>);

impl<T: DeserializeOwned + FromStr<Err: Display>> SettingKind for Parsed<T> {
    type Value = T;
    type File = T;
    fn from_file(file: T) -> T {
        file
    }
    fn parse(text: &str) -> Result<T, String> {
        text.trim().parse().map_err(|e: T::Err| e.to_string())
    }
}

/// One of a fixed set of names (see [`Named`]), written as a string in a file.
pub struct Choice<T>(PhantomData<T>);

impl<T: Named + DeserializeOwned> SettingKind for Choice<T> {
    type Value = T;
    type File = T;
    const CHOICES: &'static [&'static str] = T::NAMES;
    fn from_file(file: T) -> T {
        file
    }
    fn parse(text: &str) -> Result<T, String> {
        T::from_name(text)
    }
}

/// A yes/no setting: `true`/`false` in a file; on the command line the flag alone means true.
pub struct Switch;

impl SettingKind for Switch {
    type Value = bool;
    type File = bool;
    const SWITCH: bool = true;
    fn from_file(file: bool) -> bool {
        file
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

/// `gil = 0 | 1` as a file writes it.
pub struct GilFile(bool);

/// The one message for a `gil` value other than 0 or 1.
fn bad_gil(value: impl Display) -> String {
    format!("gil = {value}: use 0 (PYTHON_GIL=0, GIL off) or 1 (PYTHON_GIL=1, GIL on)")
}

impl<'de> Deserialize<'de> for GilFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match i64::deserialize(deserializer)? {
            0 => Ok(GilFile(false)),
            1 => Ok(GilFile(true)),
            other => Err(serde::de::Error::custom(bad_gil(other))),
        }
    }
}

impl SettingKind for GilFlag {
    type Value = bool;
    type File = GilFile;
    fn from_file(file: GilFile) -> bool {
        file.0
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
    use crate::model::{PythonVersion, Runtime};
    use crate::time::MS;

    #[test]
    fn command_line_values_parse_or_say_what_is_allowed() {
        assert_eq!(Duration::parse("5ms"), Ok(5 * MS));
        assert!(Duration::parse("5").unwrap_err().contains("no unit"));
        assert_eq!(
            Parsed::<PythonVersion>::parse("3.9"),
            Ok(PythonVersion::new(3, 9))
        );
        assert_eq!(Parsed::<u32>::parse(" 4 "), Ok(4));
        assert!(Parsed::<u32>::parse("four").is_err());
        assert_eq!(Choice::<Runtime>::parse("asyncio"), Ok(Runtime::Asyncio));
        assert!(
            Choice::<Runtime>::parse("fibers")
                .unwrap_err()
                .contains("threads, asyncio, multiprocessing or subinterpreters")
        );
        assert_eq!(Switch::parse("false"), Ok(false));
        assert!(Switch::parse("yes").is_err());
        assert_eq!(GilFlag::parse("1"), Ok(true));
        assert!(GilFlag::parse("2").unwrap_err().contains("use 0"));
        assert_eq!(Choice::<Runtime>::CHOICES.len(), Runtime::ALL.len());
    }
}
