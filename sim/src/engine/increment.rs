//! The loop an `increment` is: the one gilscope's `CPython` program runs,
//! `while n > 0: counter += 1; n -= 1` (or `counter += one()`), instruction by instruction as
//! `dis` lists it on each version, with what each instruction costs and where a thread can be
//! switched out (`gil-model.md` rules 9–11).
//!
//! Costs are in countdown bytecodes, the unit of `bytecode_ns` (the calibration times the
//! countdown loop `while n > 0: n -= 1` and divides by its instructions). The loop's own
//! instructions cost one each; the statement's cost more: `scripts/measure/increment_cost.py`
//! measured `counter += 1` on a global at 10.2–15.0 countdown bytecodes on 2.7 and 3.9–3.13
//! (a new `int` made and the old one freed, two dictionary look-ups), and `counter += one()`
//! at 15.6–26.0 (3.11 and later inline the Python call: 15.6–20.1; up to 3.10: 22.6–26.0).
//! How the statement's cost splits among its instructions is not measured: the add and the
//! store, which make and free an `int`, are taken as the dearest. The `read` and `mutate` loops
//! are built from the same pieces in `engine/object_loop.rs`.

use crate::model::PythonVersion;

/// What the eval loop does after an instruction, before the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum After {
    /// `FAST_DISPATCH` (3.x) or `goto fast_next_opcode` (2.7): the next instruction runs with
    /// no check of the eval breaker and no tick.
    Fast,
    /// `DISPATCH` (3.x) or `continue` (2.7): the top of the eval loop checks the eval breaker
    /// (3.2–3.9) or counts a tick (2.7) before the next instruction.
    Checked,
    /// `COMPARE_OP`'s `PREDICT` of the conditional jump: 2.7 jumps straight to it (no tick);
    /// 3.x built with computed gotos (Linux) disables `PREDICT`, so it checks.
    Predicted,
}

/// What an instruction does to the counter, or to the check points of 3.10 and later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Nothing the model needs.
    Other,
    /// `LOAD_GLOBAL counter`: the value is read.
    Load,
    /// `STORE_GLOBAL counter`: the value is written back.
    Store,
    /// The first instruction of `one()`: function entry, a check point on every version.
    Entry,
}

/// One instruction of the loop.
#[derive(Debug, Clone, Copy)]
pub(super) struct Instr {
    /// Its name as `dis` lists it, with its argument.
    pub(super) name: &'static str,
    /// Countdown bytecodes it costs.
    pub(super) cost: u32,
    after: After,
    role: Role,
}

pub(super) const fn op(name: &'static str, cost: u32, after: After) -> Instr {
    Instr {
        name,
        cost,
        after,
        role: Role::Other,
    }
}

pub(super) const fn with(name: &'static str, cost: u32, after: After, role: Role) -> Instr {
    Instr {
        name,
        cost,
        after,
        role,
    }
}

use After::{Checked, Fast, Predicted};

/// The loop's test `n > 0` at its top (up to 3.9; from 3.10 it is at the bottom).
const TEST_TOP: [Instr; 4] = [
    op("LOAD_FAST n", 1, Fast),
    op("LOAD_CONST 0", 1, Fast),
    op("COMPARE_OP >", 1, Predicted),
    op("POP_JUMP_IF_FALSE", 1, Fast),
];
/// `n -= 1`.
const DECREMENT: [Instr; 4] = [
    op("LOAD_FAST n", 1, Fast),
    op("LOAD_CONST 1", 1, Fast),
    op("INPLACE_SUBTRACT", 1, Checked),
    op("STORE_FAST n", 1, Fast),
];

/// A loop of the program (an increment's here, a `read`'s or a `mutate`'s in
/// `engine/object_loop.rs`): its cost and where its counter's load and store and its check
/// points fall, in countdown bytecodes from the top of an iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PythonLoop {
    /// Countdown bytecodes per iteration.
    pub body: u32,
    /// An increment's `LOAD_GLOBAL counter` and `STORE_GLOBAL counter`: where each starts.
    pub accesses: Option<(u32, u32)>,
    /// Check points of 3.2–3.9 (bit `p`: before the instruction starting at `p`; bit 0 is the
    /// back-edge): after every instruction that dispatches with a check.
    pub checks_every_dispatch: u64,
    /// Check points of 3.10 and later: the back-edge (bit 0) and `one()`'s entry.
    pub checks_back_edges: u64,
    /// 2.7's ticks per iteration (instructions that go back to the top of its eval loop).
    pub ticks: u32,
    /// Where 2.7's tick check can fall (bit `p`: before the instruction at `p`, after one that
    /// ticks).
    pub tick_points: u64,
    /// Instructions per iteration, as `dis` counts them (the `CPython` engine's bytecodes).
    pub instructions: u32,
}

