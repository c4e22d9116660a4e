//! The settings panel (left): scenario, interpreter, switch interval, threads, cores, seed,
//! and what the compare view changes. Every change restarts the run (see `app.rs`).

use super::app::GilscopeApp;
use super::session::EngineChoice;
use super::settings::{CompareWith, ScenarioSource};
use crate::format::{count, nanos as format_nanos};
use gilscope_sim::model::{
    DEFAULT_CHECK_INTERVAL, DEFAULT_SWITCH_INTERVAL, MAX_CHECK_INTERVAL, MAX_WORKERS, Model,
    Overrides, Runtime, StartMethod, SuccessorPolicy,
};
use gilscope_sim::scenario::ScenarioError;
use gilscope_sim::settings::setting;
use gilscope_sim::time::{MS, Nanos, US};
use gilscope_sim::{Named, Op, PythonVersion, RunConfig, Scenario};

/// The versions offered: 3.2–3.9 and 3.10+ differ in where a switch may happen; 3.13+ can be
/// free-threaded; 3.14 made that cheaper.
const VERSIONS: [PythonVersion; 7] = [
    PythonVersion::new(2, 7),
    PythonVersion::new(3, 1),
    PythonVersion::new(3, 9),
    PythonVersion::new(3, 10),
    PythonVersion::new(3, 12),
    PythonVersion::new(3, 13),
    PythonVersion::new(3, 14),
];

/// The switch-interval slider's range.
const INTERVAL_MIN: Nanos = US;
const INTERVAL_MAX: Nanos = 100 * MS;

/// The help of setting `key`, as its flag and the README give it: the tooltip of its control.
fn help(key: &str) -> &'static str {
    setting(key).map_or("", |s| s.help)
}

/// Why a run cannot have these settings, without the file name: a disabled control's tooltip.
fn reason(error: &ScenarioError) -> String {
    match error {
        ScenarioError::Invalid { message, .. } | ScenarioError::Located { message, .. } => {
            message.clone()
        }
        other @ ScenarioError::Read { .. } => other.to_string(),
    }
}

/// Whether a run of `scenario` with `config` ever has a GIL: a default build, `PYTHON_GIL=1`,
/// or a free-threaded build that imports an extension without free-threading support (which
/// turns the GIL back on unless `PYTHON_GIL=0`).
pub(super) fn ever_has_gil(scenario: &Scenario, config: &RunConfig) -> bool {
    config.gil_enabled()
        || (config.gil_override != Some(false)
            && scenario.groups.iter().flat_map(|g| &g.ops).any(|op| {
                matches!(
                    op,
                    Op::Import {
                        supports_free_threading: false,
                        ..
                    }
                )
            }))
}

/// Why no thread of a run of `scenario` with `config` ever waits for a GIL, if none does:
/// there is none, or each GIL has one thread.
pub(super) fn no_gil_contention(scenario: &Scenario, config: &RunConfig) -> Option<String> {
    if !ever_has_gil(scenario, config) {
        return Some(
            "This free-threaded build runs without a GIL, so no thread waits for one: set PYTHON_GIL to 1 to bring the GIL back".to_owned(),
        );
    }
    match config.runtime {
        Runtime::Multiprocessing => Some(
            "Each process runs one thread with its own GIL, so no thread waits for one".to_owned(),
        ),
        Runtime::Subinterpreters => Some(
            "Each subinterpreter runs one thread with its own GIL, so no thread waits for one"
                .to_owned(),
        ),
        Runtime::Pool | Runtime::ProcessPool => Some(
            "Each worker process runs one task at a time with its own GIL, so no task waits for one"
                .to_owned(),
        ),
        Runtime::Threads | Runtime::Asyncio | Runtime::ThreadPool => None,
    }
}

/// Why the switch interval does nothing in a run of `scenario` with `config`, if it does
/// nothing.
pub(super) fn interval_unused(scenario: &Scenario, config: &RunConfig) -> Option<String> {
    if let Some(why) = no_gil_contention(scenario, config) {
        return Some(why);
    }
    (config.model() == Model::OldGil).then(|| {
        format!(
            "Python {} has the old GIL, which ignores the switch interval: the holder releases it every check interval ({} ticks)",
            config.python,
            count(config.check_interval)
        )
    })
}

