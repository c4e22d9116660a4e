//! gilscope: see Python's Global Interpreter Lock. The desktop app (`gui`) and the headless
//! subcommands (`cli`), as a library so both can be tested without a display.
//!
//! Layers, each using only those above it: [`theme`] and [`format`] (leaves: colours, sizes,
//! fonts; how numbers are written), [`timeline`] (the timeline widget), [`widgets`] (legend,
//! swatches, plots, the sweep chart), [`render`] (headless PNGs), then [`gui`] and [`cli`].

pub mod cli;
pub mod format;
pub mod gui;
pub mod render;
pub mod theme;
pub mod timeline;
pub mod widgets;
