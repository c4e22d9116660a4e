//! What each subcommand does.

use super::engine::{Choice, EngineArgs, EngineKind, resolve};
use super::report::render;
use super::settings::SettingsArgs;
use super::{CliError, Command};
use crate::format::{ms as format_ms, nanos as format_nanos};
use crate::gui::runtime_table::{COMPARE_COLUMNS, compare_cells};
use gilscope_sim::compare::compare_runtimes;
use gilscope_sim::export::{ChromeExport, STATS_CSV_HEADER, stats_csv_row, write_chrome_trace};
use gilscope_sim::narration::{Side, headline};
use gilscope_sim::presets::{PRESETS, load};
use gilscope_sim::sweep::{log_spaced, sweep};
use gilscope_sim::{
    Nanos, RunConfig, RunOptions, Scenario, Stats, StopSignal, Trace, run_scenario,
};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, OnceLock};

/// Runs a subcommand, writing its normal output to `out`.
pub fn execute(command: &Command, out: &mut dyn Write) -> Result<(), CliError> {
    match command {
        Command::Scenarios => scenarios(out),
        Command::Calibrate { json } => {
            let calibration = gilscope_sim::live::calibrate();
            let text = if *json {
                to_json(&calibration)?
            } else {
                format!("{calibration}\n")
            };
            write_out(out, &text)
        }
        Command::Run {
            scenario,
            settings,
            json,
            trace,
            engine,
        } => run_one(scenario, settings, *json, trace.as_deref(), engine, out),
        Command::Sweep {
            scenario,
            from,
            to,
            points,
            settings,
            csv,
            json,
            engine,
            plot,
        } => {
            let range = from.zip(*to).map(|(from, to)| (from, to, *points as usize));
            let output = (*csv, *json, plot.as_deref());
            run_sweep(scenario, settings, range, output, engine, out)
        }
        Command::Compare {
            scenario,
            settings,
            json,
            engine,
        } => compare(scenario, settings, *json, engine, out),
        Command::Screenshot { .. } => screenshot(command, out),
        Command::Export {
            scenario,
            settings,
            out: dir,
            python_script,
            engine,
        } => export(
            scenario,
            settings,
            (dir.as_deref(), python_script.as_deref()),
            engine,
            out,
        ),
        Command::Interpreters { json } => {
            let discovery = gilscope_sim::cpython::discover(&super::engine::discover_options());
            write_out(out, &super::interpreters::text(&discovery, *json)?)
        }
        Command::Validate {
            scenarios,
            interpreter,
            repeats,
            json,
        } => super::validate::validate(scenarios, interpreter, *repeats, *json, out),
    }
}

/// The engines of a screenshot: run A's, and run B's interpreter when `--compare cpython`
/// puts B on a real one (then `--interpreter` names B's, and A is `--engine`, by default the
/// simulator).
fn screenshot_engines(
    engine: &EngineArgs,
    compare: Option<crate::gui::CompareWith>,
) -> Result<(Choice, Option<gilscope_sim::cpython::Interpreter>), CliError> {
    if compare != Some(crate::gui::CompareWith::RealInterpreter) {
        return Ok((engine.choose()?, None));
    }
    let b = super::engine::select(engine.interpreter.as_deref())?;
    let a = match engine.engine.unwrap_or(EngineKind::Sim) {
        EngineKind::Cpython => Choice {
            engine: EngineKind::Cpython,
            interpreter: Some(b.clone()),
        },
        other => Choice {
            engine: other,
            interpreter: None,
        },
    };
    Ok((a, Some(b)))
}

