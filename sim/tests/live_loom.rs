//! Model test of the live engine's GIL with loom: every interleaving (up to the preemption
//! bound) of 2–3 threads taking, yielding on request and releasing the GIL, with a timer
//! thread whose ticks stand for timed waits expiring. Checked in every interleaving: at most
//! one holder; a drop request only ever targets the current holder; a thread forced off
//! resumes only after another thread took the GIL; and no thread is left blocked (a lost
//! wake-up or a forced switch that never completes shows up as a loom deadlock).
//!
//! Run (about 3 s of model checking once built):
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test -p gilscope-sim --test live_loom
//! --release --target-dir target/loom`.
#![cfg(loom)]

use gilscope_sim::live::gil::{DROP_REQUEST, Gil, GilHooks, Stopped};
use gilscope_sim::trace::NONE;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// What the model knows, updated by the hooks (which run with the GIL's mutex held).
struct World {
    holder: AtomicU32,
    last: AtomicU32,
}

struct Check {
    me: u32,
    world: Arc<World>,
    forced: bool,
}

impl GilHooks for Check {
    fn stamp(&mut self) -> u64 {
        0
    }

    fn waiting(&mut self, _at: u64, holder: u32) {
        assert_ne!(holder, self.me, "a thread waits for a GIL it holds");
    }

    fn drop_requested(&mut self, _at: u64, holder: u32) {
        assert_eq!(
            holder,
            self.world.holder.load(Ordering::Relaxed),
            "drop request aimed at a thread that does not hold the GIL"
        );
        assert_ne!(holder, self.me);
    }

    fn acquired(&mut self, _at: u64, previous: u32) {
        assert_eq!(
            self.world.holder.load(Ordering::Relaxed),
            NONE,
            "two holders at once"
        );
        assert_eq!(previous, self.world.last.load(Ordering::Relaxed));
        self.world.holder.store(self.me, Ordering::Relaxed);
        self.world.last.store(self.me, Ordering::Relaxed);
    }

    fn released(&mut self, _at: u64) {
        assert_eq!(
            self.world.holder.load(Ordering::Relaxed),
            self.me,
            "released a GIL it did not hold"
        );
        self.world.holder.store(NONE, Ordering::Relaxed);
    }

    fn forced_off(&mut self, _at: u64, requester: u32) {
        assert_ne!(requester, self.me);
        self.forced = true;
    }

    fn park(&mut self) {}

    fn unpark(&mut self) {}
}

/// A Python thread: take the GIL, reach `checks` check points (yielding when asked), exit.
fn python_thread(gil: &Gil, world: &Arc<World>, me: u32, checks: usize) -> Result<(), Stopped> {
    let mut hooks = Check {
        me,
        world: Arc::clone(world),
        forced: false,
    };
    gil.take(me, &mut hooks)?;
    for _ in 0..checks {
        if gil.breaker(me).load(Ordering::Relaxed) & DROP_REQUEST != 0 {
            hooks.forced = false;
            gil.release(me, false, &mut hooks)?;
            if hooks.forced {
                // The forced switch completed: someone else took the GIL meanwhile.
                assert_ne!(
                    world.last.load(Ordering::Relaxed),
                    me,
                    "forced off but nobody took over"
                );
            }
            gil.take(me, &mut hooks)?;
        }
        loom::thread::yield_now();
    }
    gil.release(me, true, &mut hooks)
}

fn model(threads: u32, checks: usize, ticks: usize) {
    loom::model(move || {
        let gil = Arc::new(Gil::new(threads as usize, Duration::from_millis(5), true));
        let world = Arc::new(World {
            holder: AtomicU32::new(NONE),
            last: AtomicU32::new(NONE),
        });
        let mut handles = Vec::new();
        for me in 1..threads {
            let (gil, world) = (Arc::clone(&gil), Arc::clone(&world));
            handles.push(loom::thread::spawn(move || {
                python_thread(&gil, &world, me, checks)
            }));
        }
        if ticks > 0 {
            let gil = Arc::clone(&gil);
            handles.push(loom::thread::spawn(move || {
                for _ in 0..ticks {
                    gil.tick();
                }
                Ok(())
            }));
        }
        let main = python_thread(&gil, &world, 0, checks);
        for handle in handles {
            assert_eq!(handle.join().expect("thread"), Ok(()));
        }
        assert_eq!(main, Ok(()));
        assert_eq!(
            world.holder.load(Ordering::Relaxed),
            NONE,
            "the GIL is free at the end"
        );
    });
}

#[test]
fn two_threads_with_timeouts() {
    model(2, 3, 2);
}

#[test]
fn three_threads() {
    model(3, 1, 0);
}

#[test]
fn stop_wakes_every_waiter() {
    loom::model(|| {
        let gil = Arc::new(Gil::new(2, Duration::from_millis(5), true));
        let world = Arc::new(World {
            holder: AtomicU32::new(NONE),
            last: AtomicU32::new(NONE),
        });
        let waiter = {
            let (gil, world) = (Arc::clone(&gil), Arc::clone(&world));
            loom::thread::spawn(move || {
                let mut hooks = Check {
                    me: 1,
                    world,
                    forced: false,
                };
                match gil.take(1, &mut hooks) {
                    Ok(()) => gil.release(1, true, &mut hooks),
                    Err(Stopped) => Err(Stopped),
                }
            })
        };
        let mut hooks = Check {
            me: 0,
            world: Arc::clone(&world),
            forced: false,
        };
        // The holder never yields: only stopping can end the waiter's wait.
        let took = gil.take(0, &mut hooks);
        gil.stop();
        let _ = waiter.join().expect("waiter");
        if took.is_ok() {
            assert!(gil.take(0, &mut hooks).is_err(), "no take after stop");
        }
    });
}
