//! The contract between the app shell and its views. A view is a struct that owns its options
//! and caches and implements [`View`]; once a frame the shell builds a [`ViewCtx`] of what the
//! views read, draws them, and applies the [`Action`]s they return. No view touches the app.

use super::focus::{Focus, StepDirection};
use super::session::Run;
use super::settings::Settings;
use crate::theme::Theme;
use crate::timeline::{LaneCommand, PinnedSpan, TimelineView};
use gilscope_sim::Nanos;
use gilscope_sim::events::{EventKind, EventLog, RunEvent};
use gilscope_sim::model::Overrides;
use gilscope_sim::presets::{self, PRESETS};
use gilscope_sim::{RunConfig, Scenario};

/// A preset as the pickers list it.
pub struct PresetEntry {
    /// Its stem (`convoy`), as stored in settings.
    pub stem: &'static str,
    /// Its title.
    pub name: String,
    /// One line on what it shows.
    pub summary: String,
}

impl PresetEntry {
    /// Every bundled preset, in [`PRESETS`] order; one that does not parse is listed by stem.
    pub fn all() -> Vec<PresetEntry> {
        PRESETS
            .iter()
            .map(|(stem, _)| {
                let parsed = presets::preset(stem).and_then(Result::ok);
                PresetEntry {
                    stem,
                    name: parsed
                        .as_ref()
                        .map_or_else(|| (*stem).to_owned(), |s| s.name.clone()),
                    summary: parsed.map(|s| s.summary).unwrap_or_default(),
                }
            })
            .collect()
    }
}

/// What the views read in one frame, borrowed from the app.
#[derive(Clone, Copy)]
pub struct ViewCtx<'a> {
    /// Run A, and run B when comparing, with their traces and latest stats.
    pub runs: &'a [Run],
    /// Colours, sizes and fonts.
    pub theme: &'a Theme,
    /// The timeline's visible range (the over-time plots share it).
    pub timeline: &'a TimelineView,
    /// The scenario shown, with the user's thread counts applied.
    pub scenario: Option<&'a Scenario>,
    /// Every preset, as the pickers list them.
    pub presets: &'a [PresetEntry],
    /// What the user chose.
    pub settings: &'a Settings,
    /// Why the last scenario file did not open.
    pub load_error: Option<&'a str>,
    /// Why a run could not start with the current settings.
    pub config_errors: &'a [String],
    /// Each run's events, in order (kept up to date by the shell).
    pub logs: &'a [EventLog],
    /// The step's event, the selection, the pinned span and the lanes chosen.
    pub focus: &'a Focus,
    /// Whether run A is paused (stepping is possible).
    pub paused: bool,
    /// The last export: what was written, or why not.
    pub export_note: Option<&'a str>,
}

impl ViewCtx<'_> {
    /// Run A's resolved settings, if they are valid.
    pub fn config_a(&self) -> Option<RunConfig> {
        self.scenario?.config(&self.settings.overrides).ok()
    }
}

/// A change a view asks the app for; the app applies it after drawing the frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Show this range of the timeline (the user zoomed or panned, or it follows the run).
    SetTimelineView(TimelineView),
    /// Run these settings (on preset `preset`, when given) and show the timeline: a sweep
    /// point was opened.
    OpenRun {
        /// The preset to switch to first, or `None` to keep the scenario.
        preset: Option<String>,
        /// The settings to run with (boxed: they are large, the other actions small).
        overrides: Box<Overrides>,
    },
    /// Point the classroom views at this event of run A (and centre the timeline on it).
    SelectEvent(RunEvent),
    /// Step to the next or previous event (of `kind`, when given).
    Step {
        /// Forward or back.
        direction: StepDirection,
        /// Only events of this kind (any event when `None`).
        kind: Option<EventKind>,
    },
    /// Select this range of time, ns (or clear the selection).
    SetSelection(Option<(Nanos, Nanos)>),
    /// Pin this span's details (or unpin).
    PinSpan(Option<PinnedSpan>),
    /// Hide, pin or show lanes.
    Lane(LaneCommand),
    /// Guard the shared counters with a `threading.Lock` (or not), and run again.
    SetCounterLock(bool),
    /// Write something out of the app.
    Export(Export),
}

/// What can be exported from the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Run A as Chrome trace-event JSON (Perfetto, `chrome://tracing`).
    Trace,
    /// The stats of the runs as CSV.
    StatsCsv,
    /// The whole window as PNG.
    WindowPng,
    /// The timeline as PNG.
    TimelinePng,
}

/// A part of the window that draws itself from a [`ViewCtx`].
pub trait View {
    /// Draws the view into `ui`; returns what the app should change (often nothing; a view
    /// made of others passes theirs on, so there can be several).
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action>;
}
