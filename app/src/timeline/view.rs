//! The visible time range and how it follows a run: a new run fits itself (the whole run,
//! growing), a zoom or pan takes over, returning to the growing end follows it again, and a
//! pinned view stays where it is across runs.

use gilscope_sim::Nanos;

/// The narrowest view, ns.
pub const MIN_VIEW_NS: f64 = 20.0;
/// The widest view, ns (about three hours).
pub const MAX_VIEW_NS: f64 = 1e13;
/// How far past the end of a run the view may be panned, in view widths.
const PAST_END: f64 = 0.25;

/// The visible time range, in ns, and whether it follows the growing end of a live run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimelineView {
    /// Time at the left edge, ns.
    pub start: f64,
    /// Time at the right edge, ns.
    pub end: f64,
    /// Track the end of the run as it grows (turned off by any manual zoom or pan).
    pub follow_live: bool,
    /// Show the whole run from 0, widening as it grows (a new run starts so; a zoom or pan
    /// turns it off).
    #[serde(default)]
    pub whole: bool,
    /// Keep this range when a new run starts (the user pinned it).
    #[serde(default)]
    pub pinned: bool,
}

impl Default for TimelineView {
    /// 0 to 10 ms, following the run.
    fn default() -> Self {
        Self {
            start: 0.0,
            end: 10e6,
            follow_live: true,
            whole: false,
            pinned: false,
        }
    }
}

impl TimelineView {
    /// Width of the view, ns.
    pub fn width(&self) -> f64 {
        self.end - self.start
    }

    /// A new run starts: unless pinned, show it whole from 0, at least `initial` ns wide
    /// until it grows past that.
    pub fn new_run(&mut self, initial: Nanos) {
        if self.pinned {
            return;
        }
        self.start = 0.0;
        self.end = (initial as f64).clamp(MIN_VIEW_NS, MAX_VIEW_NS);
        self.whole = true;
        self.follow_live = true;
    }

    /// Shows the whole run `0..trace_end` (with a small margin) and follows it again.
    pub fn fit(&mut self, trace_end: Nanos) {
        let end = (trace_end as f64).max(1_000.0);
        self.start = 0.0;
        self.end = (end * 1.02).clamp(MIN_VIEW_NS, MAX_VIEW_NS);
        self.follow_live = true;
        self.whole = true;
    }

    /// Zooms in by `factor` (> 1 zooms in, < 1 out) keeping time `anchor_ns` where it is on
    /// screen. Turns follow-live off.
    pub fn zoom(&mut self, factor: f64, anchor_ns: f64) {
        self.sanitize();
        if !(factor.is_finite() && factor > 0.0 && anchor_ns.is_finite()) {
            return;
        }
        let width = self.width();
        let new_width = (width / factor).clamp(MIN_VIEW_NS, MAX_VIEW_NS);
        let frac = ((anchor_ns - self.start) / width).clamp(0.0, 1.0);
        let anchor = self.start + frac * width;
        self.start = anchor - frac * new_width;
        self.end = self.start + new_width;
        self.keep_near_zero();
        self.manual();
    }

    /// Moves the view by `delta_ns` (positive: later). Turns follow-live off.
    pub fn pan(&mut self, delta_ns: f64) {
        self.sanitize();
        if !delta_ns.is_finite() {
            return;
        }
        self.start += delta_ns;
        self.end += delta_ns;
        self.keep_near_zero();
        self.manual();
    }

    /// Centres the view on `t`, `width` ns wide: never before 0, at most half a view past
    /// `trace_end` (so that the newest event of a stepped run is centred too). Stops following.
    pub fn centre(&mut self, t: f64, width: f64, trace_end: Nanos) {
        let width = width.clamp(MIN_VIEW_NS, MAX_VIEW_NS);
        let latest_start = (trace_end as f64 - width * 0.5).max(0.0);
        self.start = if t.is_finite() {
            (t - width * 0.5).clamp(0.0, latest_start)
        } else {
            0.0
        };
        self.end = self.start + width;
        self.manual();
    }

