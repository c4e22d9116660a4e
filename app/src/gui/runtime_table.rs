//! The runtime table: the scenario under every runtime a Python developer weighs (threads with
//! the GIL, free-threaded, asyncio, processes with fork, spawn and forkserver, subinterpreters,
//! the three pools), run in the background and shown as the CLI's `gilscope compare` table;
//! each row opens its run.

use super::view::{Action, View, ViewCtx};
use crate::format::{count, ms, ratio};
use crossbeam::channel::{Receiver, TryRecvError, bounded};
use gilscope_sim::compare::runtime_variants;
use gilscope_sim::model::Overrides;
use gilscope_sim::narration::headline::same_work;
use gilscope_sim::{RunOptions, Scenario, Stats, StopSignal, run_scenario};

/// The name of the table's background thread.
pub const THREAD_NAME: &str = "gilscope-runtimes";

/// The columns of the compare table, here and in `gilscope compare`.
pub const COMPARE_COLUMNS: [&str; 9] = [
    "runtime",
    "wall",
    "vs GIL",
    "CPU",
    "parallelism",
    "interpreters",
    "lost",
    "contention",
    "memory",
];

/// The cells of one runtime's row after its label (see [`COMPARE_COLUMNS`]); `gil` is the
/// first row (threads with the GIL), whose wall time "vs GIL" divides, and only for the same
/// work (a convoy's CPU-bound thread simply runs less when the I/O ends sooner).
pub fn compare_cells(stats: &Stats, gil: Option<&Stats>) -> [String; 8] {
    let ratio = gil
        .filter(|b| same_work(b, stats))
        .map_or_else(|| "—".to_owned(), |b| ratio(b.wall_ms / stats.wall_ms));
    let lost: u64 = stats.counters.iter().map(|c| c.lost).sum();
    // Increments made in each process's own copy are not lost to a race.
    let lost = if stats.counters.iter().any(|c| stats.in_own_copies(c)) {
        "own copies".to_owned()
    } else {
        count(lost)
    };
    [
        ms(stats.wall_ms),
        ratio,
        ms(stats.cpu_ms),
        stats
            .parallelism
            .map_or_else(|| "—".to_owned(), |p| format!("{p:.2}")),
        stats.interpreters.to_string(),
        lost,
        ms(stats.contention_ms),
        format!("{:.0} MiB", stats.resident_mib),
    ]
}

/// One runtime's row: its label, the settings that select it, and its stats or why not.
#[derive(Debug, Clone)]
pub struct RuntimeRow {
    /// "threads (GIL)", "asyncio" …
    pub label: String,
    /// The settings of this runtime's run.
    pub overrides: Overrides,
    /// Its stats, or why it cannot run.
    pub outcome: Result<Stats, String>,
}

/// The runs of every runtime for one scenario and its settings.
pub fn run_every_runtime(
    scenario: &Scenario,
    base: &Overrides,
    stop: &StopSignal,
) -> Vec<RuntimeRow> {
    runtime_variants(base)
        .into_iter()
        .map(|(label, overrides)| {
            let outcome = scenario
                .config(&overrides)
                .map_err(|e| e.to_string())
                .and_then(|config| {
                    let options = RunOptions {
                        stop: stop.clone(),
                        ..RunOptions::default()
                    };
                    run_scenario(scenario, &config, &options)
                        .map(|r| r.stats)
                        .map_err(|e| e.to_string())
                });
            RuntimeRow {
                label,
                overrides,
                outcome,
            }
        })
        .collect()
}

/// A table being computed in the background: dropping it stops the runs.
struct Job {
    key: (String, Overrides),
    stop: StopSignal,
    rows: Receiver<Vec<RuntimeRow>>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.stop.raise();
    }
}

/// The runtime table and its background runs.
#[derive(Default)]
pub struct RuntimeTable {
    job: Option<Job>,
    /// The last table, with the scenario and settings it is for.
    rows: Option<((String, Overrides), Vec<RuntimeRow>)>,
    error: Option<String>,
}

impl RuntimeTable {
    /// Whether the runs are under way.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// The rows of the last table.
    pub fn rows(&self) -> Option<&[RuntimeRow]> {
        self.rows.as_ref().map(|(_, r)| r.as_slice())
    }

