//! Ground truth against what sampling monitors would report from the same run: a
//! gil_load-style sampler ("is the GIL held?") and a py-spy-style `--gil` sampler (who holds
//! it), with the sample rate, seed and timing as settings, and the error of each.

use super::view::{Action, View, ViewCtx};
use crate::format::{count, percent, points};
use gilscope_sim::Nanos;
use gilscope_sim::analysis::samplers::{PySpyReport, SamplerError, gil_load, py_spy};
use gilscope_sim::analysis::{GilLoadReport, SamplerSettings, Timing};

/// What the samplers found for one run.
type Readings = Result<(GilLoadReport, PySpyReport), SamplerError>;

/// The samplers' settings and their last results.
#[derive(Default)]
pub struct SamplersView {
    /// Rate, seed and timing.
    pub settings: SamplerSettings,
    /// The readings of each run, and the trace lengths and settings they were taken for.
    cached: Option<(Vec<Nanos>, SamplerSettings, Vec<Readings>)>,
}

impl View for SamplersView {
    /// The samplers' settings and, for each run, the estimates beside the truth.
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("sample rate");
            ui.add(
                egui::Slider::new(&mut self.settings.rate_hz, 1.0..=1_000_000.0)
                    .logarithmic(true)
                    .suffix(" Hz"),
            )
            .labelled_by(label.id);
            let label = ui.label("seed");
            ui.add(egui::DragValue::new(&mut self.settings.seed))
                .labelled_by(label.id);
            ui.selectable_value(&mut self.settings.timing, Timing::Random, "random instants");
            ui.selectable_value(&mut self.settings.timing, Timing::Periodic, "periodic");
        });
        let key: Vec<Nanos> = cx.runs.iter().map(|r| r.trace.now).collect();
        let stale = self
            .cached
            .as_ref()
            .is_none_or(|(k, s, _)| *k != key || *s != self.settings);
        if stale {
            let settings = self.settings;
            let readings = cx
                .runs
                .iter()
                .map(|r| Ok((gil_load(&r.trace, &settings)?, py_spy(&r.trace, &settings)?)))
                .collect();
            self.cached = Some((key, settings, readings));
        }
        let Some((_, _, readings)) = self.cached.as_ref() else {
            return Vec::new();
        };
        egui::ScrollArea::vertical()
            .id_salt("samplers")
            .show(ui, |ui| {
                for (i, (run, reading)) in cx.runs.iter().zip(readings).enumerate() {
                    if cx.runs.len() > 1 {
                        ui.strong(&run.title);
                    }
                    match reading {
                        Err(e) => {
                            ui.colored_label(ui.visuals().error_fg_color, e.to_string());
                        }
                        Ok((load, spy)) => sampler_tables(ui, i, load, spy),
                    }
                    ui.add_space(6.0);
                }
                ui.weak(
                    "gil_load-style: samples \"is the GIL held?\"; its error is sampling noise, \
                     and aliasing when periodic samples beat with the switch interval. \
                     py-spy-style --gil: reads the interpreter's last GIL holder, which still \
                     names a thread after it released the GIL for C code (NumPy, hashlib), and \
                     drops threads the OS shows as blocked; so it credits a thread with the GIL \
                     while nobody, or somebody else, holds it.",
                );
            });
        Vec::new()
    }
}

fn sampler_tables(ui: &mut egui::Ui, run: usize, load: &GilLoadReport, spy: &PySpyReport) {
    ui.label(format!(
        "gil_load-style: GIL held in {} of {} samples = {}; truth {}; error {}",
        count(load.held_samples as u64),
        count(load.samples as u64),
        percent(load.estimate),
        percent(load.truth),
        points(load.error)
    ));
    ui.label(format!(
        "py-spy-style --gil: {} of {} samples name the wrong holder ({})",
        count(spy.misread as u64),
        count(spy.samples as u64),
        percent(spy.misread_fraction())
    ));
    egui::Grid::new(("py-spy", run))
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            ui.strong("thread");
            ui.strong("tool: on the GIL");
            ui.strong("truth: holds the GIL");
            ui.strong("error");
            ui.end_row();
            for t in &spy.threads {
                ui.label(&t.name);
                ui.label(percent(t.estimate));
                ui.label(percent(t.truth));
                ui.label(points(t.error));
                ui.end_row();
            }
        });
}
