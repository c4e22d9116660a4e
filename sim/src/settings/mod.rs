//! The one definition of every setting of a run.
//!
//! Each row of the table below names a setting once: its doc comment (the help text of its flag,
//! of the README and of the app), its key (in scenario files, in [`Overrides`], and as the flag
//! `--key-with-dashes`), its value type, its [`kind`] (how files and flags write it) and its
//! value name for usage lines. From the table come [`Overrides`] and its merge, and
//! [`SETTINGS`], which reads each value of a scenario's `[settings]` and of a flag.
//! Defaults and validation live in one place too, [`Overrides::resolve`] in `model.rs`, which
//! also turns overrides into a [`RunConfig`](crate::RunConfig).
//!
//! A new setting is a row here, its field in `RunConfig` with its default and check in
//! `resolve`, and what the engine does with it (plus a control in the app, or a line in the
//! README's "Settings" section saying why not).

mod define;
pub mod kind;

use crate::model::{PythonVersion, Runtime, StartMethod, SuccessorPolicy};
use crate::time::Nanos;
use define::define_settings;
use kind::{Choice, Duration, GilFlag, Number, SettingKind, Size, Switch, Version, Whole};
use toml::de::DeValue;

/// One setting as files, flags, the README and the app name it.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// The key in a scenario's `[settings]`, and the field of [`Overrides`].
    pub key: &'static str,
    /// What a flag's value is, for usage lines: `DURATION`, `N`.
    pub value_name: &'static str,
    /// One or two sentences: what it does and its default.
    pub help: &'static str,
    /// A switch: `--free-threaded` alone means true.
    pub switch: bool,
    /// The names allowed, for a setting with a fixed set of values; empty otherwise.
    pub choices: &'static [&'static str],
    parse: fn(&str) -> Result<Overrides, String>,
    given: fn(&Overrides) -> bool,
    from_toml: fn(&DeValue) -> Result<Overrides, String>,
}

impl Setting {
    /// The command-line flag, without its dashes: `switch-interval`.
    pub fn flag(&self) -> String {
        self.key.replace('_', "-")
    }

    /// How a usage line writes it: `--cores N`, `--runtime threads|asyncio|…`, `--free-threaded`.
    pub fn usage(&self) -> String {
        let flag = self.flag();
        if self.switch {
            format!("--{flag}")
        } else if self.choices.is_empty() {
            format!("--{flag} {}", self.value_name)
        } else {
            format!("--{flag} {}", self.choices.join("|"))
        }
    }

    /// Reads a command-line value: overrides that set this setting only.
    pub fn parse(&self, text: &str) -> Result<Overrides, String> {
        (self.parse)(text).map_err(|e| self.explain(&e))
    }

    /// Reads the value a scenario's `[settings]` gives it: overrides that set this setting
    /// only. The error names the setting, the value and what to write.
    pub fn read_toml(&self, value: &DeValue) -> Result<Overrides, String> {
        (self.from_toml)(value)
            .map_err(|e| self.explain(&format!("`{}` = {}: {e}", self.key, kind::written(value))))
    }

    /// An error about this setting's value, followed by what the setting is and allows.
    fn explain(&self, error: &str) -> String {
        format!("{error}. `{}`: {}", self.key, self.help)
    }

    /// Whether `overrides` sets this setting.
    pub fn is_given(&self, overrides: &Overrides) -> bool {
        (self.given)(overrides)
    }
}

/// The setting with this key, if there is one.
pub fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