fn version_note(v: PythonVersion) -> &'static str {
    if v < PythonVersion::new(3, 2) {
        "the old GIL: the holder releases and re-takes it every 100 ticks"
    } else if v < PythonVersion::new(3, 10) {
        "a switch can happen before almost any instruction"
    } else if v < PythonVersion::FIRST_FREE_THREADED {
        "switches only at loop back-edges, calls and function entry; no free-threaded build"
    } else {
        "switches only at loop back-edges, calls and function entry; free-threaded build available"
    }
}

/// A logarithmic switch-interval slider (1 µs … 100 ms) with the 5 ms default marked
/// under the rail. Returns the new value when the user moved it.
pub(super) fn interval_slider(ui: &mut egui::Ui, label: &str, value: Nanos) -> Option<Nanos> {
    let label = ui.label(label);
    let mut us = value.clamp(INTERVAL_MIN, INTERVAL_MAX) as f64 / US as f64;
    let mut changed = None;
    ui.horizontal(|ui| {
        let response = ui
            .add(
                egui::Slider::new(&mut us, 1.0..=(INTERVAL_MAX / US) as f64)
                    .logarithmic(true)
                    .show_value(false),
            )
            .labelled_by(label.id)
            .on_hover_text(help("switch_interval"));
        // The default's place on the rail: the slider maps log(value) linearly between
        // the handle's end positions, which are inset by the handle radius.
        let rect = response.rect;
        let inset = rect.height() / 2.5;
        let t = ((DEFAULT_SWITCH_INTERVAL / US) as f64).ln() / ((INTERVAL_MAX / US) as f64).ln();
        let x = rect.left() + inset + (rect.width() - 2.0 * inset) * t as f32;
        let color = ui.visuals().text_color();
        let painter = ui.painter();
        let tip = egui::pos2(x, rect.bottom() - 1.0);
        painter.add(egui::Shape::convex_polygon(
            vec![tip, tip + egui::vec2(-4.0, 5.0), tip + egui::vec2(4.0, 5.0)],
            color,
            egui::Stroke::NONE,
        ));
        if response.changed() {
            changed = Some(((us * US as f64).round() as Nanos).clamp(INTERVAL_MIN, INTERVAL_MAX));
        }
        ui.label(format_nanos(value));
    });
    ui.horizontal(|ui| {
        ui.weak("Tick = default (5 ms)");
        if value != DEFAULT_SWITCH_INTERVAL && ui.small_button("Use 5 ms").clicked() {
            changed = Some(DEFAULT_SWITCH_INTERVAL);
        }
    });
    changed
}