impl PythonLoop {
    /// The loop `python` runs for an increment, with a call to `one()` inside or not.
    pub fn increment(python: PythonVersion, call_inside: bool) -> Self {
        Self::from_instructions(&instructions(python, call_inside))
    }

    /// The shape of the loop whose instructions, from its back-edge's target to its backward
    /// jump, are `list`.
    pub(super) fn from_instructions(list: &[Instr]) -> Self {
        let mut at = 0;
        let mut load = None;
        let mut shape = Self {
            body: 0,
            accesses: None,
            checks_every_dispatch: 1,
            checks_back_edges: 1,
            ticks: 0,
            tick_points: 1,
            instructions: 0,
        };
        for (i, instr) in list.iter().enumerate() {
            match instr.role {
                Role::Load => load = Some(at),
                Role::Store => shape.accesses = load.map(|l| (l, at)),
                Role::Entry => {
                    shape.checks_back_edges |= 1 << at;
                    shape.checks_every_dispatch |= 1 << at;
                    shape.tick_points |= 1 << at;
                }
                Role::Other => {}
            }
            at += instr.cost;
            // A check after the last instruction is the back-edge's, at 0.
            if i + 1 < list.len() && instr.after != Fast {
                shape.checks_every_dispatch |= 1 << at;
            }
            if instr.after == Checked || instr.role == Role::Entry {
                shape.ticks += 1;
            }
            if i + 1 < list.len() && instr.after == Checked {
                shape.tick_points |= 1 << at;
            }
        }
        shape.body = at;
        shape.instructions = list.len() as u32;
        shape
    }
}

/// The loop's instructions from its back-edge target to its backward jump, as `dis` lists
/// them for the program's `increment_N` function (`sim/src/cpython/program/ops.rs`).
fn instructions(python: PythonVersion, call_inside: bool) -> Vec<Instr> {
    let v311 = python >= PythonVersion::new(3, 11);
    let v312 = python >= PythonVersion::new(3, 12);
    let add = if v311 { "BINARY_OP +=" } else { "INPLACE_ADD" };
    let mut statement = vec![with("LOAD_GLOBAL counter", 3, Checked, Role::Load)];
    if call_inside {
        statement.push(op("LOAD_GLOBAL one", 3, Checked));
        // The call; `one()`'s first instruction is its entry, and its return goes back to
        // the caller's dispatch (a check up to 3.9).
        if v311 {
            if !v312 {
                statement.push(op("PRECALL", 1, Fast));
            }
            statement.push(op("CALL", 2, Fast));
            statement.push(with("RESUME", 1, Fast, Role::Entry));
        } else {
            statement.push(op("CALL_FUNCTION", 8, Fast));
        }
        if v312 {
            statement.push(op("RETURN_CONST 1", 1, Checked));
        } else {
            let first = if v311 { Role::Other } else { Role::Entry };
            statement.push(with("LOAD_CONST 1", 1, Fast, first));
            statement.push(op("RETURN_VALUE", 1, Checked));
        }
    } else {
        statement.push(op("LOAD_CONST 1", 1, Fast));
    }
    statement.push(op(add, 4, Checked));
    statement.push(with("STORE_GLOBAL counter", 4, Checked, Role::Store));
    around_countdown(python, statement)
}

