//! Mouse and keyboard: zoom around the cursor (Ctrl+wheel, pinch, W/S), pan (drag, wheel,
//! A/D), double-click to fit.

use crate::timeline::TimelineView;
use crate::timeline::mapping::TimeMap;
use egui::{Key, PointerButton, Response, Ui, Vec2};
use gilscope_sim::Nanos;

/// Zoom factor per second while W or S is held.
const KEY_ZOOM_PER_SECOND: f64 = 4.0;
/// View widths panned per second while A or D is held.
const KEY_PAN_PER_SECOND: f64 = 0.8;

/// Applies this frame's input over the widget to `view`. `map` is the mapping the widget was
/// laid out with; `trace_end` is what a double-click fits to.
pub fn handle(
    ui: &Ui,
    response: &Response,
    map: &TimeMap,
    view: &mut TimelineView,
    trace_end: Nanos,
) {
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
    if response.dragged_by(PointerButton::Primary) {
        let dx = response.drag_delta().x;
        if dx != 0.0 {
            view.pan(-f64::from(dx) * ns_per_px);
        }
    }
    if response.double_clicked() {
        view.fit(trace_end);
    }
    if ui.ctx().text_edit_focused() {
        return;
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
        return;
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
}
