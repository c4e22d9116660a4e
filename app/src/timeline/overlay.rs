//! What the timeline draws over the lanes: the lost updates of the shared counters (each
//! stale load, the window to its store across the switch, the updates it erased), the step's
//! event, a selected time range and a pinned span.

use crate::format::count;
use crate::theme::Theme;
use crate::timeline::mapping::TimeMap;
use crate::timeline::paint::{Budget, outline, segment};
use egui::{Align2, Mesh, Painter, Rect, Shape, pos2, vec2};
use gilscope_sim::trace::StaleStore;
use gilscope_sim::{Nanos, Trace};

/// Stale stores read past the last one ending in view, to catch windows that began earlier.
const LOOK_PAST: usize = 64;

/// A stale load: a notch hanging from the top of the lane at the load.
pub fn load_mark(mesh: &mut Mesh, x: f32, lane: Rect, color: egui::Color32, scale: f32) {
    let w = 1.6 * scale;
    let h = lane.height() * 0.55;
    mesh.add_colored_rect(
        Rect::from_min_max(
            pos2(x - w * 0.5, lane.min.y),
            pos2(x + w * 0.5, lane.min.y + h),
        ),
        color,
    );
    mesh.add_colored_rect(
        Rect::from_min_max(
            pos2(x - w * 0.5, lane.min.y),
            pos2(x + 3.0 * w, lane.min.y + w),
        ),
        color,
    );
}

/// A stale store: a cross at the store, the value written over the others' updates.
pub fn store_mark(mesh: &mut Mesh, x: f32, lane: Rect, color: egui::Color32, scale: f32) {
    let r = (lane.height() * 0.28).min(6.0 * scale);
    let c = pos2(x, lane.min.y + r + 1.0);
    let w = 1.8 * scale;
    segment(mesh, c - vec2(r, r), c + vec2(r, r), w, color);
    segment(mesh, c - vec2(r, -r), c + vec2(r, -r), w, color);
}

/// Paints the lost updates of `trace` on its thread lanes (`rows[t]`): for every stale store
/// in view, the load, a bar along the top of the lane to the store, the store, and "−N" (the
/// updates erased) where it fits. Thinned to one window per lane every few points; a window
/// too narrow to show its load apart from its store is drawn as its store.
#[allow(clippy::too_many_arguments)] // One call site; the pieces of one frame.
pub fn lost_updates(
    mesh: &mut Mesh,
    texts: &mut Vec<Shape>,
    painter: &Painter,
    trace: &Trace,
    rows: &[Option<Rect>],
    map: &TimeMap,
    theme: &Theme,
    scale: f32,
    budget: &mut Budget,
) {
    let (from, to) = map.visible_ns();
    let stores = &trace.stale_stores;
    let font = theme.span_font();
    let mut last_x = vec![f32::NEG_INFINITY; rows.len()];
    // Stale stores are in store order per counter: walk each counter's run.
    let mut start = 0;
    while start < stores.len() {
        let counter = stores[start].counter;
        let end = start + stores[start..].partition_point(|s| s.counter == counter);
        let run = &stores[start..end];
        let first = run.partition_point(|s| s.store < from);
        let mut past = 0;
        for s in &run[first..] {
            if s.store >= to {
                past += 1;
                if past > LOOK_PAST {
                    break;
                }
            }
            if s.load >= to || s.erased() == 0 || budget.markers == 0 {
                continue;
            }
            let Some(Some(lane)) = rows.get(s.thread as usize).copied() else {
                continue;
            };
            let t = s.thread as usize;
            let (x0, x1) = (map.x(s.load as f64), map.x(s.store as f64));
            if x1 - last_x[t] < 4.0 * scale {
                continue;
            }
            last_x[t] = x1;
            budget.markers -= 1;
            window(
                mesh,
                texts,
                painter,
                s,
                lane,
                (x0, x1),
                map,
                theme,
                scale,
                &font,
            );
        }
        start = end;
    }
}

