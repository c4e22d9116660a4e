//! The central view: one timeline, or in compare mode two runs stacked on one shared time
//! axis with their wall times and the speedup between them written plainly. Errors of a run
//! are shown here too.

use super::app::GilscopeApp;
use super::session::Run;
use super::settings::CompareWith;
use crate::theme::legend_of;
use crate::timeline::{Timeline, TimelineGroup};
use gilscope_sim::RunConfig;
use gilscope_sim::ThreadState;
use gilscope_sim::stats::format_ms;
use gilscope_sim::time::format_nanos;

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
        CompareWith::Python(_) => format!("on Python {}", config.python),
        CompareWith::Runtime(_) => {
            format!("with {}", super::settings::runtime_label(config.runtime))
        }
        CompareWith::Cores(_) => {
            format!(
                "on {} core{}",
                config.cores,
                if config.cores == 1 { "" } else { "s" }
            )
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The sentence comparing two finished runs: "Free-threaded finished in 54.3 ms, 3.7× faster
/// than with the GIL (200 ms)." `None` until both have finished.
pub fn headline(with: CompareWith, a: &Run, b: &Run) -> Option<String> {
    if !(a.is_over() && b.is_over()) || a.error.is_some() || b.error.is_some() {
        return None;
    }
    let (wall_a, wall_b) = (a.stats.as_ref()?.wall_ms, b.stats.as_ref()?.wall_ms);
    let (label_a, label_b) = (side_label(with, &a.config), side_label(with, &b.config));
    let ((fast, fast_ms), (slow, slow_ms)) = if wall_b <= wall_a {
        ((&label_b, wall_b), (&label_a, wall_a))
    } else {
        ((&label_a, wall_a), (&label_b, wall_b))
    };
    let ratio = if fast_ms > 0.0 {
        slow_ms / fast_ms
    } else {
        1.0
    };
    if ratio < 1.005 {
        return Some(format!(
            "Both finished in {}: A {label_a}, B {label_b}.",
            format_ms(fast_ms)
        ));
    }
    Some(format!(
        "{} finished in {}, {ratio:.1}× faster than {slow} ({}).",
        capitalized(fast),
        format_ms(fast_ms),
        format_ms(slow_ms)
    ))
}

impl GilscopeApp {
    /// The compare sentence, when comparing and both runs have finished.
    pub fn compare_headline(&self) -> Option<String> {
        match self.runs.as_slice() {
            [a, b] if self.settings.compare => headline(self.settings.compare_with, a, b),
            _ => None,
        }
    }

    /// Shows the central view.
    pub(super) fn central(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::default().show(ui, |ui| {
            if self.view_tabs(ui) {
                return;
            }
            let error_color = ui.visuals().error_fg_color;
            if let Some(error) = &self.load_error {
                ui.colored_label(error_color, format!("Could not open the scenario: {error}"));
            }
            for error in &self.config_errors {
                ui.colored_label(error_color, format!("Cannot run with these settings: {error}"));
            }
            let many = self.runs.len() > 1;
            for (i, run) in self.runs.iter().enumerate() {
                if let Some(error) = &run.error {
                    let which = if many { ["Run A", "Run B"][i.min(1)] } else { "The run" };
                    ui.colored_label(error_color, format!("{which} stopped: {error}. Change a setting or press Restart to run again."));
                }
            }
            if self.settings.compare {
                let text = self.compare_headline().unwrap_or_else(|| self.compare_progress());
                ui.label(egui::RichText::new(text).heading());
            }
            if self.runs.is_empty() {
                ui.add_space(20.0);
                ui.label("Nothing to show: choose a preset or fix the settings on the left.");
                return;
            }
            let groups: Vec<TimelineGroup<'_>> = self
                .runs
                .iter()
                .map(|r| TimelineGroup { title: r.title.clone(), trace: &r.trace })
                .collect();
            let locks: &[String] = self.loaded.as_ref().map_or(&[], |(_, s)| s.locks.as_slice());
            // The timeline takes what its lanes need, up to what leaves room for the legend
            // and the narration under it.
            let states = self.states_shown();
            // Legend rows: about four entries fit a row (fewer with presentation's large text).
            let per_row = if self.theme.presentation() { 3 } else { 4 };
            let rows = states.len().div_ceil(per_row).max(1) as f32;
            let legend_height = rows * (self.theme.lane_height().max(self.theme.label_font().size) + 6.0);
            let narration_min = self.lower_height(ui.available_height());
            let timeline_height =
                (ui.available_height() - legend_height - narration_min).max(120.0);
            ui.allocate_ui(egui::vec2(ui.available_width(), timeline_height), |ui| {
                Timeline::new(&groups, &self.theme).lock_names(locks).show(ui, &mut self.view);
            });
            ui.add_space(4.0);
            legend_of(ui, &self.theme, &states);
            ui.separator();
            self.lower_area(ui);
        });
    }

    /// The states the runs on screen spent time in (from their latest stats), for a legend
    /// that explains what is there and no more; every state until stats arrive.
    fn states_shown(&self) -> Vec<ThreadState> {
        let stats: Vec<&gilscope_sim::Stats> =
            self.runs.iter().filter_map(|r| r.stats.as_ref()).collect();
        if stats.is_empty() {
            return ThreadState::ALL.to_vec();
        }
        let any = |f: fn(&gilscope_sim::stats::StateTimes) -> f64| {
            stats
                .iter()
                .flat_map(|s| &s.threads)
                .any(|t| f(&t.state_ms) > 0.0)
        };
        let finished = stats
            .iter()
            .flat_map(|s| &s.threads)
            .any(|t| t.finished_ms.is_some());
        let c_call = any(|s| s.c_call);
        ThreadState::ALL
            .into_iter()
            .filter(|state| match state {
                ThreadState::Running => any(|s| s.running),
                ThreadState::WaitingGil => any(|s| s.waiting_gil),
                ThreadState::ForcedOff => any(|s| s.forced_off),
                ThreadState::Io => any(|s| s.io),
                ThreadState::CCallReleased | ThreadState::CCallHolding => c_call,
                ThreadState::Lock => any(|s| s.lock),
                ThreadState::Runnable => any(|s| s.runnable),
                ThreadState::Ready => any(|s| s.ready),
                ThreadState::Done => finished,
            })
            .collect()
    }

    fn compare_progress(&self) -> String {
        match self.runs.as_slice() {
            [a, b] => format!(
                "Comparing {} (A) with {} (B)… A at {}, B at {}.",
                side_label(self.settings.compare_with, &a.config),
                side_label(self.settings.compare_with, &b.config),
                format_nanos(a.trace.now),
                format_nanos(b.trace.now)
            ),
            _ => "Compare: run B cannot start (see the settings panel).".to_owned(),
        }
    }
}
