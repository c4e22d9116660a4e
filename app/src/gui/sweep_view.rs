//! The switch-interval sweep view: pick a range, run every point in the background
//! ([`super::sweep_job`], with a progress bar and a cancel button that stops the workers), and
//! plot latency, throughput, switches and handoff losses against the interval
//! ([`crate::widgets::sweep_chart`]), with an optional overlay of a second model or scenario,
//! the verdict, CSV and PNG export. Clicking a point opens that run's timeline.

use super::compare::settings_errors;
use super::controls::interval_unused;
use super::sweep_job::{JobError, JobStatus, Plan, PlanResult, SweepJob};
use super::view::{Action, PresetEntry, View, ViewCtx};
use crate::format::interval_ms;
use crate::render::sweep_png::{CLI_PNG_SIZE, write_sweep_png};
use crate::theme::Theme;
use crate::widgets::sweep_chart::{SweepChart, SweepSeries};
use gilscope_sim::analysis::sweep_verdict;
use gilscope_sim::export::{STATS_CSV_HEADER, stats_csv_row};
use gilscope_sim::model::Overrides;
use gilscope_sim::sweep::{SweepError, log_spaced};
use gilscope_sim::time::US;
use gilscope_sim::{Nanos, Scenario, ScenarioError, presets};
use std::path::Path;
use std::time::{Duration, Instant};

/// Range defaults: 0.1 ms to 100 ms, 24 log-spaced points.
pub const DEFAULT_FROM_MS: f64 = 0.1;
/// See [`DEFAULT_FROM_MS`].
pub const DEFAULT_TO_MS: f64 = 100.0;
/// See [`DEFAULT_FROM_MS`].
pub const DEFAULT_POINTS: usize = 24;

/// How often the view looks at a running sweep when nothing else repaints the window.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// What the second sweep, drawn dashed over the first, runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Overlay {
    /// No second sweep.
    #[default]
    None,
    /// The same scenario on a free-threaded build (GIL off).
    FreeThreaded,
    /// Another preset with the same settings.
    Preset(String),
}

impl Overlay {
    /// The overlay picker's text for this choice (a preset by its stem).
    fn label(&self) -> String {
        match self {
            Self::None => "no overlay".to_owned(),
            Self::FreeThreaded => "overlay: free-threaded".to_owned(),
            Self::Preset(stem) => format!("overlay: {stem}"),
        }
    }
}

