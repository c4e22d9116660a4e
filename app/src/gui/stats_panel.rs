//! The stats of the run(s) as a readable table (the numbers of `gilscope run --json`), and
//! each thread's time as a bar split by state.

use super::view::{Action, View, ViewCtx};
use crate::format::{count, ms as format_ms, percent, si};
use crate::theme::Theme;
use gilscope_sim::ThreadState;
use gilscope_sim::stats::{Stats, Summary, ThreadStats};

fn p50_p99(summary: Option<Summary>) -> String {
    summary.map_or_else(
        || "—".to_owned(),
        |s| format!("{} / {}", format_ms(s.p50), format_ms(s.p99)),
    )
}

/// The rows of the stats table, `(what, value)`, in reading order.
pub fn stats_rows(s: &Stats) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = vec![
        ("Wall time".into(), format_ms(s.wall_ms)),
        ("One thread would take".into(), format_ms(s.sequential_ms)),
        (
            "Speedup vs 1 thread".into(),
            s.speedup.map_or_else(|| "—".into(), |x| format!("{x:.2}×")),
        ),
        ("Bytecodes".into(), count(s.bytecodes)),
        ("Bytecodes/s".into(), si(s.bytecodes_per_s)),
        ("CPU time".into(), format_ms(s.cpu_ms)),
        (
            "Busy cores".into(),
            s.parallelism
                .map_or_else(|| "—".into(), |p| format!("{p:.2}")),
        ),
        (
            "Memory (estimated)".into(),
            format!("{:.0} MiB", s.resident_mib),
        ),
    ];
    if s.gil_enabled {
        rows.extend([
            ("GIL held".into(), percent(s.gil.held_fraction)),
            (
                "GIL switches".into(),
                format!("{} ({}/s)", count(s.gil.switches), si(s.gil.switches_per_s)),
            ),
            ("Forced switches".into(), count(s.gil.forced_switches)),
            ("Drop requests".into(), count(s.gil.drop_requests)),
            ("GIL slice p50/p99".into(), p50_p99(s.gil.slice_ms)),
            ("GIL wait p50/p99".into(), p50_p99(s.gil.acquire_latency_ms)),
        ]);
    } else {
        rows.push(("GIL".into(), "none: free-threaded".into()));
    }
    if let Some(io) = s.io_latency() {
        rows.push(("I/O latency p50/p99".into(), p50_p99(Some(io))));
    }
    for c in &s.counters {
        rows.push((
            format!("“{}” expected/actual", c.name),
            format!("{} / {}", count(c.expected), count(c.actual)),
        ));
        let lost = if c.expected > 0 {
            c.lost as f64 / c.expected as f64
        } else {
            0.0
        };
        rows.push((
            format!("“{}” lost updates", c.name),
            format!("{} ({})", count(c.lost), percent(lost)),
        ));
    }
    rows
}

/// `(state, milliseconds)` of a thread, in legend order, zero times left out.
fn state_times(t: &ThreadStats) -> Vec<(ThreadState, f64)> {
    let s = &t.state_ms;
    [
        (ThreadState::Running, s.running),
        (ThreadState::WaitingGil, s.waiting_gil),
        (ThreadState::ForcedOff, s.forced_off),
        (ThreadState::Io, s.io),
        (ThreadState::Syscall, s.syscall),
        (ThreadState::Waking, s.waking),
        (ThreadState::CCallReleased, s.c_call),
        (ThreadState::Lock, s.lock),
        (ThreadState::Runnable, s.runnable),
        (ThreadState::Ready, s.ready),
        (ThreadState::Contended, s.contended),
        (ThreadState::Paused, s.paused),
        (ThreadState::Collecting, s.collecting),
        (ThreadState::Signalling, s.signalling),
        (ThreadState::Starting, s.starting),
    ]
    .into_iter()
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

/// The table (a column per run) and the per-thread bars.
fn stats_table(ui: &mut egui::Ui, cx: &ViewCtx<'_>) {
    ui.strong("Stats");
    let all: Vec<Option<&Stats>> = cx.runs.iter().map(|r| r.stats.as_ref()).collect();
    if all.iter().all(Option::is_none) {
        ui.weak("No stats yet: press Play.");
        return;
    }
    let columns: Vec<Vec<(String, String)>> = all
        .iter()
        .map(|s| s.map(stats_rows).unwrap_or_default())
        .collect();
    // Rows by name, in the order the longest table has them.
    let names: Vec<String> = columns
        .iter()
        .max_by_key(|c| c.len())
        .map(|c| c.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    egui::Grid::new("stats")
        .num_columns(1 + columns.len())
        .striped(true)
        .spacing([10.0, 4.0])
        .show(ui, |ui| {
            if columns.len() > 1 {
                ui.label("");
                for name in ["A", "B"].iter().take(columns.len()) {
                    ui.strong(*name);
                }
                ui.end_row();
            }
            for name in &names {
                ui.label(name);
                for column in &columns {
                    let value = column
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or("—", |(_, v)| v.as_str());
                    ui.label(value);
                }
                ui.end_row();
            }
        });
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
