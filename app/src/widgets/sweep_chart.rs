//! The switch-interval sweep chart: five small plots sharing a logarithmic interval axis
//! (I/O latency p50/p99, I/O operations per second, CPU throughput, GIL switches per second,
//! time lost to handoffs), a legend row above them that never covers data, the default 5 ms
//! and the current setting marked, and the verdict under it. Pure egui: the desktop app shows
//! it, and `gilscope sweep --plot` renders it headless through [`crate::render::sweep_png`].

use crate::format::{interval_ms, plain_number};
use crate::theme::Theme;
use crate::widgets::plot::{fixed_plot, log_marks};
use crate::widgets::run_style::{line_style, marker};
use crate::widgets::swatch::line_swatch;
use egui::{Color32, Ui, Vec2};
use egui_plot::{Line, LineStyle, Points, VLine};
use gilscope_sim::Stats;

/// `CPython`'s default switch interval, in milliseconds.
pub const DEFAULT_INTERVAL_MS: f64 = 5.0;

/// One sweep: its rows (one per interval, sorted by interval) and how the legend names it.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSeries {
    /// The legend's name for this sweep (scenario and model).
    pub label: String,
    /// One row per interval, in increasing interval order.
    pub rows: Vec<Stats>,
}

impl SweepSeries {
    /// A series from rows in any order.
    pub fn new(label: impl Into<String>, mut rows: Vec<Stats>) -> Self {
        rows.sort_by_key(|r| r.switch_interval_us);
        Self {
            label: label.into(),
            rows,
        }
    }
}

/// A quantity plotted against the interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Mean-weighted median I/O latency over the I/O threads, ms.
    IoLatencyP50,
    /// 99th percentile I/O latency, ms.
    IoLatencyP99,
    /// I/O operations per second, summed over the I/O threads.
    IoOpsPerS,
    /// Million bytecodes per second.
    MBytecodesPerS,
    /// GIL switches per second.
    SwitchesPerS,
    /// Time the GIL sat free while a thread waited, as a percentage of wall time.
    HandoffPercent,
}

impl Quantity {
    /// Every quantity, in panel order.
    pub const ALL: [Quantity; 6] = [
        Self::IoLatencyP50,
        Self::IoLatencyP99,
        Self::IoOpsPerS,
        Self::MBytecodesPerS,
        Self::SwitchesPerS,
        Self::HandoffPercent,
    ];

    /// The quantity's value in one sweep row (`None` where it does not apply: no I/O).
    pub fn of(self, row: &Stats) -> Option<f64> {
        match self {
            Self::IoLatencyP50 => row.io_latency().map(|s| s.p50),
            Self::IoLatencyP99 => row.io_latency().map(|s| s.p99),
            Self::IoOpsPerS => {
                let io = row.threads.iter().filter(|t| t.io_ops > 0);
                let mut any = false;
                let total = io
                    .map(|t| {
                        any = true;
                        t.io_ops_per_s
                    })
                    .sum::<f64>();
                any.then_some(total)
            }
            Self::MBytecodesPerS => Some(row.bytecodes_per_s / 1e6),
            Self::SwitchesPerS => Some(row.gil.switches_per_s),
            Self::HandoffPercent => Some(if row.wall_ms > 0.0 {
                row.gil.handoff_ms / row.wall_ms * 100.0
            } else {
                0.0
            }),
        }
    }

    /// A short legend name.
    pub fn label(self) -> &'static str {
        match self {
            Self::IoLatencyP50 => "I/O latency p50",
            Self::IoLatencyP99 => "I/O latency p99",
            Self::IoOpsPerS => "I/O ops/s",
            Self::MBytecodesPerS => "CPU throughput",
            Self::SwitchesPerS => "switches/s",
            Self::HandoffPercent => "lost to handoffs",
        }
    }

    /// `[x, y]` points of a series (x = log10 of the interval in ms), skipping rows where the
    /// quantity does not apply.
    pub fn points(self, series: &SweepSeries) -> Vec<[f64; 2]> {
        series
            .rows
            .iter()
            .filter_map(|r| self.of(r).map(|v| [x_of_us(r.switch_interval_us), v]))
            .collect()
    }
}

/// One plot panel: its title with unit, the quantities in it, and whether y is logarithmic.
struct Panel {
    title: &'static str,
    quantities: &'static [Quantity],
    log_y: bool,
    /// Whether the y axis starts at zero (off where a few percent matter, e.g. throughput).
    from_zero: bool,
}