fn run_one(
    name: &str,
    settings: &SettingsArgs,
    json: bool,
    trace: Option<&Path>,
    engine: &EngineArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if settings.switch_interval.len() > 1 {
        return Err(CliError::Input(
            "run takes one --switch-interval; use `gilscope sweep` to try several".into(),
        ));
    }
    let choice = engine.choose()?;
    let (scenario, config) = prepare_for(name, settings, &choice)?;
    let (result, stats) = execute_run(&scenario, &config, &choice)?;
    let stats = narrated(&scenario, stats, &result);
    if let Some(path) = trace {
        write_trace(&result, path)?;
    }
    let text = if json {
        to_json(&stats)?
    } else {
        let mut text = render(&stats, &config);
        if !stats.narration.is_empty() {
            text.push('\n');
            text.push_str(&wrapped(&stats.narration, NARRATION_WIDTH));
        }
        text
    };
    write_out(out, &text)?;
    interrupted(&stats)
}

/// Columns the narration is wrapped to under the text summary.
const NARRATION_WIDTH: usize = 96;

/// The words of `text`, a number kept with its unit ("225 ms" is one word).
fn unbroken_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let unit = word.trim_end_matches(|c: char| c.is_ascii_punctuation());
        let after_number = words
            .last()
            .is_some_and(|w| w.ends_with(|c: char| c.is_ascii_digit()));
        match words.last_mut() {
            Some(last) if after_number && ["ns", "µs", "ms", "s"].contains(&unit) => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_owned()),
        }
    }
    words
}