/// One stale store's load, window and store.
#[allow(clippy::too_many_arguments)] // Private helper of `lost_updates`.
fn window(
    mesh: &mut Mesh,
    texts: &mut Vec<Shape>,
    painter: &Painter,
    s: &StaleStore,
    lane: Rect,
    (x0, x1): (f32, f32),
    map: &TimeMap,
    theme: &Theme,
    scale: f32,
    font: &egui::FontId,
) {
    let color = theme.lost_update;
    let (lo, hi) = (map.left - 2.0, map.right + 2.0);
    let bar = Rect::from_min_max(
        pos2(x0.clamp(lo, hi), lane.min.y),
        pos2(
            x1.clamp(lo, hi).max(x0.clamp(lo, hi) + 1.0),
            lane.min.y + 2.0 * scale,
        ),
    );
    mesh.add_colored_rect(bar, color.gamma_multiply(0.8));
    if (lo..=hi).contains(&x0) && x1 - x0 >= 4.0 * scale {
        load_mark(mesh, x0, lane, color, scale);
    }
    if (lo..=hi).contains(&x1) {
        store_mark(mesh, x1, lane, color, scale);
        let label = format!("−{}", count(s.erased()));
        let galley = painter.layout_no_wrap(label, font.clone(), color);
        let size = galley.size();
        if x1 - x0 > size.x + 12.0 * scale {
            let pos = Align2::RIGHT_TOP.anchor_size(pos2(x1 - 8.0 * scale, bar.max.y), size);
            let plate = pos.expand2(vec2(2.0, 0.0));
            mesh.add_colored_rect(plate, theme.lane_background.gamma_multiply(0.85));
            texts.push(Shape::galley(pos.min, galley, color));
        }
    }
}

/// The largest ring around the step's event, in marks' sizes (points at a mark scale of 1).
const RING_MARKS: f32 = 24.0;

/// The step's event at `x`: a line down the group and a ring around the mark on its lanes.
pub fn event(
    mesh: &mut Mesh,
    x: f32,
    group: (f32, f32),
    lanes: &[Rect],
    theme: &Theme,
    scale: f32,
) {
    let color = theme.event_highlight;
    let w = 1.5 * scale;
    mesh.add_colored_rect(
        Rect::from_min_max(pos2(x - w * 0.5, group.0), pos2(x + w * 0.5, group.1)),
        color.gamma_multiply(0.7),
    );
    for lane in lanes {
        // As tall as the lane, up to the size the marks grow to (lanes grow further).
        let side = (lane.height() * 0.9).min(RING_MARKS * scale);
        let ring = Rect::from_center_size(pos2(x, lane.center().y), vec2(side, side));
        outline(mesh, ring, 2.0 * scale, color);
    }
}

/// A selected range `[a, b)` across the plot, from `top` to `bottom`.
pub fn selection(
    mesh: &mut Mesh,
    map: &TimeMap,
    (a, b): (Nanos, Nanos),
    top: f32,
    bottom: f32,
    theme: &Theme,
) {
    let (lo, hi) = (map.left, map.right);
    let (x0, x1) = (map.x(a as f64).clamp(lo, hi), map.x(b as f64).clamp(lo, hi));
    if x1 <= x0 {
        return;
    }
    let band = Rect::from_min_max(pos2(x0, top), pos2(x1.max(x0 + 1.0), bottom));
    mesh.add_colored_rect(band, theme.selection_fill);
    for x in [x0, x1] {
        mesh.add_colored_rect(
            Rect::from_min_max(pos2(x - 0.75, top), pos2(x + 0.75, bottom)),
            theme.selection_edge,
        );
    }
}

/// The outline of a pinned span.
pub fn pinned(mesh: &mut Mesh, rect: Rect, theme: &Theme) {
    outline(mesh, rect.expand(2.0), 2.5, theme.pinned);
}
