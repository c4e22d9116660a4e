//! The settings flags shared by `run`, `sweep`, `compare`, `export` and `screenshot`: one flag
//! per row of the settings table ([`SETTINGS`]), with its help, plus `--threads GROUP=N`.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, Command};
use gilscope_sim::time::parse_duration;
use gilscope_sim::{Nanos, Overrides, SETTINGS, Scenario, Setting};

/// The setting `sweep` takes a list of; every other flag takes one value.
const SWEPT: &str = "switch_interval";

/// The id of `--threads`.
const THREADS: &str = "threads";

/// Flags that override a scenario's `[settings]`.
#[derive(Debug, Clone, Default)]
pub struct SettingsArgs {
    /// Every setting named by a flag, except the switch interval.
    named: Overrides,
    /// Every `--switch-interval` value, in order: `run` takes one, `sweep` a list.
    pub switch_interval: Vec<Nanos>,
    /// `--threads GROUP=N`, in order.
    pub group_counts: Vec<(String, u32)>,
}

impl SettingsArgs {
    /// The overrides these flags name (the first switch interval, if several).
    pub fn overrides(&self) -> Overrides {
        Overrides {
            switch_interval: self.switch_interval.first().copied(),
            ..self.named.clone()
        }
    }

    /// Applies `--threads GROUP=N` to a scenario.
    pub fn apply_counts(&self, scenario: &Scenario) -> Result<Scenario, String> {
        let mut out = scenario.clone();
        for (group, count) in &self.group_counts {
            let Some(index) = out.groups.iter().position(|g| &g.name == group) else {
                let names: Vec<&str> = out.groups.iter().map(|g| g.name.as_str()).collect();
                return Err(format!(
                    "--threads {group}={count}: no thread group named \"{group}\" (groups: {})",
                    names.join(", ")
                ));
            };
            out = out
                .set_group_count(index, *count)
                .map_err(|e| format!("--threads {group}={count}: {e}"))?;
        }
        Ok(out)
    }
}

/// The flag of one setting: its help from the table, its value parsed into overrides that set
/// this setting only.
fn setting_arg(setting: &'static Setting) -> Arg {
    // Without the final period, like the help clap derives from doc comments.
    let help = setting.help.strip_suffix('.').unwrap_or(setting.help);
    // A value may start with a dash (`--seed -1`), so that it reaches the setting's own check
    // and its message rather than clap's advice to write `-- -1`.
    let arg = Arg::new(setting.key)
        .long(setting.flag())
        .value_name(setting.value_name)
        .allow_hyphen_values(true)
        .help(help);
    let parse = move |text: &str| setting.parse(text);
    let arg = if setting.choices.is_empty() {
        arg.value_parser(parse)
    } else {
        arg.value_parser(
            PossibleValuesParser::new(setting.choices).try_map(move |text: String| parse(&text)),
        )
    };
    if setting.switch {
        // `--free-threaded` alone means true; `--free-threaded=false` says so explicitly.
        arg.num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
    } else if setting.key == SWEPT {
        arg.action(ArgAction::Append)
            .value_delimiter(',')
            .help(format!("{help}; `sweep` takes a list: 0.5ms,1ms,5ms"))
    } else {
        arg
    }
}

impl clap::Args for SettingsArgs {
    fn augment_args(command: Command) -> Command {
        command.args(SETTINGS.iter().map(setting_arg)).arg(
            Arg::new(THREADS)
                .long(THREADS)
                .value_name("GROUP=N")
                .action(ArgAction::Append)
                .value_parser(parse_group_count)
                .help("Thread count of a group, e.g. --threads worker=8 (repeatable)"),
        )
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

impl clap::FromArgMatches for SettingsArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = Self::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for setting in SETTINGS {
            for given in values::<Overrides>(matches, setting.key)? {
                if setting.key == SWEPT {
                    self.switch_interval.extend(given.switch_interval);
                } else {
                    self.named = given.or(&self.named);
                }
            }
        }
        self.group_counts
            .extend(values::<(String, u32)>(matches, THREADS)?.cloned());
        Ok(())
    }
}

