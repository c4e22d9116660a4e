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
use super::layout::PanelRects;
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
    /// The height the user dragged the panel under the timeline to (`None`: it takes what
    /// the timeline leaves).
    pub lower_size: Option<f32>,
    /// The event log's width once the user has dragged its edge; until then it follows the
    /// window and the text size.
    pub inspector_width: Option<f32>,
    /// Where the panel under the timeline begins this frame (the timeline stops there).
    lower_top: Option<f32>,
    /// In a window too narrow for the event log beside the timeline, whether the panel under
    /// it shows the event log (and the selection, the pinned span) rather than the narration.
    pub events_under: bool,
    /// Where the main panels were drawn in the last frame.
    pub rects: PanelRects,
    /// Whether the settings and the stats panel were open in the last frame.
    sides_before: (bool, bool),
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
            lower_size: None,
            inspector_width: None,
            lower_top: None,
            events_under: false,
            rects: PanelRects::default(),
            sides_before: (false, false),
        }
    }
}

/// A central panel narrower than this (points, more for larger text) puts the event log under
/// the timeline.
const NARROW: f32 = 640.0;

/// Lanes grow up to the central panel's height over this (past the theme's tallest lane): a
/// run of three lanes fills about two thirds of a tall window with them.
const LANES_FILLING: f32 = 4.5;

/// The share of the central panel's height the timeline keeps, at least, when its lanes need
/// it (the panel under it takes the rest).
const TIMELINE_SHARE: f32 = 0.7;

/// [`TIMELINE_SHARE`] in presentation mode: in front of a class the timeline comes first.
const TIMELINE_SHARE_PRESENTING: f32 = 0.8;

/// What a hidden panel says in predict mode.
const HIDDEN: &str = "Hidden until the answer is revealed (predict mode: K).";

/// A window narrower than this (points, more for larger text) has room for one side panel at a
/// time beside the timeline: opening one closes the other.
const ONE_SIDE_PANEL: f32 = 1100.0;

