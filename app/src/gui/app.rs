//! The app's state, the frame loop shared by eframe and the headless tests, and the
//! `eframe::App` impl. Each frame the shell draws its own bars, builds one [`ViewCtx`] for the
//! views, and applies the [`Action`]s they return.

use super::compare::compare_headline;
use super::focus::{Focus, StepDirection};
use super::interpreters::Interpreters;
use super::narration;
use super::panels::Views;
use super::runner::Command;
use super::session::{EngineChoice, Run, UPDATES_PER_FRAME};
use super::settings::{CompareWith, STORAGE_KEY, ScenarioSource, Settings, Speed};
use super::view::{Action, PresetEntry, ViewCtx};
use crate::theme::{Theme, ThemeMode};
use crate::timeline::TimelineView;
use gilscope_sim::Nanos;
use gilscope_sim::cpython::{self, DiscoverOptions, Interpreter};
use gilscope_sim::events::{EventKind, EventLog};
use gilscope_sim::model::{Model, Overrides};
use gilscope_sim::presets;
use gilscope_sim::time::MS;
use gilscope_sim::{RunConfig, Scenario};
use std::path::Path;

/// An engine ready to run a scenario, or why it is not (yet).
#[derive(Debug, Clone, PartialEq)]
enum Ready {
    /// The simulator or real threads.
    Builtin(EngineChoice),
    /// A real interpreter, with what its probe found.
    Real(Interpreter),
    /// The list of interpreters is still being searched.
    Waiting,
    /// No such interpreter, in words.
    Unavailable(String),
}

/// The settings that make the simulator model a real interpreter's run: its version and
/// build, its measured bytecode speed, the cores it had.
fn modelled(real: &RunConfig) -> Overrides {
    Overrides {
        python: Some(real.python),
        free_threaded: Some(real.free_threaded),
        bytecode_ns: Some(real.bytecode_ns),
        free_threaded_overhead: Some(real.free_threaded_overhead),
        cores: Some(real.cores),
        ..Overrides::default()
    }
}

/// What a run depends on: when any of it changes, the runs restart.
#[derive(Debug, Clone, PartialEq)]
struct RunKey {
    scenario: ScenarioSource,
    overrides: Overrides,
    group_counts: Vec<Option<u32>>,
    compare: Option<CompareWith>,
    engines: (Ready, Option<Ready>),
    counter_lock: bool,
}

/// A PNG export waiting for the window's screenshot.
pub(super) struct PendingScreenshot {
    /// The window or the timeline.
    pub what: super::view::Export,
    /// The part of the window to keep (the timeline), points.
    pub region: Option<egui::Rect>,
    /// Where the screenshot arrives.
    pub image: crossbeam::channel::Receiver<std::sync::Arc<egui::ColorImage>>,
}

/// The gilscope window.
pub struct GilscopeApp {
    /// What the user chose (persisted).
    pub settings: Settings,
    pub(super) presets: Vec<PresetEntry>,
    /// The scenario of [`Settings::scenario`], as loaded (before group counts are applied).
    pub(super) loaded: Option<(ScenarioSource, Scenario)>,
    /// Why the last "Open" failed (file, line, column and what is wrong).
    pub(super) load_error: Option<String>,
    /// Run A, and run B in compare mode.
    pub(super) runs: Vec<Run>,
    /// Why a run could not start with the current settings.
    pub(super) config_errors: Vec<String>,
    /// What the user should know about the settings of a run on a real interpreter (what it
    /// has no knob for, a version other than the scenario's), one sentence each.
    pub(super) engine_notes: Vec<String>,
    /// The real interpreters the engine picker lists (searched in the background).
    pub(super) interpreters: Interpreters,
    run_key: Option<RunKey>,
    pub(super) playing: bool,
    pub(super) view: TimelineView,
    pub(super) theme: Theme,
    theme_applied: Option<(ThemeMode, bool)>,
    /// Each run's events, kept up to date as the traces grow.
    pub(super) logs: Vec<EventLog>,
    /// What the classroom views point at.
    pub(super) focus: Focus,
    /// The last export: what was written, or why not.
    pub(super) export_note: Option<String>,
    /// Exports asked for this frame (done once the frame is drawn).
    pub(super) pending_exports: Vec<super::view::Export>,
    /// A PNG export waiting for the window's screenshot.
    pub(super) screenshot: Option<PendingScreenshot>,
    /// Every view, with its options and caches.
    pub views: Views,
}

