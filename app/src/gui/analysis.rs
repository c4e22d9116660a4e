//! The analysis views' state and the tabs that reach them: a "Timeline | Sweep" switch at the
//! top of the central view, and under the timeline "Narration | Over time | Distributions |
//! Samplers".

use super::app::GilscopeApp;
use super::histograms::HistogramCache;
use super::plots::OverTimeCache;
use super::samplers_view::SamplerPanel;
use super::sweep_view::SweepView;

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

/// The state of the analysis views.
pub struct Analysis {
    /// Whether the sweep view replaces the timeline.
    pub show_sweep: bool,
    /// What the area under the timeline shows.
    pub tab: LowerTab,
    /// The sweep view.
    pub sweep: SweepView,
    /// The samplers' settings and results.
    pub samplers: SamplerPanel,
    pub(super) over_time: OverTimeCache,
    pub(super) histograms: HistogramCache,
}

impl Default for Analysis {
    fn default() -> Self {
        Self {
            show_sweep: false,
            tab: LowerTab::default(),
            sweep: SweepView::new(),
            samplers: SamplerPanel::default(),
            over_time: OverTimeCache::default(),
            histograms: HistogramCache::default(),
        }
    }
}

impl GilscopeApp {
    /// The "Timeline | Switch-interval sweep" switch; returns whether the sweep view is on.
    pub(super) fn view_tabs(&mut self, ui: &mut egui::Ui) -> bool {
        ui.horizontal(|ui| {
            let a = &mut self.analysis;
            ui.selectable_value(&mut a.show_sweep, false, "Timeline");
            ui.selectable_value(&mut a.show_sweep, true, "Switch-interval sweep");
            if let Some((done, total)) = a.sweep.progress()
                && !a.show_sweep
            {
                ui.weak(format!("(sweeping: {done} of {total})"));
            }
        });
        if self.analysis.show_sweep {
            self.sweep_view(ui);
        } else if self.analysis.sweep.poll() {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        }
        self.analysis.show_sweep
    }

    /// How tall the area under the timeline should be: a few lines for the narration, more
    /// for plots.
    pub(super) fn lower_height(&self, available: f32) -> f32 {
        let line = self.theme.label_font().size;
        match self.analysis.tab {
            // In front of a class the timeline comes first; the narration scrolls.
            LowerTab::Narration if self.theme.presentation() => 4.0 * line,
            LowerTab::Narration => 6.0 * line,
            _ => (available * 0.45).max(14.0 * line),
        }
    }

    /// The tabs under the timeline and the chosen one's contents.
    pub(super) fn lower_area(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            for tab in LowerTab::ALL {
                ui.selectable_value(&mut self.analysis.tab, tab, tab.label());
            }
        });
        match self.analysis.tab {
            LowerTab::Narration => {
                egui::ScrollArea::vertical()
                    .id_salt("narration")
                    .show(ui, |ui| self.narration(ui));
            }
            LowerTab::OverTime => {
                // Plots keep a readable height; a small window scrolls them.
                egui::ScrollArea::vertical()
                    .id_salt("over-time")
                    .show(ui, |ui| self.over_time_plots(ui));
            }
            LowerTab::Distributions => {
                egui::ScrollArea::vertical()
                    .id_salt("distributions")
                    .show(ui, |ui| self.histograms(ui));
            }
            LowerTab::Samplers => self.samplers_panel(ui),
        }
    }
}