/// The values given to the flag `id`, none if it was not given.
fn values<'a, T: Clone + Send + Sync + 'static>(
    matches: &'a ArgMatches,
    id: &str,
) -> Result<impl Iterator<Item = &'a T>, clap::Error> {
    let given = matches
        .try_get_many::<T>(id)
        .map_err(|e| clap::Error::raw(ErrorKind::ArgumentConflict, format!("--{id}: {e}\n")))?;
    Ok(given.into_iter().flatten())
}

/// Parses a duration flag (`5ms`), with the same rules as scenario files.
pub fn parse_duration_arg(text: &str) -> Result<Nanos, String> {
    parse_duration(text)
}

fn parse_group_count(text: &str) -> Result<(String, u32), String> {
    let (name, count) = text
        .split_once('=')
        .ok_or_else(|| format!("\"{text}\": write GROUP=N, e.g. worker=4"))?;
    let count = count
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\": the count after = must be a whole number"))?;
    Ok((name.trim().to_owned(), count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command as Sub};
    use clap::Parser;
    use gilscope_sim::{Runtime, StartMethod};

    fn settings_of(args: &[&str]) -> Result<SettingsArgs, clap::Error> {
        let cli = Cli::try_parse_from(["gilscope", "run", "convoy"].iter().chain(args))?;
        match cli.command {
            Some(Sub::Run { settings, .. }) => Ok(settings),
            other => panic!("not a run: {other:?}"),
        }
    }

    #[test]
    fn the_swept_setting_is_in_the_table() {
        assert!(SETTINGS.iter().any(|s| s.key == SWEPT));
    }

    #[test]
    fn every_setting_of_the_table_is_a_flag() {
        for setting in SETTINGS {
            let flag = format!("--{}", setting.flag());
            let value = if setting.switch {
                None
            } else if let Some(first) = setting.choices.first() {
                Some((*first).to_owned())
            } else {
                let sample = match setting.value_name {
                    "DURATION" => "3ms",
                    "VERSION" => "3.12",
                    "0|1" => "1",
                    "SIZE" => "7MB",
                    _ => "7",
                };
                Some(sample.to_owned())
            };
            let mut args = vec![flag.clone()];
            args.extend(value.clone());
            let parsed = settings_of(&args.iter().map(String::as_str).collect::<Vec<_>>())
                .unwrap_or_else(|e| panic!("{flag}: {e}"));
            let expected = setting.parse(value.as_deref().unwrap_or("true")).unwrap();
            assert_eq!(parsed.overrides(), expected, "{flag}");
        }
    }

    #[test]
    fn flags_parse_into_overrides_and_lists_and_counts() {
        let s = settings_of(&[
            "--runtime",
            "multiprocessing",
            "--start-method",
            "spawn",
            "--check-interval",
            "100",
            "--free-threaded",
            "--switch-interval",
            "1ms,5ms",
            "--switch-interval",
            "20ms",
            "--threads",
            "busy=3",
        ])
        .unwrap();
        let o = s.overrides();
        assert_eq!(o.runtime, Some(Runtime::Multiprocessing));
        assert_eq!(o.start_method, Some(StartMethod::Spawn));
        assert_eq!(o.check_interval, Some(100));
        assert_eq!(o.free_threaded, Some(true));
        assert_eq!(s.switch_interval, [1_000_000, 5_000_000, 20_000_000]);
        assert_eq!(o.switch_interval, Some(1_000_000));
        assert_eq!(s.group_counts, [("busy".to_owned(), 3)]);
        let off = settings_of(&["--free-threaded=false"]).unwrap();
        assert_eq!(off.overrides().free_threaded, Some(false));
        assert_eq!(settings_of(&[]).unwrap().overrides(), Overrides::default());
    }

    #[test]
    fn bad_values_are_usage_errors_that_say_what_is_allowed() {
        let cases = [
            (&["--runtime", "fibers"][..], "subinterpreters"),
            (&["--start-method", "clone"][..], "forkserver"),
            (&["--gil", "2"][..], "use 0"),
            (&["--python", "4.0"][..], "3.15"),
            (&["--wake-latency", "5"][..], "no unit"),
            (&["--cores", "many"][..], "invalid digit"),
            (&["--free-threaded=maybe"][..], "true or false"),
            (
                &["--cores", "2", "--cores", "3"][..],
                "cannot be used multiple times",
            ),
        ];
        for (args, needle) in cases {
            let error = settings_of(args).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{args:?}");
            let text = error.to_string();
            assert!(text.contains(needle), "{args:?}: {text}");
        }
    }
}
