//! The scenario-specific part of the program: shared counters with their increment loops, and
//! one function per thread group whose lines are the group's operations.

use super::{comment_text, py_float};
use crate::cpython::error::CpythonError;
use crate::cpython::interpreter::Interpreter;
use crate::model::{RunConfig, Runtime};
use crate::scenario::{ObjectKind, Op, Repeat, Scenario};
use crate::time::{Nanos, format_nanos};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The three shapes of `counter += 1` loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Increment {
    /// `counter += 1`.
    Plain,
    /// `counter += one()`: a Python call between the load and the store.
    Call,
    /// A `multiprocessing.Value` in shared memory, incremented under its lock.
    Shared,
}

impl Increment {
    fn of(call_inside: bool, shared: bool) -> Self {
        if shared {
            Self::Shared
        } else if call_inside {
            Self::Call
        } else {
            Self::Plain
        }
    }

    fn function(self, counter: usize) -> String {
        match self {
            Self::Plain => format!("increment_{counter}"),
            Self::Call => format!("increment_call_{counter}"),
            Self::Shared => format!("increment_shared_{counter}"),
        }
    }
}

/// One `read` loop's object: which, what it is, and whether each thread reads its own copy.
type ReadOf = (usize, ObjectKind, bool);

/// The operations of a scenario, checked against the interpreter and the runtime.
#[derive(Debug)]
pub(super) struct Body<'a> {
    scenario: &'a Scenario,
    asyncio: bool,
    runtime: Runtime,
    increments: BTreeSet<(usize, Increment)>,
    /// The distinct `read` loops, in order: `read_N` is the N-th.
    reads: Vec<ReadOf>,
    /// The objects `mutate` stores into.
    mutated: BTreeSet<usize>,
}

/// The scenario's name at `i` of `names`, as a comment or docstring may hold it.
fn name_of(names: &[String], i: usize) -> String {
    comment_text(names.get(i).map_or("?", String::as_str))
        .replace('\\', "/")
        .replace('"', "'")
}

fn seconds(duration: Nanos) -> String {
    py_float(duration as f64 / 1e9)
}

impl<'a> Body<'a> {
    /// Checks every operation; refuses, in words, those with no honest counterpart here.
    pub(super) fn new(
        scenario: &'a Scenario,
        config: &RunConfig,
        interpreter: &Interpreter,
    ) -> Result<Self, CpythonError> {
        let mut increments = BTreeSet::new();
        let mut reads = Vec::new();
        let mut mutated = BTreeSet::new();
        let subinterpreters = config.runtime == Runtime::Subinterpreters;
        for op in scenario.groups.iter().flat_map(|g| &g.ops) {
            match *op {
                Op::CCall {
                    releases_gil: true, ..
                } if interpreter.facts.release_call.is_none() => {
                    return Err(CpythonError::Unsupported(format!(
                        "a c_call that releases the GIL needs C code that really releases it: {} has no zlib and its hashlib is not backed by OpenSSL (its built-in hashes keep the GIL)",
                        interpreter.label()
                    )));
                }
                Op::Lock(_) | Op::Unlock(_) if subinterpreters => {
                    return Err(CpythonError::Unsupported(
                        "a threading.Lock cannot be shared between subinterpreters: run this scenario with runtime \"threads\" or \"multiprocessing\"".to_owned(),
                    ));
                }
                Op::Increment { shared: true, .. } if subinterpreters => {
                    return Err(CpythonError::Unsupported(
                        "a multiprocessing.Value cannot be shared between subinterpreters: remove `shared = true` or use runtime \"multiprocessing\"".to_owned(),
                    ));
                }
                Op::Read {
                    loop_body: Some(body),
                    ..
                }
                | Op::Mutate {
                    loop_body: Some(body),
                    ..
                } => {
                    return Err(CpythonError::Unsupported(format!(
                        "`loop_body = {body}` on a `read` or `mutate` describes another program's loop, which the simulator charges {body} bytecodes an iteration; a real interpreter runs gilscope's own loop (`OBJECT.value` or `DICT[n] = n` in a countdown), whose cost the simulator charges when `loop_body` is left out: remove it to run this scenario on a real interpreter"
                    )));
                }
                Op::Increment {
                    counter,
                    call_inside,
                    shared,
                    ..
                } => {
                    increments.insert((counter, Increment::of(call_inside, shared)));
                }
                Op::Read {
                    object,
                    kind,
                    per_thread,
                    ..
                } if !reads.contains(&(object, kind, per_thread)) => {
                    reads.push((object, kind, per_thread));
                }
                Op::Mutate { object, .. } => {
                    mutated.insert(object);
                }
                _ => {}
            }
        }
        Ok(Self {
            scenario,
            asyncio: config.runtime == Runtime::Asyncio,
            runtime: config.runtime,
            increments,
            reads,
            mutated,
        })
    }

