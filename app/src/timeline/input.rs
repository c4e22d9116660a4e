//! Mouse and keyboard: zoom around the cursor (Ctrl+wheel, pinch, W/S), pan (drag, wheel,
//! A/D), double-click to fit, select a range (Shift+drag, or drag along the time axis). The
//! view never goes before 0 or far past the end, and returning to a growing end follows it.

use crate::timeline::TimelineView;
use crate::timeline::mapping::TimeMap;
use egui::{Key, PointerButton, Response, Ui, Vec2};
use gilscope_sim::Nanos;

/// What the input works within.
#[derive(Clone, Copy, Debug)]
pub struct Extent {
    /// How far the runs reach, ns.
    pub trace_end: Nanos,
    /// Whether a run is still growing.
    pub growing: bool,
    /// The bottom of the time axis: a drag that starts above it selects a range.
    pub axis_bottom: f32,
}

/// Zoom factor per second while W or S is held.
const KEY_ZOOM_PER_SECOND: f64 = 4.0;
/// View widths panned per second while A or D is held.
const KEY_PAN_PER_SECOND: f64 = 0.8;

/// Applies this frame's input over the widget to `view`; returns the range being selected,
/// if a selection drag is under way. `map` is the mapping the widget was laid out with.
pub fn handle(
    ui: &Ui,
    response: &Response,
    map: &TimeMap,
    view: &mut TimelineView,
    extent: Extent,
) -> Option<(Nanos, Nanos)> {
    let before = view.clone();
    let selection = move_view(ui, response, map, view, extent);
    if *view != before {
        view.settle_user_move(extent.trace_end, extent.growing);
    }
    selection
}

fn move_view(
    ui: &Ui,
    response: &Response,
    map: &TimeMap,
    view: &mut TimelineView,
    extent: Extent,
) -> Option<(Nanos, Nanos)> {
    let trace_end = extent.trace_end;
    let ns_per_px = map.ns_per_px();
    let fully_visible = ui.clip_rect().contains_rect(response.rect);
    let hover_t = response
        .hover_pos()
        .map(|p| map.t(p.x.clamp(map.left, map.right)));
    if response.hovered() {
        let (zoom, scroll) = ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta()));
        if (zoom - 1.0).abs() > 1e-4 {
            view.zoom(
                f64::from(zoom),
                hover_t.unwrap_or((view.start + view.end) * 0.5),
            );
        } else if scroll != Vec2::ZERO {
            // The horizontal wheel always pans time. The vertical wheel pans time too, unless
            // the timeline is taller than what is visible of it: then it scrolls the lanes
            // (the enclosing scroll area gets it).
            let vertical = if fully_visible { scroll.y } else { 0.0 };
            let delta = scroll.x + vertical;
            if delta != 0.0 {
                view.pan(-f64::from(delta) * ns_per_px);
                ui.input_mut(|i| {
                    i.smooth_scroll_delta.x = 0.0;
                    if fully_visible {
                        i.smooth_scroll_delta.y = 0.0;
                    }
                });
            }
        }
    }
    let mut selection = None;
    if response.dragged_by(PointerButton::Primary) {
        let (shift, origin) = ui.input(|i| (i.modifiers.shift, i.pointer.press_origin()));
        let on_axis = origin.is_some_and(|o| o.y < extent.axis_bottom);
        match (origin, response.interact_pointer_pos()) {
            (Some(origin), Some(now)) if shift || on_axis => {
                let at = |x: f32| {
                    map.t(x.clamp(map.left, map.right))
                        .clamp(0.0, trace_end as f64) as Nanos
                };
                let (a, b) = (at(origin.x), at(now.x));
                selection = Some((a.min(b), a.max(b)));
            }
            _ => {
                let dx = response.drag_delta().x;
                if dx != 0.0 {
                    view.pan(-f64::from(dx) * ns_per_px);
                }
            }
        }
    }
    if response.double_clicked() {
        view.fit(trace_end);
    }
    if ui.ctx().text_edit_focused() {
        return selection;
    }
    let (keys, dt) = ui.input(|i| {
        let plain = !(i.modifiers.ctrl || i.modifiers.alt || i.modifiers.command);
        let down = |k| plain && i.key_down(k);
        (
            [down(Key::W), down(Key::S), down(Key::A), down(Key::D)],
            f64::from(i.stable_dt.clamp(1e-3, 0.1)),
        )
    });
    let [w, s, a, d] = keys;
    if !(w || s || a || d) {
        return selection;
    }
    let anchor = hover_t.unwrap_or((view.start + view.end) * 0.5);
    if w != s {
        let factor = KEY_ZOOM_PER_SECOND.powf(dt);
        view.zoom(if w { factor } else { 1.0 / factor }, anchor);
    }
    if a != d {
        let delta = (view.end - view.start) * KEY_PAN_PER_SECOND * dt;
        view.pan(if d { delta } else { -delta });
    }
    ui.ctx().request_repaint();
    selection
}
