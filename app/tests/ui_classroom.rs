//! The classroom timeline driven headless by label (`egui_kittest`): stepping with captions
//! in `CPython`'s terms and exact steps back, the event log moving the view, the selection's
//! aggregate against an independent cut of the run, predict mode, the lost update walk-through,
//! the counter lock, presentation's legibility, the welcome, the runtime table and the exports.

#![allow(clippy::unwrap_used, reason = "tests")]

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use gilscope::gui::event_log::row_text;
use gilscope::gui::runtime_table::compare_cells;
use gilscope::gui::selection::{lost_in, selection_rows};
use gilscope::gui::{GilscopeApp, Settings, Speed};
use gilscope::theme::{PRESENTATION_MIN_LANE, PRESENTATION_MIN_TEXT};
use gilscope_sim::events::{EventKind, RunEvent, caption};
use gilscope_sim::presets::PRESETS;
use gilscope_sim::{Overrides, PythonVersion, Stats};

mod ui_support;
use ui_support::{harness, harness_sized, preset as settings, run_to_end, wait};

/// A paused run of `stem` at the class pace, ready to be stepped.
fn paused(stem: &str, overrides: Overrides) -> Harness<'static, GilscopeApp> {
    let mut app = GilscopeApp::new(Settings {
        overrides,
        ..settings(stem, Speed::CLASS)
    });
    app.pause_at_start();
    let mut h = harness(app);
    wait(&mut h, |app| {
        app.runs()
            .first()
            .is_some_and(|r| !r.trace.threads.is_empty())
    });
    h
}

/// Until a step asked of the engine has arrived (or a step back has replayed the run).
fn settle(h: &mut Harness<'_, GilscopeApp>) {
    wait(h, |app| {
        app.focus().pending.is_none() && app.focus().replay.is_none()
    });
}

fn selected(h: &Harness<'_, GilscopeApp>) -> RunEvent {
    h.state().focus().event.expect("an event is selected")
}

/// Whether the step bar shows a caption containing `text` ("event 12 of 403 at …: text").
fn caption_shown(h: &Harness<'_, GilscopeApp>, text: &str) -> bool {
    // A label's text is the node's value.
    h.query_all_by_label_contains(text).any(|n| {
        n.accesskit_node()
            .value()
            .is_some_and(|l| l.starts_with("event "))
    })
}

fn shown_caption(h: &Harness<'_, GilscopeApp>) -> String {
    let event = selected(h);
    caption(&h.state().runs()[0].trace, &event)
}

#[test]
fn steps_are_captioned_in_cpythons_terms_and_a_step_back_is_exact() {
    let mut h = paused("convoy", Overrides::default());
    h.get_by_label("Next drop request").click();
    settle(&mut h);
    assert_eq!(selected(&h).kind, EventKind::DropRequest);
    let text = "io's wait on `cond` timed out with no switch: it sets the drop request on busy";
    assert_eq!(shown_caption(&h), text);
    assert!(caption_shown(&h, text), "the caption is shown");
    h.get_by_label("Step forward").click();
    settle(&mut h);
    assert_eq!(
        shown_caption(&h),
        "busy reaches a back-edge, sees the request, drops the GIL and waits on `switch_cond`"
    );
    h.get_by_label("Next switch").click();
    settle(&mut h);
    assert_eq!(shown_caption(&h), "io takes the GIL (released by busy)");
    // The view moved to the event: it is in the middle (or as near as the start of the run
    // allows).
    let view = h.state().timeline_view().clone();
    let t = selected(&h).time as f64;
    let centred = (f64::midpoint(view.start, view.end) - t).abs() < view.width() * 0.01;
    assert!(
        (view.start..=view.end).contains(&t) && (centred || view.start == 0.0),
        "{view:?} {t}"
    );
    h.get_by_label("Next drop request").click();
    settle(&mut h);
    let view = h.state().timeline_view().clone();
    let t = selected(&h).time as f64;
    assert!(
        (f64::midpoint(view.start, view.end) - t).abs() < view.width() * 0.01,
        "{view:?} {t}"
    );

    // N steps forward, M back: the run as N - M steps forward leave it.
    let (n, m) = (12, 5);
    for _ in 0..n {
        h.key_press(egui::Key::ArrowRight);
        settle(&mut h);
    }
    for _ in 0..m {
        h.key_press(egui::Key::ArrowLeft);
        settle(&mut h);
    }
    let back = selected(&h);
    wait(&mut h, |app| app.runs()[0].trace.now == back.time);
    let mut again = paused("convoy", Overrides::default());
    again.get_by_label("Next drop request").click();
    settle(&mut again);
    again.get_by_label("Step forward").click();
    settle(&mut again);
    again.get_by_label("Next switch").click();
    settle(&mut again);
    again.get_by_label("Next drop request").click();
    settle(&mut again);
    for _ in 0..n - m {
        again.key_press(egui::Key::ArrowRight);
        settle(&mut again);
    }
    assert_eq!(selected(&again), back);
    assert_eq!(again.state().runs()[0].trace, h.state().runs()[0].trace);
    assert!(!h.state().is_playing(), "stepping leaves the run paused");
}

