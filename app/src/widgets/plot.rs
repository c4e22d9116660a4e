//! The plots of the analysis views: fixed plots (no zoom, pan or scroll of their own: the
//! timeline or the chart drives their axes) in the theme's grid colour, and the grid marks of
//! a log10 axis.

use crate::theme::Theme;
use egui_plot::{GridInput, GridMark, Plot};

/// A plot with id `id` that ignores zoom, drag, scroll, boxed zoom and double-click reset, and
/// shows no x readout on hover; the caller sets its size, axes and bounds.
pub fn fixed_plot<'a>(id: impl egui::AsIdSalt, theme: &Theme) -> Plot<'a> {
    Plot::new(id)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_x(false)
        .grid_color(theme.grid)
}

/// Grid marks for a log10 axis: decades strong, 2× and 5× weaker.
#[allow(
    clippy::needless_pass_by_value,
    reason = "the signature egui_plot's grid spacers have"
)]
pub fn log_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || hi - lo > 30.0 {
        return Vec::new();
    }
    let mut marks = Vec::new();
    for decade in (lo.floor() as i32 - 1)..=(hi.ceil() as i32) {
        // 1 µs, 1 ms and 1 s (every third decade, in ms) keep their labels longest.
        let decade_step = if decade.rem_euclid(3) == 0 { 3.0 } else { 1.0 };
        for (factor, step) in [(1.0f64, decade_step), (2.0, 0.3), (5.0, 0.3)] {
            let value = f64::from(decade) + factor.log10();
            if (lo..=hi).contains(&value) {
                marks.push(GridMark {
                    value,
                    step_size: step,
                });
            }
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_marks_decades() {
        let marks = log_marks(GridInput {
            bounds: (-1.0, 2.0),
            base_step_size: 0.01,
        });
        let decades = marks.iter().filter(|m| m.step_size >= 1.0).count();
        assert_eq!(decades, 4);
        // 1 ms (x = 0) is a major mark: its label stays when others are crowded out.
        assert!(
            marks
                .iter()
                .any(|m| m.value.abs() < 1e-12 && m.step_size > 1.0)
        );
        assert_eq!(marks.len(), 4 + 3 * 2);
    }
}
