//! The stats of the run(s) as a readable table (the numbers of `gilscope run --json`), and
//! each thread's time as a bar split by state.

use super::view::{Action, View, ViewCtx};
use crate::format::{count, ms as format_ms, percent, si};
use crate::theme::Theme;
use gilscope_sim::stats::{Stats, Summary, ThreadStats};
use gilscope_sim::{PythonVersion, ThreadState};

fn p50_p99(summary: Option<Summary>) -> String {
    summary.map_or_else(
        || "—".to_owned(),
        |s| format!("{} / {}", format_ms(s.p50), format_ms(s.p99)),
    )
}

/// A count the run's engine may not observe (a real interpreter hides its drop requests).
fn observed(s: &Stats, n: u64) -> String {
    if s.engine.not_observed().is_empty() {
        count(n)
    } else {
        "not observed".to_owned()
    }
}

/// The rows of the stats table, `(what, value)`, in reading order.
pub fn stats_rows(s: &Stats) -> Vec<(String, String)> {
    stats_cells(s)
        .into_iter()
        .map(|(name, text, _)| (name, text))
        .collect()
}

/// How far apart two runs on different engines may be before a number is marked (25%, as
/// `gilscope validate` widens the real runs' spread).
pub const DIFFERS_BY: f64 = 0.25;

/// Whether `a` and `b` differ by more than [`DIFFERS_BY`] of the larger.
pub fn differ(a: f64, b: f64) -> bool {
    (a - b).abs() > DIFFERS_BY * a.abs().max(b.abs())
}

/// The rows of the stats table with the number each shows (where it is one number), for
/// marking the numbers two runs disagree on.
fn stats_cells(s: &Stats) -> Vec<(String, String, Option<f64>)> {
    let mut rows: Vec<(String, String, Option<f64>)> = vec![
        ("Wall time".into(), format_ms(s.wall_ms), Some(s.wall_ms)),
        (
            "One thread would take".into(),
            format_ms(s.sequential_ms),
            Some(s.sequential_ms),
        ),
        (
            "Speedup vs 1 thread".into(),
            s.speedup.map_or_else(|| "—".into(), |x| format!("{x:.2}×")),
            s.speedup,
        ),
        ("Bytecodes".into(), count(s.bytecodes), None),
        (
            "Bytecodes/s".into(),
            si(s.bytecodes_per_s),
            Some(s.bytecodes_per_s),
        ),
        ("CPU time".into(), format_ms(s.cpu_ms), Some(s.cpu_ms)),
        (
            "Busy cores".into(),
            s.parallelism
                .map_or_else(|| "—".into(), |p| format!("{p:.2}")),
            s.parallelism,
        ),
        (
            "Memory (estimated)".into(),
            format!("{:.0} MiB", s.resident_mib),
            Some(s.resident_mib),
        ),
    ];
    rows.extend(gil_cells(s));
    if let Some(io) = s.io_latency() {
        rows.push((
            "I/O latency p50/p99".into(),
            p50_p99(Some(io)),
            Some(io.p50),
        ));
    }
    for c in &s.counters {
        rows.push((
            format!("“{}” expected/actual", c.name),
            format!("{} / {}", count(c.expected), count(c.actual)),
            None,
        ));
        if s.in_own_copies(c) {
            // Nothing raced: each process (or subinterpreter) counted in its own copy.
            rows.push((
                format!("“{}” in the parent", c.name),
                format!("untouched: counted in {}", s.own_copies()),
                None,
            ));
            continue;
        }
        let lost = if c.expected > 0 {
            c.lost as f64 / c.expected as f64
        } else {
            0.0
        };
        rows.push((
            format!("“{}” lost updates", c.name),
            format!("{} ({})", count(c.lost), percent(lost)),
            Some(lost),
        ));
    }
    if let Some(o) = s.observation {
        // Short, so that two columns still fit the panel: a stamp's cost (its share of a
        // compute loop's time).
        rows.push((
            "Cost of a stamp".into(),
            format!("{:.0} ns ({})", o.stamp_ns, percent(o.compute_share)),
            None,
        ));
    }
    rows
}

