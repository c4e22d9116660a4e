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
//!   returns once copied, a larger one goes a buffer at a time: the writer copies a buffer on
//!   its core, sleeps on the full pipe until the reader takes it, is woken (an OS wake-up) and
//!   needs a core again for the next (the engine's OS model, `des/pool.rs`), so with more
//!   runnable processes than cores each of its 15 wake-ups per MB can end in the run queue;
//! - the two copies, the writer's and the reader's, each measured in CPU time; the slower one
//!   paces a message larger than the buffer.
//!
//! Measured for the writer's waits (pipes8, `pipe_fan_in.py 3000000 12 1 3`, 3.13.0, load
//! 6.2): a writer that has just computed, three busy processes beside it, 16 ms median for
//! 1 MB against 8.1 ms with none beside; 0.9–1.5 ms for a writer that had slept. What the
//! model leaves out: the parent is no lane of the simulator, so it is never short of a core;
//! a process's first large message costs the reader more (1.3–1.9 ms per MB) than the steady
//! state modelled.

use super::runtime::{
    PICKLE_FIXED, PICKLE_PS_PER_BYTE, PIPE_FIXED, PIPE_READ_PS_PER_BYTE, PIPE_WRITE_PS_PER_BYTE,
};
use crate::time::Nanos;
use std::collections::VecDeque;

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

/// One thread of the parent reading its pipes, one message at a time, a buffer at a time.
/// Writers are named by a key of the caller's choosing (the engine's thread index).
#[derive(Debug, Clone, Default)]
pub struct Reader {
    /// When it has read every buffer taken so far.
    free_at: Nanos,
    /// The writer whose message it is reading, between two of its buffers.
    reading: Option<usize>,
    /// Messages whose first buffer is in their pipe, waiting for the reader, in order.
    waiting: VecDeque<Buffer>,
}

/// A buffer's worth of a message in its pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffer {
    /// Whose pipe it is in.
    pub writer: usize,
    /// When it was in the pipe.
    pub filled: Nanos,
    /// Its size.
    pub bytes: u64,
    /// Whether it ends its message.
    pub last: bool,
    /// The whole message's size.
    pub message: u64,
}

/// The reader taking a buffer out of a pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Take {
    /// Whose pipe it was in.
    pub writer: usize,
    /// When the reader empties the pipe (and wakes its writer, asleep on the full pipe).
    pub at: Nanos,
    /// When the reader has read the whole message, if the buffer was its last.
    pub delivered: Option<Nanos>,
    /// The whole message's size.
    pub message: u64,
}

/// The size of the next buffer of a message with `left` bytes still to write, and whether it
/// is the last.
pub fn next_buffer(left: u64) -> (u64, bool) {
    (left.min(PIPE_BUFFER), left <= PIPE_BUFFER)
}

/// The writer copying a message's buffer of `bytes` into the pipe, the system call's fixed
/// cost with the `first`.
pub fn buffer_cost(bytes: u64, first: bool) -> Nanos {
    let fixed = if first { PIPE_FIXED } else { 0 };
    fixed + write_cost(bytes)
}

impl Reader {
    /// A buffer is in its pipe. The reader takes it once done with what it read before,
    /// unless it is reading another writer's message: then the buffer waits for [`Self::next`].
    /// A new message is started no sooner than `busy_until` (the reader's other work).
    pub fn fill(&mut self, buffer: Buffer, busy_until: Nanos) -> Option<Take> {
        match self.reading {
            Some(writer) if writer == buffer.writer => Some(self.take(buffer)),
            None if self.waiting.is_empty() => {
                self.free_at = self.free_at.max(busy_until);
                Some(self.take(buffer))
            }
            _ => {
                self.waiting.push_back(buffer);
                None
            }
        }
    }

    /// The reader, done with a message, starts on the next one waiting, no sooner than
    /// `busy_until`.
    pub fn next(&mut self, busy_until: Nanos) -> Option<Take> {
        if self.reading.is_some() {
            return None;
        }
        let buffer = self.waiting.pop_front()?;
        self.free_at = self.free_at.max(busy_until);
        Some(self.take(buffer))
    }