    fn shared_counters(&self) -> Vec<usize> {
        let mut shared: Vec<usize> = self
            .increments
            .iter()
            .filter(|(_, kind)| *kind == Increment::Shared)
            .map(|(c, _)| *c)
            .collect();
        shared.dedup();
        shared
    }

    /// The counters (module globals), their increment loops, and the helpers that reset and
    /// read them.
    pub(super) fn counters(&self) -> String {
        let mut out = String::from(
            "# ---- Shared counters ---------------------------------------------------------------\n",
        );
        let count = self.scenario.counters.len();
        for (i, name) in self.scenario.counters.iter().enumerate() {
            let _ = writeln!(out, "counter_{i} = 0  # {}", comment_text(name));
        }
        let shared = self.shared_counters();
        out.push_str(
            "SHARED = {}\n\n\ndef make_shared(factory):\n    \"\"\"The counters incremented with `shared = true`: a multiprocessing.Value('l') each.\"\"\"\n",
        );
        let values: Vec<String> = shared
            .iter()
            .map(|c| format!("{c}: factory.Value('l', 0)"))
            .collect();
        let _ = writeln!(out, "    return {{{}}}\n\n", values.join(", "));
        out.push_str("def reset_counters():\n");
        if count > 0 {
            let names: Vec<String> = (0..count).map(|i| format!("counter_{i}")).collect();
            let _ = writeln!(out, "    global {}", names.join(", "));
            for name in &names {
                let _ = writeln!(out, "    {name} = 0");
            }
        }
        out.push_str("    for value in SHARED.values():\n        value.value = 0\n\n\n");
        out.push_str("def counter_values():\n    \"\"\"Each counter's final value in this interpreter (a shared one's in shared memory).\"\"\"\n");
        let reads: Vec<String> = (0..count)
            .map(|i| format!("counter_{i} + (SHARED[{i}].value if {i} in SHARED else 0)"))
            .collect();
        let _ = writeln!(out, "    return [{}]\n\n", reads.join(", "));
        if !shared.is_empty()
            && matches!(
                self.runtime,
                Runtime::Threads | Runtime::Asyncio | Runtime::ThreadPool
            )
        {
            out.push_str("import multiprocessing\nSHARED = make_shared(multiprocessing)\n\n\n");
        }
        out.push_str(&compute_loop());
        for &(counter, kind) in &self.increments {
            out.push_str(&increment_loop(counter, kind, &self.scenario.counters));
        }
        out.push_str(&self.objects());
        let mut loops = vec!["('compute', compute, False)".to_owned()];
        loops.extend(self.increments.iter().map(|&(c, kind)| {
            let f = kind.function(c);
            format!(
                "('{f}', {f}, {})",
                if kind == Increment::Call {
                    "True"
                } else {
                    "False"
                }
            )
        }));
        loops.extend((0..self.reads.len()).map(|i| format!("('read_{i}', read_{i}, False)")));
        loops.extend(
            self.mutated
                .iter()
                .map(|o| format!("('mutate_{o}', mutate_{o}, False)")),
        );
        let _ = writeln!(
            out,
            "# The loops calibration measures: (name, function, calls one() inside).\nLOOPS = [{}]\n",
            loops.join(", ")
        );
        let sizes: BTreeSet<u64> = self
            .scenario
            .groups
            .iter()
            .flat_map(|g| &g.ops)
            .filter_map(|op| match op {
                Op::Send(bytes) => Some(*bytes),
                _ => None,
            })
            .collect();
        let payloads: Vec<String> = sizes.iter().map(|s| format!("{s}: b'\\0' * {s}")).collect();
        let _ = writeln!(
            out,
            "# The messages `send` passes on, made once.\nPAYLOADS = {{{}}}",
            payloads.join(", ")
        );
        out
    }

