//! The legend of thread states: each state's swatch, drawn with the timeline's own pattern and
//! height, and its name.

use crate::theme::Theme;
use crate::timeline::paint::state_block;
use egui::Ui;
use gilscope_sim::ThreadState;

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