/// `text` wrapped at word boundaries to lines of at most `width` characters (longer words stay
/// whole), paragraphs kept apart by a blank line.
fn wrapped(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        for word in unbroken_words(paragraph) {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `stats` of the run traced in `trace`, with the narration of a run the user stopped told as
/// such.
fn narrated(scenario: &Scenario, mut stats: Stats, trace: &Trace) -> Stats {
    if stats.interrupted {
        stats.narration = scenario
            .narration
            .narrate(trace, &stats, Some("stopped by Ctrl+C"))
            .text();
    }
    stats
}

/// After the output of a run stopped by Ctrl+C: the error that exits with status 130.
fn interrupted(stats: &Stats) -> Result<(), CliError> {
    if stats.interrupted {
        Err(CliError::Interrupted(format!(
            "interrupted: the run was stopped at {}, and what was written covers only that part",
            format_ms(stats.wall_ms)
        )))
    } else {
        Ok(())
    }
}

fn run_sweep(
    name: &str,
    settings: &SettingsArgs,
    range: Option<(Nanos, Nanos, usize)>,
    (csv, json, plot): (bool, bool, Option<&Path>),
    engine: &EngineArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let listed = &settings.switch_interval;
    let mut single = settings.clone();
    single.switch_interval.truncate(1);
    let choice = engine.choose()?;
    let (scenario, _) = prepare_for(name, &single, &choice)?;
    let intervals = match range {
        Some(_) if !listed.is_empty() => {
            return Err(CliError::Input(
                "give either --switch-interval D,D,… or --from/--to, not both".into(),
            ));
        }
        Some((from, to, points)) => log_spaced(from, to, points),
        None if !listed.is_empty() => listed.clone(),
        None => {
            return Err(CliError::Input(
                "sweep needs --switch-interval D,D,… or --from D --to D [--points N]".into(),
            ));
        }
    };
    if intervals.contains(&0) {
        return Err(CliError::Input("--switch-interval 0: intervals must be > 0 (sys.setswitchinterval raises ValueError for 0)".into()));
    }
    if choice.engine.realtime() {
        // Real threads or a real interpreter: one interval after another, or the runs would
        // fight over the cores.
        let mut rows = Vec::with_capacity(intervals.len());
        for interval in &intervals {
            let overrides = gilscope_sim::Overrides {
                switch_interval: Some(*interval),
                ..settings.overrides()
            };
            let (config, _) = resolve(&scenario, &overrides, &choice)?;
            let stats = execute_run(&scenario, &config, &choice)?.1;
            let stopped = stats.interrupted;
            rows.push(stats);
            if stopped {
                break;
            }
        }
        draw_sweep(plot, &scenario, settings, &rows)?;
        write_out(out, &sweep_output(&rows, csv, json)?)?;
        return rows.last().map_or(Ok(()), interrupted);
    }
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let results = sweep(
        &scenario,
        &settings.overrides(),
        &intervals,
        workers,
        &AtomicBool::new(false),
        &|_| {},
    );
    let mut rows = Vec::with_capacity(results.len());
    for (interval, result) in intervals.iter().zip(results) {
        rows.push(result.map_err(|e| {
            CliError::Input(format!(
                "at switch interval {}: {e}",
                format_nanos(*interval)
            ))
        })?);
    }
    draw_sweep(plot, &scenario, settings, &rows)?;
    write_out(out, &sweep_output(&rows, csv, json)?)
}

/// `--plot FILE.png`: the sweep chart, drawn headless.
fn draw_sweep(
    plot: Option<&Path>,
    scenario: &Scenario,
    settings: &SettingsArgs,
    rows: &[Stats],
) -> Result<(), CliError> {
    let Some(path) = plot else {
        return Ok(());
    };
    crate::render::sweep_png::write_cli_sweep(path, scenario, &settings.overrides(), rows).map_err(
        |e| CliError::Io {
            context: format!("cannot draw {}", path.display()),
            source: std::io::Error::other(e),
        },
    )
}

fn sweep_output(rows: &[Stats], csv: bool, json: bool) -> Result<String, CliError> {
    Ok(if json {
        to_json(&rows)?
    } else if csv {
        let mut text = format!("{STATS_CSV_HEADER}\n");
        for row in rows {
            text.push_str(&stats_csv_row(row));
            text.push('\n');
        }
        text
    } else {
        sweep_table(rows)
    })
}

/// The run Ctrl+C should stop (one at a time: a live sweep runs them in turn).
static CURRENT_RUN: Mutex<Option<StopSignal>> = Mutex::new(None);

/// Makes Ctrl+C stop `stop`'s run (within milliseconds) instead of killing the process, so the
/// run is reported as far as it got, and the command exits with status 130. With no run in
/// progress, or at a second Ctrl+C, the process exits with 130 at once.
pub(super) fn stop_on_ctrl_c(stop: Option<StopSignal>) {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if let Ok(mut current) = CURRENT_RUN.lock() {
        *current = stop;
    }
    INSTALLED.get_or_init(|| {
        let installed =
            ctrlc::set_handler(|| match CURRENT_RUN.lock().ok().and_then(|c| c.clone()) {
                Some(run) if !run.is_raised() => {
                    eprintln!("stopping the run…");
                    run.raise();
                }
                _ => std::process::exit(130),
            });
        if let Err(e) = installed {
            eprintln!("note: Ctrl+C will kill the run instead of stopping it: {e}");
        }
    });
}

/// Runs one scenario on the chosen engine and computes its stats. The run stops cleanly on
/// Ctrl+C (a cpython run's interpreter process group is killed) and is reported as far as it
/// got (its stats say it was interrupted); a live or cpython run's speedup uses the bytecode
/// speed it achieved. `config` comes from [`resolve`] for `choice`.
pub fn execute_run(
    scenario: &Scenario,
    config: &RunConfig,
    choice: &Choice,
) -> Result<(Trace, Stats), CliError> {
    let options = RunOptions {
        engine: choice.engine.kind(),
        interpreter: choice.interpreter.clone(),
        ..RunOptions::default()
    };
    stop_on_ctrl_c(Some(options.stop.clone()));
    let finished = run_scenario(scenario, config, &options);
    stop_on_ctrl_c(None);
    let finished = finished.map_err(|e| CliError::Input(format!("{}: {e}", scenario.source)))?;
    for note in &finished.notes {
        eprintln!("note: {note}");
    }
    Ok((finished.trace, finished.stats))
}

fn export(
    name: &str,
    settings: &SettingsArgs,
    (dir, script): (Option<&Path>, Option<&Path>),
    engine: &EngineArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let choice = match (script, engine.kind()?) {
        (Some(_), EngineKind::Sim | EngineKind::Live) if engine.engine.is_some() => {
            return Err(CliError::Input(
                "--python-script writes the program of the cpython engine: leave out --engine, or give --engine cpython".into(),
            ));
        }
        (Some(_), _) => EngineArgs {
            engine: Some(EngineKind::Cpython),
            interpreter: engine.interpreter.clone(),
        }
        .choose()?,
        (None, _) => engine.choose()?,
    };
    let (scenario, config) = prepare_for(name, settings, &choice)?;
    if let (Some(path), Some(interpreter)) = (script, &choice.interpreter) {
        write_python_script(&scenario, &config, interpreter, path)?;
        write_out(
            out,
            &format!(
                "wrote {}: run it with {} {}\n",
                path.display(),
                interpreter.path.display(),
                path.display()
            ),
        )?;
    }
    let Some(dir) = dir else {
        return Ok(());
    };
    let (result, stats) = execute_run(&scenario, &config, &choice)?;
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
        context: format!("cannot create {}", dir.display()),
        source,
    })?;
    write_trace(&result, &dir.join("trace.json"))?;
    write_file(&dir.join("stats.json"), &to_json(&stats)?)?;
    write_file(
        &dir.join("stats.csv"),
        &format!("{STATS_CSV_HEADER}\n{}\n", stats_csv_row(&stats)),
    )?;
    write_out(
        out,
        &format!(
            "wrote trace.json, stats.json and stats.csv to {}\n",
            dir.display()
        ),
    )?;
    interrupted(&stats)
}