/// The GIL's rows: the shared GIL's figures, or why there are none (no GIL, or one per
/// process or subinterpreter).
fn gil_cells(s: &Stats) -> Vec<(String, String, Option<f64>)> {
    let mut cells = Vec::new();
    if s.interpreters > 1 && s.gil_enabled {
        // One GIL per process or subinterpreter: no thread waits for another's, and the
        // shared-GIL figures (held, switches, drop requests) do not exist (as `gilscope run`
        // says).
        let kind = s.runtime.interpreter_kind();
        cells.push((
            "GIL".into(),
            format!("one per {kind}, {} in all, none shared", s.interpreters),
            None,
        ));
    } else if s.gil_enabled {
        cells.extend([
            (
                "GIL held".into(),
                percent(s.gil.held_fraction),
                Some(s.gil.held_fraction),
            ),
            (
                "GIL switches".into(),
                format!("{} ({}/s)", count(s.gil.switches), si(s.gil.switches_per_s)),
                Some(s.gil.switches_per_s),
            ),
        ]);
        cells.extend(if s.python < PythonVersion::new(3, 2) {
            // The old GIL has no drop requests: a holder releases at every check interval,
            // often taking the GIL straight back, and a woken waiter often finds it taken.
            [
                ("GIL retakes".into(), observed(s, s.gil.retakes), None),
                (
                    "Futile wake-ups".into(),
                    observed(s, s.gil.futile_wakeups),
                    None,
                ),
            ]
        } else {
            [
                (
                    "Forced switches".into(),
                    observed(s, s.gil.forced_switches),
                    None,
                ),
                (
                    "Drop requests".into(),
                    observed(s, s.gil.drop_requests),
                    None,
                ),
            ]
        });
        cells.extend([
            ("GIL slice p50/p99".into(), p50_p99(s.gil.slice_ms), None),
            (
                "GIL wait p50/p99".into(),
                p50_p99(s.gil.acquire_latency_ms),
                None,
            ),
        ]);
    } else {
        cells.push(("GIL".into(), "none: free-threaded".into(), None));
    }
    cells
}

/// `(state, milliseconds)` of a thread, in legend order, zero times left out.
fn state_times(t: &ThreadStats) -> Vec<(ThreadState, f64)> {
    ThreadState::ALL
        .into_iter()
        .map(|state| (state, t.state_ms.of(state)))
        .filter(|(_, ms)| *ms > 0.0)
        .collect()
}

/// A thread's time as one bar split by state, with the numbers written under it.
fn thread_row(ui: &mut egui::Ui, theme: &Theme, t: &ThreadStats) {
    let times = state_times(t);
    let total: f64 = times.iter().map(|(_, ms)| ms).sum();
    ui.label(egui::RichText::new(&t.name).strong());
    let width = ui.available_width().max(40.0).floor();
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(width, (theme.lane_height() * 0.6).round()),
        egui::Sense::hover(),
    );
    let mut x = rect.left();
    for (state, ms) in &times {
        let w = if total > 0.0 {
            (*ms / total) as f32 * rect.width()
        } else {
            0.0
        };
        let part =
            egui::Rect::from_min_max(egui::pos2(x, rect.top()), egui::pos2(x + w, rect.bottom()));
        ui.painter()
            .rect_filled(part, 0.0, theme.state_color(*state));
        x += w;
    }
    let text: Vec<String> = times
        .iter()
        .map(|(state, ms)| format!("{} {}", state.label(), format_ms(*ms)))
        .collect();
    response.on_hover_text(text.join("\n"));
    ui.label(egui::RichText::new(text.join(" · ")).weak());
}

/// The stats table and the time per thread of the runs on screen. It keeps no state: the
/// numbers are the runs' latest stats.
#[derive(Debug, Default)]
pub struct StatsView;

impl View for StatsView {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        stats_table(ui, cx);
        Vec::new()
    }
}

/// A table's cells: per run, `(row name, text, number)`.
type Columns = [Vec<(String, String, Option<f64>)>];