impl Views {
    /// In a window too narrow for both, keeps one of the settings (`controls`) and the stats
    /// (`info`) panel open: the one opened last.
    pub fn fit_side_panels(
        &mut self,
        width: f32,
        scale: f32,
        controls: &mut bool,
        info: &mut bool,
    ) {
        if *controls && *info && width < ONE_SIDE_PANEL * scale.sqrt() {
            // The stats give way, unless they were the one just opened.
            let stats_opened = !self.sides_before.1;
            if stats_opened && self.sides_before.0 {
                *controls = false;
            } else {
                *info = false;
            }
        }
        self.sides_before = (*controls, *info);
    }

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
        // Wider for larger text (a little less than in step, so that presentation's numbers
        // fit beside their names and the timeline keeps its room).
        let width = width * cx.theme.text_scale().powf(0.75);
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
            .map(|r| {
                self.rects.record("stats", r.response.rect);
                r.inner
            })
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
                // Wrapped: in a narrow window the tabs must not widen the panel past its room.
                ui.horizontal_wrapped(|ui| {
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
                // Too narrow for a column beside the timeline: the event log goes under it.
                let narrow = ui.available_width() < NARROW * cx.theme.text_scale().sqrt();
                // Beside the timeline, the event log and the selection take the whole height;
                // the panel under the timeline is as wide as the timeline.
                if !narrow {
                    actions.extend(self.inspector(ui, cx, &mut open.events));
                }
                self.lower_top = None;
                // Few lanes grow past the theme's tallest, so that they fill a tall window.
                self.compare.timeline.tallest_lane = ui.available_height() / LANES_FILLING;
                actions.extend(self.lower_panel(
                    ui,
                    cx,
                    &mut open.lower,
                    narrow.then_some(&mut open.events),
                ));
                // The timeline ends where the panel under it begins.
                let top = ui.cursor().top();
                let height = self
                    .lower_top
                    .map_or(ui.available_height(), |bottom| bottom - top - 4.0)
                    .max(0.0);
                let size = egui::vec2(ui.available_width(), height);
                let layout = egui::Layout::top_down(egui::Align::Min);
                let shown = ui.allocate_ui_with_layout(size, layout, |ui| {
                    // Nothing of the timeline's view runs into the panel under it.
                    let clip = ui.clip_rect().intersect(ui.max_rect());
                    ui.set_clip_rect(clip);
                    self.compare.ui(ui, cx)
                });
                self.rects.record("timeline", shown.response.rect);
                actions.extend(shown.inner);
                actions
            })
            .inner
    }

    /// Under the timeline: the narration and the plots, collapsible; as tall as the timeline
    /// leaves (at least what its tab needs), or as the user drags its top edge (a double-click
    /// there gives the height back to the timeline's choice).
    fn lower_panel(
        &mut self,
        ui: &mut egui::Ui,
        cx: &ViewCtx<'_>,
        open: &mut bool,
        events: Option<&mut bool>,
    ) -> Vec<Action> {
        let hidden = self.predict.hides_numbers();
        let size = self.lower_size_now(ui, cx, events.as_ref().is_some_and(|open| **open));
        if !*open {
            return Vec::new();
        }
        // Shown or not at once (the toolbar's "Narration" toggle): a sliding panel would leave
        // the timeline laid out for its half-open height.
        let shown = Some(
            egui::Panel::bottom("lower")
                .exact_size(size)
                .show(ui, |ui| {
                    ui.add_space(6.0);
                    let lower = |views: &mut Self, ui: &mut egui::Ui| {
                        if hidden {
                            ui.weak(HIDDEN);
                            Vec::new()
                        } else {
                            views.lower.ui(ui, cx)
                        }
                    };
                    match events {
                        // No room beside the timeline: the event log takes turns with the
                        // narration and plots here.
                        Some(events) if *events => {
                            ui.horizontal_wrapped(|ui| {
                                ui.selectable_value(
                                    &mut self.events_under,
                                    false,
                                    "Narration and plots",
                                );
                                ui.selectable_value(
                                    &mut self.events_under,
                                    true,
                                    "Events and selection",
                                );
                            });
                            if self.events_under {
                                self.inspector_contents(ui, cx)
                            } else {
                                lower(self, ui)
                            }
                        }
                        _ => lower(self, ui),
                    }
                }),
        );
        let Some(shown) = shown else {
            return Vec::new();
        };
        self.rects.record("lower", shown.response.rect);
        // The timeline, drawn next, ends where the panel begins.
        let top = shown.response.rect.top();
        self.lower_top = Some(top);
        // The top edge drags the panel's height; a double-click gives it back to the
        // timeline's choice.
        let edge =
            egui::Rect::from_x_y_ranges(shown.response.rect.x_range(), (top - 2.0)..=(top + 4.0));
        let handle = ui
            .interact(
                edge,
                ui.scope_id().with("lower-edge"),
                egui::Sense::click_and_drag(),
            )
            .on_hover_cursor(egui::CursorIcon::ResizeVertical);
        let color = if handle.hovered() || handle.dragged() {
            ui.visuals().widgets.hovered.bg_stroke.color
        } else {
            ui.visuals().widgets.noninteractive.bg_stroke.color
        };
        ui.painter()
            .hline(edge.x_range(), edge.center().y, (2.0, color));
        if handle.dragged() {
            self.lower_size = Some(size - handle.drag_delta().y);
        }
        if handle.double_clicked() {
            self.lower_size = None;
        }
        shown.inner
    }

    /// The height of the panel under the timeline this frame (`with_events`: it holds the
    /// event log): what its tab wants or the user dragged, within what the timeline leaves.
    fn lower_size_now(&self, ui: &egui::Ui, cx: &ViewCtx<'_>, with_events: bool) -> f32 {
        let available = ui.available_height();
        // The tabs and a line of text (the tabs are taller for their size in presentation).
        let lines = if cx.theme.presentation() { 4.5 } else { 3.5 };
        let least = cx.theme.label_font().size * lines;
        let wanted = self.lower.height(available, cx.theme);
        let tallest = self.compare.timeline.tallest(ui, cx);
        let left = available - tallest - 8.0;
        // With the event log in it, the panel needs room for a list.
        let wanted = if with_events {
            wanted.max(available * 0.3)
        } else {
            wanted
        };
        // The timeline keeps what its lanes need, up to most of the height: the panel under
        // it gives way down to a few lines (which scroll).
        let share = if cx.theme.presentation() {
            TIMELINE_SHARE_PRESENTING
        } else {
            TIMELINE_SHARE
        };
        let timeline_least = tallest.min(available * share);
        let most = (available - timeline_least)
            .min(available * 0.75)
            .max(least);
        self.lower_size
            .unwrap_or(wanted.max(left))
            .clamp(least, most)
    }

    /// Beside the timeline: the event log, the pinned span and the selection's aggregate.
    fn inspector(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>, open: &mut bool) -> Vec<Action> {
        let width = ui.available_width();
        // Wider for larger text, so that its rows keep a few words a line.
        let scale = cx.theme.text_scale();
        let fitting = (width * 0.28 * scale.powf(0.35)).clamp(180.0, 560.0 * scale.sqrt());
        // Until the user drags its edge, the width follows the window and the text size (in
        // steps of 20 points): egui remembers a panel's first width, and a width kept from a
        // smaller window or the normal text cuts presentation's rows to a few words and "…".
        let size = self
            .inspector_width
            .unwrap_or_else(|| (fitting / 20.0).round() * 20.0);
        egui::Panel::right(("inspector", size.to_bits()))
            .resizable(true)
            .default_size(size)
            .size_range(160.0..=(width * 0.6).max(170.0))
            .show_collapsible(ui, open, |ui| self.inspector_contents(ui, cx))
            .map(|r| {
                // A press on the panel's edge (its resize handle) is the user taking over.
                let edge = r.response.rect.left();
                let dragged = ui.input(|i| {
                    i.pointer.primary_down()
                        && i.pointer
                            .press_origin()
                            .is_some_and(|p| (p.x - edge).abs() <= 8.0)
                });
                if dragged {
                    self.inspector_width.get_or_insert(size);
                }
                self.rects.record("events", r.response.rect);
                r.inner
            })
            .unwrap_or_default()
    }

    /// The event log, with the pinned span and the selection's aggregate under it when there
    /// are.
    fn inspector_contents(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let hidden = self.predict.hides_numbers();
        let mut actions = Vec::new();
        if cx.focus.pinned.is_some() || cx.focus.selection.is_some() {
            // Over the log, up to half its height (scrolling beyond).
            let height = ui.available_height() * 0.5;
            egui::ScrollArea::vertical()
                .id_salt("inspector-details")
                .max_height(height)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    actions.extend(self.details.ui(ui, cx));
                    if hidden && cx.focus.selection.is_some() {
                        ui.weak(HIDDEN);
                    } else {
                        actions.extend(self.selection.ui(ui, cx));
                    }
                });
            ui.separator();
        }
        actions.extend(self.events.ui(ui, cx));
        actions
    }
}
