//! How runs and series are told apart in plots, besides their colour: run A (or the first
//! sweep) solid with round markers, run B (or the overlay) dashed with square ones.

use egui_plot::{LineStyle, MarkerShape};

/// The line style of run (or series) `index`: solid for the first, dashed for the others.
pub fn line_style(index: usize) -> LineStyle {
    if index == 0 {
        LineStyle::Solid
    } else {
        LineStyle::dashed_loose()
    }
}

/// The point marker of series `index`: circles for the first, squares for the others.
pub fn marker(index: usize) -> MarkerShape {
    if index == 0 {
        MarkerShape::Circle
    } else {
        MarkerShape::Square
    }
}
