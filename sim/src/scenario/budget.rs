//! What a run will cost, known before it starts. Each operation's virtual time is computed with
//! checked arithmetic and may be at most a day, so the engine's own arithmetic cannot overflow.
//! A run without a duration lasts until its finite threads end: lower bounds of its virtual time
//! and of its events are refused when over the limits (`max_virtual_time`, `max_events`),
//! before anything is spent.

use super::{Op, Repeat, Scenario, ScenarioError, ThreadGroup};
use crate::engine::increment::PythonLoop;
use crate::engine::object_loop::ObjectLoop;
use crate::engine::runtime::{
    self, PICKLE_FIXED, PICKLE_PS_PER_BYTE, PIPE_FIXED, PIPE_READ_PS_PER_BYTE,
    PIPE_WRITE_PS_PER_BYTE, QUEUE_PUT, SHARED_INCREMENT,
};
use crate::model::{RunConfig, Runtime};
use crate::time::{MAX_DURATION, format_nanos};

/// The least virtual time and events one op costs, in nanoseconds and events.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    /// The op's own time (what may be at most a day).
    own: u128,
    /// With the OS wake-up after it, for a blocking call.
    time: u128,
    events: u128,
}

/// Checks every op and, without a duration, the whole run against the limits of `config`.
pub(super) fn check(scenario: &Scenario, config: &RunConfig) -> Result<(), ScenarioError> {
    let ps = u128::from(config.bytecode_ps());
    let mut slowest: Option<(u128, &ThreadGroup, u128)> = None;
    let mut events: u128 = 0;
    for (g, group) in scenario.groups.iter().enumerate() {
        let mut iteration = Cost::default();
        for (o, op) in group.ops.iter().enumerate() {
            let cost = op_cost(op, config, ps);
            if cost.own > u128::from(MAX_DURATION) {
                let place = scenario.op_places.get(g).and_then(|p| p.get(o)).copied();
                return Err(scenario.error_at(place, too_long(op, group, config, cost.own)));
            }
            iteration.time += cost.time;
            iteration.events += cost.events;
        }
        let Repeat::Times(repeat) = group.repeat else {
            continue;
        };
        let repeat = u128::from(repeat);
        events = events.saturating_add(
            iteration
                .events
                .saturating_mul(repeat)
                .saturating_mul(u128::from(group.count)),
        );
        let last_start = start_of(config, scenario, g);
        let lasts = iteration
            .time
            .saturating_mul(repeat)
            .saturating_add(last_start);
        if slowest.is_none_or(|(t, _, _)| lasts > t) {
            slowest = Some((lasts, group, iteration.time));
        }
    }
    if config.duration.is_some() {
        // The duration bounds the run; the engine checks its events as it goes.
        return Ok(());
    }
    if let Some((lasts, group, each)) = slowest
        && lasts > u128::from(config.max_virtual_time)
    {
        return Err(ScenarioError::Invalid {
            file: scenario.source.clone(),
            message: format!(
                "the run would last at least {} of virtual time (thread group \"{}\": {} × at least {}), more than max_virtual_time allows ({}): set a duration to cut it (duration = \"2s\" in [settings], or --duration 2s), or raise the limit (max_virtual_time, --max-virtual-time, at most 86400s)",
                long_time(lasts),
                group.name,
                repeats(group),
                long_time(each),
                format_nanos(config.max_virtual_time)
            ),
        });
    }
    if events > u128::from(config.max_events) {
        return Err(ScenarioError::Invalid {
            file: scenario.source.clone(),
            message: format!(
                "the run would take at least {} events to simulate (every operation of every repeat is one, and every increment one more), more than max_events allows ({}): lower the repeat counts, set a duration to cut the run, or raise the limit (max_events, --max-events)",
                big(events),
                config.max_events
            ),
        });
    }
    Ok(())
}

/// When the last thread of group `g` starts (and has booted its interpreter).
fn start_of(config: &RunConfig, scenario: &Scenario, g: usize) -> u128 {
    let index: u64 = scenario.groups[..=g]
        .iter()
        .map(|g| u64::from(g.count))
        .sum();
    let (start, boot) = runtime::start_plan(config, index.saturating_sub(1));
    u128::from(start) + u128::from(boot)
}

