//! The settings a user chooses in the window, persisted between launches (eframe storage).

use super::session::EngineChoice;
use crate::format::nanos as format_nanos;
use crate::theme::ThemeMode;
use gilscope_sim::model::Overrides;
use gilscope_sim::model::Runtime;
use gilscope_sim::names::Named as _;
use gilscope_sim::time::{MS, Nanos, SEC, US};
use gilscope_sim::{PythonVersion, RunConfig};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The key under which [`Settings`] are stored.
pub const STORAGE_KEY: &str = "gilscope.settings";

/// Where the scenario comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScenarioSource {
    /// A preset, by stem (`convoy`).
    Preset(String),
    /// A TOML file, by path.
    File(String),
}

impl ScenarioSource {
    /// The preset stem or path, as `gilscope_sim::presets::load` takes it.
    pub fn name_or_path(&self) -> &str {
        match self {
            Self::Preset(name) | Self::File(name) => name,
        }
    }
}

impl Default for ScenarioSource {
    fn default() -> Self {
        Self::Preset("convoy".to_owned())
    }
}

/// How fast virtual time runs against the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Speed {
    /// This many nanoseconds of simulated time per real second.
    Paced(f64),
    /// This many of the run's own switch intervals per real second: the class pace, where
    /// one interval (one chance of a switch) takes about a second to watch.
    Intervals(f64),
    /// As fast as the engine can go.
    Fastest,
}

impl Speed {
    /// The slowest motion: 1 µs of simulated time per real second (a 60 µs handoff lasts a
    /// minute).
    pub const SLOWEST: f64 = US as f64;
    /// Ten times real time.
    pub const FASTEST_PACED: f64 = 10.0 * SEC as f64;
    /// Real time.
    pub const REAL_TIME: Speed = Speed::Paced(SEC as f64);
    /// The default: one switch interval per second.
    pub const CLASS: Speed = Speed::Intervals(1.0);

    /// The pace for a run whose switch interval is `interval`: [`Speed::Intervals`] becomes
    /// the simulated time it stands for (the engine thread only knows absolute paces).
    #[must_use]
    pub fn for_interval(self, interval: Nanos) -> Speed {
        match self {
            Self::Intervals(n) => Self::Paced(n * interval as f64),
            other => other,
        }
    }

    /// Simulated nanoseconds per real second, `None` when unpaced; [`Speed::Intervals`] counts
    /// `CPython`'s default 5 ms interval (a run resolves it with [`Speed::for_interval`]).
    pub fn ns_per_second(self) -> Option<f64> {
        match self.for_interval(5 * MS) {
            Self::Paced(v) => Some(v.clamp(Self::SLOWEST, Self::FASTEST_PACED)),
            Self::Intervals(_) | Self::Fastest => None,
        }
    }
}

impl Default for Speed {
    fn default() -> Self {
        Self::CLASS
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Self::Intervals(n) = *self {
            return if (n - 1.0).abs() < 1e-9 {
                write!(f, "1 switch interval per second")
            } else {
                write!(f, "{n} switch intervals per second")
            };
        }
        match self.ns_per_second() {
            None => write!(f, "as fast as possible"),
            Some(v) if (v / SEC as f64 - 1.0).abs() < 0.02 => write!(f, "real time"),
            Some(v) if v < SEC as f64 => {
                write!(f, "{} per second", format_nanos(v.round() as Nanos))
            }
            Some(v) => write!(f, "{:.1}× real time", v / SEC as f64),
        }
    }
}

/// What run B of the compare view changes relative to run A.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum CompareWith {
    /// The other build: free-threaded if A has the GIL, and the GIL if A is free-threaded.
    Build,
    /// Another switch interval.
    SwitchInterval(Nanos),
    /// Another Python version.
    Python(PythonVersion),
    /// Another core count.
    Cores(u32),
    /// Another way of running the threads (asyncio, processes, subinterpreters).
    Runtime(Runtime),
    /// The same settings on a real `CPython` found here ([`Settings::compare_interpreter`],
    /// or the newest found), beside run A's engine.
    RealInterpreter,
}

impl CompareWith {
    /// Every kind, with a default value, in menu order.
    pub const KINDS: [CompareWith; 6] = [
        Self::Build,
        Self::SwitchInterval(MS),
        Self::Python(PythonVersion::new(3, 9)),
        Self::Cores(8),
        Self::Runtime(Runtime::Multiprocessing),
        Self::RealInterpreter,
    ];

