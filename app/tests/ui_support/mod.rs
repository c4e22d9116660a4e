//! What the UI tests share: the settings of a preset, a headless window on an app, and
//! stepping its frames until something holds (with a deadline generous for a loaded machine).

#![allow(dead_code, reason = "each test file uses some of these")]

use egui_kittest::Harness;
use gilscope::gui::{GilscopeApp, ScenarioSource, Settings, Speed};
use std::time::{Duration, Instant};

/// The settings of preset `stem` played at `speed`, the rest at their defaults.
pub fn preset(stem: &str, speed: Speed) -> Settings {
    Settings {
        scenario: ScenarioSource::Preset(stem.to_owned()),
        speed,
        ..Settings::default()
    }
}

/// An app on preset `stem` that runs as fast as possible.
pub fn fastest(stem: &str) -> GilscopeApp {
    GilscopeApp::new(preset(stem, Speed::Fastest))
}

/// A headless window of `size` points on `app`.
pub fn harness_sized(app: GilscopeApp, size: egui::Vec2) -> Harness<'static, GilscopeApp> {
    Harness::builder()
        .with_size(size)
        .build_ui_state(|ui, app: &mut GilscopeApp| app.ui_contents(ui), app)
}

/// A headless window of 1280×800 on `app`.
pub fn harness(app: GilscopeApp) -> Harness<'static, GilscopeApp> {
    harness_sized(app, egui::vec2(1280.0, 800.0))
}

/// Steps frames until `done` (three minutes at most), then a few more.
pub fn wait(h: &mut Harness<'_, GilscopeApp>, done: impl Fn(&GilscopeApp) -> bool) {
    let deadline = Instant::now() + Duration::from_mins(3);
    h.step();
    while !done(h.state()) {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(2));
        h.step();
    }
    h.run_steps(3);
}

/// Steps frames until every run has ended.
pub fn run_to_end(h: &mut Harness<'_, GilscopeApp>) {
    wait(h, GilscopeApp::is_finished);
}