impl GilscopeApp {
    /// An app with these settings; the runs start (playing) on the first frame. The real
    /// interpreters installed here are searched for on a background thread.
    pub fn new(settings: Settings) -> Self {
        Self::with_interpreters(settings, Interpreters::search(DiscoverOptions::from_env()))
    }

    /// An app with these settings and this list of real interpreters (tests, screenshots).
    pub fn with_interpreters(settings: Settings, interpreters: Interpreters) -> Self {
        let presets = PresetEntry::all();
        let theme = Theme::new(settings.theme, settings.presentation);
        GilscopeApp {
            settings,
            presets,
            loaded: None,
            load_error: None,
            runs: Vec::new(),
            config_errors: Vec::new(),
            engine_notes: Vec::new(),
            interpreters,
            run_key: None,
            playing: true,
            view: TimelineView::default(),
            theme,
            theme_applied: None,
            logs: Vec::new(),
            focus: Focus::default(),
            export_note: None,
            pending_exports: Vec::new(),
            screenshot: None,
            views: Views::default(),
        }
    }

    /// The app eframe creates: settings from the previous launch, if any. The first launch
    /// (nothing stored) starts paused, on the welcome overlay.
    pub fn from_storage(storage: Option<&dyn eframe::Storage>) -> Self {
        let stored: Option<Settings> = storage.and_then(|s| eframe::get_value(s, STORAGE_KEY));
        let first = stored.is_none();
        let mut app = Self::new(stored.unwrap_or_default());
        if first {
            app.playing = false;
            app.views.welcome.open = true;
        }
        app
    }

    /// Starts the runs paused (before the first frame; a class steps them).
    pub fn pause_at_start(&mut self) {
        self.playing = false;
    }

    /// Whether the runs are playing (not paused).
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Each run's events so far.
    pub fn event_logs(&self) -> &[EventLog] {
        &self.logs
    }

    /// What the classroom views point at: the step's event, the selection, the pinned span.
    pub fn focus(&self) -> &Focus {
        &self.focus
    }

    /// Whether every run has ended (and there is at least one).
    pub fn is_finished(&self) -> bool {
        !self.runs.is_empty() && self.runs.iter().all(Run::is_over)
    }

    /// The runs shown: A, and B when comparing.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// The scenario shown, with the user's thread counts applied (and the counter lock, when
    /// chosen).
    pub fn scenario(&self) -> Option<Scenario> {
        let (_, base) = self.loaded.as_ref()?;
        let mut scenario = base.clone();
        for group in 0..base.groups.len() {
            if let Some(count) = self.settings.group_count(group) {
                scenario = scenario.with_group_count(group, count);
            }
        }
        if self.settings.counter_lock && scenario.has_counters() {
            scenario = scenario.with_counter_lock();
        }
        Some(scenario)
    }

    /// Switches to preset `stem`, with its own settings.
    pub fn choose_preset(&mut self, stem: &str) {
        self.settings.scenario = ScenarioSource::Preset(stem.to_owned());
        self.settings.reset_run_settings();
        self.load_error = None;
    }

    /// Opens a scenario file; on failure keeps the current scenario and shows why.
    pub fn open_file(&mut self, path: &str) {
        let path = path.trim();
        if path.is_empty() {
            self.load_error = Some("type the path of a scenario file (.toml) first".to_owned());
            return;
        }
        match presets::load(path) {
            Ok(scenario) => {
                let source = if presets::preset(path).is_some() {
                    ScenarioSource::Preset(path.to_owned())
                } else {
                    ScenarioSource::File(path.to_owned())
                };
                self.settings.scenario = source.clone();
                self.settings.reset_run_settings();
                self.loaded = Some((source, scenario));
                self.load_error = None;
            }
            Err(e) => self.load_error = Some(e.to_string()),
        }
    }

    /// The real interpreters found so far (none while the search goes on).
    pub fn interpreters(&self) -> &[Interpreter] {
        self.interpreters.found()
    }

