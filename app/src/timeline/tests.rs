//! Headless smoke tests: the widget runs inside `egui::Context::run_ui` (no window, no GPU)
//! on synthetic traces, zoomed out and in, alone and in the compare view.

use super::*;
use crate::theme::ThemeMode;
use egui::{Event, Modifiers, MouseWheelUnit, PointerButton, RawInput, pos2, vec2};
use gilscope_sim::Runtime;

fn input(events: Vec<Event>) -> RawInput {
    RawInput {
        screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(1280.0, 800.0))),
        events,
        ..RawInput::default()
    }
}

/// Runs one frame and returns (number of primitives, number of vertices) after tessellation.
fn frame(
    ctx: &egui::Context,
    groups: &[TimelineGroup<'_>],
    theme: &Theme,
    view: &mut TimelineView,
    events: Vec<Event>,
) -> (usize, usize) {
    let output = ctx.run_ui(input(events), |ui| {
        Timeline::new(groups, theme).show(ui, view);
    });
    let egui::FullOutput {
        shapes,
        pixels_per_point,
        mut textures_delta,
        ..
    } = output;
    textures_delta.clear();
    let primitives = ctx.tessellate(shapes, pixels_per_point);
    let vertices = primitives
        .iter()
        .map(|p| match &p.primitive {
            egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
            egui::epaint::Primitive::Callback(_) => 0,
        })
        .sum();
    (primitives.len(), vertices)
}

#[test]
fn draws_zoomed_out_and_zoomed_in_without_panicking() {
    let trace = synthetic::trace(200_000, 6, 2, 1);
    let groups = [TimelineGroup {
        title: String::new(),
        trace: &trace,
    }];
    for mode in [ThemeMode::Dark, ThemeMode::Light] {
        for presentation in [false, true] {
            let theme = Theme::new(mode, presentation);
            let ctx = egui::Context::default();
            let mut view = TimelineView::default();
            view.fit(trace.now);
            let (_, out_vertices) = frame(&ctx, &groups, &theme, &mut view, vec![]);
            assert!(
                out_vertices > 1_000,
                "zoomed out drew {out_vertices} vertices"
            );
            let mid = trace.now as f64 / 2.0;
            view.start = mid;
            view.end = mid + 50_000.0;
            let (_, in_vertices) = frame(&ctx, &groups, &theme, &mut view, vec![]);
            assert!(in_vertices > 100, "zoomed in drew {in_vertices} vertices");
            // Far past the end and before the start: nothing to draw but no panic.
            view.start = trace.now as f64 * 10.0;
            view.end = view.start + 1e6;
            frame(&ctx, &groups, &theme, &mut view, vec![]);
        }
    }
}

#[test]
fn compare_view_stacks_two_groups_on_one_axis() {
    let a = synthetic::trace(20_000, 4, 1, 2);
    let b = synthetic::trace(20_000, 4, 4, 3);
    let theme = Theme::new(ThemeMode::Dark, false);
    let groups = [
        TimelineGroup {
            title: "GIL".to_owned(),
            trace: &a,
        },
        TimelineGroup {
            title: "free-threaded".to_owned(),
            trace: &b,
        },
    ];
    let ctx = egui::Context::default();
    let mut view = TimelineView::default();
    view.fit(a.now.max(b.now));
    let (primitives, vertices) = frame(&ctx, &groups, &theme, &mut view, vec![]);
    assert!(primitives > 0 && vertices > 1_000);
    let timeline = Timeline::new(&groups, &theme);
    let (rows, _) = timeline.layout(0.0);
    let titles = rows
        .iter()
        .filter(|r| r.content == RowContent::Title)
        .count();
    assert_eq!(titles, 2);
    let lanes_per_group = |g: usize| {
        rows.iter()
            .filter(|r| r.group == g && r.content != RowContent::Title)
            .count()
    };
    assert_eq!(lanes_per_group(0), 1 + 4 + 1);
    assert_eq!(lanes_per_group(1), 1 + 4 + 4);
    let without_cores = Timeline::new(&groups, &theme)
        .show_cores(false)
        .layout(0.0)
        .0;
    assert_eq!(without_cores.len(), 2 + 2 * (1 + 4));
}

#[test]
fn follows_a_growing_run_until_the_user_zooms_or_pans() {
    let mut view = TimelineView::default();
    view.track(3_000_000);
    assert_eq!((view.start, view.end), (0.0, 10e6));
    view.track(25_000_000);
    assert_eq!((view.start, view.end), (15e6, 25e6));
    // A restarted run brings the view back to 0.
    view.track(1_000);
    assert_eq!((view.start, view.end), (0.0, 10e6));
    view.zoom(2.0, 5e6);
    assert!(!view.follow_live);
    assert!((view.start - 2.5e6).abs() < 1e-6 && (view.end - 7.5e6).abs() < 1e-6);
    view.track(50_000_000);
    assert!((view.end - 7.5e6).abs() < 1e-6, "no following after a zoom");
    view.fit(40_000_000);
    assert!(view.follow_live && view.start == 0.0 && view.end >= 40e6);
    view.pan(1e6);
    assert!(!view.follow_live);
    let mut broken = TimelineView {
        start: f64::NAN,
        end: 1.0,
        follow_live: false,
        ..TimelineView::default()
    };
    broken.pan(5.0);
    assert!(broken.start.is_finite() && broken.end > broken.start);
    let mut tiny = TimelineView::default();
    tiny.zoom(1e12, 0.0);
    assert!(tiny.width() >= MIN_VIEW_NS);
}

#[test]
fn wheel_zooms_and_pans() {
    let trace = synthetic::trace(5_000, 3, 1, 4);
    let theme = Theme::default();
    let groups = [TimelineGroup {
        title: String::new(),
        trace: &trace,
    }];
    let ctx = egui::Context::default();
    let mut view = TimelineView::default();
    view.fit(trace.now);
    let over = pos2(640.0, 60.0);
    frame(
        &ctx,
        &groups,
        &theme,
        &mut view,
        vec![Event::PointerMoved(over)],
    );
    let before = view.clone();
    // Ctrl + wheel zooms around the pointer.
    let zoom = Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: vec2(0.0, 120.0),
        phase: egui::TouchPhase::Move,
        modifiers: Modifiers::CTRL,
        source: egui::MouseWheelSource::Wheel,
    };
    for _ in 0..3 {
        frame(&ctx, &groups, &theme, &mut view, vec![zoom.clone()]);
    }
    assert!(
        view.width() < before.width(),
        "ctrl+wheel zooms in: {before:?} -> {view:?}"
    );
    assert!(!view.follow_live);
    // A plain wheel pans (smoothly, over a few frames).
    let wheel = Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: vec2(0.0, 120.0),
        phase: egui::TouchPhase::Move,
        modifiers: Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    };
    let start = view.start;
    frame(&ctx, &groups, &theme, &mut view, vec![wheel]);
    for _ in 0..20 {
        frame(&ctx, &groups, &theme, &mut view, vec![]);
    }
    assert!(
        view.start < start,
        "wheel up pans earlier: {start} -> {}",
        view.start
    );
}

