//! The simulator's event queue: one pending timer per slot (each thread, each core's time
//! slice, the end of the run), in an indexed binary heap. Re-arming a slot moves its entry
//! instead of leaving a stale one behind, so the heap never holds more than the slots.
//! Ties at one instant fire in the order they were armed (deterministic).

use crate::time::Nanos;

const ABSENT: u32 = u32::MAX;

/// An indexed min-heap of `(time, arm order)` per slot.
#[derive(Debug, Clone, Default)]
pub struct Timers {
    key: Vec<(Nanos, u64)>,
    heap: Vec<u32>,
    position: Vec<u32>,
    armed: u64,
}

impl Timers {
    /// Room for `slots` timers, none armed.
    pub fn new(slots: usize) -> Self {
        Self {
            key: vec![(0, 0); slots],
            heap: Vec::with_capacity(slots),
            position: vec![ABSENT; slots],
            armed: 0,
        }
    }

    /// Adds slots (they start unarmed).
    pub fn grow(&mut self, slots: usize) {
        if slots > self.key.len() {
            self.key.resize(slots, (0, 0));
            self.position.resize(slots, ABSENT);
        }
    }

    /// Arms `slot` to fire at `time`, replacing any earlier arming of it.
    pub fn set(&mut self, slot: usize, time: Nanos) {
        self.armed += 1;
        self.key[slot] = (time, self.armed);
        match self.position[slot] {
            ABSENT => {
                self.heap.push(slot as u32);
                let at = self.heap.len() - 1;
                self.position[slot] = at as u32;
                self.sift_up(at);
            }
            at => {
                let at = at as usize;
                self.sift_up(at);
                self.sift_down(self.position[slot] as usize);
            }
        }
    }

    /// Disarms `slot`.
    pub fn cancel(&mut self, slot: usize) {
        let at = self.position[slot];
        if at == ABSENT {
            return;
        }
        let at = at as usize;
        let last = self.heap.len() - 1;
        self.swap(at, last);
        self.heap.pop();
        self.position[slot] = ABSENT;
        if at < self.heap.len() {
            self.sift_up(at);
            self.sift_down(at);
        }
    }

    /// Whether `slot` is armed.
    pub fn is_armed(&self, slot: usize) -> bool {
        self.position[slot] != ABSENT
    }

    /// The earliest timer: `(time, slot)`.
    pub fn peek(&self) -> Option<(Nanos, usize)> {
        self.heap
            .first()
            .map(|&s| (self.key[s as usize].0, s as usize))
    }

    /// Removes and returns the earliest timer.
    pub fn pop(&mut self) -> Option<(Nanos, usize)> {
        let first = self.peek()?;
        self.cancel(first.1);
        Some(first)
    }

    fn less(&self, a: usize, b: usize) -> bool {
        self.key[self.heap[a] as usize] < self.key[self.heap[b] as usize]
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.position[self.heap[a] as usize] = a as u32;
        self.position[self.heap[b] as usize] = b as u32;
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if !self.less(at, parent) {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let (left, right) = (2 * at + 1, 2 * at + 2);
            let mut smallest = at;
            if left < self.heap.len() && self.less(left, smallest) {
                smallest = left;
            }
            if right < self.heap.len() && self.less(right, smallest) {
                smallest = right;
            }
            if smallest == at {
                break;
            }
            self.swap(at, smallest);
            at = smallest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn pops_in_time_then_arming_order_after_random_rearms_and_cancels() {
        let mut timers = Timers::new(64);
        let mut model: Vec<Option<(Nanos, u64)>> = vec![None; 64];
        let mut rng = SplitMix64::new(3);
        let mut order = 0;
        for _ in 0..5_000 {
            let slot = rng.below(64) as usize;
            match rng.below(4) {
                0 => {
                    timers.cancel(slot);
                    model[slot] = None;
                }
                1 => {
                    let popped = timers.pop();
                    let expected = model
                        .iter()
                        .enumerate()
                        .filter_map(|(s, k)| k.map(|k| (k, s)))
                        .min()
                        .map(|((t, _), s)| (t, s));
                    assert_eq!(popped, expected);
                    if let Some((_, s)) = popped {
                        model[s] = None;
                    }
                }
                _ => {
                    order += 1;
                    let time = rng.below(100);
                    timers.set(slot, time);
                    model[slot] = Some((time, order));
                }
            }
            assert_eq!(timers.is_armed(slot), model[slot].is_some());
        }
    }
}
