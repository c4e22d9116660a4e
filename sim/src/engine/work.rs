//! Bytecode work in progress: where a thread is in a `compute` or `increment` loop, and where
//! its check points lie (`gil-model.md` rules 9–11).

use crate::model::Model;
use crate::time::Nanos;

/// The bytecodes of one `for _ in range(n): counter += 1` iteration (3.11+ numbering):
/// `FOR_ITER, STORE_FAST, LOAD_GLOBAL counter, LOAD_CONST 1, BINARY_OP +=, STORE_GLOBAL counter,
/// JUMP_BACKWARD`.
pub const INCREMENT_BODY: u32 = 7;
/// With a call inside (`counter = counter + one()`): `FOR_ITER, STORE_FAST, LOAD_GLOBAL counter,
/// LOAD_GLOBAL one, CALL, RESUME, LOAD_CONST, RETURN_VALUE, BINARY_OP, STORE_GLOBAL,
/// JUMP_BACKWARD`.
pub const INCREMENT_CALL_BODY: u32 = 11;
/// Index of the `LOAD_GLOBAL counter` within an increment iteration.
pub const INCREMENT_LOAD: u32 = 2;
/// Index of `STORE_GLOBAL counter` in the plain and the call-inside iteration.
pub const fn increment_store(call_inside: bool) -> u32 {
    if call_inside { 9 } else { 5 }
}
/// Position (bytecodes executed within the iteration) of the check point at `RESUME` in `one()`.
const RESUME_CHECK: u32 = 5;

/// The shape of a loop: its body length and which boundaries are check points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopShape {
    /// Bytecodes per iteration.
    pub body: u32,
    /// Check point after every bytecode (3.2–3.9).
    pub every_bytecode: bool,
    /// An extra check point at this position within each iteration (a Python call's RESUME).
    pub inner_check: Option<u32>,
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
            inner_check: None,
            old_gil_ticks: body.min(2),
        }
    }

    /// An increment loop.
    pub fn increment(call_inside: bool, model: Model) -> Self {
        Self {
            body: if call_inside {
                INCREMENT_CALL_BODY
            } else {
                INCREMENT_BODY
            },
            every_bytecode: model == Model::NewGil32,
            inner_check: call_inside.then_some(RESUME_CHECK),
            // Every bytecode a tick: the old GIL's check can land between the load and the
            // store, as it did.
            old_gil_ticks: if call_inside {
                INCREMENT_CALL_BODY
            } else {
                INCREMENT_BODY
            },
        }
    }

    /// Old GIL: bytecodes between two tick checks of `check_interval` ticks (at least 1).
    pub fn bytecodes_per_ticks(&self, check_interval: u64) -> u64 {
        (check_interval * u64::from(self.body))
            .div_ceil(u64::from(self.old_gil_ticks.max(1)))
            .max(1)
    }

    /// The first check point at or after position `pos` (bytecodes executed), capped at `total`.
    pub fn next_check(&self, pos: u64, total: u64) -> u64 {
        if self.every_bytecode {
            return pos.min(total);
        }
        let body = u64::from(self.body);
        let base = pos - pos % body;
        let back_edge_here = pos.is_multiple_of(body).then_some(pos);
        let inner = self.inner_check.map(|inner| {
            let inner = u64::from(inner);
            if base + inner >= pos {
                base + inner
            } else {
                base + body + inner
            }
        });
        // No allocation: this runs at every re-timing of a bytecode loop.
        [Some(base + body), back_edge_here, inner]
            .into_iter()
            .flatten()
            .filter(|&c| c >= pos)
            .min()
            .unwrap_or(total)
            .min(total)
    }
}

/// Full speed: picoseconds of work done per nanosecond on a core.
pub const FULL_SPEED: u64 = 1000;

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
    /// Whether the increment has a call inside.
    pub call_inside: bool,
    /// The shared object its iterations touch, if any.
    pub shared: Option<SharedUse>,
    /// Work done per nanosecond on a core, in picoseconds: [`FULL_SPEED`], or less while
    /// other cores contend for the shared object's cache line.
    pub speed: u64,
}

impl Work {
    /// Work done at `now` in the current segment (not past the end).
    pub fn done_at(&self, now: Nanos, ps: u64) -> u64 {
        match self.segment {
            Some((start, done0)) => {
                (done0 + now.saturating_sub(start) * self.speed).min(self.total * ps)
            }
            None => self.done_ps,
        }
    }

    /// Bytecodes fully started by work `done_ps`.
    pub fn position(done_ps: u64, ps: u64) -> u64 {
        done_ps.div_ceil(ps)
    }

    /// The time at which the work reaches `target_ps`, from the current segment.
    pub fn time_of(&self, target_ps: u64) -> Nanos {
        let (start, done0) = self.segment.unwrap_or((0, self.done_ps));
        start + target_ps.saturating_sub(done0).div_ceil(self.speed.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_points_per_model() {
        let new = LoopShape::compute(8, Model::NewGil310);
        assert_eq!(new.next_check(0, 100), 0);
        assert_eq!(new.next_check(1, 100), 8);
        assert_eq!(new.next_check(8, 100), 8);
        assert_eq!(new.next_check(97, 100), 100);
        let old = LoopShape::compute(8, Model::NewGil32);
        assert_eq!(old.next_check(3, 100), 3);
        let call = LoopShape::increment(true, Model::NewGil310);
        assert_eq!(call.next_check(1, 1000), 5);
        assert_eq!(call.next_check(6, 1000), 11);
        assert_eq!(call.next_check(12, 1000), 16);
        let plain = LoopShape::increment(false, Model::NewGil310);
        assert_eq!(plain.next_check(3, 1000), 7);
    }
}