/// The table (a column per run) and the per-thread bars.
fn stats_table(ui: &mut egui::Ui, cx: &ViewCtx<'_>) {
    ui.strong("Stats");
    let all: Vec<Option<&Stats>> = cx.runs.iter().map(|r| r.stats.as_ref()).collect();
    if all.iter().all(Option::is_none) {
        ui.weak("No stats yet: press Play.");
        return;
    }
    let columns: Vec<Vec<(String, String, Option<f64>)>> = all
        .iter()
        .map(|s| s.map(stats_cells).unwrap_or_default())
        .collect();
    // Two runs on different engines (the simulator beside a real interpreter): B's numbers
    // that differ from A's by more than the tolerance are marked.
    let engines: Vec<_> = all.iter().flatten().map(|s| s.engine).collect();
    let mark = engines.len() == 2 && engines[0] != engines[1];
    // Rows by name, in the order the longest table has them.
    let names: Vec<String> = columns
        .iter()
        .max_by_key(|c| c.len())
        .map(|c| c.iter().map(|(n, ..)| n.clone()).collect())
        .unwrap_or_default();
    // A name and its values side by side where they fit, else the values under the name, so
    // a narrow panel (a small window, presentation's large text) cuts no number.
    let font = egui::TextStyle::Body.resolve(ui.style());
    let width = |text: &str| {
        ui.painter()
            .layout_no_wrap(text.to_owned(), font.clone(), egui::Color32::PLACEHOLDER)
            .size()
            .x
    };
    let widest = |texts: &mut dyn Iterator<Item = &str>| texts.map(width).fold(0.0, f32::max);
    let spacing = 10.0;
    let needed = widest(&mut names.iter().map(String::as_str))
        + columns
            .iter()
            .map(|c| {
                widest(&mut c.iter().map(|(_, v, _)| v.as_str()))
                    + spacing
                    + if mark { 20.0 } else { 0.0 }
            })
            .sum::<f32>();
    if needed > ui.available_width() {
        stacked_rows(ui, &names, &columns, mark);
    } else {
        grid_rows(ui, &names, &columns, mark, spacing);
    }
    if let Some(engine) = all
        .iter()
        .flatten()
        .map(|s| s.engine)
        .find(|e| !e.not_observed().is_empty())
    {
        ui.add_space(4.0);
        ui.collapsing(format!("Not observed by the {engine} engine"), |ui| {
            for what in engine.not_observed() {
                ui.label(egui::RichText::new(*what).small());
            }
        });
    }
    thread_times(ui, cx, &all);
}

/// The text of row `name` in `column`, "—" where that run has none.
fn value_of<'a>(column: &'a [(String, String, Option<f64>)], name: &str) -> &'a str {
    column
        .iter()
        .find(|(n, ..)| n == name)
        .map_or("—", |(_, v, _)| v.as_str())
}

/// Whether B's number in row `name` differs from A's (when `mark`: two engines compared).
fn differs(columns: &Columns, name: &str, mark: bool) -> bool {
    let number = |column: &[(String, String, Option<f64>)]| {
        column.iter().find(|(n, ..)| n == name).and_then(|c| c.2)
    };
    mark && columns.len() == 2
        && match (number(&columns[0]), number(&columns[1])) {
            (Some(a), Some(b)) => differ(a, b),
            _ => false,
        }
}

/// One value: B's marked where it differs from A's.
fn value_label(ui: &mut egui::Ui, value: &str, marked: bool) {
    if marked {
        ui.colored_label(ui.visuals().warn_fg_color, format!("{value} ≠"))
            .on_hover_text(format!(
                "differs from A by more than {:.0}%",
                DIFFERS_BY * 100.0
            ));
    } else {
        ui.add(egui::Label::new(value).wrap());
    }
}

/// Each row's name, then its values (A, B) on the line under it.
fn stacked_rows(ui: &mut egui::Ui, names: &[String], columns: &Columns, mark: bool) {
    for name in names {
        ui.label(egui::RichText::new(name).weak());
        let marked = differs(columns, name, mark);
        ui.indent(name, |ui| {
            for (i, column) in columns.iter().enumerate() {
                let value = value_of(column, name);
                let value = if columns.len() > 1 {
                    format!("{} {value}", ["A", "B"][i.min(1)])
                } else {
                    value.to_owned()
                };
                value_label(ui, &value, marked && i == 1);
            }
        });
    }
}

/// A table: a name column, a value column per run.
fn grid_rows(ui: &mut egui::Ui, names: &[String], columns: &Columns, mark: bool, spacing: f32) {
    egui::Grid::new("stats")
        .num_columns(1 + columns.len())
        .striped(true)
        .spacing([spacing, 4.0])
        .show(ui, |ui| {
            if columns.len() > 1 {
                ui.label("");
                for name in ["A", "B"].iter().take(columns.len()) {
                    ui.strong(*name);
                }
                ui.end_row();
            }
            for name in names {
                ui.label(name);
                let marked = differs(columns, name, mark);
                for (i, column) in columns.iter().enumerate() {
                    let value = value_of(column, name);
                    if marked && i == 1 {
                        value_label(ui, value, true);
                    } else {
                        ui.label(value);
                    }
                }
                ui.end_row();
            }
        });
}

/// The time per thread of each run.
fn thread_times(ui: &mut egui::Ui, cx: &ViewCtx<'_>, all: &[Option<&Stats>]) {
    for (i, stats) in all.iter().enumerate() {
        let Some(stats) = stats else { continue };
        ui.add_space(6.0);
        let heading = if all.len() > 1 {
            format!("Time per thread, run {}", ["A", "B"][i.min(1)])
        } else {
            "Time per thread".to_owned()
        };
        ui.strong(heading);
        for t in &stats.threads {
            thread_row(ui, cx.theme, t);
        }
    }
}
