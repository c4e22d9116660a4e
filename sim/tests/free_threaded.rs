//! Behaviour tests: free-threaded Python has contention (`gil-model.md` rules 19 and 19b).
//! Threads that share nothing scale with the cores; threads that read one object write its
//! shared reference count with atomic operations and its cache line bounces between the cores;
//! threads that mutate one container serialize on it; the garbage collector and the GIL coming
//! back stop the world.
//!
//! There is no free-threaded interpreter on this machine, so these tests check the model against
//! published figures; the cache-line transfer is the one measured here by `gilscope calibrate`
//! (85 ns, two pinned threads passing a counter on this 2-core VM) unless a test says otherwise.

use gilscope_sim::compare::compare_runtimes;
use gilscope_sim::{Overrides, Stats, ThreadState, simulate};

mod common;

use common::{scenario, stats};

/// `threads` free-threaded threads on as many cores (3.14t), each running `ops`.
fn free_threaded(threads: u32, ops: &str) -> String {
    format!(
        "name = \"free-threaded\"\n[settings]\npython = \"3.14\"\nfree_threaded = true\ncores = {threads}\n[[threads]]\nname = \"t\"\ncount = {threads}\nops = [ {ops} ]\n"
    )
}

fn wall(text: &str, overrides: &Overrides) -> f64 {
    stats(&scenario(text), overrides).wall_ms
}

/// modern-di#435's speedup: a fixed amount of work done by one thread, against the same work
/// split across 4 threads, `t1 / t4`.
fn split_speedup(op: &str, total: u64) -> f64 {
    let one = wall(
        &free_threaded(1, &op.replace('N', &total.to_string())),
        &Overrides::default(),
    );
    let four = wall(
        &free_threaded(4, &op.replace('N', &(total / 4).to_string())),
        &Overrides::default(),
    );
    one / four
}

/// modern-di#435 (4 threads on 3.14t, fixed total work split across them, `t1/t4`): pure
/// compute 3.8x (the ceiling), a raw `dict.get` returning one shared value 0.28x. Each thread
/// reading its own copy, or calling a shared function (deferred reference counting in 3.14),
/// scales like pure compute. (The report's other rows, a resolve sharing its provider 0.92x and
/// its singleton 0.64x, depend on how many shared objects one resolve touches, which the model
/// is not told.)
#[test]
fn modern_di_435_free_threaded_reads_scale_only_when_nothing_hot_is_shared() {
    let compute = split_speedup("{ compute = N }", 8_000_000);
    assert!(compute > 3.5, "pure compute: {compute} (published 3.8)");
    // d.get(key) in a loop: FOR_ITER, STORE_FAST, LOAD_FAST d, LOAD_ATTR get, LOAD_FAST key,
    // CALL, POP_TOP, JUMP_BACKWARD; the value returned is increfed and decrefed.
    let shared_value = split_speedup("{ read = \"value\", times = N, loop_body = 8 }", 1_000_000);
    assert!(
        (0.15..0.45).contains(&shared_value),
        "dict.get of one shared value: {shared_value} (published 0.28)"
    );
    let own_copy = split_speedup(
        "{ read = \"value\", times = N, loop_body = 8, per_thread = true }",
        1_000_000,
    );
    assert!(own_copy > 3.5, "each thread its own copy: {own_copy}");
    let function = split_speedup(
        "{ read = \"handler\", times = N, loop_body = 8, kind = \"function\" }",
        1_000_000,
    );
    assert!(function > 3.5, "a shared function (deferred): {function}");
}

