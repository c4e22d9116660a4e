//! Scenario files: named thread groups, each a program of operations, plus the narration shown
//! to a class. The TOML format is a public interface (see the README); this module reads and
//! validates it, with errors that name the file, line, column, field and what is allowed.

mod budget;
mod ops;
mod pool_end;
mod read;

use crate::model::{ConfigError, Overrides, RunConfig, Runtime};
use crate::narration::{Narration, Purpose};
use crate::predict::Predict;
use crate::time::Nanos;
pub use ops::{MAX_BYTECODES, MAX_INCREMENTS, MAX_LOOP_BODY, MAX_MESSAGE_BYTES};
pub use read::MAX_NAME_CHARS;
use read::Reader;
use std::collections::BTreeMap;

/// The most threads one run may have, summed over all groups.
pub const MAX_THREADS: u32 = 256;

/// One operation of a thread's program.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A pure-Python loop of `bytecodes` instructions with a back-edge every `loop_body`.
    Compute {
        /// Bytecodes executed in total.
        bytecodes: u64,
        /// Bytecodes per loop iteration (a check point at each back-edge).
        loop_body: u32,
    },
    /// A call into the kernel (socket, pipe, file) that releases the GIL and whose result is
    /// ready `duration` after it is made (`gil-model.md` rules 13, 14 and 14b).
    Io {
        /// Until the data is there (or the buffer has room).
        duration: Nanos,
        /// Whether the thread sleeps in the kernel until then and is woken by the OS (`true`),
        /// or keeps its core for the call (`false`: the data was already there). Not given: a
        /// call shorter than an OS wake-up does not block (a thread cannot sleep and be woken
        /// that fast), a longer one does.
        blocks: Option<bool>,
    },
    /// `time.sleep`: releases the GIL; blocks for its duration plus the OS timer slack, except
    /// `sleep(0)` up to 3.10, which returns at once (`gil-model.md` rule 25).
    Sleep(Nanos),
    /// A call into C code.
    CCall {
        /// How long the C code runs.
        duration: Nanos,
        /// Whether it brackets its work with `Py_BEGIN_ALLOW_THREADS`.
        releases_gil: bool,
    },
    /// A loop of `counter += 1` on a shared counter (index into [`Scenario::counters`]).
    Increment {
        /// Which counter.
        counter: usize,
        /// How many increments.
        times: u64,
        /// A Python function call between the load and the store.
        call_inside: bool,
        /// A `multiprocessing.Value` in shared memory, with its lock (matters across processes).
        shared: bool,
    },
    /// `lock.acquire()` on a `threading.Lock` (index into [`Scenario::locks`]).
    Lock(usize),
    /// `lock.release()`.
    Unlock(usize),
    /// Pass a message of this many bytes to another worker: `queue.put` between threads,
    /// pickling plus a pipe between processes, pickling between subinterpreters.
    Send(u64),
    /// `await loop.run_in_executor(None, f)` where `f` runs this many bytecodes of Python:
    /// under asyncio on an executor thread; elsewhere inline, like calling `f()`.
    Offload(u64),
    /// A loop that reads a shared object (index into [`Scenario::objects`]) `times` times: each
    /// read loads it, so in a free-threaded build it increments and decrements the object's
    /// shared reference count with atomic operations (`gil-model.md` rule 19b).
    Read {
        /// Which object.
        object: usize,
        /// How many reads (loop iterations).
        times: u64,
        /// Bytecodes per iteration, for a loop that is not the program's own (another
        /// program's, as a published benchmark wrote it); `None`: what the program's loop
        /// costs on the run's version (`engine/object_loop.rs`).
        loop_body: Option<u32>,
        /// What the object is: functions, modules and types are not reference counted per read.
        kind: ObjectKind,
        /// Each thread reads its own copy (one it created, or a `threading.local` value): biased
        /// reference counting makes its owner's reads cheap, and nothing is contended.
        per_thread: bool,
    },
    /// A loop that mutates a shared dict, list or set (index into [`Scenario::objects`])
    /// `times` times: in a free-threaded build each mutation takes the object's lock.
    Mutate {
        /// Which object.
        object: usize,
        /// How many mutations (loop iterations).
        times: u64,
        /// Bytecodes per iteration, as for [`Op::Read`]'s.
        loop_body: Option<u32>,
    },
    /// A collection of the cyclic garbage collector lasting this long: in a free-threaded build
    /// it stops the world.
    Collect(Nanos),
    /// `import` of a C extension module (index into [`Scenario::modules`]).
    Import {
        /// Which module.
        module: usize,
        /// Whether it declares free-threading support (`Py_mod_gil = Py_MOD_GIL_NOT_USED`).
        supports_free_threading: bool,
        /// How long loading it takes (with the GIL, where there is one).
        duration: Nanos,
    },
}

