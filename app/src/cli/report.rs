//! The readable summary `gilscope run` prints.

use crate::format::{count, ms as format_ms, percent, whole};
use gilscope_sim::scenario::MAX_NAME_CHARS;
use gilscope_sim::stats::{Stats, Summary};
use gilscope_sim::{RunConfig, Runtime, ThreadState};
use std::fmt::Write;

fn summary(s: Option<Summary>) -> String {
    s.map_or_else(
        || "—".to_owned(),
        |s| {
            format!(
                "mean {}  p50 {}  p99 {}  max {}",
                format_ms(s.mean),
                format_ms(s.p50),
                format_ms(s.p99),
                format_ms(s.max)
            )
        },
    )
}

/// What observing a real program cost, where the run observed one.
fn observation(out: &mut String, stats: &Stats) {
    if let Some(o) = stats.observation {
        let _ = writeln!(
            out,
            "  observation: a stamp costs {:.0} ns, {} of a compute loop's time (measured by the program before the run)",
            o.stamp_ns,
            percent(o.compute_share)
        );
    }
}

/// A few aligned lines: headline numbers, the GIL, each thread, the counters.
pub fn render(stats: &Stats, config: &RunConfig) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} ({} engine)",
        stats.scenario,
        config.describe(),
        stats.engine
    );
    if stats.interrupted {
        let _ = writeln!(
            out,
            "  interrupted at {}: the numbers below cover only the part that ran",
            format_ms(stats.wall_ms)
        );
    }
    let _ = writeln!(
        out,
        "  wall {}   cpu {}   parallelism {}   speedup vs sequential {}   {:.1} M bytecodes/s",
        format_ms(stats.wall_ms),
        format_ms(stats.cpu_ms),
        stats
            .parallelism
            .map_or_else(|| "—".to_owned(), |p| format!("{p:.2}")),
        stats.speedup.map_or_else(
            || "— (cut before its work could be told apart from its rounding)".to_owned(),
            |x| format!("{x:.2}×")
        ),
        stats.bytecodes_per_s / 1e6
    );
    let _ = writeln!(
        out,
        "  estimated resident memory {:.1} MiB (measured baselines of CPython 3.12–3.13)",
        stats.resident_mib
    );
    observation(&mut out, stats);
    if stats.interpreters > 1 && stats.gil_enabled {
        let kind = stats.runtime.interpreter_kind();
        let _ = writeln!(
            out,
            "  one GIL per {kind}: {} interpreters never wait for each other's GIL",
            stats.interpreters
        );
    } else if stats.gil_enabled {
        let g = &stats.gil;
        // An engine that cannot see drop requests (a real interpreter) leaves them out.
        let seen = |n: u64| {
            if observes_everything(stats) {
                count(n)
            } else {
                "—".to_owned()
            }
        };
        let _ = writeln!(
            out,
            "  GIL held {}   switches {} ({}/s)   forced {}   drop requests {}",
            percent(g.held_fraction),
            count(g.switches),
            whole(g.switches_per_s),
            seen(g.forced_switches),
            seen(g.drop_requests)
        );
        let _ = writeln!(out, "  slices       {}", summary(g.slice_ms));
        let _ = writeln!(out, "  GIL acquire  {}", summary(g.acquire_latency_ms));
    } else {
        let cores = if stats.cores == 1 {
            "no GIL, but one core: the threads take turns on it".to_owned()
        } else {
            format!(
                "no GIL: threads run in parallel on up to {} cores",
                stats.cores
            )
        };
        let _ = writeln!(out, "  {cores}");
    }
    let paused: f64 = stats.threads.iter().map(|t| t.state_ms.paused).sum();
    if stats.contention_ms > 0.0 || paused > 0.0 {
        let _ = writeln!(
            out,
            "  contention for shared objects {} of thread time (running, slowed)   paused by stop-the-world {}",
            format_ms(stats.contention_ms),
            format_ms(paused)
        );
    }
    thread_rows(&mut out, stats);
    counter_lines(&mut out, stats);
    for w in &stats.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    for what in stats.engine.not_observed() {
        let _ = writeln!(out, "  not observed: {what}");
    }
    out
}

/// Each shared counter's line: what it should be, what it is, and what was lost to races, or,
/// where each process counted in its own copy, that the parent's copy is untouched.
fn counter_lines(out: &mut String, stats: &Stats) {
    for c in &stats.counters {
        if stats.in_own_copies(c) {
            let _ = writeln!(
                out,
                "  counter {}: expected {}, got {} in the parent, whose copy is untouched: every increment went to {} ({} missing there, none lost to a race)",
                c.name,
                count(c.expected),
                count(c.actual),
                stats.own_copies(),
                count(c.lost)
            );
        } else {
            let _ = writeln!(
                out,
                "  counter {}: expected {}, got {}, lost {}",
                c.name,
                count(c.expected),
                count(c.actual),
                count(c.lost)
            );
        }
    }
}

/// Whether the engine observes every state and marker (not a real interpreter).
fn observes_everything(stats: &Stats) -> bool {
    stats.engine.not_observed().is_empty()
}

/// One row per thread: time in each state any thread spent time in (named as everywhere
/// else), when it finished, and its I/O latency and lag.
fn thread_rows(out: &mut String, stats: &Stats) {
    // Capped: a longer name just pushes its own row out of line.
    let width = stats
        .threads
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(6, MAX_NAME_CHARS);
    // A state a real interpreter cannot see is shown as "—", not as no time.
    let unseen = |s: ThreadState| {
        !observes_everything(stats) && matches!(s, ThreadState::ForcedOff | ThreadState::Runnable)
    };
    let shown: Vec<ThreadState> = ThreadState::ALL
        .into_iter()
        .filter(|&s| unseen(s) || stats.threads.iter().any(|t| t.state_ms.of(s) > 0.0))
        .collect();
    let column = |text: &str| format!(" {text:>10}");
    let header: String = shown.iter().map(|s| column(s.info().short)).collect();
    let _ = writeln!(out, "  {:width$} {header}  finished", "thread");
    for t in &stats.threads {
        let cells: String = shown
            .iter()
            .map(|&s| {
                if unseen(s) {
                    column("—")
                } else {
                    column(&format_ms(t.state_ms.of(s)))
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "  {:width$} {cells}  {}",
            t.name,
            t.finished_ms
                .map_or_else(|| "no (cut at the end)".to_owned(), format_ms)
        );
        let s = &t.state_ms;
        if s.contended > 0.0 || s.paused > 0.0 || s.collecting > 0.0 {
            let _ = writeln!(
                out,
                "  {:width$}  running slowed by contention {} (lost {}), paused {}, collecting garbage {}",
                "",
                format_ms(s.contended),
                format_ms(t.contention_ms),
                format_ms(s.paused),
                format_ms(s.collecting)
            );
        }
        if t.io_ops > 0 {
            let _ = writeln!(
                out,
                "  {:width$}  {} I/O ops ({}/s), latency {}",
                "",
                count(t.io_ops),
                whole(t.io_ops_per_s),
                summary(t.io_latency_ms)
            );
            let lag = if stats.runtime == Runtime::Asyncio {
                "loop lag"
            } else {
                "runs again"
            };
            let _ = writeln!(
                out,
                "  {:width$}  {lag} after each: {}",
                "",
                summary(t.resume_lag_ms)
            );
        }
    }
}