/// cpython#134761 (8 threads on 3.15t, 10 million `lock.locked()` each): one shared lock
/// 3.4–4.5 s per thread, a thread-local lock 0.39–0.56 s. The shared figure implies about 25 ns
/// per cache-line transfer on that machine (8 threads × 10M calls × 2 reference-count updates in
/// 3.4–4.5 s): with it the model lands in the published range, and the thread-local case stays at
/// one thread's speed; with this machine's 85 ns the shared case is slower still.
#[test]
fn cpython_134761_a_shared_lock_is_ten_times_slower_than_a_thread_local_one() {
    // lock.locked() in a loop: FOR_ITER, STORE_FAST, LOAD_FAST lock, LOAD_ATTR locked, CALL,
    // POP_TOP, JUMP_BACKWARD.
    let shared = free_threaded(8, "{ read = \"lock\", times = 10_000_000, loop_body = 7 }");
    let local = free_threaded(
        8,
        "{ read = \"lock\", times = 10_000_000, loop_body = 7, per_thread = true }",
    );
    let that_machine = Overrides {
        cache_line_transfer: Some(25),
        ..Overrides::default()
    };
    let shared_s = wall(&shared, &that_machine) / 1000.0;
    let local_s = wall(&local, &that_machine) / 1000.0;
    assert!((3.0..5.0).contains(&shared_s), "shared {shared_s} s");
    assert!((0.3..0.6).contains(&local_s), "thread-local {local_s} s");
    let here = wall(&shared, &Overrides::default()) / 1000.0;
    assert!(here > 2.0 * shared_s, "at 85 ns: {here} s");
}

/// cpython#139103 (`ftscalingbench.py shared_instance_attribute`, 18 threads: each thread runs
/// the whole loop, speedup = `t1 × 18 / t18`): 25x slower. The loop reads one shared
/// instance's attribute three times per iteration. At this machine's transfer cost the model
/// gives several times slower (7.9x); the published 25x implies about 270 ns per transfer on
/// that machine, among 18 contending cores (23.1x at 250 ns).
#[test]
fn cpython_139103_reading_one_shared_attribute_from_18_threads_is_many_times_slower() {
    // FOR_ITER, STORE_FAST, then (LOAD_FAST obj, LOAD_ATTR attr, POP_TOP) three times,
    // JUMP_BACKWARD: 12 bytecodes, 3 reads; as 3 reads of 4 bytecodes.
    let loop_ = "{ read = \"attr\", times = 300_000, loop_body = 4 }";
    let one = wall(&free_threaded(1, loop_), &Overrides::default());
    let many = |overrides: &Overrides| wall(&free_threaded(18, loop_), overrides);
    let slower = |t18: f64| t18 / (one * 18.0);
    let here = slower(many(&Overrides::default()));
    assert!(here > 5.0, "{here}x slower at 85 ns");
    let that_machine = Overrides {
        cache_line_transfer: Some(250),
        ..Overrides::default()
    };
    let there = slower(many(&that_machine));
    assert!((18.0..32.0).contains(&there), "{there}x slower at 250 ns");
}

/// Two threads hammering one dict serialize on it (its per-object lock and cache lines): slower
/// together than one thread doing both halves; each with its own dict, they scale.
#[test]
fn two_threads_mutating_one_dict_serialize_and_their_own_dicts_scale() {
    let one_dict = free_threaded(2, "{ mutate = \"d\", times = 200_000 }");
    let alone = free_threaded(1, "{ mutate = \"d\", times = 400_000 }");
    let two_dicts = "name = \"two dicts\"\n[settings]\npython = \"3.14\"\nfree_threaded = true\ncores = 2\n[[threads]]\nname = \"a\"\nops = [ { mutate = \"a\", times = 200_000 } ]\n[[threads]]\nname = \"b\"\nops = [ { mutate = \"b\", times = 200_000 } ]\n";
    let (shared, single, separate) = (
        wall(&one_dict, &Overrides::default()),
        wall(&alone, &Overrides::default()),
        wall(two_dicts, &Overrides::default()),
    );
    assert!(shared > single, "one dict {shared} vs alone {single}");
    assert!(
        (separate - single / 2.0).abs() < 0.1 * single,
        "own dicts {separate} vs alone {single}"
    );
    // Under the GIL the same loops simply take turns: no contention at all.
    let gil = stats(
        &scenario(&one_dict),
        &Overrides {
            free_threaded: Some(false),
            ..Overrides::default()
        },
    );
    assert!(gil.contention_ms <= 0.0);
}

