//! Choosing axis ticks: "nice" steps of 1, 2 or 5 × 10ⁿ ns, labelled in a unit (ns, µs, ms,
//! s) that suits the step.

/// The unit tick labels are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds.
    Ns,
    /// Microseconds.
    Us,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
}

impl Unit {
    /// Nanoseconds in one unit.
    pub fn scale(self) -> f64 {
        match self {
            Self::Ns => 1.0,
            Self::Us => 1e3,
            Self::Ms => 1e6,
            Self::S => 1e9,
        }
    }

    /// The symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Ns => "ns",
            Self::Us => "µs",
            Self::Ms => "ms",
            Self::S => "s",
        }
    }

    /// The unit for ticks `step` ns apart: the largest unit not larger than ten steps, so
    /// labels need at most one decimal more than the step itself ("1.2 µs", "3 ms", "0.5 s").
    pub fn for_step(step: f64) -> Self {
        let step = step * 10.0;
        if step >= 1e9 {
            Self::S
        } else if step >= 1e6 {
            Self::Ms
        } else if step >= 1e3 {
            Self::Us
        } else {
            Self::Ns
        }
    }
}

/// The ticks of one axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    /// Distance between ticks, ns (1, 2 or 5 × 10ⁿ, at least 1 ns).
    pub step: f64,
    /// The unit labels use.
    pub unit: Unit,
    /// Tick times within the range, ns, ascending.
    pub times: Vec<f64>,
    /// Far from time 0 (zoomed into a long run), the first tick: it is labelled with the full
    /// time and the others by their distance from it ("2.11942 s", "+20 µs", "+40 µs"), so
    /// that no label needs seven digits.
    pub origin: Option<f64>,
}

/// A view whose start is more than this many view widths from 0 gets relative labels.
pub const RELATIVE_BEYOND: f64 = 50.0;

impl Ticks {
    /// The label of tick time `t`, e.g. `"12.5 ms"`, with as many decimals as the step needs;
    /// relative to the origin when there is one ("+20 µs"), the origin itself in full.
    pub fn label(&self, t: f64) -> String {
        if let Some(origin) = self.origin {
            if (t - origin).abs() < 0.5 * self.step {
                return crate::format::instant(origin, self.step);
            }
            return format!("+{}", self.plain(t - origin));
        }
        self.plain(t)
    }

    /// `t` in the unit, with the decimals of the step.
    fn plain(&self, t: f64) -> String {
        let value = t / self.unit.scale();
        let step = self.step / self.unit.scale();
        // step is 1, 2 or 5 × 10ⁿ in this unit; n < 0 needs -n decimals.
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10().floor()) as usize
        };
        if value.abs() < 0.5 * step {
            return format!("0 {}", self.unit.symbol());
        }
        format!("{value:.decimals$} {}", self.unit.symbol())
    }
}

/// The smallest step of 1, 2 or 5 × 10ⁿ ns (at least 1 ns) that is `>= min_step`.
pub fn nice_step(min_step: f64) -> f64 {
    if !(min_step.is_finite() && min_step > 1.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(min_step.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        let step = m * magnitude;
        if step >= min_step * (1.0 - 1e-9) {
            return step;
        }
    }
    10.0 * magnitude
}

/// Ticks over `[start, end]` ns for a plot `width` points wide, at least `min_spacing` points
/// apart (pass the width of the widest label plus a gap). At most a few hundred ticks.
pub fn choose_ticks(start: f64, end: f64, width: f32, min_spacing: f32) -> Ticks {
    let span = (end - start).max(1.0);
    let max_ticks = f64::from((width / min_spacing.max(1.0)).max(1.0)).min(500.0);
    let step = nice_step(span / max_ticks);
    let first = (start / step).ceil() * step;
    let times: Vec<f64> = (0..)
        .map(|i| first + f64::from(i) * step)
        .take_while(|&t| t <= end)
        .take(1000)
        .collect();
    let far = start.abs() > RELATIVE_BEYOND * span;
    Ticks {
        step,
        unit: Unit::for_step(step),
        origin: if far { times.first().copied() } else { None },
        times,
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // The expected values are exact in binary floating point.
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_five() {
        assert_eq!(nice_step(0.3), 1.0);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.5), 2.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(10.0), 10.0);
        assert_eq!(nice_step(120.0), 200.0);
        assert_eq!(nice_step(4.2e6), 5e6);
        assert_eq!(nice_step(f64::NAN), 1.0);
    }

    #[test]
    fn ticks_cover_the_range_with_spacing() {
        let t = choose_ticks(0.0, 10e6, 1000.0, 80.0);
        // 10 ms over 1000 px with >= 80 px per tick: at most 12 ticks, step 1 ms.
        assert_eq!(t.step, 1e6);
        assert_eq!(t.unit, Unit::Ms);
        assert_eq!(t.times.len(), 11);
        assert_eq!(t.label(t.times[3]), "3 ms");
        for pair in t.times.windows(2) {
            assert!(f64::from(1000.0_f32 * 1.0) * (pair[1] - pair[0]) / 10e6 >= 80.0 - 1e-6);
        }
    }

    #[test]
    fn units_adapt_to_zoom() {
        let us = choose_ticks(1_000.0, 3_000.0, 800.0, 80.0);
        assert_eq!(us.step, 200.0);
        assert_eq!(us.unit, Unit::Us);
        assert_eq!(us.label(1_200.0), "1.2 µs");
        let ns = choose_ticks(0.0, 100.0, 800.0, 80.0);
        assert_eq!((ns.step, ns.unit), (10.0, Unit::Ns));
        assert_eq!(ns.label(30.0), "30 ns");
        let ms = choose_ticks(0.0, 10e6, 1000.0, 80.0);
        assert_eq!(ms.unit, Unit::Ms);
        let s = choose_ticks(0.0, 2e9, 1000.0, 80.0);
        assert_eq!((s.step, s.unit), (2e8, Unit::S));
        assert_eq!(s.label(1.4e9), "1.4 s");
    }

    #[test]
    fn labels_have_the_decimals_the_step_needs() {
        let ms = choose_ticks(0.0, 2.0e6, 1000.0, 80.0);
        assert_eq!(ms.step, 2e5);
        assert_eq!(ms.unit, Unit::Ms);
        assert_eq!(ms.label(1.4e6), "1.4 ms");
        let s = choose_ticks(0.0, 30e9, 600.0, 100.0);
        assert_eq!((s.step, s.unit), (5e9, Unit::S));
        assert_eq!(s.label(15e9), "15 s");
        let fine = Ticks {
            step: 5e5,
            unit: Unit::Ms,
            times: vec![],
            origin: None,
        };
        assert_eq!(fine.label(2.5e6), "2.5 ms");
        assert_eq!(fine.label(1e-3), "0 ms");
    }

    #[test]
    fn far_from_zero_labels_count_from_a_visible_origin() {
        // A 100 µs window two seconds into a run: not "2119430 µs" but "2.11941 s", "+20 µs".
        let t = choose_ticks(2_119_410_000.0, 2_119_510_000.0, 1000.0, 100.0);
        assert_eq!(t.step, 10_000.0);
        let origin = t.origin.unwrap();
        assert_eq!(origin, t.times[0]);
        assert_eq!(t.label(origin), "2.11941 s");
        assert_eq!(t.label(t.times[2]), "+20 µs");
        assert!(choose_ticks(0.0, 10e6, 1000.0, 80.0).origin.is_none());
    }
}
