//! Predict, then reveal: the scenario's question ([`gilscope_sim::predict`]) asked before the
//! class sees the numbers. While it is unanswered the stats, the narration and the compare
//! sentence are hidden; the teacher records the class's guess, reveals, and the answer the
//! run itself gives is shown against the guess.

use super::view::{Action, View, ViewCtx};
use gilscope_sim::predict::{Measure, Predict};

/// Predict mode and where the class is in it.
#[derive(Debug, Default)]
pub struct PredictView {
    /// Whether predict mode is on.
    pub on: bool,
    /// Whether the answer has been revealed (for this run).
    pub revealed: bool,
    /// The class's guess: a choice of the question.
    pub guess: Option<usize>,
}

/// The answer of `predict` for run A of `cx`, in words: "About the same: speedup over one
/// thread doing all the work 1.00"; `None` until the run has ended.
pub fn answer_text(predict: &Predict, cx: &ViewCtx<'_>) -> Option<String> {
    let run = cx.runs.first().filter(|r| r.is_over())?;
    let stats = run.stats.as_ref()?;
    Some(match predict.answer(stats) {
        Some((i, value)) => format!(
            "{} ({}: {})",
            predict.choices[i].answer,
            predict.measure.label(),
            measured(predict.measure, value)
        ),
        None => format!(
            "this run has nothing to measure for \"{}\"",
            predict.measure.label()
        ),
    })
}

/// A measure's value as the answer writes it.
fn measured(measure: Measure, value: f64) -> String {
    match measure {
        Measure::Speedup => format!("{value:.2}×"),
        Measure::LostUpdates => crate::format::whole(value),
        Measure::ResumeLagMs => crate::format::ms(value),
        _ => format!("{value:.2}"),
    }
}

impl PredictView {
    /// Turns predict mode on or off.
    pub fn toggle(&mut self) {
        self.on = !self.on;
        self.new_run();
    }

    /// A new run asks its question afresh.
    pub fn new_run(&mut self) {
        self.revealed = false;
        self.guess = None;
    }

    /// Whether the numbers and the narration are hidden now.
    pub fn hides_numbers(&self) -> bool {
        self.on && !self.revealed
    }
}

impl View for PredictView {
    /// The question, the choices and the reveal (when predict mode is on).
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        if !self.on {
            return Vec::new();
        }
        let font = cx.theme.label_font();
        let big = egui::FontId::new(font.size * 1.35, font.family.clone());
        egui::Frame::group(ui.style()).show(ui, |ui| {
            let Some(predict) = cx.scenario.and_then(|s| s.predict.as_ref()) else {
                ui.label("This scenario asks no question: add a [predict] table to its file (see the README).");
                return;
            };
            ui.label(egui::RichText::new(format!("Predict: {}", predict.question)).font(big.clone()).strong());
            ui.horizontal_wrapped(|ui| {
                for (i, choice) in predict.choices.iter().enumerate() {
                    let on = self.guess == Some(i);
                    if ui
                        .add_enabled(!self.revealed, egui::Button::selectable(on, choice.answer.as_str()))
                        .on_hover_text("The class's guess")
                        .clicked()
                    {
                        self.guess = Some(i);
                    }
                }
            });
            if self.revealed {
                let answer = answer_text(predict, cx).unwrap_or_default();
                ui.label(egui::RichText::new(format!("Answer for this run: {answer}")).font(big).strong());
                let right = cx
                    .runs
                    .first()
                    .and_then(|r| r.stats.as_ref())
                    .and_then(|s| predict.answer(s))
                    .map(|(i, _)| i);
                if let (Some(g), Some(r)) = (self.guess, right) {
                    let verdict = if g == r { "right" } else { "not what this run did" };
                    ui.label(format!("The class said \"{}\": {verdict}.", predict.choices[g].answer));
                }
            } else {
                let over = cx.runs.first().is_some_and(super::session::Run::is_over);
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .add_enabled(over, egui::Button::new("Reveal the answer"))
                        .on_disabled_hover_text("The answer comes from the run's final numbers: play it to its end first")
                        .clicked()
                    {
                        self.revealed = true;
                    }
                    ui.weak("The numbers and the narration are hidden until then.");
                });
            }
        });
        Vec::new()
    }
}