/// Contention is shown as what it is: its own state (slowed, not stopped: the bytecodes still
/// count), its own number in the stats, and only where threads share an object.
#[test]
fn contention_is_its_own_state_and_number() {
    let s = scenario(&free_threaded(
        4,
        "{ read = \"config\", times = 100_000 }, { compute = 100_000 }",
    ));
    let config = s.config(&Overrides::default()).unwrap();
    let trace = simulate(&s, &config).unwrap();
    let contended: Vec<_> = trace
        .thread_lanes
        .iter()
        .flat_map(|l| l.spans.iter())
        .filter(|span| span.state == ThreadState::Contended)
        .collect();
    assert!(!contended.is_empty());
    assert!(
        contended
            .iter()
            .all(|span| span.bytecodes > 0 && span.other == 0)
    );
    let stats = Stats::compute(&trace);
    assert!(stats.contention_ms > 0.0);
    let per_thread: f64 = stats.threads.iter().map(|t| t.contention_ms).sum();
    assert!((per_thread - stats.contention_ms).abs() < 1e-9);
    // Every runtime side by side: only free-threaded threads share the object's line.
    for (label, row) in compare_runtimes(&s, &Overrides::default()) {
        let row = row.unwrap_or_else(|e| panic!("{label}: {e}"));
        let contended = row.contention_ms > 0.0;
        assert_eq!(contended, label.contains("free-threaded"), "{label}");
    }
}

/// A garbage collection in a free-threaded build stops the world: every thread running Python
/// pauses at its next check point for the whole collection; a thread in I/O goes on with its
/// call and pauses only when it returns. With the GIL the collection just holds it.
#[test]
fn a_garbage_collection_stops_the_world_in_a_free_threaded_build() {
    let text = r#"
name = "gc"
[settings]
python = "3.14"
free_threaded = true
cores = 5
[[threads]]
name = "worker"
count = 3
ops = [ { compute = 4_000_000 } ]
[[threads]]
name = "collector"
ops = [ { compute = 100_000 }, { collect = "5ms" }, { compute = 100_000 } ]
[[threads]]
name = "io"
repeat = 20
ops = [ { io = "1ms" } ]
"#;
    let s = stats(&scenario(text), &Overrides::default());
    for worker in s.threads.iter().filter(|t| t.name.starts_with("worker")) {
        let paused = worker.state_ms.paused;
        assert!((4.9..5.2).contains(&paused), "{}: {paused}", worker.name);
    }
    let collector = s.threads.iter().find(|t| t.name == "collector").unwrap();
    assert!((collector.state_ms.collecting - 5.0).abs() < 1e-6);
    let io = s.threads.iter().find(|t| t.name == "io").unwrap();
    assert!(
        io.state_ms.paused > 0.0 && io.state_ms.paused < 4.8,
        "I/O goes on, then pauses: {}",
        io.state_ms.paused
    );
    let with_gil = stats(
        &scenario(text),
        &Overrides {
            free_threaded: Some(false),
            ..Overrides::default()
        },
    );
    assert!(with_gil.threads.iter().all(|t| t.state_ms.paused <= 0.0));
}

/// Turning the GIL on for an old extension stops the world too: the other threads pause at
/// their next check point, then take turns with the GIL.
#[test]
fn the_gil_coming_back_stops_the_world_first() {
    let s = gilscope_sim::presets::preset("gil-returns")
        .unwrap()
        .unwrap();
    let st = stats(&s, &Overrides::default());
    for worker in st.threads.iter().filter(|t| t.name.starts_with("worker")) {
        assert!(worker.state_ms.paused > 0.0, "{} never paused", worker.name);
        assert!(worker.state_ms.waiting_gil > 0.0);
    }
}