#[test]
fn a_lost_update_is_walked_through_from_its_load_to_its_store() {
    let on_39 = Overrides {
        python: Some(PythonVersion::new(3, 9)),
        ..Overrides::default()
    };
    let mut h = paused("counter-race", on_39);
    h.get_by_label("Next lost update").click();
    settle(&mut h);
    let load = selected(&h);
    assert_eq!(load.kind, EventKind::CounterLoad);
    let trace = h.state().runs()[0].trace.clone();
    let stale = &trace.stale_stores[load.other as usize];
    let who = trace.thread_name(stale.thread).to_owned();
    assert!(
        shown_caption(&h).starts_with(&format!("{who} loads ")),
        "{}",
        shown_caption(&h)
    );
    assert!(shown_caption(&h).ends_with("and is switched out before its store"));
    // Step on until the store that loses the updates.
    for _ in 0..200 {
        if selected(&h).kind == EventKind::LostUpdate && selected(&h).other == load.other {
            break;
        }
        h.key_press(egui::Key::ArrowRight);
        settle(&mut h);
    }
    let store = selected(&h);
    assert_eq!(
        (store.kind, store.other),
        (EventKind::LostUpdate, load.other)
    );
    let text = shown_caption(&h);
    assert!(text.starts_with("meanwhile adder-"), "{text}");
    assert!(
        text.contains(&format!("{who} stores ")) && text.ends_with("updates lost"),
        "{text}"
    );
    assert!(caption_shown(&h, &text));
}

#[test]
fn the_counter_lock_makes_the_race_lose_nothing() {
    let mut h = harness(GilscopeApp::new(Settings {
        overrides: Overrides {
            python: Some(PythonVersion::new(3, 9)),
            ..Overrides::default()
        },
        ..settings("counter-race", Speed::Fastest)
    }));
    run_to_end(&mut h);
    let lost = |h: &Harness<'_, GilscopeApp>| h.state().runs()[0].trace.counters[0].lost;
    assert!(lost(&h) > 0);
    h.get_by_label("Lock the counter").click();
    h.run_steps(2);
    assert!(h.state().settings.counter_lock);
    run_to_end(&mut h);
    assert_eq!(lost(&h), 0);
    assert!(
        h.state().runs()[0]
            .trace
            .markers
            .iter()
            .any(|m| m.kind == gilscope_sim::trace::MarkerKind::LockAcquired)
    );
}

#[test]
fn a_click_in_the_event_log_selects_the_event_and_moves_the_view() {
    let mut h = harness(GilscopeApp::new(settings("convoy", Speed::Fastest)));
    run_to_end(&mut h);
    let trace = h.state().runs()[0].trace.clone();
    let event = h.state().event_logs()[0].events()[6];
    let before = h.state().timeline_view().clone();
    h.get_by_label(&row_text(&trace, &event)).click();
    h.run_steps(2);
    assert_eq!(selected(&h), event);
    let view = h.state().timeline_view().clone();
    assert_ne!(view, before);
    assert!(
        view.start <= event.time as f64 && event.time as f64 <= view.end,
        "{view:?}"
    );
    assert!(
        view.width() < before.width(),
        "zoomed to the event: {view:?}"
    );
    // The step bar says which event it is.
    assert!(caption_shown(&h, &caption(&trace, &event)));
}

