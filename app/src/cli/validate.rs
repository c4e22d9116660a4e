//! `gilscope validate`: the simulator against real interpreters. Each scenario runs several
//! times on each interpreter, then on the simulator (with the interpreter's version and the
//! bytecode speed its real runs achieved); the key figures are set side by side with their ratio, and each is judged
//! against the real runs' own spread. Disagreements are findings, not failures: the command
//! exits 0 with the table whenever the runs could be made.

use super::CliError;
use super::engine::{discover_options, select};
use crate::format::{ms as format_ms, nanos as format_nanos};
use gilscope_sim::cpython::{self, Interpreter};
use gilscope_sim::presets::{PRESETS, load};
use gilscope_sim::{
    EngineKind, Finished, Model, Observation, Overrides, RunConfig, RunOptions, Scenario, Stats,
    StopSignal, run_scenario,
};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;
use std::time::Instant;

/// How far outside the real runs' own spread a simulated figure may lie and still agree: 25%
/// of the spread's bounds, and at least [`Figure::floor`].
pub const TOLERANCE: f64 = 0.25;

/// A key figure of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Wall time, ms.
    Wall,
    /// Speedup over the same work done by one thread.
    Speedup,
    /// GIL switches per second (observable under a GIL the threads share).
    SwitchesPerS,
    /// I/O latency, median, ms.
    IoP50,
    /// I/O latency, 99th percentile, ms.
    IoP99,
    /// Lost counter updates.
    Lost,
}

impl Figure {
    /// Every figure, in table order.
    pub const ALL: [Figure; 6] = [
        Self::Wall,
        Self::Speedup,
        Self::SwitchesPerS,
        Self::IoP50,
        Self::IoP99,
        Self::Lost,
    ];

    /// Its name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Self::Wall => "wall",
            Self::Speedup => "speedup",
            Self::SwitchesPerS => "switches/s",
            Self::IoP50 => "I/O p50",
            Self::IoP99 => "I/O p99",
            Self::Lost => "lost updates",
        }
    }

    /// Its value in `stats`, where the run has it.
    pub fn of(self, stats: &Stats) -> Option<f64> {
        match self {
            Self::Wall => Some(stats.wall_ms),
            Self::Speedup => stats.speedup,
            Self::SwitchesPerS => Some(stats.gil.switches_per_s),
            Self::IoP50 => stats.io_latency_ms.map(|s| s.p50),
            Self::IoP99 => stats.io_latency_ms.map(|s| s.p99),
            Self::Lost => {
                let expected: u64 = stats.counters.iter().map(|c| c.expected).sum();
                (expected > 0).then(|| stats.counters.iter().map(|c| c.lost).sum::<u64>() as f64)
            }
        }
    }

    /// The least difference that counts, in the figure's unit: below it, timers and rounding
    /// decide (a millisecond of wall time, 0.1 of a speedup, 20 switches per second, 50 µs of
    /// latency).
    pub fn floor(self) -> f64 {
        match self {
            Self::Wall => 1.0,
            Self::Speedup => 0.1,
            Self::SwitchesPerS => 20.0,
            Self::IoP50 | Self::IoP99 => 0.05,
            Self::Lost => 0.0,
        }
    }

    fn format(self, value: f64) -> String {
        match self {
            Self::Wall | Self::IoP50 | Self::IoP99 => format_ms(value),
            Self::Speedup => format!("{value:.2}×"),
            Self::SwitchesPerS | Self::Lost => format!("{value:.0}"),
        }
    }
}

/// One figure compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Which figure.
    pub figure: Figure,
    /// The simulator's value.
    pub sim: f64,
    /// The real runs' median, smallest and largest values.
    pub real: [f64; 3],
    /// `real median / sim` (none when the simulator's value is 0).
    pub ratio: Option<f64>,
    /// Whether the simulator's value lies within the real runs' spread, widened by
    /// [`TOLERANCE`] (lost updates: whether both lose updates, or neither).
    pub agrees: bool,
}

