//! The switch-interval sweep chart as a PNG: the very chart the app shows
//! ([`crate::widgets::sweep_chart`]) with a title line, drawn by the [`super::cpu`] renderer.
//! The sweep view's PNG export and `gilscope sweep --plot FILE.png` both write it, the latter
//! on a CI machine with no display.

use super::cpu::{PngError, render, save_png};
use crate::theme::Theme;
use crate::widgets::sweep_chart::{SweepChart, SweepSeries};
use gilscope_sim::analysis::sweep_verdict;
use gilscope_sim::{Overrides, Scenario, Stats};
use std::path::Path;

/// Renders the sweep chart with a title line to a PNG of `width`×`height` pixels.
pub fn write_sweep_png(
    path: &Path,
    size: (u32, u32),
    theme: &Theme,
    title: &str,
    series: &[SweepSeries],
    current_us: Option<u64>,
    verdict: Option<String>,
) -> Result<(), PngError> {
    let (width, height) = size;
    let chart = SweepChart {
        theme,
        current_us,
        verdict,
        id: "png",
        interactive: false,
    };
    let bytes = render(width, height, 1.5, theme, 3, |ui| {
        ui.heading(title);
        chart.show(ui, series);
    })?;
    save_png(path, width, height, &bytes)
}

/// The size of the `gilscope sweep --plot` PNG, in pixels.
pub const CLI_PNG_SIZE: (u32, u32) = (1500, 960);

/// What `gilscope sweep --plot` draws: the chart of `rows` (one scenario), titled with the
/// scenario and its model, the scenario's own interval (under `base`) as the current setting,
/// and the verdict.
pub fn write_cli_sweep(
    path: &Path,
    scenario: &Scenario,
    base: &Overrides,
    rows: &[Stats],
) -> Result<(), PngError> {
    let current_us = scenario
        .config(&Overrides {
            switch_interval: None,
            ..base.clone()
        })
        .ok()
        .map(|c| c.switch_interval_us);
    let label = rows.first().map_or_else(String::new, model_label);
    let series = [SweepSeries::new(label.clone(), rows.to_vec())];
    let title = format!(
        "{}: {} switch intervals ({})",
        scenario.name,
        series[0].rows.len(),
        label
    );
    let verdict = current_us.and_then(|us| sweep_verdict(rows, us));
    write_sweep_png(
        path,
        CLI_PNG_SIZE,
        &Theme::default(),
        &title,
        &series,
        current_us,
        verdict,
    )
}

/// "Python 3.13, GIL" / "Python 3.14t, free-threaded": the model of a sweep row.
pub fn model_label(row: &Stats) -> String {
    if row.gil_enabled {
        format!("Python {}, GIL", row.python)
    } else {
        format!("Python {}, no GIL", row.python)
    }
}