/// `--python-script FILE`: the program the cpython engine runs for `scenario`, executable.
fn write_python_script(
    scenario: &Scenario,
    config: &RunConfig,
    interpreter: &gilscope_sim::cpython::Interpreter,
    path: &Path,
) -> Result<(), CliError> {
    let program = gilscope_sim::cpython::generate(
        scenario,
        config,
        interpreter,
        &gilscope_sim::cpython::ProgramOptions::default(),
        &path.display().to_string(),
    )
    .map_err(|e| CliError::Input(format!("{}: {e}", scenario.source)))?;
    write_file(path, &program.text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|source| {
        CliError::Io {
            context: format!("cannot make {} executable", path.display()),
            source,
        }
    })
}

/// Each runtime's row against the first (threads with the GIL), by what the scenario is about:
/// the sentence the app's compare view writes (`None` for the first row and failed ones).
fn compare_headlines(
    purpose: gilscope_sim::narration::Purpose,
    rows: &[(String, Result<Stats, String>)],
) -> Vec<Option<String>> {
    let base = rows
        .first()
        .and_then(|(label, r)| Some((format!("with {label}"), r.as_ref().ok()?)));
    rows.iter()
        .enumerate()
        .map(|(i, (label, row))| {
            let ((base_label, base), stats) = (base.as_ref()?, row.as_ref().ok()?);
            let a = Side {
                label: base_label,
                stats: base,
            };
            let label = format!("with {label}");
            let b = Side {
                label: &label,
                stats,
            };
            (i > 0).then(|| headline(purpose, a, b).text)
        })
        .collect()
}

