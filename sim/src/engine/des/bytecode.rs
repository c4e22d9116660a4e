//! Bytecode loops on a core (`gil-model.md` rules 9–11): the work done is counted from
//! elapsed time, settled into bytecodes whenever something changes, recorded for the shared
//! counters, and timed to its end or to the next check point that the GIL needs (a drop
//! request, attaching to a GIL that came back, an old-GIL tick check).

use super::SimEngine;
use super::thread::{Resume, Stage, Tid};
use crate::engine::SimError;
use crate::engine::race::Segment;
use crate::engine::work::{FULL_SPEED, LoopShape, SharedUse, Work};
use crate::model::Model;
use crate::trace::{LaneId, NONE, ThreadState};

impl SimEngine {
    /// Starts the bytecode loop of the current op: `total` bytecodes shaped as `shape`,
    /// incrementing `counter` if it is an increment loop (where `shape` says it loads and
    /// stores), touching a `shared` object every iteration if it reads or mutates one.
    pub(super) fn begin_work(
        &mut self,
        t: Tid,
        total: u64,
        shape: LoopShape,
        counter: Option<usize>,
        shared: Option<SharedUse>,
    ) {
        let every = shape.bytecodes_per_ticks(self.config.check_interval);
        let tick_offset = self.draw_tick_point(&shape, every);
        self.threads[t].work = Some(Work {
            total,
            done_ps: 0,
            segment: None,
            shape,
            counter,
            shared,
            tick_offset,
            tick_every: every,
            speed: FULL_SPEED,
        });
        self.threads[t].stage = Stage::Bytecode;
        self.start_segment(t);
    }

    /// Old GIL, an increment loop: a seeded point of the iteration at or after `from`, among
    /// those after an instruction that ticks, for the next tick check. Redrawn at every
    /// check: between two checks real code also runs other bytecodes (the loop's own set-up,
    /// the `CPython` program's stamps every few microseconds) that tick too, so where in
    /// `counter += 1` the ticker runs out drifts; a fixed point would phase-lock (100 ticks
    /// are 20 whole iterations of 5 ticks) and lose all or nothing.
    pub(super) fn draw_tick_point(&mut self, shape: &LoopShape, from: u64) -> u64 {
        if self.model != Model::OldGil || shape.tick_points == 1 {
            return 0;
        }
        let chosen = self.rng.below(u64::from(shape.tick_points.count_ones()));
        let point = (0..shape.body)
            .filter(|p| shape.tick_points >> p & 1 == 1)
            .nth(chosen as usize)
            .map_or(0, u64::from);
        from - from % u64::from(shape.body) + point
    }

    /// Counts the bytecodes done so far in the current segment and records it (for counters).
    /// With `Some(())` the segment continues from now; with `None` it closes.
    pub(super) fn settle(&mut self, t: Tid, keep: Option<()>) {
        self.settle_upto(t, keep, u64::MAX);
    }

    /// Like [`Self::settle`], with the work done capped at `cap_ps` (a check point reached).
    /// A closing segment on a shared object stops contending for it.
    pub(super) fn settle_upto(&mut self, t: Tid, keep: Option<()>, cap_ps: u64) {
        self.settle_work(t, keep, cap_ps);
        if keep.is_none() {
            self.contention_leave(t);
        }
    }

    /// Counts and records the work of the current segment (see [`Self::settle_upto`]).
    fn settle_work(&mut self, t: Tid, keep: Option<()>, cap_ps: u64) {
        let ps = self.ps;
        let now = self.now;
        let th = &mut self.threads[t];
        let Some(work) = th.work.as_mut() else { return };
        let Some((start, from)) = work.segment else {
            return;
        };
        let done = work.done_at(now, ps).min(cap_ps).max(from);
        work.done_ps = done;
        work.segment = keep.map(|()| (now.max(start), done));
        let per_bytecode = self.per_bytecode;
        let bytecodes = Work::position(done, per_bytecode) - Work::position(from, per_bytecode);
        let counter = work
            .counter
            .zip(work.shape.accesses)
            .map(|(c, (load, store))| (c, work.shape.body, load, store));
        let serial = th.op_serial;
        let core = th.os.core();
        self.trace.add_bytecodes(LaneId::Thread(t.id()), bytecodes);
        if let Some(c) = core {
            self.trace.add_bytecodes(LaneId::Core(c), bytecodes);
        }
        if let Some((counter, body, load, store)) = counter {
            self.race.record(
                counter,
                Segment {
                    thread: t.id(),
                    start,
                    from_ps: from,
                    to_ps: done,
                    ps,
                    body,
                    load,
                    store,
                    op_serial: serial,
                },
            );
        }
    }