/// A Python version picker; returns the new version when chosen. `why_not` says why a version
/// cannot run with the other settings (that version is shown disabled, the reason on hover).
pub(super) fn version_picker(
    ui: &mut egui::Ui,
    id: &str,
    label: &str,
    current: PythonVersion,
    why_not: &dyn Fn(PythonVersion) -> Option<String>,
) -> Option<PythonVersion> {
    let mut chosen = None;
    ui.horizontal(|ui| {
        let label = ui.label(label);
        let mut versions = VERSIONS.to_vec();
        if !versions.contains(&current) {
            versions.push(current);
            versions.sort();
        }
        egui::ComboBox::from_id_salt(id)
            .selected_text(current.to_string())
            .show_ui(ui, |ui| {
                for v in versions {
                    let not = (v != current).then(|| why_not(v)).flatten();
                    let item = ui
                        .add_enabled(
                            not.is_none(),
                            egui::Button::selectable(v == current, v.to_string()),
                        )
                        .on_hover_text(version_note(v))
                        .on_disabled_hover_text(not.unwrap_or_default());
                    if item.clicked() {
                        chosen = Some(v);
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(format!("{} {}", version_note(current), help("python")));
    });
    chosen
}

/// A menu of every value of a named setting; values `why_not` refuses are disabled with the
/// reason on hover. Returns the value chosen.
fn named_menu<T: Named>(
    ui: &mut egui::Ui,
    id: &str,
    current: T,
    shown: &dyn Fn(T) -> String,
    why_not: &dyn Fn(T) -> Option<String>,
) -> (Option<T>, egui::Response) {
    let mut chosen = None;
    let response = egui::ComboBox::from_id_salt(id)
        .selected_text(shown(current))
        .show_ui(ui, |ui| {
            for &value in T::ALL {
                let not = (value != current).then(|| why_not(value)).flatten();
                let item = ui
                    .add_enabled(
                        not.is_none(),
                        egui::Button::selectable(value == current, shown(value)),
                    )
                    .on_disabled_hover_text(not.unwrap_or_default());
                if item.clicked() && value != current {
                    chosen = Some(value);
                }
            }
        })
        .response;
    (chosen, response)
}

impl GilscopeApp {
    /// Simulated, real threads contending for a real GIL on this machine's cores, or a real
    /// `CPython` found here (listed once the background search has found them).
    fn engine_picker(&mut self, ui: &mut egui::Ui) {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let live_label = format!(
            "Real threads on this machine ({cores} core{})",
            if cores == 1 { "" } else { "s" }
        );
        let current = self.settings.engine();
        let real_label = |i: &gilscope_sim::cpython::Interpreter| format!("CPython {}", i.label());
        let selected = match &current {
            EngineChoice::Simulated => "Simulated".to_owned(),
            EngineChoice::Live => format!("Real threads ({cores})"),
            EngineChoice::Cpython(path) => self
                .interpreters
                .get(Some(path))
                .map_or_else(|| "CPython (looking…)".to_owned(), real_label),
        };
        let mut chosen = None;
        ui.horizontal(|ui| {
            let label = ui.label("Engine");
            egui::ComboBox::from_id_salt("engine")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    if ui.selectable_label(current == EngineChoice::Simulated, "Simulated").clicked() {
                        chosen = Some(EngineChoice::Simulated);
                    }
                    if ui.selectable_label(current == EngineChoice::Live, live_label.as_str()).clicked() {
                        chosen = Some(EngineChoice::Live);
                    }
                    if self.interpreters.searching() {
                        ui.add_enabled(false, egui::Button::selectable(false, "CPython: looking for interpreters…"));
                    } else if let Some(why) = self.interpreters.unavailable() {
                        ui.add_enabled(false, egui::Button::selectable(false, "CPython: unavailable"))
                            .on_disabled_hover_text(why);
                    }
                    for i in self.interpreters.found() {
                        let this = EngineChoice::Cpython(i.path.clone());
                        if ui
                            .selectable_label(current == this, real_label(i))
                            .on_hover_text(i.describe())
                            .clicked()
                        {
                            chosen = Some(this);
                        }
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("Simulated: CPython's algorithm in virtual time, deterministic. Real threads: OS threads and a real GIL, in real time, on this machine. CPython: a real interpreter installed here runs a program generated from the scenario");
        });
        if let Some(engine) = chosen {
            self.settings.set_engine(engine);
        }
        let small = |ui: &mut egui::Ui, text: &str| {
            ui.add(egui::Label::new(egui::RichText::new(text).small()).wrap());
        };
        match self.settings.engine() {
            EngineChoice::Simulated => {}
            EngineChoice::Live => small(
                ui,
                "Real threads run in real time (the speed does not apply; Stop ends them) and support the threads runtime of Python 3.2+ only.",
            ),
            EngineChoice::Cpython(_) => {
                small(
                    ui,
                    "A real interpreter runs in real time (the speed does not apply; Stop ends it). Its own version and build apply; what it does not let gilscope observe is listed under the timeline.",
                );
            }
        }
        for note in &self.engine_notes {
            small(ui, note);
        }
        ui.add_space(4.0);
    }

    pub(super) fn controls_panel(&mut self, ui: &mut egui::Ui) {
        let mut open = self.settings.show_controls;
        let width = 260.0 * self.theme.text_scale().sqrt();
        // A fixed width, at most about a quarter (settings) or a third (stats) of the
        // window, so the timeline keeps at least 40% of it at any size.
        let most = (ui.ctx().content_rect().width() * 0.26).max(200.0);
        let shown = egui::Panel::left("controls")
            .exact_size(width.min(most).round())
            .show_collapsible(ui, &mut open, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    ui.add_space(6.0);
                    self.scenario_section(ui);
                    ui.separator();
                    self.interpreter_section(ui);
                    ui.separator();
                    self.compare_section(ui);
                    ui.add_space(8.0);
                });
            });
        if let Some(shown) = shown {
            self.views.rects.record("settings", shown.response.rect);
        }
        self.settings.show_controls = open;
    }

    fn scenario_section(&mut self, ui: &mut egui::Ui) {
        ui.strong("Scenario");
        let current = self.settings.scenario.clone();
        let selected = match &current {
            ScenarioSource::Preset(stem) => self
                .presets
                .iter()
                .find(|p| p.stem == stem)
                .map_or_else(|| stem.clone(), |p| p.name.clone()),
            ScenarioSource::File(path) => format!("File: {path}"),
        };
        let mut chosen = None;
        let label = ui.label("Preset");
        egui::ComboBox::from_id_salt("scenario")
            .selected_text(selected)
            .width((ui.available_width() - 2.0 * ui.spacing().interact_size.y).max(60.0))
            // Room for every preset without scrolling, when the window allows.
            .height(ui.ctx().content_rect().height() * 0.8)
            .show_ui(ui, |ui| {
                for preset in &self.presets {
                    let on = current == ScenarioSource::Preset(preset.stem.to_owned());
                    if ui
                        .selectable_label(on, &preset.name)
                        .on_hover_text(&preset.summary)
                        .clicked()
                    {
                        chosen = Some(preset.stem);
                    }
                }
            })
            .response
            .labelled_by(label.id);
        if let Some(stem) = chosen {
            self.choose_preset(stem);
        }
        if let Some((_, scenario)) = &self.loaded {
            ui.label(egui::RichText::new(&scenario.summary).italics());
        }
        ui.add_space(4.0);
        let label = ui.label("Open file…");
        let mut open = false;
        // The button first, from the right, so the field takes exactly what is left.
        ui.horizontal(|ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                open |= ui.button("Open").clicked();
                let field = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.settings.file_path)
                            .hint_text("path/to/scenario.toml")
                            .desired_width(ui.available_width() - 12.0),
                    )
                    .labelled_by(label.id);
                open |= field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            });
        });
        if open {
            let path = self.settings.file_path.clone();
            self.open_file(&path);
        }
    }

    /// The merged settings of run A (user over scenario), for showing current values even
    /// when they do not resolve.
    fn merged(&self) -> Overrides {
        let scenario = self
            .loaded
            .as_ref()
            .map(|(_, s)| s.settings.clone())
            .unwrap_or_default();
        self.settings.overrides.or(&scenario)
    }

    /// The real interpreter of run A, when it runs on one.
    fn real_interpreter(&self) -> Option<gilscope_sim::cpython::Interpreter> {
        match self.settings.engine() {
            EngineChoice::Cpython(path) => self.interpreters.get(Some(&path)).cloned(),
            EngineChoice::Simulated | EngineChoice::Live => None,
        }
    }

    /// Why run A cannot have `candidate` (the user's overrides with one change), when the
    /// current settings can run: the reason a control's option is disabled.
    fn why_not(&self, candidate: &Overrides) -> Option<String> {
        let (_, scenario) = self.loaded.as_ref()?;
        scenario.config(&self.settings.overrides).ok()?;
        scenario.config(candidate).err().map(|e| reason(&e))
    }

    /// Why run A's switch interval does nothing, if it does nothing.
    fn interval_unused_a(&self) -> Option<String> {
        let (_, scenario) = self.loaded.as_ref()?;
        interval_unused(scenario, &self.config_a()?)
    }

    /// The user's overrides changed by `change`.
    fn with(&self, change: impl FnOnce(&mut Overrides)) -> Overrides {
        let mut candidate = self.settings.overrides.clone();
        change(&mut candidate);
        candidate
    }

    /// The Python version and build: chosen for the simulator (what cannot run disabled, with
    /// the reason), the interpreter's own for a real one. Returns whether the build is
    /// free-threaded.
    fn build_controls(
        &mut self,
        ui: &mut egui::Ui,
        merged: &Overrides,
        defaults: Option<&RunConfig>,
        real: Option<&gilscope_sim::cpython::Interpreter>,
    ) -> bool {
        if let Some(i) = real {
            ui.label(format!("Python {}", i.label()))
                .on_hover_text(format!(
                    "{}: the version and the build are the interpreter's own",
                    i.describe()
                ));
            return i.facts.free_threaded;
        }
        let python = merged
            .python
            .or(defaults.map(|d| d.python))
            .unwrap_or(PythonVersion::DEFAULT);
        let why_version = |v: PythonVersion| self.why_not(&self.with(|o| o.python = Some(v)));
        if let Some(v) = version_picker(ui, "python", "Python", python, &why_version) {
            self.settings.overrides.python = Some(v);
        }
        let mut free = merged.free_threaded.unwrap_or(false);
        let why_free = self.why_not(&self.with(|o| {
            o.free_threaded = Some(!free);
            o.gil = None;
        }));
        if ui
            .add_enabled(
                why_free.is_none(),
                egui::Checkbox::new(&mut free, "Free-threaded build (3.13+)"),
            )
            .on_hover_text(help("free_threaded"))
            .on_disabled_hover_text(why_free.unwrap_or_default())
            .changed()
        {
            self.settings.overrides.free_threaded = Some(free);
            self.settings.overrides.gil = None;
        }
        free
    }

    fn interpreter_section(&mut self, ui: &mut egui::Ui) {
        self.engine_picker(ui);
        ui.strong("Interpreter");
        let merged = self.merged();
        let defaults = Overrides::default().resolve().ok();
        let config = self.config_a();
        let real = self.real_interpreter();
        let free = self.build_controls(ui, &merged, defaults.as_ref(), real.as_ref());
        if free {
            self.python_gil(ui, &merged);
        }
        let runtime = merged.runtime.unwrap_or_default();
        ui.horizontal(|ui| {
            let label = ui.label("Runs as");
            let tasks = self.loaded.as_ref().map_or(0, |(_, scenario)| {
                scenario.groups.iter().map(|g| g.count).sum::<u32>()
            });
            let why = |r: Runtime| {
                let reason = self.why_not(&self.with(|o| o.runtime = Some(r)))?;
                // A pool too small for the scenario's endless tasks is offered all the same
                // when a worker per task would run: the refusal then says how many it needs,
                // and the "Pool workers" control (enabled under a pool) can give them.
                let enough = self.with(|o| {
                    o.runtime = Some(r);
                    o.workers = Some(tasks.max(1));
                });
                if r.is_pool() && self.why_not(&enough).is_none() {
                    None
                } else {
                    Some(reason)
                }
            };
            let (chosen, response) = named_menu(
                ui,
                "runtime",
                runtime,
                &|r: Runtime| r.name().to_owned(),
                &why,
            );
            response
                .labelled_by(label.id)
                .on_hover_text(help("runtime"));
            if let Some(r) = chosen {
                self.settings.overrides.runtime = Some(r);
            }
        });
        // The settings alone, when the scenario refuses them (a pool too small for its endless
        // tasks): the controls that can fix that stay on screen.
        let settings = config.clone().or_else(|| merged.resolve().ok());
        self.start_method(ui, &merged, settings.as_ref());
        self.workers(ui, &merged, settings.as_ref());
        let interval = merged.switch_interval.unwrap_or(DEFAULT_SWITCH_INTERVAL);
        let ticks = real
            .as_ref()
            .is_some_and(|i| i.version.python < PythonVersion::new(3, 2));
        if ticks {
            not_applicable(
                ui,
                "Switch interval",
                "Python 2.7's GIL counts ticks (sys.setcheckinterval), not time",
            );
        } else {
            let unused = self.interval_unused_a();
            let moved = ui.add_enabled_ui(unused.is_none(), |ui| {
                interval_slider(ui, "Switch interval", interval)
            });
            if let Some(why) = &unused {
                moved.response.on_disabled_hover_text(why);
            }
            if let Some(v) = moved.inner {
                self.settings.overrides.switch_interval = Some(v);
            }
        }
        if config.as_ref().is_some_and(|c| c.model() == Model::OldGil) {
            self.check_interval(ui, &merged);
        }
        self.successor(ui, &merged, config.as_ref());
        ui.add_space(4.0);
        self.threads_grid(
            ui,
            &merged,
            defaults.as_ref().map_or(2, |d| d.cores),
            real.is_none()
                .then(|| defaults.as_ref().map_or(1, |d| d.seed)),
        );
        if ui.button("Reset to the scenario's settings").clicked() {
            self.settings.reset_run_settings();
        }
    }

    /// `PYTHON_GIL`, for a free-threaded build.
    fn python_gil(&mut self, ui: &mut egui::Ui, merged: &Overrides) {
        ui.horizontal(|ui| {
            let label = ui.label("PYTHON_GIL");
            let text = |g: Option<bool>| match g {
                None => "not set (GIL off)",
                Some(false) => "0 (GIL off)",
                Some(true) => "1 (GIL forced on)",
            };
            let mut gil = merged.gil;
            egui::ComboBox::from_id_salt("python_gil")
                .selected_text(text(gil))
                .show_ui(ui, |ui| {
                    for g in [None, Some(false), Some(true)] {
                        ui.selectable_value(&mut gil, g, text(g));
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(help("gil"));
            if gil != merged.gil {
                self.settings.overrides.gil = gil;
            }
        });
    }

    /// How `multiprocessing` starts its processes: for that runtime and the process pools.
    fn start_method(&mut self, ui: &mut egui::Ui, merged: &Overrides, config: Option<&RunConfig>) {
        let Some(config) = config else { return };
        let applies = config.runtime.uses_processes();
        let default = StartMethod::linux_default(config.python);
        let shown = |m: StartMethod| {
            if m == default {
                format!("{m} (default)")
            } else {
                m.name().to_owned()
            }
        };
        ui.horizontal(|ui| {
            let label = ui.label("Start method");
            let current = merged.start_method.unwrap_or(default);
            // A method the version lacks (before 3.4 only fork) is offered disabled, saying why.
            let why = |m: StartMethod| self.why_not(&self.with(|o| o.start_method = Some(m)));
            let inner = ui.add_enabled_ui(applies, |ui| {
                let (chosen, response) = named_menu(ui, "start_method", current, &shown, &why);
                response
                    .labelled_by(label.id)
                    .on_hover_text(help("start_method"));
                chosen
            });
            inner.response.on_disabled_hover_text(format!(
                "Only multiprocessing and the process pools start processes; this run uses {}",
                config.runtime
            ));
            if let Some(m) = inner.inner {
                self.settings.overrides.start_method = Some(m);
            }
        });
    }

    /// A pool's workers: only for the pool runtimes.
    fn workers(&mut self, ui: &mut egui::Ui, merged: &Overrides, config: Option<&RunConfig>) {
        let Some(config) = config else { return };
        ui.horizontal(|ui| {
            let label = ui.label("Pool workers");
            if !config.runtime.is_pool() {
                // No pool, no count: a number here would be a pool that does not exist.
                ui.add_enabled(false, egui::Label::new("none"))
                    .on_disabled_hover_text(format!(
                        "Only the pool runtimes (pool, process-pool, thread-pool) have workers; this run uses {}",
                        config.runtime
                    ));
                return;
            }
            let mut workers = merged.workers.unwrap_or_else(|| config.pool_workers().max(1));
            let changed = ui
                .add(egui::DragValue::new(&mut workers).range(1..=MAX_WORKERS))
                .labelled_by(label.id)
                .on_hover_text(help("workers"))
                .changed();
            if changed {
                self.settings.overrides.workers = Some(workers);
            }
        });
    }

    /// The old GIL's check interval (`sys.setcheckinterval`), in place of the switch interval.
    fn check_interval(&mut self, ui: &mut egui::Ui, merged: &Overrides) {
        ui.horizontal(|ui| {
            let label = ui.label("Check interval (ticks)");
            let mut ticks = merged.check_interval.unwrap_or(DEFAULT_CHECK_INTERVAL);
            if ui
                .add(
                    egui::DragValue::new(&mut ticks)
                        .range(1..=MAX_CHECK_INTERVAL)
                        .speed(1.0),
                )
                .labelled_by(label.id)
                .on_hover_text(help("check_interval"))
                .changed()
            {
                self.settings.overrides.check_interval = Some(ticks);
            }
        });
    }

    /// Who wins the GIL when it is released: only where there is a GIL.
    fn successor(&mut self, ui: &mut egui::Ui, merged: &Overrides, config: Option<&RunConfig>) {
        let Some(config) = config else { return };
        ui.horizontal(|ui| {
            let label = ui.label("GIL goes to");
            let current = merged.successor.unwrap_or_default();
            let unused = self
                .loaded
                .as_ref()
                .and_then(|(_, scenario)| no_gil_contention(scenario, config));
            let inner = ui.add_enabled_ui(unused.is_none(), |ui| {
                let (chosen, response) = named_menu(
                    ui,
                    "successor",
                    current,
                    &|p: SuccessorPolicy| p.name().to_owned(),
                    &|_| None,
                );
                response
                    .labelled_by(label.id)
                    .on_hover_text(help("successor"));
                chosen
            });
            inner
                .response
                .on_disabled_hover_text(unused.unwrap_or_default());
            if let Some(p) = inner.inner {
                self.settings.overrides.successor = Some(p);
            }
        });
    }

    fn threads_grid(
        &mut self,
        ui: &mut egui::Ui,
        merged: &Overrides,
        default_cores: u32,
        default_seed: Option<u64>,
    ) {
        let groups: Vec<(String, u32)> = self
            .loaded
            .as_ref()
            .map(|(_, s)| s.groups.iter().map(|g| (g.name.clone(), g.count)).collect())
            .unwrap_or_default();
        egui::Grid::new("threads")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                for (index, (name, count)) in groups.iter().enumerate() {
                    let label = ui.label(format!("“{name}” threads"));
                    let mut n = self.settings.group_count(index).unwrap_or(*count);
                    if ui
                        .add(egui::DragValue::new(&mut n).range(1..=64))
                        .labelled_by(label.id)
                        .changed()
                    {
                        self.settings.set_group_count(index, n);
                    }
                    ui.end_row();
                }
                let label = ui.label("Cores");
                let mut cores = merged.cores.unwrap_or(default_cores);
                if ui
                    .add(egui::DragValue::new(&mut cores).range(1..=64))
                    .labelled_by(label.id)
                    .on_hover_text(help("cores"))
                    .changed()
                {
                    self.settings.overrides.cores = Some(cores);
                }
                ui.end_row();
                let Some(default_seed) = default_seed else {
                    ui.label("Seed");
                    ui.weak("not applicable").on_hover_text(
                        "A real interpreter has no seed: the OS decides who wins the GIL",
                    );
                    ui.end_row();
                    return;
                };
                let label = ui.label("Seed");
                let mut seed = merged.seed.unwrap_or(default_seed);
                if ui
                    .add(egui::DragValue::new(&mut seed))
                    .labelled_by(label.id)
                    .on_hover_text(help("seed"))
                    .changed()
                {
                    self.settings.overrides.seed = Some(seed);
                }
                ui.end_row();
            });
    }

    /// Why run B cannot run when it changes `with`, when run A can.
    fn why_not_b(&self, with: CompareWith) -> Option<String> {
        let (_, scenario) = self.loaded.as_ref()?;
        let a = scenario.config(&self.settings.overrides).ok()?;
        if let CompareWith::SwitchInterval(_) = with {
            return interval_unused(scenario, &a);
        }
        scenario
            .config(&with.overrides_b(&self.settings.overrides, &a))
            .err()
            .map(|e| reason(&e))
    }

    fn compare_section(&mut self, ui: &mut egui::Ui) {
        ui.strong("Compare");
        ui.checkbox(&mut self.settings.compare, "Run twice, stacked (C)")
            .on_hover_text("Run A uses the settings above; run B changes one thing");
        if !self.settings.compare {
            return;
        }
        let current = self.settings.compare_with;
        ui.horizontal(|ui| {
            let label = ui.label("B changes");
            egui::ComboBox::from_id_salt("compare_with")
                .selected_text(current.kind_label())
                .show_ui(ui, |ui| {
                    for kind in CompareWith::KINDS {
                        let not = (!kind.same_kind(current))
                            .then(|| self.why_not_b(kind))
                            .flatten();
                        let item = ui
                            .add_enabled(
                                not.is_none(),
                                egui::Button::selectable(
                                    kind.same_kind(current),
                                    kind.kind_label(),
                                ),
                            )
                            .on_disabled_hover_text(not.unwrap_or_default());
                        if item.clicked() && !kind.same_kind(current) {
                            self.settings.compare_with = kind;
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
        match self.settings.compare_with {
            CompareWith::RealInterpreter => self.compare_interpreter_picker(ui),
            CompareWith::Build => {
                let a_free = self.config_a().is_some_and(|c| !c.gil_enabled());
                ui.label(if a_free {
                    "B runs with the GIL."
                } else {
                    "B runs on a free-threaded build (3.13+)."
                });
            }
            CompareWith::SwitchInterval(v) => {
                let unused = self.interval_unused_a();
                let moved = ui.add_enabled_ui(unused.is_none(), |ui| {
                    interval_slider(ui, "B's switch interval", v)
                });
                if let Some(why) = &unused {
                    moved.response.on_disabled_hover_text(why);
                }
                if let Some(v) = moved.inner {
                    self.settings.compare_with = CompareWith::SwitchInterval(v);
                }
            }
            CompareWith::Python(v) => {
                let why = |v: PythonVersion| self.why_not_b(CompareWith::Python(v));
                if let Some(v) = version_picker(ui, "python_b", "B's Python", v, &why) {
                    self.settings.compare_with = CompareWith::Python(v);
                }
            }
            CompareWith::Runtime(r) => {
                ui.horizontal(|ui| {
                    let label = ui.label("B runs as");
                    let why = |r: Runtime| self.why_not_b(CompareWith::Runtime(r));
                    let (chosen, response) =
                        named_menu(ui, "runtime_b", r, &|r: Runtime| r.name().to_owned(), &why);
                    response.labelled_by(label.id);
                    if let Some(r) = chosen {
                        self.settings.compare_with = CompareWith::Runtime(r);
                    }
                });
            }
            CompareWith::Cores(n) => {
                ui.horizontal(|ui| {
                    let label = ui.label("B's cores");
                    let mut n = n;
                    if ui
                        .add(egui::DragValue::new(&mut n).range(1..=64))
                        .labelled_by(label.id)
                        .changed()
                    {
                        self.settings.compare_with = CompareWith::Cores(n);
                    }
                });
            }
        }
    }

    /// B on a real interpreter: which one (the newest found by default).
    fn compare_interpreter_picker(&mut self, ui: &mut egui::Ui) {
        let current = self
            .interpreters
            .get(self.settings.compare_interpreter.as_deref())
            .cloned();
        ui.horizontal(|ui| {
            let label = ui.label("B's interpreter");
            let text = current.as_ref().map_or_else(
                || {
                    if self.interpreters.searching() {
                        "looking…".to_owned()
                    } else {
                        "none found".to_owned()
                    }
                },
                |i| format!("CPython {}", i.label()),
            );
            let mut chosen = None;
            egui::ComboBox::from_id_salt("interpreter_b")
                .selected_text(text)
                .show_ui(ui, |ui| {
                    for i in self.interpreters.found() {
                        let on = current.as_ref().is_some_and(|c| c.path == i.path);
                        if ui
                            .selectable_label(on, format!("CPython {}", i.label()))
                            .on_hover_text(i.describe())
                            .clicked()
                        {
                            chosen = Some(i.path.clone());
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            if chosen.is_some() {
                self.settings.compare_interpreter = chosen;
            }
        });
        ui.label("B runs the same settings on a real interpreter, beside A's engine.");
    }
}

/// A setting this engine has no knob for: its name, "not applicable", and why on hover.
fn not_applicable(ui: &mut egui::Ui, name: &str, why: &str) {
    ui.horizontal(|ui| {
        ui.label(name);
        ui.weak("not applicable").on_hover_text(why);
    });
}
