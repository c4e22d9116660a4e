//! Distributions of the runs shown: I/O latency, GIL acquire latency and slice length, as
//! histograms over log-spaced bins with p50/p90/p99 marked; two runs (compare mode) share bins
//! and are drawn side by side in each bin.

use super::app::GilscopeApp;
use crate::sweep_chart::{log_marks, plain_number, swatch};
use egui_plot::{Bar, BarChart, LineStyle, Plot, VLine};
use gilscope_sim::Nanos;
use gilscope_sim::analysis::{Distributions, Histogram};
use gilscope_sim::stats::{Summary, format_ms};

/// Picks one of the three histograms of a run.
type Pick = fn(&Distributions) -> &Histogram;

/// Seconds between recomputations while a run is still growing.
const REFRESH_S: f64 = 0.5;

/// The distributions last computed, and for which traces.
#[derive(Default)]
pub struct HistogramCache {
    key: Vec<(Nanos, bool)>,
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

impl GilscopeApp {
    fn refresh_histograms(&mut self, time: f64) {
        let key: Vec<(Nanos, bool)> = self
            .runs
            .iter()
            .map(|r| (r.trace.now, r.trace.finished))
            .collect();
        let cache = &mut self.analysis.histograms;
        let finished = key.iter().all(|k| k.1);
        if cache.key == key || (!finished && time - cache.at < REFRESH_S && !cache.dists.is_empty())
        {
            return;
        }
        cache.dists = match self.runs.as_slice() {
            [a, b] => {
                let (da, db) = Distributions::pair(&a.trace, &b.trace);
                vec![da, db]
            }
            runs => runs.iter().map(|r| Distributions::of(&r.trace)).collect(),
        };
        cache.key = key;
        cache.at = time;
    }

    /// The three histograms side by side.
    pub(super) fn histograms(&mut self, ui: &mut egui::Ui) {
        let time = ui.input(|i| i.time);
        self.refresh_histograms(time);
        let dists = &self.analysis.histograms.dists;
        if dists.is_empty() {
            ui.weak("No run yet.");
            return;
        }
        let theme = &self.theme;
        let colors = [theme.thread_color_index(0), theme.thread_color_index(1)];
        if dists.len() > 1 {
            ui.horizontal(|ui| {
                swatch(ui, colors[0], 0, None);
                ui.label("run A (solid percentile lines)");
                swatch(ui, colors[1], 1, None);
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
                    histogram_plot(ui, title, &hists, colors, width, height, theme.grid);
                    for (i, h) in hists.iter().enumerate() {
                        let prefix = if hists.len() > 1 {
                            ["A: ", "B: "][i.min(1)]
                        } else {
                            ""
                        };
                        ui.small(format!(
                            "{prefix}{} samples; {}",
                            h.total(),
                            percentile_text(h.summary)
                        ));
                    }
                });
            }
        });
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

fn histogram_plot(
    ui: &mut egui::Ui,
    title: &str,
    hists: &[&Histogram],
    colors: [egui::Color32; 2],
    width: f32,
    height: f32,
    grid: egui::Color32,
) {
    let runs = hists.len().max(1) as f64;
    Plot::new(format!("histogram-{title}"))
        .width(width)
        .height(height)
        .x_axis_label("log scale")
        .x_grid_spacer(log_marks)
        .x_axis_formatter(|mark, _| tick_label(10f64.powf(mark.value)))
        .include_y(0.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .show_x(false)
        .grid_color(grid)
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
                    let line_style = if i == 0 {
                        LineStyle::Solid
                    } else {
                        LineStyle::dashed_loose()
                    };
                    for (name, v) in [("p50", s.p50), ("p90", s.p90), ("p99", s.p99)] {
                        if v > 0.0 {
                            p.vline(
                                VLine::new(format!("{name} {i}"), v.log10())
                                    .color(color)
                                    .style(line_style)
                                    .width(1.0),
                            );
                        }
                    }
                }
            }
        });
}
