//! The loops a `read` and a `mutate` are: the ones gilscope's `CPython` program runs
//! (`sim/src/cpython/program/ops.rs`), `while n > 0: OBJECT.value; n -= 1` for a read of one
//! object every thread shares (a module global), `own.value` for a read of each thread's own
//! copy (a local) and `DICT[n] = n` for a store into one shared dict, instruction by
//! instruction as `dis` lists them on each version, with what each instruction costs and where
//! a thread can be switched out (`gil-model.md` rules 9–11).
//!
//! Costs are in countdown bytecodes, as an increment's (`engine/increment.rs`): the loop's own
//! instructions cost one each, and the statement what `scripts/measure/object_loop_cost.py`
//! measured on each version (the table below). How the statement's cost splits among its
//! instructions is not measured (see [`split`]). What a
//! free-threaded build adds when threads share the object is the contention model's
//! (`des/contention.rs`), on top.

use super::increment::{After, Instr, PythonLoop, around_countdown, op};
use crate::engine::work::{LoopShape, SharedUse};
use crate::model::{Model, PythonVersion};
use crate::scenario::{ObjectKind, Op};
use After::{Checked, Fast};

/// What the statement of each loop costs on one version, in countdown bytecodes, measured by
/// `scripts/measure/object_loop_cost.py` (rounded; the loop's own instructions subtracted).
#[derive(Debug, Clone, Copy)]
struct Measured {
    /// The version measured; it stands for every later one up to the next measured.
    python: PythonVersion,
    /// `OBJECT.value` of a shared instance, function, module and class (a global).
    shared: [u32; 4],
    /// `own.value` of an instance in a local.
    own: u32,
    /// `DICT[n] = n`.
    mutate: u32,
}

const fn measured(python: (u8, u8), shared: [u32; 4], own: u32, mutate: u32) -> Measured {
    Measured {
        python: PythonVersion::new(python.0, python.1),
        shared,
        own,
        mutate,
    }
}

/// The measured statements, oldest version first (`README.md`, "Measured again", has the run:
/// every local interpreter at load average 0.9–1.6). 3.14 and later take 3.13's figures, the
/// newest measured here (there is no free-threaded interpreter on this machine).
const MEASURED: [Measured; 9] = [
    measured((2, 7), [10, 10, 10, 8], 8, 15),
    measured((3, 6), [4, 2, 3, 1], 1, 5),
    measured((3, 7), [7, 7, 7, 5], 5, 10),
    measured((3, 8), [7, 6, 7, 5], 5, 10),
    measured((3, 9), [7, 6, 6, 5], 5, 11),
    measured((3, 10), [6, 7, 7, 5], 5, 10),
    measured((3, 11), [3, 10, 4, 7], 3, 15),
    measured((3, 12), [2, 11, 2, 2], 1, 12),
    measured((3, 13), [2, 11, 2, 2], 1, 12),
];

/// The measured figures that stand for `python`.
fn measured_for(python: PythonVersion) -> Measured {
    MEASURED
        .iter()
        .rev()
        .find(|m| m.python <= python)
        .copied()
        .unwrap_or(MEASURED[0])
}

