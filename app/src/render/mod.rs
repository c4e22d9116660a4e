//! Headless pictures: [`cpu`] rasterizes any egui UI into pixels, [`sweep_png`] uses it to
//! export the sweep chart.

pub mod cpu;
pub mod sweep_png;
