//! The settings panel (left): scenario, interpreter, switch interval, threads, cores, seed,
//! and what the compare view changes. Every change restarts the run (see `app.rs`).

use super::app::GilscopeApp;
use super::session::EngineChoice;
use super::settings::{CompareWith, RUNTIMES, ScenarioSource, runtime_label};
use crate::format::nanos as format_nanos;
use gilscope_sim::PythonVersion;
use gilscope_sim::model::Overrides;
use gilscope_sim::time::{MS, Nanos, US};

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

/// The switch-interval slider's range and the default of `CPython`.
const INTERVAL_MIN: Nanos = US;
const INTERVAL_MAX: Nanos = 100 * MS;
const INTERVAL_DEFAULT: Nanos = 5 * MS;

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
            .on_hover_text("sys.setswitchinterval: how long a waiting thread waits before it asks the holder to drop the GIL");
        // The default's place on the rail: the slider maps log(value) linearly between
        // the handle's end positions, which are inset by the handle radius.
        let rect = response.rect;
        let inset = rect.height() / 2.5;
        let t = ((INTERVAL_DEFAULT / US) as f64).ln() / ((INTERVAL_MAX / US) as f64).ln();
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
        if value != INTERVAL_DEFAULT && ui.small_button("Use 5 ms").clicked() {
            changed = Some(INTERVAL_DEFAULT);
        }
    });
    changed
}

/// A Python version picker; returns the new version when chosen.
pub(super) fn version_picker(
    ui: &mut egui::Ui,
    id: &str,
    label: &str,
    current: PythonVersion,
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
                    if ui
                        .selectable_label(v == current, v.to_string())
                        .on_hover_text(version_note(v))
                        .clicked()
                    {
                        chosen = Some(v);
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(version_note(current));
    });
    chosen
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
        egui::Panel::left("controls")
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
        if let Some(error) = &self.load_error {
            ui.colored_label(ui.visuals().error_fg_color, error);
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

    /// The Python version and build: chosen for the simulator, the interpreter's own for a
    /// real one. Returns whether the build is free-threaded.
    fn build_controls(
        &mut self,
        ui: &mut egui::Ui,
        merged: &Overrides,
        defaults: Option<&gilscope_sim::RunConfig>,
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
        if let Some(v) = version_picker(ui, "python", "Python", python) {
            self.settings.overrides.python = Some(v);
        }
        let mut free = merged.free_threaded.unwrap_or(false);
        if ui
            .checkbox(&mut free, "Free-threaded build (3.13+)")
            .on_hover_text(
                "python3.13t: built with --disable-gil; threads run in parallel on the cores",
            )
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
        let real = self.real_interpreter();
        let free = self.build_controls(ui, &merged, defaults.as_ref(), real.as_ref());
        if free {
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
                    .labelled_by(label.id);
                if gil != merged.gil {
                    self.settings.overrides.gil = gil;
                }
            });
        }
        let runtime = merged.runtime.unwrap_or_default();
        ui.horizontal(|ui| {
            let label = ui.label("Runs as");
            let mut chosen = runtime;
            egui::ComboBox::from_id_salt("runtime")
                .selected_text(runtime_label(runtime))
                .show_ui(ui, |ui| {
                    for (r, text) in RUNTIMES {
                        ui.selectable_value(&mut chosen, r, text);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("threading.Thread, asyncio tasks, multiprocessing processes, or subinterpreters");
            if chosen != runtime {
                self.settings.overrides.runtime = Some(chosen);
            }
        });
        let interval = merged.switch_interval.unwrap_or(INTERVAL_DEFAULT);
        let ticks = real
            .as_ref()
            .is_some_and(|i| i.version.python < PythonVersion::new(3, 2));
        if ticks {
            not_applicable(
                ui,
                "Switch interval",
                "Python 2.7's GIL counts ticks (sys.setcheckinterval), not time",
            );
        } else if let Some(v) = interval_slider(ui, "Switch interval", interval) {
            self.settings.overrides.switch_interval = Some(v);
        }
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
        for error in &self.config_errors {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
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
        egui::Grid::new("threads").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            for (index, (name, count)) in groups.iter().enumerate() {
                let label = ui.label(format!("“{name}” threads"));
                let mut n = self.settings.group_count(index).unwrap_or(*count);
                if ui.add(egui::DragValue::new(&mut n).range(1..=64)).labelled_by(label.id).changed() {
                    self.settings.set_group_count(index, n);
                }
                ui.end_row();
            }
            let label = ui.label("Cores");
            let mut cores = merged.cores.unwrap_or(default_cores);
            if ui
                .add(egui::DragValue::new(&mut cores).range(1..=64))
                .labelled_by(label.id)
                .on_hover_text("CPU cores the OS may run the threads on")
                .changed()
            {
                self.settings.overrides.cores = Some(cores);
            }
            ui.end_row();
            let Some(default_seed) = default_seed else {
                ui.label("Seed");
                ui.weak("not applicable")
                    .on_hover_text("A real interpreter has no seed: the OS decides who wins the GIL");
                ui.end_row();
                return;
            };
            let label = ui.label("Seed");
            let mut seed = merged.seed.unwrap_or(default_seed);
            if ui
                .add(egui::DragValue::new(&mut seed))
                .labelled_by(label.id)
                .on_hover_text("Seeds every random choice (who wins the GIL): the same seed replays the same run")
                .changed()
            {
                self.settings.overrides.seed = Some(seed);
            }
            ui.end_row();
        });
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
                        if ui
                            .selectable_label(kind.same_kind(current), kind.kind_label())
                            .clicked()
                            && !kind.same_kind(current)
                        {
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
                if let Some(v) = interval_slider(ui, "B's switch interval", v) {
                    self.settings.compare_with = CompareWith::SwitchInterval(v);
                }
            }
            CompareWith::Python(v) => {
                if let Some(v) = version_picker(ui, "python_b", "B's Python", v) {
                    self.settings.compare_with = CompareWith::Python(v);
                }
            }
            CompareWith::Runtime(r) => {
                ui.horizontal(|ui| {
                    let label = ui.label("B runs as");
                    let mut chosen = r;
                    egui::ComboBox::from_id_salt("runtime_b")
                        .selected_text(runtime_label(r))
                        .show_ui(ui, |ui| {
                            for (option, text) in RUNTIMES {
                                ui.selectable_value(&mut chosen, option, text);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    if chosen != r {
                        self.settings.compare_with = CompareWith::Runtime(chosen);
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
