//! What the classroom views point at together, kept by the shell and changed through
//! [`super::view::Action`]s: the step's event (the step bar, the event log and the timeline
//! show the same one), a step waiting for the engine, a selected time range, a pinned span,
//! and the lanes hidden or pinned.

use crate::timeline::{LaneChoice, PinnedSpan};
use gilscope_sim::Nanos;
use gilscope_sim::events::{EventKind, RunEvent};

/// A step sent to the engine: once the next event of `kind` after `after` has arrived, it is
/// selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingStep {
    /// The kind asked for (`None`: any event).
    pub kind: Option<EventKind>,
    /// Events at or before this time do not count (`None`: from the start).
    pub after: Option<Nanos>,
}

/// Which way a step goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepDirection {
    /// To the next event.
    Forward,
    /// To the previous event (replaying the run up to it while it is unfinished).
    Back,
}

/// The shared pointers of the classroom views, for run A.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Focus {
    /// The step's event.
    pub event: Option<RunEvent>,
    /// A step waiting for the engine.
    pub pending: Option<PendingStep>,
    /// A step back replaying the run from 0 up to this time: until it has, the event log is
    /// being rebuilt, and further steps wait.
    pub replay: Option<Nanos>,
    /// Why the last step found nothing ("no further drop request in this run").
    pub note: Option<String>,
    /// The width the last step gave the view, ns: while the user has not zoomed since, the
    /// next step may widen it again.
    pub step_width: Option<f64>,
    /// A selected time range, ns.
    pub selection: Option<(Nanos, Nanos)>,
    /// A span whose details are pinned.
    pub pinned: Option<PinnedSpan>,
    /// Lanes hidden or pinned to the top.
    pub lanes: LaneChoice,
}

impl Focus {
    /// A new run: the events, the selection and the pin belonged to the old one (the lanes
    /// chosen stay).
    pub fn new_run(&mut self) {
        let lanes = std::mem::take(&mut self.lanes);
        *self = Focus {
            lanes,
            ..Focus::default()
        };
    }
}
