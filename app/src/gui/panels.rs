//! The window's panels around the views: the stats panel (right), the central panel with its
//! "Timeline | Switch-interval sweep | Runtimes" switch, the predict question over it, and, with
//! the timeline, the event log beside it (with the pinned span and the selection's aggregate)
//! and the narration and plots under it (both resizable and collapsible); the help and welcome
//! overlays over everything. Shell code: it lays the views out and collects their actions;
//! what is drawn is theirs.

use super::analysis::LowerArea;
use super::compare::CompareView;
use super::event_log::EventLogView;
use super::help::HelpOverlay;
use super::predict::PredictView;
use super::runtime_table::RuntimeTable;
use super::selection::SelectionView;
use super::span_details::SpanDetailsView;
use super::stats_panel::StatsView;
use super::sweep_view::SweepView;
use super::view::{Action, View, ViewCtx};
use super::welcome::WelcomeOverlay;

/// Which of the side panels are open (the user's settings).
#[allow(clippy::struct_excessive_bools, reason = "independent panels")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelsOpen {
    /// The stats panel (right).
    pub info: bool,
    /// The narration and plots under the timeline.
    pub lower: bool,
    /// The event log beside the timeline.
    pub events: bool,
}

/// Every view of the window, with what the shell shows of them.
pub struct Views {
    /// Whether the sweep view replaces the timeline.
    pub show_sweep: bool,
    /// Whether the runtime table replaces the timeline.
    pub show_runtimes: bool,
    /// The switch-interval sweep.
    pub sweep: SweepView,
    /// The scenario under every runtime.
    pub runtimes: RuntimeTable,
    /// The timeline(s).
    pub compare: CompareView,
    /// The tabs under the timeline.
    pub lower: LowerArea,
    /// The stats table.
    pub stats: StatsView,
    /// The event log beside the timeline.
    pub events: EventLogView,
    /// The pinned span's details.
    pub details: SpanDetailsView,
    /// The selected range's aggregate.
    pub selection: SelectionView,
    /// Predict, then reveal.
    pub predict: PredictView,
    /// The keyboard shortcuts.
    pub help: HelpOverlay,
    /// The first launch's welcome.
    pub welcome: WelcomeOverlay,
}

impl Default for Views {
    fn default() -> Self {
        Self {
            show_sweep: false,
            show_runtimes: false,
            sweep: SweepView::new(),
            runtimes: RuntimeTable::default(),
            compare: CompareView::default(),
            lower: LowerArea::default(),
            stats: StatsView,
            events: EventLogView::default(),
            details: SpanDetailsView,
            selection: SelectionView::default(),
            predict: PredictView::default(),
            help: HelpOverlay::default(),
            welcome: WelcomeOverlay::default(),
        }
    }
}

/// What a hidden panel says in predict mode.
const HIDDEN: &str = "Hidden until the answer is revealed (predict mode: K).";

