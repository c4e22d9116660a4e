//! The help overlay: every keyboard shortcut, and how to read the timeline.

use super::view::{Action, View, ViewCtx};

/// `(keys, what they do)`, in the order the overlay lists them.
pub const SHORTCUTS: [(&str, &str); 18] = [
    ("Space", "play / pause (a finished run plays again)"),
    (
        "Right arrow",
        "step: pause and go to the next event, centred and explained",
    ),
    (
        "Left arrow",
        "step back: the previous event (the run is replayed up to it)",
    ),
    (
        "N / G / L",
        "run to the next switch / drop request / lost update",
    ),
    ("R", "restart the run"),
    ("F or double-click", "fit the whole run in view"),
    ("W / S, Ctrl + wheel", "zoom in / out around the pointer"),
    ("A / D, drag", "pan left / right"),
    (
        "Shift + drag, or drag on the axis",
        "select a range: its numbers beside the timeline",
    ),
    ("Click a span", "pin its details beside the timeline"),
    ("Right-click a lane", "hide it, or pin it to the top"),
    ("E", "show / hide the event log"),
    (
        "K",
        "predict mode: ask the question first, reveal the answer after",
    ),
    ("C", "compare mode: two runs on one time axis"),
    ("P", "presentation mode: large text, thick lanes"),
    ("T", "dark / light theme"),
    ("H, F1 or ?", "show / hide this help"),
    (
        "Esc",
        "close this help and the welcome; clear the selection",
    ),
];

/// The help overlay, and whether it is open.
#[derive(Debug, Default)]
pub struct HelpOverlay {
    /// Whether the overlay is shown.
    pub open: bool,
}

impl HelpOverlay {
    /// Opens the overlay, or closes it.
    pub fn toggle(&mut self) {
        self.open = !self.open;
    }
}

impl View for HelpOverlay {
    /// Shows the overlay (a modal over the whole window) when it is open.
    fn ui(&mut self, ui: &mut egui::Ui, _cx: &ViewCtx<'_>) -> Vec<Action> {
        if !self.open {
            return Vec::new();
        }
        let response = egui::Modal::new(egui::Id::unique("gilscope-help")).show(ui.ctx(), |ui| {
            ui.heading("Keyboard shortcuts");
            ui.add_space(6.0);
            egui::Grid::new("shortcuts")
                .num_columns(2)
                .striped(true)
                .spacing([24.0, 6.0])
                .show(ui, |ui| {
                    for (keys, action) in SHORTCUTS {
                        ui.strong(keys);
                        ui.label(action);
                        ui.end_row();
                    }
                });
            ui.add_space(8.0);
            ui.label(
                "Lanes: one per thread (its state), one for the GIL (who holds it), one per core \
                 (which thread runs there). Red triangles are drop requests; arrows between lanes are \
                 GIL handoffs; the legend under the timeline names every mark.",
            );
            ui.add_space(8.0);
            ui.button("Close").clicked()
        });
        if response.inner || response.should_close() {
            self.open = false;
        }
        Vec::new()
    }
}
