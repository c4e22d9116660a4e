//! Scenario files: named thread groups, each a program of operations, plus the narration shown
//! to a class. The TOML format is a public interface (see the README); this module reads and
//! validates it, with errors that name the file, line, column, field and what is allowed.

use crate::model::{ConfigError, Overrides, RunConfig, Runtime};
use crate::predict::{Predict, RawPredict};
use crate::settings::FileSettings;
use crate::time::{Nanos, parse_duration};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

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
    /// A blocking call (socket, file) that releases the GIL for its duration.
    Io(Nanos),
    /// `time.sleep`: releases the GIL for its duration.
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
    /// What to notice, for a class; may contain `{placeholders}` filled from a run's stats.
    pub narration: String,
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
    /// Where it came from: a preset's stem or a file path.
    pub source: String,
    /// Spans of the settings in the file text, to place errors found when resolving them.
    setting_spans: BTreeMap<&'static str, (usize, usize)>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    narration: String,
    #[serde(default)]
    settings: FileSettings,
    threads: Vec<RawGroup>,
    predict: Option<RawPredict>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: Spanned<String>,
    count: Option<Spanned<i64>>,
    repeat: Option<Spanned<toml::Value>>,
    ops: Spanned<Vec<Spanned<toml::Table>>>,
}

/// A named thing (counter, lock) collected in order of first use.
fn intern(names: &mut Vec<String>, name: &str) -> usize {
    names.iter().position(|n| n == name).unwrap_or_else(|| {
        names.push(name.to_owned());
        names.len() - 1
    })
}

const OPERATIONS: &str =
    "compute, io, sleep, c_call, increment, lock, unlock, send, import, offload";

impl Scenario {
    /// Parses and validates scenario text. `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let at = Locator { text, file };
        let raw: RawScenario = toml::from_str(text)
            .map_err(|e| at.error(e.span().unwrap_or(0..0), e.message().trim().to_owned()))?;
        if raw.name.trim().is_empty() {
            return Err(at.error(0..0, "`name` is empty: give the scenario a title".into()));
        }
        let (settings, setting_spans) = raw.settings.into_overrides();
        let predict = raw
            .predict
            .map(RawPredict::validate)
            .transpose()
            .map_err(|(span, message)| at.error(span, message))?;
        if raw.threads.is_empty() {
            return Err(ScenarioError::Invalid {
                file: file.to_owned(),
                message: "the scenario has no [[threads]]: add at least one thread group".into(),
            });
        }
        let mut names = Names::default();
        let mut groups: Vec<ThreadGroup> = Vec::new();
        for raw_group in raw.threads {
            let group = parse_group(raw_group, &mut names, &at)?;
            if groups.iter().any(|g| g.name == group.name) {
                return Err(ScenarioError::Invalid {
                    file: file.to_owned(),
                    message: format!(
                        "two thread groups are named \"{}\": names must be unique",
                        group.name
                    ),
                });
            }
            groups.push(group);
            if groups.iter().map(|g| g.count).sum::<u32>() > MAX_THREADS {
                return Err(ScenarioError::Invalid {
                    file: file.to_owned(),
                    message: format!("the scenario has more than {MAX_THREADS} threads in all"),
                });
            }
        }
        let scenario = Scenario {
            name: raw.name.trim().to_owned(),
            summary: raw.summary.trim().to_owned(),
            narration: raw.narration.trim().to_owned(),
            settings,
            groups,
            counters: names.counters,
            locks: names.locks,
            modules: names.modules,
            predict,
            source: file.to_owned(),
            setting_spans,
        };
        // The file's own settings must make sense on their own; place any error in the text.
        scenario
            .settings
            .resolve()
            .map_err(|e| scenario.locate_config_error(&e, text))?;
        Ok(scenario)
    }

    fn locate_config_error(&self, error: &ConfigError, text: &str) -> ScenarioError {
        let span = match error {
            ConfigError::Invalid { field, .. } => self.setting_spans.get(field).copied(),
            ConfigError::Unsupported(_) => ["runtime", "python"]
                .iter()
                .find_map(|f| self.setting_spans.get(f).copied()),
        };
        match span {
            Some((start, _)) => {
                let (line, column) = line_column(text, start);
                ScenarioError::Located {
                    file: self.source.clone(),
                    line,
                    column,
                    message: error.to_string(),
                }
            }
            None => ScenarioError::Invalid {
                file: self.source.clone(),
                message: error.to_string(),
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
        Ok(config)
    }

    /// Under asyncio: a task that repeats forever and never suspends, while a finite task would
    /// still be waiting for the loop when it first runs (it suspends somewhere, or comes later).
    fn starving_task(&self) -> Option<&str> {
        let suspends = |g: &ThreadGroup| {
            g.ops
                .iter()
                .any(|op| matches!(op, Op::Io(_) | Op::Sleep(_) | Op::Offload(_) | Op::Lock(_)))
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
        let mut out = Vec::new();
        for (index, group) in self.groups.iter().enumerate() {
            if group.count == 1 {
                out.push((group.name.clone(), index));
            } else {
                out.extend((0..group.count).map(|i| (format!("{}-{i}", group.name), index)));
            }
        }
        out
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
        let lock = intern(&mut copy.locks, Self::COUNTER_LOCK);
        for group in &mut copy.groups {
            group.ops = group
                .ops
                .iter()
                .flat_map(|op| match op {
                    Op::Increment { .. } => vec![Op::Lock(lock), op.clone(), Op::Unlock(lock)],
                    _ => vec![op.clone()],
                })
                .collect();
        }
        copy
    }

    /// A copy with group `group`'s thread count set to `count` (clamped to what is allowed).
    #[must_use]
    pub fn with_group_count(&self, group: usize, count: u32) -> Scenario {
        let mut copy = self.clone();
        if let Some(g) = copy.groups.get_mut(group) {
            let others: u32 = self
                .groups
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != group)
                .map(|(_, g)| g.count)
                .sum();
            g.count = count.clamp(1, MAX_THREADS.saturating_sub(others).max(1));
        }
        copy
    }
}

/// Turns byte spans of the file into located errors.
struct Locator<'a> {
    text: &'a str,
    file: &'a str,
}

