//! Rebuilds a [`Trace`] from a program's stamp stream, as it arrives.
//!
//! Batches of different lanes arrive out of time order (each lane flushes its own buffer), so
//! records are held until no lane can still send an earlier one: the *watermark* is the
//! earliest time a lane's next record can have — its last record's time, or for a lane asleep
//! in `io`/`sleep` that call's nominal end (such calls never return early), or for a lane
//! blocked on a lock the lock's last release; an idle executor thread and a finished lane do
//! not hold it back. Records before the watermark are processed in time order, once, so what
//! the live view has been given is final. How records become states is in [`infer`].

mod infer;

use super::wire::{Batch, BatchReader, Calibration, Code, Hello, LaneRole, Meta, Record};
use crate::meta::RunMeta;
use crate::model::RunConfig;
use crate::time::Nanos;
use crate::trace::{CounterResult, ThreadInfo, Trace};
use infer::Inference;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::Read;

/// A record of one lane, its time in nanoseconds since the run's start.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Timed {
    t: Nanos,
    record: Record,
}

/// The earliest time a lane's next record can have.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    /// At or after this time.
    At(Nanos),
    /// Blocked on a lock since this time: not before the lock's next release.
    Lock(Nanos, usize),
    /// No bound: finished, or an executor thread waiting for a job (a job starts after a task
    /// submits it, and that task's lane bounds the watermark).
    Free,
}

/// One lane: what has arrived, and where its processing stands.
#[derive(Debug, Clone)]
struct LaneState {
    pending: VecDeque<Timed>,
    received: Nanos,
    bound: Bound,
}

/// Turns a stamp stream into a trace.
#[derive(Debug, Clone)]
pub struct Reconstructor {
    expected: Option<Vec<(String, usize, LaneRole)>>,
    hello: Option<Hello>,
    calibration: Option<Calibration>,
    t0: Option<f64>,
    end: Option<(Nanos, String)>,
    /// Records after this are past the run's end: its deadline, or the end of its last finite
    /// lane (the program may still be stopping its other lanes).
    limit: Nanos,
    /// Lanes that must end before the run does, not yet ended.
    finite_left: Vec<bool>,
    final_counters: Option<Vec<i64>>,
    errors: Vec<String>,
    lanes: Vec<LaneState>,
    last_unlock: Vec<Nanos>,
    infer: Inference,
    complete: bool,
    meta: RunMeta,
}

fn seconds_ns(seconds: f64) -> Nanos {
    (seconds.max(0.0) * 1e9).round() as Nanos
}

impl Reconstructor {
    /// A reconstructor for a program with these lanes (the trace has them from the start; the
    /// stream's own description must match). `None`: take the lanes from the stream.
    pub fn new(meta: RunMeta, lanes: Option<Vec<(String, usize, LaneRole)>>) -> Self {
        let mut reconstructor = Self {
            meta: meta.clone(),
            expected: lanes.clone(),
            hello: None,
            calibration: None,
            t0: None,
            end: None,
            limit: Nanos::MAX,
            finite_left: Vec::new(),
            final_counters: None,
            errors: Vec::new(),
            lanes: Vec::new(),
            last_unlock: Vec::new(),
            infer: Inference::new(Trace::new(meta, Vec::new(), 0), Vec::new()),
            complete: false,
        };
        if let Some(lanes) = lanes {
            reconstructor.set_lanes(&lanes);
        }
        reconstructor
    }

    fn set_lanes(&mut self, lanes: &[(String, usize, LaneRole)]) {
        let infos = lanes
            .iter()
            .map(|(name, group, _)| ThreadInfo::new(name.clone(), *group))
            .collect();
        // Which core ran what is not observed: no core lanes.
        let roles = lanes.iter().map(|&(_, _, role)| role).collect();
        self.infer = Inference::new(Trace::new(self.meta.clone(), infos, 0), roles);
        self.lanes = lanes
            .iter()
            .map(|&(_, _, role)| LaneState {
                pending: VecDeque::new(),
                received: 0,
                bound: if role == LaneRole::Executor {
                    Bound::Free
                } else {
                    Bound::At(0)
                },
            })
            .collect();
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.infer.trace
    }

    /// The trace, taken out.
    pub fn into_trace(self) -> Trace {
        self.infer.trace
    }

