//! The settings panel offers only what exists: controls that do not apply to the run are
//! disabled with the reason on hover, errors are shown once (`egui_kittest`, UI-tree queries).

#![allow(clippy::unwrap_used, reason = "tests")]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use gilscope::gui::{CompareWith, GilscopeApp, Settings, Speed};
use gilscope_sim::{PythonVersion, Runtime};

mod ui_support;

fn harness(stem: &str, change: impl FnOnce(&mut Settings)) -> Harness<'static, GilscopeApp> {
    let mut settings = ui_support::preset(stem, Speed::Fastest);
    change(&mut settings);
    let mut h = ui_support::harness_sized(GilscopeApp::new(settings), egui::vec2(1280.0, 900.0));
    h.run_steps(3);
    h
}

fn disabled(h: &Harness<'_, GilscopeApp>, role: Role, label: &str) -> bool {
    h.get_by_role_and_label(role, label)
        .accesskit_node()
        .is_disabled()
}

#[test]
fn the_free_threaded_box_is_disabled_below_3_13_and_says_why() {
    let mut h = harness("cpu-bound", |s| {
        s.overrides.python = Some(PythonVersion::new(3, 9));
    });
    let free = "Free-threaded build (3.13+)";
    assert!(disabled(&h, Role::CheckBox, free));
    h.get_by_role_and_label(Role::CheckBox, free).hover();
    // Past the tooltip delay.
    h.run_steps(60);
    h.get_by_label_contains("exist from Python 3.13 on");
    // Clicking it changes nothing: the run stays.
    h.get_by_role_and_label(Role::CheckBox, free).click();
    h.run_steps(2);
    assert_eq!(h.state().settings.overrides.free_threaded, None);
    assert!(!h.state().runs().is_empty());
    let mut h = harness("cpu-bound", |s| {
        s.overrides.python = Some(PythonVersion::new(3, 13));
    });
    assert!(!disabled(&h, Role::CheckBox, free));
    h.get_by_role_and_label(Role::CheckBox, free).click();
    h.run_steps(2);
    assert_eq!(h.state().settings.overrides.free_threaded, Some(true));
}

#[test]
fn python_2_7_swaps_the_switch_interval_for_the_check_interval() {
    let mut h = harness("old-gil", |s| {
        s.overrides.python = Some(PythonVersion::new(2, 7));
    });
    assert!(disabled(&h, Role::Slider, "Switch interval"));
    h.get_by_role_and_label(Role::Slider, "Switch interval")
        .hover();
    h.run_steps(60);
    h.get_by_label_contains("ignores the switch interval");
    h.get_by_label("Check interval (ticks)");
    // The sweep of the switch interval is refused too, with the reason.
    h.get_by_label("Switch-interval sweep").click();
    h.run_steps(2);
    assert!(disabled(&h, Role::Button, "Run sweep"));
    h.get_by_label_contains("No sweep for this run.");
    let h = harness("old-gil", |s| {
        s.overrides.python = Some(PythonVersion::new(3, 13));
    });
    assert!(!disabled(&h, Role::Slider, "Switch interval"));
    assert!(h.query_by_label("Check interval (ticks)").is_none());
}

#[test]
fn the_start_method_applies_only_to_multiprocessing() {
    let h = harness("cpu-bound", |_| {});
    assert!(disabled(&h, Role::ComboBox, "Start method"));
    let mut h = harness("cpu-bound", |s| {
        s.overrides.runtime = Some(Runtime::Multiprocessing);
    });
    assert!(!disabled(&h, Role::ComboBox, "Start method"));
    // One thread per process, each with its own GIL: no thread waits, nothing to switch.
    assert!(disabled(&h, Role::Slider, "Switch interval"));
    assert!(disabled(&h, Role::ComboBox, "GIL goes to"));
    h.get_by_role_and_label(Role::ComboBox, "Start method")
        .click();
    h.run_steps(2);
    h.get_by_label("fork (default)");
    h.get_by_label("spawn").click();
    h.run_steps(2);
    assert_eq!(
        h.state().settings.overrides.start_method,
        Some(gilscope_sim::model::StartMethod::Spawn)
    );
}

#[test]
fn runtimes_that_cannot_run_are_disabled_in_the_menu() {
    let mut h = harness("cpu-bound", |s| {
        s.overrides.python = Some(PythonVersion::new(3, 9));
    });
    h.get_by_role_and_label(Role::ComboBox, "Runs as").click();
    h.run_steps(2);
    assert!(disabled(&h, Role::Button, "subinterpreters"));
    assert!(!disabled(&h, Role::Button, "multiprocessing"));
}

