//! A legend swatch for a plotted line: a short stroke in the line's colour and run style,
//! with the series' marker on it if it has one.

use crate::widgets::run_style::line_style;
use egui::{Color32, Stroke, Ui, Vec2};
use egui_plot::{LineStyle, MarkerShape};

/// Draws a swatch as tall as a line of body text: solid or dashed as
/// [`line_style`]`(style_index)`, with `marker` in its middle if given.
pub fn line_swatch(ui: &mut Ui, color: Color32, style_index: usize, marker: Option<MarkerShape>) {
    let height = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(Vec2::new(height * 1.8, height), egui::Sense::hover());
    let y = rect.center().y;
    let stroke = Stroke::new(2.0, color);
    let painter = ui.painter();
    if matches!(line_style(style_index), LineStyle::Solid) {
        painter.line_segment(
            [egui::pos2(rect.left(), y), egui::pos2(rect.right(), y)],
            stroke,
        );
    } else {
        let pieces = 3;
        let w = rect.width() / (2 * pieces - 1) as f32;
        for k in 0..pieces {
            let x = rect.left() + 2.0 * k as f32 * w;
            painter.line_segment([egui::pos2(x, y), egui::pos2(x + w, y)], stroke);
        }
    }
    let r = height * 0.22;
    match marker {
        Some(MarkerShape::Circle) => {
            painter.circle_filled(rect.center(), r, color);
        }
        Some(_) => {
            painter.rect_filled(
                egui::Rect::from_center_size(rect.center(), Vec2::splat(2.0 * r)),
                0.0,
                color,
            );
        }
        None => {}
    }
}
