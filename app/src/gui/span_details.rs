//! The pinned span: a span clicked on the timeline, its thread, state, times, bytecodes and
//! why, kept in the panel beside the timeline until unpinned.

use super::view::{Action, View, ViewCtx};
use crate::timeline::hover::describe_at;

/// The pinned span's details.
#[derive(Debug, Default)]
pub struct SpanDetailsView;

/// The details of the pinned span of `cx`, as a title and lines (what the panel shows).
pub fn details(cx: &ViewCtx<'_>) -> Option<(String, Vec<String>)> {
    let pin = cx.focus.pinned?;
    let run = cx.runs.get(pin.group)?;
    let locks: &[String] = cx.scenario.map_or(&[], |s| s.locks.as_slice());
    // To the nanosecond: a pinned span is read closely.
    let text = describe_at(&run.trace, pin.lane, &pin.span, locks, Some(1.0));
    let mut lines = text.lines;
    if let gilscope_sim::trace::LaneId::Thread(t) = pin.lane {
        lines.extend(crate::timeline::hover::lost_update_at(
            &run.trace,
            t,
            pin.span.start,
        ));
    }
    Some((text.title, lines))
}

impl View for SpanDetailsView {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let Some((title, lines)) = details(cx) else {
            return Vec::new();
        };
        let mut actions = Vec::new();
        ui.horizontal(|ui| {
            ui.strong("Pinned span");
            if ui.small_button("Unpin").clicked() {
                actions.push(Action::PinSpan(None));
            }
        });
        ui.label(egui::RichText::new(title).strong());
        for line in lines {
            ui.add(egui::Label::new(line).wrap());
        }
        actions
    }
}
