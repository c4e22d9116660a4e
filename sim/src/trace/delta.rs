//! Streaming a trace to a viewer: the part new since the last delta, and the cursor that
//! remembers what was sent.

use super::{CounterResult, LaneId, Marker, NewSpans, Span, StaleStore, ThreadInfo, Trace};
use crate::time::Nanos;

/// The part of a trace that is new since the last delta: for streaming a run to a viewer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceDelta {
    /// New closed spans and the current open span, per lane (threads, GIL, cores).
    pub lanes: Vec<LaneDelta>,
    /// New markers.
    pub markers: Vec<Marker>,
    /// Thread infos (lifetimes change as the run goes).
    pub threads: Vec<ThreadInfo>,
    /// How far the trace reaches.
    pub now: Nanos,
    /// Counter results, once known.
    pub counters: Option<Vec<CounterResult>>,
    /// The stale stores, once known (with the counters).
    pub stale_stores: Option<Vec<StaleStore>>,
    /// New warnings.
    pub warnings: Vec<(Nanos, String)>,
    /// Whether the run has ended.
    pub finished: bool,
    /// What observing the run costs, once a real program has measured it.
    pub observation: Option<crate::meta::Observation>,
}

/// One lane's part of a [`TraceDelta`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaneDelta {
    /// The spans closed since the last delta (full chunks shared with the source).
    pub spans: NewSpans,
    /// The span in progress, its `end` the trace's `now`.
    pub open: Option<Span>,
}

/// Remembers how much of a trace has been sent as deltas.
#[derive(Debug, Clone, Default)]
pub struct DeltaCursor {
    spans: Vec<usize>,
    markers: usize,
    warnings_done: usize,
}

impl DeltaCursor {
    /// Everything in `trace` not yet taken through this cursor.
    pub fn take(&mut self, trace: &Trace) -> TraceDelta {
        let ids: Vec<LaneId> = trace.lane_ids().collect();
        self.spans.resize(ids.len(), 0);
        let lanes = ids
            .iter()
            .zip(self.spans.iter_mut())
            .map(|(&id, sent)| {
                let lane = trace.lane(id);
                let new = lane.spans.since(*sent);
                *sent = lane.spans.len();
                LaneDelta {
                    spans: new,
                    open: lane.open.map(|mut s| {
                        s.end = trace.now;
                        s
                    }),
                }
            })
            .collect();
        let markers = trace.markers[self.markers.min(trace.markers.len())..].to_vec();
        self.markers = trace.markers.len();
        let warnings = trace.warnings[self.warnings_done.min(trace.warnings.len())..].to_vec();
        self.warnings_done = trace.warnings.len();
        TraceDelta {
            warnings,
            lanes,
            markers,
            threads: trace.threads.clone(),
            now: trace.now,
            counters: trace.finished.then(|| trace.counters.clone()),
            stale_stores: trace.finished.then(|| trace.stale_stores.clone()),
            finished: trace.finished,
            observation: trace.meta.observation,
        }
    }
}
