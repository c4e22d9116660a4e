//! The window driven headless as a user would (`egui_kittest`, UI-tree queries, no GL): pick
//! presets, play, run to the end, and check what is shown.

#![allow(clippy::unwrap_used, reason = "tests")]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gilscope::gui::stats_panel::stats_rows;
use gilscope::gui::{CompareWith, GilscopeApp, ScenarioSource, Settings, Speed};
use gilscope_sim::presets::{self, PRESETS};
use gilscope_sim::{Overrides, PythonVersion, Stats};
use std::time::{Duration, Instant};

mod ui_support;
use ui_support::{fastest as app, harness, run_to_end};

/// The stats `gilscope run --json` would print for this preset and these overrides.
fn expected_stats(stem: &str, overrides: &Overrides) -> Stats {
    let scenario = presets::preset(stem).unwrap().unwrap();
    let config = scenario.config(overrides).unwrap();
    gilscope_sim::run_scenario(&scenario, &config, &gilscope_sim::RunOptions::default())
        .unwrap()
        .stats
}

fn assert_stats_shown(h: &Harness<'_, GilscopeApp>, expected: &Stats) {
    for (name, value) in stats_rows(expected) {
        assert!(
            h.query_by_label(&name).is_some(),
            "row {name:?} is not shown"
        );
        assert!(
            h.query_all_by_label(&value).next().is_some(),
            "{name} = {value:?} is not shown"
        );
    }
}

#[test]
fn every_preset_picked_and_played_shows_the_engines_stats() {
    let mut h = harness(app("convoy"));
    h.step();
    for (stem, _) in PRESETS {
        let name = presets::preset(stem).unwrap().unwrap().name;
        h.get_by_role_and_label(Role::ComboBox, "Preset").click();
        h.run_steps(2);
        h.get_by_label(&name).click();
        h.run_steps(2);
        assert_eq!(
            h.state().settings.scenario,
            ScenarioSource::Preset(stem.to_owned()),
            "{stem}"
        );
        run_to_end(&mut h);
        let expected = expected_stats(stem, &Overrides::default());
        let run = &h.state().runs()[0];
        assert!(run.error.is_none(), "{stem}: {:?}", run.error);
        assert_eq!(run.stats.as_ref(), Some(&expected), "{stem}");
        assert_stats_shown(&h, &expected);
        let narration = h.state().narration_text().unwrap();
        assert!(
            !narration.contains('{'),
            "{stem}: unfilled narration {narration}"
        );
        let shown = narration.replace('`', "");
        assert!(
            h.query_by_label(&shown).is_some(),
            "{stem}: narration not shown"
        );
    }
}

#[test]
fn changed_settings_restart_the_run_with_them() {
    let mut h = harness(app("convoy"));
    run_to_end(&mut h);
    h.state_mut().settings.overrides.switch_interval = Some(500_000);
    h.step();
    run_to_end(&mut h);
    let overrides = Overrides {
        switch_interval: Some(500_000),
        ..Overrides::default()
    };
    let expected = expected_stats("convoy", &overrides);
    assert_eq!(h.state().runs()[0].stats.as_ref(), Some(&expected));
    assert_stats_shown(&h, &expected);
}

#[test]
fn compare_view_shows_two_timelines_and_the_speedup() {
    let mut settings = Settings {
        scenario: ScenarioSource::Preset("free-threaded-scaling".to_owned()),
        speed: Speed::Fastest,
        ..Settings::default()
    };
    settings.compare = true;
    settings.compare_with = CompareWith::Build;
    let mut h = harness(GilscopeApp::new(settings));
    run_to_end(&mut h);
    let runs = h.state().runs();
    assert_eq!(runs.len(), 2, "two runs on one axis");
    assert!(runs[0].title.starts_with("A · ") && runs[1].title.starts_with("B · "));
    assert_ne!(
        runs[0].config.gil_enabled(),
        runs[1].config.gil_enabled(),
        "B flips the GIL"
    );
    let headline = h.state().compare_headline().unwrap();
    assert!(headline.contains("faster than"), "{headline}");
    let lower = headline.to_lowercase();
    assert!(
        lower.contains("free-threaded") && lower.contains("with the gil"),
        "{headline}"
    );
    h.get_by_label(&headline);
    h.get_by_label("A");
    h.get_by_label("B");
}

#[test]
fn compare_key_toggles_a_second_run_with_another_interval() {
    let mut h = harness(app("convoy"));
    h.state_mut().settings.compare_with = CompareWith::SwitchInterval(100_000);
    h.step();
    h.key_press(egui::Key::C);
    run_to_end(&mut h);
    assert_eq!(h.state().runs().len(), 2);
    assert_eq!(h.state().runs()[1].config.switch_interval(), 100_000);
    let headline = h.state().compare_headline().unwrap();
    assert!(headline.contains("100 µs switch interval"), "{headline}");
    h.key_press(egui::Key::C);
    h.run_steps(2);
    assert_eq!(h.state().runs().len(), 1);
}