/// The statement's instructions, `(name, up to, after)`, the look-up or store at `lookup`,
/// costing `statement` between them: the look-up at least one, each other instruction in turn
/// up to its share (a global's load 3, a local's load and `POP_TOP` 1), the look-up the rest.
/// (From 3.11 a specialized read costs less than the countdown's average instruction: 3.13's
/// `OBJECT.value` costs 2 for its three instructions.)
fn split(parts: &[(&'static str, u32, After)], lookup: usize, statement: u32) -> Vec<Instr> {
    let mut left = statement.saturating_sub(1);
    let mut list: Vec<Instr> = parts
        .iter()
        .enumerate()
        .map(|(i, &(name, share, after))| {
            let cost = if i == lookup { 0 } else { share.min(left) };
            left -= cost;
            op(name, cost, after)
        })
        .collect();
    let others: u32 = list.iter().map(|i| i.cost).sum();
    list[lookup] = op(parts[lookup].0, statement - others, parts[lookup].2);
    list
}

impl PythonLoop {
    /// The loop `python` runs for a `read` of an object of `kind`, each thread's own copy or
    /// one they share.
    pub fn read(python: PythonVersion, kind: ObjectKind, per_thread: bool) -> Self {
        let m = measured_for(python);
        let statement = if per_thread {
            split(
                &[
                    ("LOAD_FAST own", 1, Fast),
                    ("LOAD_ATTR value", 0, Checked),
                    ("POP_TOP", 1, Fast),
                ],
                1,
                m.own,
            )
        } else {
            let kind = ObjectKind::NAMES
                .iter()
                .position(|(_, k)| *k == kind)
                .unwrap_or(0);
            split(
                &[
                    ("LOAD_GLOBAL OBJECT", 3, Checked),
                    ("LOAD_ATTR value", 0, Checked),
                    ("POP_TOP", 1, Fast),
                ],
                1,
                m.shared[kind],
            )
        };
        Self::from_instructions(&around_countdown(python, statement))
    }

    /// The loop `python` runs for a `mutate`: `DICT[n] = n`.
    pub fn mutate(python: PythonVersion) -> Self {
        let statement = split(
            &[
                ("LOAD_FAST n", 1, Fast),
                ("LOAD_GLOBAL DICT", 3, Checked),
                ("LOAD_FAST n", 1, Fast),
                ("STORE_SUBSCR", 0, Checked),
            ],
            3,
            measured_for(python).mutate,
        );
        Self::from_instructions(&around_countdown(python, statement))
    }
}

/// What one iteration of a `read` or `mutate` loop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Iteration {
    /// The program's own loop.
    Program(PythonLoop),
    /// Another program's loop, of the scenario's `loop_body` bytecodes (a back-edge at its
    /// end, like `compute`'s).
    Given(u32),
}

/// A `read` or `mutate` op's loop: how many iterations, what each is, and what it does to the
/// object's cache line in a free-threaded build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectLoop {
    /// Iterations.
    pub times: u64,
    iteration: Iteration,
    /// The object and the atomic operations each iteration does on its cache line
    /// (`des/contention.rs`): a read of an instance 2 (its shared reference count up and
    /// down), of a function, module or class none (deferred reference counting), of each
    /// thread's own copy none (biased reference counting); a store 4 (the dict's lock taken
    /// and released, its storage written).
    pub shared: SharedUse,
}

impl ObjectLoop {
    /// The loop of `op` on `python`, if it is a `read` or a `mutate`.
    pub fn of(op: &Op, python: PythonVersion) -> Option<Self> {
        let (times, loop_body, code, shared) = match *op {
            Op::Read {
                object,
                times,
                loop_body,
                kind,
                per_thread,
            } => {
                let line_ops = if kind.deferred() || per_thread { 0 } else { 2 };
                let code = PythonLoop::read(python, kind, per_thread);
                (times, loop_body, code, SharedUse { object, line_ops })
            }
            Op::Mutate {
                object,
                times,
                loop_body,
            } => {
                let shared = SharedUse {
                    object,
                    line_ops: 4,
                };
                (times, loop_body, PythonLoop::mutate(python), shared)
            }
            _ => return None,
        };
        Some(Self {
            times,
            iteration: loop_body.map_or(Iteration::Program(code), Iteration::Given),
            shared,
        })
    }

    /// Bytecodes per iteration.
    pub fn body(&self) -> u32 {
        match self.iteration {
            Iteration::Program(code) => code.body,
            Iteration::Given(body) => body.max(1),
        }
    }

    /// Bytecodes of the whole loop.
    pub fn bytecodes(&self) -> u64 {
        self.times * u64::from(self.body())
    }