#[test]
fn a_drag_along_the_axis_selects_a_range_whose_numbers_are_the_cut_runs() {
    let mut h = harness(GilscopeApp::new(settings("convoy", Speed::Fastest)));
    run_to_end(&mut h);
    let rect = h.state().views.compare.timeline.rect.unwrap();
    // The axis band is the top of the timeline.
    let y = rect.top() + 8.0;
    let (x0, x1) = (
        rect.left() + rect.width() * 0.4,
        rect.left() + rect.width() * 0.6,
    );
    h.hover_at(egui::pos2(x0, y));
    h.run_steps(1);
    h.drag_at(egui::pos2(x0, y));
    h.run_steps(1);
    for i in 1..=10 {
        h.hover_at(egui::pos2(x0 + (x1 - x0) * i as f32 / 10.0, y));
        h.run_steps(1);
    }
    h.drop_at(egui::pos2(x1, y));
    h.run_steps(3);
    let (a, b) = h.state().focus().selection.expect("a selection");
    assert!(b > a);
    let trace = &h.state().runs()[0].trace;
    // Independently: the run cut to the range, and its stats.
    let expected = Stats::compute(&trace.cut(a, b));
    assert_eq!(expected, Stats::of_range(trace, a, b));
    for (label, value) in selection_rows(&expected, lost_in(trace, a, b)) {
        let shown = |text: &str| h.query_all_by_label(text).next().is_some();
        assert!(shown(&label), "row {label} not shown");
        assert!(shown(&value), "{label} = {value} not shown");
    }
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.state().focus().selection.is_none());
}

#[test]
fn predict_mode_asks_first_hides_the_numbers_and_reveals_the_runs_answer() {
    let mut h = harness(GilscopeApp::new(settings("cpu-bound", Speed::Fastest)));
    run_to_end(&mut h);
    assert!(h.query_by_label("Wall time").is_some());
    h.get_by_label("Predict").click();
    h.run_steps(2);
    assert!(!h.state().is_playing(), "the run waits for the class");
    let question = "Predict: Two threads share the work. Faster, the same, or slower than one thread doing it all?";
    assert!(h.query_by_label(question).is_some());
    assert!(
        h.query_by_label("Wall time").is_none(),
        "the stats are hidden"
    );
    let narration = h.state().narration_text().unwrap();
    assert!(
        h.query_by_label(&narration).is_none(),
        "the narration is hidden"
    );
    h.get_by_label("Faster").click();
    h.key_press(egui::Key::Space);
    run_to_end(&mut h);
    h.get_by_label("Reveal the answer").click();
    h.run_steps(2);
    let speedup = h.state().runs()[0].stats.as_ref().unwrap().speedup.unwrap();
    let answer = format!(
        "Answer for this run: About the same (speedup over one thread doing all the work: {speedup:.2}×)"
    );
    assert!(h.query_by_label(&answer).is_some(), "{answer}");
    assert!(
        h.query_by_label("The class said \"Faster\": not what this run did.")
            .is_some()
    );
    assert!(
        h.query_by_label("Wall time").is_some(),
        "the numbers are back"
    );
}

#[test]
fn presentation_mode_is_legible_from_the_back_of_a_room_at_1920_by_1080() {
    for (stem, _) in PRESETS {
        let app = GilscopeApp::new(Settings {
            presentation: true,
            ..settings(stem, Speed::Fastest)
        });
        let mut h = harness_sized(app, egui::vec2(1920.0, 1080.0));
        run_to_end(&mut h);
        let layout = h.state().views.compare.timeline.layout.unwrap();
        assert!(
            layout.lane_height >= PRESENTATION_MIN_LANE,
            "{stem}: lanes {layout:?}"
        );
        assert!(
            layout.label_size >= PRESENTATION_MIN_TEXT,
            "{stem}: labels {layout:?}"
        );
        assert!(h.state().theme().label_font().size >= PRESENTATION_MIN_TEXT);
    }
}

#[test]
fn a_new_run_fits_itself_and_the_first_launch_welcomes_paused() {
    let mut h = harness(GilscopeApp::new(settings("convoy", Speed::Fastest)));
    run_to_end(&mut h);
    h.key_press(egui::Key::W);
    h.run_steps(3);
    assert!(!h.state().timeline_view().whole);
    h.state_mut().choose_preset("cpu-bound");
    run_to_end(&mut h);
    let view = h.state().timeline_view().clone();
    let end = h.state().runs()[0].trace.now as f64;
    assert!(
        view.whole && view.start == 0.0 && view.end >= end,
        "{view:?}"
    );

    let mut first = harness(GilscopeApp::from_storage(None));
    first.run_steps(3);
    assert!(first.query_by_label("Welcome to gilscope").is_some());
    assert!(!first.state().is_playing());
    first.get_by_label("Start").click();
    first.run_steps(3);
    assert!(first.query_by_label("Welcome to gilscope").is_none());
    assert!(!first.state().is_playing(), "still paused: Space plays");
}

