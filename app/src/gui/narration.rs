//! The narration panel: what the preset wants a class to notice, with the run's numbers
//! filled in (`Stats::narrate`).

use super::session::Run;
use super::view::{Action, View, ViewCtx};
use gilscope_sim::Scenario;

/// A narration with `{placeholders}` that have no numbers yet shown as "…".
fn unfilled(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            rest = &rest[open..];
            break;
        };
        out.push('…');
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Joins the lines of each paragraph, so the text wraps to the panel's width.
fn reflow(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
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

/// The narration of `scenario`, filled with the numbers of the first of `runs` (ellipses until
/// its stats arrive); `None` when the scenario has none.
pub fn text(scenario: &Scenario, runs: &[Run]) -> Option<String> {
    if scenario.narration.trim().is_empty() {
        return None;
    }
    let text = match runs.first().and_then(|r| r.stats.as_ref()) {
        Some(stats) => stats.narrate(&scenario.narration),
        None => unfilled(&scenario.narration),
    };
    Some(reflow(&text))
}

/// The narration panel. It keeps no state: the text follows the run on screen.
#[derive(Debug, Default)]
pub struct NarrationView;

impl View for NarrationView {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let Some(scenario) = cx.scenario else {
            return Vec::new();
        };
        ui.heading(&scenario.name);
        match text(scenario, cx.runs) {
            Some(text) => {
                let job = with_code(ui, &text);
                ui.label(job);
                if cx.runs.first().is_some_and(|r| !r.is_over()) {
                    ui.weak("The numbers update as the run goes.");
                }
            }
            None => {
                ui.weak("This scenario has no narration.");
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_without_numbers_become_ellipses() {
        assert_eq!(unfilled("took {io_latency} vs {wall}."), "took … vs ….");
        assert_eq!(unfilled("a { b"), "a { b");
    }

    #[test]
    fn paragraphs_are_kept_and_lines_joined() {
        assert_eq!(reflow("one\ntwo\n\nthree\n"), "one two\n\nthree");
    }
}
