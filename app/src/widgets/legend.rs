//! The legend of thread states: each state's swatch, drawn with the timeline's own pattern and
//! height, and its name; and of the marks drawn on the lanes (drop requests, handoff arrows,
//! forced switches, lock events, futile wake-ups, lost updates), drawn by the timeline's own
//! painters at the size they have on the lanes.

use crate::theme::Theme;
use crate::timeline::overlay::{load_mark, store_mark};
use crate::timeline::paint::{arrow, instant_mark, state_block};
use egui::Ui;
use gilscope_sim::ThreadState;
use gilscope_sim::trace::MarkerKind;

/// A mark of the timeline, as the legend lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// A drop request: the triangle at the top of the holder's lane.
    DropRequest,
    /// A handoff: the arrow from the old holder to the new one.
    Handoff,
    /// A forced switch: the hollow square at the bottom of the holder's lane.
    ForcedSwitch,
    /// A lock acquired, released or blocked on: the diamonds.
    Lock,
    /// The old GIL's futile wake-up: the cross.
    FutileWakeup,
    /// A lost update: the stale load, the window to the store, the store.
    LostUpdate,
}

impl Mark {
    /// What the legend says.
    pub fn label(self) -> &'static str {
        match self {
            Self::DropRequest => "drop request",
            Self::Handoff => "GIL handoff",
            Self::ForcedSwitch => "forced switch",
            Self::Lock => "lock acquired / released / blocked",
            Self::FutileWakeup => "futile wake-up",
            Self::LostUpdate => "stale load, then its store: updates lost",
        }
    }
}

/// The size of marks in the legend, in the units of the timeline's mark scale.
pub fn mark_scale(theme: &Theme) -> f32 {
    1.2 * theme.text_scale()
}

/// The height of one row of the mark legend.
fn mark_row_height(theme: &Theme) -> f32 {
    (theme.label_font().size * 1.3).max(14.0 * mark_scale(theme))
}

/// The height the legends of `states` and `marks` take in `ui`, laid out as [`state_legend`]
/// and [`mark_legend`] lay them out (wrapping in its width).
pub fn legend_height(ui: &Ui, theme: &Theme, states: &[ThreadState], marks: &[Mark]) -> f32 {
    let (state_rows, mark_rows) = legend_rows(ui, theme, states, marks, ui.available_width());
    let spacing = ui.spacing().item_spacing.y;
    let state_row = theme.label_font().size * 1.35;
    state_rows as f32 * (state_row + spacing)
        + mark_rows as f32 * (mark_row_height(theme) + spacing)
}

/// How many rows the legends of `states` and `marks` take in a row `width` points wide.
fn legend_rows(
    ui: &Ui,
    theme: &Theme,
    states: &[ThreadState],
    marks: &[Mark],
    width: f32,
) -> (usize, usize) {
    let font = theme.label_font();
    let gap = font.size * 0.4;
    let spacing = font.size;
    let text_w = |text: &str| {
        ui.painter()
            .layout_no_wrap(text.to_owned(), font.clone(), theme.text)
            .size()
            .x
    };
    let rows = |widths: Vec<f32>| {
        if widths.is_empty() {
            return 0;
        }
        let (mut rows, mut used) = (1, 0.0);
        for w in widths {
            if used > 0.0 && used + w > width {
                rows += 1;
                used = 0.0;
            }
            used += w + spacing;
        }
        rows
    };
    let swatch = 1.8 * font.size;
    let box_h = mark_row_height(theme);
    (
        rows(
            states
                .iter()
                .map(|s| swatch + gap + text_w(s.label()))
                .collect(),
        ),
        rows(
            marks
                .iter()
                .map(|m| {
                    let glyph = if *m == Mark::LostUpdate {
                        box_h * 2.4
                    } else {
                        box_h
                    };
                    glyph + gap + text_w(m.label())
                })
                .collect(),
        ),
    )
}

