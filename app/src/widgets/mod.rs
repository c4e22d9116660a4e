//! Drawn widgets the views share: the state legend, line swatches, the line style of each run,
//! the fixed (non-zoomable) plot with its log axis, and the switch-interval sweep chart. They
//! paint with [`crate::theme`] and know nothing of the app.

pub mod legend;
pub mod plot;
pub mod run_style;
pub mod swatch;
pub mod sweep_chart;