    /// The trace, taken out, leaving an empty one of the same run.
    pub fn take_trace(&mut self) -> Trace {
        let empty = self.infer.trace.placeholder();
        std::mem::replace(&mut self.infer.trace, empty)
    }

    /// Sets the settings the trace describes (the run's achieved speed, once measured).
    pub fn set_config(&mut self, config: RunConfig) {
        self.meta.config = config.clone();
        self.infer.trace.meta.config = config;
    }

    /// What the interpreter said about itself, once it has.
    pub fn hello(&self) -> Option<&Hello> {
        self.hello.as_ref()
    }

    /// What the program measured before the run, once known.
    pub fn calibration(&self) -> Option<&Calibration> {
        self.calibration.as_ref()
    }

    /// Failures the program reported (tracebacks), in order.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Why the run ended (`finished`, `duration`, `failed`), once the program has said so.
    pub fn end_reason(&self) -> Option<&str> {
        self.end.as_ref().map(|(_, reason)| reason.as_str())
    }

    /// Takes one batch in. Fails when the stream contradicts itself or the program.
    pub fn push(&mut self, batch: Batch) -> Result<(), String> {
        match batch {
            Batch::Meta { meta, .. } => self.meta(meta),
            Batch::Records { lane, records } => self.records(lane, &records),
        }
    }

    fn meta(&mut self, meta: Meta) -> Result<(), String> {
        match meta {
            Meta::Hello(hello) => {
                let lanes: Vec<(String, usize, LaneRole)> = hello.lanes.clone();
                match &self.expected {
                    Some(expected) if *expected != lanes => {
                        return Err(format!(
                            "the program describes lanes {lanes:?}, not the scenario's {expected:?}"
                        ));
                    }
                    Some(_) => {}
                    None => self.set_lanes(&lanes),
                }
                self.infer.configure(&hello);
                self.last_unlock = vec![0; hello.locks.len()];
                self.hello = Some(*hello);
            }
            Meta::Calibration(calibration) => {
                self.infer.calibrate(&calibration);
                let observation = calibration.loops.get("compute").and_then(|l| {
                    Some(crate::meta::Observation {
                        stamp_ns: l.stamp_ns?,
                        compute_share: l.overhead?,
                    })
                });
                self.meta.observation = observation;
                self.infer.trace.meta.observation = observation;
                self.calibration = Some(calibration);
            }
            Meta::Start {
                t,
                stop_at,
                forever,
            } => {
                self.t0 = Some(t);
                if let Some(deadline) = stop_at {
                    self.limit = seconds_ns(deadline - t);
                }
                self.finite_left = forever.iter().map(|f| !f).collect();
            }
            Meta::Error { lane, text } => {
                let name = lane
                    .and_then(|l| self.trace().threads.get(usize::from(l)))
                    .map(|t| format!("lane \"{}\": ", t.name))
                    .unwrap_or_default();
                self.errors.push(format!("{name}{}", text.trim_end()));
            }
            Meta::End {
                t,
                reason,
                counters,
            } => {
                let t0 = self.t0.ok_or("the run ended before it started")?;
                self.end = Some((seconds_ns(t - t0).min(self.limit), reason));
                self.final_counters = Some(counters);
            }
            Meta::Truncated { truncated } => self.errors.push(format!(
                "a message of {truncated} bytes from the program was too long to pass on"
            )),
        }
        Ok(())
    }

    fn records(&mut self, lane: u16, records: &[Record]) -> Result<(), String> {
        let (Some(t0), Some(_)) = (self.t0, &self.hello) else {
            return Err("stamps arrived before the program announced its start".to_owned());
        };
        let count = self.lanes.len();
        let state = self
            .lanes
            .get_mut(usize::from(lane))
            .ok_or_else(|| format!("stamps of lane {lane}, but the program has {count} lanes"))?;
        for &record in records {
            let t = seconds_ns(record.time() - t0).max(state.received);
            state.received = t;
            state.bound = match record {
                Record::Chunk(_) => Bound::At(t),
                Record::Event { code, a, .. } => match code {
                    Code::Io | Code::Sleep => Bound::At(t + seconds_ns(a)),
                    Code::LockWait => Bound::Lock(t, a as usize),
                    Code::Idle | Code::ThreadEnd => Bound::Free,
                    Code::Unlock => {
                        if let Some(last) = self.last_unlock.get_mut(a as usize) {
                            *last = (*last).max(t);
                        }
                        Bound::At(t)
                    }
                    _ => Bound::At(t),
                },
            };
            state.pending.push_back(Timed { t, record });
        }
        Ok(())
    }