    /// While following, moves the view so that it shows the end of a run that has reached
    /// `trace_end` (keeping its width, or from 0 when showing the whole run); a run that
    /// restarted brings it back to 0.
    pub fn track(&mut self, trace_end: Nanos) {
        self.sanitize();
        if self.whole {
            let end = trace_end as f64 * 1.02;
            if end > self.end || (self.start > 0.0) {
                self.start = 0.0;
                self.end = end.max(self.end).clamp(MIN_VIEW_NS, MAX_VIEW_NS);
            }
        } else if self.follow_live {
            let width = self.width();
            self.end = width.max(trace_end as f64);
            self.start = self.end - width;
        }
    }

    /// After the user moved the view over a run that has reached `trace_end`: never before 0,
    /// never far past the end; and back at the growing end of a run (`growing`), it follows
    /// again.
    pub fn settle_user_move(&mut self, trace_end: Nanos, growing: bool) {
        self.limit(trace_end);
        if growing && self.end >= trace_end as f64 {
            self.follow_live = true;
        }
    }

    /// Keeps the view within `0 ..` a little past `trace_end` (a view wider than the run
    /// starts at 0).
    pub fn limit(&mut self, trace_end: Nanos) {
        self.sanitize();
        let width = self.width();
        let latest_start = (trace_end as f64 + PAST_END * width - width).max(0.0);
        self.start = self.start.clamp(0.0, latest_start);
        self.end = self.start + width;
    }

    fn manual(&mut self) {
        self.follow_live = false;
        self.whole = false;
    }

    /// Never show more than half a view before time 0.
    fn keep_near_zero(&mut self) {
        let width = self.width();
        if self.start < -0.5 * width {
            self.start = -0.5 * width;
            self.end = self.start + width;
        }
    }

    /// Repairs a view with non-finite or inverted bounds (e.g. from a corrupt settings file).
    fn sanitize(&mut self) {
        let ok = self.start.is_finite()
            && self.end.is_finite()
            && self.end - self.start >= MIN_VIEW_NS * 0.5;
        if !ok {
            let (follow, pinned) = (self.follow_live, self.pinned);
            *self = Self {
                follow_live: follow,
                pinned,
                ..Self::default()
            };
        }
        if self.width() > MAX_VIEW_NS {
            self.end = self.start + MAX_VIEW_NS;
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // The expected values are exact in binary floating point.
mod tests {
    use super::*;

    #[test]
    fn a_new_run_shows_itself_whole_unless_pinned() {
        let mut view = TimelineView {
            start: 5e9,
            end: 6e9,
            follow_live: false,
            ..TimelineView::default()
        };
        view.new_run(20_000_000);
        assert_eq!((view.start, view.end), (0.0, 20e6));
        view.track(5_000_000);
        assert_eq!(
            (view.start, view.end),
            (0.0, 20e6),
            "a short run keeps the width"
        );
        view.track(100_000_000);
        assert_eq!((view.start, view.end), (0.0, 102e6), "a long one widens it");
        view.pinned = true;
        view.start = 1e6;
        view.end = 2e6;
        view.new_run(20_000_000);
        assert_eq!((view.start, view.end), (1e6, 2e6), "a pinned view stays");
    }

    #[test]
    fn user_moves_stay_within_the_run_and_the_end_follows_again() {
        let mut view = TimelineView::default();
        view.fit(100_000_000);
        view.zoom(10.0, 0.0);
        view.pan(-1e9);
        view.settle_user_move(100_000_000, true);
        assert_eq!(view.start, 0.0, "never before 0");
        assert!(!view.follow_live);
        view.pan(1e12);
        view.settle_user_move(100_000_000, false);
        assert!(view.end <= 100e6 + 0.25 * view.width() + 1.0, "{view:?}");
        assert!(!view.follow_live, "a finished run is not followed");
        view.settle_user_move(100_000_000, true);
        assert!(view.follow_live, "back at a growing end: follow it");
        view.centre(50e6, 1e6, 100_000_000);
        assert_eq!((view.start, view.end), (49.5e6, 50.5e6));
        assert!(!view.follow_live && !view.whole);
    }
}
