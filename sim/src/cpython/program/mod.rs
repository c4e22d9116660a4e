//! The Python program generated from a scenario for one interpreter: standard library only,
//! valid Python 2.7 and 3.6–3.14 alike (no f-strings; `print_function`; clocks and APIs
//! feature-detected), readable so that a user can run it by hand.
//!
//! It is assembled from fixed parts written in Python beside this file — the imports, the
//! instruction counter (`dis_count.py`), the stamps, settings, calibration and operations
//! (`runtime.py`), one driver per runtime — and from what [`ops`] generates for the scenario:
//! its settings, its shared counters and their increment loops, and one function per thread
//! group whose lines are the scenario's operations, each with its real counterpart.

mod ops;

use super::error::CpythonError;
use super::interpreter::{FLAGS, Interpreter};
use super::wire::{Code, LaneRole};
use crate::model::{Model, PythonVersion, RunConfig, Runtime, StartMethod};
use crate::scenario::{Op, Scenario};
use crate::time::format_nanos;
use std::fmt::Write as _;

/// How the program observes itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramOptions {
    /// Work between two stamps inside a loop, in microseconds, 1 to 1000 (the observation's
    /// resolution; its cost is one stamp per chunk).
    pub chunk_us: f64,
}

impl Default for ProgramOptions {
    /// 10 µs: one stamp (150–330 ns measured here on 2.7, 3.11 and 3.13) costs 1.5–3.5% of
    /// a CPU-bound run, and a GIL handoff is placed to within 10 µs, far finer than a switch
    /// interval.
    fn default() -> Self {
        Self { chunk_us: 10.0 }
    }
}

/// A generated program and the lanes its stream will describe.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The Python source.
    pub text: String,
    /// Every lane: name, thread group, and what runs it (executor threads after the others).
    pub lanes: Vec<(String, usize, LaneRole)>,
}

/// A Python string literal (`u'…'`, valid in 2.7 and 3.3+), escaped.
pub fn py_str(text: &str) -> String {
    let mut out = String::from("u'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('\'');
    out
}

/// Text made safe for a one-line comment.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A float literal Python reads back exactly.
fn py_float(value: f64) -> String {
    format!("{value:?}")
}

fn runtime_name(runtime: Runtime) -> &'static str {
    match runtime {
        Runtime::Threads => "threads",
        Runtime::Asyncio => "asyncio",
        Runtime::Multiprocessing => "multiprocessing",
        Runtime::Subinterpreters => "subinterpreters",
        Runtime::Pool => "pool",
        Runtime::ProcessPool => "process-pool",
        Runtime::ThreadPool => "thread-pool",
    }
}

fn start_method_name(method: StartMethod) -> &'static str {
    match method {
        StartMethod::Fork => "fork",
        StartMethod::Spawn => "spawn",
        StartMethod::Forkserver => "forkserver",
    }
}

/// Refuses, in words, a runtime this interpreter does not have.
fn check_runtime(config: &RunConfig, interpreter: &Interpreter) -> Result<(), CpythonError> {
    let label = interpreter.label();
    let facts = &interpreter.facts;
    match config.runtime {
        Runtime::Asyncio if !facts.asyncio => Err(CpythonError::Unsupported(format!(
            "runtime \"asyncio\" needs Python 3.6 or later (async def, asyncio.ensure_future); {label} is older"
        ))),
        Runtime::Subinterpreters if facts.subinterpreters.is_none() => {
            Err(CpythonError::Unsupported(format!(
                "runtime \"subinterpreters\" needs interpreters with their own GIL (PEP 684, Python 3.12 and later); {label} has none"
            )))
        }
        // ProcessPoolExecutor's mp_context and initializer are 3.7's.
        Runtime::ProcessPool | Runtime::ThreadPool
            if interpreter.version.python < PythonVersion::new(3, 7) =>
        {
            Err(CpythonError::Unsupported(format!(
                "runtime \"{}\" needs Python 3.7 or later here (ProcessPoolExecutor's mp_context and initializer); {label} is older",
                config.runtime
            )))
        }
        Runtime::Multiprocessing | Runtime::Pool | Runtime::ProcessPool => {
            let method = start_method_name(config.start_method);
            if facts.start_methods.iter().any(|m| m == method) {
                Ok(())
            } else {
                Err(CpythonError::Unsupported(format!(
                    "multiprocessing start method \"{method}\" does not exist on {label} (it has: {})",
                    facts.start_methods.join(", ")
                )))
            }
        }
        _ => Ok(()),
    }
}