    /// The Python line of a `read`, `mutate` or `collect`, and its comment.
    fn object_line(&self, op: &Op) -> (String, String) {
        let name =
            |names: &[String], i: usize| comment_text(names.get(i).map_or("?", String::as_str));
        match *op {
            Op::Read {
                object,
                times,
                kind,
                per_thread,
                ..
            } => {
                let index = self
                    .reads
                    .iter()
                    .position(|r| *r == (object, kind, per_thread))
                    .unwrap_or_default();
                (
                    format!("read_{index}(rec, {times})"),
                    format!(
                        "read = \"{}\", times = {times}{}",
                        name(&self.scenario.objects, object),
                        if per_thread {
                            ", per_thread = true"
                        } else {
                            ""
                        }
                    ),
                )
            }
            Op::Mutate { object, times, .. } => (
                format!("mutate_{object}(rec, {times})"),
                format!(
                    "mutate = \"{}\", times = {times}",
                    name(&self.scenario.objects, object)
                ),
            ),
            Op::Collect(d) => (
                format!("collect(rec, {})", seconds(d)),
                format!("collect = \"{}\"", format_nanos(d)),
            ),
            _ => (String::new(), String::new()),
        }
    }

    /// The objects `read` and `mutate` use, and their loops.
    fn objects(&self) -> String {
        let mut out = String::new();
        if self.reads.is_empty() && self.mutated.is_empty() {
            return out;
        }
        out.push_str(
            "# ---- Shared objects ----------------------------------------------------------------\n",
        );
        for (i, &(object, kind, per_thread)) in self.reads.iter().enumerate() {
            let name = name_of(&self.scenario.objects, object);
            let (what, make) = match kind {
                ObjectKind::Instance => ("an instance", "SharedObject()"),
                ObjectKind::Function => ("a function", "shared_function"),
                ObjectKind::Module => ("a module", "SHARED_MODULE"),
                ObjectKind::Type => ("a class", "SharedType"),
            };
            let (doc, setup, body) = if per_thread {
                (
                    format!(
                        "`read = \"{name}\", per_thread = true`: each thread reads an attribute of its own\n    copy (an instance it made)."
                    ),
                    "    own = SharedObject()\n".to_owned(),
                    "            own.value\n".to_owned(),
                )
            } else {
                let _ = writeln!(out, "OBJECT_{i} = {make}  # {}", comment_text(&name));
                (
                    format!(
                        "`read = \"{name}\"`: an attribute of one object every thread shares ({what})."
                    ),
                    String::new(),
                    format!("            OBJECT_{i}.value\n"),
                )
            };
            out.push_str(&chunk_loop(&ChunkLoop {
                function: &format!("read_{i}"),
                argument: "times",
                doc: &doc,
                setup: &setup,
                begin: &format!("R_READ, times, {i}"),
                body: &body,
                tally: "",
            }));
        }
        for &object in &self.mutated {
            let name = name_of(&self.scenario.objects, object);
            let _ = writeln!(out, "DICT_{object} = {{}}  # {}", comment_text(&name));
            out.push_str(&chunk_loop(&ChunkLoop {
                function: &format!("mutate_{object}"),
                argument: "times",
                doc: &format!("`mutate = \"{name}\"`: a store into a dict every thread shares."),
                setup: "",
                begin: &format!("R_MUTATE, times, {object}"),
                body: &format!("            DICT_{object}[n] = n\n"),
                tally: "",
            }));
        }
        out
    }

