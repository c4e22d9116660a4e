//! `calibrate()` measures this machine within seconds and prints settings the simulator accepts.

use gilscope_sim::Scenario;
use gilscope_sim::live;
use std::time::{Duration, Instant};

#[test]
fn calibration_measures_this_machine_and_suggests_valid_settings() {
    let started = Instant::now();
    let calibration = live::calibrate();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert!(calibration.cores >= 1);
    assert!(
        calibration.wake_latency_ns > 0 && calibration.wake_latency_ns < 100_000_000,
        "{calibration:?}"
    );
    assert!(calibration.wake_latency_p90_ns >= calibration.wake_latency_ns);
    assert!(calibration.wake_latency_p1_ns <= calibration.wake_latency_ns);
    assert!(
        calibration.wake_latency_p99_ns >= calibration.wake_latency_p90_ns
            && calibration.wake_latency_p999_ns >= calibration.wake_latency_p99_ns
            && calibration.wake_latency_max_ns >= calibration.wake_latency_p999_ns,
        "{calibration:?}"
    );
    let shares: Vec<f64> = calibration.wake_tail.iter().map(|t| t.share).collect();
    assert!(
        shares.len() == 3
            && shares.windows(2).all(|w| w[0] >= w[1])
            && shares.iter().all(|s| (0.0..=1.0).contains(s)),
        "{calibration:?}"
    );
    assert!(
        (0.05..1000.0).contains(&calibration.live_bytecode_ns),
        "{calibration:?}"
    );
    if let Some(python) = &calibration.python {
        assert!((0.1..10_000.0).contains(&python.bytecode_ns), "{python:?}");
        assert!(python.bytecodes_per_iteration >= 4.0, "{python:?}");
    } else {
        assert!(
            calibration.python_note.is_some(),
            "says why CPython was not measured"
        );
    }
    calibration
        .settings
        .resolve()
        .expect("the suggested settings are valid");
    assert!(serde_json::to_string(&calibration).is_ok());
    // The printed settings paste into a scenario's [settings] as they are.
    let text = calibration.to_string();
    let settings = text
        .split_once("[settings]")
        .map(|(_, rest)| rest.lines().skip(1).collect::<Vec<_>>().join("\n"))
        .expect("a settings block");
    assert!(settings.contains("wake_latency"), "{text}");
    let scenario = format!(
        "name = \"calibrated\"\n[settings]\n{settings}\n[[threads]]\nname = \"t\"\nops = [ {{ compute = 10 }} ]\n"
    );
    let parsed = Scenario::parse(&scenario, "calibrated.toml").expect("the printed settings parse");
    assert_eq!(
        parsed.settings.wake_latency,
        calibration.settings.wake_latency
    );
    assert_eq!(
        parsed.settings.wake_latency_p999,
        calibration.settings.wake_latency_p999
    );
}
