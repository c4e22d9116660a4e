//! gilscope: see Python's Global Interpreter Lock. The desktop app (`gui`) and the headless
//! subcommands (`cli`), as a library so both can be tested without a display.

pub mod cli;
pub mod gui;
pub mod plot_png;
pub mod sweep_chart;
pub mod theme;
pub mod timeline;
