//! The narration panel: the sentences of the preset's narration that are true for the run on
//! screen, with its numbers (`Narration::narrate` in the simulator crate, the same text
//! `gilscope run` prints). In compare mode each run has its own.

use super::session::Run;
use super::view::{Action, View, ViewCtx};
use gilscope_sim::Scenario;

/// The narration of `scenario` for `run`: the sentences true for it, or a line saying the run
/// has not reported yet; `None` when the scenario has no narration.
pub fn text(scenario: &Scenario, run: &Run) -> Option<String> {
    if scenario.narration.is_empty() {
        return None;
    }
    Some(match (&run.stats, &run.error) {
        (Some(stats), None) => stats.narration.clone(),
        // Stopped by an error: the narration says so, and why.
        (Some(stats), Some(error)) => scenario
            .narration
            .narrate(&run.trace, stats, Some(error))
            .text(),
        (None, Some(_)) => "The run stopped before it could report anything.".to_owned(),
        (None, None) => "The run is starting: the narration follows it.".to_owned(),
    })
}

/// The text as a layout in which `code` between backticks is set in the monospace font.
fn with_code(ui: &egui::Ui, text: &str) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    let style = ui.style();
    for (i, part) in text.split('`').enumerate() {
        let rich = if i % 2 == 1 {
            egui::RichText::new(part).code()
        } else {
            egui::RichText::new(part)
        };
        rich.append_to(
            &mut job,
            style,
            egui::FontSelection::Default,
            egui::Align::Center,
        );
    }
    job
}

/// The narration panel. It keeps no state: the text follows the runs on screen.
#[derive(Debug, Default)]
pub struct NarrationView;

impl View for NarrationView {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let Some(scenario) = cx.scenario else {
            return Vec::new();
        };
        ui.heading(&scenario.name);
        if scenario.narration.is_empty() {
            ui.weak("This scenario has no narration.");
            return Vec::new();
        }
        let many = cx.runs.len() > 1;
        for (i, run) in cx.runs.iter().enumerate() {
            let Some(text) = text(scenario, run) else {
                continue;
            };
            if many {
                ui.strong(format!("Run {}", ["A", "B"][i.min(1)]));
            }
            let job = with_code(ui, &text);
            ui.label(job);
        }
        Vec::new()
    }
}
