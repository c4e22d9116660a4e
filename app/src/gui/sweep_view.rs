//! The switch-interval sweep view: pick a range, run every point in the background (on named
//! threads, with a progress bar and a cancel button that stops the workers), and plot latency,
//! throughput, switches and handoff losses against the interval ([`crate::sweep_chart`]), with
//! an optional overlay of a second model or scenario, the verdict, CSV and PNG export.
//! Clicking a point opens that run's timeline.

use super::app::GilscopeApp;
use crate::plot_png::write_sweep_png;
use crate::sweep_chart::{SweepChart, SweepSeries};
use crossbeam::channel::{Receiver, Sender, TrySendError, bounded};
use gilscope_sim::analysis::{format_interval, sweep_verdict};
use gilscope_sim::export::{STATS_CSV_HEADER, stats_csv_row};
use gilscope_sim::model::Overrides;
use gilscope_sim::presets;
use gilscope_sim::sweep::{log_spaced, sweep};
use gilscope_sim::time::US;
use gilscope_sim::{Nanos, Scenario, Stats};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// Range defaults: 0.1 ms to 100 ms, 24 log-spaced points.
pub const DEFAULT_FROM_MS: f64 = 0.1;
/// See [`DEFAULT_FROM_MS`].
pub const DEFAULT_TO_MS: f64 = 100.0;
/// See [`DEFAULT_FROM_MS`].
pub const DEFAULT_POINTS: usize = 24;

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

/// One sweep to run: its legend label, scenario and settings.
#[derive(Debug, Clone)]
struct Plan {
    label: String,
    scenario: Scenario,
    overrides: Overrides,
}

enum Message {
    Progress(usize),
    Done(Vec<(String, Vec<Result<Stats, String>>)>),
}

/// A sweep running in the background.
struct Job {
    cancel: Arc<AtomicBool>,
    messages: Receiver<Message>,
    handle: Option<JoinHandle<()>>,
    done: usize,
    total: usize,
}

