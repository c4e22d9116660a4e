//! Exports: Chrome trace-event JSON (opens in Perfetto and <chrome://tracing>) and stats as CSV.

use crate::size::format_bytes;
use crate::stats::Stats;
use crate::time::{Nanos, format_nanos};
use crate::trace::{LaneId, Marker, MarkerKind, NONE, Span, ThreadState, Trace};
use std::io::{self, Write};

const THREADS_PID: u32 = 1;
const GIL_PID: u32 = 2;
const CORES_PID: u32 = 3;

/// How much of a trace a Chrome-trace export writes, sized before anything is written: all of
/// it, or, when the whole would be larger than the budget, the part of the run before `until`
/// that fits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChromeExport {
    /// Events that start at or after this time are left out; `None` writes them all.
    pub until: Option<Nanos>,
    /// The bytes the export will write, estimated.
    pub bytes: u64,
    /// The bytes the whole trace would take, estimated.
    pub whole_bytes: u64,
    /// The budget it was sized against (`export_budget`).
    pub budget: u64,
    /// How long the run lasted.
    pub run: Nanos,
}

/// Samples per kind of event when estimating their mean size.
const SIZE_SAMPLES: usize = 4096;

impl ChromeExport {
    /// Sizes the export of `trace` against `budget` bytes: the mean size of its span and marker
    /// events is measured on a sample, and the run is cut at the latest time whose events fit.
    pub fn plan(trace: &Trace, budget: u64) -> ChromeExport {
        let writer = EventWriter::new(trace);
        let header = writer.header_bytes();
        let (span_bytes, marker_bytes) = writer.mean_event_bytes();
        let size_until = |until: Nanos| {
            let (spans, markers) = events_before(trace, until);
            header + (spans as f64 * span_bytes + markers as f64 * marker_bytes) as u64
        };
        let whole_bytes = size_until(Nanos::MAX);
        let mut plan = ChromeExport {
            until: None,
            bytes: whole_bytes,
            whole_bytes,
            budget,
            run: trace.now,
        };
        if whole_bytes <= budget {
            return plan;
        }
        // The latest cut that fits: sizes only grow with the cut.
        let (mut fits, mut over) = (0, trace.now.saturating_add(1));
        while over - fits > 1 {
            let mid = fits + (over - fits) / 2;
            if size_until(mid) <= budget {
                fits = mid;
            } else {
                over = mid;
            }
        }
        plan.until = Some(fits);
        plan.bytes = size_until(fits);
        plan
    }

    /// What the user should know when the export is cut, in one sentence.
    pub fn note(&self) -> Option<String> {
        let until = self.until?;
        Some(format!(
            "the trace holds only the first {} of the {} run (about {}): the whole trace would take about {}, more than export_budget ({}); raise the budget (--export-budget) to export it all, or shorten the run (--duration)",
            format_nanos(until),
            format_nanos(self.run),
            format_bytes(self.bytes),
            format_bytes(self.whole_bytes),
            format_bytes(self.budget)
        ))
    }
}

/// Spans (in every lane) and markers that start before `until`.
fn events_before(trace: &Trace, until: Nanos) -> (usize, usize) {
    let spans = trace
        .lane_ids()
        .map(|id| {
            let lane = trace.lane(id);
            lane.spans.partition_point(|s| s.start < until)
                + usize::from(lane.open.is_some_and(|s| s.start < until))
        })
        .sum();
    let markers = trace.markers.partition_point(|m| m.time < until);
    (spans, markers)
}