impl Locator<'_> {
    fn error(&self, span: Range<usize>, message: String) -> ScenarioError {
        let (line, column) = line_column(self.text, span.start);
        ScenarioError::Located {
            file: self.file.to_owned(),
            line,
            column,
            message,
        }
    }
}

/// Counter, lock and module names met so far.
#[derive(Default)]
struct Names {
    counters: Vec<String>,
    locks: Vec<String>,
    modules: Vec<String>,
}

fn parse_group(
    raw: RawGroup,
    names: &mut Names,
    at: &Locator,
) -> Result<ThreadGroup, ScenarioError> {
    let name = raw.name.get_ref().trim().to_owned();
    if name.is_empty() {
        return Err(at.error(raw.name.span(), "thread `name` is empty".into()));
    }
    let count = match raw.count {
        None => 1,
        Some(c) => {
            let v = *c.get_ref();
            if !(1..=i64::from(MAX_THREADS)).contains(&v) {
                return Err(at.error(
                    c.span(),
                    format!(
                        "count = {v}: a thread group needs between 1 and {MAX_THREADS} threads"
                    ),
                ));
            }
            v as u32
        }
    };
    let repeat = match raw.repeat {
        None => Repeat::Times(1),
        Some(r) => parse_repeat(r.get_ref()).map_err(|m| at.error(r.span(), m))?,
    };
    let ops_span = raw.ops.span();
    let raw_ops = raw.ops.into_inner();
    if raw_ops.is_empty() {
        return Err(at.error(
            ops_span,
            format!("thread \"{name}\" has no ops: add at least one of {OPERATIONS}"),
        ));
    }
    let mut ops = Vec::with_capacity(raw_ops.len());
    let mut held: Vec<usize> = Vec::new();
    for raw_op in raw_ops {
        let span = raw_op.span();
        let op = parse_op(raw_op.get_ref(), names).map_err(|m| at.error(span.clone(), m))?;
        check_lock_use(&op, &mut held, &name, &names.locks).map_err(|m| at.error(span, m))?;
        ops.push(op);
    }
    if let Some(&l) = held.first() {
        let lock = &names.locks[l];
        return Err(at.error(ops_span, format!("thread \"{name}\" ends its ops still holding lock \"{lock}\": add {{ unlock = \"{lock}\" }}")));
    }
    Ok(ThreadGroup {
        name,
        count,
        repeat,
        ops,
    })
}

/// Locks must be taken once and released by their holder (checked in program order).
fn check_lock_use(
    op: &Op,
    held: &mut Vec<usize>,
    thread: &str,
    locks: &[String],
) -> Result<(), String> {
    match *op {
        Op::Lock(l) if held.contains(&l) => Err(format!(
            "thread \"{thread}\" locks \"{}\" twice without unlocking: a threading.Lock is not reentrant, so this deadlocks",
            locks[l]
        )),
        Op::Lock(l) => {
            held.push(l);
            Ok(())
        }
        Op::Unlock(l) => {
            let at = held.iter().position(|&h| h == l).ok_or_else(|| {
                format!(
                    "thread \"{thread}\" unlocks \"{}\", which it does not hold at that point (Python raises RuntimeError: release unlocked lock)",
                    locks[l]
                )
            })?;
            held.remove(at);
            Ok(())
        }
        _ => Ok(()),
    }
}

