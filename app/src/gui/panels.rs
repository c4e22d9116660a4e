//! The window's panels around the views: the stats panel (right), the central panel with its
//! "Timeline | Switch-interval sweep" switch, and the help overlay over them. Shell code: it
//! lays the views out and collects their actions; what is drawn is theirs.

use super::compare::CompareView;
use super::help::HelpOverlay;
use super::stats_panel::StatsView;
use super::sweep_view::SweepView;
use super::view::{Action, View, ViewCtx};

/// Every view of the window, with what the shell shows of them.
pub struct Views {
    /// Whether the sweep view replaces the timeline.
    pub show_sweep: bool,
    /// The switch-interval sweep.
    pub sweep: SweepView,
    /// The timeline(s) and the tabs under them.
    pub compare: CompareView,
    /// The stats table.
    pub stats: StatsView,
    /// The keyboard shortcuts.
    pub help: HelpOverlay,
}

impl Default for Views {
    fn default() -> Self {
        Self {
            show_sweep: false,
            sweep: SweepView::new(),
            compare: CompareView::default(),
            stats: StatsView,
            help: HelpOverlay::default(),
        }
    }
}

impl Views {
    /// Draws the stats panel (when `show_info`; it may be dragged open or shut), the central
    /// panel and the help overlay from `cx`; returns what they ask of the app.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        cx: &ViewCtx<'_>,
        show_info: &mut bool,
    ) -> Vec<Action> {
        let mut actions = self.info_panel(ui, cx, show_info);
        actions.extend(self.central_panel(ui, cx));
        actions.extend(self.help.ui(ui, cx));
        actions
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
        egui::Panel::right("info")
            .exact_size(width.min(most).round())
            .show_collapsible(ui, open, |ui| {
                egui::ScrollArea::both()
                    .show(ui, |ui| {
                        ui.add_space(6.0);
                        let actions = self.stats.ui(ui, cx);
                        ui.add_space(8.0);
                        actions
                    })
                    .inner
            })
            .map(|r| r.inner)
            .unwrap_or_default()
    }

    /// The central panel: the "Timeline | Switch-interval sweep" switch and the view chosen.
    fn central_panel(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        egui::CentralPanel::default()
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.show_sweep, false, "Timeline");
                    ui.selectable_value(&mut self.show_sweep, true, "Switch-interval sweep");
                    if let Some((done, total)) = self.sweep.progress()
                        && !self.show_sweep
                    {
                        ui.weak(format!("(sweeping: {done} of {total})"));
                    }
                });
                if self.show_sweep {
                    self.sweep.ui(ui, cx)
                } else {
                    // A sweep started earlier goes on while the timeline is shown.
                    self.sweep.keep_polling(ui.ctx());
                    self.compare.ui(ui, cx)
                }
            })
            .inner
    }
}