/// Compares `figure` of the simulated run with the real ones; `None` where the real runs do
/// not observe it (switches without a shared GIL) or neither run has it.
pub fn compare(figure: Figure, sim: &Stats, real: &[Stats], gil_observed: bool) -> Option<Row> {
    if figure == Figure::SwitchesPerS && !gil_observed {
        return None;
    }
    let mut values: Vec<f64> = real.iter().filter_map(|s| figure.of(s)).collect();
    let sim_value = figure.of(sim);
    if values.is_empty() && sim_value.is_none() {
        return None;
    }
    let sim = sim_value.unwrap_or(0.0);
    if values.is_empty() {
        values.push(0.0);
    }
    let median = median(&mut values).unwrap_or(0.0);
    let (low, high) = (values[0], values[values.len() - 1]);
    let agrees = if figure == Figure::Lost {
        (sim > 0.0) == (median > 0.0)
    } else {
        let slack = |v: f64| (v.abs() * TOLERANCE).max(figure.floor());
        (low - slack(low)..=high + slack(high)).contains(&sim)
    };
    Some(Row {
        figure,
        sim,
        real: [median, low, high],
        ratio: (sim != 0.0).then(|| median / sim),
        agrees,
    })
}

/// The median of `values` (sorted in place), none when empty.
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n.is_multiple_of(2) => Some(f64::midpoint(values[middle - 1], values[middle])),
        _ => Some(values[middle]),
    }
}

/// Why the old GIL's switches are not compared: a real trace cannot see them.
const OLD_GIL_SWITCHES: &str = "switches/s on Python before 3.2: the old GIL changes hands \
    every 100 ticks, within a microsecond, far below the real trace's stamp interval, so a real \
    trace misses most changes of holder (scripts/measure/old_gil_wakeups.py counts the real \
    sleeps on the lock instead)";

/// One scenario on one interpreter.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// The scenario's preset name or path.
    pub scenario: String,
    /// The interpreter (`3.13.0`, `3.14.0t`).
    pub interpreter: String,
    /// What the user should know about the settings (a version the scenario does not ask
    /// for, settings a real interpreter has no knob for).
    pub notes: Vec<String>,
    /// Why the scenario could not run there, if it could not.
    pub error: Option<String>,
    /// The figures compared.
    pub rows: Vec<Row>,
    /// Real runs made.
    pub runs: u32,
    /// Seconds the case took (the simulator's run and the real ones).
    pub seconds: f64,
    /// What observing the real runs cost (the last run's calibration).
    pub observation: Option<Observation>,
    /// The bytecode speed the simulator was given, ns: the real runs' median achieved speed.
    pub bytecode_ns: f64,
    /// A figure left out because a real run cannot observe it here, and why.
    pub not_compared: Option<String>,
}

impl Case {
    /// Whether every figure agrees.
    pub fn agrees(&self) -> bool {
        self.error.is_none() && self.rows.iter().all(|r| r.agrees)
    }
}

fn run(
    scenario: &Scenario,
    config: &RunConfig,
    interpreter: Option<&Interpreter>,
    stop: &StopSignal,
) -> Result<Finished, String> {
    let options = RunOptions {
        engine: if interpreter.is_some() {
            EngineKind::Cpython
        } else {
            EngineKind::Sim
        },
        interpreter: interpreter.cloned(),
        stop: stop.clone(),
        ..RunOptions::default()
    };
    run_scenario(scenario, config, &options).map_err(|e| e.to_string())
}

