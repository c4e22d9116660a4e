//! The analysis views driven headless (`egui_kittest`, UI-tree queries, no GL): a sweep run
//! from the UI plots the same numbers as `gilscope sweep --json`, cancel stops its workers,
//! and the tabs under the timeline show their plots and tables.

#![allow(clippy::unwrap_used, reason = "tests")]

use clap::Parser;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gilscope::cli::{Cli, execute};
use gilscope::gui::GilscopeApp;
use gilscope::widgets::sweep_chart::Quantity;
use gilscope_sim::time::SEC;
use std::time::{Duration, Instant};

mod ui_support;

fn harness(scenario: &str) -> Harness<'static, GilscopeApp> {
    ui_support::harness(ui_support::fastest(scenario))
}

/// Steps frames until the sweep ends (generous deadline for a loaded 2-core machine).
fn sweep_to_end(h: &mut Harness<'_, GilscopeApp>) {
    let deadline = Instant::now() + Duration::from_mins(3);
    h.step();
    while h.state().views.sweep.is_running() {
        assert!(Instant::now() < deadline, "the sweep did not end");
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run_steps(2);
}

#[test]
fn a_sweep_run_from_the_ui_plots_what_the_cli_prints() {
    let mut h = harness("convoy");
    h.get_by_label("Switch-interval sweep").click();
    h.run_steps(2);
    h.state_mut().views.sweep.points = 5;
    h.get_by_label("Run sweep").click();
    sweep_to_end(&mut h);
    let cli = Cli::try_parse_from([
        "gilscope", "sweep", "convoy", "--from", "0.1ms", "--to", "100ms", "--points", "5",
        "--json",
    ])
    .unwrap();
    let mut out = Vec::new();
    execute(cli.command.as_ref().unwrap(), &mut out).unwrap();
    let view = &h.state().views.sweep;
    assert!(view.errors.is_empty(), "{:?}", view.errors);
    assert_eq!(view.series.len(), 1);
    let series = &view.series[0];
    // Byte for byte the document `gilscope sweep --json` prints (parsing floats back could
    // move their last digit).
    let shown = serde_json::to_string_pretty(&series.rows).unwrap() + "\n";
    assert_eq!(shown, String::from_utf8(out.clone()).unwrap());
    let printed: serde_json::Value = serde_json::from_slice(&out).unwrap();
    // The plotted points are those rows' numbers, one per interval.
    let rows = printed.as_array().unwrap();
    let throughput = Quantity::MBytecodesPerS.points(series);
    assert_eq!(throughput.len(), rows.len());
    for (point, row) in throughput.iter().zip(rows) {
        let us = row["switch_interval_us"].as_f64().unwrap();
        assert!((10f64.powf(point[0]) - us / 1000.0).abs() < 1e-9);
        let expected = row["bytecodes_per_s"].as_f64().unwrap() / 1e6;
        assert!((point[1] - expected).abs() < 1e-6 * expected);
    }
    assert_eq!(Quantity::IoLatencyP99.points(series).len(), rows.len());
    // The verdict is shown under the chart.
    h.get_by_label_contains("your I/O thread waits");
    // Picking a point opens that run's timeline: its interval becomes the setting.
    h.state_mut().open_sweep_point(0, 1);
    h.run_steps(2);
    let interval = rows[1]["switch_interval_us"].as_u64().unwrap() * 1000;
    assert_eq!(h.state().settings.overrides.switch_interval, Some(interval));
    assert!(!h.state().views.show_sweep);
    assert_eq!(h.state().runs()[0].config.switch_interval(), interval);
}

#[test]
fn cancel_stops_the_sweep_workers() {
    let mut h = harness("cpu-bound");
    h.get_by_label("Switch-interval sweep").click();
    h.run_steps(2);
    {
        // Long enough that the sweep cannot finish before the click: 60 points of 100 s of
        // virtual time at intervals down to 10 µs.
        let app = h.state_mut();
        app.settings.overrides.duration = Some(100 * SEC);
        app.views.sweep.from_ms = 0.01;
        app.views.sweep.points = 60;
    }
    h.get_by_label("Run sweep").click();
    h.run_steps(2);
    assert!(h.state().views.sweep.is_running());
    h.get_by_label("Cancel sweep").click();
    sweep_to_end(&mut h);
    let view = &h.state().views.sweep;
    assert!(
        view.errors
            .iter()
            .any(|e| e.to_string().starts_with("cancelled:")),
        "{:?}",
        view.errors
    );
    assert!(view.series[0].rows.len() < 60);
    h.get_by_label("Run sweep");
}

#[test]
fn the_tabs_under_the_timeline_show_plots_and_sampler_tables() {
    let mut h = harness("c-release");
    let deadline = Instant::now() + Duration::from_mins(3);
    while !h.state().is_finished() {
        assert!(Instant::now() < deadline, "the run did not finish");
        std::thread::sleep(Duration::from_millis(2));
        h.step();
    }
    h.get_by_label("Over time").click();
    h.run_steps(2);
    h.get_by_label("Busy cores (time-weighted mean per column)");
    h.get_by_label("Distributions").click();
    h.run_steps(2);
    h.get_by_label("GIL acquire latency: % of samples");
    h.get_by_label("Samplers").click();
    h.run_steps(2);
    h.get_by_label_contains("gil_load-style: GIL held in");
    h.get_by_label("tool: on the GIL");
}
