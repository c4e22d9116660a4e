//! The live engine's bytecode interpreter: a small stack machine that really executes the
//! loops of `compute` and `increment` operations, polling the eval breaker at its check points
//! the way `CPython` does (`gil-model.md` rules 9–11): after each back-edge and at a called
//! function's `RESUME` (3.10 and later), or before every instruction (3.2 to 3.9).
//!
//! A run is given *fuel*: the exact number of bytecodes to execute, so a `compute` of N
//! bytecodes executes N instructions whatever its loop shape. Optional *padding* after each
//! instruction slows the machine to `CPython`'s speed (a few nanoseconds per bytecode), so live
//! timings resemble a real interpreter's.

use super::sync::AtomicU32;
use std::hint::black_box;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// One instruction. Names follow `CPython`'s opcodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instr {
    /// Does nothing (stands for the rest of a longer loop body).
    Nop,
    /// Pushes local `n`.
    LoadFast(u8),
    /// Pops into local `n`.
    StoreFast(u8),
    /// Pushes a constant.
    LoadConst(i64),
    /// Pushes shared counter `n` (a relaxed atomic load: a plain read of a global).
    LoadGlobal(u32),
    /// Pops into shared counter `n` (a relaxed atomic store: a plain write of a global).
    StoreGlobal(u32),
    /// Pushes a callable (`LOAD_GLOBAL one`).
    LoadFunction,
    /// Pops two values, pushes their sum.
    BinaryAdd,
    /// Pops two values, pushes their difference.
    BinarySub,
    /// Pops two values, pushes whether the first is greater.
    CompareGt,
    /// Pops a value; if true, jumps back to the target. A back-edge: a check point.
    PopJumpBackwardIfTrue(u32),
    /// Jumps back to the target. A back-edge: a check point.
    JumpBackward(u32),
    /// `for` over a range counted down in local 0: pushes the next value, or leaves the loop.
    ForIter,
    /// Pops the callable and enters it.
    Call,
    /// Function entry: a check point.
    Resume,
    /// Leaves the called function; its result stays on the stack.
    ReturnValue,
    /// A fused `n -= 1; if n > 0: jump back` for loop bodies shorter than the plain countdown.
    /// A back-edge: a check point.
    CountdownJump(u32),
}

/// The plain countdown loop `while n > 0: n -= 1` has this many bytecodes per iteration (as
/// `CPython` 3.11 compiles it: load, constant, subtract, store, load, constant, compare, jump
/// back).
pub const COUNTDOWN_BODY: u32 = 8;

/// The code of a `compute` loop with `loop_body` bytecodes per iteration: the countdown loop,
/// padded with `NOP`s to longer bodies, or a fused countdown for shorter ones.
pub fn countdown(loop_body: u32) -> Vec<Instr> {
    let body = loop_body.max(1);
    if body < COUNTDOWN_BODY {
        let mut code = vec![Instr::Nop; body as usize - 1];
        code.push(Instr::CountdownJump(0));
        return code;
    }
    let mut code = vec![
        Instr::LoadFast(0),
        Instr::LoadConst(1),
        Instr::BinarySub,
        Instr::StoreFast(0),
    ];
    code.extend(std::iter::repeat_n(
        Instr::Nop,
        (body - COUNTDOWN_BODY) as usize,
    ));
    code.extend([
        Instr::LoadFast(0),
        Instr::LoadConst(0),
        Instr::CompareGt,
        Instr::PopJumpBackwardIfTrue(0),
    ]);
    code
}

/// The code of `for _ in range(times): counter += 1` on shared counter `counter` (7 bytecodes
/// per iteration), or with a Python call between the load and the store,
/// `counter = counter + one()` (11 bytecodes, with a check point at the callee's `RESUME`).
/// The instruction positions match the simulator's (`engine::work`).
pub fn increment(counter: u32, call_inside: bool) -> Vec<Instr> {
    let mut code = vec![
        Instr::ForIter,
        Instr::StoreFast(1),
        Instr::LoadGlobal(counter),
    ];
    if call_inside {
        code.extend([
            Instr::LoadFunction,
            Instr::Call,
            Instr::Resume,
            Instr::LoadConst(1),
            Instr::ReturnValue,
        ]);
    } else {
        code.push(Instr::LoadConst(1));
    }
    code.extend([
        Instr::BinaryAdd,
        Instr::StoreGlobal(counter),
        Instr::JumpBackward(0),
    ]);
    code
}

/// Why [`Frame::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The fuel is used up (or the code ran off its end).
    Done,
    /// A check point found these eval-breaker bits set; call `run` again to go on.
    Check(u32),
}

/// An executing frame: program counter, value stack, locals.
#[derive(Debug, Clone)]
pub struct Frame<'c> {
    code: &'c [Instr],
    pc: usize,
    stack: [i64; 4],
    sp: usize,
    locals: [i64; 2],
    stores: u64,
}

