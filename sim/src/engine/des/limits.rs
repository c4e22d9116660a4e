//! The run's limits, checked as it grows: its events (with the increments the counters' replay
//! will go through), its virtual time and its memory (the trace and the counters' log, counted
//! from their storage). A run bounded by a duration is refused early when the growth so far
//! projects far past a limit; the refusal names the setting, its value and the estimate.

use super::SimEngine;
use crate::engine::SimError;
use crate::model::Model;
use crate::size::format_bytes;
use crate::time::{Nanos, format_nanos};

/// How a run passes a limit.
#[derive(Debug, Clone, Copy)]
enum Over {
    /// It has already.
    Now,
    /// At its pace so far it would, by the end of its duration, use this much.
    ByTheEnd(u64),
}

/// Events between two checks of memory and events.
pub(super) const CHECK_EVERY: u64 = 1 << 12;

impl SimEngine {
    /// The next event would be at `time`: refused past `max_virtual_time`.
    pub(super) fn check_virtual_time(&self, time: Nanos) -> Result<(), SimError> {
        let limit = self.config.max_virtual_time;
        if time <= limit {
            return Ok(());
        }
        let running: Vec<&str> = self
            .threads
            .iter()
            .filter(|(t, th)| th.finite && self.trace.threads[t.index()].finished.is_none())
            .map(|(t, _)| self.trace.thread_name(t.id()))
            .take(3)
            .collect();
        Err(SimError::OverLimit {
            setting: "max_virtual_time",
            limit: format_nanos(limit),
            estimate: format!(
                "at {} of virtual time, thread {} has not finished",
                format_nanos(limit),
                running.join(", ")
            ),
            advice: "set a duration to cut the run (duration in [settings], or --duration), or raise the limit (max_virtual_time, --max-virtual-time, at most 86400s)".into(),
        })
    }

    /// Every [`CHECK_EVERY`] events: the events and memory used so far, and where a duration
    /// bounds the run, what the whole run would use at this pace.
    pub(super) fn check_growth(&self) -> Result<(), SimError> {
        let events = self.events_counted();
        let limit = self.config.max_events;
        if let Some(over) = self.over(events, limit) {
            return Err(SimError::OverLimit {
                setting: "max_events",
                limit: limit.to_string(),
                estimate: self.estimate(events, over, |n| format!("{n} events")),
                advice: "shorten the duration or lower the work (repeat counts, increments), or raise the limit (max_events in [settings], or --max-events)".into(),
            });
        }
        let bytes = (self.trace.heap_bytes() + self.race.heap_bytes()) as u64;
        let budget = self.config.memory_budget;
        if let Some(over) = self.over(bytes, budget) {
            return Err(SimError::OverLimit {
                setting: "memory_budget",
                limit: format_bytes(budget),
                estimate: self.estimate(bytes, over, |n| format!("{} of trace", format_bytes(n))),
                advice: format!(
                    "shorten the duration, {}, or raise the budget (memory_budget in [settings], or --memory-budget)",
                    self.fewer_spans()
                ),
            });
        }
        Ok(())
    }

    /// What makes this run record fewer spans: that depends on what switches its threads.
    fn fewer_spans(&self) -> &'static str {
        match self.model {
            Model::OldGil => "raise the check interval (fewer switches to record)",
            Model::FreeThreaded => "use fewer threads",
            Model::NewGil310 | Model::NewGil32 => {
                "raise the switch interval (fewer switches to record)"
            }
        }
    }

    /// At the end, before the counters' replay: refused when its increments pass `max_events`.
    pub(super) fn check_replay(&self) -> Result<(), SimError> {
        let events = self.events_counted();
        let limit = self.config.max_events;
        if events <= limit {
            return Ok(());
        }
        Err(SimError::OverLimit {
            setting: "max_events",
            limit: limit.to_string(),
            estimate: format!(
                "replaying its shared counters takes {} increments, after {} events",
                self.race.increments(),
                self.processed
            ),
            advice: "shorten the duration or lower the increments' times, or raise the limit (max_events in [settings], or --max-events)".into(),
        })
    }

    /// Whether `used` passes `limit`: [`Over::Now`] when it has, [`Over::ByTheEnd`] when a
    /// duration bounds the run, a quarter of the limit is used, and the pace so far reaches
    /// twice the limit by the end.
    fn over(&self, used: u64, limit: u64) -> Option<Over> {
        if used > limit {
            return Some(Over::Now);
        }
        let duration = self.config.duration?;
        if used <= limit / 4 || self.now == 0 {
            return None;
        }
        let projected = u128::from(used) * u128::from(duration) / u128::from(self.now);
        let projected = u64::try_from(projected).unwrap_or(u64::MAX);
        (projected / 2 > limit).then_some(Over::ByTheEnd(projected))
    }

    /// What the run has used by now, and would use by its end, in words.
    fn estimate(&self, used: u64, over: Over, show: impl Fn(u64) -> String) -> String {
        let so_far = format!(
            "it has used {} by {} of virtual time",
            show(used),
            format_nanos(self.now)
        );
        match (over, self.config.duration) {
            (Over::ByTheEnd(total), Some(duration)) => format!(
                "{so_far}, so about {} by the end of its {}",
                show(total),
                format_nanos(duration)
            ),
            _ => so_far,
        }
    }
}