/// What a shared object read by [`Op::Read`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// An ordinary object (an instance, a dict, a value): every read writes its reference count.
    Instance,
    /// A function: deferred reference counting (3.14; immortal once threads start in 3.13).
    Function,
    /// A module: deferred reference counting, like a function.
    Module,
    /// A class: deferred reference counting, like a function.
    Type,
}

impl ObjectKind {
    /// The names a scenario file uses.
    pub const NAMES: [(&'static str, ObjectKind); 4] = [
        ("instance", ObjectKind::Instance),
        ("function", ObjectKind::Function),
        ("module", ObjectKind::Module),
        ("type", ObjectKind::Type),
    ];

    /// Whether a read leaves its reference count alone in a free-threaded build (deferred
    /// reference counting: PEP 703; 3.13 makes such objects immortal instead).
    pub fn deferred(self) -> bool {
        self != ObjectKind::Instance
    }
}

/// How many times a thread runs its program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// This many times.
    Times(u64),
    /// Until the finite threads end (or the run's duration is up).
    Forever,
}

/// A `[[threads]]` entry: `count` identical threads running one program.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadGroup {
    /// The group's name; threads are `name-0`, `name-1`, … when `count` > 1.
    pub name: String,
    /// How many identical threads.
    pub count: u32,
    /// How many times each runs `ops`.
    pub repeat: Repeat,
    /// The program.
    pub ops: Vec<Op>,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Title shown in pickers.
    pub name: String,
    /// One line: what it shows.
    pub summary: String,
    /// What to notice, for a class: sentences with conditions on the run and `{facts}` its
    /// numbers fill (see [`crate::narration`]).
    pub narration: Narration,
    /// What two runs of it are compared on (the compare headline).
    pub purpose: Purpose,
    /// The file's `[settings]`.
    pub settings: Overrides,
    /// Thread groups in file order.
    pub groups: Vec<ThreadGroup>,
    /// Shared counter names, in order of first use.
    pub counters: Vec<String>,
    /// Lock names, in order of first use.
    pub locks: Vec<String>,
    /// Extension module names, in order of first import.
    pub modules: Vec<String>,
    /// The question asked before the run is shown (predict mode), if the file has one.
    pub predict: Option<Predict>,
    /// Shared object names (read or mutated), in order of first use.
    pub objects: Vec<String>,
    /// Where it came from: a preset's stem or a file path.
    pub source: String,
    /// Where each setting of the file is written, to place errors found when resolving them.
    setting_places: BTreeMap<&'static str, Place>,
    /// Where each op of each group is written, to place errors found when a run is planned.
    op_places: Vec<Vec<Place>>,
}

