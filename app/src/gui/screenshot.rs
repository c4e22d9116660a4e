//! Screenshots for humans: open the real window with a scenario, run it to the end as fast
//! as possible, fit the view, take an in-app screenshot, save it as PNG and close. Or, to show
//! a classroom moment: step a paused run N events (and on to the next of a kind), select a
//! range, ask the scenario's question or reveal its answer.

use super::GuiError;
use super::app::GilscopeApp;
use super::interpreters::Interpreters;
use super::session::EngineChoice;
use super::settings::{CompareWith, ScenarioSource, Settings, Speed};
use super::view::Action;
use crate::theme::ThemeMode;
use gilscope_sim::Nanos;
use gilscope_sim::cpython::Interpreter;
use gilscope_sim::events::EventKind;
use gilscope_sim::model::Overrides;
use gilscope_sim::presets;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What to show and where to save it.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::struct_excessive_bools, reason = "independent display flags")]
pub struct ScreenshotRequest {
    /// A preset name (`convoy`) or the path of a scenario file.
    pub scenario: String,
    /// Settings over the scenario's own (as `gilscope run` takes them).
    pub overrides: Overrides,
    /// Thread counts per group index (`--threads GROUP=N`), `None`: the scenario's.
    pub group_counts: Vec<Option<u32>>,
    /// Show the compare view, with run B changing this.
    pub compare: Option<CompareWith>,
    /// Presentation mode (large text, thick lanes).
    pub presentation: bool,
    /// Dark or light.
    pub theme: ThemeMode,
    /// Window size in pixels (width, height).
    pub size: [u32; 2],
    /// Where to write the PNG.
    pub out: PathBuf,
    /// The engine of run A.
    pub engine: EngineChoice,
    /// The real interpreters the runs may use (A's, and B's when B runs on one), found by the
    /// caller: the window does not search for them.
    pub interpreters: Vec<Interpreter>,
    /// Run B's interpreter when B runs on one (none: the newest of [`Self::interpreters`]).
    pub compare_interpreter: Option<PathBuf>,
    /// Start paused and step this many events before the screenshot (with their caption).
    pub steps: u32,
    /// Then go on to the next event of this kind.
    pub next: Option<EventKind>,
    /// Select this range of the finished run, ns.
    pub select: Option<(Nanos, Nanos)>,
    /// Predict mode: ask the question, or reveal the answer too.
    pub predict: Predicting,
    /// Show the Runtimes tab with its table run: the scenario under every runtime.
    pub runtimes: bool,
}

/// Predict mode in a screenshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Predicting {
    /// Off.
    #[default]
    Off,
    /// The question, the numbers hidden.
    Ask,
    /// The answer revealed against the class's first choice.
    Reveal,
}

impl ScreenshotRequest {
    /// A request with default settings: dark theme, 1280×800.
    pub fn new(scenario: impl Into<String>, out: impl Into<PathBuf>) -> Self {
        Self {
            scenario: scenario.into(),
            overrides: Overrides::default(),
            group_counts: Vec::new(),
            compare: None,
            presentation: false,
            engine: EngineChoice::Simulated,
            interpreters: Vec::new(),
            compare_interpreter: None,
            theme: ThemeMode::Dark,
            size: [1280, 800],
            out: out.into(),
            steps: 0,
            next: None,
            select: None,
            predict: Predicting::Off,
            runtimes: false,
        }
    }

    /// Whether the run is stepped rather than run to its end.
    fn stepped(&self) -> bool {
        self.steps > 0 || self.next.is_some()
    }

    /// The app settings that show this request.
    fn settings(&self) -> Settings {
        let scenario = if presets::preset(&self.scenario).is_some() {
            ScenarioSource::Preset(self.scenario.clone())
        } else {
            ScenarioSource::File(self.scenario.clone())
        };
        let mut settings = Settings {
            scenario,
            overrides: self.overrides.clone(),
            group_counts: self.group_counts.clone(),
            speed: if self.stepped() {
                Speed::CLASS
            } else {
                Speed::Fastest
            },
            compare: self.compare.is_some(),
            compare_with: self.compare.unwrap_or(CompareWith::Build),
            presentation: self.presentation,
            theme: self.theme,
            // Presentation is for the timeline: the settings panel steps aside, as when
            // presentation mode is switched on in the window.
            show_controls: !self.presentation,
            show_info: !(self.presentation && self.compare.is_some()),
            compare_interpreter: self.compare_interpreter.clone(),
            ..Settings::default()
        };
        settings.set_engine(self.engine.clone());
        settings
    }
}

/// The longest a run may take before the screenshot is taken anyway.
const RUN_LIMIT: Duration = Duration::from_mins(2);
/// Frames to wait after the runs end, so the last layout has settled.
const SETTLE_FRAMES: u32 = 4;
/// Time to wait after the scene is set, so panels have finished sliding open.
const SETTLE_TIME: Duration = Duration::from_millis(600);

type Outcome = Arc<Mutex<Option<Result<(), GuiError>>>>;

struct ScreenshotApp {
    app: GilscopeApp,
    out: PathBuf,
    started: Instant,
    settled: u32,
    requested: bool,
    outcome: Outcome,
    /// When the scene was set.
    set_at: Option<Instant>,
    /// Steps still to take, and the kind to run to after them.
    steps: u32,
    next: Option<EventKind>,
    select: Option<(Nanos, Nanos)>,
    predict: Predicting,
    /// The Runtimes tab is to be shown, its table run to the end.
    runtimes: bool,
}