    /// A new segment of the work begins now, on a core (contending for its shared object, if
    /// it has one, with the other cores running a loop on it).
    pub(super) fn start_segment(&mut self, t: Tid) {
        let now = self.now;
        if let Some(work) = self.threads[t].work.as_mut() {
            work.segment = Some((now, work.done_ps));
        }
        self.show(t, ThreadState::Running, NONE);
        if !self.contention_enter(t) {
            self.schedule_work(t);
        }
    }

    /// Where a thread runs bytecode on a core, its next check point may have moved (a drop
    /// request, a new waiter, the GIL coming back): settle what it did and re-time its timer.
    pub(super) fn replan_if_running(&mut self, t: Tid) {
        if self.threads[t].runs_bytecode_on_core() {
            self.settle(t, Some(()));
            self.schedule_work(t);
        }
    }

    /// Timer for the work: its end, or its next check point if a drop request is pending.
    pub(super) fn schedule_work(&mut self, t: Tid) {
        let ps = self.ps;
        let now = self.now;
        let th = &self.threads[t];
        let Some(work) = th.work else { return };
        let end = work.total * ps;
        let done = work.done_at(now, ps);
        let must_attach = self.gil_on && !th.holds_gil;
        let target = if th.drop_request || must_attach || th.stop_requested {
            let position = Work::position(done, self.per_bytecode);
            let check = work.shape.next_check(position, work.total) * ps;
            (check < end).then_some(check)
        } else {
            self.next_tick_check(t, &work, done)
        };
        self.threads[t].check_target = target;
        let at = work.time_of(target.unwrap_or(end)).max(now);
        self.schedule(t, at);
    }

    /// The work's timer fired: a check point the GIL needed, or the end of the loop.
    pub(super) fn on_work_timer(&mut self, t: Tid) -> Result<(), SimError> {
        let th = &mut self.threads[t];
        let target = th.check_target.take();
        if let Some(target) = target.filter(|_| th.stop_requested) {
            self.settle_upto(t, None, target);
            self.pause_for_world(t, Stage::Bytecode);
            return Ok(());
        }
        if let Some(target) = target.filter(|_| self.gil_on && !th.holds_gil) {
            return self.attach_at_check_point(t, target);
        }
        if let Some(target) = target.filter(|_| self.model == Model::OldGil) {
            self.tick_check(t, target);
            return Ok(());
        }
        if let Some(target) = target.filter(|_| self.threads[t].drop_request) {
            return self.yield_at_check_point(t, target);
        }
        self.settle(t, Some(()));
        let th = &mut self.threads[t];
        let Some(work) = th.work else { return Ok(()) };
        if work.done_ps >= work.total * self.ps {
            self.settle(t, None);
            if self.is_executor(t) {
                self.job_done(t);
                return self.run(t);
            }
            let th = &mut self.threads[t];
            th.work = None;
            th.op_serial += 1;
            th.advance_op(Stage::Boundary);
            return self.run(t);
        }
        self.schedule_work(t);
        Ok(())
    }

    /// At the check point at work `target` (ps) exactly, with a drop request pending: the
    /// bytecode after it has not started. It yields (rule 5).
    fn yield_at_check_point(&mut self, t: Tid, target: u64) -> Result<(), SimError> {
        self.settle_upto(t, None, target);
        if self.yield_gil(t, Resume::Bytecode) {
            return self.run(t);
        }
        Ok(())
    }
}
