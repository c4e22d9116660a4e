//! Small windows (`egui_kittest`): at 800×600 and 1024×640, in normal and presentation mode,
//! alone and comparing, one side panel is open at a time (opening the stats closes the
//! settings), every main panel lies inside the window, no two overlap, the
//! timeline keeps room for its lanes (both runs' when comparing, scrolling if need be), every
//! button of the toolbar is inside the window, and no text style is under the theme's smallest.

#![allow(clippy::unwrap_used, reason = "tests")]

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use gilscope::gui::{GilscopeApp, Speed};

mod ui_support;
use ui_support::{harness_sized, preset, run_to_end};

/// Rectangles that share an edge do not overlap; these overlap by more than a point each way.
fn overlap(a: egui::Rect, b: egui::Rect) -> bool {
    let i = a.intersect(b);
    i.width() > 1.0 && i.height() > 1.0
}

fn check(stem: &str, size: egui::Vec2, presentation: bool, compare: bool) {
    let what = format!(
        "{stem} at {}×{}, presentation {presentation}, compare {compare}",
        size.x, size.y
    );
    let mut settings = preset(stem, Speed::Fastest);
    settings.presentation = presentation;
    settings.compare = compare;
    let mut h = harness_sized(GilscopeApp::new(settings), size);
    run_to_end(&mut h);
    // A frame or two for panels sized by the last frame's content.
    h.run_steps(3);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size).expand(0.5);
    let rects = h.state().panel_rects().to_vec();
    let shown = |name: &str| rects.iter().any(|(n, _)| *n == name);
    for name in ["toolbar", "timeline", "lower"] {
        assert!(shown(name), "{what}: no {name} panel in {rects:?}");
    }
    // One side panel at a time in a narrow window: the settings, opened first, stay.
    assert!(
        shown("settings") && !shown("stats"),
        "{what}: side panels {rects:?}"
    );
    for (i, (name, rect)) in rects.iter().enumerate() {
        assert!(
            window.contains_rect(*rect),
            "{what}: {name} {rect:?} leaves the window"
        );
        for (other, rect2) in &rects[i + 1..] {
            assert!(
                !overlap(*rect, *rect2),
                "{what}: {name} {rect:?} overlaps {other} {rect2:?}"
            );
        }
    }
    let timeline = rects.iter().find(|(n, _)| *n == "timeline").unwrap().1;
    assert!(
        timeline.height() >= size.y * 0.3,
        "{what}: the timeline has {timeline:?}"
    );
    // The lanes of every run are laid out (those past the height scroll).
    let layout = h.state().views.compare.timeline.layout.unwrap();
    let runs = h.state().runs();
    assert_eq!(runs.len(), if compare { 2 } else { 1 }, "{what}");
    let gil_and_threads: usize = runs.iter().map(|r| 1 + r.trace.threads.len()).sum();
    assert!(
        layout.lanes >= gil_and_threads,
        "{what}: {} lanes laid out of at least {gil_and_threads}",
        layout.lanes
    );
    let toolbar = rects.iter().find(|(n, _)| *n == "toolbar").unwrap().1;
    for button in h.query_all_by_role(Role::Button) {
        let r = button.rect();
        if r.center().y < toolbar.bottom() {
            assert!(
                window.contains_rect(r),
                "{what}: toolbar button {button:?} at {r:?} is cut"
            );
        }
    }
    let theme = h.state().theme().clone();
    for (style, font) in &h.ctx.style_of(h.ctx.theme()).text_styles {
        assert!(
            font.size >= theme.min_text_size() - 0.01,
            "{what}: {style:?} text at {} points",
            font.size
        );
    }
}

#[test]
fn at_800_by_600_nothing_leaves_the_window_or_overlaps() {
    let size = egui::vec2(800.0, 600.0);
    for presentation in [false, true] {
        check("convoy", size, presentation, false);
        check("counter-race", size, presentation, true);
    }
}

#[test]
fn at_1024_by_640_nothing_leaves_the_window_or_overlaps() {
    let size = egui::vec2(1024.0, 640.0);
    for presentation in [false, true] {
        check("convoy", size, presentation, true);
        check("cpu-bound", size, presentation, false);
    }
}

#[test]
fn in_a_narrow_window_opening_the_stats_closes_the_settings() {
    let mut h = harness_sized(
        GilscopeApp::new(preset("convoy", Speed::Fastest)),
        egui::vec2(1024.0, 640.0),
    );
    h.run_steps(3);
    assert!(h.state().settings.show_controls && !h.state().settings.show_info);
    h.get_by_label("Stats").click();
    h.run_steps(3);
    assert!(!h.state().settings.show_controls && h.state().settings.show_info);
    h.get_by_label("Settings").click();
    h.run_steps(3);
    assert!(h.state().settings.show_controls && !h.state().settings.show_info);
}