#[test]
fn compare_offers_no_switch_interval_where_the_run_ignores_it() {
    let mut h = harness("cpu-bound", |s| {
        s.overrides.python = Some(PythonVersion::new(2, 7));
        s.compare = true;
        s.compare_with = CompareWith::Cores(8);
    });
    h.get_by_role_and_label(Role::ComboBox, "B changes").click();
    h.run_steps(2);
    assert!(disabled(&h, Role::Button, "switch interval"));
    assert!(!disabled(&h, Role::Button, "GIL or free-threaded"));
}

#[test]
fn an_error_is_shown_once() {
    let h = harness("cpu-bound", |s| {
        s.overrides.python = Some(PythonVersion::new(3, 12));
        s.overrides.free_threaded = Some(true);
    });
    assert!(h.state().runs().is_empty());
    assert_eq!(
        h.query_all_by_label_contains("exist from Python 3.13 on")
            .count(),
        1,
        "the error appears once"
    );
}

#[test]
fn a_free_threaded_run_keeps_the_switch_interval_only_where_the_gil_can_return() {
    let free = |s: &mut Settings| s.overrides.free_threaded = Some(true);
    let h = harness("cpu-bound", free);
    assert!(disabled(&h, Role::Slider, "Switch interval"));
    assert!(disabled(&h, Role::ComboBox, "GIL goes to"));
    // gil-returns imports an extension without free-threading support: the GIL comes back.
    let h = harness("gil-returns", free);
    assert!(!disabled(&h, Role::Slider, "Switch interval"));
    assert!(!disabled(&h, Role::ComboBox, "GIL goes to"));
    let h = harness("gil-returns", |s| {
        free(s);
        s.overrides.gil = Some(false);
    });
    assert!(disabled(&h, Role::Slider, "Switch interval"));
}

/// `concurrent.futures` exists from 3.2 (PEP 3148): on 2.7 the executors are offered but
/// disabled, `multiprocessing.Pool` is not; a pool's workers and start method apply to it.
#[test]
fn pools_are_offered_where_the_version_has_them() {
    let mut h = harness("cpu-bound", |s| {
        s.overrides.python = Some(PythonVersion::new(2, 7));
    });
    h.get_by_role_and_label(Role::ComboBox, "Runs as").click();
    h.run_steps(2);
    assert!(disabled(&h, Role::Button, "process-pool"));
    assert!(disabled(&h, Role::Button, "thread-pool"));
    assert!(!disabled(&h, Role::Button, "pool"));
    // Threads have no pool: no number of workers is shown, only "none", disabled.
    let h = harness("cpu-bound", |_| {});
    assert!(
        h.query_by_role_and_label(Role::SpinButton, "Pool workers")
            .is_none()
    );
    assert!(h.get_by_label("none").accesskit_node().is_disabled());
    let h = harness("cpu-bound", |s| {
        s.overrides.runtime = Some(Runtime::ProcessPool);
    });
    assert!(!disabled(&h, Role::SpinButton, "Pool workers"));
    assert!(!disabled(&h, Role::ComboBox, "Start method"));
}

/// Before 3.4 a process on Linux is always forked (`multiprocessing.set_start_method` came in
/// 3.4) and asyncio did not exist (PEP 3156): on 2.7 the multiprocessing preset's spawn refuses
/// 2.7, fork lets it run, and then spawn and forkserver are offered disabled, as is asyncio.
#[test]
fn a_version_without_spawn_or_asyncio_offers_them_disabled() {
    let mut h = harness("multiprocessing", |_| {});
    h.get_by_role_and_label(Role::ComboBox, "Python").click();
    h.run_steps(2);
    assert!(disabled(&h, Role::Button, "2.7"), "spawn is the preset's");
    let mut h = harness("multiprocessing", |s| {
        s.overrides.start_method = Some(gilscope_sim::StartMethod::Fork);
        s.overrides.python = Some(PythonVersion::new(2, 7));
    });
    assert_eq!(h.state().runs().len(), 1, "fork on 2.7 runs");
    h.get_by_role_and_label(Role::ComboBox, "Start method")
        .click();
    h.run_steps(2);
    assert!(disabled(&h, Role::Button, "spawn"));
    assert!(disabled(&h, Role::Button, "forkserver"));
    assert!(!disabled(&h, Role::Button, "fork (default)"));
    let mut h = harness("cpu-bound", |s| {
        s.overrides.python = Some(PythonVersion::new(2, 7));
    });
    h.get_by_role_and_label(Role::ComboBox, "Runs as").click();
    h.run_steps(2);
    assert!(disabled(&h, Role::Button, "asyncio"));
}