/// What kept a sweep, or some of its points, from giving rows; shown above the chart.
#[derive(Debug, thiserror::Error)]
pub enum SweepProblem {
    /// There is no scenario to sweep.
    #[error("no scenario is loaded")]
    NoScenario,
    /// The settings do not resolve, or the overlay's preset does not load.
    #[error(transparent)]
    Settings(#[from] ScenarioError),
    /// The background job did not start or did not deliver.
    #[error(transparent)]
    Job(#[from] JobError),
    /// One point failed.
    #[error("{series}: {error}")]
    Point {
        /// The label of the series the point belongs to.
        series: String,
        /// Why it failed.
        error: SweepError,
    },
    /// The sweep was cancelled before this many points ran.
    #[error("cancelled: {0} points were not run")]
    Cancelled(usize),
}

/// The run a series' points open: a preset to switch to (the overlay's), and its settings.
#[derive(Debug, Clone)]
struct Source {
    preset: Option<String>,
    overrides: Overrides,
}

/// The sweep view's options, results and background job.
#[derive(Default)]
pub struct SweepView {
    /// Smallest interval, ms.
    pub from_ms: f64,
    /// Largest interval, ms.
    pub to_ms: f64,
    /// Number of log-spaced points.
    pub points: usize,
    /// The second sweep.
    pub overlay: Overlay,
    /// Finished sweeps: the first, then the overlay.
    pub series: Vec<SweepSeries>,
    /// Per series, what its points open.
    sources: Vec<Source>,
    /// Points that failed or were cancelled, and sweeps that could not run.
    pub errors: Vec<SweepProblem>,
    /// Where exports go (without extension).
    pub export_stem: String,
    /// What the last export did, in words.
    pub export_status: Option<String>,
    job: Option<SweepJob>,
}

impl SweepView {
    /// A view with the default range and nothing run yet.
    pub fn new() -> Self {
        Self {
            from_ms: DEFAULT_FROM_MS,
            to_ms: DEFAULT_TO_MS,
            points: DEFAULT_POINTS,
            export_stem: "gilscope-sweep".to_owned(),
            ..Self::default()
        }
    }

    /// The intervals the sweep runs: log-spaced over the range.
    pub fn intervals(&self) -> Vec<Nanos> {
        let ns = |ms: f64| (ms.clamp(0.001, 1000.0) * 1e6) as Nanos;
        log_spaced(ns(self.from_ms), ns(self.to_ms), self.points.clamp(2, 60))
    }

    /// Whether a sweep is running.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// `(done, total)` points of the running sweep.
    pub fn progress(&self) -> Option<(usize, usize)> {
        self.job.as_ref().map(SweepJob::progress)
    }

    /// Asks the workers to stop after the points they are on; the sweep ends with what it has.
    pub fn cancel(&mut self) {
        if let Some(job) = &self.job {
            job.cancel();
        }
    }

    /// Starts a sweep of `scenario` with the settings `overrides` (their switch interval is
    /// swept), plus the overlay; `ctx` is repainted as results come in.
    pub fn start(
        &mut self,
        scenario: Option<&Scenario>,
        overrides: &Overrides,
        ctx: &egui::Context,
    ) {
        let plans = match self.plans(scenario, overrides) {
            Ok(plans) => plans,
            Err(problem) => {
                self.errors = vec![problem];
                return;
            }
        };
        self.cancel();
        let sources = plans
            .iter()
            .enumerate()
            .map(|(i, plan)| Source {
                preset: match (&self.overlay, i) {
                    (Overlay::Preset(stem), 1) => Some(stem.clone()),
                    _ => None,
                },
                overrides: plan.overrides.clone(),
            })
            .collect();
        let ctx = ctx.clone();
        match SweepJob::start(plans, self.intervals(), move || ctx.request_repaint()) {
            Ok(job) => {
                self.errors.clear();
                self.sources = sources;
                self.job = Some(job);
            }
            Err(e) => self.errors = vec![e.into()],
        }
    }

    /// The plans for `scenario` with `overrides` (interval left free), plus the overlay.
    fn plans(
        &self,
        scenario: Option<&Scenario>,
        overrides: &Overrides,
    ) -> Result<Vec<Plan>, SweepProblem> {
        let scenario = scenario.ok_or(SweepProblem::NoScenario)?;
        let base = Overrides {
            switch_interval: None,
            ..overrides.clone()
        };
        let plan = |scenario: &Scenario, overrides: Overrides| {
            let config = scenario.config(&overrides)?;
            let build = if config.gil_enabled() {
                "GIL"
            } else {
                "free-threaded"
            };
            Ok::<Plan, ScenarioError>(Plan {
                label: format!("{} (Python {}, {build})", scenario.name, config.python),
                scenario: scenario.clone(),
                overrides,
            })
        };
        let mut plans = vec![plan(scenario, base.clone())?];
        match &self.overlay {
            Overlay::None => {}
            Overlay::FreeThreaded => {
                let free = Overrides {
                    free_threaded: Some(true),
                    gil: Some(false),
                    ..base
                };
                plans.push(plan(scenario, free)?);
            }
            Overlay::Preset(stem) => plans.push(plan(&presets::load(stem)?, base)?),
        }
        Ok(plans)
    }

    /// Takes in the background sweep's news; returns whether it is still running.
    pub fn poll(&mut self) -> bool {
        let Some(job) = self.job.as_mut() else {
            return false;
        };
        match job.poll() {
            JobStatus::Running => true,
            JobStatus::Finished(results) => {
                self.job = None;
                self.finish(results);
                false
            }
            JobStatus::Failed(e) => {
                self.job = None;
                self.errors = vec![e.into()];
                false
            }
        }
    }

    /// Takes in the background sweep's news, and while it runs asks `ctx` for another frame
    /// soon, so its progress shows even when nothing else repaints the window.
    pub fn keep_polling(&mut self, ctx: &egui::Context) {
        if self.poll() {
            ctx.request_repaint_after(POLL_EVERY);
        }
    }

    /// Waits (up to `timeout`) for the running sweep to end, and takes in its results; returns
    /// whether it ended.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.poll() {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    fn finish(&mut self, results: Vec<PlanResult>) {
        self.series.clear();
        self.errors.clear();
        let mut cancelled = 0;
        for PlanResult { label, points } in results {
            let mut rows = Vec::new();
            for point in points {
                match point {
                    Ok(stats) => rows.push(stats),
                    Err(SweepError::Cancelled) => cancelled += 1,
                    Err(error) => self.errors.push(SweepProblem::Point {
                        series: label.clone(),
                        error,
                    }),
                }
            }
            self.series.push(SweepSeries::new(label, rows));
        }
        if cancelled > 0 {
            self.errors.push(SweepProblem::Cancelled(cancelled));
        }
    }

    /// The sweeps as CSV: the `gilscope sweep --csv` header, one row per point.
    pub fn csv(&self) -> String {
        let mut text = format!("{STATS_CSV_HEADER}\n");
        for s in &self.series {
            for row in &s.rows {
                text.push_str(&stats_csv_row(row));
                text.push('\n');
            }
        }
        text
    }

    /// What opening point `row` of series `series` asks of the app: its settings, with its
    /// interval, as the run to show.
    pub fn open_point(&self, series: usize, row: usize) -> Option<Action> {
        let source = self.sources.get(series)?;
        let stats = self.series.get(series)?.rows.get(row)?;
        Some(Action::OpenRun {
            preset: source.preset.clone(),
            overrides: Box::new(Overrides {
                switch_interval: Some(stats.switch_interval_us * US),
                ..source.overrides.clone()
            }),
        })
    }

    /// The range, overlay, run/cancel and export controls.
    fn controls(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>, current_us: Option<u64>) {
        let scenario_name = cx.scenario.map_or("no scenario", |s| s.name.as_str());
        let running = self.is_running();
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("Sweep of {scenario_name}"));
            ui.add_enabled_ui(!running, |ui| self.range_controls(ui, cx.presets));
        });
        let mut start = false;
        let mut export_png = false;
        ui.horizontal(|ui| {
            if running {
                if ui.button("Cancel sweep").clicked() {
                    self.cancel();
                }
                if let Some((done, total)) = self.progress() {
                    let fraction = done as f32 / total.max(1) as f32;
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .text(format!("{done} of {total} runs"))
                            .desired_width(240.0),
                    );
                }
            } else {
                // Sweeping an interval the run ignores would plot noise and recommend it.
                let unused = cx
                    .scenario
                    .zip(cx.config_a())
                    .and_then(|(s, c)| interval_unused(s, &c));
                start = ui
                    .add_enabled(unused.is_none(), egui::Button::new("Run sweep"))
                    .on_disabled_hover_text(unused.unwrap_or_default())
                    .clicked();
            }
            ui.separator();
            let label = ui.label("export to");
            ui.add(egui::TextEdit::singleline(&mut self.export_stem).desired_width(160.0))
                .labelled_by(label.id);
            let ready = !self.series.is_empty() && !running;
            if ui.add_enabled(ready, egui::Button::new("CSV")).clicked() {
                let path = format!("{}.csv", self.export_stem.trim());
                self.export_status = Some(match std::fs::write(&path, self.csv()) {
                    Ok(()) => format!("wrote {path}"),
                    Err(e) => format!("cannot write {path}: {e}"),
                });
            }
            export_png = ui.add_enabled(ready, egui::Button::new("PNG")).clicked();
        });
        if export_png {
            self.export_png(cx.theme, scenario_name, current_us);
        }
        if start {
            self.start(cx.scenario, &cx.settings.overrides, ui.ctx());
        }
    }

    /// From, to, points and the overlay picker.
    fn range_controls(&mut self, ui: &mut egui::Ui, presets: &[PresetEntry]) {
        let label = ui.label("from");
        ui.add(
            egui::DragValue::new(&mut self.from_ms)
                .range(0.001..=1000.0)
                .speed(0.01)
                .suffix(" ms"),
        )
        .labelled_by(label.id);
        let label = ui.label("to");
        ui.add(
            egui::DragValue::new(&mut self.to_ms)
                .range(0.001..=1000.0)
                .speed(1.0)
                .suffix(" ms"),
        )
        .labelled_by(label.id);
        let label = ui.label("points");
        ui.add(egui::DragValue::new(&mut self.points).range(2..=60))
            .labelled_by(label.id);
        egui::ComboBox::from_id_salt("sweep-overlay")
            .selected_text(self.overlay.label())
            .show_ui(ui, |ui| {
                for choice in [Overlay::None, Overlay::FreeThreaded] {
                    let text = choice.label();
                    ui.selectable_value(&mut self.overlay, choice, text);
                }
                // Presets by their titles in the menu.
                for preset in presets {
                    ui.selectable_value(
                        &mut self.overlay,
                        Overlay::Preset(preset.stem.to_owned()),
                        format!("overlay: {}", preset.name),
                    );
                }
            });
    }

    /// Writes the chart as `<export stem>.png`, in the current theme.
    fn export_png(&mut self, theme: &Theme, scenario_name: &str, current_us: Option<u64>) {
        let Some(first) = self.series.first() else {
            return;
        };
        let path = format!("{}.png", self.export_stem.trim());
        let verdict = current_us.and_then(|us| sweep_verdict(&first.rows, us));
        let title = format!(
            "{scenario_name}: {} switch intervals, {} – {}",
            first.rows.len(),
            interval_ms(self.from_ms),
            interval_ms(self.to_ms)
        );
        let result = write_sweep_png(
            Path::new(&path),
            CLI_PNG_SIZE,
            theme,
            &title,
            &self.series,
            current_us,
            verdict,
        );
        self.export_status = Some(match result {
            Ok(()) => format!("wrote {path}"),
            Err(e) => e.to_string(),
        });
    }
}

