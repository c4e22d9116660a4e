//! Screenshots for humans: open the real window with a scenario, run it to the end as fast
//! as possible, fit the view, take an in-app screenshot, save it as PNG and close.

use super::GuiError;
use super::app::GilscopeApp;
use super::interpreters::Interpreters;
use super::session::EngineChoice;
use super::settings::{CompareWith, ScenarioSource, Settings, Speed};
use crate::theme::ThemeMode;
use gilscope_sim::cpython::Interpreter;
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
        }
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
            speed: Speed::Fastest,
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

type Outcome = Arc<Mutex<Option<Result<(), GuiError>>>>;

struct ScreenshotApp {
    app: GilscopeApp,
    out: PathBuf,
    started: Instant,
    settled: u32,
    requested: bool,
    outcome: Outcome,
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
        if !(self.app.is_finished() || self.started.elapsed() > RUN_LIMIT) {
            return;
        }
        self.app.fit_view();
        self.settled += 1;
        if self.settled < SETTLE_FRAMES {
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
    let app = ScreenshotApp {
        app: GilscopeApp::with_interpreters(
            req.settings(),
            Interpreters::known(req.interpreters.clone()),
        ),
        out: req.out.clone(),
        started: Instant::now(),
        settled: 0,
        requested: false,
        outcome: Arc::clone(&outcome),
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