/// The least virtual time and events of `op` under `config` (`ps`: picoseconds a bytecode).
fn op_cost(op: &Op, config: &RunConfig, ps: u128) -> Cost {
    let separate = runtime::one_interpreter_per_thread(config);
    let task = config.runtime == Runtime::Asyncio;
    // A thread woken from a blocking call waits at least the least OS wake-up latency.
    let wake = if task {
        0
    } else {
        u128::from(config.wake_distribution().least())
    };
    let own = match *op {
        Op::Compute { bytecodes, .. } | Op::Offload(bytecodes) => u128::from(bytecodes) * ps / 1000,
        Op::Increment {
            times,
            call_inside,
            shared,
            ..
        } => {
            let body = PythonLoop::increment(config.python, call_inside).body;
            let locked = if shared && separate {
                u128::from(times) * u128::from(SHARED_INCREMENT)
            } else {
                0
            };
            u128::from(times) * u128::from(body) * ps / 1000 + locked
        }
        Op::Read { .. } | Op::Mutate { .. } => ObjectLoop::of(op, config.python).map_or(0, |l| {
            u128::from(l.times) * u128::from(l.body()) * ps / 1000
        }),
        Op::Io { duration: d, .. } | Op::Sleep(d) | Op::Collect(d) => u128::from(d),
        Op::CCall { duration, .. } | Op::Import { duration, .. } => u128::from(duration),
        Op::Send(bytes) => {
            let bytes = u128::from(bytes);
            let pickle = u128::from(PICKLE_FIXED) + bytes * u128::from(PICKLE_PS_PER_BYTE) / 1000;
            match config.runtime {
                Runtime::Multiprocessing | Runtime::Pool | Runtime::ProcessPool => {
                    let copies = u128::from(PIPE_WRITE_PS_PER_BYTE + PIPE_READ_PS_PER_BYTE);
                    pickle + u128::from(PIPE_FIXED) + bytes * copies / 1000
                }
                Runtime::Subinterpreters => pickle,
                Runtime::Threads | Runtime::Asyncio | Runtime::ThreadPool => u128::from(QUEUE_PUT),
            }
        }
        Op::Lock(_) | Op::Unlock(_) => 0,
    };
    // A blocking call is followed by the thread's wake-up.
    let blocks = matches!(op, Op::Io { .. } | Op::Sleep(_))
        || matches!(op, Op::Send(_) if config.runtime.uses_processes());
    let time = own + if blocks { wake } else { 0 };
    // Each op but a lock's is at least one event; each increment is one more, replayed at the
    // end to find the counter's value.
    let events = match *op {
        Op::Lock(_) | Op::Unlock(_) => 0,
        Op::Increment { times, .. } => 1 + u128::from(times),
        _ => 1,
    };
    Cost { own, time, events }
}

/// The refusal of one op that would take more than a day.
fn too_long(op: &Op, group: &ThreadGroup, config: &RunConfig, time: u128) -> String {
    let what = match *op {
        Op::Compute { bytecodes, .. } => format!(
            "compute = {bytecodes} at bytecode_ns = {} ({} a bytecode with this build)",
            config.bytecode_ns,
            format_nanos(config.bytecode_ps() / 1000)
        ),
        Op::Offload(bytecodes) => format!(
            "offload = {bytecodes} at bytecode_ns = {}",
            config.bytecode_ns
        ),
        Op::Increment { times, .. } => format!(
            "increment with times = {times} at bytecode_ns = {}",
            config.bytecode_ns
        ),
        Op::Send(bytes) => format!(
            "send = {bytes} (bytes) under runtime \"{}\"",
            config.runtime
        ),
        _ => "this operation".to_owned(),
    };
    format!(
        "thread group \"{}\": {what} takes {} of virtual time, and one operation may take at most one day (86400s): make it smaller",
        group.name,
        long_time(time)
    )
}

/// A lower bound of a duration that may exceed what a `u64` of nanoseconds holds (584 years).
fn long_time(nanos: u128) -> String {
    u64::try_from(nanos).map_or_else(|_| "584 years".to_owned(), format_nanos)
}

/// How many times a group runs its ops, in words.
fn repeats(group: &ThreadGroup) -> String {
    match group.repeat {
        Repeat::Times(n) => format!("{n} repeats"),
        Repeat::Forever => "forever".to_owned(),
    }
}

/// A count too large to read digit by digit: `9.2e18`.
fn big(n: u128) -> String {
    if n < 1_000_000_000 {
        n.to_string()
    } else {
        format!("{:.1e}", n as f64)
    }
}
