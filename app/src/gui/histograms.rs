//! Distributions of the runs shown: I/O latency, GIL acquire latency and slice length, as
//! histograms over log-spaced bins with p50/p90/p99 marked; two runs (compare mode) share bins
//! and are drawn side by side in each bin.

use super::session::Run;
use super::view::{Action, View, ViewCtx};
use crate::format::{count, ms as format_ms, plain_number};
use crate::theme::Theme;
use crate::widgets::plot::{fixed_plot, log_marks};
use crate::widgets::run_style::line_style;
use crate::widgets::swatch::line_swatch;
use egui_plot::{Bar, BarChart, VLine};
use gilscope_sim::Nanos;
use gilscope_sim::analysis::{Distributions, Histogram};
use gilscope_sim::stats::Summary;

/// Picks one of the three histograms of a run.
type Pick = fn(&Distributions) -> &Histogram;

/// Seconds between recomputations while a run is still growing.
const REFRESH_S: f64 = 0.5;

/// The distributions view, with the distributions it last computed and for which traces.
#[derive(Default)]
pub struct DistributionsView {
    /// Per run, the trace length and whether it had finished.
    key: Vec<(Nanos, bool)>,
    /// When (egui time, s) they were computed.
    at: f64,
    dists: Vec<Distributions>,
}

fn percentile_text(summary: Option<Summary>) -> String {
    summary.map_or_else(
        || "no samples".to_owned(),
        |s| {
            format!(
                "p50 {} · p90 {} · p99 {}",
                format_ms(s.p50),
                format_ms(s.p90),
                format_ms(s.p99)
            )
        },
    )
}

impl DistributionsView {
    /// Recomputes the distributions of `runs` when they changed, at most every
    /// [`REFRESH_S`] while they grow.
    fn refresh(&mut self, runs: &[Run], time: f64) {
        let key: Vec<(Nanos, bool)> = runs
            .iter()
            .map(|r| (r.trace.now, r.trace.finished))
            .collect();
        let finished = key.iter().all(|k| k.1);
        if self.key == key || (!finished && time - self.at < REFRESH_S && !self.dists.is_empty()) {
            return;
        }
        self.dists = match runs {
            [a, b] => {
                let (da, db) = Distributions::pair(&a.trace, &b.trace);
                vec![da, db]
            }
            runs => runs.iter().map(|r| Distributions::of(&r.trace)).collect(),
        };
        self.key = key;
        self.at = time;
    }
}

impl View for DistributionsView {
    /// The three histograms side by side.
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let time = ui.input(|i| i.time);
        self.refresh(cx.runs, time);
        let dists = &self.dists;
        if dists.is_empty() {
            ui.weak("No run yet.");
            return Vec::new();
        }
        let theme = cx.theme;
        let colors = [theme.thread_color_index(0), theme.thread_color_index(1)];
        if dists.len() > 1 {
            ui.horizontal(|ui| {
                line_swatch(ui, colors[0], 0, None);
                ui.label("run A (solid percentile lines)");
                line_swatch(ui, colors[1], 1, None);
                ui.label("run B (dashed)");
            });
        }
        let picks: [(&str, Pick); 3] = [
            ("I/O latency", |d| &d.io_latency),
            ("GIL acquire latency", |d| &d.acquire_latency),
            ("GIL slice length", |d| &d.slice),
        ];
        let spacing = ui.spacing().item_spacing.x;
        let width = (ui.available_width() - 2.0 * spacing) / 3.0;
        let text_h = ui.text_style_height(&egui::TextStyle::Body);
        let min_height = 110.0 * theme.text_scale();
        let height =
            (ui.available_height() - text_h * (3 + 2 * dists.len()) as f32).max(min_height);
        ui.horizontal_top(|ui| {
            for (title, pick) in picks {
                ui.vertical(|ui| {
                    ui.set_width(width);
                    ui.label(format!("{title}: % of samples"));
                    let hists: Vec<&Histogram> = dists.iter().map(pick).collect();
                    histogram_plot(ui, theme, title, &hists, colors, [width, height]);
                    for (i, h) in hists.iter().enumerate() {
                        let prefix = if hists.len() > 1 {
                            ["A: ", "B: "][i.min(1)]
                        } else {
                            ""
                        };
                        ui.small(format!(
                            "{prefix}{} samples; {}",
                            count(h.total()),
                            percentile_text(h.summary)
                        ));
                    }
                });
            }
        });
        Vec::new()
    }
}

/// A short tick label with its unit: `10µs`, `500µs`, `5ms`.
fn tick_label(ms: f64) -> String {
    if ms < 1.0 {
        format!("{}µs", plain_number(ms * 1000.0))
    } else {
        format!("{}ms", plain_number(ms))
    }
}

/// One histogram plot, `size` = `[width, height]`: the runs' bars side by side in each bin,
/// their p50/p90/p99 as vertical lines in the run's line style.
fn histogram_plot(
    ui: &mut egui::Ui,
    theme: &Theme,
    title: &str,
    hists: &[&Histogram],
    colors: [egui::Color32; 2],
    [width, height]: [f32; 2],
) {
    let runs = hists.len().max(1) as f64;
    fixed_plot(format!("histogram-{title}"), theme)
        .width(width)
        .height(height)
        .x_axis_label("log scale")
        .x_grid_spacer(log_marks)
        .x_axis_formatter(|mark, _| tick_label(10f64.powf(mark.value)))
        .include_y(0.0)
        .show(ui, |p| {
            for (i, h) in hists.iter().enumerate() {
                let total = h.total().max(1) as f64;
                let color = colors[i.min(1)];
                let bars: Vec<Bar> = h
                    .counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(k, &c)| {
                        let (lo, hi) = (h.edges[k].log10(), h.edges[k + 1].log10());
                        let slot = (hi - lo) / runs;
                        let center = lo + slot * (i as f64 + 0.5);
                        Bar::new(center, c as f64 * 100.0 / total)
                            .width(slot * 0.9)
                            .fill(color.gamma_multiply(0.75))
                            .stroke(egui::Stroke::new(1.0, color))
                    })
                    .collect();
                p.bar_chart(BarChart::new(format!("{title} {i}"), bars).color(color));
                if let Some(s) = h.summary {
                    for (name, v) in [("p50", s.p50), ("p90", s.p90), ("p99", s.p99)] {
                        if v > 0.0 {
                            p.vline(
                                VLine::new(format!("{name} {i}"), v.log10())
                                    .color(color)
                                    .style(line_style(i))
                                    .width(1.0),
                            );
                        }
                    }
                }
            }
        });
}