    /// Whether a run on screen goes in real time (real threads or a real interpreter): those
    /// cannot pause, only stop.
    pub fn realtime(&self) -> bool {
        self.runs.iter().any(Run::realtime)
    }

    /// Plays, or pauses (a real run stops, keeping what it recorded); a finished run plays
    /// again from the start.
    pub fn toggle_play(&mut self) {
        if self.is_finished() {
            self.restart();
            return;
        }
        if self.realtime() {
            self.stop();
            return;
        }
        self.playing = !self.playing;
        let command = if self.playing {
            // Playing on follows the run again (unless the view is pinned).
            if !self.view.pinned {
                self.view.follow_live = true;
            }
            self.focus.pending = None;
            Command::Play
        } else {
            Command::Pause
        };
        self.runs.iter_mut().for_each(|r| r.send(command));
    }

    /// Ends every run now, keeping what it recorded (a real interpreter is killed).
    pub fn stop(&mut self) {
        self.runs.iter_mut().for_each(Run::end);
    }

    /// Pauses and moves to the next event of run A: centres it, highlights it, captions it.
    pub fn step(&mut self) {
        self.step_event(StepDirection::Forward, None);
    }

    /// Pauses and moves to the previous event (replaying the run up to it).
    pub fn step_back(&mut self) {
        self.step_event(StepDirection::Back, None);
    }

    /// Pauses and moves to the next event of `kind`: a switch, a drop request, a lost update.
    pub fn step_to(&mut self, kind: EventKind) {
        self.step_event(StepDirection::Forward, Some(kind));
    }

    /// Runs again from time 0 with the same settings, playing.
    pub fn restart(&mut self) {
        self.playing = true;
        self.runs.iter_mut().for_each(Run::restart);
        self.new_run_view();
    }

    /// A new run: it fits itself (unless the view is pinned) and the classroom views forget
    /// the old one.
    fn new_run_view(&mut self) {
        let interval = self.pace_interval();
        self.view.new_run((4 * interval).max(MS));
        self.focus.new_run();
        self.logs.clear();
    }

    /// Changes the playback speed of the runs.
    pub fn set_speed(&mut self, speed: Speed) {
        self.settings.speed = speed;
        let paced = self.paced(speed);
        self.runs
            .iter_mut()
            .for_each(|r| r.send(Command::SetSpeed(paced)));
    }

    /// The time between two switches that run A's rules aim at: its switch interval, or on the
    /// old GIL its check interval (ticks, about one bytecode each). The class pace plays one
    /// per second; a new run and a step show a few.
    pub(super) fn pace_interval(&self) -> Nanos {
        self.config_a().map_or(5 * MS, |c| match c.model() {
            Model::OldGil => (c.check_interval * c.bytecode_ps() / 1000).max(1),
            _ => c.switch_interval(),
        })
    }

    /// `speed` for run A's switch interval (the class pace is one interval per second).
    fn paced(&self, speed: Speed) -> Speed {
        let interval = self.pace_interval();
        speed.for_interval(interval)
    }

    /// Turns predict mode on (the run starts again, paused, so the class answers first) or off.
    pub fn toggle_predict(&mut self) {
        self.views.predict.toggle();
        if self.views.predict.on {
            self.restart();
            self.toggle_play();
        }
    }

    /// Fits the whole run into the timeline.
    pub fn fit_view(&mut self) {
        let end = self.runs.iter().map(|r| r.trace.now).max().unwrap_or(0);
        self.view.fit(end);
    }