    /// One function per thread group, and the `GROUPS` table.
    pub(super) fn groups(&self) -> String {
        let mut out = String::from(
            "# ---- The scenario's threads ----------------------------------------------------------\n",
        );
        let mut names = Vec::new();
        for (index, group) in self.scenario.groups.iter().enumerate() {
            let repeat = match group.repeat {
                Repeat::Forever => "repeat = \"forever\"".to_owned(),
                Repeat::Times(n) => format!("repeat = {n}"),
            };
            let def = if self.asyncio { "async def" } else { "def" };
            let _ = writeln!(
                out,
                "{def} group_{index}(rec):\n    # thread group \"{}\" ({} thread{}, {repeat})",
                comment_text(&group.name),
                group.count,
                if group.count == 1 { "" } else { "s" }
            );
            match group.repeat {
                Repeat::Forever => out.push_str("    while more(rec):\n"),
                Repeat::Times(n) => {
                    let _ = writeln!(out, "    for _ in xrange({n}):");
                }
            }
            for op in &group.ops {
                let (code, comment) = self.line(op);
                let _ = writeln!(out, "        {code}  # {comment}");
            }
            out.push_str("\n\n");
            names.push(format!("group_{index}"));
        }
        let _ = writeln!(out, "GROUPS = [{}]", names.join(", "));
        out
    }

    /// The Python line of one operation, and a comment naming the operation as written.
    fn line(&self, op: &Op) -> (String, String) {
        let name =
            |names: &[String], i: usize| comment_text(names.get(i).map_or("?", String::as_str));
        let wait = if self.asyncio { "await " } else { "" };
        let suffix = if self.asyncio { "_async" } else { "" };
        match *op {
            Op::Compute { bytecodes, .. } => (
                format!("compute(rec, {bytecodes})"),
                format!("compute = {bytecodes}"),
            ),
            Op::Io { duration: d, .. } => (
                format!("{wait}io{suffix}(rec, {})", seconds(d)),
                format!("io = \"{}\"", format_nanos(d)),
            ),
            Op::Sleep(d) => (
                format!("{wait}sleep{suffix}(rec, {})", seconds(d)),
                format!("sleep = \"{}\"", format_nanos(d)),
            ),
            Op::CCall {
                duration,
                releases_gil,
            } => (
                format!(
                    "c_call_{}(rec, {})",
                    if releases_gil { "releasing" } else { "holding" },
                    seconds(duration)
                ),
                format!(
                    "c_call = \"{}\", releases_gil = {releases_gil}",
                    format_nanos(duration)
                ),
            ),
            Op::Increment {
                counter,
                times,
                call_inside,
                shared,
            } => (
                format!(
                    "{}(rec, {times})",
                    Increment::of(call_inside, shared).function(counter)
                ),
                format!(
                    "increment = \"{}\", times = {times}{}{}",
                    name(&self.scenario.counters, counter),
                    if call_inside {
                        ", call_inside = true"
                    } else {
                        ""
                    },
                    if shared { ", shared = true" } else { "" }
                ),
            ),
            Op::Lock(l) => (
                format!("{wait}lock{suffix}(rec, {l})"),
                format!("lock = \"{}\"", name(&self.scenario.locks, l)),
            ),
            Op::Unlock(l) => (
                format!("unlock(rec, {l})"),
                format!("unlock = \"{}\"", name(&self.scenario.locks, l)),
            ),
            Op::Send(bytes) => (format!("send(rec, {bytes})"), format!("send = {bytes}")),
            Op::Offload(bytecodes) if self.asyncio => (
                format!("await offload(rec, {bytecodes})"),
                format!("offload = {bytecodes}"),
            ),
            Op::Offload(bytecodes) => (
                format!("compute(rec, {bytecodes})"),
                format!("offload = {bytecodes}: outside asyncio the function runs inline"),
            ),
            Op::Read { .. } | Op::Mutate { .. } | Op::Collect(_) => self.object_line(op),
            Op::Import {
                module, duration, ..
            } => (
                format!("load_module(rec, {})", seconds(duration)),
                format!(
                    "import = \"{}\": its loading, C work that keeps the GIL",
                    name(&self.scenario.modules, module)
                ),
            ),
        }
    }
}

