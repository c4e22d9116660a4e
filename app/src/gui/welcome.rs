//! The welcome overlay of the first launch: what gilscope shows and what to press. The run
//! waits, paused, behind it.

use super::view::{Action, View, ViewCtx};

/// What the welcome overlay lists: `(keys, what they do)`.
pub const FIRST_KEYS: [(&str, &str); 6] = [
    (
        "Space",
        "play or pause: one switch interval takes about a second",
    ),
    (
        "Right / Left arrow",
        "step to the next event, or back to the previous one, with its explanation",
    ),
    (
        "N, G, L",
        "run to the next switch, drop request, lost update",
    ),
    (
        "K",
        "predict mode: ask the class first, reveal the answer after",
    ),
    (
        "P",
        "presentation mode: large text and lanes for a projector",
    ),
    ("H", "every shortcut"),
];

/// The welcome overlay, and whether it is open.
#[derive(Debug, Default)]
pub struct WelcomeOverlay {
    /// Whether the overlay is shown.
    pub open: bool,
}

impl View for WelcomeOverlay {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        if !self.open {
            return Vec::new();
        }
        let scenario = cx.scenario.map_or("a preset", |s| s.name.as_str());
        let response = egui::Modal::new(egui::Id::unique("gilscope-welcome")).show(ui.ctx(), |ui| {
            ui.heading("Welcome to gilscope");
            ui.add_space(4.0);
            ui.label(format!(
                "Python threads contending for the GIL, on a timeline: who runs bytecode, who waits, who asks the holder to drop it, and when it changes hands. \"{scenario}\" is loaded and paused."
            ));
            ui.add_space(6.0);
            egui::Grid::new("welcome-keys").num_columns(2).spacing([18.0, 6.0]).show(ui, |ui| {
                for (keys, what) in FIRST_KEYS {
                    ui.strong(keys);
                    ui.label(what);
                    ui.end_row();
                }
            });
            ui.add_space(8.0);
            ui.button("Start").clicked()
        });
        if response.inner || response.should_close() {
            self.open = false;
        }
        Vec::new()
    }
}
