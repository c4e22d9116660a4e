//! The step bar over the timeline: step back, step, run to the next switch, drop request or
//! lost update, the counter lock of a counter scenario, pinning the view; and under the
//! buttons the step's caption, in `CPython`'s terms, as large as the lane labels.

use super::focus::StepDirection;
use super::stepping::singular;
use super::view::{Action, View, ViewCtx};
use crate::format::instant;
use crate::timeline::TimelineView;
use gilscope_sim::events::{EventKind, caption};

/// The step bar. It keeps nothing of its own: what it shows is the shell's [`super::focus`].
#[derive(Debug, Default)]
pub struct StepBar;

/// The caption of the step's event: "event 12 of 403 at 4.99823 ms: io's wait on `cond` …".
pub fn step_caption(cx: &ViewCtx<'_>) -> Option<String> {
    let event = cx.focus.event?;
    let (log, run) = (cx.logs.first()?, cx.runs.first()?);
    let position = log.position(&event)?;
    let resolution = cx.timeline.width() / 2_000.0;
    Some(format!(
        "event {} of {}{} at {}: {}",
        position + 1,
        log.len(),
        if run.is_over() { "" } else { " so far" },
        instant(event.time as f64, resolution),
        caption(&run.trace, &event)
    ))
}

impl View for StepBar {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
        let Some(run) = cx.runs.first() else {
            return actions;
        };
        let live = cx.settings.live;
        let counters = cx
            .scenario
            .is_some_and(gilscope_sim::Scenario::has_counters);
        let steppable = !live && (!run.is_over() || cx.logs.first().is_some_and(|l| !l.is_empty()));
        let step = |direction, kind: Option<EventKind>| Action::Step { direction, kind };
        ui.horizontal_wrapped(|ui| {
            ui.add_enabled_ui(steppable, |ui| {
                if ui
                    .button("Step back")
                    .on_hover_text("The previous event: the run is replayed from 0 up to it (Left arrow)")
                    .clicked()
                {
                    actions.push(step(StepDirection::Back, None));
                }
                if ui
                    .button("Step forward")
                    .on_hover_text("Pause and go to the next event: centred, highlighted, explained (Right arrow)")
                    .clicked()
                {
                    actions.push(step(StepDirection::Forward, None));
                }
                if ui
                    .button("Next switch")
                    .on_hover_text("Run to the next time a thread takes the GIL (N)")
                    .clicked()
                {
                    actions.push(step(StepDirection::Forward, Some(EventKind::Handoff)));
                }
                if ui
                    .button("Next drop request")
                    .on_hover_text("Run to the next time a waiter asks the holder to drop the GIL (G)")
                    .clicked()
                {
                    actions.push(step(StepDirection::Forward, Some(EventKind::DropRequest)));
                }
                if counters
                    && ui
                        .button("Next lost update")
                        .on_hover_text("The next load of the counter that a stale store later overwrites; the loads and stores are replayed when the run ends, so this runs it to its end (L)")
                        .clicked()
                {
                    actions.push(step(StepDirection::Forward, Some(EventKind::CounterLoad)));
                }
            });
            if counters {
                let mut locked = cx.settings.counter_lock;
                if ui
                    .checkbox(&mut locked, "Lock the counter")
                    .on_hover_text("with counter_lock: around each thread's increment loop (threading.Lock); runs again")
                    .changed()
                {
                    actions.push(Action::SetCounterLock(locked));
                }
            }
            let mut pinned = cx.timeline.pinned;
            if ui
                .toggle_value(&mut pinned, "Pin view")
                .on_hover_text("Keep this range of time when a new run starts, and when stepping")
                .changed()
            {
                actions.push(Action::SetTimelineView(TimelineView {
                    pinned,
                    ..cx.timeline.clone()
                }));
            }
        });
        let font = cx.theme.label_font();
        let big = egui::FontId::new(font.size * 1.1, font.family.clone());
        let text = if let Some(note) = &cx.focus.note {
            egui::RichText::new(note.clone()).italics()
        } else if let Some(kind) = cx.focus.pending.and_then(|p| p.kind) {
            egui::RichText::new(format!("running to the next {}…", singular(kind))).italics()
        } else if let Some(caption) = step_caption(cx) {
            egui::RichText::new(caption)
        } else if live {
            egui::RichText::new("Real threads run in real time: they cannot be stepped.").weak()
        } else {
            egui::RichText::new("Press the right arrow to step through the run one event at a time, the left arrow to step back.").weak()
        };
        ui.add(egui::Label::new(text.font(big)).wrap());
        actions
    }
}
