//! Analysis of traces and sweeps for the plots: series over time (sharing the timeline's time
//! axis), distributions with percentiles, sampling monitors compared with the ground truth, and
//! the one-line verdict of a switch-interval sweep. Everything here reads a [`Trace`] or
//! [`Stats`] rows and knows nothing about drawing.
//!
//! [`Trace`]: crate::trace::Trace
//! [`Stats`]: crate::stats::Stats

pub mod histogram;
pub mod samplers;
pub mod series;
pub mod verdict;

pub use histogram::{Distributions, Histogram};
pub use samplers::{GilLoadReport, PySpyReport, SamplerError, SamplerSettings, Timing};
pub use series::{Buckets, BytecodeIndex, CoreUtilization};
pub use verdict::{format_interval, sweep_verdict};