/// Runs `scenario` on the simulator and `repeats` times on `interpreter`; `None` when Ctrl+C
/// stopped it.
fn case(
    name: &str,
    scenario: &Scenario,
    interpreter: &Interpreter,
    repeats: u32,
    stop: &StopSignal,
) -> Option<Case> {
    let started = Instant::now();
    let mut case = Case {
        scenario: name.to_owned(),
        interpreter: interpreter.label(),
        notes: Vec::new(),
        error: None,
        rows: Vec::new(),
        runs: 0,
        seconds: 0.0,
        observation: None,
        bytecode_ns: 0.0,
        not_compared: None,
    };
    let configured = match cpython::configure(scenario, &Overrides::default(), interpreter) {
        Ok(c) => c,
        Err(e) => {
            case.error = Some(e.to_string());
            return Some(case);
        }
    };
    case.notes = configured.notes;
    let old_gil = configured.config.model() == Model::OldGil;
    let mut real = Vec::new();
    let mut speeds = Vec::new();
    let mut gil_observed = false;
    for k in 1..=repeats {
        eprintln!(
            "validate: {name} on {}, run {k} of {repeats}…",
            interpreter.label()
        );
        match run(scenario, &configured.config, Some(interpreter), stop) {
            Ok(f) if f.interrupted => return None,
            Ok(f) => {
                gil_observed |= !f.trace.gil.spans.is_empty();
                case.observation = f.stats.observation.or(case.observation);
                speeds.push(f.trace.meta.config.bytecode_ns);
                real.push(f.stats);
                case.runs += 1;
            }
            Err(e) => {
                if stop.is_raised() {
                    return None;
                }
                case.error = Some(e);
                break;
            }
        }
    }
    if case.error.is_none() {
        // The simulator runs at the speed the real runs achieved (their median), so that its
        // figures weigh the GIL's rules, not a speed probed on another day.
        let mut sim_config = configured.config.clone();
        if let Some(ns) = median(&mut speeds) {
            sim_config.bytecode_ns = ns;
        }
        case.bytecode_ns = sim_config.bytecode_ns;
        let sim = match run(scenario, &sim_config, None, stop) {
            Ok(f) => f.stats,
            Err(e) => {
                case.error = Some(format!("the simulator: {e}"));
                case.seconds = started.elapsed().as_secs_f64();
                return Some(case);
            }
        };
        if old_gil && gil_observed {
            case.not_compared = Some(OLD_GIL_SWITCHES.to_owned());
        }
        case.rows = Figure::ALL
            .into_iter()
            .filter_map(|f| compare(f, &sim, &real, gil_observed && !old_gil))
            .collect();
    }
    case.seconds = started.elapsed().as_secs_f64();
    Some(case)
}

/// The interpreters of `specs`, or every one found.
fn interpreters(specs: &[String]) -> Result<Vec<Interpreter>, CliError> {
    if specs.is_empty() {
        let discovery = cpython::discover(&discover_options());
        if discovery.found.is_empty() {
            let searched: Vec<String> = discovery
                .searched
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            return Err(CliError::Input(
                cpython::CpythonError::NoneFound {
                    searched: searched.join(", "),
                }
                .to_string(),
            ));
        }
        return Ok(discovery.found);
    }
    specs.iter().map(|s| select(Some(s))).collect()
}

/// The whole report as a table.
pub fn render(cases: &[Case], repeats: u32, seconds: f64) -> String {
    let mut text = format!(
        "Simulator (with each interpreter's version, and the bytecode speed its real runs \
         achieved) against real runs: the median of {repeats} runs (smallest–largest). A figure agrees when the \
         simulator's lies within that spread widened by {:.0}%.\n",
        TOLERANCE * 100.0
    );
    let _ = writeln!(
        text,
        "{:<22} {:<9} {:<13} {:>10} {:>28} {:>7}  verdict",
        "scenario", "python", "figure", "sim", "real", "ratio"
    );
    for case in cases {
        let head = |first: bool| {
            if first {
                (case.scenario.as_str(), case.interpreter.as_str())
            } else {
                ("", "")
            }
        };
        if let Some(error) = &case.error {
            let _ = writeln!(
                text,
                "{:<22} {:<9} not possible: {error}",
                case.scenario, case.interpreter
            );
            continue;
        }
        for (i, row) in case.rows.iter().enumerate() {
            let (scenario, python) = head(i == 0);
            let f = row.figure;
            let real = format!(
                "{} ({}–{})",
                f.format(row.real[0]),
                f.format(row.real[1]),
                f.format(row.real[2])
            );
            let ratio = row
                .ratio
                .map_or_else(|| "—".to_owned(), |r| format!("{r:.2}×"));
            let _ = writeln!(
                text,
                "{scenario:<22} {python:<9} {:<13} {:>10} {real:>28} {ratio:>7}  {}",
                f.label(),
                f.format(row.sim),
                if row.agrees { "agrees" } else { "DIFFERS" }
            );
        }
    }
    let made: Vec<&Case> = cases.iter().filter(|c| c.error.is_none()).collect();
    let agreeing = made.iter().filter(|c| c.agrees()).count();
    let figures: usize = made.iter().map(|c| c.rows.len()).sum();
    let differing: usize = made
        .iter()
        .map(|c| c.rows.iter().filter(|r| !r.agrees).count())
        .sum();
    let _ = writeln!(
        text,
        "{} scenario runs compared ({} not possible): {agreeing} agree on every figure; {differing} of {figures} figures differ. Took {}.",
        made.len(),
        cases.len() - made.len(),
        format_nanos((seconds * 1e9) as u64)
    );
    let observed: Vec<Observation> = cases.iter().filter_map(|c| c.observation).collect();
    let range = |values: Vec<f64>| {
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(0.0, f64::max);
        (low, high)
    };
    let mut left_out: Vec<&str> = made
        .iter()
        .filter_map(|c| c.not_compared.as_deref())
        .collect();
    left_out.sort_unstable();
    left_out.dedup();
    for reason in left_out {
        let _ = writeln!(text, "Not compared: {reason}.");
    }
    if !observed.is_empty() {
        let (ns_low, ns_high) = range(observed.iter().map(|o| o.stamp_ns).collect());
        let (share_low, share_high) = range(observed.iter().map(|o| o.compute_share).collect());
        let _ = writeln!(
            text,
            "Observation cost (each program's calibration): {ns_low:.0}–{ns_high:.0} ns a stamp, {:.1}–{:.1}% of a compute loop's time.",
            share_low * 100.0,
            share_high * 100.0
        );
    }
    text
}