/// The countdown loop `while n > 0: STATEMENT; n -= 1` around `statement`'s instructions, as
/// `dis` lists it from the back-edge's target to the backward jump on `python`.
pub(super) fn around_countdown(python: PythonVersion, statement: Vec<Instr>) -> Vec<Instr> {
    let v310 = python >= PythonVersion::new(3, 10);
    let v311 = python >= PythonVersion::new(3, 11);
    let v312 = python >= PythonVersion::new(3, 12);
    let mut decrement = DECREMENT.to_vec();
    if v311 {
        decrement[2].name = "BINARY_OP -=";
    }
    if !v310 {
        // The test at the top, the jump back at the bottom.
        let mut list = TEST_TOP.to_vec();
        list.extend(statement);
        list.extend(decrement);
        list.push(op("JUMP_ABSOLUTE", 1, Checked));
        return list;
    }
    // 3.10 and later: the test is repeated at the bottom and jumps back to the body.
    let mut list = statement;
    list.extend(decrement);
    list.extend([
        op("LOAD_FAST n", 1, Fast),
        op("LOAD_CONST 0", 1, Fast),
        op("COMPARE_OP >", 1, Predicted),
    ]);
    if v312 {
        list.push(op("POP_JUMP_IF_FALSE", 1, Fast));
        list.push(op("JUMP_BACKWARD", 1, Checked));
    } else {
        list.push(op("POP_JUMP_IF_TRUE", 1, Checked));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(python: (u8, u8), call_inside: bool) -> Vec<&'static str> {
        instructions(PythonVersion::new(python.0, python.1), call_inside)
            .iter()
            .map(|i| i.name)
            .collect()
    }

    #[test]
    fn the_loops_are_what_dis_lists() {
        // `dis` of the program's loop on the local 2.7.18, 3.9.18, 3.10.13, 3.11.7, 3.12.1
        // and 3.13.0, from the back-edge's target to the backward jump (names shortened).
        assert_eq!(names((3, 9), false).len(), 13);
        assert_eq!(names((2, 7), false), names((3, 9), false));
        assert_eq!(names((3, 10), false).len(), 12);
        assert_eq!(names((3, 11), false).len(), 12);
        assert_eq!(names((3, 13), false).len(), 13);
        assert_eq!(names((3, 9), true).len(), 16);
        assert_eq!(
            names((3, 11), true)[..6],
            [
                "LOAD_GLOBAL counter",
                "LOAD_GLOBAL one",
                "PRECALL",
                "CALL",
                "RESUME",
                "LOAD_CONST 1"
            ]
        );
        assert_eq!(
            names((3, 13), true)[..5],
            [
                "LOAD_GLOBAL counter",
                "LOAD_GLOBAL one",
                "CALL",
                "RESUME",
                "RETURN_CONST 1"
            ]
        );
        for v in [(2, 7), (3, 9), (3, 10), (3, 11), (3, 12), (3, 13)] {
            for call in [false, true] {
                let l = PythonLoop::increment(PythonVersion::new(v.0, v.1), call);
                assert_eq!(l.instructions as usize, names(v, call).len());
                assert!(l.body < 64, "{v:?}");
            }
        }
    }

    #[test]
    fn the_statement_costs_what_was_measured() {
        // `counter += 1`: 10.2–15.0 countdown bytecodes measured; `counter += one()`: 15.6–26.
        for v in [(2, 7), (3, 9), (3, 13)] {
            let python = PythonVersion::new(v.0, v.1);
            let plain = PythonLoop::increment(python, false);
            assert_eq!(plain.body - (plain.instructions - 4), 12);
            let call = PythonLoop::increment(python, true);
            let cost = call.body - (plain.instructions - 4);
            assert!((15..=27).contains(&cost), "{v:?}: {cost}");
        }
    }

    #[test]
    fn the_window_holds_check_points_only_up_to_3_9() {
        let window = |l: PythonLoop, mask: u64| {
            let (load, store) = l.accesses.expect("an increment's load and store");
            (load + 1..=store).filter(|p| mask >> p & 1 == 1).count()
        };
        // 3.9: after LOAD_GLOBAL (DISPATCH) and after INPLACE_ADD; not after LOAD_CONST.
        let l39 = PythonLoop::increment(PythonVersion::new(3, 9), false);
        assert_eq!((l39.body, l39.accesses), (21, Some((4, 12))));
        assert_eq!(window(l39, l39.checks_every_dispatch), 2);
        assert_eq!(l39.checks_every_dispatch.count_ones(), 6);
        // 3.10 and later: only the back-edge, outside the window; a call's entry inside it.
        for v in [(3, 10), (3, 11), (3, 12), (3, 13)] {
            let python = PythonVersion::new(v.0, v.1);
            let plain = PythonLoop::increment(python, false);
            assert_eq!(plain.checks_back_edges, 1);
            assert_eq!(window(plain, plain.checks_back_edges), 0);
            let call = PythonLoop::increment(python, true);
            assert_eq!(window(call, call.checks_back_edges), 1, "{v:?}");
        }
        // 2.7 ticks at LOAD_GLOBAL, INPLACE_ADD, STORE_GLOBAL, INPLACE_SUBTRACT, JUMP_ABSOLUTE.
        let l27 = PythonLoop::increment(PythonVersion::new(2, 7), false);
        assert_eq!(l27.ticks, 5);
        // Before LOAD_FAST (the jump back), LOAD_CONST and STORE_GLOBAL (in the window),
        // LOAD_FAST after the store, STORE_FAST: not after COMPARE_OP, which predicts.
        assert_eq!(l27.tick_points, 1 | 1 << 7 | 1 << 12 | 1 << 16 | 1 << 19);
    }
}