impl View for SweepView {
    /// The whole sweep view (in place of the timeline).
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        self.keep_polling(ui.ctx());
        let current_us = cx.config_a().map(|c| c.switch_interval_us);
        self.controls(ui, cx, current_us);
        settings_errors(ui, cx);
        let error_color = ui.visuals().error_fg_color;
        for e in &self.errors {
            ui.colored_label(error_color, e.to_string());
        }
        if let Some(status) = &self.export_status {
            ui.label(status);
        }
        if self.series.is_empty() {
            ui.add_space(12.0);
            if let Some(why) = cx
                .scenario
                .zip(cx.config_a())
                .and_then(|(s, c)| interval_unused(s, &c))
            {
                ui.label(format!("No sweep for this run. {why}."));
                return Vec::new();
            }
            ui.label(
                "Run the scenario at every interval of the range to see what \
                 sys.setswitchinterval does to latency, throughput and switching.",
            );
            return Vec::new();
        }
        let verdict = current_us.and_then(|us| sweep_verdict(&self.series[0].rows, us));
        let chart = SweepChart {
            theme: cx.theme,
            current_us,
            verdict,
            id: "sweep-view",
            interactive: true,
        };
        let picked = egui::ScrollArea::vertical()
            .id_salt("sweep-chart")
            .show(ui, |ui| chart.show(ui, &self.series))
            .inner;
        picked
            .and_then(|p| self.open_point(p.series, p.row))
            .into_iter()
            .collect()
    }
}
