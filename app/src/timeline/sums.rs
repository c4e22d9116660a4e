//! The level-of-detail index's prefix sums, stored compactly: one checkpoint holds a sum only
//! for the colour keys the lane has used so far (a thread lane uses a handful of its 19
//! states, an occupancy lane its eight thread colours), so a zoomed-out frame, which reads one
//! checkpoint per summary column, touches one cache line per column instead of three.

use crate::timeline::lod::{KEYS, Totals};

/// No slot: the key has not occurred yet.
const ABSENT: u8 = u8::MAX;

/// Prefix sums per colour key at checkpoints, each as wide as the number of keys seen.
#[derive(Clone, Debug, Default)]
pub struct Checkpoints {
    /// `slots[key]`: where `key`'s sum sits in a checkpoint, or [`ABSENT`].
    slots: [u8; KEYS],
    /// The key in each slot.
    keys: Vec<u8>,
    /// The sums, checkpoint after checkpoint, `keys.len()` each.
    sums: Vec<u64>,
    /// Number of checkpoints.
    len: usize,
}

// Slots and keys are `u8`s.
const _: () = assert!(KEYS < ABSENT as usize);

impl Checkpoints {
    /// No checkpoint.
    pub fn new() -> Self {
        Self {
            slots: [ABSENT; KEYS],
            keys: Vec::new(),
            sums: Vec::new(),
            len: 0,
        }
    }

    /// Number of checkpoints.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends a checkpoint holding `totals` (which count only keys already seen through
    /// [`Checkpoints::see`], or none).
    pub fn push(&mut self, totals: &Totals) {
        self.sums
            .extend(self.keys.iter().map(|&key| totals[usize::from(key)]));
        self.len += 1;
    }

    /// Makes room for `key` in every checkpoint (its sum 0 in those already stored) if it has
    /// none yet. Rare: once per key a lane uses.
    pub fn see(&mut self, key: usize) {
        if self.slots[key] != ABSENT {
            return;
        }
        let width = self.keys.len();
        let mut sums = Vec::with_capacity(self.len * (width + 1));
        for checkpoint in self.sums.chunks_exact(width.max(1)).take(self.len) {
            sums.extend_from_slice(checkpoint);
            sums.push(0);
        }
        if width == 0 {
            sums.resize(self.len, 0);
        }
        self.sums = sums;
        // `key < KEYS < ABSENT` and at most `KEYS` slots: both fit a `u8`.
        self.slots[key] = width as u8;
        self.keys.push(key as u8);
    }

    /// Checkpoint `c`, key by key.
    pub fn get(&self, c: usize) -> Totals {
        let mut totals = [0; KEYS];
        let width = self.keys.len();
        for (&key, &sum) in self.keys.iter().zip(&self.sums[c * width..(c + 1) * width]) {
            totals[usize::from(key)] = sum;
        }
        totals
    }

    /// Checkpoint `b` less checkpoint `a`, key by key (`a <= b`: the time each key covers
    /// between them).
    pub fn between(&self, a: usize, b: usize) -> Totals {
        let mut totals = [0; KEYS];
        let width = self.keys.len();
        let (before, after) = (
            &self.sums[a * width..(a + 1) * width],
            &self.sums[b * width..(b + 1) * width],
        );
        for ((&key, &x), &y) in self.keys.iter().zip(before).zip(after) {
            totals[usize::from(key)] = y - x;
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_read_back_what_was_pushed_as_keys_appear() {
        let mut sums = Checkpoints::new();
        let mut pushed: Vec<Totals> = Vec::new();
        let mut running = [0u64; KEYS];
        sums.push(&running);
        pushed.push(running);
        for (n, key) in [3, 3, 18, 0, 3, 7, 18, 1].into_iter().enumerate() {
            sums.see(key);
            running[key] += 10 + n as u64;
            sums.push(&running);
            pushed.push(running);
        }
        assert_eq!(sums.len(), pushed.len());
        for (c, want) in pushed.iter().enumerate() {
            assert_eq!(&sums.get(c), want, "checkpoint {c}");
            for (a, before) in pushed[..=c].iter().enumerate() {
                let mut diff = *want;
                for (d, b) in diff.iter_mut().zip(before) {
                    *d -= b;
                }
                assert_eq!(sums.between(a, c), diff, "checkpoints {a}..{c}");
            }
        }
    }
}
