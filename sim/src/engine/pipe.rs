//! A pipe to the parent process, and the one thread there that reads it: what a message costs
//! its writer, and when the parent has it.
//!
//! Measured here (`scripts/measure/pipe_costs.py`, 3.13.0, 2 cores, load 4–8): a 100-byte
//! `Connection.send` reaches the parent's `recv` in 24–64 µs; a 1 MB one in 1.4–2.6 ms, its
//! `send` blocked 0.7–0.9 ms of it; but four children sending 1 MB at once to a parent that
//! reads their pipes in turn wait 13 ms (median; 22 ms p90), 34 ms with four busy processes
//! beside them. Where that time goes (`scripts/measure/pipe_fan_in.py`, 3.6–3.13, session 7):
//! the reader. `recv_bytes` reads a large message a buffer (64 KiB) at a time, every `read(2)`
//! into a fresh bytes object that is then copied into a `BytesIO`: 248 page faults and
//! 0.81–1.06 ms of CPU per MB, most of it in the kernel, against 0.16–0.40 ms for the writer's
//! copy into the pipe. The writer refills the buffer while the reader works, so every read
//! finds a full buffer (16 reads per MB, each of 65,536 bytes; the writer sleeps 16 times, the
//! reader almost never), and the message goes at the reader's pace. Three things make the wait,
//! all modelled here, not a fitted latency:
//! - one reader: the parent reads one message at a time (the engine's main process reading
//!   its children's pipes in turn, a pool's result thread, which then unpickles what it read
//!   holding the parent's GIL, [`super::pool::parent`]), so messages that arrive together
//!   queue behind each other;
//! - the pipe's buffer (64 KiB on Linux, `/proc/sys/fs/pipe-max-size` aside): a write that fits
//!   returns at once, a larger one blocks until the reader has taken all but the last buffer;
//! - the two copies, the writer's and the reader's, each measured in CPU time; the slower one
//!   paces a message larger than the buffer, the faster one's wake-ups hidden behind it.
//!
//! What the model leaves out: each side needs a free core at each of its wake-ups. A writer
//! that has just computed earns no sleeper's credit, so with CPU-bound processes beside it each
//! of its 16 sleeps per MB on the full pipe ends in the run queue: 16 ms median for 1 MB with
//! three busy processes beside (`pipe_fan_in.py 3000000 12 1 3`, 3.13.0, load 6.2), 0.9–1.5 ms
//! for a writer that had slept; here the write is one span, after which the writer wants a
//! core once. The parent is no lane of the simulator, so it is never short of a core. A
//! process's first large message costs the reader more (1.3–1.9 ms per MB) than the steady
//! state modelled.

use super::runtime::{
    PICKLE_FIXED, PICKLE_PS_PER_BYTE, PIPE_FIXED, PIPE_READ_PS_PER_BYTE, PIPE_WRITE_PS_PER_BYTE,
};
use crate::time::Nanos;

/// Linux's default pipe buffer: a write up to this size returns without the reader.
pub const PIPE_BUFFER: u64 = 65_536;

/// Pickling (or unpickling) a message of `bytes`.
pub fn pickle_cost(bytes: u64) -> Nanos {
    PICKLE_FIXED + bytes * PICKLE_PS_PER_BYTE / 1000
}

/// The writer copying `bytes` into the pipe.
fn write_cost(bytes: u64) -> Nanos {
    bytes * PIPE_WRITE_PS_PER_BYTE / 1000
}

/// The reader taking `bytes` out of the pipe (`recv_bytes`).
fn read_cost(bytes: u64) -> Nanos {
    bytes * PIPE_READ_PS_PER_BYTE / 1000
}

/// A message of `bytes` from its writer to a reader that keeps up: the write, the reader's
/// wake-up, its read.
pub fn transfer_cost(bytes: u64) -> Nanos {
    PIPE_FIXED + write_cost(bytes) + read_cost(bytes)
}

/// One thread of the parent reading its pipes, one message at a time.
#[derive(Debug, Clone, Default)]
pub struct Reader {
    /// When it has read every message written so far.
    free_at: Nanos,
}

/// What writing one message costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// When the writer's `send` returns.
    pub writer_done: Nanos,
    /// When the reader has read the whole message.
    pub delivered: Nanos,
}

impl Reader {
    /// The reader is busy with other work (unpickling what it read, in a pool's parent) until
    /// `at`.
    pub fn hold_until(&mut self, at: Nanos) {
        self.free_at = self.free_at.max(at);
    }

    /// A message of `bytes` written at `now`.
    pub fn write(&mut self, now: Nanos, bytes: u64) -> Written {
        // The first buffer's worth is in the pipe and the reader woken.
        let first = bytes.min(PIPE_BUFFER);
        let filled = now + PIPE_FIXED + write_cost(first);
        // The reader starts on it once it has read what came before; the rest follows at the
        // slower side's pace, until all but the last buffer is read and the write returns.
        let start = self.free_at.max(filled);
        let rest = bytes - first;
        let paced = start + rest * PIPE_READ_PS_PER_BYTE.max(PIPE_WRITE_PS_PER_BYTE) / 1000;
        let writer_done = if rest == 0 { filled } else { paced };
        self.free_at = paced + read_cost(first);
        Written {
            writer_done,
            delivered: self.free_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::US;

    /// A small message does not wait for the reader; a large one does, and four written at
    /// once (the fan-in measured at 13 ms) are read one after another, each at the reader's
    /// pace.
    #[test]
    fn large_messages_wait_for_the_one_reader() {
        let mut reader = Reader::default();
        let small = reader.write(0, 100);
        assert_eq!(small.writer_done, PIPE_FIXED + write_cost(100));
        assert_eq!(small.delivered, transfer_cost(100));
        let mut reader = Reader::default();
        let done: Vec<Written> = (0..4).map(|_| reader.write(0, 1_000_000)).collect();
        // One megabyte takes the reader 0.85 ms, the buffer's first fill aside.
        let rest = 1_000_000 - PIPE_BUFFER;
        let one = rest * PIPE_READ_PS_PER_BYTE / 1000 + read_cost(PIPE_BUFFER);
        let fill = PIPE_FIXED + write_cost(PIPE_BUFFER);
        for (k, written) in done.iter().enumerate() {
            let k = k as Nanos;
            assert_eq!(written.delivered, fill + (k + 1) * one);
            assert_eq!(
                written.writer_done + read_cost(PIPE_BUFFER),
                written.delivered
            );
        }
        assert!(one > 800 * US && one < 900 * US, "{one}");
        // Small messages behind a large one are written at once but read after it.
        let queued = reader.write(0, 100);
        assert_eq!(queued.writer_done, PIPE_FIXED + write_cost(100));
        assert_eq!(queued.delivered, done[3].delivered + read_cost(100));
        // A reader busy unpickling until later reads the next message then.
        reader.hold_until(10 * one);
        assert_eq!(reader.write(0, 100).delivered, 10 * one + read_cost(100));
    }
}
