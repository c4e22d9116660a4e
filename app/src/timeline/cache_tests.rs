//! The painting kept between frames: a frame that changes nothing draws it again; a frame
//! after any change (the trace grows or is replaced, a pan, a zoom, another window size or
//! theme, another pinned span, step's event or lost update) is the picture drawn from scratch.

use super::*;
use crate::theme::ThemeMode;
use egui::epaint::{Primitive, Vertex};
use egui::{Event, RawInput, TextureId, pos2, vec2};
use gilscope_sim::ThreadState;

/// What a frame shows.
#[derive(Clone)]
struct Scene {
    trace: Trace,
    theme: Theme,
    view: TimelineView,
    size: egui::Vec2,
    pinned: Option<PinnedSpan>,
    event: Option<(usize, RunEvent)>,
    hover: Option<Pos2>,
}

impl Scene {
    /// `trace` in `view`, dark theme, 1280×800, nothing pinned, stepped to or hovered.
    fn dark(trace: Trace, view: TimelineView) -> Self {
        Self {
            trace,
            theme: Theme::new(ThemeMode::Dark, false),
            view,
            size: vec2(1280.0, 800.0),
            pinned: None,
            event: None,
            hover: None,
        }
    }
}

/// A change to a scene, and what it is.
type Change = (&'static str, fn(&mut Scene));

/// A tessellated frame: per primitive its clip rectangle, texture, vertices and indices.
type Picture = Vec<(Rect, TextureId, Vec<Vertex>, Vec<u32>)>;

/// Runs one frame of `scene`; returns the picture and the address of the lanes' mesh.
fn draw(ctx: &egui::Context, scene: &Scene) -> (Picture, *const Mesh) {
    let groups = [TimelineGroup {
        title: "run".to_owned(),
        trace: &scene.trace,
    }];
    let events = scene.hover.map(Event::PointerMoved).into_iter().collect();
    let input = RawInput {
        screen_rect: Some(Rect::from_min_size(Pos2::ZERO, scene.size)),
        events,
        ..RawInput::default()
    };
    let mut view = scene.view.clone();
    let mut output = ctx.run_ui(input, |ui| {
        let overlays = Overlays {
            event: scene.event,
            pinned: scene.pinned,
            ..Overlays::default()
        };
        Timeline::new(&groups, &scene.theme)
            .overlays(overlays)
            .show(ui, &mut view);
    });
    output.textures_delta.clear();
    let lanes = output
        .shapes
        .iter()
        .find_map(|s| match &s.shape {
            Shape::Mesh(mesh) if mesh.vertices.len() > 1_000 => Some(Arc::as_ptr(mesh)),
            _ => None,
        })
        .unwrap_or(std::ptr::null());
    let picture = ctx
        .tessellate(output.shapes, output.pixels_per_point)
        .into_iter()
        .filter_map(|p| match p.primitive {
            Primitive::Mesh(m) => Some((p.clip_rect, m.texture_id, m.vertices, m.indices)),
            Primitive::Callback(_) => None,
        })
        .collect();
    (picture, lanes)
}

/// The same scene drawn with nothing kept from earlier frames.
fn from_scratch(ctx: &egui::Context, scene: &Scene) -> Picture {
    ctx.memory_mut(|m| m.data.clear());
    draw(ctx, scene).0
}

/// A finished trace turned live again and grown by `spans` spans on every lane.
fn grown(mut trace: Trace, spans: u64) -> Trace {
    trace.finished = false;
    let threads = trace.thread_lanes.len() as u32;
    for k in 0..spans {
        let t = trace.now + 700;
        let holder = (k % u64::from(threads)) as u32;
        trace.set(LaneId::Gil, t, Some((ThreadState::Running, holder)));
        trace.set(LaneId::Core(0), t, Some((ThreadState::Running, holder)));
        for th in 0..threads {
            let state = if th == holder {
                ThreadState::Running
            } else {
                ThreadState::WaitingGil
            };
            trace.set(LaneId::Thread(th), t, Some((state, NONE)));
        }
    }
    trace
}

#[test]
fn an_unchanged_frame_reuses_its_painting_and_any_change_repaints_it_as_from_scratch() {
    let trace = synthetic::trace(60_000, 6, 2, 5);
    let mut view = TimelineView::default();
    // Room on the right for the run to grow into.
    view.fit(trace.now * 3 / 2);
    view.follow_live = false;
    let mut scene = Scene::dark(trace, view);
    let ctx = egui::Context::default();
    let (mut previous, first) = draw(&ctx, &scene);
    let (again, second) = draw(&ctx, &scene);
    assert!(again == previous, "the same scene drew another picture");
    assert!(
        !first.is_null() && first == second,
        "an unchanged frame was repainted"
    );

    let changes: [Change; 9] = [
        ("the run grows", |s| s.trace = grown(s.trace.clone(), 400)),
        ("the run ends", |s| s.trace.close(s.trace.now + 5_000)),
        ("the run is replaced", |s| {
            s.trace = synthetic::trace(60_000, 6, 2, 6);
        }),
        ("a pan", |s| {
            let width = s.view.end - s.view.start;
            s.view.start += width / 7.0;
            s.view.end += width / 7.0;
        }),
        ("a zoom", |s| {
            s.view.end = f64::midpoint(s.view.start, s.view.end);
        }),
        ("the window shrinks", |s| s.size = vec2(1000.0, 600.0)),
        ("the light theme", |s| {
            s.theme = Theme::new(ThemeMode::Light, true);
        }),
        ("a pinned span", |s| {
            let mid = (s.view.start + s.view.end) as u64 / 2;
            s.pinned = s.trace.thread_lanes[1]
                .at(mid, s.trace.now)
                .map(|span| PinnedSpan {
                    group: 0,
                    lane: LaneId::Thread(1),
                    span,
                });
            assert!(s.pinned.is_some());
        }),
        ("the step's event", |s| {
            let time = (s.view.start + s.view.end) as u64 / 3;
            s.event = Some((
                0,
                RunEvent {
                    time,
                    kind: EventKind::Handoff,
                    thread: 1,
                    other: 2,
                },
            ));
        }),
    ];
    for (what, change) in changes {
        change(&mut scene);
        let (cached, _) = draw(&ctx, &scene);
        assert!(
            cached != previous,
            "{what}: the picture should have changed"
        );
        assert!(
            cached == from_scratch(&ctx, &scene),
            "{what}: a stale painting"
        );
        previous = cached;
    }
}

#[test]
fn hovering_draws_the_highlight_over_the_kept_painting() {
    let trace = synthetic::trace(20_000, 4, 1, 9);
    let mut view = TimelineView::default();
    view.fit(trace.now);
    let mut scene = Scene::dark(trace, view);
    let ctx = egui::Context::default();
    let (plain, lanes) = draw(&ctx, &scene);
    // Over a thread lane, in the middle of the plot.
    scene.hover = Some(pos2(700.0, 150.0));
    let (hovered, hovered_lanes) = draw(&ctx, &scene);
    assert_eq!(lanes, hovered_lanes, "hovering repainted the lanes");
    assert!(hovered != plain, "no highlight drawn");
    assert!(
        hovered == from_scratch(&ctx, &scene),
        "a stale painting under the highlight"
    );
}