/// One entry per mark of `marks`, drawn by the timeline's painters at [`mark_scale`],
/// wrapping like [`state_legend`].
pub fn mark_legend(ui: &mut Ui, theme: &Theme, marks: &[Mark]) {
    let font = theme.label_font();
    let scale = mark_scale(theme);
    let box_h = mark_row_height(theme);
    let gap = font.size * 0.4;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = font.size;
        for &mark in marks {
            let galley =
                ui.painter()
                    .layout_no_wrap(mark.label().to_owned(), font.clone(), theme.text);
            let glyph_w = if mark == Mark::LostUpdate {
                box_h * 2.4
            } else {
                box_h
            };
            let size = egui::vec2(glyph_w + gap + galley.size().x, box_h.max(galley.size().y));
            let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
            let lane = egui::Rect::from_min_size(
                rect.min + egui::vec2(0.0, (size.y - box_h) * 0.5),
                egui::vec2(glyph_w, box_h),
            );
            let mut mesh = egui::Mesh::default();
            mesh.add_colored_rect(lane, theme.lane_background);
            let x = lane.center().x;
            match mark {
                Mark::DropRequest => {
                    instant_mark(&mut mesh, MarkerKind::DropRequest, lane, x, theme, scale);
                }
                Mark::ForcedSwitch => {
                    instant_mark(&mut mesh, MarkerKind::ForcedSwitch, lane, x, theme, scale);
                }
                Mark::FutileWakeup => {
                    instant_mark(&mut mesh, MarkerKind::FutileWakeup, lane, x, theme, scale);
                }
                Mark::Lock => {
                    instant_mark(&mut mesh, MarkerKind::LockAcquired, lane, x, theme, scale);
                }
                Mark::Handoff => {
                    let mut stroke = theme.handoff_stroke();
                    stroke.width *= scale;
                    arrow(
                        &mut mesh,
                        x,
                        lane.min.y + 1.0,
                        lane.max.y - 1.0,
                        stroke,
                        scale,
                    );
                }
                Mark::LostUpdate => {
                    let (x0, x1) = (lane.min.x + 3.0 * scale, lane.max.x - 6.0 * scale);
                    mesh.add_colored_rect(
                        egui::Rect::from_min_max(
                            egui::pos2(x0, lane.min.y),
                            egui::pos2(x1, lane.min.y + 2.0 * scale),
                        ),
                        theme.lost_update,
                    );
                    load_mark(&mut mesh, x0, lane, theme.lost_update, scale);
                    store_mark(&mut mesh, x1, lane, theme.lost_update, scale);
                }
            }
            ui.painter().add(egui::Shape::mesh(mesh));
            let text_pos = egui::pos2(lane.max.x + gap, rect.center().y - galley.size().y * 0.5);
            ui.painter().galley(text_pos, galley, theme.text);
            response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, mark.label()));
        }
    });
}

/// One swatch per state of `states` (those a run on screen shows), with its label. Items wrap
/// onto more lines when the row is too narrow, never splitting swatch and label.
pub fn state_legend(ui: &mut Ui, theme: &Theme, states: &[ThreadState]) {
    let font = theme.label_font();
    let swatch = egui::vec2(1.8 * font.size, font.size);
    let gap = font.size * 0.4;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = font.size;
        for &state in states {
            let galley =
                ui.painter()
                    .layout_no_wrap(state.label().to_owned(), font.clone(), theme.text);
            let size = egui::vec2(
                swatch.x + gap + galley.size().x,
                swatch.y.max(galley.size().y),
            );
            let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
            let swatch_rect = egui::Rect::from_min_size(
                rect.min + egui::vec2(0.0, (size.y - swatch.y) * 0.5),
                swatch,
            );
            let mut mesh = egui::Mesh::default();
            state_block(&mut mesh, swatch_rect, theme.state_style(state), 1.0);
            ui.painter().add(egui::Shape::mesh(mesh));
            let text_pos = egui::pos2(
                swatch_rect.max.x + gap,
                rect.center().y - galley.size().y * 0.5,
            );
            ui.painter().galley(text_pos, galley, theme.text);
            response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, state.label()));
        }
    });
}
