//! A pipe to the parent process, and the one thread there that reads it: what a message costs
//! its writer, and when the parent has it.
//!
//! Measured here (`scripts/measure/pipe_costs.py`, 3.13.0, 2 cores, load 4–8): a 100-byte
//! `Connection.send` reaches the parent's `recv` in 24–64 µs; a 1 MB one in 1.4–2.6 ms, its
//! `send` blocked 0.7–0.9 ms of it; but four children sending 1 MB at once to a parent that
//! reads their pipes in turn wait 13 ms (median; 22 ms p90), 34 ms with four busy processes
//! beside them. Two things make that wait, and both are modelled here, not a fitted latency:
//! - one reader: the parent reads one message at a time (the engine's main process reading
//!   its children's pipes in turn, a pool's result thread, which then unpickles what it read
//!   holding the parent's GIL, [`super::pool::parent`]), so messages that arrive together
//!   queue behind each other;
//! - the pipe's buffer (64 KiB on Linux, `/proc/sys/fs/pipe-max-size` aside): a write that fits
//!   returns at once, a larger one blocks until the reader has drained all but the last
//!   buffer, each buffer a round trip in which the reader and the writer wake each other.
//!
//! What the model leaves out: each of those wake-ups waits for a free core, and on a machine
//! with more runnable processes than cores (the validate runs: four workers and the parent on
//! two cores) that wait is a time slice, not a wake-up latency; the parent is no lane of the
//! simulator, so it is never short of a core.

use super::runtime::{PICKLE_FIXED, PICKLE_PS_PER_BYTE, PIPE_FIXED, PIPE_PS_PER_BYTE};
use crate::time::Nanos;

/// Linux's default pipe buffer: a write up to this size returns without the reader.
pub const PIPE_BUFFER: u64 = 65_536;

/// Pickling (or unpickling) a message of `bytes`.
pub fn pickle_cost(bytes: u64) -> Nanos {
    PICKLE_FIXED + bytes * PICKLE_PS_PER_BYTE / 1000
}

/// Writing `bytes` to a pipe whose reader keeps up, and the reader's wake-up.
pub fn transfer_cost(bytes: u64) -> Nanos {
    PIPE_FIXED + bytes * PIPE_PS_PER_BYTE / 1000
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

    /// A message of `bytes` written at `now`; a thread that sleeps for the other side wakes
    /// after `wake`.
    pub fn write(&mut self, now: Nanos, bytes: u64, wake: Nanos) -> Written {
        let transfer = transfer_cost(bytes);
        if bytes <= PIPE_BUFFER {
            // It fits the buffer: the writer goes on; the reader takes it when it is free.
            let writer_done = now + transfer;
            self.free_at = self.free_at.max(writer_done);
            return Written {
                writer_done,
                delivered: self.free_at,
            };
        }
        // The reader starts on it once it has read what came before; each buffer's worth but
        // the first is a round trip: the reader woken to drain it, the writer woken to refill.
        let round_trips = bytes.div_ceil(PIPE_BUFFER) - 1;
        let start = self.free_at.max(now);
        let writer_done = start + transfer + round_trips * 2 * wake;
        self.free_at = writer_done;
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
    /// once (the fan-in measured at 13 ms) are read one after another.
    #[test]
    fn large_messages_wait_for_the_one_reader() {
        let mut reader = Reader::default();
        let small = reader.write(0, 100, 5 * US);
        assert_eq!(small.writer_done, transfer_cost(100));
        let mut reader = Reader::default();
        let done: Vec<Nanos> = (0..4)
            .map(|_| reader.write(0, 1_000_000, 5 * US).writer_done)
            .collect();
        let one = transfer_cost(1_000_000) + 15 * 2 * 5 * US;
        assert_eq!(done, vec![one, 2 * one, 3 * one, 4 * one]);
        // Small messages behind a large one are written at once but read after it.
        let queued = reader.write(0, 100, 5 * US);
        assert_eq!(queued.writer_done, transfer_cost(100));
        assert_eq!(queued.delivered, 4 * one);
        // A reader busy unpickling until later reads the next message then.
        reader.hold_until(5 * one);
        assert_eq!(reader.write(0, 100, 5 * US).delivered, 5 * one);
    }
}
