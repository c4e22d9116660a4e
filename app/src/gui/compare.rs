//! The central view: one timeline, or in compare mode two runs stacked on one shared time
//! axis with their wall times and the speedup between them written plainly (the timeline
//! itself is [`TimelinePanel`]). Errors of a run are shown here too.

use super::session::Run;
use super::settings::{CompareWith, Settings};
use super::timeline_panel::TimelinePanel;
use super::view::{Action, View, ViewCtx};
use crate::format::{counted, nanos as format_nanos};
use gilscope_sim::RunConfig;
use gilscope_sim::narration::{self, Purpose, Side};

/// How a run is named in the compare sentence, by what B changes.
pub fn side_label(with: CompareWith, config: &RunConfig) -> String {
    match with {
        CompareWith::Build => match (config.free_threaded, config.gil_enabled()) {
            (false, _) => "with the GIL".to_owned(),
            (true, false) => "free-threaded".to_owned(),
            (true, true) => "free-threaded with PYTHON_GIL=1".to_owned(),
        },
        CompareWith::SwitchInterval(_) => format!(
            "with a {} switch interval",
            format_nanos(config.switch_interval())
        ),
        CompareWith::Python(_) | CompareWith::RealInterpreter => {
            format!("on Python {}", config.python)
        }
        CompareWith::Runtime(_) => {
            format!("with {}", config.runtime.name())
        }
        CompareWith::Cores(_) => {
            format!("on {}", counted(u64::from(config.cores), "core", "cores"))
        }
    }
}

/// How a run is named in the compare sentence: [`side_label`], or when B changes the engine,
/// the engine that ran it ("simulated", "on `CPython` 3.11.7").
pub fn run_label(with: CompareWith, run: &Run) -> String {
    if with != CompareWith::RealInterpreter {
        return side_label(with, &run.config);
    }
    let meta = &run.trace.meta;
    match meta.engine {
        gilscope_sim::EngineKind::Sim => "simulated".to_owned(),
        gilscope_sim::EngineKind::Live => "on real threads".to_owned(),
        gilscope_sim::EngineKind::Cpython => {
            let label = meta
                .interpreter
                .as_deref()
                .and_then(|i| i.split(" at ").next())
                .unwrap_or("a real interpreter");
            format!("on CPython {label}")
        }
    }
}

/// The sentence comparing two finished runs of a scenario of `purpose`, by what it is about
/// (the simulator's `narration::headline`, the one `gilscope compare` prints): "Free-threaded:
/// the same work in 54.3 ms, 3.7× faster than with the GIL (200 ms)." for the same work, "I/O
/// latency went from 5.07 ms with a 5.00 ms switch interval to …" (the mean) for a convoy.
/// `None` until both have finished.
pub fn headline(with: CompareWith, purpose: Purpose, a: &Run, b: &Run) -> Option<String> {
    if !(a.is_over() && b.is_over()) || a.error.is_some() || b.error.is_some() {
        return None;
    }
    let (label_a, label_b) = (run_label(with, a), run_label(with, b));
    let a = Side {
        label: &label_a,
        stats: a.stats.as_ref()?,
    };
    let b = Side {
        label: &label_b,
        stats: b.stats.as_ref()?,
    };
    Some(narration::headline(purpose, a, b).text)
}

/// The compare sentence, when `settings` compare and both `runs` of a scenario of `purpose`
/// have finished.
pub fn compare_headline(settings: &Settings, purpose: Purpose, runs: &[Run]) -> Option<String> {
    match runs {
        [a, b] if settings.compare => headline(settings.compare_with, purpose, a, b),
        _ => None,
    }
}

/// How far each compared run got, until both have finished.
fn compare_progress(with: CompareWith, runs: &[Run]) -> String {
    match runs {
        [a, b] => format!(
            "Comparing {} (A) with {} (B)… A at {}, B at {}.",
            run_label(with, a),
            run_label(with, b),
            format_nanos(a.trace.now),
            format_nanos(b.trace.now)
        ),
        _ => "Compare: run B cannot start (see the settings panel).".to_owned(),
    }
}

