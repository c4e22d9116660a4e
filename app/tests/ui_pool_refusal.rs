//! A pool whose endless task would hold every worker is refused before the run: the app says so
//! once, naming the task and the workers it needs, and keeps the "Pool workers" control that
//! fixes it (`egui_kittest`, UI-tree queries).

#![allow(clippy::unwrap_used, reason = "tests")]

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use gilscope::gui::{GilscopeApp, Speed};
use gilscope_sim::Runtime;

mod ui_support;

#[test]
fn a_pool_that_could_never_finish_is_refused_once_and_its_workers_stay_usable() {
    let mut settings = ui_support::preset("convoy", Speed::Fastest);
    settings.overrides.runtime = Some(Runtime::Pool);
    settings.overrides.workers = Some(1);
    let mut h = ui_support::harness_sized(GilscopeApp::new(settings), egui::vec2(1280.0, 900.0));
    h.run_steps(3);
    assert!(h.state().runs().is_empty(), "no run starts");
    assert_eq!(
        h.query_all_by_label_contains("holds the only worker")
            .count(),
        1,
        "the refusal appears once"
    );
    h.get_by_label_contains("task \"io\" never leaves the pool's queue");
    h.get_by_label_contains("use at least 2 workers");
    let workers = h.get_by_role_and_label(Role::SpinButton, "Pool workers");
    assert!(!workers.accesskit_node().is_disabled());
    workers.set_value_accesskit(2.0);
    h.run_steps(3);
    assert_eq!(h.state().settings.overrides.workers, Some(2));
    assert_eq!(h.state().runs().len(), 1, "two workers run it");
    assert_eq!(
        h.query_all_by_label_contains("holds the only worker")
            .count(),
        0
    );
}

#[test]
fn a_pool_that_needs_more_workers_can_still_be_chosen_and_then_given_them() {
    // On one core a pool's default is one worker, which the convoy's endless task would hold:
    // "Runs as" still offers the pool, whose refusal then says how many workers it needs.
    let mut settings = ui_support::preset("convoy", Speed::Fastest);
    settings.overrides.cores = Some(1);
    let mut h = ui_support::harness_sized(GilscopeApp::new(settings), egui::vec2(1280.0, 900.0));
    h.run_steps(3);
    h.get_by_role_and_label(Role::ComboBox, "Runs as").click();
    h.run_steps(2);
    let pool = h.get_by_role_and_label(Role::Button, "pool");
    assert!(!pool.accesskit_node().is_disabled(), "the pool is offered");
    pool.click();
    h.run_steps(3);
    assert_eq!(h.state().settings.overrides.runtime, Some(Runtime::Pool));
    h.get_by_label_contains("use at least 2 workers");
    let workers = h.get_by_role_and_label(Role::SpinButton, "Pool workers");
    assert!(!workers.accesskit_node().is_disabled());
}