impl Views {
    /// Draws the stats panel (when open; it may be dragged open or shut), the central panel
    /// and the overlays from `cx`; returns what they ask of the app.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        cx: &ViewCtx<'_>,
        open: &mut PanelsOpen,
    ) -> Vec<Action> {
        self.compare.hide_numbers = self.predict.hides_numbers();
        let mut actions = self.info_panel(ui, cx, &mut open.info);
        actions.extend(self.central_panel(ui, cx, open));
        actions.extend(self.help.ui(ui, cx));
        actions.extend(self.welcome.ui(ui, cx));
        actions
    }

    /// Where the timeline was drawn in the last frame, points.
    pub fn timeline_rect(&self) -> Option<egui::Rect> {
        self.compare.timeline.rect
    }

    /// The right-hand panel with the stats.
    fn info_panel(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>, open: &mut bool) -> Vec<Action> {
        // Two runs need a second value column.
        let (width, share) = if cx.runs.len() > 1 {
            (420.0, 0.38)
        } else {
            (340.0, 0.34)
        };
        let width = width * cx.theme.text_scale().sqrt();
        // A fixed width, at most about a quarter (settings) or a third (stats) of the
        // window, so the timeline keeps at least 40% of it at any size.
        let most = (ui.ctx().content_rect().width() * share).max(220.0);
        let hidden = self.predict.hides_numbers();
        egui::Panel::right("info")
            .exact_size(width.min(most).round())
            .show_collapsible(ui, open, |ui| {
                egui::ScrollArea::both()
                    .show(ui, |ui| {
                        ui.add_space(6.0);
                        if hidden {
                            ui.weak(HIDDEN);
                            return Vec::new();
                        }
                        let actions = self.stats.ui(ui, cx);
                        ui.add_space(8.0);
                        actions
                    })
                    .inner
            })
            .map(|r| r.inner)
            .unwrap_or_default()
    }

    /// The central panel: the view switch, the predict question and the view chosen.
    fn central_panel(
        &mut self,
        ui: &mut egui::Ui,
        cx: &ViewCtx<'_>,
        open: &mut PanelsOpen,
    ) -> Vec<Action> {
        egui::CentralPanel::default()
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let timeline = !(self.show_sweep || self.show_runtimes);
                    if ui.selectable_label(timeline, "Timeline").clicked() {
                        self.show_sweep = false;
                        self.show_runtimes = false;
                    }
                    if ui
                        .selectable_label(self.show_sweep, "Switch-interval sweep")
                        .clicked()
                    {
                        self.show_sweep = true;
                        self.show_runtimes = false;
                    }
                    if ui
                        .selectable_label(self.show_runtimes, "Runtimes")
                        .clicked()
                    {
                        self.show_runtimes = true;
                        self.show_sweep = false;
                    }
                    if let Some((done, total)) = self.sweep.progress()
                        && !self.show_sweep
                    {
                        ui.weak(format!("(sweeping: {done} of {total})"));
                    }
                });
                let mut actions = self.predict.ui(ui, cx);
                if self.show_sweep {
                    actions.extend(self.sweep.ui(ui, cx));
                    return actions;
                }
                // A sweep started earlier goes on while another view is shown.
                self.sweep.keep_polling(ui.ctx());
                if self.show_runtimes {
                    actions.extend(self.runtimes.ui(ui, cx));
                    return actions;
                }
                actions.extend(self.lower_panel(ui, cx, &mut open.lower));
                actions.extend(self.inspector(ui, cx, &mut open.events));
                actions.extend(self.compare.ui(ui, cx));
                actions
            })
            .inner
    }

    /// Under the timeline: the narration and the plots, resizable, collapsible.
    fn lower_panel(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>, open: &mut bool) -> Vec<Action> {
        let available = ui.available_height();
        let hidden = self.predict.hides_numbers();
        let size = self.lower.height(available, cx.theme);
        egui::Panel::bottom("lower")
            .resizable(true)
            .default_size(size)
            .size_range(cx.theme.label_font().size * 3.0..=available * 0.7)
            .show_collapsible(ui, open, |ui| {
                if hidden {
                    ui.weak(HIDDEN);
                    return Vec::new();
                }
                self.lower.ui(ui, cx)
            })
            .map(|r| r.inner)
            .unwrap_or_default()
    }

    /// Beside the timeline: the event log, the pinned span and the selection's aggregate.
    fn inspector(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>, open: &mut bool) -> Vec<Action> {
        let width = ui.available_width();
        let size = (width * 0.3).clamp(200.0, 560.0 * cx.theme.text_scale().sqrt());
        let hidden = self.predict.hides_numbers();
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(size)
            .size_range(160.0..=(width * 0.6).max(170.0))
            .show_collapsible(ui, open, |ui| {
                let mut actions = Vec::new();
                let extra = cx.focus.pinned.is_some() || cx.focus.selection.is_some();
                if extra {
                    egui::Panel::bottom("inspector-details")
                        .resizable(true)
                        .default_size(ui.available_height() * 0.45)
                        .show(ui, |ui| {
                            egui::ScrollArea::vertical()
                                .id_salt("inspector-details")
                                .show(ui, |ui| {
                                    actions.extend(self.details.ui(ui, cx));
                                    if hidden && cx.focus.selection.is_some() {
                                        ui.weak(HIDDEN);
                                    } else {
                                        actions.extend(self.selection.ui(ui, cx));
                                    }
                                });
                        });
                }
                actions.extend(self.events.ui(ui, cx));
                actions
            })
            .map(|r| r.inner)
            .unwrap_or_default()
    }
}