const PANELS: [Panel; 5] = [
    Panel {
        title: "I/O latency (ms)",
        quantities: &[Quantity::IoLatencyP99, Quantity::IoLatencyP50],
        log_y: true,
        from_zero: false,
    },
    Panel {
        title: "I/O operations per second",
        quantities: &[Quantity::IoOpsPerS],
        log_y: true,
        from_zero: false,
    },
    Panel {
        title: "CPU throughput (M bytecodes/s)",
        quantities: &[Quantity::MBytecodesPerS],
        log_y: false,
        from_zero: false,
    },
    Panel {
        title: "GIL switches per second",
        quantities: &[Quantity::SwitchesPerS],
        log_y: true,
        from_zero: false,
    },
    Panel {
        title: "Time lost to handoffs (% of wall time)",
        quantities: &[Quantity::HandoffPercent],
        log_y: false,
        from_zero: true,
    },
];

/// The plot's x coordinate of an interval in microseconds.
pub fn x_of_us(us: u64) -> f64 {
    (us.max(1) as f64 / 1000.0).log10()
}

/// The interval in milliseconds at plot x coordinate `x`.
pub fn ms_of_x(x: f64) -> f64 {
    10f64.powf(x)
}

/// The lines and markers of every series in one panel (y in log10 where the panel is log).
fn draw_series(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    theme: &Theme,
    panel: &Panel,
    series: &[SweepSeries],
) {
    let log_y = panel.log_y;
    for (i, s) in series.iter().enumerate() {
        let (style, shape) = (line_style(i), marker(i));
        for &q in panel.quantities {
            let color = quantity_color(theme, q);
            let points: Vec<[f64; 2]> = q
                .points(s)
                .into_iter()
                .filter(|p| !log_y || p[1] > 0.0)
                .map(|[x, y]| [x, if log_y { y.log10() } else { y }])
                .collect();
            let name = format!("{} — {}", q.label(), s.label);
            plot_ui.line(
                Line::new(name.clone(), points.clone())
                    .color(color)
                    .width(2.0)
                    .style(style),
            );
            // p99 is drawn first with larger hollow markers, so a p50 on top of it
            // (an evenly spread latency) stays visible.
            let p99 = q == Quantity::IoLatencyP99;
            plot_ui.points(
                Points::new(name, points)
                    .color(color)
                    .shape(shape)
                    .radius(if p99 { 4.5 } else { 3.0 })
                    .filled(!p99),
            );
        }
    }
}

/// Which point a click on the chart picked: `series` index, `row` index within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickedPoint {
    /// Index into the series passed to [`SweepChart::show`].
    pub series: usize,
    /// Index into that series' rows.
    pub row: usize,
}

/// The chart's settings for one frame.
#[derive(Debug, Clone)]
pub struct SweepChart<'a> {
    /// The colours (and presentation mode).
    pub theme: &'a Theme,
    /// The switch interval in use, marked on every plot.
    pub current_us: Option<u64>,
    /// The verdict line written under the plots.
    pub verdict: Option<String>,
    /// A prefix for the plots' ids (two charts on one screen need different ones).
    pub id: &'a str,
    /// Whether the plots react to the pointer (hover readout, clicks); off for PNG export.
    pub interactive: bool,
}

/// The colour of a quantity (from the theme's categorical palette).
fn quantity_color(theme: &Theme, q: Quantity) -> Color32 {
    let index = Quantity::ALL.iter().position(|&x| x == q).unwrap_or(0);
    theme.thread_color_index(index)
}