    /// The watermark: every record before it has arrived.
    fn watermark(&self) -> Nanos {
        if self.complete || self.end.is_some() {
            return Nanos::MAX;
        }
        self.lanes
            .iter()
            .map(|lane| match lane.bound {
                Bound::At(t) => t,
                Bound::Lock(t, lock) => t.max(self.last_unlock.get(lock).copied().unwrap_or(0)),
                Bound::Free => Nanos::MAX,
            })
            .min()
            .unwrap_or(0)
    }

    /// Processes every record before the watermark, in time order.
    pub fn advance(&mut self) {
        let watermark = self.watermark();
        let mut heap: BinaryHeap<Reverse<(Nanos, usize)>> = self
            .lanes
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.pending.front().map(|r| Reverse((r.t, i))))
            .collect();
        while let Some(Reverse((t, lane))) = heap.pop() {
            if t >= watermark && watermark != Nanos::MAX {
                break;
            }
            let Some(timed) = self.lanes[lane].pending.pop_front() else {
                continue;
            };
            if timed.t <= self.limit {
                self.infer.process(lane, timed.t, timed.record);
                if let Record::Event {
                    code: Code::ThreadEnd,
                    ..
                } = timed.record
                {
                    self.lane_ended(lane, timed.t);
                }
            }
            if let Some(next) = self.lanes[lane].pending.front() {
                heap.push(Reverse((next.t, lane)));
            }
        }
        if watermark != Nanos::MAX {
            let reach = self.lanes.iter().map(|l| l.received).max().unwrap_or(0);
            let trace = &mut self.infer.trace;
            trace.now = trace.now.max(watermark.min(reach));
        }
    }

    /// A finite lane's end may be the run's.
    fn lane_ended(&mut self, lane: usize, t: Nanos) {
        let Some(left) = self.finite_left.get_mut(lane) else {
            return;
        };
        *left = false;
        if !self.finite_left.iter().any(|&l| l) {
            self.limit = self.limit.min(t);
            if let Some((end, _)) = self.end.as_mut() {
                *end = (*end).min(t);
            }
        }
    }

    /// The stream is over (the program ended, or was stopped): processes what is left and
    /// closes the trace at the run's end, or where the observation stops.
    pub fn finish(&mut self) {
        self.complete = true;
        self.advance();
        let end = self
            .end
            .as_ref()
            .map_or(self.infer.trace.now.min(self.limit), |(t, _)| *t);
        let increments = self.infer.increments.clone();
        let names = self
            .hello
            .as_ref()
            .map(|h| h.counters.clone())
            .unwrap_or_default();
        let trace = &mut self.infer.trace;
        if let Some(actual) = &self.final_counters {
            trace.counters = names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let expected = increments.get(i).copied().unwrap_or(0);
                    let actual = actual.get(i).copied().unwrap_or(0).max(0) as u64;
                    CounterResult {
                        name: name.clone(),
                        expected,
                        actual,
                        lost: expected.saturating_sub(actual),
                    }
                })
                .collect();
        }
        trace.close(end);
    }
}

/// A recorded stream, replayed: the trace rebuilt from it and, if the stream was damaged, why
/// it stops where it does (the trace then holds what came before).
#[derive(Debug, Clone)]
pub struct Replay {
    /// The reconstruction, finished.
    pub reconstructor: Reconstructor,
    /// Why the stream could not be read to its end, if it could not.
    pub error: Option<String>,
}

/// Rebuilds the trace of a recorded stamp stream (what the program, run by hand with a file
/// name, writes there); `meta` is the run the trace will say it describes.
pub fn replay(source: impl Read, meta: RunMeta) -> Replay {
    let mut reader = BatchReader::new(source);
    let mut reconstructor = Reconstructor::new(meta, None);
    let mut error = None;
    loop {
        match reader.next_batch() {
            Ok(Some(batch)) => {
                if let Err(e) = reconstructor.push(batch) {
                    error = Some(e);
                    break;
                }
                reconstructor.advance();
            }
            Ok(None) => break,
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    reconstructor.finish();
    Replay {
        reconstructor,
        error,
    }
}