    /// What this kind changes, for menus: "switch interval".
    pub fn kind_label(self) -> &'static str {
        match self {
            Self::Build => "GIL or free-threaded",
            Self::SwitchInterval(_) => "switch interval",
            Self::Python(_) => "Python version",
            Self::Cores(_) => "core count",
            Self::Runtime(_) => "runtime",
            Self::RealInterpreter => "engine: a real CPython",
        }
    }

    /// Whether `other` is the same kind (ignoring the value).
    pub fn same_kind(self, other: CompareWith) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
    }

    /// The overrides of run B given run A's overrides and resolved config.
    pub fn overrides_b(self, a: &Overrides, a_config: &RunConfig) -> Overrides {
        let mut b = a.clone();
        match self {
            Self::Build => {
                let free = !a_config.free_threaded || a_config.gil_enabled();
                b.free_threaded = Some(free);
                b.gil = None;
                if free && a_config.python < PythonVersion::FIRST_FREE_THREADED {
                    b.python = Some(PythonVersion::FIRST_FREE_THREADED);
                }
            }
            Self::SwitchInterval(interval) => b.switch_interval = Some(interval),
            Self::Python(python) => b.python = Some(python),
            Self::Cores(cores) => b.cores = Some(cores),
            Self::Runtime(runtime) => b.runtime = Some(runtime),
            // The interpreter decides the version and build; the rest is A's.
            Self::RealInterpreter => {}
        }
        b
    }
}

impl FromStr for CompareWith {
    type Err = String;
    /// Parses `build` (or `free-threaded`), `interval=1ms`, `python=3.9`, `cores=8`,
    /// `runtime=multiprocessing` (threads, asyncio, multiprocessing, subinterpreters) or
    /// `cpython` (B on a real interpreter).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s == "build" || s == "free-threaded" || s == "gil" {
            return Ok(Self::Build);
        }
        if s == "cpython" {
            return Ok(Self::RealInterpreter);
        }
        let bad = || {
            format!(
                "compare \"{s}\" is not one of: build, interval=DURATION (e.g. interval=1ms), python=VERSION (e.g. python=3.9), cores=N, runtime={}, cpython",
                Runtime::NAMES.join("|")
            )
        };
        let (key, value) = s.split_once('=').ok_or_else(bad)?;
        match key.trim() {
            "interval" | "switch_interval" => {
                let interval = gilscope_sim::time::parse_duration(value)?;
                if interval < US {
                    return Err(format!(
                        "compare interval={value}: the switch interval must be at least 1us"
                    ));
                }
                Ok(Self::SwitchInterval(interval))
            }
            "python" => Ok(Self::Python(value.parse()?)),
            "cores" => value
                .trim()
                .parse()
                .ok()
                .filter(|c| (1..=256).contains(c))
                .map(Self::Cores)
                .ok_or_else(|| {
                    format!("compare cores={value}: use a whole number between 1 and 256")
                }),
            "runtime" => Runtime::from_name(value)
                .map(Self::Runtime)
                .map_err(|e| format!("compare runtime={value}: {e}")),
            _ => Err(bad()),
        }
    }
}

/// Everything the window remembers between launches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent toggles of the window"
)]
pub struct Settings {
    /// The scenario shown.
    pub scenario: ScenarioSource,
    /// The text of the "Open file…" path field.
    pub file_path: String,
    /// What the user changed over the scenario's own settings.
    pub overrides: Overrides,
    /// Thread counts the user set, per group index (`None`: the scenario's count).
    pub group_counts: Vec<Option<u32>>,
    /// Playback speed.
    pub speed: Speed,
    /// Whether the compare view is on.
    pub compare: bool,
    /// What run B changes.
    pub compare_with: CompareWith,
    /// Large text and thick lanes.
    pub presentation: bool,
    /// Dark or light.
    pub theme: ThemeMode,
    /// Whether the settings panel (left) is open.
    pub show_controls: bool,
    /// Whether the narration and stats panel (right) is open.
    pub show_info: bool,
    /// Run on real threads on this machine instead of the simulator.
    pub live: bool,
    /// Guard every shared counter's increment loop with a `threading.Lock`.
    pub counter_lock: bool,
    /// Whether the panel under the timeline (narration, plots) is open.
    pub show_lower: bool,
    /// Whether the event log beside the timeline is open.
    pub show_events: bool,
    /// The folder exports are written to.
    pub export_dir: String,
    /// Run on this real `CPython` (the path of its executable) instead of the simulator or
    /// real threads (`live` is then off).
    pub interpreter: Option<PathBuf>,
    /// The real `CPython` of run B when B runs on one ([`CompareWith::RealInterpreter`]);
    /// none: the newest found.
    pub compare_interpreter: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            scenario: ScenarioSource::default(),
            file_path: String::new(),
            overrides: Overrides::default(),
            group_counts: Vec::new(),
            speed: Speed::default(),
            compare: false,
            compare_with: CompareWith::Build,
            presentation: false,
            theme: ThemeMode::default(),
            show_controls: true,
            show_info: true,
            live: false,
            counter_lock: false,
            show_lower: true,
            show_events: true,
            export_dir: ".".to_owned(),
            interpreter: None,
            compare_interpreter: None,
        }
    }
}