impl<'c> Frame<'c> {
    /// A frame at the start of `code`, with local 0 (the loop counter) set to `n`.
    pub fn new(code: &'c [Instr], n: u64) -> Self {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        Self {
            code,
            pc: 0,
            stack: [0; 4],
            sp: 0,
            locals: [n, 0],
            stores: 0,
        }
    }

    /// Stores into shared counters executed so far (each one is one `+= 1` performed).
    pub fn stores(&self) -> u64 {
        self.stores
    }

    fn push(&mut self, value: i64) {
        self.stack[self.sp] = value;
        self.sp += 1;
    }

    fn pop(&mut self) -> i64 {
        self.sp -= 1;
        self.stack[self.sp]
    }

    /// Executes until `fuel` runs out or a check point finds `breaker` non-zero. With
    /// `EVERY_BYTECODE` (the 3.2–3.9 model) the breaker is polled before every instruction,
    /// else after back-edges and at `RESUME`. `pad` iterations of busy work follow each
    /// instruction; `globals` are the shared counters.
    pub fn run<const EVERY_BYTECODE: bool>(
        &mut self,
        fuel: &mut u64,
        breaker: &AtomicU32,
        pad: u32,
        globals: &[AtomicU64],
    ) -> Exit {
        let mut spin: u64 = 0;
        loop {
            if *fuel == 0 {
                return Exit::Done;
            }
            if EVERY_BYTECODE {
                let bits = breaker.load(Ordering::Relaxed);
                if bits != 0 {
                    return Exit::Check(bits);
                }
            }
            let Some(&instr) = self.code.get(self.pc) else {
                return Exit::Done;
            };
            *fuel -= 1;
            self.pc += 1;
            let mut check_point = false;
            match instr {
                Instr::Nop | Instr::ReturnValue => {}
                Instr::LoadFast(n) => self.push(self.locals[n as usize]),
                Instr::StoreFast(n) => self.locals[n as usize] = self.pop(),
                Instr::LoadConst(value) => self.push(value),
                Instr::LoadGlobal(c) => {
                    self.push(globals[c as usize].load(Ordering::Relaxed).cast_signed());
                }
                Instr::StoreGlobal(c) => {
                    let value = self.pop();
                    globals[c as usize].store(value.cast_unsigned(), Ordering::Relaxed);
                    self.stores += 1;
                }
                Instr::LoadFunction => self.push(0),
                Instr::Call => {
                    self.pop();
                }
                Instr::BinaryAdd => {
                    let right = self.pop();
                    let left = self.pop();
                    self.push(left.wrapping_add(right));
                }
                Instr::BinarySub => {
                    let right = self.pop();
                    let left = self.pop();
                    self.push(left.wrapping_sub(right));
                }
                Instr::CompareGt => {
                    let right = self.pop();
                    let left = self.pop();
                    self.push(i64::from(left > right));
                }
                Instr::PopJumpBackwardIfTrue(target) => {
                    if self.pop() != 0 {
                        self.pc = target as usize;
                        check_point = true;
                    }
                }
                Instr::JumpBackward(target) => {
                    self.pc = target as usize;
                    check_point = true;
                }
                Instr::ForIter => {
                    if self.locals[0] > 0 {
                        self.locals[0] -= 1;
                        self.push(self.locals[0]);
                    } else {
                        self.pc = self.code.len();
                    }
                }
                Instr::Resume => check_point = true,
                Instr::CountdownJump(target) => {
                    self.locals[0] -= 1;
                    if self.locals[0] > 0 {
                        self.pc = target as usize;
                        check_point = true;
                    }
                }
            }
            for _ in 0..pad {
                spin = black_box(spin.wrapping_add(1));
            }
            if !EVERY_BYTECODE && check_point {
                let bits = breaker.load(Ordering::Relaxed);
                if bits != 0 {
                    return Exit::Check(bits);
                }
            }
        }
    }
}

/// Nanoseconds per bytecode of the countdown loop with `pad` units of padding, the best of
/// `rounds` runs of `bytecodes` each.
pub fn measure_ns_per_bytecode(pad: u32, bytecodes: u64, rounds: u32) -> f64 {
    let code = countdown(COUNTDOWN_BODY);
    let breaker = AtomicU32::new(0);
    let mut best = f64::INFINITY;
    for _ in 0..rounds.max(1) {
        let mut frame = Frame::new(&code, bytecodes + 1);
        let mut fuel = bytecodes;
        let start = Instant::now();
        frame.run::<false>(&mut fuel, &breaker, pad, &[]);
        best = best.min(start.elapsed().as_nanos() as f64 / bytecodes.max(1) as f64);
    }
    best
}