#[test]
fn drag_pans_and_double_click_fits() {
    let trace = synthetic::trace(5_000, 3, 1, 4);
    let theme = Theme::default();
    let groups = [TimelineGroup {
        title: String::new(),
        trace: &trace,
    }];
    let ctx = egui::Context::default();
    let mut view = TimelineView {
        start: 1e6,
        end: 2e6,
        follow_live: false,
        ..TimelineView::default()
    };
    let over = pos2(640.0, 60.0);
    let press = |pressed| Event::PointerButton {
        pos: over,
        button: PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    };
    frame(
        &ctx,
        &groups,
        &theme,
        &mut view,
        vec![Event::PointerMoved(over)],
    );
    frame(&ctx, &groups, &theme, &mut view, vec![press(true)]);
    for dx in 1..=10 {
        let to = pos2(over.x - 20.0 * dx as f32, over.y);
        frame(
            &ctx,
            &groups,
            &theme,
            &mut view,
            vec![Event::PointerMoved(to)],
        );
    }
    frame(&ctx, &groups, &theme, &mut view, vec![press(false)]);
    assert!(
        view.start > 1e6,
        "dragging left moves later in time: {view:?}"
    );
    frame(
        &ctx,
        &groups,
        &theme,
        &mut view,
        vec![Event::PointerMoved(over)],
    );
    for _ in 0..2 {
        frame(&ctx, &groups, &theme, &mut view, vec![press(true)]);
        frame(&ctx, &groups, &theme, &mut view, vec![press(false)]);
    }
    assert!(
        view.follow_live && view.start == 0.0,
        "double click fits: {view:?}"
    );
}

