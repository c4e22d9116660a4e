//! The area under the timeline: the tabs "Narration | Over time | Distributions | Samplers"
//! and the chosen one's view.

use super::histograms::DistributionsView;
use super::narration::NarrationView;
use super::plots::OverTimeView;
use super::samplers_view::SamplersView;
use super::view::{Action, View, ViewCtx};
use crate::theme::Theme;

/// What the area under the timeline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LowerTab {
    /// The preset's narration with the run's numbers.
    #[default]
    Narration,
    /// Core utilization, GIL held, cumulative bytecodes per thread, on the timeline's axis.
    OverTime,
    /// Histograms of I/O latency, acquire latency and slice length.
    Distributions,
    /// Sampling monitors against the ground truth.
    Samplers,
}

impl LowerTab {
    /// Every tab, in order.
    pub const ALL: [LowerTab; 4] = [
        Self::Narration,
        Self::OverTime,
        Self::Distributions,
        Self::Samplers,
    ];

    /// The tab's title.
    pub fn label(self) -> &'static str {
        match self {
            Self::Narration => "Narration",
            Self::OverTime => "Over time",
            Self::Distributions => "Distributions",
            Self::Samplers => "Samplers",
        }
    }
}

/// The tabs under the timeline and the views they hold.
#[derive(Default)]
pub struct LowerArea {
    /// The tab shown.
    pub tab: LowerTab,
    /// The preset's narration.
    pub narration: NarrationView,
    /// Core utilization, GIL held and progress over time.
    pub over_time: OverTimeView,
    /// Histograms of I/O latency, acquire latency and slice length.
    pub distributions: DistributionsView,
    /// Sampling monitors against the ground truth.
    pub samplers: SamplersView,
    /// The height the narration tab took in the last frame, its tabs and text in full.
    narration_height: Option<f32>,
}

impl LowerArea {
    /// How tall the area should be, of `available` points: the tabs, the heading and a few
    /// lines of narration (it scrolls), more for plots.
    pub fn height(&self, available: f32, theme: &Theme) -> f32 {
        let line = theme.label_font().size;
        match self.tab {
            // What its text takes (it scrolls when the panel is smaller), at least a few
            // lines: the timeline takes the rest.
            LowerTab::Narration => self.narration_height.unwrap_or(6.0 * line).max(4.0 * line),
            _ => (available * 0.45).max(14.0 * line),
        }
    }
}

impl View for LowerArea {
    /// The tab strip and the chosen tab's view.
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        // Wrapped, so that in a narrow window the tabs do not widen the area past the window
        // (which would cut every line of the narration under them).
        let top = ui.cursor().top();
        ui.horizontal_wrapped(|ui| {
            for tab in LowerTab::ALL {
                ui.selectable_value(&mut self.tab, tab, tab.label());
            }
        });
        // Each view scrolls on its own (plots keep a readable height in a small window);
        // the samplers' tables have their own scroll area.
        // Scrolling down to a line of text: a short panel is not made taller by its contents.
        let line = ui.text_style_height(&egui::TextStyle::Body);
        let scrolled = |ui: &mut egui::Ui, salt: &str, view: &mut dyn View| {
            egui::ScrollArea::vertical()
                .id_salt(salt)
                .min_scrolled_height(line)
                .show(ui, |ui| view.ui(ui, cx))
                .inner
        };
        match self.tab {
            LowerTab::Narration => {
                let tabs = ui.cursor().top() - top;
                let output = egui::ScrollArea::vertical()
                    .id_salt("narration")
                    .min_scrolled_height(line)
                    .show(ui, |ui| self.narration.ui(ui, cx));
                // The panel's margins and the space over the tabs, beside the text.
                self.narration_height = Some(tabs + output.content_size.y + 16.0);
                output.inner
            }
            LowerTab::OverTime => scrolled(ui, "over-time", &mut self.over_time),
            LowerTab::Distributions => scrolled(ui, "distributions", &mut self.distributions),
            LowerTab::Samplers => self.samplers.ui(ui, cx),
        }
    }
}
