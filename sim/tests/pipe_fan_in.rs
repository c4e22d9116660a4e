//! Behaviour tests: worker processes sending large messages to the parent (`engine/pipe.rs`),
//! as the `multiprocessing` preset's workers do at their end.
//!
//! Measured here with `scripts/measure/pipe_fan_in.py` and its steady state (`pipe_fan_in.py
//! stream`: a child writing 200 messages of 1 MB, the parent reading them; session 7, 2 cores,
//! load 2.5; 0.65–0.72 ms for the reader and 0.12–0.17 for the writer in a later run at load 8):
//! - `ForkingPickler.dumps` of 1 MB, the first half of `Connection.send`: 0.87–1.0 ms median;
//! - the reader is the slow side: `recv_bytes` takes 0.81–1.06 ms of CPU per MB on 3.6–3.13
//!   (0.86 on 3.13; 248 page faults per MB, most of it kernel time), the writer 0.16–0.40 ms;
//!   every `read(2)` finds a full 64 KiB buffer (16 per MB), the writer sleeps 16 times per MB
//!   and the reader almost never, and 1 MB goes through in 0.97–1.13 ms of wall time (3.7–3.13;
//!   1.44 on 3.9, 1.94 on 3.6);
//! - four children writing 1 MB at once to a parent that reads one whole message after the
//!   other (load 0.8–1.1): each `send_bytes` 4.3–5.7 ms median, 7.4–8.6 ms p90, the reader
//!   1.1–1.5 ms of CPU per message (a process's first large messages cost it more than the
//!   steady state), the children starting 0.8–1.2 ms apart after their pickling.

use gilscope_sim::model::StartMethod;
use gilscope_sim::time::{MS, Nanos, US};
use gilscope_sim::{Overrides, Runtime, Stats, ThreadState, simulate};

mod common;

use common::scenario;

/// `senders` processes that each send one message of `bytes` to the parent at once (forked a
/// microsecond apart), on enough cores for all of them.
fn senders(senders: u32, bytes: u64) -> Stats {
    let text = format!(
        "name = \"fan-in\"\n[settings]\ncores = {senders}\n[[threads]]\nname = \"sender\"\ncount = {senders}\nops = [ {{ send = {bytes} }} ]\n"
    );
    forked(&text)
}

/// The stats of scenario `text` run as processes forked a microsecond apart.
fn forked(text: &str) -> Stats {
    let s = scenario(text);
    let overrides = Overrides {
        runtime: Some(Runtime::Multiprocessing),
        start_method: Some(StartMethod::Fork),
        ..Overrides::default()
    };
    let mut config = s.config(&overrides).expect("valid settings");
    config.fork_start = US;
    Stats::compute(&simulate(&s, &config).expect("run completes"))
}

fn ns(ms: f64) -> Nanos {
    (ms * 1e6).round() as Nanos
}

/// A lone 1 MB send: first the pickling, holding the process's own GIL (as a real trace now
/// shows it too), then the write, which lasts as long as the reader takes for all but the last
/// buffer: about 0.8 ms at the measured 0.85 ns a byte, within the real 0.97–1.13 ms wall time
/// of a whole megabyte. A 100-byte send is a few microseconds.
#[test]
fn a_large_send_goes_at_the_readers_pace() {
    let one = senders(1, 1_000_000);
    let thread = &one.threads[0];
    let pickling = ns(thread.state_ms.of(ThreadState::Pickling));
    assert!(
        (900 * US..=1100 * US).contains(&pickling),
        "pickling {pickling} ns, measured 0.87-1.0 ms"
    );
    let write = ns(thread.io_latency_ms.expect("the write is an I/O call").p50);
    assert!(
        (700 * US..=1200 * US).contains(&write),
        "a 1 MB write {write} ns, measured 0.97-1.13 ms a MB"
    );
    let small = senders(1, 100);
    let write = ns(small.threads[0].io_latency_ms.expect("an I/O call").p50);
    assert!(write <= 20 * US, "a 100 B write {write} ns");
}

/// Four 1 MB sends at once to the one reader: each waits for the messages read before it, so
/// the writes end about a reader's megabyte apart and the last takes four times a lone one;
/// the slowest about 3.4 ms (the real median
/// 4.3–5.7 ms adds waits for a core: five processes on two cores, which the model's parent,
/// never short of a core, does not have).
#[test]
fn four_large_sends_queue_behind_the_one_reader() {
    let lone = ns(senders(1, 1_000_000).threads[0]
        .io_latency_ms
        .expect("an I/O call")
        .p50);
    let four = senders(4, 1_000_000);
    let mut writes: Vec<Nanos> = four
        .threads
        .iter()
        .map(|t| ns(t.io_latency_ms.expect("an I/O call").p50))
        .collect();
    writes.sort_unstable();
    for pair in writes.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            (700 * US..=1000 * US).contains(&gap),
            "writes end {gap} ns apart: {writes:?}"
        );
    }
    assert!(writes[3] >= 3 * lone, "{writes:?} against {lone}");
    assert!(writes[3] <= 4 * MS, "{writes:?}");
}

/// How long one process's 1 MB write takes on two cores, `busy` processes computing beside it
/// from the start (the sender computes a little first, as pipes8's real writer did).
fn beside_busy(busy: u32) -> Nanos {
    let busy = if busy > 0 {
        format!(
            "[[threads]]\nname = \"busy\"\ncount = {busy}\nops = [ {{ compute = 300_000_000 }} ]\n"
        )
    } else {
        String::new()
    };
    let text = format!(
        "name = \"beside\"\n[settings]\ncores = 2\n[[threads]]\nname = \"sender\"\nops = [ {{ compute = 100_000 }}, {{ send = 1_000_000 }} ]\n{busy}"
    );
    let stats = forked(&text);
    ns(stats.threads[0]
        .io_latency_ms
        .expect("the write is an I/O call")
        .p50)
}

/// With more runnable processes than cores, a 1 MB write waits in the run queue at each of its
/// 15 wake-ups on the full pipe (a writer that has just computed earns no sleeper's credit to
/// preempt the busy processes): longer than a lone one by those waits. Measured (pipes8,
/// `pipe_fan_in.py 3000000 12 1 3`, 3.13.0, 2 cores, load 6.2): 16 ms median with three busy
/// processes beside, 8.1 ms with none, so at least twice as long. With a core to spare the
/// write is no longer than alone.
#[test]
fn a_large_write_beside_busy_processes_waits_for_a_core_at_each_buffer() {
    let lone = beside_busy(0);
    assert_eq!(
        beside_busy(1),
        lone,
        "two processes on two cores wait for none"
    );
    let crowded = beside_busy(3);
    assert!(
        crowded >= 2 * lone,
        "beside three busy processes {crowded} ns, alone {lone} ns: measured 16 against 8.1 ms"
    );
    assert!(crowded <= 16 * MS, "{crowded} ns, measured 16 ms median");
}