/// The executor threads of an asyncio run, as many as the simulator gives it: one per task that
/// offloads, at most `min(32, cores + 4)` (Python's default).
fn executor_count(scenario: &Scenario, config: &RunConfig) -> u32 {
    if config.runtime != Runtime::Asyncio {
        return 0;
    }
    let offloading: u32 = scenario
        .groups
        .iter()
        .filter(|g| g.ops.iter().any(|op| matches!(op, Op::Offload(_))))
        .map(|g| g.count)
        .sum();
    offloading.min(32.min(config.cores + 4))
}

/// Every lane of the run: the scenario's threads (tasks, processes, interpreters), then the
/// asyncio executor threads.
pub fn lanes(scenario: &Scenario, config: &RunConfig) -> Vec<(String, usize, LaneRole)> {
    let role = match config.runtime {
        Runtime::Threads | Runtime::ThreadPool => LaneRole::Thread,
        Runtime::Asyncio => LaneRole::Task,
        Runtime::Multiprocessing | Runtime::Pool | Runtime::ProcessPool => LaneRole::Process,
        Runtime::Subinterpreters => LaneRole::Interpreter,
    };
    let mut lanes: Vec<_> = scenario
        .threads()
        .into_iter()
        .map(|(name, group)| (name, group, role))
        .collect();
    lanes.extend(
        (0..executor_count(scenario, config))
            .map(|k| (format!("executor-{k}"), 0, LaneRole::Executor)),
    );
    lanes
}

/// The command line that runs the program at `script` (after the interpreter's path).
pub fn arguments(config: &RunConfig, interpreter: &Interpreter, script: &str) -> Vec<String> {
    let mut args: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
    if interpreter.facts.free_threaded
        && let Some(gil) = config.gil_override
    {
        args.push("-X".to_owned());
        args.push(format!("gil={}", u8::from(gil)));
    }
    args.push(script.to_owned());
    args
}

fn header(
    scenario: &Scenario,
    config: &RunConfig,
    interpreter: &Interpreter,
    script: &str,
) -> String {
    let path = interpreter.path.display();
    let mut h = format!("#!{path}\n# -*- coding: utf-8 -*-\n");
    let _ = writeln!(
        h,
        "# gilscope: the scenario \"{}\" ({}) as a real CPython program,",
        comment_text(&scenario.name),
        comment_text(&scenario.source)
    );
    let _ = writeln!(
        h,
        "# generated for Python {} ({path}), runtime \"{}\".\n#",
        interpreter.label(),
        runtime_name(config.runtime)
    );
    let _ = writeln!(
        h,
        "# Run it by hand:\n#     {path} {}\n# It prints a summary when the run ends; with a file name after it, it also writes there\n# the stamp stream gilscope reads.\n#",
        arguments(config, interpreter, &format!("{script} [STAMPS_FILE]")).join(" ")
    );
    h.push_str("# Settings carried to the interpreter:\n");
    if config.python < PythonVersion::new(3, 2) {
        let _ = writeln!(
            h,
            "#   check interval {} ticks (sys.setcheckinterval)",
            config.check_interval
        );
    } else {
        let _ = writeln!(
            h,
            "#   switch interval {} (sys.setswitchinterval)",
            format_nanos(config.switch_interval())
        );
    }
    let _ = writeln!(
        h,
        "#   {} core{} (os.sched_setaffinity; sched_setaffinity through ctypes on 2.7)",
        config.cores,
        if config.cores == 1 { "" } else { "s" }
    );
    match config.duration {
        Some(d) => {
            let _ = writeln!(
                h,
                "#   duration {}: then every lane stops at its next operation or chunk",
                format_nanos(d)
            );
        }
        None => h.push_str("#   duration: until the finite threads end; the others stop then\n"),
    }
    if let Some(gil) = config.gil_override {
        let _ = writeln!(
            h,
            "#   PYTHON_GIL={} (-X gil={0} on the command line)",
            u8::from(gil)
        );
    }
    h.push_str("#   timer slack 1 ns (prctl PR_SET_TIMERSLACK), so sleeps end on time\n");
    h.push_str("#   the program dies with its parent (prctl PR_SET_PDEATHSIG)\n");
    let _ = writeln!(
        h,
        "# Not applicable to a real interpreter (simulator only): {}.\n#",
        super::config::NOT_APPLICABLE.join(", ")
    );
    h.push_str("# Each operation's real counterpart is said in its function's docstring.\n\n");
    h
}