/// The sweep view's state.
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
    /// Per series, the overrides it ran with (to open a point's timeline).
    overrides: Vec<Overrides>,
    /// Points that failed or were cancelled, in words.
    pub errors: Vec<String>,
    /// Where exports go (without extension).
    pub export_stem: String,
    /// What the last export did.
    pub export_status: Option<String>,
    job: Option<Job>,
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
        self.job.as_ref().map(|j| (j.done, j.total))
    }

    /// Asks the workers to stop after the points they are on; the sweep ends with what it has.
    pub fn cancel(&mut self) {
        if let Some(job) = &self.job {
            job.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Starts the sweeps of `plans` on a named background thread.
    fn start(&mut self, plans: Vec<Plan>, repaint: impl Fn() + Send + Sync + 'static) {
        self.cancel();
        let intervals = self.intervals();
        let total = intervals.len() * plans.len();
        let cancel = Arc::new(AtomicBool::new(false));
        // Progress messages may be dropped when the UI lags; the final one waits for room.
        let (tx, rx) = bounded::<Message>(64);
        let flag = Arc::clone(&cancel);
        self.overrides = plans.iter().map(|p| p.overrides.clone()).collect();
        let spawned = std::thread::Builder::new()
            .name("gilscope-sweep".to_owned())
            .spawn(move || run_plans(&plans, &intervals, &flag, &tx, &repaint));
        match spawned {
            Ok(handle) => {
                self.errors.clear();
                self.job = Some(Job {
                    cancel,
                    messages: rx,
                    handle: Some(handle),
                    done: 0,
                    total,
                });
            }
            Err(e) => self.errors = vec![format!("could not start the sweep thread: {e}")],
        }
    }

    /// Drains the background sweep's messages; returns whether it is still running.
    pub fn poll(&mut self) -> bool {
        let Some(job) = self.job.as_mut() else {
            return false;
        };
        loop {
            match job.messages.try_recv() {
                Ok(Message::Progress(done)) => job.done = job.done.max(done),
                Ok(Message::Done(results)) => {
                    if let Some(handle) = job.handle.take() {
                        // The thread has sent its last message; joining is immediate.
                        let _ = handle.join();
                    }
                    self.job = None;
                    self.finish(results);
                    return false;
                }
                Err(crossbeam::channel::TryRecvError::Empty) => return true,
                Err(crossbeam::channel::TryRecvError::Disconnected) => {
                    self.job = None;
                    self.errors = vec!["the sweep thread stopped unexpectedly".to_owned()];
                    return false;
                }
            }
        }
    }

    /// Waits (up to `timeout`) for the running sweep to end, and applies its results.
    pub fn wait(&mut self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while self.poll() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        true
    }

    fn finish(&mut self, results: Vec<(String, Vec<Result<Stats, String>>)>) {
        self.series.clear();
        self.errors.clear();
        let mut cancelled = 0;
        for (label, rows) in results {
            let mut ok = Vec::new();
            for row in rows {
                match row {
                    Ok(stats) => ok.push(stats),
                    Err(e) if e == "cancelled" => cancelled += 1,
                    Err(e) => self.errors.push(format!("{label}: {e}")),
                }
            }
            self.series.push(SweepSeries::new(label, ok));
        }
        if cancelled > 0 {
            self.errors
                .push(format!("cancelled: {cancelled} points were not run"));
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
}

/// The background thread's body: each plan in turn, all points in parallel.
fn run_plans(
    plans: &[Plan],
    intervals: &[Nanos],
    cancel: &AtomicBool,
    tx: &Sender<Message>,
    repaint: &(dyn Fn() + Send + Sync),
) {
    // One core stays with the UI, so the window stays fluid while the sweep runs.
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .saturating_sub(1)
        .max(1);
    let mut results = Vec::with_capacity(plans.len());
    for (k, plan) in plans.iter().enumerate() {
        let offset = k * intervals.len();
        let progress = |done: usize| {
            if let Err(TrySendError::Disconnected(_)) =
                tx.try_send(Message::Progress(offset + done))
            {
                cancel.store(true, Ordering::Relaxed);
            }
            repaint();
        };
        let rows = sweep(
            &plan.scenario,
            &plan.overrides,
            intervals,
            workers,
            cancel,
            &progress,
        );
        results.push((
            plan.label.clone(),
            rows.into_iter()
                .map(|r| r.map_err(|e| e.to_string()))
                .collect(),
        ));
    }
    // The UI may have gone away: then there is nobody to tell.
    let _ = tx.send(Message::Done(results));
    repaint();
}

impl Drop for Job {
    /// A sweep nobody will read stops: its workers finish the points they are on and exit.
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl GilscopeApp {
    /// The plans for the current scenario and settings, plus the overlay.
    fn sweep_plans(&self) -> Result<Vec<Plan>, String> {
        let scenario = self
            .scenario()
            .ok_or_else(|| "no scenario is loaded".to_owned())?;
        let base = Overrides {
            switch_interval: None,
            ..self.settings.overrides.clone()
        };
        let label_of = |scenario: &Scenario, overrides: &Overrides| {
            scenario
                .config(overrides)
                .map(|c| {
                    let build = if c.gil_enabled() {
                        "GIL"
                    } else {
                        "free-threaded"
                    };
                    format!("{} (Python {}, {build})", scenario.name, c.python)
                })
                .map_err(|e| e.to_string())
        };
        let mut plans = vec![Plan {
            label: label_of(&scenario, &base)?,
            scenario: scenario.clone(),
            overrides: base.clone(),
        }];
        match &self.analysis.sweep.overlay {
            Overlay::None => {}
            Overlay::FreeThreaded => {
                let overrides = Overrides {
                    free_threaded: Some(true),
                    gil: Some(false),
                    ..base.clone()
                };
                plans.push(Plan {
                    label: label_of(&scenario, &overrides)?,
                    scenario,
                    overrides,
                });
            }
            Overlay::Preset(stem) => {
                let other = presets::load(stem).map_err(|e| e.to_string())?;
                plans.push(Plan {
                    label: label_of(&other, &base)?,
                    scenario: other,
                    overrides: base,
                });
            }
        }
        Ok(plans)
    }

    /// Starts a sweep of the current scenario (and the overlay).
    pub fn start_sweep(&mut self, ctx: &egui::Context) {
        match self.sweep_plans() {
            Ok(plans) => {
                let ctx = ctx.clone();
                self.analysis
                    .sweep
                    .start(plans, move || ctx.request_repaint());
            }
            Err(e) => self.analysis.sweep.errors = vec![e],
        }
    }

    /// The switch interval run A uses now, in µs.
    fn current_interval_us(&self) -> Option<u64> {
        self.config_a().map(|c| c.switch_interval_us)
    }

    /// The whole sweep view (in place of the timeline).
    pub(super) fn sweep_view(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if self.analysis.sweep.poll() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        self.sweep_controls(ui, &ctx);
        let view = &self.analysis.sweep;
        let error_color = ui.visuals().error_fg_color;
        for e in &view.errors {
            ui.colored_label(error_color, e);
        }
        if let Some(status) = &view.export_status {
            ui.label(status);
        }
        if view.series.is_empty() {
            ui.add_space(12.0);
            ui.label(
                "Run the scenario at every interval of the range to see what \
                 sys.setswitchinterval does to latency, throughput and switching.",
            );
            return;
        }
        let current_us = self.current_interval_us();
        let verdict = current_us.and_then(|us| sweep_verdict(&view.series[0].rows, us));
        let chart = SweepChart {
            theme: &self.theme,
            current_us,
            verdict,
            id: "sweep-view",
            interactive: true,
        };
        let picked = egui::ScrollArea::vertical()
            .id_salt("sweep-chart")
            .show(ui, |ui| chart.show(ui, &view.series))
            .inner;
        if let Some(p) = picked {
            self.open_sweep_point(p.series, p.row);
        }
    }

    /// Opens the timeline of point `row` of series `series`.
    pub fn open_sweep_point(&mut self, series: usize, row: usize) {
        let view = &self.analysis.sweep;
        let (Some(s), Some(overrides)) = (view.series.get(series), view.overrides.get(series))
        else {
            return;
        };
        let Some(stats) = s.rows.get(row) else {
            return;
        };
        let interval = stats.switch_interval_us * US;
        let mut overrides = overrides.clone();
        overrides.switch_interval = Some(interval);
        if let (Overlay::Preset(stem), 1) = (&view.overlay, series) {
            let stem = stem.clone();
            self.choose_preset(&stem);
        }
        self.settings.overrides = overrides;
        self.analysis.show_sweep = false;
    }

    fn sweep_controls(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        let scenario_name = self
            .scenario()
            .map_or_else(|| "no scenario".to_owned(), |s| s.name);
        let presets: Vec<(String, String)> = self
            .presets
            .iter()
            .map(|p| (p.stem.to_owned(), p.name.clone()))
            .collect();
        let view = &mut self.analysis.sweep;
        let running = view.is_running();
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("Sweep of {scenario_name}"));
            ui.add_enabled_ui(!running, |ui| {
                let label = ui.label("from");
                ui.add(
                    egui::DragValue::new(&mut view.from_ms)
                        .range(0.001..=1000.0)
                        .speed(0.01)
                        .suffix(" ms"),
                )
                .labelled_by(label.id);
                let label = ui.label("to");
                ui.add(
                    egui::DragValue::new(&mut view.to_ms)
                        .range(0.001..=1000.0)
                        .speed(1.0)
                        .suffix(" ms"),
                )
                .labelled_by(label.id);
                let label = ui.label("points");
                ui.add(egui::DragValue::new(&mut view.points).range(2..=60))
                    .labelled_by(label.id);
                let overlay_text = match &view.overlay {
                    Overlay::None => "no overlay".to_owned(),
                    Overlay::FreeThreaded => "overlay: free-threaded".to_owned(),
                    Overlay::Preset(stem) => format!("overlay: {stem}"),
                };
                egui::ComboBox::from_id_salt("sweep-overlay")
                    .selected_text(overlay_text)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut view.overlay, Overlay::None, "no overlay");
                        ui.selectable_value(
                            &mut view.overlay,
                            Overlay::FreeThreaded,
                            "overlay: free-threaded",
                        );
                        for (stem, name) in &presets {
                            ui.selectable_value(
                                &mut view.overlay,
                                Overlay::Preset(stem.clone()),
                                format!("overlay: {name}"),
                            );
                        }
                    });
            });
        });
        let mut start = false;
        let mut export_png = false;
        ui.horizontal(|ui| {
            if running {
                if ui.button("Cancel sweep").clicked() {
                    view.cancel();
                }
                if let Some((done, total)) = view.progress() {
                    let fraction = done as f32 / total.max(1) as f32;
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .text(format!("{done} of {total} runs"))
                            .desired_width(240.0),
                    );
                }
            } else {
                start = ui.button("Run sweep").clicked();
            }
            ui.separator();
            let label = ui.label("export to");
            ui.add(egui::TextEdit::singleline(&mut view.export_stem).desired_width(160.0))
                .labelled_by(label.id);
            let ready = !view.series.is_empty() && !running;
            if ui.add_enabled(ready, egui::Button::new("CSV")).clicked() {
                let path = format!("{}.csv", view.export_stem.trim());
                view.export_status = Some(match std::fs::write(&path, view.csv()) {
                    Ok(()) => format!("wrote {path}"),
                    Err(e) => format!("cannot write {path}: {e}"),
                });
            }
            export_png = ui.add_enabled(ready, egui::Button::new("PNG")).clicked();
        });
        if export_png {
            self.export_sweep_png(&scenario_name);
        }
        if start {
            self.start_sweep(ctx);
        }
    }

    /// Writes the chart as `<export stem>.png`, in the current theme.
    fn export_sweep_png(&mut self, scenario_name: &str) {
        let view = &self.analysis.sweep;
        let Some(first) = view.series.first() else {
            return;
        };
        let path = format!("{}.png", view.export_stem.trim());
        let current_us = self.current_interval_us();
        let verdict = current_us.and_then(|us| sweep_verdict(&first.rows, us));
        let title = format!(
            "{scenario_name}: {} switch intervals, {} – {}",
            first.rows.len(),
            format_interval(view.from_ms),
            format_interval(view.to_ms)
        );
        let result = write_sweep_png(
            Path::new(&path),
            crate::plot_png::CLI_PNG_SIZE,
            &self.theme,
            &title,
            &view.series,
            current_us,
            verdict,
        );
        self.analysis.sweep.export_status = Some(match result {
            Ok(()) => format!("wrote {path}"),
            Err(e) => e.to_string(),
        });
    }
}
