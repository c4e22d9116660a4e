//! `define_settings!`: from the table of settings (one row each: doc comment, key, value type,
//! kind, value name) it writes [`Overrides`](super::Overrides) with its merge and
//! [`SETTINGS`](super::SETTINGS), from which scenario files read their `[settings]`, the
//! command line builds its flags and the README its list.

/// The first of two options that is set, cloned.
pub(super) fn first_set<T: Clone>(a: Option<&T>, b: Option<&T>) -> Option<T> {
    a.or(b).cloned()
}

/// Writes everything that comes from the settings table; see the module documentation.
macro_rules! define_settings {
    (
        $(
            $(#[doc = $doc:literal])+
            $key:ident : $ty:ty = $kind:ty, $value_name:literal;
        )+
    ) => {
        /// Settings named in a scenario, on the command line or in the app; `None` means "not
        /// given here". One field per row of the settings table (`sim/src/settings/mod.rs`).
        ///
        /// Layers merge with [`Overrides::or`]: the CLI or GUI layer over the scenario layer;
        /// [`Overrides::resolve`] fills what is left with the defaults and validates.
        #[derive(Debug, Clone, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct Overrides {
            $(
                $(#[doc = $doc])+
                pub $key: Option<$ty>,
            )+
        }

        impl Overrides {
            /// Each field from `self` where set, else from `base`.
            #[must_use]
            pub fn or(&self, base: &Overrides) -> Overrides {
                Overrides {
                    $( $key: $crate::settings::define::first_set(self.$key.as_ref(), base.$key.as_ref()), )+
                }
            }
        }

        /// Every setting, in table order.
        pub static SETTINGS: &[Setting] = &[
            $(
                Setting {
                    key: stringify!($key),
                    value_name: $value_name,
                    help: concat!($($doc),+).trim_ascii(),
                    switch: <$kind as SettingKind>::SWITCH,
                    choices: <$kind as SettingKind>::CHOICES,
                    parse: |text| {
                        Ok(Overrides {
                            $key: Some(<$kind as SettingKind>::parse(text)?),
                            ..Overrides::default()
                        })
                    },
                    given: |overrides| overrides.$key.is_some(),
                    from_toml: |value| {
                        Ok(Overrides {
                            $key: Some(<$kind as SettingKind>::from_toml(value)?),
                            ..Overrides::default()
                        })
                    },
                },
            )+
        ];

    };
}

pub(super) use define_settings;