fn constants(
    scenario: &Scenario,
    config: &RunConfig,
    interpreter: &Interpreter,
    options: &ProgramOptions,
    lanes: &[(String, usize, LaneRole)],
) -> String {
    let mut c = String::from(
        "# ---- The run's settings -----------------------------------------------------------\n",
    );
    let mut line = |name: &str, value: String| {
        let _ = writeln!(c, "{name} = {value}");
    };
    line("SCENARIO", py_str(&scenario.name));
    line("RUNTIME", format!("'{}'", runtime_name(config.runtime)));
    line(
        "START_METHOD",
        format!("'{}'", start_method_name(config.start_method)),
    );
    line(
        "SUBINTERPRETERS",
        interpreter
            .facts
            .subinterpreters
            .as_deref()
            .map_or("None".to_owned(), |m| format!("'{m}'")),
    );
    line(
        "SWITCH_INTERVAL",
        py_float(config.switch_interval_us as f64 / 1e6),
    );
    line("CHECK_INTERVAL", config.check_interval.to_string());
    line("WORKERS", config.pool_workers().to_string());
    line("CORES", config.cores.to_string());
    line(
        "DURATION",
        config
            .duration
            .map_or("None".to_owned(), |d| py_float(d as f64 / 1e9)),
    );
    line("CHUNK_SECONDS", py_float(options.chunk_us / 1e6));
    line(
        "RELEASE_FUNCTION",
        interpreter
            .facts
            .release_call
            .as_deref()
            .map_or("None".to_owned(), |f| format!("'{f}'")),
    );
    let longest = |holds: bool| {
        scenario
            .groups
            .iter()
            .flat_map(|g| &g.ops)
            .filter_map(|op| match *op {
                Op::CCall {
                    duration,
                    releases_gil,
                } if releases_gil != holds => Some(duration),
                Op::Import { duration, .. } if holds => Some(duration),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    };
    line("RELEASE_SECONDS_MAX", py_float(longest(false) as f64 / 1e9));
    line("HOLD_SECONDS_MAX", py_float(longest(true) as f64 / 1e9));
    let list = |names: &[String]| {
        let items: Vec<String> = names.iter().map(|n| py_str(n)).collect();
        format!("[{}]", items.join(", "))
    };
    line("COUNTERS", list(&scenario.counters));
    line("LOCKS", list(&scenario.locks));
    c.push_str(&lane_constants(scenario, lanes));
    c.push_str("# Record codes of the stamp stream (gilscope: sim/src/cpython/wire.rs).\n");
    for code in Code::ALL {
        let _ = writeln!(c, "{} = {}", code.python_name(), code as u8);
    }
    c
}

/// `LANES` (the runtime's lanes: name, group, repeats forever), `ALL_LANES` (every lane with
/// its role, executors included) and `EXECUTOR_LANES`.
fn lane_constants(scenario: &Scenario, lanes: &[(String, usize, LaneRole)]) -> String {
    let mut c = String::new();
    let mut line = |name: &str, value: String| {
        let _ = writeln!(c, "{name} = {value}");
    };
    let runtime_lanes: Vec<String> = lanes
        .iter()
        .filter(|(_, _, role)| *role != LaneRole::Executor)
        .map(|(name, group, _)| {
            let forever = scenario.groups[*group].repeat == crate::scenario::Repeat::Forever;
            format!(
                "({}, {group}, {})",
                py_str(name),
                if forever { "True" } else { "False" }
            )
        })
        .collect();
    line("LANES", format!("[{}]", runtime_lanes.join(", ")));
    let all: Vec<String> = lanes
        .iter()
        .map(|(name, group, role)| {
            let role = serde_json::to_value(role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("({}, {group}, '{role}')", py_str(name))
        })
        .collect();
    line("ALL_LANES", format!("[{}]", all.join(", ")));
    let executors: Vec<String> = lanes
        .iter()
        .enumerate()
        .filter(|(_, (_, _, role))| *role == LaneRole::Executor)
        .map(|(i, _)| i.to_string())
        .collect();
    line("EXECUTOR_LANES", format!("[{}]", executors.join(", ")));
    c
}

/// Refuses, in words, an import with no honest counterpart: a module without free-threading
/// support, on a free-threaded build whose GIL is off (it would turn the GIL back on, and the
/// standard library has no such module to import).
fn check_imports(
    scenario: &Scenario,
    config: &RunConfig,
    interpreter: &Interpreter,
) -> Result<(), CpythonError> {
    if config.model() != Model::FreeThreaded || config.gil_override == Some(false) {
        return Ok(());
    }
    for op in scenario.groups.iter().flat_map(|g| &g.ops) {
        if let Op::Import {
            module,
            supports_free_threading: false,
            ..
        } = op
        {
            let name = scenario.modules.get(*module).map_or("?", String::as_str);
            return Err(CpythonError::Unsupported(format!(
                "importing \"{name}\", a C extension that does not declare free-threading support, would turn the GIL back on in {}; the standard library has no such module, so there is nothing real to import: use the simulated engine, or set gil = 0 (PYTHON_GIL=0) to keep the GIL off",
                interpreter.label()
            )));
        }
    }
    Ok(())
}

/// Generates the program for `scenario` with `config` on `interpreter`. `script` is the file
/// name it will have (shown in its instructions for running it by hand).
pub fn generate(
    scenario: &Scenario,
    config: &RunConfig,
    interpreter: &Interpreter,
    options: &ProgramOptions,
    script: &str,
) -> Result<Program, CpythonError> {
    if !(1.0..=1000.0).contains(&options.chunk_us) {
        return Err(CpythonError::Config(format!(
            "a chunk of {} µs between two stamps is not allowed: use 1 to 1000 µs",
            options.chunk_us
        )));
    }
    check_runtime(config, interpreter)?;
    check_imports(scenario, config, interpreter)?;
    let lanes = lanes(scenario, config);
    let body = ops::Body::new(scenario, config, interpreter)?;
    let child_process = include_str!("child_process.py");
    let driver = match config.runtime {
        Runtime::Threads => include_str!("threads.py").to_owned(),
        Runtime::Asyncio => include_str!("asyncio_runtime.py").to_owned(),
        Runtime::Multiprocessing => [child_process, include_str!("processes.py")].join("\n\n"),
        Runtime::Pool | Runtime::ProcessPool | Runtime::ThreadPool => {
            [child_process, include_str!("pool.py")].join("\n\n")
        }
        Runtime::Subinterpreters => include_str!("subinterpreters.py").to_owned(),
    };
    let text = [
        header(scenario, config, interpreter, script),
        include_str!("imports.py").to_owned(),
        constants(scenario, config, interpreter, options, &lanes),
        include_str!("dis_count.py").to_owned(),
        include_str!("runtime.py").to_owned(),
        driver,
        body.counters(),
        body.groups(),
        "\nif __name__ == '__main__':\n    main()\n".to_owned(),
    ]
    .join("\n\n");
    Ok(Program { text, lanes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpython::interpreter::{Facts, Version};
    use crate::model::Overrides;

    fn interpreter(version: &str) -> Interpreter {
        let v = Version::parse(version).unwrap();
        let modern = v.python >= PythonVersion::new(3, 4);
        Interpreter {
            path: format!("/opt/python{version}/bin/python").into(),
            facts: Facts {
                free_threaded: false,
                gil_enabled: true,
                affinity: modern,
                asyncio: v.python >= PythonVersion::new(3, 6),
                subinterpreters: match (v.python.major, v.python.minor) {
                    (3, 12) => Some("_xxsubinterpreters".into()),
                    (3, 13..) => Some("_interpreters".into()),
                    _ => None,
                },
                start_methods: if modern {
                    vec!["fork".into(), "spawn".into(), "forkserver".into()]
                } else {
                    vec!["fork".into()]
                },
                release_call: Some("zlib.compress".into()),
                ctypes: true,
                loop_instructions: 9,
                bytecode_ns: 4.0,
            },
            version: v,
        }
    }

    fn free_threaded(version: &str) -> Interpreter {
        let mut i = interpreter(version);
        i.facts.free_threaded = true;
        i.facts.gil_enabled = false;
        i
    }

    const EVERY_OP: &str = r#"
name = "every operation"
[[threads]]
name = "worker"
count = 2
repeat = 3
ops = [
  { compute = 1_000 },
  { io = "56us" },
  { sleep = "1ms" },
  { c_call = "2ms", releases_gil = true },
  { c_call = "3ms" },
  { increment = "hits", times = 10 },
  { increment = "hits", times = 10, call_inside = true },
  { increment = "shared", times = 10, shared = true },
  { lock = "m" },
  { unlock = "m" },
  { send = 64 },
  { offload = 500 },
  { import = "ext", supports_free_threading = true, duration = "1ms" },
  { read = "config", times = 10 },
  { read = "config", times = 10, per_thread = true },
  { read = "handler", times = 10, kind = "function" },
  { mutate = "cache", times = 10 },
  { collect = "2ms" },
]
[[threads]]
name = "spinner"
repeat = "forever"
ops = [ { compute = 100 } ]
"#;

    fn scenario(text: &str) -> Scenario {
        Scenario::parse(text, "test.toml").unwrap()
    }

    fn generate_with(
        text: &str,
        interpreter: &Interpreter,
        f: impl FnOnce(&mut Overrides),
    ) -> Result<Program, CpythonError> {
        let s = scenario(text);
        let mut o = Overrides {
            python: Some(interpreter.version.python),
            free_threaded: Some(interpreter.facts.free_threaded),
            ..Overrides::default()
        };
        f(&mut o);
        let config = s.config(&o).unwrap();
        generate(
            &s,
            &config,
            interpreter,
            &ProgramOptions::default(),
            "test.py",
        )
    }

    #[test]
    fn every_operation_has_its_line_under_threads() {
        let p = generate_with(EVERY_OP, &interpreter("3.11.7"), |_| {}).unwrap();
        for line in [
            "compute(rec, 1000)  # compute = 1000",
            "io(rec, 5.6e-5)  # io = \"56.0 µs\"",
            "sleep(rec, 0.001)",
            "c_call_releasing(rec, 0.002)",
            "c_call_holding(rec, 0.003)",
            "increment_0(rec, 10)",
            "increment_call_0(rec, 10)",
            "increment_shared_1(rec, 10)",
            "lock(rec, 0)  # lock = \"m\"",
            "unlock(rec, 0)",
            "send(rec, 64)",
            "compute(rec, 500)  # offload = 500: outside asyncio the function runs inline",
            "load_module(rec, 0.001)  # import = \"ext\"",
            "for _ in xrange(3):",
            "while more(rec):",
            "counter_0 += one()",
            "with guard:",
            "SHARED = make_shared(multiprocessing)",
            "PAYLOADS = {64: b'\\0' * 64}",
            "LANES = [(u'worker-0', 0, False), (u'worker-1', 0, False), (u'spinner', 1, True)]",
            "MAILBOX = queue.Queue()",
            "R_THREAD_START = 1",
            "read_0(rec, 10)  # read = \"config\", times = 10",
            "read_1(rec, 10)  # read = \"config\", times = 10, per_thread = true",
            "read_2(rec, 10)  # read = \"handler\", times = 10",
            "OBJECT_0 = SharedObject()  # config",
            "OBJECT_2 = shared_function  # handler",
            "            OBJECT_0.value\n",
            "    own = SharedObject()\n",
            "            own.value\n",
            "mutate_2(rec, 10)  # mutate = \"cache\", times = 10",
            "DICT_2 = {}  # cache",
            "            DICT_2[n] = n\n",
            "collect(rec, 0.002)  # collect = \"2.00 ms\"",
            "('read_1', read_1, False)",
            "('mutate_2', mutate_2, False)",
            "R_COLLECT = 22",
        ] {
            assert!(p.text.contains(line), "missing: {line}");
        }
        assert_eq!(p.lanes.len(), 3);
        assert!(!p.text.contains("async def"));
        assert!(
            p.text
                .starts_with("#!/opt/python3.11.7/bin/python\n# -*- coding: utf-8 -*-\n")
        );
    }

    #[test]
    fn the_threads_wait_at_a_gate_until_every_lane_is_started() {
        let p = generate_with(EVERY_OP, &interpreter("3.13.0"), |_| {}).unwrap();
        let at = |line: &str| {
            p.text
                .find(line)
                .unwrap_or_else(|| panic!("missing: {line}"))
        };
        assert!(p.text.contains("target=gated_lane, args=(lane, group)"));
        assert!(at("    START_GATE.wait()\n    run_lane(lane, group)") < at("def main():"));
        // Time zero and the gate's opening come after the last `Thread.start()`.
        let started = at("        thread.start()\n");
        assert!(started < at("    start = announce_start()\n"));
        assert!(at("    start = announce_start()\n") < at("    START_GATE.set()\n"));
    }

    #[test]
    fn no_f_strings_so_that_python_2_7_reads_it() {
        let p = generate_with(EVERY_OP, &interpreter("2.7.18"), |_| {}).unwrap();
        for bad in [" f'", " f\"", "(f'", "(f\"", "nonlocal ", "async "] {
            assert!(!p.text.contains(bad), "{bad:?} is not Python 2.7");
        }
        assert!(
            p.text
                .contains("from __future__ import division, print_function")
        );
        assert!(
            p.text
                .contains("#   check interval 100 ticks (sys.setcheckinterval)")
        );
    }

    #[test]
    fn asyncio_awaits_the_operations_that_suspend_and_has_executor_lanes() {
        let p = generate_with(EVERY_OP, &interpreter("3.12.1"), |o| {
            o.runtime = Some(Runtime::Asyncio);
            // The spinner never awaits: only a duration ends an asyncio run of it.
            o.duration = Some(crate::time::SEC);
        })
        .unwrap();
        for line in [
            "async def group_0(rec):",
            "await io_async(rec, 5.6e-5)",
            "await sleep_async(rec, 0.001)",
            "await lock_async(rec, 0)",
            "unlock(rec, 0)",
            "await offload(rec, 500)",
            "compute(rec, 1000)",
            "EXECUTOR_LANES = [3, 4]",
            "run_in_executor",
        ] {
            assert!(p.text.contains(line), "missing: {line}");
        }
        // Two tasks offload: two executor threads (at most min(32, cores + 4)).
        assert_eq!(p.lanes[3], ("executor-0".to_owned(), 0, LaneRole::Executor));
        // asyncio exists from 3.4 (the settings refuse 2.7), `async def` from 3.5, and the
        // program needs 3.6.
        let err = generate_with(EVERY_OP, &interpreter("3.5.10"), |o| {
            o.runtime = Some(Runtime::Asyncio);
            o.duration = Some(crate::time::SEC);
        })
        .unwrap_err();
        assert!(err.to_string().contains("needs Python 3.6"), "{err}");
    }

    #[test]
    fn multiprocessing_carries_its_start_method() {
        for method in [
            StartMethod::Fork,
            StartMethod::Spawn,
            StartMethod::Forkserver,
        ] {
            let p = generate_with(EVERY_OP, &interpreter("3.11.7"), |o| {
                o.runtime = Some(Runtime::Multiprocessing);
                o.start_method = Some(method);
            })
            .unwrap();
            let name = start_method_name(method);
            assert!(p.text.contains(&format!("START_METHOD = '{name}'")));
            assert!(p.text.contains("def worker_main("));
            assert!(p.text.contains("SEND, SEND_WRITE = PICKLE, write_to_main"));
            assert!(p.lanes.iter().all(|l| l.2 == LaneRole::Process));
        }
        // 2.7 has no start method but fork: the settings refuse spawn there before any program.
        let refused = scenario(EVERY_OP).config(&Overrides {
            python: Some(PythonVersion::new(2, 7)),
            runtime: Some(Runtime::Multiprocessing),
            start_method: Some(StartMethod::Spawn),
            ..Overrides::default()
        });
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("start methods other than fork exist from Python 3.4 on"),
        );
    }

    #[test]
    fn subinterpreters_need_3_12_and_refuse_what_they_cannot_share() {
        let plain = "name = \"x\"\n[[threads]]\nname = \"w\"\ncount = 2\nops = [ { compute = 100 }, { increment = \"c\" }, { send = 10 } ]\n";
        let p = generate_with(plain, &interpreter("3.13.0"), |o| {
            o.runtime = Some(Runtime::Subinterpreters);
        })
        .unwrap();
        assert!(p.text.contains("SUBINTERPRETERS = '_interpreters'"));
        assert!(p.text.contains("SEND = pickle.dumps"));
        let p = generate_with(plain, &interpreter("3.12.1"), |o| {
            o.runtime = Some(Runtime::Subinterpreters);
        })
        .unwrap();
        assert!(p.text.contains("SUBINTERPRETERS = '_xxsubinterpreters'"));
        let locked = "name = \"x\"\n[[threads]]\nname = \"w\"\nops = [ { lock = \"m\" }, { unlock = \"m\" } ]\n";
        let err = generate_with(locked, &interpreter("3.13.0"), |o| {
            o.runtime = Some(Runtime::Subinterpreters);
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("threading.Lock cannot be shared"),
            "{err}"
        );
        let shared = "name = \"x\"\n[[threads]]\nname = \"w\"\nops = [ { increment = \"c\", shared = true } ]\n";
        let err = generate_with(shared, &interpreter("3.13.0"), |o| {
            o.runtime = Some(Runtime::Subinterpreters);
        })
        .unwrap_err();
        assert!(err.to_string().contains("multiprocessing.Value"), "{err}");
        let mut old = interpreter("3.13.0");
        old.facts.subinterpreters = None;
        let err =
            generate_with(plain, &old, |o| o.runtime = Some(Runtime::Subinterpreters)).unwrap_err();
        assert!(err.to_string().contains("PEP 684"), "{err}");
    }

    #[test]
    fn a_read_or_mutate_with_another_programs_loop_body_is_refused() {
        for op in [
            "{ read = \"config\", times = 10, loop_body = 8 }",
            "{ mutate = \"cache\", times = 10, loop_body = 7 }",
        ] {
            let text = format!("name = \"x\"\n[[threads]]\nname = \"w\"\nops = [ {op} ]\n");
            let err = generate_with(&text, &interpreter("3.13.0"), |_| {}).unwrap_err();
            let err = err.to_string();
            assert!(err.contains("another program's loop"), "{err}");
            assert!(err.contains("remove it"), "{err}");
        }
    }

    #[test]
    fn an_import_that_would_bring_the_gil_back_is_refused_unless_it_stays_off() {
        let text =
            "name = \"x\"\n[[threads]]\nname = \"w\"\nops = [ { import = \"legacy_ext\" } ]\n";
        let err = generate_with(text, &free_threaded("3.14.0"), |_| {}).unwrap_err();
        assert!(err.to_string().contains("\"legacy_ext\""), "{err}");
        assert!(err.to_string().contains("gil = 0"), "{err}");
        let p = generate_with(text, &free_threaded("3.14.0"), |o| o.gil = Some(false)).unwrap();
        assert!(p.text.contains("load_module(rec, 0.001)"));
        assert_eq!(
            arguments(
                &s_config(text, &free_threaded("3.14.0")),
                &free_threaded("3.14.0"),
                "p.py"
            )[3..],
            ["-X", "gil=0", "p.py"]
        );
        assert!(generate_with(text, &interpreter("3.13.0"), |_| {}).is_ok());
    }

    fn s_config(text: &str, interpreter: &Interpreter) -> RunConfig {
        scenario(text)
            .config(&Overrides {
                python: Some(interpreter.version.python),
                free_threaded: Some(true),
                gil: Some(false),
                ..Overrides::default()
            })
            .unwrap()
    }

    #[test]
    fn a_releasing_c_call_needs_c_code_that_really_releases() {
        let mut no_zlib = interpreter("3.6.15");
        no_zlib.facts.release_call = None;
        let text = "name = \"x\"\n[[threads]]\nname = \"w\"\nops = [ { c_call = \"1ms\", releases_gil = true } ]\n";
        let err = generate_with(text, &no_zlib, |_| {}).unwrap_err();
        assert!(err.to_string().contains("no zlib"), "{err}");
        let holding = "name = \"x\"\n[[threads]]\nname = \"w\"\nops = [ { c_call = \"1ms\" } ]\n";
        assert!(generate_with(holding, &no_zlib, |_| {}).is_ok());
    }

    #[test]
    fn settings_reach_the_program() {
        let p = generate_with(EVERY_OP, &interpreter("3.11.7"), |o| {
            o.switch_interval = Some(250_000);
            o.cores = Some(3);
            o.duration = Some(2_000_000_000);
        })
        .unwrap();
        for line in [
            "SWITCH_INTERVAL = 0.00025",
            "CORES = 3",
            "DURATION = 2.0",
            "CHUNK_SECONDS = 1e-5",
            "RELEASE_SECONDS_MAX = 0.002",
            "HOLD_SECONDS_MAX = 0.003",
            "#   switch interval 250 µs (sys.setswitchinterval)",
            "#   duration 2.00 s: then every lane stops",
        ] {
            assert!(p.text.contains(line), "missing: {line}");
        }
    }

    #[test]
    fn names_become_escaped_python_literals() {
        assert_eq!(py_str("it's"), "u'it\\'s'");
        assert_eq!(py_str("a\\b"), "u'a\\\\b'");
        assert_eq!(py_str("µs\n"), "u'\\u00b5s\\u000a'");
        assert_eq!(py_str("🐍"), "u'\\U0001f40d'");
        assert_eq!(comment_text("two\nlines"), "two lines");
    }
}
