//! Bytecode work in progress: where a thread is in a `compute`, `increment`, `read` or `mutate`
//! loop, and where its check points lie (`gil-model.md` rules 9–11).

use crate::engine::increment::PythonLoop;
use crate::model::Model;
use crate::time::Nanos;

/// The shape of a loop: its body length and which boundaries are check points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopShape {
    /// Bytecodes per iteration.
    pub body: u32,
    /// Check point after every bytecode (3.2–3.9).
    pub every_bytecode: bool,
    /// Where check points lie within an iteration when not after every bytecode: bit `p` is a
    /// check point before position `p`; bit 0, the back-edge, is always one.
    pub checks: u64,
    /// An increment loop's load and store of the counter (positions within the iteration).
    pub accesses: Option<(u32, u32)>,
    /// Old GIL: where in an iteration a tick check can fall (bit `p`: before position `p`).
    pub tick_points: u64,
    /// Old GIL: ticks per iteration (2.7 counts a tick only at opcodes that go back to the top
    /// of its eval loop; loads, stores, constants and predicted jumps skip it).
    pub old_gil_ticks: u32,
}

impl LoopShape {
    /// A pure-Python loop with a back-edge every `body` bytecodes. Under the old GIL it ticks
    /// twice per iteration, like 2.7's countdown loop `while n > 0: n -= 1` (9 bytecodes; its
    /// `INPLACE_SUBTRACT` and `JUMP_ABSOLUTE` tick, `Python/ceval.c`).
    pub fn compute(body: u32, model: Model) -> Self {
        let body = body.max(1);
        Self {
            body,
            every_bytecode: model == Model::NewGil32,
            checks: 1,
            accesses: None,
            tick_points: 1,
            old_gil_ticks: body.min(2),
        }
    }

    /// A loop of the program, instruction by instruction (an increment's,
    /// `engine/increment.rs`, or a `read`'s or `mutate`'s, `engine/object_loop.rs`): up to 3.9
    /// a check point after every instruction that dispatches with one (for an increment, also
    /// between the load and the store); from 3.10 only at the back-edge and a call's entry.
    pub fn program(shape: PythonLoop, model: Model) -> Self {
        Self {
            body: shape.body,
            every_bytecode: false,
            checks: if model == Model::NewGil32 {
                shape.checks_every_dispatch
            } else {
                shape.checks_back_edges
            },
            accesses: shape.accesses,
            tick_points: shape.tick_points,
            old_gil_ticks: shape.ticks,
        }
    }

    /// Old GIL: bytecodes between two tick checks of `check_interval` ticks (at least 1).
    pub fn bytecodes_per_ticks(&self, check_interval: u64) -> u64 {
        (check_interval * u64::from(self.body))
            .div_ceil(u64::from(self.old_gil_ticks.max(1)))
            .max(1)
    }

    /// Old GIL: the first tick check after position `pos`, the checks lying at `offset` plus
    /// whole multiples of `every` bytecodes.
    pub fn next_tick(pos: u64, offset: u64, every: u64) -> u64 {
        let k = if pos < offset {
            0
        } else {
            (pos - offset) / every + 1
        };
        offset + k * every
    }

    /// The first check point at or after position `pos` (bytecodes executed), capped at `total`.
    pub fn next_check(&self, pos: u64, total: u64) -> u64 {
        if self.every_bytecode {
            return pos.min(total);
        }
        let body = u64::from(self.body);
        let within = pos % body;
        // No allocation: this runs at every re-timing of a bytecode loop.
        let later = self.checks.checked_shr(within as u32).unwrap_or(0);
        let next = if later == 0 {
            pos - within + body
        } else {
            pos + u64::from(later.trailing_zeros())
        };
        next.min(total)
    }
}

/// Full speed: work done per nanosecond on a core, in thousandths of a picosecond (a unit
/// finer than the work's picoseconds, so that a loop slowed to a few picoseconds a nanosecond
/// by many cores contending is not rounded by up to half its speed).
pub const FULL_SPEED: u64 = 1_000_000;

/// [`FULL_SPEED`]'s units in a picosecond.
const SPEED_PER_PS_64: u64 = 1000;
/// The same, for the 128-bit arithmetic of the rare product that does not fit in 64 bits.
const SPEED_PER_PS: u128 = SPEED_PER_PS_64 as u128;

/// A divisor fixed for a run (a bytecode's picoseconds), divided by as a multiplication and a
/// shift: the quotients of `/` exactly, for every dividend (Granlund and Montgomery, "Division
/// by Invariant Integers using Multiplication", 1994, the round-up method), at a fraction of a
/// hardware division's latency in the engine's re-timing of every bytecode loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Divisor {
    /// The divisor (at least 1).
    by: u64,
    /// The multiplier, 0 for a power of two (a shift alone).
    magic: u64,
    /// The final shift.
    shift: u32,
}

