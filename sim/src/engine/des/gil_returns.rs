//! A free-threaded run whose GIL comes back (`gil-model.md` rule 18): importing an extension
//! that does not declare free-threading support enables the GIL for the rest of the run, with
//! a `RuntimeWarning` naming the module, unless `PYTHON_GIL=0` keeps it off. The importer stops
//! the world to do it ([`super::stop_world`]); the threads it paused take the GIL in turn once
//! the world restarts, and threads that were detached attach at their next check point.

use super::SimEngine;
use super::stop_world::Reason;
use super::thread::{Resume, Stage, Tid};
use crate::engine::SimError;
use crate::model::Model;
use crate::time::Nanos;

impl SimEngine {
    /// Thread `t` imports `module`, which takes `duration` to load: one that is not declared
    /// free-threading safe turns the GIL on first, unless the GIL is forced off. Returns whether
    /// to keep running.
    pub(super) fn import_module(
        &mut self,
        t: Tid,
        module: usize,
        supports_free_threading: bool,
        duration: Nanos,
    ) -> bool {
        if !self.gil_on && !supports_free_threading && self.config.gil_override != Some(false) {
            return self.stop_the_world(t, Reason::EnableGil { module, duration })
                && self.world_is_stopped(t);
        }
        self.threads[t].enter_c_call(duration, Stage::CHold);
        true
    }

    /// The GIL is enabled for the rest of the run (the world is stopped). The importer takes
    /// it; every other thread attaches at its next check point.
    pub(super) fn enable_gil(&mut self, t: Tid, module: usize) {
        let name = self.module_names.get(module).cloned().unwrap_or_default();
        self.trace.warnings.push((
            self.now,
            format!(
                "RuntimeWarning: The global interpreter lock (GIL) has been enabled to load module '{name}', which has not declared that it can run safely without the GIL. To override this behavior and keep the GIL disabled (at your own risk), run with PYTHON_GIL=0 or -Xgil=0."
            ),
        ));
        self.gil_on = true;
        self.model = Model::NewGil310;
        self.acquire(t);
        for other in self.threads.ids() {
            if other != t {
                self.replan_if_running(other);
            }
        }
    }

    /// A thread that ran bytecode without the GIL reached the check point at work `target`
    /// (ps) after the GIL came back: it stops there and takes the GIL.
    pub(super) fn attach_at_check_point(&mut self, t: Tid, target: u64) -> Result<(), SimError> {
        self.settle_upto(t, None, target);
        self.threads[t].stage = Stage::take_gil(Resume::Bytecode);
        self.run(t)
    }
}