fn compare(
    name: &str,
    settings: &SettingsArgs,
    json: bool,
    engine: &EngineArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let choice = engine.choose()?;
    let (scenario, _) = prepare(name, settings)?;
    let rows: Vec<(String, Result<Stats, String>)> = match (choice.engine, &choice.interpreter) {
        (EngineKind::Cpython, Some(chosen)) => {
            let found = gilscope_sim::cpython::discover(&super::engine::discover_options()).found;
            let stop = StopSignal::new();
            stop_on_ctrl_c(Some(stop.clone()));
            let rows =
                super::compare_real::rows(&scenario, &settings.overrides(), chosen, &found, &stop);
            stop_on_ctrl_c(None);
            rows
        }
        (EngineKind::Live, _) => {
            return Err(CliError::Input(
                "compare runs the simulator or real interpreters (--engine cpython); real threads support only the threads runtime".into(),
            ));
        }
        _ => compare_runtimes(&scenario, &settings.overrides())
            .into_iter()
            .map(|(label, row)| (label, row.map_err(|e| e.to_string())))
            .collect(),
    };
    let stopped = rows
        .iter()
        .find_map(|(_, row)| row.as_ref().ok().filter(|s| s.interrupted));
    let base = rows
        .first()
        .and_then(|(label, r)| Some((format!("with {label}"), r.as_ref().ok()?)));
    let headlines = compare_headlines(scenario.purpose, &rows);
    if json {
        let doc: Vec<serde_json::Value> = rows
            .iter()
            .zip(&headlines)
            .map(|((label, row), headline)| match row {
                Ok(stats) => {
                    serde_json::json!({"runtime": label, "stats": stats, "headline": headline})
                }
                Err(e) => serde_json::json!({"runtime": label, "error": e}),
            })
            .collect();
        write_out(out, &to_json(&doc)?)?;
        return stopped.map_or(Ok(()), interrupted);
    }
    // The app's runtime table shows the same columns and cells.
    let gil = base.as_ref().map(|(_, s)| *s);
    let [runtime, columns @ ..] = COMPARE_COLUMNS;
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(30);
    let mut text = format!(
        "{}\n{runtime:<width$} {:>10} {:>9} {:>10} {:>11} {:>12} {:>8} {:>11} {:>9}\n",
        scenario.name,
        columns[0],
        columns[1],
        columns[2],
        columns[3],
        columns[4],
        columns[5],
        columns[6],
        columns[7]
    );
    for (label, row) in &rows {
        match row {
            Ok(s) => {
                let [
                    wall,
                    ratio,
                    cpu,
                    parallelism,
                    interpreters,
                    lost,
                    contention,
                    memory,
                ] = compare_cells(s, gil);
                let _ = writeln!(
                    text,
                    "{label:<width$} {wall:>10} {ratio:>9} {cpu:>10} {parallelism:>11} {interpreters:>12} {lost:>8} {contention:>11} {memory:>9}"
                );
            }
            Err(e) => {
                let _ = writeln!(text, "{label:<width$} not possible: {e}");
            }
        }
    }
    let mut said = headlines.iter().flatten().peekable();
    if said.peek().is_some() {
        text.push('\n');
    }
    for sentence in said {
        text.push_str(&wrapped(sentence, NARRATION_WIDTH));
    }
    write_out(out, &text)?;
    stopped.map_or(Ok(()), interrupted)
}

/// `gilscope screenshot`: the scenario and settings checked first (bad input is a usage error,
/// status 2), then the window rendered and saved.
fn screenshot(command: &Command, out: &mut dyn Write) -> Result<(), CliError> {
    let Command::Screenshot {
        scenario,
        out: path,
        size,
        compare,
        presentation,
        light,
        engine,
        step,
        next,
        select,
        predict,
        reveal,
        runtimes,
        settings,
    } = command
    else {
        return Ok(());
    };
    // Check the scenario and settings here, so bad input is a usage error (status 2).
    let (a, b) = screenshot_engines(engine, *compare)?;
    let (counted, _) = prepare_for(scenario, settings, &a)?;
    let mut request = crate::gui::ScreenshotRequest {
        scenario: scenario.clone(),
        overrides: settings.overrides(),
        group_counts: counted.groups.iter().map(|g| Some(g.count)).collect(),
        compare: *compare,
        presentation: *presentation,
        theme: if *light {
            crate::theme::ThemeMode::Light
        } else {
            crate::theme::ThemeMode::Dark
        },
        size: *size,
        out: path.clone(),
        steps: *step,
        next: *next,
        select: *select,
        predict: match (*predict, *reveal) {
            (_, true) => crate::gui::screenshot::Predicting::Reveal,
            (true, false) => crate::gui::screenshot::Predicting::Ask,
            (false, false) => crate::gui::screenshot::Predicting::Off,
        },
        runtimes: *runtimes,
        ..crate::gui::ScreenshotRequest::new(scenario.clone(), path.clone())
    };
    request.engine = match (a.engine, &a.interpreter) {
        (EngineKind::Live, _) => crate::gui::EngineChoice::Live,
        (EngineKind::Cpython, Some(i)) => crate::gui::EngineChoice::Cpython(i.path.clone()),
        _ => crate::gui::EngineChoice::Simulated,
    };
    request.compare_interpreter = b.as_ref().map(|i| i.path.clone());
    request.interpreters = a.interpreter.into_iter().chain(b).collect();
    crate::gui::capture(&request).map_err(|e| CliError::Gui(e.to_string()))?;
    write_out(out, &format!("wrote {}\n", path.display()))
}