impl Divisor {
    /// Dividing by `divisor` (0 is taken as 1).
    pub fn new(divisor: u64) -> Self {
        let divisor = divisor.max(1);
        if divisor.is_power_of_two() {
            return Self {
                by: divisor,
                magic: 0,
                shift: divisor.trailing_zeros(),
            };
        }
        // ceil(log2 d), at least 2 for a d that is not a power of two; the multiplier
        // floor(2^64 (2^l - d) / d) + 1 fits in 64 bits because 2^(l-1) < d.
        let l = 64 - (divisor - 1).leading_zeros();
        let d = u128::from(divisor);
        let magic = (((1u128 << l) - d) << 64) / d + 1;
        Self {
            by: divisor,
            magic: magic as u64,
            shift: l - 1,
        }
    }

    /// `n / divisor`.
    #[inline]
    pub fn quotient(self, n: u64) -> u64 {
        if self.magic == 0 {
            return n >> self.shift;
        }
        let t = ((u128::from(self.magic) * u128::from(n)) >> 64) as u64;
        (t + ((n - t) >> 1)) >> self.shift
    }

    /// `n.div_ceil(divisor)`.
    #[inline]
    pub fn quotient_up(self, n: u64) -> u64 {
        let q = self.quotient(n);
        q + u64::from(q * self.by != n)
    }
}

/// A shared object a loop touches on every iteration (`gil-model.md` rule 19b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedUse {
    /// Which object.
    pub object: usize,
    /// Atomic operations on its cache line per iteration in a free-threaded build: 2 for a read
    /// (increment and decrement of its shared reference count), 4 for a mutation (its lock taken
    /// and released, its reference count or its storage written), 0 for an object with deferred
    /// reference counting.
    pub line_ops: u32,
}

/// A loop being executed, measured in picoseconds of work so that fractional bytecodes add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// Total bytecodes of the op.
    pub total: u64,
    /// Work done, in picoseconds (`bytecodes * ps_per_bytecode` when aligned).
    pub done_ps: u64,
    /// When the current on-core segment began, and `done_ps` then.
    pub segment: Option<(Nanos, u64)>,
    /// The loop's check points.
    pub shape: LoopShape,
    /// The shared counter, for increment loops.
    pub counter: Option<usize>,
    /// The shared object its iterations touch, if any.
    pub shared: Option<SharedUse>,
    /// Old GIL: where its tick checks fall: this position plus whole multiples of the
    /// bytecodes between two checks (redrawn at each check for an increment loop).
    pub tick_offset: u64,
    /// Old GIL: the bytecodes between two tick checks (`shape`'s
    /// [`LoopShape::bytecodes_per_ticks`] at the run's check interval).
    pub tick_every: u64,
    /// Work done per nanosecond on a core, in thousandths of a picosecond: [`FULL_SPEED`], or
    /// less while other cores contend for the shared object's cache line.
    pub speed: u64,
}

impl Work {
    /// Work done at `now` in the current segment (not past the end).
    pub fn done_at(&self, now: Nanos, ps: u64) -> u64 {
        match self.segment {
            Some((start, done0)) => {
                let elapsed = now.saturating_sub(start);
                let end = self.total * ps;
                // In 64 bits where nothing overflows (always, but for runs of hours), in 128
                // otherwise: the same value, without a 128-bit division on every re-timing.
                let fast = if self.speed == FULL_SPEED {
                    elapsed.checked_mul(FULL_SPEED / SPEED_PER_PS_64)
                } else {
                    elapsed
                        .checked_mul(self.speed)
                        .map(|work| work / SPEED_PER_PS_64)
                };
                if let Some(total) = fast.and_then(|done| done0.checked_add(done)) {
                    return total.min(end);
                }
                let done = u128::from(elapsed) * u128::from(self.speed) / SPEED_PER_PS;
                (u128::from(done0) + done).min(u128::from(end)) as u64
            }
            None => self.done_ps,
        }
    }

    /// Bytecodes fully started by work `done_ps`, at `ps` picoseconds a bytecode.
    pub fn position(done_ps: u64, ps: Divisor) -> u64 {
        ps.quotient_up(done_ps)
    }

