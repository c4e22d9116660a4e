//! Behaviour tests: the GIL switches of an asyncio program are the executor's handoffs with the
//! event loop's thread (`gil-model.md` rule 22), paced by the switch interval, and as many as a
//! real interpreter makes.
//!
//! Measured here: the `asyncio` preset on the real 3.13.0 (`gilscope run asyncio --engine
//! cpython --interpreter 3.13`), five runs under `chrt -f 5` so that the interpreter's threads
//! get a core as soon as they can run, as on an idle machine (load average 10 from other work on
//! the 2 cores): 26, 26, 34, 42 and 38 switches in 414–494 ms. The same program without the
//! priority, at that load, made 58–78 switches in 1.78–1.84 s: the waiting thread gets its core
//! late, and the executor holds the GIL 11–18 ms at a time instead of one switch interval.

use gilscope_sim::trace::{MarkerKind, NONE};
use gilscope_sim::{Overrides, simulate};

mod common;

use common::stats;

fn asyncio(bytecode_ns: f64) -> Overrides {
    Overrides {
        bytecode_ns: Some(bytecode_ns),
        ..Overrides::default()
    }
}

/// The executor computing holds the GIL until the loop thread, woken for a task, has waited a
/// switch interval and forced it off (rule 5); the loop runs its ready tasks and goes back to
/// `epoll`, and the executor takes the GIL again: one forced switch at most per interval of the
/// job, and each a handoff to the loop and one back, beside the job's start and end.
#[test]
fn the_loop_takes_the_gil_from_the_executor_once_a_switch_interval() {
    let s = gilscope_sim::presets::preset("asyncio").unwrap().unwrap();
    let config = s.config(&asyncio(4.0)).unwrap();
    let interval = config.switch_interval();
    let trace = simulate(&s, &config).unwrap();
    let is_executor = |id: u32| id != NONE && trace.thread_name(id).starts_with("executor");
    let times = |kind: MarkerKind| -> Vec<u64> {
        trace
            .markers
            .iter()
            .filter(|m| m.kind == kind && is_executor(m.thread))
            .map(|m| m.time)
            .collect()
    };
    let forced = times(MarkerKind::ForcedSwitch);
    assert!(forced.len() > 4, "{forced:?}");
    for pair in forced.windows(2) {
        assert!(pair[1] - pair[0] >= interval, "{forced:?}");
    }
    // Every handoff away from the executor is a forced switch or a job's end (4 jobs).
    let handoffs = times(MarkerKind::Handoff);
    assert!(
        handoffs.len() <= forced.len() + 4,
        "{handoffs:?} {forced:?}"
    );
}

/// The simulator at the speed of those real runs counts what they counted.
#[test]
fn the_switches_are_as_many_as_real_3_13_makes_on_an_idle_machine() {
    let s = gilscope_sim::presets::preset("asyncio").unwrap().unwrap();
    let st = stats(&s, &asyncio(4.0));
    assert!(
        (400.0..520.0).contains(&st.wall_ms),
        "wall {} ms (real 414–494 ms)",
        st.wall_ms
    );
    assert!(
        (26..=42).contains(&st.gil.switches),
        "{} switches (real 26–42)",
        st.gil.switches
    );
}