/// One counter's increment loop: chunks of increments with a stamp after each, like `compute`.
fn increment_loop(counter: usize, kind: Increment, names: &[String]) -> String {
    let function = kind.function(counter);
    let name = name_of(names, counter);
    let (code, doc, setup, body) = match kind {
        Increment::Plain => (
            "R_INCREMENT",
            format!("`increment = \"{name}\"`: `counter += 1`, a load, an add and a store."),
            format!("    global counter_{counter}\n"),
            format!("            counter_{counter} += 1\n"),
        ),
        Increment::Call => (
            "R_INCREMENT_CALL",
            format!(
                "`increment = \"{name}\", call_inside = true`: `counter += one()`, a Python call\n    between the load and the store."
            ),
            format!("    global counter_{counter}\n"),
            format!("            counter_{counter} += one()\n"),
        ),
        Increment::Shared => (
            "R_INCREMENT_SHARED",
            format!(
                "`increment = \"{name}\", shared = true`: a multiprocessing.Value in shared memory,\n    each increment under its lock."
            ),
            format!("    value = SHARED[{counter}]\n    guard = value.get_lock()\n"),
            "            with guard:\n                value.value += 1\n".to_owned(),
        ),
    };
    chunk_loop(&ChunkLoop {
        function: &function,
        argument: "times",
        doc: &doc,
        setup: &setup,
        begin: &format!("{code}, times, {counter}"),
        body: &body,
        tally: &format!("    rec.done[{counter}] += done\n"),
    })
}

/// `compute`: the countdown loop, as many iterations as make the bytecodes.
fn compute_loop() -> String {
    chunk_loop(&ChunkLoop {
        function: "compute",
        argument: "bytecodes",
        doc: "`compute`: the countdown loop `while n > 0: n -= 1`, as many iterations as make the\n    bytecodes (instructions per iteration counted with dis).",
        setup: "    times = max(1, int(round(bytecodes / INSTRUCTIONS['compute'])))\n",
        begin: "R_COMPUTE, times",
        body: "",
        tally: "",
    })
}

/// A bytecode loop of the program: `times` iterations of `body` (and `n -= 1`) in chunks of
/// `CHUNKS[function]` iterations, a stamp after each; the one definition every loop
/// (`compute`, `increment`, `read`, `mutate`) is made from.
struct ChunkLoop<'a> {
    function: &'a str,
    /// The function's second argument (`times`, or `bytecodes` for `compute`).
    argument: &'a str,
    doc: &'a str,
    /// Lines run before the loop (they set `times` where the argument is not it).
    setup: &'a str,
    /// The arguments of `begin` after `rec`: the record code and its arguments.
    begin: &'a str,
    /// The iteration's own lines, indented 12 spaces (the `n -= 1` follows).
    body: &'a str,
    /// Lines run after the loop with `done` set to the iterations made.
    tally: &'a str,
}

fn chunk_loop(l: &ChunkLoop<'_>) -> String {
    let ChunkLoop {
        function,
        argument,
        doc,
        setup,
        begin,
        body,
        tally,
    } = *l;
    format!(
        r#"def {function}(rec, {argument}):
    """{doc}"""
{setup}    begin(rec, {begin})
    buf = rec.buf
    pos = rec.pos
    now = clock
    chunk = CHUNKS['{function}']
    left = times
    while left > 0:
        n = chunk if left > chunk else left
        left -= n
        while n > 0:
{body}            n -= 1
        t = now()
        buf[pos] = t
        pos += 1
        if pos == CAP:
            rec.pos = pos
            rec.flush()
            pos = 0
        if t >= STOP_AT:
            break
    rec.pos = pos
    done = times - left
{tally}    rec.event(R_LOOP_END, done)
    if left:
        raise Stopped()


"#
    )
}