impl ScreenshotApp {
    /// Whether the scene is set: the run ended (or stepped as asked) and the selection and
    /// predict mode are in place.
    fn ready(&mut self, ctx: &egui::Context) -> bool {
        if self.steps > 0 || self.next.is_some() {
            let started = self
                .app
                .runs()
                .first()
                .is_some_and(|r| !r.trace.threads.is_empty());
            if !started || self.app.focus().pending.is_some() {
                return false;
            }
            if self.steps > 0 {
                self.steps -= 1;
                self.app.step();
            } else if let Some(kind) = self.next.take() {
                self.app.step_to(kind);
            }
            return false;
        }
        if self.app.focus().event.is_some() {
            // A stepped run stays where the steps left it.
            return self.app.focus().pending.is_none();
        }
        if !(self.app.is_finished() || self.started.elapsed() > RUN_LIMIT) {
            return false;
        }
        if self.runtimes {
            let views = &mut self.app.views;
            if !views.show_runtimes {
                views.show_runtimes = true;
                if let Some(scenario) = self.app.scenario() {
                    let overrides = self.app.settings.overrides.clone();
                    self.app.views.runtimes.start(&scenario, &overrides, ctx);
                }
                return false;
            }
            if self.app.views.runtimes.is_running() && self.started.elapsed() < RUN_LIMIT {
                return false;
            }
        }
        self.app.fit_view();
        if let Some(range) = self.select.take() {
            self.app.apply(Action::SetSelection(Some(range)));
        }
        match std::mem::take(&mut self.predict) {
            Predicting::Off => {}
            Predicting::Ask => self.app.views.predict.on = true,
            Predicting::Reveal => {
                let predict = &mut self.app.views.predict;
                (predict.on, predict.guess, predict.revealed) = (true, Some(0), true);
            }
        }
        true
    }
}

impl eframe::App for ScreenshotApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.app.ui_contents(ui);
        let done = self
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        if done {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        ctx.request_repaint();
        if self.requested {
            return;
        }
        if self.settled == 0 && !self.ready(&ctx) {
            return;
        }
        self.settled += 1;
        let set_at = *self.set_at.get_or_insert_with(Instant::now);
        if self.settled < SETTLE_FRAMES || set_at.elapsed() < SETTLE_TIME {
            return;
        }
        self.requested = true;
        let out = self.out.clone();
        let outcome = Arc::clone(&self.outcome);
        let repaint = ctx.clone();
        ctx.request_screenshot(move |image| {
            let [w, h] = image.size;
            let rgba: Vec<u8> = image
                .pixels
                .iter()
                .flat_map(egui::Color32::to_array)
                .collect();
            let saved =
                image::save_buffer(&out, &rgba, w as u32, h as u32, image::ColorType::Rgba8)
                    .map_err(|e| GuiError::Save {
                        path: out.display().to_string(),
                        message: e.to_string(),
                    });
            *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(saved);
            repaint.request_repaint();
        });
    }

    fn persist_egui_memory(&self) -> bool {
        false
    }

    /// The picture shows the scene, not wherever the display's pointer happens to be: no
    /// pointer reaches the app, so no hover highlight or tooltip is drawn.
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        raw_input.events.retain(|e| {
            !matches!(
                e,
                egui::Event::PointerMoved(_)
                    | egui::Event::PointerButton { .. }
                    | egui::Event::MouseMoved(_)
                    | egui::Event::MouseWheel { .. }
            )
        });
        raw_input.events.push(egui::Event::PointerGone);
    }
}

/// Opens the window, runs the request's scenario to the end, saves a PNG and closes.
///
/// Needs a display (an X server; Xvfb works). Invalid settings or a scenario that does not
/// load are reported before any window opens.
pub fn capture(req: &ScreenshotRequest) -> Result<(), GuiError> {
    let scenario = presets::load(&req.scenario)?;
    let config = scenario.config(&req.overrides)?;
    if let Some(with) = req.compare {
        scenario.config(&with.overrides_b(&req.overrides, &config))?;
    }
    let [w, h] = req.size;
    if !(200..=8192).contains(&w) || !(200..=8192).contains(&h) {
        return Err(GuiError::Size {
            width: w,
            height: h,
        });
    }
    let outcome: Outcome = Arc::new(Mutex::new(None));
    let mut app = GilscopeApp::with_interpreters(
        req.settings(),
        Interpreters::known(req.interpreters.clone()),
    );
    if req.stepped() {
        // Paused from the start: the steps drive the run.
        app.pause_at_start();
    }
    let app = ScreenshotApp {
        app,
        out: req.out.clone(),
        started: Instant::now(),
        settled: 0,
        requested: false,
        outcome: Arc::clone(&outcome),
        set_at: None,
        steps: req.steps,
        next: req.next,
        select: req.select,
        predict: req.predict,
        runtimes: req.runtimes,
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(format!("gilscope — screenshot of {}", req.scenario))
            .with_inner_size([w as f32, h as f32])
            .with_resizable(false),
        persist_window: false,
        ..Default::default()
    };
    eframe::run_native(
        "gilscope-screenshot",
        options,
        Box::new(|_cc| Ok(Box::new(app))),
    )?;
    let result = outcome
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    result.unwrap_or(Err(GuiError::NotTaken))
}