/// Writes `trace` as Chrome trace-event JSON: one track per thread, the GIL lane and one track
/// per core, with markers as instant events, and the run's description (scenario, engine,
/// settings) under `metadata.gilscope`. Only the part `plan` allows is written; a cut is said
/// under `metadata.gilscope_cut`.
pub fn write_chrome_trace(
    trace: &Trace,
    plan: &ChromeExport,
    out: &mut impl Write,
) -> io::Result<()> {
    let until = plan.until.unwrap_or(Nanos::MAX);
    let writer = EventWriter::new(trace);
    out.write_all(b"{\"displayTimeUnit\":\"ms\",\"metadata\":{\"gilscope\":")?;
    serde_json::to_writer(&mut *out, &trace.meta).map_err(io::Error::other)?;
    if let Some(note) = plan.note() {
        let cut = serde_json::json!({"until_us": us(until), "run_us": us(plan.run), "note": note});
        out.write_all(b",\"gilscope_cut\":")?;
        serde_json::to_writer(&mut *out, &cut).map_err(io::Error::other)?;
    }
    out.write_all(b"},\"traceEvents\":[\n")?;
    writer.track_names(out)?;
    for id in trace.lane_ids() {
        for span in trace
            .lane(id)
            .all(trace.now)
            .take_while(|s| s.start < until)
        {
            writer.span(out, id, &span)?;
        }
    }
    for marker in trace.markers.iter().take_while(|m| m.time < until) {
        writer.marker(out, marker)?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// A JSON string literal, quoted and escaped.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Writes the events of one trace, formatted directly (no intermediate JSON values): names are
/// quoted once, every event after the first track name is preceded by a separator.
struct EventWriter<'a> {
    trace: &'a Trace,
    /// Each thread's name as a JSON string.
    threads: Vec<String>,
    /// Each lock's name as a JSON string fragment, without quotes.
    locks: Vec<String>,
    /// Each state with its JSON name and its label as a JSON string.
    states: Vec<(ThreadState, String, String)>,
}

/// Counts the bytes written through it.
#[derive(Default)]
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> EventWriter<'a> {
    fn new(trace: &'a Trace) -> Self {
        let unquoted = |text: &str| {
            let q = quoted(text);
            q[1..q.len() - 1].to_owned()
        };
        Self {
            trace,
            threads: trace.threads.iter().map(|t| quoted(&t.name)).collect(),
            locks: trace.meta.locks.iter().map(|l| unquoted(l)).collect(),
            states: ThreadState::ALL
                .iter()
                .map(|&s| {
                    let name = serde_json::to_string(&s).unwrap_or_else(|_| "\"\"".to_owned());
                    (s, name, quoted(s.label()))
                })
                .collect(),
        }
    }

    /// A thread's name as a JSON string, `"—"` for none.
    fn thread(&self, id: u32) -> &str {
        self.threads
            .get(id as usize)
            .map_or("\"—\"", String::as_str)
    }

    /// A thread's name inside a JSON string.
    fn thread_inner(&self, id: u32) -> &str {
        let q = self.thread(id);
        &q[1..q.len() - 1]
    }

    fn lock(&self, id: u32) -> String {
        self.locks
            .get(id as usize)
            .map_or_else(|| id.to_string(), |l| format!("\\\"{l}\\\""))
    }

    /// Metadata events naming the processes (threads, GIL, cores) and their tracks; the first
    /// event of the list, so with no separator before it.
    fn track_names(&self, out: &mut dyn Write) -> io::Result<()> {
        let title = quoted(&format!("{}: threads", self.trace.meta.scenario));
        let mut first = true;
        let mut meta = |out: &mut dyn Write, pid: u32, tid: usize, name: &str, args: &str| {
            let sep = if first { "" } else { ",\n" };
            first = false;
            write!(
                out,
                "{sep}{{\"ph\":\"M\",\"pid\":{pid},\"tid\":{tid},\"name\":\"{name}\",\"args\":{args}}}"
            )
        };
        for (pid, name) in [
            (THREADS_PID, title.as_str()),
            (GIL_PID, "\"GIL holder\""),
            (CORES_PID, "\"cores\""),
        ] {
            meta(out, pid, 0, "process_name", &format!("{{\"name\":{name}}}"))?;
            let index = format!("{{\"sort_index\":{pid}}}");
            meta(out, pid, 0, "process_sort_index", &index)?;
        }
        for (i, name) in self.threads.iter().enumerate() {
            meta(
                out,
                THREADS_PID,
                i,
                "thread_name",
                &format!("{{\"name\":{name}}}"),
            )?;
        }
        meta(out, GIL_PID, 0, "thread_name", "{\"name\":\"GIL\"}")?;
        for c in 0..self.trace.cores.len() {
            let name = format!("{{\"name\":\"core {c}\"}}");
            meta(out, CORES_PID, c, "thread_name", &name)?;
        }
        Ok(())
    }

    /// A complete ("X") event for one span; none for a finished thread's idle tail.
    fn span(&self, out: &mut dyn Write, id: LaneId, span: &Span) -> io::Result<()> {
        if span.state == ThreadState::Done {
            return Ok(());
        }
        let Some((_, state, label)) = self.states.iter().find(|(s, _, _)| *s == span.state) else {
            return Ok(());
        };
        let (pid, tid, name) = match id {
            LaneId::Thread(t) => (THREADS_PID, t, label.as_str()),
            LaneId::Gil => (GIL_PID, 0, self.thread(span.other)),
            LaneId::Core(c) => (CORES_PID, c, self.thread(span.other)),
        };
        write!(
            out,
            ",\n{{\"ph\":\"X\",\"pid\":{pid},\"tid\":{tid},\"ts\":{},\"dur\":{},\"name\":{name},\"cat\":\"state\",\"args\":{{\"state\":{state}",
            us(span.start),
            us(span.duration())
        )?;
        if span.bytecodes > 0 {
            write!(out, ",\"bytecodes\":{}", span.bytecodes)?;
        }
        if span.other != NONE && matches!(id, LaneId::Thread(_)) && span.state.other_is_thread() {
            write!(out, ",\"other\":{}", self.thread(span.other))?;
        }
        out.write_all(b"}}")
    }

    /// An instant ("i") event on the track of the thread a marker concerns.
    fn marker(&self, out: &mut dyn Write, m: &Marker) -> io::Result<()> {
        let (name, tid) = match m.kind {
            MarkerKind::DropRequest => (
                format!("drop request from {}", self.thread_inner(m.other)),
                m.thread,
            ),
            MarkerKind::Handoff => (
                format!(
                    "handoff {} → {}",
                    self.thread_inner(m.thread),
                    self.thread_inner(m.other)
                ),
                m.other,
            ),
            MarkerKind::ForcedSwitch => ("forced switch".to_owned(), m.thread),
            MarkerKind::LockAcquired => (format!("acquired lock {}", self.lock(m.other)), m.thread),
            MarkerKind::LockReleased => (format!("released lock {}", self.lock(m.other)), m.thread),
            MarkerKind::LockBlocked => {
                (format!("blocked on lock {}", self.lock(m.other)), m.thread)
            }
            MarkerKind::FutileWakeup => (
                format!(
                    "futile wake-up: the GIL is held by {}",
                    self.thread_inner(m.other)
                ),
                m.thread,
            ),
        };
        if tid == NONE {
            return Ok(());
        }
        write!(
            out,
            ",\n{{\"ph\":\"i\",\"s\":\"t\",\"pid\":{THREADS_PID},\"tid\":{tid},\"ts\":{},\"name\":\"{name}\",\"cat\":\"marker\"}}",
            us(m.time)
        )
    }

    /// The bytes of the parts written once: the header, the run's description, the track names.
    fn header_bytes(&self) -> u64 {
        let meta = serde_json::to_vec(&self.trace.meta).map_or(0, |v| v.len());
        let mut tracks = Counter::default();
        let _ = self.track_names(&mut tracks);
        (meta + tracks.0 + 512) as u64
    }

    /// The mean bytes of one span event and of one marker event, from a sample spread over the
    /// whole trace.
    fn mean_event_bytes(&self) -> (f64, f64) {
        let trace = self.trace;
        let spans: usize = trace
            .lane_ids()
            .map(|id| trace.lane(id).spans.len() + 1)
            .sum();
        let stride = (spans / SIZE_SAMPLES).max(1);
        let mut bytes = Counter::default();
        let mut sampled = 0usize;
        for id in trace.lane_ids() {
            for span in trace.lane(id).all(trace.now).step_by(stride) {
                let _ = self.span(&mut bytes, id, &span);
                sampled += 1;
            }
        }
        let span_mean = if sampled == 0 {
            0.0
        } else {
            bytes.0 as f64 / sampled as f64
        };
        let stride = (trace.markers.len() / SIZE_SAMPLES).max(1);
        let mut bytes = Counter::default();
        let mut sampled = 0usize;
        for marker in trace.markers.iter().step_by(stride) {
            let _ = self.marker(&mut bytes, marker);
            sampled += 1;
        }
        let marker_mean = if sampled == 0 {
            0.0
        } else {
            bytes.0 as f64 / sampled as f64
        };
        (span_mean, marker_mean)
    }
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
        opt(s.parallelism),
        opt(s.speedup),
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
        let plan = ChromeExport::plan(&trace, config.export_budget);
        assert_eq!((plan.until, plan.note()), (None, None));
        let mut buffer = Vec::new();
        write_chrome_trace(&trace, &plan, &mut buffer).unwrap();
        let estimate = plan.bytes as f64 / buffer.len() as f64;
        assert!(
            (0.8..1.25).contains(&estimate),
            "estimated {} of {}",
            plan.bytes,
            buffer.len()
        );
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

    #[test]
    fn an_export_larger_than_the_budget_is_cut_to_fit_and_says_so() {
        let scenario = preset("old-gil").unwrap().unwrap();
        let config = scenario
            .config(&Overrides {
                duration: Some(200 * crate::time::MS),
                ..Overrides::default()
            })
            .unwrap();
        let trace = crate::run::simulate(&scenario, &config).unwrap();
        let budget = 2_000_000;
        let plan = ChromeExport::plan(&trace, budget);
        let until = plan.until.expect("cut");
        assert!(until > 0 && until < trace.now && plan.whole_bytes > budget);
        let note = plan.note().unwrap();
        assert!(
            note.contains("export_budget") && note.contains("--export-budget"),
            "{note}"
        );
        let mut buffer = Vec::new();
        write_chrome_trace(&trace, &plan, &mut buffer).unwrap();
        assert!(
            buffer.len() as u64 <= budget * 11 / 10,
            "{} bytes",
            buffer.len()
        );
        let value: serde_json::Value = serde_json::from_slice(&buffer).unwrap();
        let events = value["traceEvents"].as_array().unwrap();
        let limit = until as f64 / 1000.0;
        assert!(
            events
                .iter()
                .filter_map(|e| e["ts"].as_f64())
                .all(|ts| ts < limit)
        );
        assert!(value["metadata"]["gilscope_cut"]["note"].is_string());
    }
}