    /// Its shape under `model`: where its check points fall.
    pub fn shape(&self, model: Model) -> LoopShape {
        match self.iteration {
            Iteration::Program(code) => LoopShape::program(code, model),
            Iteration::Given(body) => LoopShape::compute(body, model),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [ObjectKind; 4] = [
        ObjectKind::Instance,
        ObjectKind::Function,
        ObjectKind::Module,
        ObjectKind::Type,
    ];

    #[test]
    fn the_loops_are_what_dis_lists() {
        // `dis` of the program's loops on the local 2.7.18 to 3.13.0 (scripts/measure/
        // object_loop_cost.py prints the counts): the countdown's 9 instructions (8 on 3.10
        // and 3.11) and the statement's 3 for a read, 4 for a store.
        for (v, countdown) in [
            ((2, 7), 9),
            ((3, 9), 9),
            ((3, 10), 8),
            ((3, 11), 8),
            ((3, 12), 9),
            ((3, 13), 9),
        ] {
            let python = PythonVersion::new(v.0, v.1);
            for kind in KINDS {
                for per_thread in [false, true] {
                    let l = PythonLoop::read(python, kind, per_thread);
                    assert_eq!(l.instructions, countdown + 3, "{v:?}");
                    assert_eq!(l.accesses, None);
                }
            }
            assert_eq!(PythonLoop::mutate(python).instructions, countdown + 4);
        }
    }

    #[test]
    fn an_iteration_costs_what_was_measured() {
        for m in MEASURED {
            let countdown =
                PythonLoop::read(m.python, ObjectKind::Instance, false).instructions - 3;
            for (i, kind) in KINDS.into_iter().enumerate() {
                let l = PythonLoop::read(m.python, kind, false);
                assert_eq!(l.body, countdown + m.shared[i], "{:?}", m.python);
            }
            let own = PythonLoop::read(m.python, ObjectKind::Instance, true);
            assert_eq!(own.body, countdown + m.own);
            assert_eq!(PythonLoop::mutate(m.python).body, countdown + m.mutate);
        }
        // Later versions take the newest measured figures.
        let v313 = PythonVersion::new(3, 13);
        let v314 = PythonVersion::new(3, 14);
        assert_eq!(PythonLoop::mutate(v314), PythonLoop::mutate(v313));
        assert_eq!(
            PythonLoop::read(v314, ObjectKind::Instance, false),
            PythonLoop::read(v313, ObjectKind::Instance, false)
        );
    }

    #[test]
    fn check_points_fall_where_each_version_checks() {
        // 3.10 and later: the back-edge only. 2.7: a tick at LOAD_GLOBAL, LOAD_ATTR,
        // INPLACE_SUBTRACT and JUMP_ABSOLUTE; own.value's LOAD_FAST does not tick.
        let v313 = PythonLoop::read(PythonVersion::new(3, 13), ObjectKind::Instance, false);
        assert_eq!(v313.checks_back_edges, 1);
        let v27 = PythonVersion::new(2, 7);
        assert_eq!(PythonLoop::read(v27, ObjectKind::Instance, false).ticks, 4);
        assert_eq!(PythonLoop::read(v27, ObjectKind::Instance, true).ticks, 3);
        assert_eq!(PythonLoop::mutate(v27).ticks, 4);
    }

    #[test]
    fn a_given_loop_body_is_another_programs_loop() {
        let python = PythonVersion::new(3, 13);
        let read = |loop_body| Op::Read {
            object: 0,
            times: 10,
            loop_body,
            kind: ObjectKind::Instance,
            per_thread: false,
        };
        let own = ObjectLoop::of(&read(None), python).unwrap();
        assert_eq!(
            own.body(),
            PythonLoop::read(python, ObjectKind::Instance, false).body
        );
        let given = ObjectLoop::of(&read(Some(8)), python).unwrap();
        assert_eq!((given.body(), given.bytecodes()), (8, 80));
        assert_eq!(
            given.shape(Model::NewGil310),
            LoopShape::compute(8, Model::NewGil310)
        );
        assert!(ObjectLoop::of(&Op::Sleep(1), python).is_none());
    }
}
