//! What the timeline painted last frame, kept to be drawn again while nothing it was drawn
//! from has changed: a frame with the same view, size, theme, overlays and traces (the common
//! case: hovering, a tooltip, a static run on screen) costs no level-of-detail pass and no
//! meshing. Everything it depends on is in its [`PaintKey`]; a frame whose key differs
//! repaints from scratch (reusing the old mesh's buffers).

use super::{Frame, PinnedSpan, Row, Timeline};
use crate::theme::Theme;
use egui::{Mesh, Rect, Shape};
use gilscope_sim::events::RunEvent;
use gilscope_sim::trace::{Lane, Marker, Span};
use gilscope_sim::{Nanos, Trace};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// A lane as far as the picture can tell it has changed: its closed spans' count, first and
/// last, and the span in progress.
#[derive(Clone, Copy, Debug, PartialEq)]
struct LaneStamp {
    spans: usize,
    first: Option<Span>,
    last: Option<Span>,
    open: Option<Span>,
}

impl LaneStamp {
    fn of(lane: &Lane) -> Self {
        Self {
            spans: lane.spans.len(),
            first: lane.spans.first(),
            last: lane.spans.last(),
            open: lane.open,
        }
    }
}

/// A trace as far as the picture can tell it has changed. A trace that only grows (a live
/// run) changes its end and its last spans; a replaced run changes its spans' counts or ends
/// on some lane (the same test [`super::lod::LaneIndex::update`] makes to keep its sums).
#[derive(Clone, Debug, PartialEq)]
struct TraceStamp {
    title: String,
    now: Nanos,
    finished: bool,
    lanes: Vec<LaneStamp>,
    markers: usize,
    last_marker: Option<Marker>,
    stale_stores: usize,
    /// Thread names (labels) and the empty GIL lane's text, hashed.
    names: u64,
}

impl TraceStamp {
    fn of(title: &str, trace: &Trace) -> Self {
        let mut names = DefaultHasher::new();
        for t in &trace.threads {
            t.name.hash(&mut names);
        }
        super::empty_gil_lane(&trace.meta.config).hash(&mut names);
        Self {
            title: title.to_owned(),
            now: trace.now,
            finished: trace.finished,
            lanes: std::iter::once(&trace.gil)
                .chain(&trace.thread_lanes)
                .chain(&trace.cores)
                .map(LaneStamp::of)
                .collect(),
            markers: trace.markers.len(),
            last_marker: trace.markers.last().copied(),
            stale_stores: trace.stale_stores.len(),
            names: names.finish(),
        }
    }
}

/// Everything the cached painting was drawn from.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct PaintKey {
    rect: Rect,
    clip: Rect,
    map: super::TimeMap,
    axis_h: f32,
    rows: Vec<Row>,
    lane_scale: f32,
    pixels_per_point: f32,
    theme: Theme,
    show_markers: bool,
    event: Option<(usize, RunEvent)>,
    pinned: Option<PinnedSpan>,
    traces: Vec<TraceStamp>,
}

impl PaintKey {
    /// The key of what `timeline` draws in `frame`.
    pub(super) fn new(timeline: &Timeline<'_>, frame: &Frame) -> Self {
        Self {
            rect: frame.rect,
            clip: frame.painter.clip_rect(),
            map: frame.map,
            axis_h: frame.axis_h,
            rows: frame.rows.clone(),
            lane_scale: timeline.lane_scale,
            pixels_per_point: frame.painter.pixels_per_point(),
            theme: timeline.theme.clone(),
            show_markers: timeline.show_markers,
            event: timeline.overlays.event,
            pinned: timeline.overlays.pinned,
            traces: timeline
                .groups
                .iter()
                .map(|g| TraceStamp::of(&g.title, g.trace))
                .collect(),
        }
    }
}

/// The painting of everything but the selection and the hovered span's highlight: lanes,
/// markers, lost updates, the step's event, the pinned span, labels and the time axis.
pub(super) struct Painted {
    /// What it was drawn from.
    pub key: PaintKey,
    /// Backgrounds, grid, lanes, markers and overlays, shared with egui while it tessellates.
    pub mesh: Arc<Mesh>,
    /// Labels, drawn over `mesh`.
    pub texts: Vec<Shape>,
    /// The time axis band and ticks, drawn last (over lanes scrolled under it).
    pub axis_mesh: Arc<Mesh>,
    /// The axis labels.
    pub axis_texts: Vec<Shape>,
}

impl Painted {
    /// Paints it with `painter`, and `top` (the selection, the highlight) between the lanes
    /// and their labels. The lanes' mesh is clipped to below the time axis (`lanes_top`),
    /// where it shows anyway (the axis band is opaque and drawn last): in a clip rectangle of
    /// its own, egui copies it into a mesh of its own, allocated once at its size, rather than
    /// into one that grows (copied and faulted in again) as the labels after it are added.
    pub fn paint(&self, painter: &egui::Painter, lanes_top: f32, top: Mesh) {
        painter
            .with_clip_rect(Rect::everything_below(lanes_top))
            .add(Shape::Mesh(Arc::clone(&self.mesh)));
        if !top.is_empty() {
            painter.add(Shape::mesh(top));
        }
        painter.extend(self.texts.iter().cloned());
        painter.add(Shape::Mesh(Arc::clone(&self.axis_mesh)));
        painter.extend(self.axis_texts.iter().cloned());
    }

    /// The mesh's buffers, cleared, when egui no longer holds it; else a new mesh.
    pub fn take_mesh(self) -> Mesh {
        Arc::try_unwrap(self.mesh)
            .map(|mut mesh| {
                // Not `Mesh::clear`: in epaint 0.37 it drops the vertices' buffer.
                mesh.indices.clear();
                mesh.vertices.clear();
                mesh
            })
            .unwrap_or_default()
    }
}