/// A place in a scenario file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Why a scenario could not be loaded or run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    /// The file is not valid TOML or not a valid scenario; located in the text.
    #[error("{file}:{line}:{column}: {message}")]
    Located {
        /// The file (or preset) name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A problem with the scenario as a whole or with settings given outside the file.
    #[error("{file}: {message}")]
    Invalid {
        /// The file (or preset) name.
        file: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read scenario file {file}: {message}")]
    Read {
        /// The path.
        file: String,
        /// The OS error.
        message: String,
    },
}

const OPERATIONS: &str = "compute, io, sleep, c_call, increment, lock, unlock, send, import, offload, read, mutate, collect";

impl Scenario {
    /// Parses and validates scenario text. `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let parts = Reader { text, file }.read()?;
        let scenario = Scenario {
            name: parts.name,
            summary: parts.summary,
            narration: parts.narration,
            purpose: parts.purpose,
            settings: parts.settings,
            groups: parts.groups,
            counters: parts.names.counters,
            locks: parts.names.locks,
            modules: parts.names.modules,
            predict: parts.predict,
            objects: parts.names.objects,
            source: file.to_owned(),
            setting_places: parts.setting_places,
            op_places: parts.op_places,
        };
        // The file's own settings must make sense on their own; place any error in the text.
        scenario
            .settings
            .resolve()
            .map_err(|e| scenario.locate_config_error(&e))?;
        Ok(scenario)
    }

    fn locate_config_error(&self, error: &ConfigError) -> ScenarioError {
        let place = match error {
            ConfigError::Invalid { field, .. } => self.setting_places.get(field).copied(),
            ConfigError::Unsupported(_) => ["runtime", "python"]
                .iter()
                .find_map(|f| self.setting_places.get(f).copied()),
        };
        self.error_at(place, error.to_string())
    }

    /// An error at `place` of the file, if known; about the whole scenario otherwise.
    fn error_at(&self, place: Option<Place>, message: String) -> ScenarioError {
        match place {
            Some(Place { line, column }) => ScenarioError::Located {
                file: self.source.clone(),
                line,
                column,
                message,
            },
            None => ScenarioError::Invalid {
                file: self.source.clone(),
                message,
            },
        }
    }

    /// Resolves the settings of a run: `overrides` (CLI, GUI) over the file's settings over the
    /// defaults. Fails when they are invalid or when the run would never end.
    pub fn config(&self, overrides: &Overrides) -> Result<RunConfig, ScenarioError> {
        let config =
            overrides
                .or(&self.settings)
                .resolve()
                .map_err(|e| ScenarioError::Invalid {
                    file: self.source.clone(),
                    message: e.to_string(),
                })?;
        if config.duration.is_none() {
            let endless = if self.groups.iter().all(|g| g.repeat == Repeat::Forever) {
                Some("every thread repeats \"forever\"".to_owned())
            } else if config.runtime == Runtime::Asyncio {
                self.starving_task().map(|task| format!("under runtime \"asyncio\", task \"{task}\" repeats \"forever\" without an await (io, sleep, offload or lock), which starves every other task,"))
            } else {
                None
            };
            if let Some(why) = endless {
                return Err(ScenarioError::Invalid {
                    file: self.source.clone(),
                    message: format!(
                        "{why} and no duration is set, so the run would never end: add duration = \"2s\" to [settings] (or pass --duration)"
                    ),
                });
            }
        }
        pool_end::check(self, &config)?;
        budget::check(self, &config)?;
        Ok(config)
    }

    /// Under asyncio: a task that repeats forever and never suspends, while a finite task would
    /// still be waiting for the loop when it first runs (it suspends somewhere, or comes later).
    fn starving_task(&self) -> Option<&str> {
        let suspends = |g: &ThreadGroup| {
            g.ops.iter().any(|op| {
                matches!(
                    op,
                    Op::Io { .. } | Op::Sleep(_) | Op::Offload(_) | Op::Lock(_)
                )
            })
        };
        let (index, hog) = self
            .groups
            .iter()
            .enumerate()
            .find(|(_, g)| g.repeat == Repeat::Forever && !suspends(g))?;
        let starved = self
            .groups
            .iter()
            .enumerate()
            .any(|(i, g)| g.repeat != Repeat::Forever && (suspends(g) || i > index));
        starved.then_some(hog.name.as_str())
    }

    /// The threads of a run, groups expanded: `(thread name, group index)`.
    pub fn threads(&self) -> Vec<(String, usize)> {
        self.groups
            .iter()
            .enumerate()
            .flat_map(|(index, group)| thread_names(group).into_iter().map(move |n| (n, index)))
            .collect()
    }

    /// The name of the lock [`Scenario::with_counter_lock`] adds.
    pub const COUNTER_LOCK: &'static str = "counter_lock";

    /// Whether a thread increments a shared counter (and [`Scenario::with_counter_lock`]
    /// changes something).
    pub fn has_counters(&self) -> bool {
        !self.counters.is_empty()
    }

    /// A copy in which every increment loop holds a `threading.Lock` ([`Self::COUNTER_LOCK`])
    /// around it: `with counter_lock:` over `for _ in range(n): counter += 1`. (A lock taken
    /// inside the loop would be held at the loop's own check point here, where `CPython`'s
    /// check points fall after the `with` block; around the loop it is exact.)
    #[must_use]
    pub fn with_counter_lock(&self) -> Scenario {
        let mut copy = self.clone();
        let lock = read::intern(&mut copy.locks, Self::COUNTER_LOCK);
        for (g, group) in copy.groups.iter_mut().enumerate() {
            let places = self.op_places.get(g);
            let mut ops = Vec::with_capacity(group.ops.len());
            let mut op_places = Vec::with_capacity(group.ops.len());
            for (o, op) in group.ops.iter().enumerate() {
                let wrapped = match op {
                    Op::Increment { .. } => vec![Op::Lock(lock), op.clone(), Op::Unlock(lock)],
                    _ => vec![op.clone()],
                };
                // The lock and unlock are placed where the increment is written.
                if let Some(place) = places.and_then(|p| p.get(o)) {
                    op_places.extend(std::iter::repeat_n(*place, wrapped.len()));
                }
                ops.extend(wrapped);
            }
            group.ops = ops;
            if let Some(p) = copy.op_places.get_mut(g) {
                *p = op_places;
            }
        }
        copy
    }

    /// A copy with group `group`'s thread count set to `count`, clamped to what is allowed (1
    /// to [`MAX_THREADS`] in all); a count whose thread names would clash with another group's
    /// leaves the group as it was. For a count that must be exactly as given, see
    /// [`Scenario::set_group_count`].
    #[must_use]
    pub fn with_group_count(&self, group: usize, count: u32) -> Scenario {
        let others: u32 = self
            .groups
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != group)
            .map(|(_, g)| g.count)
            .sum();
        let count = count.clamp(1, MAX_THREADS.saturating_sub(others).max(1));
        self.set_group_count(group, count)
            .unwrap_or_else(|_| self.clone())
    }

    /// A copy with group `group`'s thread count set to exactly `count`; an error, in words, when
    /// that is not allowed (no such group, more than [`MAX_THREADS`] threads in all, or thread
    /// names that clash with another group's).
    pub fn set_group_count(&self, group: usize, count: u32) -> Result<Scenario, String> {
        let Some(name) = self.groups.get(group).map(|g| g.name.clone()) else {
            return Err(format!("there is no thread group number {group}"));
        };
        let others: u32 = self
            .groups
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != group)
            .map(|(_, g)| g.count)
            .sum();
        let allowed = MAX_THREADS.saturating_sub(others);
        if count == 0 || count > allowed {
            return Err(format!(
                "group \"{name}\" can have between 1 and {allowed} threads (at most {MAX_THREADS} in all, and the other groups have {others})"
            ));
        }
        let mut copy = self.clone();
        copy.groups[group].count = count;
        let resized = copy.groups[group].clone();
        let rest: Vec<ThreadGroup> = copy
            .groups
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != group)
            .map(|(_, g)| g.clone())
            .collect();
        if let Some(clash) = name_clash(&rest, &resized) {
            return Err(clash);
        }
        Ok(copy)
    }
}