#[test]
fn keys_zoom_and_pan() {
    let trace = synthetic::trace(5_000, 3, 1, 5);
    let theme = Theme::default();
    let groups = [TimelineGroup {
        title: String::new(),
        trace: &trace,
    }];
    let ctx = egui::Context::default();
    let mut view = TimelineView::default();
    view.fit(trace.now);
    let key = |key, pressed| Event::Key {
        key,
        physical_key: None,
        pressed,
        repeat: false,
        modifiers: Modifiers::NONE,
    };
    let width = view.width();
    frame(
        &ctx,
        &groups,
        &theme,
        &mut view,
        vec![key(egui::Key::W, true)],
    );
    frame(&ctx, &groups, &theme, &mut view, vec![]);
    frame(
        &ctx,
        &groups,
        &theme,
        &mut view,
        vec![key(egui::Key::W, false)],
    );
    assert!(view.width() < width, "W zooms in");
    let start = view.start;
    frame(
        &ctx,
        &groups,
        &theme,
        &mut view,
        vec![key(egui::Key::D, true)],
    );
    frame(
        &ctx,
        &groups,
        &theme,
        &mut view,
        vec![key(egui::Key::D, false)],
    );
    assert!(view.start > start, "D pans later");
}

#[test]
fn hovering_a_span_shows_its_tooltip_text() {
    let trace = synthetic::trace(2_000, 3, 1, 6);
    let theme = Theme::default();
    let groups = [TimelineGroup {
        title: String::new(),
        trace: &trace,
    }];
    let ctx = egui::Context::default();
    let mut texts = Vec::new();
    let output = ctx.run_ui(input(vec![]), |ui| {
        let timeline = Timeline::new(&groups, &theme);
        let rect = ui.max_rect();
        let painter = ui.painter_at(rect);
        let (rows, _) = timeline.layout(30.0);
        let gutter = timeline.gutter_width(&painter, &rows, rect.width());
        let map = TimeMap::new(0.0, 100_000.0, rect.left() + gutter, rect.right());
        let frame = Frame {
            rect,
            rows,
            axis_h: 30.0,
            map,
            painter,
        };
        let mut cache = Cache {
            groups: vec![Vec::new()],
            ..Cache::default()
        };
        let mut out = Output::default();
        timeline.paint_group(&frame, 0, &mut cache.groups[0], &mut out);
        for lane in [LaneId::Gil, LaneId::Thread(1)] {
            let row = frame
                .rows
                .iter()
                .find(|r| r.content == RowContent::Lane(lane))
                .expect("row");
            let p = pos2(
                rect.center().x,
                rect.top() + f32::midpoint(row.top, row.bottom),
            );
            texts.push(timeline.hover(&frame, &cache, p, &mut out.mesh));
        }
    });
    output.drop_without_applying_deltas();
    let gil = texts[0].as_ref().expect("a GIL span under the pointer");
    assert!(gil.title.starts_with("GIL held by "), "{gil:?}");
    assert!(
        gil.lines.iter().any(|l| l.starts_with("duration ")),
        "{gil:?}"
    );
    let thread = texts[1].as_ref().expect("a thread span under the pointer");
    assert!(thread.title.starts_with("busy-0: "), "{thread:?}");
}

#[test]
fn many_lanes_scroll_inside_the_height_given() {
    let trace = synthetic::trace(5_000, 24, 4, 8);
    let theme = Theme::new(ThemeMode::Dark, true);
    let groups = [TimelineGroup {
        title: "many".to_owned(),
        trace: &trace,
    }];
    let ctx = egui::Context::default();
    let mut view = TimelineView::default();
    let mut used = 0.0;
    for _ in 0..2 {
        let output = ctx.run_ui(input(vec![]), |ui| {
            let given = ui.allocate_ui(vec2(800.0, 300.0), |ui| {
                Timeline::new(&groups, &theme).show(ui, &mut view);
            });
            used = given.response.rect.height();
        });
        output.drop_without_applying_deltas();
    }
    assert!(
        used <= 300.5,
        "the timeline took {used} points of the 300 given"
    );
}

