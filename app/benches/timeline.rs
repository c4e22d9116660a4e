//! One timeline frame, headless: egui layout (`Context::run_ui`) plus tessellation, no GPU,
//! at 1920×1080, with 1, 10 and 30 million spans, fully zoomed out and zoomed in, with
//! everything the classroom draws over the lanes: lost updates, the step's event, a
//! selection, a pinned span. Each view twice: drawn again unchanged (the timeline keeps its
//! painting between such frames) and moved by a nanosecond every frame (repainted from
//! scratch). At 30 M also a pan: each frame's view a tenth of its width on from the last,
//! zoomed in and at a tenth of the run.
//!
//! Run with `cargo bench -p gilscope --bench timeline` (one size: `-- 30M`).

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

/// The timeline tests' synthetic traces: test data, not part of the library.
#[path = "../src/timeline/synthetic.rs"]
mod synthetic;

use criterion::{Criterion, criterion_group, criterion_main};
use egui::{Pos2, RawInput, Rect, vec2};
use gilscope::theme::{Theme, ThemeMode};
use gilscope::timeline::{Overlays, PinnedSpan, Timeline, TimelineGroup, TimelineView};
use gilscope_sim::Trace;
use gilscope_sim::events::{EventKind, RunEvent};
use gilscope_sim::trace::LaneId;
use std::hint::black_box;

/// Lays out and tessellates one frame; returns the number of triangles.
fn frame(ctx: &egui::Context, trace: &Trace, theme: &Theme, view: &TimelineView) -> usize {
    let input = RawInput {
        screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(1920.0, 1080.0))),
        ..RawInput::default()
    };
    let groups = [TimelineGroup {
        title: String::new(),
        trace,
    }];
    let mut view = view.clone();
    // The step's event, a selection and a pin in the middle of the view.
    let mid = f64::midpoint(view.start, view.end) as u64;
    let width = (view.end - view.start) as u64;
    let event = RunEvent {
        time: mid,
        kind: EventKind::Handoff,
        thread: 1,
        other: 0,
    };
    let pinned = trace.thread_lanes[1]
        .at(mid, trace.now)
        .map(|span| PinnedSpan {
            group: 0,
            lane: LaneId::Thread(1),
            span,
        });
    let overlays = Overlays {
        event: Some((0, event)),
        selection: Some((mid - width / 8, mid + width / 8)),
        pinned,
        lanes: None,
    };
    let output = ctx.run_ui(input, |ui| {
        Timeline::new(&groups, theme)
            .overlays(overlays)
            .show(ui, &mut view);
    });
    let egui::FullOutput {
        shapes,
        pixels_per_point,
        mut textures_delta,
        ..
    } = output;
    textures_delta.clear();
    ctx.tessellate(shapes, pixels_per_point)
        .iter()
        .map(|p| match &p.primitive {
            egui::epaint::Primitive::Mesh(m) => m.indices.len() / 3,
            egui::epaint::Primitive::Callback(_) => 0,
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let theme = Theme::new(ThemeMode::Dark, false);
    let mut group = c.benchmark_group("timeline_frame_1920x1080");
    group.sample_size(20);
    for (label, spans) in [("1M", 1_000_000), ("10M", 10_000_000), ("30M", 30_000_000)] {
        // A filter naming sizes ("30M", "1M_zoomed_out") skips the traces of the others.
        let sizes: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| a.starts_with(|c: char| c.is_ascii_digit()) && a.contains('M'))
            .collect();
        if !sizes.is_empty() && !sizes.iter().any(|a| a.starts_with(label)) {
            continue;
        }
        // 16 threads on 4 cores: 21 lanes.
        let trace = synthetic::trace(spans, 16, 4, 42);
        let mut zoomed_out = TimelineView::default();
        zoomed_out.fit(trace.now);
        zoomed_out.follow_live = false;
        let mid = trace.now as f64 / 2.0;
        let zoomed_in = TimelineView {
            start: mid,
            end: mid + 200_000.0,
            follow_live: false,
            ..TimelineView::default()
        };
        for (zoom, view) in [("zoomed_out", zoomed_out), ("zoomed_in", zoomed_in)] {
            let ctx = egui::Context::default();
            // The first frame builds the per-lane prefix sums (once per trace, then extended
            // incrementally as a live run grows); measure steady-state frames after it.
            let triangles = frame(&ctx, &trace, &theme, &view);
            eprintln!(
                "{label} spans ({} exactly), {zoom}: {triangles} triangles per frame",
                trace.span_count()
            );
            group.bench_function(format!("{label}_{zoom}"), |b| {
                b.iter(|| black_box(frame(&ctx, &trace, &theme, &view)));
            });
            // The timeline keeps a frame's painting while nothing it shows changes (the
            // frames above after the first); here the view moves by a nanosecond each frame,
            // so every frame repaints from scratch, as while panning, zooming or following a
            // live run.
            let mut moved = view.clone();
            group.bench_function(format!("{label}_{zoom}_repainted"), |b| {
                b.iter(|| {
                    let step = if moved.start > view.start { -1.0 } else { 1.0 };
                    moved.start += step;
                    moved.end += step;
                    black_box(frame(&ctx, &trace, &theme, &moved))
                });
            });
        }
        if label == "30M" {
            pan(&mut group, &trace, &theme);
        }
    }
    group.finish();
}

/// Frames of a view panned by a tenth of its width each, zoomed in (200 µs) and at a tenth of
/// the run (about 30 ms, some 15,000 spans a lane at 30 M), wrapping around the run.
fn pan(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    trace: &Trace,
    theme: &Theme,
) {
    let end = trace.now as f64;
    for (zoom, width) in [("200us", 200_000.0), ("tenth", end / 10.0)] {
        let ctx = egui::Context::default();
        let mut start = 0.0;
        let mut view = TimelineView {
            start,
            end: width,
            follow_live: false,
            ..TimelineView::default()
        };
        frame(&ctx, trace, theme, &view);
        group.bench_function(format!("30M_pan_{zoom}"), |b| {
            b.iter(|| {
                start = (start + width / 10.0) % (end - width);
                view.start = start;
                view.end = start + width;
                black_box(frame(&ctx, trace, theme, &view))
            });
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