/// The names of `group`'s threads: `name` alone, or `name-0`, `name-1`, … when `count` > 1.
fn thread_names(group: &ThreadGroup) -> Vec<String> {
    if group.count == 1 {
        vec![group.name.clone()]
    } else {
        (0..group.count)
            .map(|i| format!("{}-{i}", group.name))
            .collect()
    }
}

/// Why `group`'s threads cannot sit beside `others`: a group name used twice, or a thread name
/// two groups would both give (`w` with count 2 makes `w-1`, like a group named `w-1`).
fn name_clash(others: &[ThreadGroup], group: &ThreadGroup) -> Option<String> {
    if others.iter().any(|g| g.name == group.name) {
        return Some(format!(
            "two thread groups are named \"{}\": names must be unique",
            group.name
        ));
    }
    let mine = thread_names(group);
    others.iter().find_map(|other| {
        let theirs = thread_names(other);
        let clash = mine.iter().find(|n| theirs.contains(n))?;
        Some(format!(
            "thread groups \"{}\" (count {}) and \"{}\" (count {}) would both have a thread named \"{clash}\": rename one of the groups",
            other.name, other.count, group.name, group.count
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{StartMethod, SuccessorPolicy};

    const GOOD: &str = r#"
name = "The convoy effect"
summary = "One CPU-bound thread."
narration = """Notice."""

[settings]
python = "3.13"
free_threaded = false
switch_interval = "5ms"
cores = 2
duration = "2s"
seed = 1

[[threads]]
name = "busy"
count = 1
repeat = "forever"
ops = [ { compute = 100_000 } ]

[[threads]]
name = "io"
repeat = 200
ops = [ { io = "56us" }, { compute = 40 } ]
"#;

    fn err(text: &str) -> String {
        Scenario::parse(text, "bad.toml").unwrap_err().to_string()
    }

    #[test]
    fn parses_the_documented_example() {
        let s = Scenario::parse(GOOD, "convoy.toml").unwrap();
        assert_eq!(s.groups.len(), 2);
        assert_eq!(s.groups[0].repeat, Repeat::Forever);
        assert_eq!(
            s.groups[1].ops,
            vec![
                Op::Io {
                    duration: 56_000,
                    blocks: None
                },
                Op::Compute {
                    bytecodes: 40,
                    loop_body: 8
                }
            ]
        );
        assert_eq!(s.settings.switch_interval, Some(5_000_000));
        assert_eq!(
            s.threads(),
            vec![("busy".to_owned(), 0), ("io".to_owned(), 1)]
        );
        assert_eq!(s.with_group_count(0, 3).threads()[2].0, "busy-2");
    }

    #[test]
    fn bad_input_names_file_line_column_and_what_is_allowed() {
        let unknown = err("name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { spin = 3 } ]\n");
        assert!(unknown.starts_with("bad.toml:4:"), "{unknown}");
        assert!(unknown.contains("compute, io"), "{unknown}");
        let missing = err("[[threads]]\nname = \"a\"\nops = [ { compute = 3 } ]\n");
        assert!(missing.contains("name"), "{missing}");
        let count =
            err("name = \"x\"\n[[threads]]\nname = \"a\"\ncount = 0\nops = [ { compute = 3 } ]\n");
        assert!(
            count.starts_with("bad.toml:4:") && count.contains("count = 0"),
            "{count}"
        );
        let unitless = err("name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { io = \"5\" } ]\n");
        assert!(unitless.contains("no unit"), "{unitless}");
        let negative = err(
            "name = \"x\"\n[settings]\nswitch_interval = \"-1ms\"\n[[threads]]\nname = \"a\"\nops = [ { compute = 3 } ]\n",
        );
        assert!(
            negative.starts_with("bad.toml:3:") && negative.contains("negative"),
            "{negative}"
        );
        let zero = err(
            "name = \"x\"\n[settings]\nswitch_interval = \"0ms\"\n[[threads]]\nname = \"a\"\nops = [ { compute = 3 } ]\n",
        );
        assert!(
            zero.starts_with("bad.toml:3:") && zero.contains("ValueError"),
            "{zero}"
        );
        let ft = err(
            "name = \"x\"\n[settings]\npython = \"3.12\"\nfree_threaded = true\n[[threads]]\nname = \"a\"\nops = [ { compute = 3 } ]\n",
        );
        assert!(ft.starts_with("bad.toml:4:") && ft.contains("3.13"), "{ft}");
        let unlock = err("name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { unlock = \"m\" } ]\n");
        assert!(unlock.contains("does not hold"), "{unlock}");
        let option =
            err("name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { io = \"1ms\", times = 3 } ]\n");
        assert!(
            option.contains("does not take the option `times`"),
            "{option}"
        );
    }

    #[test]
    fn settings_are_read_from_a_file_and_placed_in_errors() {
        let file = |line: &str| {
            format!(
                "name = \"x\"\n[settings]\n{line}\n[[threads]]\nname = \"a\"\nops = [ {{ compute = 3 }} ]\n"
            )
        };
        let all = file(
            "python = \"3.14\"\nruntime = \"multiprocessing\"\nstart_method = \"spawn\"\nsuccessor = \"fifo\"\ncheck_interval = 50\ninterpreter_start = \"2ms\"\ngil = 1\nfree_threaded = true",
        );
        let s = Scenario::parse(&all, "all.toml").unwrap();
        assert_eq!(s.settings.runtime, Some(Runtime::Multiprocessing));
        assert_eq!(s.settings.start_method, Some(StartMethod::Spawn));
        assert_eq!(s.settings.successor, Some(SuccessorPolicy::Fifo));
        assert_eq!(s.settings.check_interval, Some(50));
        assert_eq!(s.settings.interpreter_start, Some(2 * crate::time::MS));
        assert_eq!(s.settings.gil, Some(true));
        let runtime = err(&file("runtime = \"fibers\""));
        assert!(
            runtime.starts_with("bad.toml:3:")
                && runtime.contains("threads, asyncio, multiprocessing, subinterpreters, pool, process-pool or thread-pool"),
            "{runtime}"
        );
        let gil = err(&file("gil = 2"));
        assert!(
            gil.starts_with("bad.toml:3:") && gil.contains("use 0"),
            "{gil}"
        );
        let unknown = err(&file("colour = \"red\""));
        assert!(
            unknown.starts_with("bad.toml:3:") && unknown.contains("switch_interval"),
            "{unknown}"
        );
        let invalid = err(&file("cores = 0"));
        assert!(
            invalid.starts_with("bad.toml:3:") && invalid.contains("between 1 and 256"),
            "{invalid}"
        );
    }

    #[test]
    fn the_counter_lock_wraps_every_increment_loop_and_loses_nothing() {
        let race = crate::presets::preset("counter-race").unwrap().unwrap();
        let locked = race.with_counter_lock();
        assert!(race.has_counters());
        assert_eq!(locked.locks, vec![Scenario::COUNTER_LOCK.to_owned()]);
        assert!(matches!(
            locked.groups[0].ops.as_slice(),
            [Op::Lock(0), Op::Increment { .. }, Op::Unlock(0)]
        ));
        let on_39 = Overrides {
            python: Some(crate::PythonVersion::new(3, 9)),
            ..Overrides::default()
        };
        let lost = |s: &Scenario| {
            crate::simulate(s, &s.config(&on_39).unwrap())
                .unwrap()
                .counters[0]
                .lost
        };
        assert!(lost(&race) > 0);
        assert_eq!(lost(&locked), 0);
    }

    #[test]
    fn endless_scenarios_need_a_duration() {
        let text = "name = \"x\"\n[[threads]]\nname = \"a\"\nrepeat = \"forever\"\nops = [ { compute = 3 } ]\n";
        let s = Scenario::parse(text, "endless.toml").unwrap();
        let e = s.config(&Overrides::default()).unwrap_err().to_string();
        assert!(e.contains("never end"), "{e}");
        let ok = s.config(&Overrides {
            duration: Some(1_000),
            ..Overrides::default()
        });
        assert!(ok.is_ok());
        let convoy =
            Scenario::parse(&GOOD.replace("duration = \"2s\"", ""), "convoy.toml").unwrap();
        let asyncio = Overrides {
            runtime: Some(Runtime::Asyncio),
            ..Overrides::default()
        };
        let starved = convoy.config(&asyncio).unwrap_err().to_string();
        assert!(
            starved.contains("task \"busy\"") && starved.contains("never end"),
            "{starved}"
        );
        let bounded = Overrides {
            duration: Some(1_000),
            ..asyncio
        };
        assert!(convoy.config(&bounded).is_ok());
        assert!(convoy.config(&Overrides::default()).is_ok());
    }

    /// Words a message in the user's terms never contains: Rust types and serde's vocabulary.
    const PROGRAM_WORDS: [&str; 8] = [
        "struct",
        "u64",
        "i64",
        "f64",
        "u32",
        "sequence",
        "a map",
        "invalid type",
    ];

    #[test]
    fn values_of_the_wrong_kind_are_explained_in_words_at_their_place() {
        let cases = [
            ("name = \"x\"\nsettings = 5\n", "2:12", "[settings] table"),
            ("name = 5\n", "1:8", "in quotes"),
            ("name = \"x\"\nthreads = 5\n", "2:11", "[[threads]]"),
            (
                "name = \"x\"\n[settings]\nruntime = 5\n",
                "3:11",
                "\"asyncio\"",
            ),
            ("name = \"x\"\n[settings]\ncores = -1\n", "3:9", "1 to 256"),
            (
                "name = \"x\"\n[settings]\nseed = 1.5\n",
                "3:8",
                "decimal point",
            ),
            (
                "name = \"x\"\n[settings]\nbytecode_ns = \"fast\"\n",
                "3:15",
                "0.05 to 10000",
            ),
            (
                "name = \"x\"\n[settings]\npython = 3.10\n",
                "3:10",
                "in quotes",
            ),
            (
                "name = \"x\"\n[settings]\nduration = 2\n",
                "3:12",
                "\"2ms\"",
            ),
            (
                "name = \"x\"\n[settings]\nmemory_budget = 5\n",
                "3:17",
                "\"5MB\"",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\ncount = 1.5\nops = [ { compute = 3 } ]\n",
                "4:9",
                "between 1 and 256",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\nops = 5\n",
                "4:7",
                "list of operations",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ 5 ]\n",
                "4:9",
                "is a table",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { compute = -3 } ]\n",
                "4:21",
                "from 1 to",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { compute = 3, loop_body = 0 } ]\n",
                "4:36",
                "loop_body",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\nrepeat = \"always\"\nops = [ { compute = 3 } ]\n",
                "4:10",
                "forever",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\ncolour = 1\nops = [ { compute = 3 } ]\n",
                "4:1",
                "name, count, repeat and ops",
            ),
            (
                "name = \"x\"\ntitle = \"y\"\n",
                "2:1",
                "name, summary, narration",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { io = 5 } ]\n",
                "4:16",
                "with a unit",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { c_call = \"1ms\", releases_gil = 1 } ]\n",
                "4:42",
                "true or false",
            ),
            (
                "name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { increment = 3 } ]\n",
                "4:23",
                "a name in quotes",
            ),
            ("name = \"x\"\n[[threads]\n", "2:", "not valid TOML"),
        ];
        for (text, at, needle) in cases {
            let e = err(text);
            assert!(e.starts_with(&format!("bad.toml:{at}")), "{text}: {e}");
            assert!(e.contains(needle), "{text}: {e}");
            for word in PROGRAM_WORDS {
                assert!(!e.contains(word), "{text}: {e} says {word}");
            }
        }
    }

    #[test]
    fn names_are_bounded_and_thread_names_unique() {
        let group = |name: &str| {
            format!("name = \"x\"\n[[threads]]\nname = \"{name}\"\nops = [ {{ compute = 3 }} ]\n")
        };
        let huge = err(&group(&"é".repeat(70_000)));
        assert!(
            huge.contains("70000 characters") && huge.contains("at most 100"),
            "{huge}"
        );
        assert!(
            huge.len() < 300,
            "the message quotes only the start: {huge}"
        );
        let newline = err(&group("a\\nb"));
        assert!(newline.contains("control character"), "{newline}");
        assert!(Scenario::parse(&group(&"线".repeat(MAX_NAME_CHARS)), "ok.toml").is_ok());
        let lock = err("name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { lock = \"\" } ]\n");
        assert!(lock.contains("`lock` is empty"), "{lock}");
        let text = "name = \"x\"\n[[threads]]\nname = \"w\"\ncount = 2\nops = [ { compute = 3 } ]\n[[threads]]\nname = \"w-1\"\nops = [ { compute = 3 } ]\n";
        let clash = err(text);
        assert!(
            clash.contains("\"w\" (count 2)") && clash.contains("\"w-1\" (count 1)"),
            "{clash}"
        );
        let apart = Scenario::parse(&text.replace("count = 2", "count = 1"), "ok.toml").unwrap();
        let e = apart.set_group_count(0, 2).unwrap_err();
        assert!(e.contains("\"w-1\""), "{e}");
        assert_eq!(
            apart.with_group_count(0, 2),
            apart,
            "a clash leaves the count"
        );
        let e = apart.set_group_count(1, 256).unwrap_err();
        assert!(e.contains("between 1 and 255"), "{e}");
        assert_eq!(apart.set_group_count(1, 255).unwrap().threads().len(), 256);
        assert!(apart.set_group_count(1, 0).is_err());
    }

    #[test]
    fn a_run_over_the_limits_is_refused_before_it_starts() {
        let run = |ops: &str, repeat: &str, settings: &str| {
            let text = format!(
                "name = \"x\"\n[settings]\n{settings}\n[[threads]]\nname = \"a\"\nrepeat = {repeat}\nops = [ {ops} ]\n"
            );
            Scenario::parse(&text, "big.toml").and_then(|s| s.config(&Overrides::default()))
        };
        // 2^50 bytecodes at 17 ns: 222 days for one op, whatever the duration.
        let long = run(
            "{ compute = 1125899906842624 }",
            "1",
            "bytecode_ns = 17\nduration = \"1s\"",
        )
        .unwrap_err()
        .to_string();
        assert!(
            long.starts_with("big.toml:8:9:")
                && long.contains("compute")
                && long.contains("bytecode_ns = 17")
                && long.contains("one day"),
            "{long}"
        );
        let endless = run("{ compute = 1 }", "9223372036854775807", "")
            .unwrap_err()
            .to_string();
        assert!(
            endless.contains("max_virtual_time") && endless.contains("--duration"),
            "{endless}"
        );
        let sleepy = run("{ sleep = \"1ms\" }", "1000", "wake_latency = \"86400s\"")
            .unwrap_err()
            .to_string();
        // The least wake-up is the draw's lower end, just under p1 (0.85 × the median) with
        // the default quantiles (it was half the median under the old uniform ±50% draw: 500
        // days).
        assert!(sleepy.contains("at least 847 days"), "{sleepy}");
        let many = run("{ compute = 1 }", "100000000", "")
            .unwrap_err()
            .to_string();
        assert!(
            many.contains("max_events") && many.contains("100000000 events"),
            "{many}"
        );
        assert!(run("{ compute = 1 }", "100000000", "max_events = 1000000000").is_ok());
        assert!(
            run(
                "{ compute = 1 }",
                "9223372036854775807",
                "duration = \"1s\""
            )
            .is_ok()
        );
        let over = run("{ compute = 1 }", "1", "duration = \"2h\"");
        assert!(over.is_err());
        let over = run("{ compute = 1 }", "1", "duration = \"7200s\"")
            .unwrap_err()
            .to_string();
        assert!(
            over.starts_with("big.toml:3:") && over.contains("max_virtual_time"),
            "{over}"
        );
    }
}