/// Runs one frame of the timeline in a `w`×`h` area; returns what the user did.
fn interact(
    ctx: &egui::Context,
    groups: &[TimelineGroup<'_>],
    theme: &Theme,
    view: &mut TimelineView,
    size: egui::Vec2,
    events: Vec<Event>,
) -> Interaction {
    let mut got = Interaction::default();
    let output = ctx.run_ui(input(events), |ui| {
        ui.allocate_ui(size, |ui| {
            got = Timeline::new(groups, theme).show_interactive(ui, view).1;
        });
    });
    output.drop_without_applying_deltas();
    got
}

#[test]
fn lanes_grow_into_the_height_given_up_to_the_themes_tallest() {
    let trace = synthetic::trace(2_000, 2, 2, 9);
    let groups = [TimelineGroup {
        title: String::new(),
        trace: &trace,
    }];
    for presentation in [false, true] {
        let theme = Theme::new(ThemeMode::Dark, presentation);
        let ctx = egui::Context::default();
        let mut view = TimelineView::default();
        view.fit(trace.now);
        let tall = interact(
            &ctx,
            &groups,
            &theme,
            &mut view,
            vec2(1200.0, 2000.0),
            vec![],
        );
        assert!(
            (tall.layout.lane_height - theme.max_lane_height()).abs() < 0.01,
            "{tall:?}"
        );
        let height = if presentation { 330.0 } else { 200.0 };
        let middle = interact(
            &ctx,
            &groups,
            &theme,
            &mut view,
            vec2(1200.0, height),
            vec![],
        );
        assert!(
            middle.layout.lane_height > theme.lane_height() * 1.1
                && middle.layout.lane_height < theme.max_lane_height(),
            "{middle:?}"
        );
        assert!(middle.layout.lane_height >= theme.min_lane_height());
    }
}

#[test]
fn idle_cores_fold_and_lanes_hide_or_pin() {
    let trace = synthetic::trace(2_000, 3, 2, 10);
    let mut wide = trace.clone();
    wide.cores.push(gilscope_sim::trace::Lane::default());
    let groups = [TimelineGroup {
        title: String::new(),
        trace: &wide,
    }];
    let theme = Theme::default();
    let timeline = Timeline::new(&groups, &theme);
    let (rows, _) = timeline.layout(0.0);
    let folded: Vec<&Row> = rows.iter().filter(|r| r.folded).collect();
    assert_eq!(folded.len(), 1);
    assert_eq!(folded[0].content, RowContent::Lane(LaneId::Core(2)));
    assert!(folded[0].bottom - folded[0].top < theme.lane_height() * 0.7);
    assert_eq!(
        Timeline::lane_label(&wide, LaneId::Core(2)),
        "core 2 · idle"
    );
    let mut choice = LaneChoice::default();
    choice.apply(LaneCommand::Hide(0, LaneId::Thread(0)));
    choice.apply(LaneCommand::Pin(0, LaneId::Thread(2)));
    let shown = Timeline::new(&groups, &theme)
        .overlays(Overlays {
            lanes: Some(&choice),
            ..Overlays::default()
        })
        .lanes(0);
    assert_eq!(
        &shown[..3],
        &[LaneId::Gil, LaneId::Thread(2), LaneId::Thread(1)]
    );
    assert!(!shown.contains(&LaneId::Thread(0)));
    choice.apply(LaneCommand::ShowAll);
    assert!(choice.hidden.is_empty() && choice.pinned.len() == 1);
}

#[test]
fn threads_past_the_eighth_colour_get_a_second_cue() {
    let theme = Theme::default();
    let rect = Rect::from_min_size(pos2(0.0, 0.0), vec2(60.0, 20.0));
    for (thread, cue) in [(0, false), (7, false), (8, true), (17, true), (30, true)] {
        let mut mesh = Mesh::default();
        assert_eq!(
            paint::thread_cue(&mut mesh, rect, thread, &theme),
            cue,
            "{thread}"
        );
        assert_eq!(mesh.vertices.is_empty(), !cue);
    }
}

#[test]
fn a_click_pins_a_span_and_shift_drag_selects_a_range() {
    let trace = synthetic::trace(5_000, 3, 1, 11);
    let groups = [TimelineGroup {
        title: String::new(),
        trace: &trace,
    }];
    let theme = Theme::default();
    let ctx = egui::Context::default();
    let mut view = TimelineView::default();
    view.fit(trace.now);
    let size = vec2(1280.0, 400.0);
    let first = interact(&ctx, &groups, &theme, &mut view, size, vec![]);
    let mut timeline = Timeline::new(&groups, &theme);
    timeline.lane_scale = first.layout.lane_height / theme.lane_height();
    let (rows, _) = timeline.layout(theme.label_font().size * 1.6 + 6.0);
    let busy = rows
        .iter()
        .find(|r| r.content == RowContent::Lane(LaneId::Thread(0)))
        .expect("a thread row");
    let at = pos2(640.0, f32::midpoint(busy.top, busy.bottom));
    let button = |pos, pressed, modifiers| Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed,
        modifiers,
    };
    interact(
        &ctx,
        &groups,
        &theme,
        &mut view,
        size,
        vec![Event::PointerMoved(at)],
    );
    interact(
        &ctx,
        &groups,
        &theme,
        &mut view,
        size,
        vec![button(at, true, Modifiers::NONE)],
    );
    let click = interact(
        &ctx,
        &groups,
        &theme,
        &mut view,
        size,
        vec![button(at, false, Modifiers::NONE)],
    );
    let pinned = click.clicked.expect("the span under the click");
    assert_eq!((pinned.group, pinned.lane), (0, LaneId::Thread(0)));
    assert!(pinned.span.start as f64 <= view.end && pinned.span.end as f64 >= view.start);
    // Shift+drag from x=400 to x=800 selects that stretch of time, and does not pan.
    let from = pos2(400.0, at.y);
    let before = view.clone();
    ctx.input_mut(|i| i.modifiers = Modifiers::SHIFT);
    interact(
        &ctx,
        &groups,
        &theme,
        &mut view,
        size,
        vec![
            Event::PointerMoved(from),
            Event::ModifiersChanged(Modifiers::SHIFT),
        ],
    );
    interact(
        &ctx,
        &groups,
        &theme,
        &mut view,
        size,
        vec![button(from, true, Modifiers::SHIFT)],
    );
    let mut selection = None;
    for step in 1..=8 {
        let p = pos2(from.x + 50.0 * step as f32, at.y);
        let got = interact(
            &ctx,
            &groups,
            &theme,
            &mut view,
            size,
            vec![Event::PointerMoved(p)],
        );
        selection = got.selection.or(selection);
    }
    let (a, b) = selection.expect("a selection while dragging");
    assert!(a < b, "{a} {b}");
    assert_eq!((view.start, view.end), (before.start, before.end), "no pan");
    let span = (b - a) as f64 / view.width();
    assert!((span - 400.0 / 1280.0).abs() < 0.1, "{span}");
}

#[test]
fn an_empty_gil_lane_says_why_for_the_run_shown() {
    let scenario = gilscope_sim::presets::preset("c-holding").unwrap().unwrap();
    let config = |overrides: gilscope_sim::Overrides| scenario.config(&overrides).unwrap();
    let processes = config(gilscope_sim::Overrides {
        runtime: Some(Runtime::Multiprocessing),
        ..Default::default()
    });
    assert_eq!(
        empty_gil_lane(&processes),
        "one GIL per process, none shared: no thread waits for another's"
    );
    let pool = config(gilscope_sim::Overrides {
        runtime: Some(Runtime::ProcessPool),
        ..Default::default()
    });
    assert!(empty_gil_lane(&pool).starts_with("one GIL per worker process"));
    let free = config(gilscope_sim::Overrides {
        free_threaded: Some(true),
        ..Default::default()
    });
    assert!(empty_gil_lane(&free).starts_with("no GIL in this free-threaded build"));
    let threads = config(gilscope_sim::Overrides::default());
    assert_eq!(empty_gil_lane(&threads), "no thread held the GIL");
}