/// Under the timeline of a run whose engine cannot see everything (a real interpreter): what
/// its lanes leave out, briefly, each sentence in full on hover.
fn not_observed_line(ui: &mut egui::Ui, runs: &[Run]) {
    let Some(engine) = runs
        .iter()
        .map(|r| r.trace.meta.engine)
        .find(|e| !e.not_observed().is_empty())
    else {
        return;
    };
    let what = engine.not_observed();
    let short: Vec<&str> = what
        .iter()
        .map(|w| w.split_once(':').map_or(*w, |(head, _)| head))
        .collect();
    ui.label(
        egui::RichText::new(format!(
            "Not observed on a real interpreter (the {engine} engine): {}.",
            short.join("; ")
        ))
        .small()
        .weak(),
    )
    .on_hover_text(what.join("\n"));
}

/// Why the scenario cannot be opened or run with the settings chosen, in words: shown once,
/// by the central view (the settings panel shows none).
pub(super) fn settings_errors(ui: &mut egui::Ui, cx: &ViewCtx<'_>) {
    let error_color = ui.visuals().error_fg_color;
    if let Some(error) = cx.load_error {
        ui.colored_label(error_color, format!("Could not open the scenario: {error}"));
    }
    for error in cx.config_errors {
        ui.colored_label(
            error_color,
            format!("Cannot run with these settings: {error}"),
        );
    }
}

/// Why the scenario or a run cannot be shown, in words.
fn show_errors(ui: &mut egui::Ui, cx: &ViewCtx<'_>) {
    settings_errors(ui, cx);
    let error_color = ui.visuals().error_fg_color;
    let many = cx.runs.len() > 1;
    for (i, run) in cx.runs.iter().enumerate() {
        if let Some(error) = &run.error {
            let which = if many {
                ["Run A", "Run B"][i.min(1)]
            } else {
                "The run"
            };
            ui.colored_label(
                error_color,
                format!(
                    "{which} stopped: {error}. Change a setting or press Restart to run again."
                ),
            );
        }
    }
}

/// `label` wrapped, or, when the view is too short for the lanes to keep their room under
/// long text (two stacked runs need more), on one line elided with "…" (the whole text on
/// hover).
pub(super) fn one_line_when_short(
    ui: &egui::Ui,
    cx: &ViewCtx<'_>,
    label: egui::Label,
) -> egui::Label {
    let lines = if cx.runs.len() > 1 {
        COMPARE_VIEW_LINES
    } else {
        SHORT_VIEW_LINES
    };
    if ui.available_height() < cx.theme.label_font().size * lines {
        label.truncate()
    } else {
        label.wrap()
    }
}

/// A central view shorter than this many lines of lane labels sets its sentences on one line.
const SHORT_VIEW_LINES: f32 = 16.0;

/// [`SHORT_VIEW_LINES`] when comparing: two runs stacked need more of the height.
const COMPARE_VIEW_LINES: f32 = 28.0;

/// The central view: errors, the compare sentence, and the timeline of the runs (stacked
/// when comparing).
#[derive(Default)]
pub struct CompareView {
    /// The timeline with its step bar and legend.
    pub timeline: TimelinePanel,
    /// Hide the compare sentence (predict mode, until the answer is revealed).
    pub hide_numbers: bool,
}

impl View for CompareView {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        show_errors(ui, cx);
        if cx.settings.compare && !self.hide_numbers {
            let purpose = cx.scenario.map(|s| s.purpose).unwrap_or_default();
            let text = compare_headline(cx.settings, purpose, cx.runs)
                .unwrap_or_else(|| compare_progress(cx.settings.compare_with, cx.runs));
            let font = cx.theme.label_font();
            let text = egui::RichText::new(text)
                .strong()
                .font(egui::FontId::new(font.size * 1.1, font.family));
            ui.add(one_line_when_short(ui, cx, egui::Label::new(text)));
        }
        if cx.runs.is_empty() {
            ui.add_space(20.0);
            ui.label("Nothing to show: choose a preset or fix the settings on the left.");
            return Vec::new();
        }
        not_observed_line(ui, cx.runs);
        self.timeline.ui(ui, cx)
    }
}