    /// The time at which the work reaches `target_ps`, from the current segment.
    pub fn time_of(&self, target_ps: u64) -> Nanos {
        let (start, done0) = self.segment.unwrap_or((0, self.done_ps));
        let left = target_ps.saturating_sub(done0);
        // At full speed `left * 1000 / 1_000_000`, rounded up, is `left / 1000` rounded up:
        // the same value without a division by a variable.
        if self.speed == FULL_SPEED {
            return start.saturating_add(left.div_ceil(FULL_SPEED / SPEED_PER_PS_64));
        }
        let speed = self.speed.max(1);
        if let Some(work) = left.checked_mul(SPEED_PER_PS_64) {
            return start.saturating_add(work.div_ceil(speed));
        }
        let took = (u128::from(left) * SPEED_PER_PS).div_ceil(u128::from(speed));
        start.saturating_add(u64::try_from(took).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_divisor_divides_as_the_hardware_does() {
        let mut rng = crate::rng::SplitMix64::new(5);
        let mut divisors = vec![
            1,
            2,
            3,
            5,
            7,
            1000,
            5000,
            5001,
            6875,
            u64::MAX,
            u64::MAX - 1,
        ];
        divisors.extend([31, 32, 33, 63].map(|b| (1u64 << b) - 1));
        divisors.extend([31, 32, 33, 63].map(|b| (1u64 << b) + 1));
        divisors.extend((0..200).map(|_| rng.next_u64() >> rng.below(64)));
        for d in divisors.into_iter().map(|d| d.max(1)) {
            let divisor = Divisor::new(d);
            let mut dividends = vec![0, 1, d - 1, d, d.saturating_add(1), u64::MAX, u64::MAX - 1];
            dividends.extend((0..300).map(|_| rng.next_u64() >> rng.below(64)));
            dividends.extend((1..20).map(|k| d.saturating_mul(k)));
            for n in dividends {
                assert_eq!(divisor.quotient(n), n / d, "{n} / {d}");
                assert_eq!(
                    divisor.quotient_up(n),
                    n.div_ceil(d),
                    "{n} / {d} rounded up"
                );
            }
        }
    }

    #[test]
    fn done_and_time_of_work_match_their_128_bit_arithmetic() {
        let mut rng = crate::rng::SplitMix64::new(11);
        for round in 0..20_000u64 {
            // Small and huge values both, full speed and slowed.
            let scale = if round % 3 == 0 {
                u64::MAX >> 8
            } else {
                1 << 40
            };
            let speed = if round % 2 == 0 {
                FULL_SPEED
            } else {
                rng.below(FULL_SPEED) + 1
            };
            let start = rng.below(scale);
            let done0 = rng.below(scale);
            let work = Work {
                total: rng.below(scale >> 10) + 1,
                done_ps: done0,
                segment: Some((start, done0)),
                shape: LoopShape::compute(8, Model::NewGil310),
                counter: None,
                shared: None,
                tick_offset: 0,
                tick_every: 1,
                speed,
            };
            let ps = rng.below(1 << 10) + 1;
            let now = start + rng.below(scale);
            let end = u128::from(work.total * ps);
            let done = u128::from(now - start) * u128::from(speed) / SPEED_PER_PS;
            let expected = (u128::from(done0) + done).min(end) as u64;
            assert_eq!(work.done_at(now, ps), expected, "{work:?} at {now}");
            let target = rng.below(scale);
            let left = u128::from(target.saturating_sub(done0)) * SPEED_PER_PS;
            let took = u64::try_from(left.div_ceil(u128::from(speed))).unwrap_or(u64::MAX);
            assert_eq!(work.time_of(target), start.saturating_add(took), "{work:?}");
        }
    }

    #[test]
    fn check_points_per_model() {
        let new = LoopShape::compute(8, Model::NewGil310);
        assert_eq!(new.next_check(0, 100), 0);
        assert_eq!(new.next_check(1, 100), 8);
        assert_eq!(new.next_check(8, 100), 8);
        assert_eq!(new.next_check(97, 100), 100);
        let old = LoopShape::compute(8, Model::NewGil32);
        assert_eq!(old.next_check(3, 100), 3);
        // 3.13, `counter += one()`: the back-edge and `one()`'s RESUME, at 8 of 27.
        let v313 = crate::model::PythonVersion::new(3, 13);
        let call = LoopShape::program(PythonLoop::increment(v313, true), Model::NewGil310);
        assert_eq!(call.body, 27);
        assert_eq!(call.next_check(1, 1000), 8);
        assert_eq!(call.next_check(12, 1000), 27);
        assert_eq!(call.next_check(27, 1000), 27);
        let plain = LoopShape::program(PythonLoop::increment(v313, false), Model::NewGil310);
        assert_eq!(plain.next_check(3, 1000), 21);
        // 3.9: after COMPARE_OP (3), LOAD_GLOBAL (7), INPLACE_ADD (12), STORE_GLOBAL (16),
        // INPLACE_SUBTRACT (19) and the jump back (21).
        let v39 = crate::model::PythonVersion::new(3, 9);
        let plain = LoopShape::program(PythonLoop::increment(v39, false), Model::NewGil32);
        let checks: Vec<u64> = (0..22).map(|p| plain.next_check(p, 1000)).collect();
        assert_eq!(
            checks,
            [
                0, 3, 3, 3, 7, 7, 7, 7, 12, 12, 12, 12, 12, 16, 16, 16, 16, 19, 19, 19, 21, 21
            ]
        );
    }
}