#[test]
fn the_runtime_table_shows_the_compare_cells_and_opens_a_row() {
    let mut h = harness(GilscopeApp::new(settings("decision", Speed::Fastest)));
    h.run_steps(2);
    h.get_by_label("Runtimes").click();
    h.run_steps(2);
    h.get_by_label("Run every runtime").click();
    wait(&mut h, |app| {
        !app.views.runtimes.is_running() && app.views.runtimes.rows().is_some()
    });
    let rows = h.state().views.runtimes.rows().unwrap().to_vec();
    let gil = rows[0].outcome.clone().unwrap();
    for row in &rows {
        let stats = row.outcome.as_ref().unwrap();
        for cell in compare_cells(stats, Some(&gil)) {
            assert!(
                h.query_all_by_label(&cell).next().is_some(),
                "{}: {cell}",
                row.label
            );
        }
    }
    h.get_by_label("Open asyncio").click();
    h.run_steps(2);
    assert_eq!(
        h.state().settings.overrides.runtime,
        Some(gilscope_sim::Runtime::Asyncio)
    );
    assert!(!h.state().views.show_runtimes, "back to the timeline");
}

#[test]
fn the_run_is_exported_as_a_perfetto_trace_and_csv_from_the_window() {
    let dir = std::env::temp_dir().join(format!("gilscope-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = harness(GilscopeApp::new(Settings {
        export_dir: dir.display().to_string(),
        ..settings("convoy", Speed::Fastest)
    }));
    run_to_end(&mut h);
    for (item, file) in [
        ("Trace (Perfetto JSON)", "convoy-trace.json"),
        ("Stats (CSV)", "convoy-stats.csv"),
    ] {
        h.get_by_label("Export").click();
        h.run_steps(2);
        h.get_by_label(item).click();
        h.run_steps(3);
        let path = dir.join(file);
        assert!(
            h.query_by_label(&format!("wrote {}", path.display()))
                .is_some(),
            "{item}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        if std::path::Path::new(file)
            .extension()
            .is_some_and(|e| e == "json")
        {
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(
                json["traceEvents"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty())
            );
        } else {
            assert!(text.starts_with(gilscope_sim::export::STATS_CSV_HEADER));
            assert_eq!(text.lines().count(), 2);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Where the event log beside the timeline is.
fn events_rect(h: &Harness<'_, GilscopeApp>) -> egui::Rect {
    let rects = h.state().panel_rects();
    rects
        .iter()
        .find(|(name, _)| *name == "events")
        .map(|(_, rect)| *rect)
        .unwrap()
}

/// The width of the event log beside the timeline.
fn events_width(h: &Harness<'_, GilscopeApp>) -> f32 {
    events_rect(h).width()
}

#[test]
fn presentation_turned_on_in_the_window_widens_the_event_log_for_its_larger_text() {
    let mut h = harness_sized(
        GilscopeApp::new(settings("convoy", Speed::Fastest)),
        egui::vec2(1920.0, 1080.0),
    );
    run_to_end(&mut h);
    let normal = events_width(&h);
    h.key_press(egui::Key::P);
    h.run_steps(4);
    let presenting = events_width(&h);
    assert!(
        presenting >= normal * 1.1,
        "the log kept the normal text's width: {normal} → {presenting}"
    );
}

#[test]
fn the_old_gils_stats_show_its_retakes_and_futile_wake_ups() {
    let mut h = harness_sized(
        GilscopeApp::new(settings("old-gil", Speed::Fastest)),
        egui::vec2(1920.0, 1080.0),
    );
    run_to_end(&mut h);
    let stats = h.state().runs()[0].stats.clone().unwrap();
    assert!(
        stats.gil.retakes > 0 && stats.gil.futile_wakeups > 0,
        "{:?}",
        stats.gil
    );
    for (label, n) in [
        ("GIL retakes", stats.gil.retakes),
        ("Futile wake-ups", stats.gil.futile_wakeups),
    ] {
        assert!(h.query_by_label(label).is_some(), "no {label} row");
        let value = gilscope::format::count(n);
        assert!(h.query_by_label(&value).is_some(), "{label}: no {value}");
    }
    assert!(
        h.query_by_label("Drop requests").is_none(),
        "the old GIL has none"
    );
}

#[test]
fn the_event_log_follows_the_window_until_its_edge_is_dragged() {
    let app = GilscopeApp::new(Settings {
        presentation: true,
        ..settings("convoy", Speed::Fastest)
    });
    let mut h = harness_sized(app, egui::vec2(1280.0, 800.0));
    run_to_end(&mut h);
    let small = events_width(&h);
    // A click in the log leaves its width alone.
    h.get_by_label("Kinds").click();
    h.run_steps(3);
    assert!((events_width(&h) - small).abs() < 1.0, "a click moved it");
    h.set_size(egui::vec2(1920.0, 1080.0));
    h.run_steps(4);
    let large = events_width(&h);
    assert!(
        large >= small * 1.2,
        "the log kept the small window's width: {small} → {large}"
    );
}
