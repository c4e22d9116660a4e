//! The desktop app: a live GIL timeline with controls, a compare view, stats, narration and
//! classroom habits (presentation mode, help overlay, themes, persisted settings).
//!
//! The shell: `app` (state, the frame loop, applying actions), `toolbar`, `controls` (the
//! settings panel), `panels` (where the views go), `focus` (what the classroom views point at
//! together), `stepping` (step, step back, run to the next of a kind) and `exporting`. The
//! views, each a struct owning its options and caches behind the [`view::View`] trait:
//! `compare` (the central view) with `timeline_panel` (the timeline, its legend) and
//! `step_bar` (the step buttons and caption); `analysis` (the tabs under it: `narration`,
//! `plots`, `histograms`, `samplers_view`); beside it `event_log`, `span_details` and
//! `selection`; `sweep_view`, `runtime_table`, `stats_panel`, `predict`, `help` and
//! `welcome`. Beside them: `runner` (the engine thread), `sweep_job` (the sweep's background
//! job), `session` (one run as the UI sees it, and the engine chosen),
//! `interpreters` (the real interpreters, found in the background), `settings` (persisted) and
//! `screenshot`.

pub mod analysis;
mod app;
pub mod compare;
mod controls;
pub mod event_log;
mod exporting;
pub mod focus;
pub mod help;
pub mod histograms;
pub mod interpreters;
pub mod layout;
pub mod narration;
pub mod panels;
pub mod plots;
pub mod predict;
pub mod runner;
pub mod runtime_table;
pub mod samplers_view;
pub mod screenshot;
pub mod selection;
pub mod session;
pub mod settings;
pub mod span_details;
pub mod stats_panel;
pub mod step_bar;
mod stepping;
pub mod sweep_job;
pub mod sweep_view;
pub mod timeline_panel;
mod toolbar;
pub mod view;
pub mod welcome;

pub use app::GilscopeApp;
pub use compare::{headline, run_label, side_label};
pub use help::SHORTCUTS;
pub use screenshot::{ScreenshotRequest, capture};
pub use session::EngineChoice;
pub use settings::{CompareWith, ScenarioSource, Settings, Speed};
pub use view::{Action, Export, PresetEntry, View, ViewCtx};

/// The window title (it starts with "gilscope").
pub const WINDOW_TITLE: &str = "gilscope — see Python's GIL";

/// Why the window or a screenshot failed.
#[derive(Debug, thiserror::Error)]
pub enum GuiError {
    /// The scenario could not be loaded or its settings are invalid.
    #[error(transparent)]
    Scenario(#[from] gilscope_sim::ScenarioError),
    /// The window could not be opened (no display, no OpenGL, …).
    #[error("cannot open the window: {0}")]
    Window(String),
    /// The screenshot size is out of range.
    #[error(
        "screenshot size {width}x{height} is out of range: use 200 to 8192 pixels per side, e.g. 1280x800"
    )]
    Size {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The PNG could not be written.
    #[error("cannot write the screenshot {path}: {message}")]
    Save {
        /// Where it should have gone.
        path: String,
        /// The I/O or encoding error.
        message: String,
    },
    /// The window closed before the screenshot was taken.
    #[error("the window closed before the screenshot was taken")]
    NotTaken,
}

impl From<eframe::Error> for GuiError {
    fn from(e: eframe::Error) -> Self {
        GuiError::Window(e.to_string())
    }
}

/// Opens the gilscope window (1024×640 by default) and runs until it is closed. Settings
/// persist between launches.
pub fn run_native() -> Result<(), eframe::Error> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(WINDOW_TITLE)
            .with_inner_size([1024.0, 640.0])
            .with_min_inner_size([640.0, 400.0]),
        ..Default::default()
    };
    eframe::run_native(
        "gilscope",
        options,
        Box::new(|cc| Ok(Box::new(GilscopeApp::from_storage(cc.storage)))),
    )
}