    fn take(&mut self, buffer: Buffer) -> Take {
        let at = self.free_at.max(buffer.filled);
        self.free_at = at + read_cost(buffer.bytes);
        self.reading = (!buffer.last).then_some(buffer.writer);
        Take {
            writer: buffer.writer,
            at,
            delivered: buffer.last.then_some(self.free_at),
            message: buffer.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::US;

    /// Writers that each get a core at once whenever woken: each copies its next buffer as
    /// soon as the reader took the one before. Returns when each message was read.
    fn keep_up(reader: &mut Reader, messages: &[u64], lag: Nanos) -> Vec<Nanos> {
        let mut left: Vec<u64> = messages.to_vec();
        let mut delivered = vec![0; messages.len()];
        let mut pending: Vec<(Nanos, usize)> = (0..messages.len())
            .map(|w| (buffer_cost(next_buffer(left[w]).0, true), w))
            .collect();
        while let Some(k) = (0..pending.len()).min_by_key(|&k| pending[k]) {
            let (filled, w) = pending.swap_remove(k);
            let (bytes, last) = next_buffer(left[w]);
            left[w] -= bytes;
            let buffer = Buffer {
                writer: w,
                filled,
                bytes,
                last,
                message: messages[w],
            };
            let mut take = reader.fill(buffer, 0);
            while let Some(taken) = take {
                take = if let Some(at) = taken.delivered {
                    delivered[taken.writer] = at;
                    reader.next(0)
                } else {
                    let next = next_buffer(left[taken.writer]).0;
                    pending.push((taken.at + lag + buffer_cost(next, false), taken.writer));
                    None
                };
            }
        }
        delivered
    }

    /// A small message is read as soon as it is in the pipe; a large one goes at the
    /// reader's pace; four written at once (the fan-in measured at 13 ms) are read one after
    /// another.
    #[test]
    fn large_messages_wait_for_the_one_reader() {
        let mut reader = Reader::default();
        assert_eq!(keep_up(&mut reader, &[100], 0), vec![transfer_cost(100)]);
        let mut reader = Reader::default();
        let done = keep_up(&mut reader, &[1_000_000; 4], 5 * US);
        // One megabyte takes the reader 0.85 ms, the buffer's first fill aside.
        let one = read_cost(1_000_000);
        let fill = buffer_cost(PIPE_BUFFER, true);
        for (k, &delivered) in done.iter().enumerate() {
            // Rounding to whole nanoseconds a buffer aside.
            let ideal = fill + (k as Nanos + 1) * one;
            assert!(
                delivered.abs_diff(ideal) <= 16 * (k as Nanos + 1),
                "{done:?} against {ideal}"
            );
        }
        assert!(one > 800 * US && one < 900 * US, "{one}");
    }

    /// A writer that is late with its next buffer makes the reader wait: each buffer after
    /// the first is taken the writer's delay and copy after the one before, not the reader's
    /// read.
    #[test]
    fn a_late_writer_holds_up_the_reader() {
        let prompt = keep_up(&mut Reader::default(), &[1_000_000], 0)[0];
        let late = keep_up(&mut Reader::default(), &[1_000_000], 200 * US)[0];
        let buffers = 1_000_000_u64.div_ceil(PIPE_BUFFER);
        let slowed = (buffers - 1) * 200 * US + write_cost(1_000_000 - PIPE_BUFFER)
            - read_cost((buffers - 1) * PIPE_BUFFER);
        assert!(
            late.abs_diff(prompt + slowed) <= 64,
            "{late} against {prompt}"
        );
    }

    /// A reader busy with other work starts a new message then.
    #[test]
    fn a_busy_reader_starts_the_next_message_later() {
        let mut reader = Reader::default();
        let buffer = Buffer {
            writer: 0,
            filled: 0,
            bytes: 100,
            last: true,
            message: 100,
        };
        let taken = reader.fill(buffer, 10 * US).expect("the reader is idle");
        assert_eq!(taken.at, 10 * US);
        assert_eq!(taken.delivered, Some(10 * US + read_cost(100)));
    }
}