pub(super) fn to_json(value: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| CliError::Input(e.to_string()))
}

/// Loads the scenario, applies `--threads`, resolves the settings.
pub fn prepare(name: &str, settings: &SettingsArgs) -> Result<(Scenario, RunConfig), CliError> {
    prepare_for(name, settings, &Choice::sim())
}

/// Loads the scenario, applies `--threads`, resolves the settings for the engine of `choice`
/// and prints what the user should know about them (settings a real interpreter has no knob
/// for, a version that differs from the scenario's).
pub fn prepare_for(
    name: &str,
    settings: &SettingsArgs,
    choice: &Choice,
) -> Result<(Scenario, RunConfig), CliError> {
    let scenario = load(name).map_err(|e| CliError::Input(e.to_string()))?;
    let scenario = settings.apply_counts(&scenario).map_err(CliError::Input)?;
    let (config, notes) = resolve(&scenario, &settings.overrides(), choice)?;
    for note in notes {
        eprintln!("note: {note}");
    }
    Ok((scenario, config))
}

fn scenarios(out: &mut dyn Write) -> Result<(), CliError> {
    let mut text = String::new();
    let width = PRESETS.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (stem, _) in PRESETS {
        let summary = load(stem).map_or_else(|e| e.to_string(), |s| s.summary);
        let _ = writeln!(text, "{stem:width$}  {summary}");
    }
    write_out(out, &text)
}

fn sweep_table(rows: &[Stats]) -> String {
    let mut text = format!(
        "{:>10} {:>10} {:>8} {:>12} {:>12} {:>11} {:>12} {:>10}\n",
        "interval", "wall", "switch/s", "io mean", "io p99", "io ops/s", "Mbytecode/s", "lost"
    );
    for s in rows {
        let io = s.io_latency();
        let io_ops_per_s: f64 = s
            .threads
            .iter()
            .filter(|t| t.io_ops > 0)
            .map(|t| t.io_ops_per_s)
            .sum();
        let cell = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), format_ms);
        let _ = writeln!(
            text,
            "{:>10} {:>10} {:>8.0} {:>12} {:>12} {:>11.0} {:>12.1} {:>10}",
            format_nanos(s.switch_interval_us * 1000),
            format_ms(s.wall_ms),
            s.gil.switches_per_s,
            cell(io.map(|x| x.mean)),
            cell(io.map(|x| x.p99)),
            io_ops_per_s,
            s.bytecodes_per_s / 1e6,
            s.counters.iter().map(|c| c.lost).sum::<u64>()
        );
    }
    text
}

fn write_trace(trace: &Trace, path: &Path) -> Result<(), CliError> {
    let io_error = |source| CliError::Io {
        context: format!("cannot write {}", path.display()),
        source,
    };
    let plan = ChromeExport::plan(trace, trace.meta.config.export_budget);
    if let Some(note) = plan.note() {
        eprintln!("note: {}: {note}", path.display());
    }
    let file = File::create(path).map_err(io_error)?;
    let mut writer = BufWriter::new(file);
    write_chrome_trace(trace, &plan, &mut writer).map_err(io_error)
}

fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|source| CliError::Io {
        context: format!("cannot write {}", path.display()),
        source,
    })
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .map_err(|source| CliError::Io {
            context: "cannot write to standard output".into(),
            source,
        })
}