define_settings! {
    /// The Python version modelled: 2.7 and 3.0–3.1 have the old tick-based GIL, 3.2–3.9 check
    /// for a drop request before nearly every bytecode, 3.10 and later at back-edges, calls and
    /// returns from C (default 3.13).
    python: PythonVersion = Version, "VERSION";
    /// A free-threaded (`--disable-gil`) build, Python 3.13 or later (default false).
    free_threaded: bool = Switch, "BOOL";
    /// `PYTHON_GIL` in a free-threaded build: 1 forces the GIL on, 0 keeps it off; not set by
    /// default.
    gil: bool = GilFlag, "0|1";
    /// `sys.setswitchinterval`: how long a waiter waits before asking the holder to drop the
    /// GIL, more than 0; kept in whole microseconds like `CPython` (default 5ms).
    switch_interval: Nanos = Duration, "DURATION";
    /// Cores the OS may run the threads on, 1 to 256 (default 2).
    cores: u32 = Whole<u32>, "N";
    /// Stop the run after this much time, e.g. 2s; needed when every thread repeats forever.
    /// Without it a run lasts until its threads end.
    duration: Nanos = Duration, "DURATION";
    /// Seed of every random choice (who wins the GIL, wake-up jitter): the same seed replays
    /// the same run (default 1).
    seed: u64 = Whole<u64>, "N";
    /// The OS's delay from waking a blocked thread until it runs: its median (default 5us).
    /// `wake_latency_p1`, `_p90`, `_p99` and `_p999` give its spread and tail; `gilscope
    /// calibrate` measures all five.
    wake_latency: Nanos = Duration, "DURATION";
    /// The wake-up latency's 1st percentile, at most `wake_latency`; by default 0.85 times it
    /// (measured here, semaphore wake-ups on a quiet machine: 4.4–4.9 µs against medians of
    /// 5.1–6.1 µs). Below it the draws go on at the slope from p1 to the median.
    wake_latency_p1: Nanos = Duration, "DURATION";
    /// The wake-up latency's 90th percentile, at least `wake_latency`; by default 1.2 times it
    /// (measured here, semaphore wake-ups on a quiet machine: 6.0–6.8 µs against medians of
    /// 5.1–6.1 µs).
    wake_latency_p90: Nanos = Duration, "DURATION";
    /// The wake-up latency's 99th percentile, at least `wake_latency_p90`; by default 1.8 times
    /// `wake_latency` (measured here: 8.9–11.6 µs).
    wake_latency_p99: Nanos = Duration, "DURATION";
    /// The wake-up latency's 99.9th percentile, at least `wake_latency_p99`; by default 6 times
    /// `wake_latency` (measured here: 22.6–40 µs). Past it the tail falls as the power law
    /// through p99 and p99.9, to its 99.9999th percentile at most.
    wake_latency_p999: Nanos = Duration, "DURATION";
    /// The OS scheduler's time slice when runnable threads outnumber cores, at least 1us
    /// (default 3ms).
    time_slice: Nanos = Duration, "DURATION";
    /// Wake-up preemption: a thread that wakes with every core busy preempts at once a thread
    /// that has used this much more CPU than it has (Linux CFS's `sched_wakeup_granularity`,
    /// 1 ms; EEVDF, Linux 6.6 and later, preempts on its lag much the same way) (default 1ms).
    wakeup_granularity: Nanos = Duration, "DURATION";
    /// What waking a blocked thread costs the waker: a futex wake system call (a GIL release
    /// that signals a waiter; on the old GIL, every release while a thread waits on the lock);
    /// measured here at 1.9–2.8 µs; `gilscope calibrate` measures it (default 2us).
    futex_wake: Nanos = Duration, "DURATION";
    /// Moving one cache line from one core to another: what an atomic operation on a line that
    /// another core wrote last costs (a failed acquire of a lock held on another core, a shared
    /// reference count); measured here at 84–87 ns; `gilscope calibrate` measures it (default
    /// 85ns).
    cache_line_transfer: Nanos = Duration, "DURATION";
    /// A system call that does not block, such as `time.sleep(0)` up to 3.10 (`select()` with
    /// a zero timeout): measured here at 0.27–0.29 µs on `CPython` 2.7–3.10; `gilscope calibrate`
    /// measures this machine's (default 300ns).
    syscall: Nanos = Duration, "DURATION";
    /// Linux's timer slack: a `time.sleep(d)` wakes `d` plus this late, and `sleep(0)` from 3.11
    /// (`clock_nanosleep`) sleeps this long (`/proc/self/timerslack_ns`; measured here:
    /// `sleep(0)` takes 54–58 µs on 3.11 and 3.13) (default 50us).
    timer_slack: Nanos = Duration, "DURATION";
    /// Time between two `Thread.start()` calls of the main thread: measured here at 36–55 µs
    /// of CPU on `CPython` 3.12 and 3.13 (`scripts/measure/startup_costs.py`; PEP 703 quotes
    /// about 100 µs) (default 40us).
    thread_start: Nanos = Duration, "DURATION";
    /// Which waiter the OS lets win the GIL when it is released (default random): a seeded
    /// random one, the one waiting longest (fifo), or one whose last core is idle (affinity).
    successor: SuccessorPolicy = Choice<SuccessorPolicy>, "POLICY";
    /// Cost of one bytecode on a default build, in nanoseconds, 0.05 to 10000 (default 5).
    bytecode_ns: f64 = Number, "NS";
    /// Extra single-thread cost of a free-threaded build, 0 to 10: 0.4 means 40% slower than a
    /// default build (by default 0.4 up to 3.13, 0.08 from 3.14).
    free_threaded_overhead: f64 = Number, "FRACTION";
    /// How the threads run (default threads): threads in one interpreter, tasks on one asyncio
    /// event loop (3.4 and later), one process each, one subinterpreter each (3.12 and later), or tasks
    /// submitted to a pool of `workers`: `multiprocessing.Pool` (pool), `ProcessPoolExecutor`
    /// (process-pool) or `ThreadPoolExecutor` (thread-pool).
    runtime: Runtime = Choice<Runtime>, "RUNTIME";
    /// The old GIL (2.7, 3.0–3.1): bytecodes between forced releases, `sys.setcheckinterval`,
    /// 1 to 1000000 (default 100).
    check_interval: u64 = Whole<u64>, "TICKS";
    /// How `multiprocessing` starts a process: fork (`fork_start`), spawn (`spawn_start` each)
    /// or forkserver (`spawn_start` once for the server, then a fork and `main_import` each);
    /// by default fork up to 3.13 and forkserver from 3.14, as on Linux; before 3.4 only fork.
    start_method: StartMethod = Choice<StartMethod>, "METHOD";
    /// Pools (runtime pool, process-pool, thread-pool): the workers, 1 to 256; by default the
    /// pool's own: the cores for `Pool` and `ProcessPoolExecutor` (`os.cpu_count()`),
    /// `min(32, cores + 4)` for `ThreadPoolExecutor` (3.8+).
    workers: u32 = Whole<u32>, "N";
    /// Subinterpreters: what creating one interpreter costs its creator; by default 11 ms on
    /// 3.12 and 15 ms from 3.13, the CPU time of `_interpreters.create()` measured here
    /// (`scripts/measure/startup_costs.py`).
    interpreter_start: Nanos = Duration, "DURATION";
    /// `multiprocessing` with fork: what starting one child costs, paid by the parent for each
    /// child in turn; measured here at 1.2–1.5 ms of CPU on 3.12 and 3.13
    /// (`scripts/measure/startup_costs.py`) (default 1.5ms).
    fork_start: Nanos = Duration, "DURATION";
    /// `multiprocessing`: booting a fresh interpreter and importing the main module, for each
    /// spawned child and once for a forkserver's server; measured here at 53–56 ms of CPU on
    /// 3.12 and 3.13 (`scripts/measure/startup_costs.py`) (default 55ms).
    spawn_start: Nanos = Duration, "DURATION";
    /// `multiprocessing` with forkserver: what a child forked from the server spends
    /// importing its main module before its target runs; measured here at 17–24 ms of CPU on
    /// 3.12 and 3.13 (`scripts/measure/startup_costs.py`) (default 20ms). Subinterpreters: what
    /// loading the program into each one costs its lane's thread (17.7–27.4 ms of CPU,
    /// `scripts/measure/subinterpreter_start.py`).
    main_import: Nanos = Duration, "DURATION";
    /// Refuse a simulated run that would process more than this many events (a thread's work
    /// or wait ending, a wake-up, a time slice; five million take about a second and 100 MB),
    /// 1000 to 10000000000 (default 5000000).
    max_events: u64 = Whole<u64>, "N";
    /// Refuse a run that would last longer than this, in virtual time (real time for a live
    /// run), 1us to 86400s (default 3600s).
    max_virtual_time: Nanos = Duration, "DURATION";
    /// Refuse a run whose trace would take more memory than this, 1MB to 1TB (default 512MB).
    memory_budget: u64 = Size, "SIZE";
    /// The most an exported trace (`--trace`, `export`) may take; a larger one holds only the
    /// first part of the run, and says so, 1MB to 1TB (default 100MB).
    export_budget: u64 = Size, "SIZE";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_parses_its_own_flag_into_its_own_field_only() {
        for s in SETTINGS {
            let sample = if s.switch {
                "true"
            } else if let Some(first) = s.choices.first() {
                first
            } else {
                match s.value_name {
                    "DURATION" => "3ms",
                    "VERSION" => "3.12",
                    "0|1" => "1",
                    "SIZE" => "7MB",
                    _ => "7",
                }
            };
            let parsed = s.parse(sample).unwrap_or_else(|e| panic!("{}: {e}", s.key));
            let json = serde_json::to_value(&parsed).unwrap();
            let set: Vec<&String> = json
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k)
                .collect();
            assert_eq!(set, [s.key], "{}", s.key);
            assert!(s.is_given(&parsed) && !s.is_given(&Overrides::default()));
            assert!(
                !s.help.starts_with(' ') && s.help.ends_with('.'),
                "{}",
                s.key
            );
        }
        assert_eq!(
            setting("switch_interval").unwrap().usage(),
            "--switch-interval DURATION"
        );
        assert_eq!(setting("free_threaded").unwrap().usage(), "--free-threaded");
        assert_eq!(
            setting("successor").unwrap().usage(),
            "--successor random|fifo|affinity"
        );
        assert!(setting("colour").is_none());
    }

    #[test]
    fn a_documented_default_changes_nothing_when_given() {
        let defaults = Overrides::default().resolve().unwrap();
        let mut undocumented = Vec::new();
        for s in SETTINGS {
            let Some((_, rest)) = s.help.split_once("(default ") else {
                undocumented.push(s.key);
                continue;
            };
            let value = rest.split_once(')').map_or(rest, |(v, _)| v);
            let given = s
                .parse(value)
                .unwrap_or_else(|e| panic!("{}: documented default {value}: {e}", s.key));
            assert_eq!(given.resolve().unwrap(), defaults, "{}", s.key);
        }
        // These have no default value or one that depends on the version; their help says so.
        assert_eq!(
            undocumented,
            [
                "gil",
                "duration",
                "wake_latency_p1",
                "wake_latency_p90",
                "wake_latency_p99",
                "wake_latency_p999",
                "free_threaded_overhead",
                "start_method",
                "workers",
                "interpreter_start"
            ]
        );
    }

    #[test]
    fn merging_takes_each_setting_from_the_upper_layer_where_given() {
        let upper = Overrides {
            cores: Some(4),
            ..Overrides::default()
        };
        let lower = Overrides {
            cores: Some(1),
            seed: Some(9),
            ..Overrides::default()
        };
        let merged = upper.or(&lower);
        assert_eq!((merged.cores, merged.seed), (Some(4), Some(9)));
        assert_eq!(Overrides::default().or(&lower), lower);
    }
}