#[test]
fn presentation_mode_changes_the_text_size() {
    let mut h = harness(app("convoy"));
    h.run_steps(2);
    let body = |h: &Harness<'_, GilscopeApp>| {
        h.ctx.style_of(h.ctx.theme()).text_styles[&egui::TextStyle::Body].size
    };
    let normal = body(&h);
    h.key_press(egui::Key::P);
    h.run_steps(2);
    assert!(h.state().settings.presentation);
    let big = body(&h);
    assert!(big > 1.5 * normal, "presentation text {big} vs {normal}");
    h.get_by_label("Presentation").click();
    h.run_steps(2);
    assert!((body(&h) - normal).abs() < 0.01);
}

#[test]
fn help_overlay_lists_the_shortcuts_and_escape_closes_it() {
    let mut h = harness(app("convoy"));
    h.run_steps(2);
    assert!(h.query_by_label("Keyboard shortcuts").is_none());
    h.key_press(egui::Key::H);
    h.run_steps(2);
    h.get_by_label("Keyboard shortcuts");
    for (keys, action) in gilscope::gui::SHORTCUTS {
        h.get_by_label(keys);
        h.get_by_label(action);
    }
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label("Keyboard shortcuts").is_none());
}

#[test]
fn space_pauses_and_steps_advance_one_event() {
    let mut h = harness(GilscopeApp::new(Settings {
        scenario: ScenarioSource::Preset("cpu-bound".to_owned()),
        speed: Speed::Paced(Speed::SLOWEST),
        ..Settings::default()
    }));
    h.run_steps(2);
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    h.get_by_label("Play");
    let now = |h: &Harness<'_, GilscopeApp>| h.state().runs()[0].trace.now;
    let before = now(&h);
    // Several events can share one instant: step until virtual time moves.
    let deadline = Instant::now() + Duration::from_mins(1);
    while now(&h) == before && Instant::now() < deadline {
        h.key_press(egui::Key::ArrowRight);
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(2));
            h.step();
        }
    }
    assert!(now(&h) > before, "steps advanced the run");
    assert!(!h.state().runs()[0].trace.finished);
    let paused_at = now(&h);
    h.run_steps(10);
    assert_eq!(now(&h), paused_at, "stepping leaves the run paused");
    assert!(!h.state().is_finished());
}

#[test]
fn zooming_the_timeline_changes_the_apps_view_and_it_stays() {
    let mut h = harness(app("convoy"));
    run_to_end(&mut h);
    let fitted = h.state().timeline_view().clone();
    assert!(fitted.follow_live);
    h.key_down(egui::Key::W);
    h.run_steps(5);
    h.key_up(egui::Key::W);
    h.run_steps(3);
    let zoomed = h.state().timeline_view().clone();
    assert!(zoomed.width() < fitted.width(), "{zoomed:?} vs {fitted:?}");
    assert!(!zoomed.follow_live, "a manual zoom stops following the run");
    h.run_steps(5);
    assert_eq!(h.state().timeline_view(), &zoomed, "the zoom is kept");
    h.key_press(egui::Key::F);
    h.run_steps(2);
    assert!(h.state().timeline_view().width() > zoomed.width());
}

#[test]
fn theme_key_switches_to_light() {
    let mut h = harness(app("convoy"));
    h.run_steps(2);
    assert_eq!(h.ctx.theme(), egui::Theme::Dark);
    h.key_press(egui::Key::T);
    h.run_steps(2);
    assert_eq!(h.ctx.theme(), egui::Theme::Light);
}

#[test]
fn invalid_combination_is_explained_inline() {
    let mut settings = Settings {
        speed: Speed::Fastest,
        ..Settings::default()
    };
    settings.overrides.python = Some(PythonVersion::new(3, 12));
    settings.overrides.free_threaded = Some(true);
    let mut h = harness(GilscopeApp::new(settings));
    h.run_steps(3);
    assert!(h.state().runs().is_empty());
    let shown = h.query_all_by_label_contains("3.13").count();
    assert!(
        shown >= 1,
        "the error names the first free-threaded version"
    );
    h.get_by_label_contains("Cannot run with these settings");
}

fn open_file(h: &mut Harness<'_, GilscopeApp>, path: &std::path::Path) {
    h.get_by_role_and_label(Role::TextInput, "Open file…")
        .click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Open file…")
        .type_text(&path.display().to_string());
    h.run_steps(1);
    h.get_by_label("Open").click();
    h.run_steps(3);
}