/// `gilscope validate`.
pub fn validate(
    names: &[String],
    specs: &[String],
    repeats: u32,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let started = Instant::now();
    let stems: Vec<String> = if names.is_empty() {
        PRESETS.iter().map(|(stem, _)| (*stem).to_owned()).collect()
    } else {
        names.to_vec()
    };
    let scenarios = stems
        .iter()
        .map(|name| {
            load(name)
                .map(|s| (name.clone(), s))
                .map_err(|e| CliError::Input(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let interpreters = interpreters(specs)?;
    let stop = StopSignal::new();
    super::commands::stop_on_ctrl_c(Some(stop.clone()));
    let mut cases = Vec::new();
    'all: for interpreter in &interpreters {
        for (name, scenario) in &scenarios {
            match case(name, scenario, interpreter, repeats, &stop) {
                Some(c) => cases.push(c),
                None => break 'all,
            }
        }
    }
    super::commands::stop_on_ctrl_c(None);
    let seconds = started.elapsed().as_secs_f64();
    let text = if json {
        serde_json::to_string_pretty(&cases)
            .map(|s| s + "\n")
            .map_err(|e| CliError::Input(e.to_string()))?
    } else {
        render(&cases, repeats, seconds)
    };
    out.write_all(text.as_bytes())
        .map_err(|source| CliError::Io {
            context: "cannot write to standard output".into(),
            source,
        })?;
    if stop.is_raised() {
        return Err(CliError::Interrupted(
            "interrupted: the table covers the cases that ran before Ctrl+C".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gilscope_sim::presets::preset;

    fn stats_of(name: &str) -> Stats {
        let scenario = preset(name).unwrap().unwrap();
        let config = scenario.config(&Overrides::default()).unwrap();
        run(&scenario, &config, None, &StopSignal::new())
            .unwrap()
            .stats
    }

    fn with_wall(stats: &Stats, wall_ms: f64) -> Stats {
        Stats {
            wall_ms,
            ..stats.clone()
        }
    }

    #[test]
    fn a_figure_agrees_within_the_real_spread_widened_by_the_tolerance() {
        let sim = stats_of("convoy");
        let real: Vec<Stats> = [900.0, 1000.0, 1100.0]
            .iter()
            .map(|&w| with_wall(&sim, w))
            .collect();
        let row = compare(Figure::Wall, &with_wall(&sim, 1300.0), &real, true).unwrap();
        assert_eq!(row.real.map(|v| v as u64), [1000, 900, 1100]);
        assert!(row.agrees, "1300 is within 1100 + 25%");
        let row = compare(Figure::Wall, &with_wall(&sim, 1400.0), &real, true).unwrap();
        assert!(!row.agrees);
        assert!((row.ratio.unwrap() - 1000.0 / 1400.0).abs() < 1e-12);
        assert!(compare(Figure::SwitchesPerS, &sim, &real, false).is_none());
        // The convoy has no counter: no lost-updates row.
        assert!(compare(Figure::Lost, &sim, &real, true).is_none());
    }

    #[test]
    fn lost_updates_agree_when_both_lose_or_neither() {
        let mut sim = stats_of("counter-race");
        let mut none = sim.clone();
        for c in &mut none.counters {
            c.lost = 0;
        }
        sim.counters[0].lost = 5;
        assert!(Figure::Lost.of(&none) == Some(0.0));
        assert!(
            compare(Figure::Lost, &sim, std::slice::from_ref(&sim), true)
                .unwrap()
                .agrees
        );
        assert!(!compare(Figure::Lost, &sim, &[none], true).unwrap().agrees);
    }

    #[test]
    fn the_table_says_how_many_runs_and_marks_what_differs() {
        let sim = stats_of("convoy");
        let cases = vec![
            Case {
                scenario: "convoy".into(),
                interpreter: "3.11.7".into(),
                notes: Vec::new(),
                error: None,
                rows: vec![
                    compare(
                        Figure::Wall,
                        &with_wall(&sim, 2000.0),
                        std::slice::from_ref(&sim),
                        true,
                    )
                    .unwrap(),
                ],
                runs: 3,
                seconds: 1.0,
                observation: Some(Observation {
                    stamp_ns: 120.0,
                    compute_share: 0.021,
                }),
                bytecode_ns: 8.0,
                not_compared: None,
            },
            Case {
                scenario: "asyncio".into(),
                interpreter: "2.7.18".into(),
                notes: Vec::new(),
                error: Some("runtime \"asyncio\" needs Python 3.6".into()),
                rows: Vec::new(),
                runs: 0,
                seconds: 0.0,
                observation: None,
                bytecode_ns: 0.0,
                not_compared: Some(OLD_GIL_SWITCHES.to_owned()),
            },
        ];
        let text = render(&cases, 3, 65.0);
        // A case that could not run leaves nothing out of a comparison.
        assert!(!text.contains("Not compared"), "{text}");
        assert!(text.contains("the median of 3 runs"), "{text}");
        assert!(text.contains("DIFFERS"), "{text}");
        assert!(
            text.contains("asyncio                2.7.18    not possible: runtime"),
            "{text}"
        );
        assert!(
            text.contains(
                "1 scenario runs compared (1 not possible): 0 agree on every figure; 1 of 1 figures differ. Took 65.0 s."
            ),
            "{text}"
        );
        assert!(
            text.trim_end().ends_with(
                "Observation cost (each program's calibration): 120–120 ns a stamp, 2.1–2.1% of a compute loop's time."
            ),
            "{text}"
        );
    }

    #[test]
    fn the_old_gils_switches_are_left_out_and_the_table_says_why() {
        let sim = stats_of("cpu-bound");
        let real = vec![sim.clone(), sim.clone()];
        let made = |interpreter: &str, old_gil: bool| Case {
            scenario: "cpu-bound".into(),
            interpreter: interpreter.into(),
            notes: Vec::new(),
            error: None,
            rows: Figure::ALL
                .into_iter()
                .filter_map(|f| compare(f, &sim, &real, !old_gil))
                .collect(),
            runs: 2,
            seconds: 1.0,
            observation: None,
            bytecode_ns: 4.0,
            not_compared: old_gil.then(|| OLD_GIL_SWITCHES.to_owned()),
        };
        let cases = vec![
            made("2.7.18", true),
            made("3.13.0", false),
            made("2.7.18", true),
        ];
        assert!(
            !cases[0]
                .rows
                .iter()
                .any(|r| r.figure == Figure::SwitchesPerS),
            "the old GIL's switches are not compared"
        );
        assert!(
            cases[1]
                .rows
                .iter()
                .any(|r| r.figure == Figure::SwitchesPerS),
            "the new GIL's are"
        );
        let text = render(&cases, 2, 3.0);
        assert_eq!(
            text.matches("Not compared: switches/s on Python before 3.2")
                .count(),
            1,
            "{text}"
        );
    }
}
