//! The settings of a run on a real interpreter: the scenario's and the user's, with the Python
//! version and build taken from the interpreter (a conflict is said in words), and the settings
//! that only the simulator has marked as not applicable.

use super::error::CpythonError;
use super::interpreter::Interpreter;
use crate::model::{Overrides, PythonVersion, RunConfig};
use crate::scenario::Scenario;
use crate::settings::setting;

/// Settings a real interpreter has no knob for: the simulator's model of the OS and of its own
/// costs, and its event budget (a real run is held to `max_virtual_time` and `memory_budget`
/// instead). For this engine they are "not applicable".
pub const NOT_APPLICABLE: [&str; 21] = [
    "seed",
    "wake_latency",
    "wake_latency_p1",
    "wake_latency_p90",
    "wake_latency_p99",
    "wake_latency_p999",
    "time_slice",
    "wakeup_granularity",
    "futex_wake",
    "cache_line_transfer",
    "syscall",
    "timer_slack",
    "thread_start",
    "successor",
    "bytecode_ns",
    "free_threaded_overhead",
    "interpreter_start",
    "fork_start",
    "spawn_start",
    "main_import",
    "max_events",
];

/// A run's settings for one interpreter.
#[derive(Debug, Clone, PartialEq)]
pub struct Configured {
    /// The settings; `python` and `free_threaded` are the interpreter's, `bytecode_ns` its
    /// measured speed (so that stats compute the sequential time of this interpreter).
    pub config: RunConfig,
    /// Settings that were asked for but do not apply, one sentence each.
    pub notes: Vec<String>,
}