#[test]
fn a_malformed_scenario_file_shows_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("gilscope-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.toml");
    std::fs::write(
        &path,
        "name = \"broken\"\n\n[[threads]]\nname = \"t\"\nops = [ { compute = \"lots\" } ]\n",
    )
    .unwrap();
    let mut h = harness(app("convoy"));
    run_to_end(&mut h);
    open_file(&mut h, &path);
    let expected = presets::load(&path.display().to_string())
        .unwrap_err()
        .to_string();
    assert!(expected.contains("broken.toml:5:"), "{expected}");
    assert!(
        h.query_all_by_label_contains(&expected).next().is_some(),
        "error not shown"
    );
    // The app keeps working: the previous scenario is still shown and runs.
    assert_eq!(
        h.state().settings.scenario,
        ScenarioSource::Preset("convoy".to_owned())
    );
    h.key_press(egui::Key::R);
    run_to_end(&mut h);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_deadlocking_scenario_shows_the_error_and_the_app_recovers() {
    let dir = std::env::temp_dir().join(format!("gilscope-ui-dl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("deadlock.toml");
    std::fs::write(
        &path,
        r#"name = "deadlock"
[[threads]]
name = "left"
ops = [ { lock = "a" }, { sleep = "1ms" }, { lock = "b" }, { unlock = "b" }, { unlock = "a" } ]
[[threads]]
name = "right"
ops = [ { lock = "b" }, { sleep = "1ms" }, { lock = "a" }, { unlock = "a" }, { unlock = "b" } ]
"#,
    )
    .unwrap();
    let mut h = harness(app("convoy"));
    h.step();
    open_file(&mut h, &path);
    assert!(matches!(
        h.state().settings.scenario,
        ScenarioSource::File(_)
    ));
    run_to_end(&mut h);
    let error = h.state().runs()[0].error.clone().unwrap();
    assert!(error.contains("deadlock"), "{error}");
    h.get_by_label_contains("stopped: deadlock");
    h.state_mut().choose_preset("cpu-bound");
    h.step();
    run_to_end(&mut h);
    assert!(h.state().runs()[0].error.is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// eframe's storage, in memory.
#[derive(Default)]
struct MemoryStorage(std::collections::BTreeMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn settings_persist_between_launches() {
    use eframe::App as _;
    let mut h = harness(app("io-bound"));
    h.run_steps(2);
    h.key_press(egui::Key::T);
    h.key_press(egui::Key::P);
    h.run_steps(2);
    h.state_mut().settings.overrides.switch_interval = Some(250_000);
    let mut storage = MemoryStorage::default();
    h.state_mut().save(&mut storage);
    let again = GilscopeApp::from_storage(Some(&storage));
    assert_eq!(again.settings, h.state().settings);
    assert_eq!(again.settings.theme, gilscope::theme::ThemeMode::Light);
    assert!(again.settings.presentation);
    assert_eq!(
        GilscopeApp::from_storage(None).settings,
        Settings::default()
    );
}

#[test]
fn screenshot_requests_with_bad_settings_fail_before_any_window_opens() {
    use gilscope::gui::{GuiError, ScreenshotRequest};
    let mut req = ScreenshotRequest::new("no-such-preset", "/tmp/never.png");
    assert!(matches!(
        gilscope::gui::capture(&req),
        Err(GuiError::Scenario(_))
    ));
    req.scenario = "convoy".to_owned();
    req.overrides.python = Some(PythonVersion::new(3, 12));
    req.overrides.free_threaded = Some(true);
    let error = gilscope::gui::capture(&req).unwrap_err().to_string();
    assert!(error.contains("3.13"), "{error}");
    req.overrides = Overrides::default();
    req.size = [10, 10];
    assert!(matches!(
        gilscope::gui::capture(&req),
        Err(GuiError::Size { .. })
    ));
}

#[test]
fn the_engine_switch_runs_real_threads_and_reports_them() {
    let mut h = harness(app("c-holding"));
    h.step();
    h.get_by_role_and_label(Role::ComboBox, "Engine").click();
    h.run_steps(2);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let label = format!(
        "Real threads on this machine ({cores} core{})",
        if cores == 1 { "" } else { "s" }
    );
    h.get_by_label(&label).click();
    h.run_steps(2);
    assert!(h.state().settings.live);
    run_to_end(&mut h);
    let run = &h.state().runs()[0];
    assert!(run.title.contains("real threads"), "{}", run.title);
    assert!(run.error.is_none(), "{:?}", run.error);
    let stats = run.stats.as_ref().expect("the live run's stats");
    assert_eq!(stats.engine, gilscope_sim::EngineKind::Live);
    // The ticker's 120 sleeps and the two 50 ms GIL-holding C calls really happened.
    assert!(stats.wall_ms > 100.0, "{}", stats.wall_ms);
    assert!(
        stats.threads.iter().any(|t| t.io_ops == 120),
        "{:?}",
        stats.threads.iter().map(|t| t.io_ops).collect::<Vec<_>>()
    );
    // Asking real threads for asyncio is refused in words, not a panic.
    h.state_mut().settings.overrides.runtime = Some(gilscope_sim::Runtime::Asyncio);
    run_to_end(&mut h);
    let error = h.state().runs()[0].error.clone().unwrap_or_default();
    assert!(error.contains("asyncio"), "{error}");
}
