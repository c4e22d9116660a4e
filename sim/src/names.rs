//! Enums whose values have names: `named_enum!` writes each value once with its name, and from
//! that one list come the names that scenario files, the command line, JSON output, messages and
//! the app use (serde, `FromStr`, `Display`, [`Named::ALL`], [`Named::NAMES`]).
//!
//! A `macro_rules!` rather than `clap::ValueEnum` or `strum`: this crate has no command line and
//! no GUI, so it should not depend on a CLI crate for names, and a dozen lines of macro replace a
//! derive crate.

/// A value from a fixed set, each value with one name.
pub trait Named: Copy + Eq + 'static {
    /// What the value is, in messages: `"runtime"`.
    const WHAT: &'static str;
    /// Every value, in the order help and menus list them.
    const ALL: &'static [Self];
    /// Every name, in the order of [`Named::ALL`].
    const NAMES: &'static [&'static str];

    /// The value's name, as scenario files and the command line write it.
    fn name(self) -> &'static str;

    /// The value named `text`; the error names the value and what is allowed.
    fn from_name(text: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.name() == text.trim())
            .ok_or_else(|| {
                format!(
                    "{} {text:?} is unknown: use {}",
                    Self::WHAT,
                    or_list(Self::NAMES)
                )
            })
    }
}

/// `"a, b or c"`.
pub fn or_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Defines an enum whose variants each have a name: `Variant = "name"`. The enum gets `Debug`,
/// `Clone`, `Copy`, `PartialEq`, `Eq`, `Hash`, [`Named`], `name()`, `Display`, `FromStr` and
/// serde by name; other derives (`Default`) may be given as attributes.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// The value's name, as scenario files and the command line write it.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )+
                }
            }
        }

        impl $crate::names::Named for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[$( Self::$variant ),+];
            const NAMES: &'static [&'static str] = &[$( $text ),+];
            fn name(self) -> &'static str {
                $name::name(self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                <Self as $crate::names::Named>::from_name(text)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                <Self as $crate::names::Named>::from_name(&text).map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    use super::*;

    named_enum! {
        /// A test enum.
        enum Colour ("colour") {
            /// Red.
            Red = "red",
            /// Dark blue.
            DarkBlue = "dark-blue",
        }
    }

    #[test]
    fn names_round_trip_through_every_form() {
        for &colour in Colour::ALL {
            assert_eq!(colour.name().parse::<Colour>(), Ok(colour));
            assert_eq!(colour.to_string(), colour.name());
            let json = serde_json::to_string(&colour).unwrap();
            assert_eq!(json, format!("\"{}\"", colour.name()));
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), colour);
        }
        assert_eq!(Colour::NAMES, ["red", "dark-blue"]);
    }

    #[test]
    fn unknown_names_are_refused_with_the_allowed_ones() {
        assert_eq!(
            "green".parse::<Colour>(),
            Err("colour \"green\" is unknown: use red or dark-blue".to_owned())
        );
        let error = serde_json::from_str::<Colour>("\"green\"")
            .unwrap_err()
            .to_string();
        assert!(error.contains("use red or dark-blue"), "{error}");
        assert_eq!(or_list(&["a", "b", "c"]), "a, b or c");
    }
}
