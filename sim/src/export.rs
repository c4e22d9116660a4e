//! Exports: Chrome trace-event JSON (opens in Perfetto and <chrome://tracing>) and stats as CSV.

use crate::stats::Stats;
use crate::trace::{LaneId, Marker, MarkerKind, NONE, Span, ThreadState, Trace};
use serde_json::json;
use std::io::{self, Write};

const THREADS_PID: u32 = 1;
const GIL_PID: u32 = 2;
const CORES_PID: u32 = 3;

/// Writes `trace` as Chrome trace-event JSON: one track per thread, the GIL lane and one track
/// per core, with markers as instant events, and the run's description (scenario, engine,
/// settings) under `metadata.gilscope`.
pub fn write_chrome_trace(trace: &Trace, out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"{\"displayTimeUnit\":\"ms\",\"metadata\":{\"gilscope\":")?;
    serde_json::to_writer(&mut *out, &trace.meta).map_err(io::Error::other)?;
    out.write_all(b"},\"traceEvents\":[\n")?;
    let mut first = true;
    let mut emit = |out: &mut dyn Write, value: &serde_json::Value| -> io::Result<()> {
        if !first {
            out.write_all(b",\n")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, value).map_err(io::Error::other)
    };
    for event in track_names(trace) {
        emit(out, &event)?;
    }
    for id in trace.lane_ids() {
        for span in trace.lane(id).all(trace.now) {
            if let Some(event) = span_event(trace, id, &span) {
                emit(out, &event)?;
            }
        }
    }
    for marker in &trace.markers {
        if let Some(event) = marker_event(trace, marker) {
            emit(out, &event)?;
        }
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// Metadata events naming the processes (threads, GIL, cores) and their tracks.
fn track_names(trace: &Trace) -> Vec<serde_json::Value> {
    let title = &trace.meta.scenario;
    let mut events = Vec::new();
    for (pid, name) in [
        (THREADS_PID, format!("{title}: threads")),
        (GIL_PID, "GIL holder".to_owned()),
        (CORES_PID, "cores".to_owned()),
    ] {
        events.push(json!({"ph": "M", "pid": pid, "tid": 0, "name": "process_name", "args": {"name": name}}));
        events.push(json!({"ph": "M", "pid": pid, "tid": 0, "name": "process_sort_index", "args": {"sort_index": pid}}));
    }
    for (i, info) in trace.threads.iter().enumerate() {
        events.push(json!({"ph": "M", "pid": THREADS_PID, "tid": i, "name": "thread_name", "args": {"name": info.name}}));
    }
    events.push(json!({"ph": "M", "pid": GIL_PID, "tid": 0, "name": "thread_name", "args": {"name": "GIL"}}));
    for c in 0..trace.cores.len() {
        events.push(json!({"ph": "M", "pid": CORES_PID, "tid": c, "name": "thread_name", "args": {"name": format!("core {c}")}}));
    }
    events
}

/// A complete ("X") event for one span; none for a finished thread's idle tail.
fn span_event(trace: &Trace, id: LaneId, span: &Span) -> Option<serde_json::Value> {
    if span.state == ThreadState::Done {
        return None;
    }
    let (pid, tid, name) = match id {
        LaneId::Thread(t) => (THREADS_PID, t, span.state.label().to_owned()),
        LaneId::Gil => (GIL_PID, 0, trace.thread_name(span.other).to_owned()),
        LaneId::Core(c) => (CORES_PID, c, trace.thread_name(span.other).to_owned()),
    };
    let mut args = json!({"state": span.state});
    if span.bytecodes > 0 {
        args["bytecodes"] = json!(span.bytecodes);
    }
    if span.other != NONE && matches!(id, LaneId::Thread(_)) && span.state.other_is_thread() {
        args["other"] = json!(trace.thread_name(span.other));
    }
    Some(
        json!({"ph": "X", "pid": pid, "tid": tid, "ts": us(span.start), "dur": us(span.duration()), "name": name, "cat": "state", "args": args}),
    )
}

/// An instant ("i") event on the track of the thread a marker concerns.
fn marker_event(trace: &Trace, m: &Marker) -> Option<serde_json::Value> {
    let (name, tid) = match m.kind {
        MarkerKind::DropRequest => (
            format!("drop request from {}", trace.thread_name(m.other)),
            m.thread,
        ),
        MarkerKind::Handoff => (
            format!(
                "handoff {} → {}",
                trace.thread_name(m.thread),
                trace.thread_name(m.other)
            ),
            m.other,
        ),
        MarkerKind::ForcedSwitch => ("forced switch".to_owned(), m.thread),
        MarkerKind::LockAcquired => (format!("acquired lock {}", m.other), m.thread),
        MarkerKind::LockReleased => (format!("released lock {}", m.other), m.thread),
        MarkerKind::LockBlocked => (format!("blocked on lock {}", m.other), m.thread),
        MarkerKind::FutileWakeup => (
            format!(
                "futile wake-up: the GIL is held by {}",
                trace.thread_name(m.other)
            ),
            m.thread,
        ),
    };
    (tid != NONE).then(|| json!({"ph": "i", "s": "t", "pid": THREADS_PID, "tid": tid, "ts": us(m.time), "name": name, "cat": "marker"}))
}

/// The CSV header of [`stats_csv_row`].
pub const STATS_CSV_HEADER: &str = "scenario,engine,python,free_threaded,gil_enabled,switch_interval_us,cores,seed,wall_ms,bytecodes,cpu_ms,parallelism,speedup,switches,forced_switches,drop_requests,switches_per_s,held_fraction,slice_p50_ms,slice_p99_ms,io_ops,io_latency_mean_ms,io_latency_p50_ms,io_latency_p99_ms,bytecodes_per_s,lost_updates,handoff_ms";

/// One CSV row of the headline stats (see [`STATS_CSV_HEADER`]).
pub fn stats_csv_row(s: &Stats) -> String {
    let io = s.io_latency();
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.6}"));
    let quoted = format!("\"{}\"", s.scenario.replace('"', "\"\""));
    [
        quoted,
        s.engine.to_string(),
        s.python.to_string(),
        s.free_threaded.to_string(),
        s.gil_enabled.to_string(),
        s.switch_interval_us.to_string(),
        s.cores.to_string(),
        s.seed.to_string(),
        format!("{:.6}", s.wall_ms),
        s.bytecodes.to_string(),
        format!("{:.6}", s.cpu_ms),
        format!("{:.6}", s.parallelism),
        format!("{:.6}", s.speedup),
        s.gil.switches.to_string(),
        s.gil.forced_switches.to_string(),
        s.gil.drop_requests.to_string(),
        format!("{:.3}", s.gil.switches_per_s),
        format!("{:.6}", s.gil.held_fraction),
        opt(s.gil.slice_ms.map(|x| x.p50)),
        opt(s.gil.slice_ms.map(|x| x.p99)),
        s.threads.iter().map(|t| t.io_ops).sum::<u64>().to_string(),
        opt(io.map(|x| x.mean)),
        opt(io.map(|x| x.p50)),
        opt(io.map(|x| x.p99)),
        format!("{:.1}", s.bytecodes_per_s),
        s.counters.iter().map(|c| c.lost).sum::<u64>().to_string(),
        format!("{:.6}", s.gil.handoff_ms),
    ]
    .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Overrides;
    use crate::presets::preset;

    #[test]
    fn chrome_trace_is_valid_json_with_every_track() {
        let scenario = preset("convoy").unwrap().unwrap();
        let config = scenario
            .config(&Overrides {
                duration: Some(20_000_000),
                ..Overrides::default()
            })
            .unwrap();
        let trace = crate::run::simulate(&scenario, &config).unwrap();
        let mut buffer = Vec::new();
        write_chrome_trace(&trace, &mut buffer).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&buffer).unwrap();
        let events = value["traceEvents"].as_array().unwrap();
        let names: Vec<&str> = events
            .iter()
            .filter(|e| e["name"] == "thread_name")
            .filter_map(|e| e["args"]["name"].as_str())
            .collect();
        assert!(
            names.contains(&"busy")
                && names.contains(&"io")
                && names.contains(&"GIL")
                && names.contains(&"core 1"),
            "{names:?}"
        );
        assert!(events.iter().any(|e| e["ph"] == "X" && e["pid"] == GIL_PID));
        assert!(events.iter().any(|e| e["ph"] == "i"));
        let meta = &value["metadata"]["gilscope"];
        assert_eq!(meta["scenario"], scenario.name.as_str());
        assert_eq!(meta["engine"], "sim");
        assert_eq!(meta["config"]["switch_interval_us"], 5000);
        assert_eq!(meta["groups"], serde_json::json!(["busy", "io"]));
    }

    #[test]
    fn csv_row_matches_header() {
        let scenario = preset("cpu-bound").unwrap().unwrap();
        let config = scenario.config(&Overrides::default()).unwrap();
        let trace = crate::run::simulate(&scenario, &config).unwrap();
        let row = stats_csv_row(&Stats::compute(&trace));
        assert_eq!(row.split(',').count(), STATS_CSV_HEADER.split(',').count());
    }
}