    /// Starts the runs of `scenario` with `base` under every runtime.
    pub fn start(&mut self, scenario: &Scenario, base: &Overrides, ctx: &egui::Context) {
        let key = (scenario.source.clone(), base.clone());
        let (tx, rx) = bounded(1);
        let stop = StopSignal::new();
        let (job_scenario, job_base, job_stop, repaint) =
            (scenario.clone(), base.clone(), stop.clone(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                let rows = run_every_runtime(&job_scenario, &job_base, &job_stop);
                // The table may have been closed meanwhile: nobody to tell.
                let _ = tx.send(rows);
                repaint.request_repaint();
            });
        match spawned {
            Ok(_) => {
                self.error = None;
                self.job = Some(Job {
                    key,
                    stop,
                    rows: rx,
                });
            }
            Err(e) => self.error = Some(format!("could not start the runs: {e}")),
        }
    }

    /// Takes the table when the runs are done.
    pub fn poll(&mut self) {
        let Some(job) = &self.job else { return };
        match job.rows.try_recv() {
            Ok(rows) => {
                self.rows = Some((job.key.clone(), rows));
                self.job = None;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.error = Some("the runs stopped unexpectedly".to_owned());
                self.job = None;
            }
        }
    }
}

impl View for RuntimeTable {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        self.poll();
        let mut actions = Vec::new();
        let Some(scenario) = cx.scenario else {
            ui.label("Choose a scenario first.");
            return actions;
        };
        let key = (scenario.source.clone(), cx.settings.overrides.clone());
        ui.horizontal_wrapped(|ui| {
            ui.heading(format!("{} under every runtime", scenario.name));
            if self.is_running() {
                ui.spinner();
                ui.label("running…");
            } else if ui
                .button("Run every runtime")
                .on_hover_text("Threads with the GIL, free-threaded 3.14t, asyncio, processes (fork, spawn, forkserver), subinterpreters and the three pools (multiprocessing.Pool, ProcessPoolExecutor, ThreadPoolExecutor): the same table as `gilscope compare`")
                .clicked()
            {
                self.start(scenario, &cx.settings.overrides, ui.ctx());
            }
        });
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let Some((for_key, rows)) = &self.rows else {
            ui.label("Each row is one run of this scenario with these settings; open one to see its timeline.");
            return actions;
        };
        if *for_key != key {
            ui.weak("This table is for other settings or another scenario: run it again.");
        }
        let gil = rows.first().and_then(|r| r.outcome.as_ref().ok());
        // Each row's button comes right after its name, so that it is on screen however many
        // columns follow (the table scrolls in a narrow window).
        let [runtime, columns @ ..] = COMPARE_COLUMNS;
        // Both ways within the height left, so that its sideways scroll bar stays on screen
        // when the table is also taller than the window (presentation mode at 1024×640), and
        // solid bars, seen without hovering: columns past the edge are there to scroll to.
        ui.style_mut().spacing.scroll = egui::style::ScrollStyle::solid();
        egui::ScrollArea::both()
            .id_salt("runtime-table-scroll")
            .max_height(ui.available_height())
            .show(ui, |ui| {
                egui::Grid::new("runtime-table")
                    .num_columns(COMPARE_COLUMNS.len() + 1)
                    .striped(true)
                    .spacing([12.0, 6.0])
                    .show(ui, |ui| {
                        ui.strong(runtime);
                        ui.label("");
                        for column in columns {
                            ui.strong(column);
                        }
                        ui.end_row();
                        for row in rows {
                            ui.label(&row.label);
                            match &row.outcome {
                                Ok(stats) => {
                                    // "Open", named for screen readers by its row.
                                    let open = ui.button("Open");
                                    let name = format!("Open {}", row.label);
                                    open.widget_info(|| {
                                        egui::WidgetInfo::labeled(
                                            egui::accesskit::Role::Button,
                                            true,
                                            &name,
                                        )
                                    });
                                    if open
                                        .on_hover_text(format!("Run {} on the timeline", row.label))
                                        .clicked()
                                    {
                                        actions.push(Action::OpenRun {
                                            preset: None,
                                            overrides: Box::new(row.overrides.clone()),
                                        });
                                    }
                                    for cell in compare_cells(stats, gil) {
                                        ui.label(cell);
                                    }
                                }
                                Err(e) => {
                                    ui.label("");
                                    ui.add(egui::Label::new(format!("not possible: {e}")).wrap());
                                }
                            }
                            ui.end_row();
                        }
                    });
            });
        actions
    }
}