/// How fast the interpreter runs on this machine: unpadded, and the cost of one unit of padding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speed {
    /// Nanoseconds per bytecode without padding.
    pub raw_ns: f64,
    /// Nanoseconds one unit of padding adds to a bytecode.
    pub pad_unit_ns: f64,
}

impl Speed {
    /// Measured once per process (about 50 ms), then reused. Many short rounds, keeping the
    /// fastest, so that being switched out on a busy machine does not skew it.
    pub fn get() -> Speed {
        static SPEED: OnceLock<Speed> = OnceLock::new();
        *SPEED.get_or_init(|| {
            const PAD: u32 = 16;
            let raw_ns = measure_ns_per_bytecode(0, 300_000, 15);
            let padded = measure_ns_per_bytecode(PAD, 100_000, 15);
            Speed {
                raw_ns,
                pad_unit_ns: ((padded - raw_ns) / f64::from(PAD)).max(0.01),
            }
        })
    }

    /// Padding units per bytecode that bring the interpreter to `target_ns` per bytecode
    /// (0 when it is already that slow).
    pub fn pad_for(&self, target_ns: f64) -> u32 {
        ((target_ns - self.raw_ns) / self.pad_unit_ns)
            .round()
            .clamp(0.0, 1_000_000.0) as u32
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn run_all<'c>(
        code: &'c [Instr],
        n: u64,
        fuel: u64,
        globals: &[AtomicU64],
    ) -> (u64, Frame<'c>) {
        let breaker = AtomicU32::new(0);
        let mut frame = Frame::new(code, n);
        let mut left = fuel;
        assert_eq!(
            frame.run::<false>(&mut left, &breaker, 0, globals),
            Exit::Done
        );
        (fuel - left, frame)
    }

    #[test]
    fn countdown_bodies_have_the_asked_length_and_count_down() {
        for body in [1, 3, 7, 8, 9, 20] {
            let code = countdown(body);
            assert_eq!(code.len(), body as usize, "body {body}");
            // Ten iterations exactly: the loop leaves when n reaches 0.
            let (executed, frame) = run_all(&code, 10, u64::MAX, &[]);
            assert_eq!(executed, 10 * u64::from(body), "body {body}");
            assert_eq!(frame.locals[0], 0);
        }
    }

    #[test]
    fn increments_add_one_per_iteration_at_the_simulator_positions() {
        for call_inside in [false, true] {
            let code = increment(0, call_inside);
            let body = if call_inside { 11 } else { 7 };
            assert_eq!(code.len(), body);
            assert_eq!(code[2], Instr::LoadGlobal(0));
            assert_eq!(code[if call_inside { 9 } else { 5 }], Instr::StoreGlobal(0));
            let globals = [AtomicU64::new(5)];
            let (executed, frame) = run_all(&code, 100, 100 * body as u64, &globals);
            assert_eq!(executed, 100 * body as u64);
            assert_eq!(globals[0].load(Ordering::Relaxed), 105);
            assert_eq!(frame.stores(), 100);
        }
    }

    #[test]
    fn check_points_are_back_edges_or_every_bytecode() {
        let code = countdown(8);
        let breaker = AtomicU32::new(1);
        let mut frame = Frame::new(&code, 1000);
        let mut fuel = 1000;
        // 3.10+: the first check point is the back-edge, after 8 bytecodes.
        assert_eq!(
            frame.run::<false>(&mut fuel, &breaker, 0, &[]),
            Exit::Check(1)
        );
        assert_eq!(fuel, 992);
        // 3.9: before the very next instruction.
        assert_eq!(
            frame.run::<true>(&mut fuel, &breaker, 0, &[]),
            Exit::Check(1)
        );
        assert_eq!(fuel, 992);
        breaker.store(0, Ordering::Relaxed);
        assert_eq!(frame.run::<true>(&mut fuel, &breaker, 0, &[]), Exit::Done);
        assert_eq!(fuel, 0);
    }

    #[test]
    fn a_call_inside_adds_a_check_point_between_load_and_store() {
        let code = increment(0, true);
        let breaker = AtomicU32::new(1);
        let globals = [AtomicU64::new(0)];
        let mut frame = Frame::new(&code, 10);
        let mut fuel = 110;
        assert_eq!(
            frame.run::<false>(&mut fuel, &breaker, 0, &globals),
            Exit::Check(1)
        );
        // Stopped at RESUME: the load is done, the store is not.
        assert_eq!(110 - fuel, 6);
        assert_eq!(frame.stores(), 0);
    }

    #[test]
    fn padding_slows_the_interpreter_down() {
        let speed = Speed::get();
        assert!(speed.raw_ns > 0.0 && speed.pad_unit_ns > 0.0, "{speed:?}");
        assert_eq!(speed.pad_for(speed.raw_ns / 2.0), 0);
        assert!(speed.pad_for(speed.raw_ns + 100.0 * speed.pad_unit_ns) >= 90);
    }
}
