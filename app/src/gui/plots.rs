//! Over-time plots under the timeline, on its time axis and zoom: busy cores (bytecode and C
//! code), the GIL held or free, and each thread's cumulative bytecodes (who makes progress).
//! Each plot is downsampled to about one bucket per two pixels of the visible range.

use super::view::{Action, View, ViewCtx};
use crate::theme::Theme;
use crate::widgets::plot::fixed_plot;
use crate::widgets::run_style::line_style;
use crate::widgets::swatch::line_swatch;
use egui_plot::{Line, Plot};
use gilscope_sim::analysis::series::gil_held;
use gilscope_sim::analysis::{Buckets, BytecodeIndex, CoreUtilization};
use gilscope_sim::{Nanos, ThreadState, Trace};

/// The over-time plots, with a bytecode index per run (and the trace length it was built for)
/// so a growing run is indexed incrementally.
#[derive(Default)]
pub struct OverTimeView {
    indexes: Vec<(Nanos, BytecodeIndex)>,
}

impl OverTimeView {
    /// The index of run `i`, brought up to date with `trace` (rebuilt after a restart).
    fn index(&mut self, i: usize, trace: &Trace) -> &BytecodeIndex {
        if self.indexes.len() <= i {
            self.indexes.resize_with(i + 1, Default::default);
        }
        let (seen, index) = &mut self.indexes[i];
        if trace.now < *seen {
            *index = BytecodeIndex::new(trace);
        } else {
            index.update(trace);
        }
        *seen = trace.now;
        index
    }
}

/// ns → ms as plot x.
fn ms(points: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    points.into_iter().map(|[x, y]| [x / 1e6, y]).collect()
}

/// A plot of the over-time stack: fixed height, x driven by the timeline, no own zoom.
fn stacked_plot<'a>(id: &str, y_label: &str, height: f32, theme: &Theme) -> Plot<'a> {
    fixed_plot(id, theme)
        .height(height)
        .y_axis_label(y_label.to_owned())
        .y_axis_min_width(48.0)
        .link_axis(egui::Id::unique("over-time-x"), [true, false])
}

/// The legend row: state colours for the core plot, thread colours for progress, and the
/// line style of each run.
fn legend(ui: &mut egui::Ui, theme: &Theme, first: Option<&Trace>, many: bool) {
    ui.horizontal_wrapped(|ui| {
        line_swatch(ui, theme.state_color(ThreadState::Running), 0, None);
        ui.label("cores running bytecode");
        line_swatch(ui, theme.state_color(ThreadState::CCallReleased), 0, None);
        ui.label("cores busy (bytecode + C)");
        line_swatch(ui, theme.text, 0, None);
        ui.label("GIL held");
        if let Some(trace) = first {
            for (t, info) in trace.threads.iter().enumerate() {
                line_swatch(ui, theme.thread_color(t as u32), 0, None);
                ui.label(&info.name);
            }
        }
        if many {
            line_swatch(ui, theme.text_weak, 0, None);
            ui.label("run A");
            line_swatch(ui, theme.text_weak, 1, None);
            ui.label("run B");
        }
    });
}

impl View for OverTimeView {
    /// The three over-time plots for the runs shown, on the timeline's visible range.
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let runs = cx.runs;
        if runs.is_empty() {
            ui.weak("No run yet.");
            return Vec::new();
        }
        let view = cx.timeline;
        let from = view.start.max(0.0) as Nanos;
        let to = view.end.max(view.start + 1.0) as Nanos;
        let count = ((ui.available_width() / 2.0) as usize).clamp(10, 2000);
        let buckets = Buckets::new(from, to, count);
        let x_range = from as f64 / 1e6..=to as f64 / 1e6;
        let theme = cx.theme;
        legend(ui, theme, runs.first().map(|r| &r.trace), runs.len() > 1);
        let spacing = ui.spacing().item_spacing.y;
        let title = ui.text_style_height(&egui::TextStyle::Body);
        let height = ((ui.available_height() - 3.0 * (title + spacing)) / 3.0)
            .max(70.0 * theme.text_scale());
        let utilization: Vec<CoreUtilization> = runs
            .iter()
            .map(|r| CoreUtilization::of(&r.trace, buckets))
            .collect();
        let cores = runs.iter().map(|r| r.trace.cores.len()).max().unwrap_or(1);
        ui.label("Busy cores (time-weighted mean per column)");
        stacked_plot("over-time-cores", "cores", height, theme)
            .include_y(0.0)
            .include_y(cores as f64)
            .show(ui, |p| {
                p.set_plot_bounds_x(x_range.clone());
                for (i, u) in utilization.iter().enumerate() {
                    // The thicker total first, so bytecode shows on top where they agree.
                    p.line(
                        Line::new(format!("busy {i}"), ms(buckets.steps(&u.total())))
                            .color(theme.state_color(ThreadState::CCallReleased))
                            .style(line_style(i))
                            .width(3.0),
                    );
                    p.line(
                        Line::new(format!("bytecode {i}"), ms(buckets.steps(&u.bytecode)))
                            .color(theme.state_color(ThreadState::Running))
                            .style(line_style(i))
                            .width(1.5),
                    );
                }
            });
        let held: Vec<Vec<f64>> = runs.iter().map(|r| gil_held(&r.trace, buckets)).collect();
        ui.label("GIL held (fraction of each column)");
        stacked_plot("over-time-gil", "held", height, theme)
            .include_y(0.0)
            .include_y(1.0)
            .show(ui, |p| {
                p.set_plot_bounds_x(x_range.clone());
                for (i, values) in held.iter().enumerate() {
                    p.line(
                        Line::new(format!("gil {i}"), ms(buckets.steps(values)))
                            .color(theme.text)
                            .style(line_style(i))
                            .width(1.5),
                    );
                }
            });
        let mut progress = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            let index = self.index(i, &run.trace);
            progress.push(index.cumulative(&run.trace, buckets));
        }
        ui.label("Bytecodes executed so far, per thread (millions)");
        stacked_plot("over-time-progress", "M bytecodes", height, theme)
            .include_y(0.0)
            .x_axis_label("time (ms), as on the timeline")
            .show(ui, |p| {
                p.set_plot_bounds_x(x_range.clone());
                for (i, per_thread) in progress.iter().enumerate() {
                    for (t, values) in per_thread.iter().enumerate() {
                        let millions: Vec<f64> = values.iter().map(|v| v / 1e6).collect();
                        p.line(
                            Line::new(format!("thread {i} {t}"), ms(buckets.points(&millions)))
                                .color(theme.thread_color(t as u32))
                                .style(line_style(i))
                                .width(1.5),
                        );
                    }
                }
            });
        Vec::new()
    }
}
