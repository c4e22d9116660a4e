//! Mapping between time (ns, as `f64`) and horizontal screen position (points).

/// A linear map from the time range `[start, end)` onto the pixel range `[left, right)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeMap {
    /// Time at `left`, ns.
    pub start: f64,
    /// Time at `right`, ns.
    pub end: f64,
    /// Left edge of the plot area, points.
    pub left: f32,
    /// Right edge of the plot area, points.
    pub right: f32,
}

impl TimeMap {
    /// A map of `[start, end)` onto `[left, right)`; a degenerate range is widened to 1 ns
    /// and a degenerate width to 1 point so that the map is always invertible.
    pub fn new(start: f64, end: f64, left: f32, right: f32) -> Self {
        let end = if end > start { end } else { start + 1.0 };
        let right = if right > left { right } else { left + 1.0 };
        Self {
            start,
            end,
            left,
            right,
        }
    }

    /// Width of the plot area, points.
    pub fn width(&self) -> f32 {
        self.right - self.left
    }

    /// Nanoseconds per point.
    pub fn ns_per_px(&self) -> f64 {
        (self.end - self.start) / f64::from(self.width())
    }

    /// Points per nanosecond.
    pub fn px_per_ns(&self) -> f64 {
        f64::from(self.width()) / (self.end - self.start)
    }

    /// Screen x of time `t` (may lie outside the plot area). Very distant times are clamped
    /// to ±1e6 points so that shapes never get infinite or overflowing coordinates.
    pub fn x(&self, t: f64) -> f32 {
        let x = f64::from(self.left) + (t - self.start) * self.px_per_ns();
        x.clamp(-1e6, 1e6) as f32
    }

    /// Time at screen x.
    pub fn t(&self, x: f32) -> f64 {
        self.start + f64::from(x - self.left) * self.ns_per_px()
    }

    /// Width in points of a duration.
    pub fn dx(&self, duration: f64) -> f64 {
        duration * self.px_per_ns()
    }

    /// The time where the pixel column after the one holding `t` begins, columns being
    /// `column_px` points wide from `left`. Computed in `f64` so that it always moves forward,
    /// however far from 0 `t` is.
    pub fn column_end(&self, t: f64, column_px: f32) -> f64 {
        let ns_per_column = self.ns_per_px() * f64::from(column_px);
        let column = floor((t - self.start) / ns_per_column + 1e-9) + 1.0;
        self.start + column * ns_per_column
    }

    /// The visible time range as whole nanoseconds `[from, to)`, never negative, never empty.
    pub fn visible_ns(&self) -> (u64, u64) {
        let from = self.start.max(0.0).floor() as u64;
        let to = (self.end.max(0.0).ceil() as u64).max(from + 1);
        (from, to)
    }
}

/// `x.floor()` without a call into libm (this runs once per pixel column per lane).
pub fn floor(x: f64) -> f64 {
    let t = x as i64 as f64;
    if t > x { t - 1.0 } else { t }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // The expected values are exact in binary floating point.
mod tests {
    use super::*;

    #[test]
    fn maps_time_to_pixels_and_back() {
        let m = TimeMap::new(1_000.0, 11_000.0, 100.0, 1100.0);
        assert!((m.x(1_000.0) - 100.0).abs() < 1e-4);
        assert!((m.x(11_000.0) - 1100.0).abs() < 1e-4);
        assert!((m.x(6_000.0) - 600.0).abs() < 1e-4);
        assert!((m.ns_per_px() - 10.0).abs() < 1e-9);
        for x in [100.0_f32, 123.5, 600.0, 1099.0] {
            assert!((m.x(m.t(x)) - x).abs() < 1e-3, "round trip at {x}");
        }
        assert!((m.t(350.0) - 3_500.0).abs() < 1e-6);
        assert_eq!(m.visible_ns(), (1_000, 11_000));
        assert!((m.column_end(1_000.0, 2.0) - 1_020.0).abs() < 1e-9);
        assert!((m.column_end(1_019.0, 2.0) - 1_020.0).abs() < 1e-9);
        assert!((m.column_end(1_020.0, 2.0) - 1_040.0).abs() < 1e-9);
        let far = TimeMap::new(0.0, 7e9, 0.0, 1920.0);
        let edge = far.column_end(5e9, 2.0);
        assert!(edge > 5e9 && far.column_end(edge.ceil(), 2.0) - edge > 7e6);
    }

    #[test]
    fn fast_floor_matches_floor() {
        for x in [0.0, 0.5, 1.0, 1.999, -0.5, -1.0, -1.5, 123_456.7, -7e9] {
            assert_eq!(floor(x), x.floor(), "{x}");
        }
    }

    #[test]
    fn handles_degenerate_and_extreme_inputs() {
        let m = TimeMap::new(5.0, 5.0, 10.0, 10.0);
        assert!(m.x(6.0).is_finite() && m.t(11.0).is_finite());
        let zoomed = TimeMap::new(0.0, 1e3, 0.0, 1000.0);
        assert_eq!(zoomed.x(1e15), 1e6);
        assert_eq!(zoomed.x(-1e15), -1e6);
        let before_zero = TimeMap::new(-50.0, 50.0, 0.0, 100.0);
        assert_eq!(before_zero.visible_ns(), (0, 50));
    }
}
