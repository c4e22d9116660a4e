//! The simulator's event queue: one pending timer per slot (each thread, each core's time
//! slice, the end of the run), in an indexed binary heap. Re-arming a slot moves its entry
//! instead of leaving a stale one behind, so the heap never holds more than the slots.
//! Ties at one instant fire in the order they were armed (deterministic).

use crate::time::Nanos;

const ABSENT: u32 = u32::MAX;

/// One armed timer: when, in which arming order, for which slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    time: Nanos,
    order: u64,
    slot: u32,
}

/// An indexed min-heap of `(time, arm order)` per slot, keys stored inline for locality.
#[derive(Debug, Clone, Default)]
pub struct Timers {
    heap: Vec<Entry>,
    position: Vec<u32>,
    armed: u64,
}

impl Timers {
    /// Room for `slots` timers, none armed.
    pub fn new(slots: usize) -> Self {
        Self {
            heap: Vec::with_capacity(slots),
            position: vec![ABSENT; slots],
            armed: 0,
        }
    }

    /// Adds slots (they start unarmed).
    pub fn grow(&mut self, slots: usize) {
        if slots > self.position.len() {
            self.position.resize(slots, ABSENT);
        }
    }

    /// Arms `slot` to fire at `time`, replacing any earlier arming of it.
    pub fn set(&mut self, slot: usize, time: Nanos) {
        self.armed += 1;
        let entry = Entry {
            time,
            order: self.armed,
            slot: slot as u32,
        };
        match self.position[slot] {
            ABSENT => {
                self.heap.push(entry);
                let at = self.heap.len() - 1;
                self.position[slot] = at as u32;
                self.sift_up(at);
            }
            at => {
                let at = at as usize;
                let earlier = entry < self.heap[at];
                self.heap[at] = entry;
                if earlier {
                    self.sift_up(at);
                } else {
                    self.sift_down(at);
                }
            }
        }
    }

    /// Disarms `slot`.
    pub fn cancel(&mut self, slot: usize) {
        let at = self.position[slot];
        if at == ABSENT {
            return;
        }
        self.remove_at(at as usize);
    }

    /// Whether `slot` is armed.
    pub fn is_armed(&self, slot: usize) -> bool {
        self.position[slot] != ABSENT
    }

    /// The earliest timer: `(time, slot)`.
    pub fn peek(&self) -> Option<(Nanos, usize)> {
        self.heap.first().map(|e| (e.time, e.slot as usize))
    }

    /// Removes and returns the earliest timer.
    pub fn pop(&mut self) -> Option<(Nanos, usize)> {
        let first = self.peek()?;
        self.remove_at(0);
        Some(first)
    }

    fn remove_at(&mut self, at: usize) {
        let last = self.heap.len() - 1;
        let removed = self.heap[at].slot as usize;
        self.heap.swap(at, last);
        self.heap.pop();
        self.position[removed] = ABSENT;
        if at < self.heap.len() {
            self.position[self.heap[at].slot as usize] = at as u32;
            if at > 0 && self.heap[at] < self.heap[(at - 1) / 2] {
                self.sift_up(at);
            } else {
                self.sift_down(at);
            }
        }
    }

    fn sift_up(&mut self, mut at: usize) {
        let entry = self.heap[at];
        while at > 0 {
            let parent = (at - 1) / 2;
            if entry >= self.heap[parent] {
                break;
            }
            self.heap[at] = self.heap[parent];
            self.position[self.heap[at].slot as usize] = at as u32;
            at = parent;
        }
        self.heap[at] = entry;
        self.position[entry.slot as usize] = at as u32;
    }

    fn sift_down(&mut self, mut at: usize) {
        let entry = self.heap[at];
        let len = self.heap.len();
        loop {
            let left = 2 * at + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.heap[right] < self.heap[left] {
                right
            } else {
                left
            };
            if self.heap[child] >= entry {
                break;
            }
            self.heap[at] = self.heap[child];
            self.position[self.heap[at].slot as usize] = at as u32;
            at = child;
        }
        self.heap[at] = entry;
        self.position[entry.slot as usize] = at as u32;
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