impl SweepChart<'_> {
    /// Draws the legend row, the plots in a grid filling the available space, and the
    /// verdict. Returns the point clicked, if any.
    pub fn show(&self, ui: &mut Ui, series: &[SweepSeries]) -> Option<PickedPoint> {
        self.legend(ui, series);
        let available = ui.available_size();
        let columns = if available.x > 900.0 { 3 } else { 2 };
        let rows = PANELS.len().div_ceil(columns);
        let spacing = ui.spacing().item_spacing;
        // Plots never shrink below a readable height (the app scrolls instead).
        let min_height = 150.0 * self.theme.text_scale();
        let cell = Vec2::new(
            (available.x - spacing.x * (columns - 1) as f32) / columns as f32,
            ((available.y - spacing.y * (rows - 1) as f32) / rows as f32).max(min_height),
        );
        let mut picked = None;
        for (r, row) in PANELS.chunks(columns).enumerate() {
            ui.horizontal_top(|ui| {
                for (c, panel) in row.iter().enumerate() {
                    // Only the lowest plot of each column names the shared x axis.
                    let bottom = (r + 1) * columns + c >= PANELS.len();
                    ui.vertical(|ui| {
                        ui.set_width(cell.x);
                        if let Some(p) = self.panel(ui, panel, series, cell, bottom) {
                            picked = Some(p);
                        }
                    });
                }
                // The verdict takes the free cell after the last plot.
                if row.len() < columns
                    && let Some(verdict) = &self.verdict
                {
                    ui.vertical(|ui| {
                        ui.set_width(cell.x);
                        ui.add_space(cell.y * 0.3);
                        ui.add(egui::Label::new(egui::RichText::new(verdict).strong()).wrap());
                    });
                }
            });
        }
        picked
    }

    /// The legend as a row of swatches above the plots.
    fn legend(&self, ui: &mut Ui, series: &[SweepSeries]) {
        let theme = self.theme;
        ui.horizontal_wrapped(|ui| {
            for q in [Quantity::IoLatencyP50, Quantity::IoLatencyP99] {
                line_swatch(ui, quantity_color(theme, q), 0, None);
                ui.label(q.label());
            }
            for (i, s) in series.iter().enumerate() {
                line_swatch(ui, theme.text, i, Some(marker(i)));
                ui.label(&s.label);
            }
            line_swatch(ui, theme.text_weak, 1, None);
            ui.label("default 5 ms");
            if let Some(us) = self.current_us {
                line_swatch(ui, theme.marker_drop_request, 0, None);
                ui.label(format!("current {}", interval_ms(us as f64 / 1000.0)));
            }
        });
    }

    /// One plot; returns the point clicked in it.
    fn panel(
        &self,
        ui: &mut Ui,
        panel: &Panel,
        series: &[SweepSeries],
        cell: Vec2,
        bottom: bool,
    ) -> Option<PickedPoint> {
        let theme = self.theme;
        ui.label(egui::RichText::new(panel.title).color(theme.text));
        let title_height =
            ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
        let log_y = panel.log_y;
        let id = format!("{}-{}", self.id, panel.title);
        let mut plot = fixed_plot(id, theme)
            .width(cell.x)
            .height((cell.y - title_height).max(80.0))
            .x_grid_spacer(log_marks)
            .x_axis_formatter(|mark, _| {
                interval_ms(ms_of_x(mark.value))
                    .trim_end_matches(" ms")
                    .to_owned()
            })
            .y_axis_min_width(36.0)
            .show_y(false)
            .link_axis(egui::Id::unique((self.id, "sweep-x")), [true, false]);
        if bottom {
            plot = plot.x_axis_label("switch interval (ms, log scale)");
        }
        // Every panel spans the same intervals, with data or not.
        let xs = series
            .iter()
            .flat_map(|s| &s.rows)
            .map(|r| x_of_us(r.switch_interval_us));
        let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        if x_min <= x_max {
            plot = plot.include_x(x_min).include_x(x_max);
        }
        let empty = series
            .iter()
            .all(|s| panel.quantities.iter().all(|q| q.points(s).is_empty()));
        if empty {
            plot = plot.include_y(0.0).include_y(1.0);
        }
        if log_y {
            plot = plot
                .y_grid_spacer(log_marks)
                .y_axis_formatter(|mark, _| plain_number(10f64.powf(mark.value)));
        } else if panel.from_zero {
            plot = plot.include_y(0.0);
        }
        if !self.interactive {
            plot = plot.show_crosshair(false);
        }
        let response = plot.show(ui, |plot_ui| {
            if empty && x_min <= x_max {
                plot_ui.text(
                    egui_plot::Text::new(
                        "no data",
                        egui_plot::PlotPoint::new(f64::midpoint(x_min, x_max), 0.5),
                        "no thread does I/O in this scenario",
                    )
                    .color(theme.text_weak),
                );
            }
            draw_series(plot_ui, theme, panel, series);
            plot_ui.vline(
                VLine::new("default 5 ms", DEFAULT_INTERVAL_MS.log10())
                    .color(theme.text_weak)
                    .style(LineStyle::dashed_loose())
                    .width(1.5),
            );
            if let Some(us) = self.current_us {
                plot_ui.vline(
                    VLine::new("current", x_of_us(us))
                        .color(theme.marker_drop_request)
                        .width(1.5),
                );
            }
            let clicked = plot_ui.response().clicked();
            clicked.then(|| plot_ui.pointer_coordinate()).flatten()
        });
        let at = response.inner?;
        nearest_point(series, at.x)
    }
}

/// The row of any series whose interval is nearest to plot x (first series wins ties).
fn nearest_point(series: &[SweepSeries], x: f64) -> Option<PickedPoint> {
    let mut best: Option<(f64, PickedPoint)> = None;
    for (si, s) in series.iter().enumerate() {
        for (ri, r) in s.rows.iter().enumerate() {
            let d = (x_of_us(r.switch_interval_us) - x).abs();
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((
                    d,
                    PickedPoint {
                        series: si,
                        row: ri,
                    },
                ));
            }
        }
    }
    best.map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_round_trips() {
        assert!((ms_of_x(x_of_us(5000)) - 5.0).abs() < 1e-9);
        assert!(x_of_us(1000).abs() < 1e-12);
    }
}
