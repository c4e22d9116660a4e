//! Ground truth against what sampling monitors would report from the same run: a
//! gil_load-style sampler ("is the GIL held?") and a py-spy-style `--gil` sampler (who holds
//! it), with the sample rate, seed and timing as settings, and the error of each.

use super::app::GilscopeApp;
use gilscope_sim::Nanos;
use gilscope_sim::analysis::samplers::{PySpyReport, gil_load, py_spy};
use gilscope_sim::analysis::{GilLoadReport, SamplerSettings, Timing};

/// What the samplers found for one run.
type Readings = Result<(GilLoadReport, PySpyReport), String>;

/// The samplers' settings and their last results.
#[derive(Default)]
pub struct SamplerPanel {
    /// Rate, seed and timing.
    pub settings: SamplerSettings,
    cached: Option<(Vec<Nanos>, SamplerSettings, Vec<Readings>)>,
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// A signed difference in percentage points; one that rounds to zero reads "0.0 points".
fn points(v: f64) -> String {
    let p = v * 100.0;
    if p.abs() < 0.05 {
        "0.0 points".to_owned()
    } else {
        format!("{p:+.1} points")
    }
}

impl GilscopeApp {
    /// The samplers' settings and, for each run, the estimates beside the truth.
    pub(super) fn samplers_panel(&mut self, ui: &mut egui::Ui) {
        let panel = &mut self.analysis.samplers;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("sample rate");
            ui.add(
                egui::Slider::new(&mut panel.settings.rate_hz, 1.0..=1_000_000.0)
                    .logarithmic(true)
                    .suffix(" Hz"),
            )
            .labelled_by(label.id);
            let label = ui.label("seed");
            ui.add(egui::DragValue::new(&mut panel.settings.seed))
                .labelled_by(label.id);
            ui.selectable_value(
                &mut panel.settings.timing,
                Timing::Random,
                "random instants",
            );
            ui.selectable_value(&mut panel.settings.timing, Timing::Periodic, "periodic");
        });
        let key: Vec<Nanos> = self.runs.iter().map(|r| r.trace.now).collect();
        let stale = panel
            .cached
            .as_ref()
            .is_none_or(|(k, s, _)| *k != key || *s != panel.settings);
        if stale {
            let settings = panel.settings;
            let readings = self
                .runs
                .iter()
                .map(|r| {
                    let load = gil_load(&r.trace, &settings).map_err(|e| e.to_string())?;
                    let spy = py_spy(&r.trace, &settings).map_err(|e| e.to_string())?;
                    Ok((load, spy))
                })
                .collect();
            panel.cached = Some((key, settings, readings));
        }
        let Some((_, _, readings)) = &self.analysis.samplers.cached else {
            return;
        };
        egui::ScrollArea::vertical()
            .id_salt("samplers")
            .show(ui, |ui| {
                for (i, (run, reading)) in self.runs.iter().zip(readings).enumerate() {
                    if self.runs.len() > 1 {
                        ui.strong(&run.title);
                    }
                    match reading {
                        Err(e) => {
                            ui.colored_label(ui.visuals().error_fg_color, e);
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
    }
}

fn sampler_tables(ui: &mut egui::Ui, run: usize, load: &GilLoadReport, spy: &PySpyReport) {
    ui.label(format!(
        "gil_load-style: GIL held in {} of {} samples = {}; truth {}; error {}",
        load.held_samples,
        load.samples,
        percent(load.estimate),
        percent(load.truth),
        points(load.error)
    ));
    ui.label(format!(
        "py-spy-style --gil: {} of {} samples name the wrong holder ({})",
        spy.misread,
        spy.samples,
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