fn parse_repeat(value: &toml::Value) -> Result<Repeat, String> {
    match value {
        toml::Value::Integer(n) if *n >= 1 => Ok(Repeat::Times(*n as u64)),
        toml::Value::String(s) if s == "forever" => Ok(Repeat::Forever),
        other => Err(format!(
            "repeat = {other}: use a whole number of at least 1, or \"forever\""
        )),
    }
}

fn duration_of(value: &toml::Value, key: &str) -> Result<Nanos, String> {
    match value {
        toml::Value::String(s) => parse_duration(s).map_err(|e| format!("`{key}`: {e}")),
        other => Err(format!(
            "`{key}` = {other}: write a duration string with a unit, e.g. {key} = \"5ms\""
        )),
    }
}

fn positive_int(value: &toml::Value, key: &str, max: u64) -> Result<u64, String> {
    match value {
        toml::Value::Integer(n) if *n >= 1 && (*n as u64) <= max => Ok(*n as u64),
        other => Err(format!(
            "`{key}` = {other}: use a whole number from 1 to {max}"
        )),
    }
}

fn bool_of(value: &toml::Value, key: &str) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("`{key}` = {value}: use true or false"))
}

fn name_of(value: &toml::Value, key: &str) -> Result<String, String> {
    match value {
        toml::Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        other => Err(format!(
            "`{key}` = {other}: give a name in quotes, e.g. {key} = \"counter\""
        )),
    }
}

/// Parses one `{ op = value, option = value }` table.
fn parse_op(table: &toml::Table, names: &mut Names) -> Result<Op, String> {
    const KEYS: [&str; 10] = [
        "compute",
        "io",
        "sleep",
        "c_call",
        "increment",
        "lock",
        "unlock",
        "send",
        "import",
        "offload",
    ];
    let found: Vec<&str> = table
        .keys()
        .map(String::as_str)
        .filter(|k| KEYS.contains(k))
        .collect();
    let kind = match found.as_slice() {
        [one] => *one,
        [] => {
            let keys: Vec<&str> = table.keys().map(String::as_str).collect();
            return Err(format!(
                "unknown operation {{ {} }}: each operation needs exactly one of {OPERATIONS}",
                keys.join(", ")
            ));
        }
        many => {
            return Err(format!(
                "an operation names {} at once: write one operation per table",
                many.join(" and ")
            ));
        }
    };
    let options: &[&str] = match kind {
        "compute" => &["loop_body"],
        "c_call" => &["releases_gil"],
        "increment" => &["times", "call_inside", "shared"],
        "import" => &["supports_free_threading", "duration"],
        _ => &[],
    };
    if let Some(extra) = table
        .keys()
        .find(|k| k.as_str() != kind && !options.contains(&k.as_str()))
    {
        let allowed = if options.is_empty() {
            "none".to_owned()
        } else {
            options.join(", ")
        };
        return Err(format!(
            "`{kind}` does not take the option `{extra}` (options allowed: {allowed})"
        ));
    }
    let value = &table[kind];
    let opt = |key: &str| table.get(key);
    Ok(match kind {
        "compute" => Op::Compute {
            bytecodes: positive_int(value, "compute", 1 << 50)?,
            loop_body: opt("loop_body").map_or(Ok(8), |v| positive_int(v, "loop_body", 1 << 20))?
                as u32,
        },
        "io" => Op::Io(duration_of(value, "io")?),
        "sleep" => Op::Sleep(duration_of(value, "sleep")?),
        "c_call" => Op::CCall {
            duration: duration_of(value, "c_call")?,
            releases_gil: opt("releases_gil").map_or(Ok(false), |v| bool_of(v, "releases_gil"))?,
        },
        "increment" => Op::Increment {
            counter: intern(&mut names.counters, &name_of(value, "increment")?),
            times: opt("times").map_or(Ok(1), |v| positive_int(v, "times", 1 << 40))?,
            call_inside: opt("call_inside").map_or(Ok(false), |v| bool_of(v, "call_inside"))?,
            shared: opt("shared").map_or(Ok(false), |v| bool_of(v, "shared"))?,
        },
        "lock" => Op::Lock(intern(&mut names.locks, &name_of(value, "lock")?)),
        "unlock" => Op::Unlock(intern(&mut names.locks, &name_of(value, "unlock")?)),
        "send" => Op::Send(positive_int(value, "send", 1 << 40)?),
        "offload" => Op::Offload(positive_int(value, "offload", 1 << 50)?),
        _ => Op::Import {
            module: intern(&mut names.modules, &name_of(value, "import")?),
            supports_free_threading: opt("supports_free_threading")
                .map_or(Ok(false), |v| bool_of(v, "supports_free_threading"))?,
            duration: opt("duration")
                .map_or(Ok(crate::time::MS), |v| duration_of(v, "duration"))?,
        },
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
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
                Op::Io(56_000),
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
                && runtime.contains("threads, asyncio, multiprocessing or subinterpreters"),
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
}