/// Resolves the settings of `scenario` with `overrides` for `interpreter`.
pub fn configure(
    scenario: &Scenario,
    overrides: &Overrides,
    interpreter: &Interpreter,
) -> Result<Configured, CpythonError> {
    let asked = overrides.or(&scenario.settings);
    let real = interpreter.version.python;
    let free_threaded = interpreter.facts.free_threaded;
    let mut notes = Vec::new();
    if let Some(python) = asked.python.filter(|&p| p != real) {
        notes.push(format!(
            "the scenario asks for Python {python}, but this run uses {} ({}): Python {real}'s rules apply",
            interpreter.label(),
            interpreter.path.display()
        ));
    }
    if let Some(wanted) = asked.free_threaded.filter(|&f| f != free_threaded) {
        notes.push(if wanted {
            format!(
                "the scenario asks for a free-threaded build, but {} has a GIL: choose a free-threaded interpreter (e.g. --interpreter {}t) to run without one",
                interpreter.label(),
                real
            )
        } else {
            format!(
                "the scenario asks for a build with a GIL, but {} is free-threaded: its GIL is off unless gil = 1 (PYTHON_GIL=1)",
                interpreter.label()
            )
        });
    }
    for name in NOT_APPLICABLE {
        if setting(name).is_some_and(|s| s.is_given(&asked)) {
            notes.push(format!(
                "setting `{name}` applies to the simulator only: a real interpreter has no knob for it"
            ));
        }
    }
    let old = real < PythonVersion::new(3, 2);
    if old && asked.switch_interval.is_some() {
        notes.push(format!("setting `switch_interval` does not apply to Python {real}: its GIL counts ticks (check_interval) instead"));
    }
    if !old && asked.check_interval.is_some() {
        notes.push(format!("setting `check_interval` does not apply to Python {real}: sys.setcheckinterval has no effect since 3.2 (its GIL is time-based, see switch_interval)"));
    }
    let layer = Overrides {
        python: Some(real),
        free_threaded: Some(free_threaded),
        bytecode_ns: Some(interpreter.facts.bytecode_ns.clamp(0.05, 10_000.0)),
        // The speed measured on a free-threaded build already includes its overhead.
        free_threaded_overhead: Some(0.0),
        ..Overrides::default()
    };
    let mut config = scenario
        .config(&layer.or(overrides))
        .map_err(|e| CpythonError::Config(e.to_string()))?;
    // The program runs on the CPUs this process may use, no more: the trace (and a simulation
    // beside it) describe the cores the run really had.
    let usable = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    if config.cores > usable {
        notes.push(format!(
            "the run asks for {} cores, but this machine lets it use {usable}: it runs on {usable}",
            config.cores
        ));
        config.cores = usable;
    }
    Ok(Configured { config, notes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpython::interpreter::{Facts, Version};

    fn interpreter(version: &str, free_threaded: bool) -> Interpreter {
        Interpreter {
            path: "/usr/bin/python3".into(),
            version: Version::parse(version).unwrap(),
            facts: Facts {
                free_threaded,
                gil_enabled: !free_threaded,
                affinity: true,
                asyncio: true,
                subinterpreters: None,
                start_methods: vec!["fork".into()],
                release_call: Some("zlib.compress".into()),
                ctypes: true,
                loop_instructions: 8,
                bytecode_ns: 3.5,
            },
        }
    }

    fn scenario(settings: &str) -> Scenario {
        Scenario::parse(
            &format!("name = \"x\"\n[settings]\n{settings}\n[[threads]]\nname = \"a\"\nops = [ {{ compute = 10 }} ]\n"),
            "x.toml",
        )
        .unwrap()
    }

    #[test]
    fn the_interpreter_decides_the_version_and_build_and_says_so() {
        let s = scenario("python = \"3.9\"\nseed = 4\nwake_latency = \"9us\"");
        let c = configure(&s, &Overrides::default(), &interpreter("3.12.1", false)).unwrap();
        assert_eq!(c.config.python, PythonVersion::new(3, 12));
        assert!((c.config.bytecode_ns - 3.5).abs() < 1e-9);
        assert_eq!(
            c.notes[0],
            "the scenario asks for Python 3.9, but this run uses 3.12.1 (/usr/bin/python3): Python 3.12's rules apply"
        );
        assert!(
            c.notes
                .iter()
                .any(|n| n.starts_with("setting `seed` applies to the simulator only"))
        );
        assert!(
            c.notes
                .iter()
                .any(|n| n.starts_with("setting `wake_latency`"))
        );
        let ft = scenario("free_threaded = true\npython = \"3.13\"");
        let c = configure(&ft, &Overrides::default(), &interpreter("3.13.0", false)).unwrap();
        assert!(!c.config.free_threaded);
        assert!(c.notes[0].contains("--interpreter 3.13t"), "{:?}", c.notes);
        let old = scenario("switch_interval = \"1ms\"");
        let c = configure(&old, &Overrides::default(), &interpreter("2.7.18", false)).unwrap();
        assert!(c.notes[0].contains("counts ticks"), "{:?}", c.notes);
    }

    #[test]
    fn a_run_gets_the_cores_this_machine_has_and_says_so() {
        let usable = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        let s = scenario("cores = 256");
        let c = configure(&s, &Overrides::default(), &interpreter("3.12.1", false)).unwrap();
        assert_eq!(c.config.cores, usable.min(256));
        assert!(
            usable >= 256 || c.notes.iter().any(|n| n.contains("asks for 256 cores")),
            "{:?}",
            c.notes
        );
        let one = scenario("cores = 1");
        let c = configure(&one, &Overrides::default(), &interpreter("3.12.1", false)).unwrap();
        assert_eq!(c.config.cores, 1);
        assert!(c.notes.is_empty(), "{:?}", c.notes);
    }

    #[test]
    fn every_setting_not_applicable_is_a_row_of_the_settings_table() {
        for name in NOT_APPLICABLE {
            assert!(setting(name).is_some(), "{name} is not a setting");
        }
    }

    #[test]
    fn settings_the_interpreter_would_refuse_are_errors() {
        let s = scenario("");
        let off = Overrides {
            gil: Some(false),
            ..Overrides::default()
        };
        let e = configure(&s, &off, &interpreter("3.13.0", false)).unwrap_err();
        assert!(e.to_string().contains("PYTHON_GIL=0"), "{e}");
        assert!(configure(&s, &off, &interpreter("3.13.0", true)).is_ok());
        let sub = scenario("runtime = \"subinterpreters\"\npython = \"3.13\"");
        let e = configure(&sub, &Overrides::default(), &interpreter("3.11.7", false)).unwrap_err();
        assert!(e.to_string().contains("3.12"), "{e}");
    }
}