impl Settings {
    /// Forgets what the user changed over the scenario (when another scenario is chosen).
    pub fn reset_run_settings(&mut self) {
        self.overrides = Overrides::default();
        self.group_counts.clear();
        self.counter_lock = false;
    }

    /// The engine of run A.
    pub fn engine(&self) -> EngineChoice {
        match (&self.interpreter, self.live) {
            (Some(path), _) => EngineChoice::Cpython(path.clone()),
            (None, true) => EngineChoice::Live,
            (None, false) => EngineChoice::Simulated,
        }
    }

    /// Chooses the engine of run A.
    pub fn set_engine(&mut self, engine: EngineChoice) {
        self.live = engine == EngineChoice::Live;
        self.interpreter = match engine {
            EngineChoice::Cpython(path) => Some(path),
            EngineChoice::Simulated | EngineChoice::Live => None,
        };
    }

    /// The user's count for group `group`, if set.
    pub fn group_count(&self, group: usize) -> Option<u32> {
        self.group_counts.get(group).copied().flatten()
    }

    /// Sets the user's count for group `group`.
    pub fn set_group_count(&mut self, group: usize, count: u32) {
        if self.group_counts.len() <= group {
            self.group_counts.resize(group + 1, None);
        }
        self.group_counts[group] = Some(count);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn compare_with_parses_cli_forms() {
        assert_eq!("build".parse::<CompareWith>(), Ok(CompareWith::Build));
        assert_eq!(
            "interval=1ms".parse::<CompareWith>(),
            Ok(CompareWith::SwitchInterval(MS))
        );
        assert_eq!(
            "python=3.9".parse::<CompareWith>(),
            Ok(CompareWith::Python(PythonVersion::new(3, 9)))
        );
        assert_eq!("cores=4".parse::<CompareWith>(), Ok(CompareWith::Cores(4)));
        assert_eq!(
            "runtime=multiprocessing".parse::<CompareWith>(),
            Ok(CompareWith::Runtime(Runtime::Multiprocessing))
        );
        assert!("runtime=fibers".parse::<CompareWith>().is_err());
        assert!("cores=0".parse::<CompareWith>().is_err());
        assert!("interval=0s".parse::<CompareWith>().is_err());
        assert!(
            "colour=red"
                .parse::<CompareWith>()
                .unwrap_err()
                .contains("interval=")
        );
    }

    #[test]
    fn build_comparison_flips_the_gil_and_lifts_old_versions() {
        let a = Overrides {
            python: Some(PythonVersion::new(3, 12)),
            ..Overrides::default()
        };
        let config = a.resolve().unwrap();
        let b = CompareWith::Build.overrides_b(&a, &config);
        assert_eq!(b.free_threaded, Some(true));
        assert_eq!(b.python, Some(PythonVersion::FIRST_FREE_THREADED));
        let b_config = b.resolve().unwrap();
        let back = CompareWith::Build.overrides_b(&b, &b_config);
        assert_eq!(back.free_threaded, Some(false));
    }

    #[test]
    fn settings_round_trip_through_json() {
        let mut s = Settings {
            compare: true,
            compare_with: CompareWith::SwitchInterval(250 * US),
            ..Settings::default()
        };
        s.set_group_count(1, 4);
        s.overrides.seed = Some(7);
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Settings>(&text).unwrap(), s);
        assert_eq!(Speed::REAL_TIME.to_string(), "real time");
        assert_eq!(Speed::Paced(MS as f64).to_string(), "1.00 ms per second");
        assert_eq!(
            Speed::Paced(Speed::SLOWEST).to_string(),
            "1.00 µs per second"
        );
        assert_eq!(Speed::default().to_string(), "1 switch interval per second");
        assert_eq!(Speed::CLASS.for_interval(5 * MS).ns_per_second(), Some(5e6));
    }
}
