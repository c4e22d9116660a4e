//! Stepping through a run for a class (shell code): the next or previous event of run A, or the
//! next of a kind, selected, centred and captioned. A paused, unfinished run is driven by its
//! engine (the next event: run to it; the previous: replay the run from 0 up to it, exact
//! because the simulator is deterministic); a finished run is browsed.

use super::app::GilscopeApp;
use super::focus::{PendingStep, StepDirection};
use super::runner::Command;
use gilscope_sim::events::{EventKind, RunEvent};

/// A step centres its event in a view this many switch intervals wide, when the view is wider
/// (or shows the whole run).
const STEP_VIEW_INTERVALS: u64 = 4;
/// The narrowest view a step centres its event in, ns.
const STEP_VIEW_LEAST: f64 = 20_000.0;
/// A step shows its event in a view this many times the gap to its nearest neighbour (see
/// [`neighbourhood`]), so that a 7 µs handoff and the events around it are seen apart.
const STEP_VIEW_GAPS: f64 = 6.0;
/// Neighbours closer than this (ns) are the same moment on screen: the gap that sets the view
/// is the next one out.
const STEP_GAP_LEAST: f64 = 1_000.0;
/// How many events on each side of a step's event set its view.
const STEP_NEIGHBOURS: usize = 3;

/// The width that shows the event at `at` of `events` with its neighbours apart:
/// [`STEP_VIEW_GAPS`] times the gap to the nearest of the [`STEP_NEIGHBOURS`] events on each
/// side that is at least [`STEP_GAP_LEAST`] away, never under [`STEP_VIEW_LEAST`]; `None`
/// when no neighbour is that far.
fn neighbourhood(events: &[RunEvent], at: usize) -> Option<f64> {
    let t = events.get(at)?.time as f64;
    let from = at.saturating_sub(STEP_NEIGHBOURS);
    let to = (at + STEP_NEIGHBOURS + 1).min(events.len());
    events[from..to]
        .iter()
        .map(|e| (e.time as f64 - t).abs())
        .filter(|&gap| gap >= STEP_GAP_LEAST)
        .min_by(f64::total_cmp)
        .map(|gap| (gap * STEP_VIEW_GAPS).max(STEP_VIEW_LEAST))
}

impl GilscopeApp {
    /// Whether run A can be stepped by its engine: a simulated run that has not ended.
    fn steppable(&self) -> bool {
        self.runs
            .first()
            .is_some_and(|r| !r.is_over() && !r.realtime())
    }

    /// Steps run A to the next or previous event (of `kind`, when given). Pauses the runs.
    pub(super) fn step_event(&mut self, direction: StepDirection, kind: Option<EventKind>) {
        // While a step back replays the run, its log is partial: a step now would count from
        // the wrong place.
        if self.runs.is_empty() || self.focus.replay.is_some() {
            return;
        }
        if self.playing {
            self.playing = false;
            self.runs.iter_mut().for_each(|r| r.send(Command::Pause));
        }
        self.focus.note = None;
        let Some(log) = self.logs.first() else {
            return;
        };
        let wanted = |e: &RunEvent| kind.is_none_or(|k| e.kind == k);
        let current = self.focus.event.and_then(|e| log.position(&e));
        match direction {
            StepDirection::Forward => {
                if let Some(next) = log.next_after(current, wanted) {
                    let event = log.events()[next];
                    self.select_event(event);
                } else if self.steppable() {
                    let after = self.focus.event.map(|e| e.time);
                    self.focus.pending = Some(PendingStep { kind, after });
                    self.runs[0].send(Command::StepEvent { kind, after });
                } else {
                    self.focus.note = Some(nothing_after(kind));
                }
            }
            StepDirection::Back => {
                let before = current.unwrap_or(log.len());
                let Some(previous) = log.previous_before(before, wanted) else {
                    self.focus.note = Some("this is the first event of the run".to_owned());
                    return;
                };
                let event = log.events()[previous];
                let replay = self.steppable() && event.time < self.runs[0].trace.now;
                self.select_event(event);
                if replay {
                    // The run as it was at that event: replayed from 0, deterministically.
                    self.focus.pending = None;
                    self.focus.replay = Some(event.time);
                    self.runs[0].send(Command::ReplayTo(event.time));
                }
            }
        }
    }

    /// Points the classroom views at `event` and centres the timeline on it (unless the view
    /// is pinned), zoomed in to see it and its neighbours apart.
    pub(super) fn select_event(&mut self, event: RunEvent) {
        self.focus.event = Some(event);
        self.focus.pending = None;
        if self.view.pinned {
            return;
        }
        let interval = self.pace_interval();
        // Early in a run, no wider than twice the event's time: centred, not crammed at 0.
        let widest = ((STEP_VIEW_INTERVALS * interval) as f64)
            .min((2.0 * event.time as f64).max(STEP_VIEW_LEAST));
        // Close enough to see the event and its neighbours apart.
        let most = self
            .logs
            .first()
            .and_then(|log| neighbourhood(log.events(), log.position(&event)?))
            .map_or(widest, |w| w.min(widest));
        // The user's zoom stays, unless it is wider than a step shows (or was a step's own).
        let stepped = self.focus.step_width == Some(self.view.width());
        let width = if self.view.whole || stepped || self.view.width() > most {
            most
        } else {
            self.view.width()
        };
        let end = self.runs.first().map_or(0, |r| r.trace.now);
        self.view.centre(event.time as f64, width, end);
        self.focus.step_width = Some(self.view.width());
    }

    /// Once the event a step asked the engine for has arrived, selects it; says so when the
    /// run ended without one.
    pub(super) fn settle_pending_step(&mut self) {
        if let (Some(time), Some(run)) = (self.focus.replay, self.runs.first()) {
            // The replayed trace ends exactly there (the one replaced went further).
            if run.trace.now == time || run.is_over() {
                self.focus.replay = None;
            }
        }
        let Some(PendingStep { kind, after }) = self.focus.pending else {
            return;
        };
        let (Some(log), Some(run)) = (self.logs.first(), self.runs.first()) else {
            return;
        };
        let from = after.map_or(0, |t| log.between(0, t + 1).end);
        let found = log.events()[from..]
            .iter()
            .find(|e| kind.is_none_or(|k| e.kind == k))
            .copied();
        match found {
            Some(event) => self.select_event(event),
            None if run.is_over() => {
                self.focus.pending = None;
                self.focus.note = Some(nothing_after(kind));
            }
            None => {}
        }
    }
}

/// "No further drop request in this run."
fn nothing_after(kind: Option<EventKind>) -> String {
    match kind {
        None => "the run has no further event".to_owned(),
        Some(EventKind::CounterLoad | EventKind::LostUpdate) => {
            "no further lost update in this run".to_owned()
        }
        Some(k) => format!("no further {} in this run", singular(k)),
    }
}

/// "drop request" for [`EventKind::DropRequest`].
pub fn singular(kind: EventKind) -> &'static str {
    match kind {
        EventKind::DropRequest => "drop request",
        EventKind::ForcedSwitch => "forced switch",
        EventKind::Handoff => "GIL handoff",
        EventKind::IoStart => "blocking call",
        EventKind::IoEnd => "return from a blocking call",
        EventKind::LockWait => "lock wait",
        EventKind::LockAcquired => "lock acquired",
        EventKind::LockReleased => "lock released",
        EventKind::FutileWakeup => "futile wake-up",
        EventKind::CounterLoad => "stale load",
        EventKind::LostUpdate => "lost update",
    }
}