    /// Where the main panels were drawn in the last frame, points, by name ("toolbar",
    /// "settings", "stats", "events", "lower", "timeline").
    pub fn panel_rects(&self) -> &[(&'static str, egui::Rect)] {
        self.views.rects.all()
    }

    /// The timeline's visible range.
    pub fn timeline_view(&self) -> &TimelineView {
        &self.view
    }

    /// The current theme (colours, sizes).
    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    /// The compare sentence, when comparing and both runs have finished.
    pub fn compare_headline(&self) -> Option<String> {
        let purpose = self.scenario().map(|s| s.purpose).unwrap_or_default();
        compare_headline(&self.settings, purpose, &self.runs)
    }

    /// The narration of the scenario for run A: the sentences true for it, with its numbers.
    pub fn narration_text(&self) -> Option<String> {
        narration::text(&self.scenario()?, self.runs.first()?)
    }

    /// Starts a sweep of the current scenario and settings (and the sweep view's overlay).
    pub fn start_sweep(&mut self, ctx: &egui::Context) {
        let scenario = self.scenario();
        self.views
            .sweep
            .start(scenario.as_ref(), &self.settings.overrides, ctx);
    }

    /// Opens the timeline of point `row` of series `series` of the last sweep.
    pub fn open_sweep_point(&mut self, series: usize, row: usize) {
        if let Some(action) = self.views.sweep.open_point(series, row) {
            self.apply(action);
        }
    }

    /// Does what a view asked for.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::SetTimelineView(view) => self.view = view,
            Action::OpenRun { preset, overrides } => {
                if let Some(stem) = preset {
                    self.choose_preset(&stem);
                }
                self.settings.overrides = *overrides;
                self.views.show_sweep = false;
                self.views.show_runtimes = false;
            }
            Action::SelectEvent(event) => self.select_event(event),
            Action::Step { direction, kind } => self.step_event(direction, kind),
            Action::SetSelection(range) => {
                self.views.events_under |= range.is_some();
                self.focus.selection = range;
            }
            Action::PinSpan(pin) => {
                self.views.events_under |= pin.is_some();
                self.focus.pinned = pin;
            }
            Action::Lane(command) => self.focus.lanes.apply(command),
            Action::SetCounterLock(on) => self.settings.counter_lock = on,
            Action::Export(what) => self.pending_exports.push(what),
        }
    }

    /// Loads the scenario named in the settings if it is not loaded yet. A stored file that
    /// no longer loads falls back to the first preset, with the error shown.
    fn load_scenario(&mut self) {
        if self
            .loaded
            .as_ref()
            .is_some_and(|(source, _)| *source == self.settings.scenario)
        {
            return;
        }
        match presets::load(self.settings.scenario.name_or_path()) {
            Ok(scenario) => self.loaded = Some((self.settings.scenario.clone(), scenario)),
            Err(e) => {
                self.load_error = Some(e.to_string());
                let fallback = ScenarioSource::default();
                self.settings.scenario = fallback.clone();
                self.settings.reset_run_settings();
                self.loaded = presets::load(fallback.name_or_path())
                    .ok()
                    .map(|s| (fallback, s));
            }
        }
    }

    /// Run A's resolved settings, if valid (for a real interpreter: as it runs them).
    pub(super) fn config_a(&self) -> Option<RunConfig> {
        let scenario = self.scenario()?;
        match self.ready(&self.settings.engine()) {
            Ready::Real(interpreter) => {
                cpython::configure(&scenario, &self.settings.overrides, &interpreter)
                    .ok()
                    .map(|c| c.config)
            }
            _ => scenario.config(&self.settings.overrides).ok(),
        }
    }

    /// The real interpreter at `path` (none: the newest found), once the search has found it.
    fn ready_real(&self, path: Option<&Path>) -> Ready {
        if let Some(interpreter) = self.interpreters.get(path) {
            return Ready::Real(interpreter.clone());
        }
        if self.interpreters.searching() {
            return Ready::Waiting;
        }
        Ready::Unavailable(self.interpreters.unavailable().unwrap_or_else(|| {
            format!(
                "the interpreter {} is no longer found here: choose another engine",
                path.map_or_else(String::new, |p| p.display().to_string())
            )
        }))
    }

    fn ready(&self, engine: &EngineChoice) -> Ready {
        match engine {
            EngineChoice::Cpython(path) => self.ready_real(Some(path)),
            other => Ready::Builtin(other.clone()),
        }
    }

    /// Starts a run of `scenario` with `overrides` on `engine`; the error or the note for the
    /// user when it cannot start.
    fn start_run(
        &mut self,
        scenario: &Scenario,
        overrides: &Overrides,
        engine: Ready,
        (prefix, said): (&str, &str),
        ctx: &egui::Context,
    ) -> Option<RunConfig> {
        let speed = self.paced(self.settings.speed);
        match engine {
            Ready::Builtin(choice) => {
                let config = match scenario.config(overrides) {
                    Ok(c) => c,
                    Err(e) => {
                        self.config_errors.push(format!("{said}{e}"));
                        return None;
                    }
                };
                let title = format!("{prefix}{}", config.describe());
                let run = if choice == EngineChoice::Live {
                    self.playing = true;
                    Run::live(
                        scenario,
                        config.clone(),
                        format!("{title} · real threads"),
                        true,
                        ctx,
                    )
                } else {
                    Run::simulate(scenario, config.clone(), title, speed, self.playing, ctx)
                };
                self.runs.push(run);
                Some(config)
            }
            Ready::Real(interpreter) => {
                let configured = match cpython::configure(scenario, overrides, &interpreter) {
                    Ok(c) => c,
                    Err(e) => {
                        self.config_errors.push(format!("{said}{e}"));
                        return None;
                    }
                };
                let config = configured.config.clone();
                let title = format!(
                    "{prefix}{} · CPython {}",
                    config.describe(),
                    interpreter.label()
                );
                self.engine_notes
                    .extend(configured.notes.iter().map(|n| format!("{said}{n}")));
                // A real run cannot wait paused: it starts playing.
                self.playing = true;
                self.runs.push(Run::cpython(
                    scenario,
                    configured,
                    interpreter,
                    title,
                    true,
                    ctx,
                ));
                Some(config)
            }
            Ready::Waiting => {
                self.engine_notes.push(format!(
                    "{said}looking for the interpreters installed here…"
                ));
                None
            }
            Ready::Unavailable(why) => {
                self.config_errors.push(format!("{said}{why}"));
                None
            }
        }
    }

    /// (Re)starts the runs when what they depend on changed.
    fn sync_runs(&mut self, ctx: &egui::Context) {
        self.load_scenario();
        self.interpreters.poll();
        let compare = self.settings.compare.then_some(self.settings.compare_with);
        let engine_a = self.ready(&self.settings.engine());
        let engine_b = compare.map(|with| match with {
            CompareWith::RealInterpreter => {
                self.ready_real(self.settings.compare_interpreter.as_deref())
            }
            _ => engine_a.clone(),
        });
        let key = RunKey {
            scenario: self.settings.scenario.clone(),
            overrides: self.settings.overrides.clone(),
            group_counts: self.settings.group_counts.clone(),
            compare,
            engines: (engine_a.clone(), engine_b.clone()),
            counter_lock: self.settings.counter_lock,
        };
        if self.run_key.as_ref() == Some(&key) {
            return;
        }
        self.run_key = Some(key);
        self.runs.clear();
        self.config_errors.clear();
        self.engine_notes.clear();
        self.new_run_view();
        self.views.predict.new_run();
        let Some(scenario) = self.scenario() else {
            return;
        };
        let overrides = self.settings.overrides.clone();
        let prefix = if compare.is_some() { "A · " } else { "" };
        let overrides_a = match (&compare, &engine_b) {
            // Beside a real interpreter, A models it: its version, build, speed and cores.
            (Some(CompareWith::RealInterpreter), Some(Ready::Real(interpreter))) => {
                cpython::configure(&scenario, &overrides, interpreter).map_or_else(
                    |_| overrides.clone(),
                    |c| {
                        self.engine_notes.push(format!(
                            "run A: models {} as B runs it (Python {}, its build, measured speed and cores), whatever the settings below say",
                            interpreter.label(),
                            c.config.python
                        ));
                        modelled(&c.config).or(&overrides)
                    },
                )
            }
            _ => overrides.clone(),
        };
        let Some(a) = self.start_run(&scenario, &overrides_a, engine_a, (prefix, ""), ctx) else {
            return;
        };
        if let (Some(with), Some(engine_b)) = (compare, engine_b) {
            let b = if with == CompareWith::RealInterpreter {
                overrides
            } else {
                with.overrides_b(&overrides, &a)
            };
            self.start_run(&scenario, &b, engine_b, ("B · ", "run B: "), ctx);
        }
    }

    fn apply_theme(&mut self, ctx: &egui::Context) {
        let wanted = (self.settings.theme, self.settings.presentation);
        if self.theme_applied != Some(wanted) {
            // Turning presentation on gives the timeline the room: the settings panel hides
            // (the Settings button brings it back).
            if wanted.1 && self.theme_applied.is_some_and(|(_, was)| !was) {
                self.settings.show_controls = false;
                // Two stacked timelines need the width more than a two-column table does.
                if self.settings.compare {
                    self.settings.show_info = false;
                }
            }
            self.theme = Theme::new(wanted.0, wanted.1);
            self.theme.apply(ctx);
            self.theme_applied = Some(wanted);
        }
    }

    /// The whole window: called by eframe every frame, and by the headless tests.
    pub fn ui_contents(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.apply_theme(&ctx);
        self.sync_runs(&ctx);
        if self.interpreters.searching() {
            // Look again for the search's answer (it comes from another thread).
            ctx.request_repaint_after(std::time::Duration::from_millis(200));
        }
        let mut more = false;
        for run in &mut self.runs {
            more |= run.poll(UPDATES_PER_FRAME);
        }
        if more {
            ctx.request_repaint();
        }
        self.logs.resize_with(self.runs.len(), EventLog::default);
        for (log, run) in self.logs.iter_mut().zip(&self.runs) {
            log.update(&run.trace);
        }
        self.settle_pending_step();
        self.take_screenshot(&ctx);
        self.shortcuts(&ctx);
        self.apply_theme(&ctx);
        let s = &mut self.settings;
        self.views.fit_side_panels(
            ctx.content_rect().width(),
            self.theme.text_scale(),
            &mut s.show_controls,
            &mut s.show_info,
        );
        self.toolbar(ui);
        self.controls_panel(ui);
        for action in self.views_ui(ui) {
            self.apply(action);
        }
        for what in std::mem::take(&mut self.pending_exports) {
            self.export(what, &ctx);
        }
    }

    /// The views, drawn from one context built for this frame.
    fn views_ui(&mut self, ui: &mut egui::Ui) -> Vec<Action> {
        let scenario = self.scenario();
        let mut open = super::panels::PanelsOpen {
            info: self.settings.show_info,
            lower: self.settings.show_lower,
            events: self.settings.show_events,
        };
        let cx = ViewCtx {
            runs: &self.runs,
            theme: &self.theme,
            timeline: &self.view,
            scenario: scenario.as_ref(),
            presets: &self.presets,
            settings: &self.settings,
            load_error: self.load_error.as_deref(),
            config_errors: &self.config_errors,
            logs: &self.logs,
            focus: &self.focus,
            paused: !self.playing,
            export_note: self.export_note.as_deref(),
        };
        let actions = self.views.show(ui, &cx, &mut open);
        self.settings.show_info = open.info;
        self.settings.show_lower = open.lower;
        self.settings.show_events = open.events;
        actions
    }

    /// The keyboard shortcuts the shell handles (the timeline handles W/S/A/D and the mouse).
    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, Modifiers};
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let pressed = |key: Key| ctx.input_mut(|i| i.consume_key(Modifiers::NONE, key));
        if pressed(Key::Escape) {
            self.views.help.open = false;
            self.views.welcome.open = false;
            self.focus.selection = None;
        }
        if pressed(Key::H) || pressed(Key::F1) || pressed(Key::Questionmark) {
            self.views.help.toggle();
        }
        if pressed(Key::Space) {
            self.toggle_play();
        }
        if pressed(Key::ArrowRight) {
            self.step();
        }
        if pressed(Key::ArrowLeft) {
            self.step_back();
        }
        if pressed(Key::N) {
            self.step_to(EventKind::Handoff);
        }
        if pressed(Key::G) {
            self.step_to(EventKind::DropRequest);
        }
        if pressed(Key::L) {
            self.step_to(EventKind::CounterLoad);
        }
        if pressed(Key::E) {
            self.settings.show_events = !self.settings.show_events;
        }
        if pressed(Key::K) {
            self.toggle_predict();
        }
        if pressed(Key::F) {
            self.fit_view();
        }
        if pressed(Key::R) {
            self.restart();
        }
        if pressed(Key::P) {
            self.settings.presentation = !self.settings.presentation;
        }
        if pressed(Key::T) {
            self.settings.theme = self.settings.theme.toggled();
        }
        if pressed(Key::C) {
            self.settings.compare = !self.settings.compare;
        }
    }
}

impl eframe::App for GilscopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_contents(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.settings);
    }
}
