//! The stats of the run(s) as a readable table (the numbers of `gilscope run --json`), and
//! the right-hand panel that holds it under the narration.

use super::app::GilscopeApp;
use crate::theme::Theme;
use gilscope_sim::ThreadState;
use gilscope_sim::stats::{Stats, Summary, ThreadStats, format_ms};

/// `1234567` as `1,234,567`.
fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12_300_000.0` as `12.3 M`.
fn si(value: f64) -> String {
    if value >= 1e9 {
        format!("{:.2} G", value / 1e9)
    } else if value >= 1e6 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.1} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

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
        ("Speedup vs 1 thread".into(), format!("{:.2}×", s.speedup)),
        ("Bytecodes".into(), group_digits(s.bytecodes)),
        ("Bytecodes/s".into(), si(s.bytecodes_per_s)),
        ("CPU time".into(), format_ms(s.cpu_ms)),
        ("Busy cores".into(), format!("{:.2}", s.parallelism)),
    ];
    if s.gil_enabled {
        rows.extend([
            (
                "GIL held".into(),
                format!("{:.1}%", s.gil.held_fraction * 100.0),
            ),
            (
                "GIL switches".into(),
                format!(
                    "{} ({}/s)",
                    group_digits(s.gil.switches),
                    si(s.gil.switches_per_s)
                ),
            ),
            (
                "Forced switches".into(),
                group_digits(s.gil.forced_switches),
            ),
            ("Drop requests".into(), group_digits(s.gil.drop_requests)),
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
            format!("{} / {}", group_digits(c.expected), group_digits(c.actual)),
        ));
        let pct = if c.expected > 0 {
            c.lost as f64 * 100.0 / c.expected as f64
        } else {
            0.0
        };
        rows.push((
            format!("“{}” lost updates", c.name),
            format!("{} ({pct:.1}%)", group_digits(c.lost)),
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
        (ThreadState::CCallReleased, s.c_call),
        (ThreadState::Lock, s.lock),
        (ThreadState::Runnable, s.runnable),
        (ThreadState::Ready, s.ready),
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

impl GilscopeApp {
    /// Shows the stats panel (when open).
    pub(super) fn info_panel(&mut self, ui: &mut egui::Ui) {
        let mut open = self.settings.show_info;
        // Two runs need a second value column.
        let (width, share) = if self.runs.len() > 1 {
            (420.0, 0.38)
        } else {
            (340.0, 0.34)
        };
        let width = width * self.theme.text_scale().sqrt();
        // A fixed width, at most about a quarter (settings) or a third (stats) of the
        // window, so the timeline keeps at least 40% of it at any size.
        let most = (ui.ctx().content_rect().width() * share).max(220.0);
        egui::Panel::right("info")
            .exact_size(width.min(most).round())
            .show_collapsible(ui, &mut open, |ui| {
                egui::ScrollArea::both().show(ui, |ui| {
                    ui.add_space(6.0);
                    self.stats_table(ui);
                    ui.add_space(8.0);
                });
            });
        self.settings.show_info = open;
    }

    fn stats_table(&self, ui: &mut egui::Ui) {
        ui.strong("Stats");
        let all: Vec<Option<&Stats>> = self.runs.iter().map(|r| r.stats.as_ref()).collect();
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
                thread_row(ui, &self.theme, t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_scaled() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(1_234_567), "1,234,567");
        assert_eq!(group_digits(100), "100");
        assert_eq!(si(12_300_000.0), "12.30 M");
        assert_eq!(si(950.0), "950");
    }
}
