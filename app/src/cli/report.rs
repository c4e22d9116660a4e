//! The readable summary `gilscope run` prints.

use gilscope_sim::stats::{Stats, Summary, format_ms};
use gilscope_sim::{RunConfig, Runtime};
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
    let _ = writeln!(
        out,
        "  wall {}   cpu {}   parallelism {:.2}   speedup vs sequential {:.2}×   {:.1} M bytecodes/s",
        format_ms(stats.wall_ms),
        format_ms(stats.cpu_ms),
        stats.parallelism,
        stats.speedup,
        stats.bytecodes_per_s / 1e6
    );
    if stats.interpreters > 1 {
        let kind = if config.runtime == Runtime::Multiprocessing {
            "process"
        } else {
            "subinterpreter"
        };
        let _ = writeln!(
            out,
            "  one GIL per {kind}: {} interpreters never wait for each other's GIL",
            stats.interpreters
        );
    } else if stats.gil_enabled {
        let g = &stats.gil;
        let _ = writeln!(
            out,
            "  GIL held {:.1}%   switches {} ({:.0}/s)   forced {}   drop requests {}",
            g.held_fraction * 100.0,
            g.switches,
            g.switches_per_s,
            g.forced_switches,
            g.drop_requests
        );
        let _ = writeln!(out, "  slices       {}", summary(g.slice_ms));
        let _ = writeln!(out, "  GIL acquire  {}", summary(g.acquire_latency_ms));
    } else {
        let _ = writeln!(
            out,
            "  no GIL: threads run in parallel on up to {} cores",
            stats.cores
        );
    }
    thread_rows(&mut out, stats, config.runtime);
    for c in &stats.counters {
        let _ = writeln!(
            out,
            "  counter {}: expected {}, got {}, lost {}",
            c.name, c.expected, c.actual, c.lost
        );
    }
    for w in &stats.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    out
}

/// One row per thread: time in each state, and its I/O latency and lag.
fn thread_rows(out: &mut String, stats: &Stats, runtime: Runtime) {
    let width = stats
        .threads
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(6);
    let _ = writeln!(
        out,
        "  {:width$}  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  finished",
        "thread", "running", "wait GIL", "forced", "I/O", "C call", "runnable"
    );
    for t in &stats.threads {
        let s = &t.state_ms;
        let _ = writeln!(
            out,
            "  {:width$}  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {}",
            t.name,
            format_ms(s.running),
            format_ms(s.waiting_gil),
            format_ms(s.forced_off),
            format_ms(s.io),
            format_ms(s.c_call),
            format_ms(s.runnable),
            t.finished_ms
                .map_or_else(|| "no (cut at the end)".to_owned(), format_ms)
        );
        if t.io_ops > 0 {
            let _ = writeln!(
                out,
                "  {:width$}  {} I/O ops ({:.0}/s), latency {}",
                "",
                t.io_ops,
                t.io_ops_per_s,
                summary(t.io_latency_ms)
            );
            let lag = if runtime == Runtime::Asyncio {
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
