//! The aggregate of a selected range of time: [`Stats::of_range`] of run A, which is
//! `Stats::compute` of the run cut to the range, so its numbers mean what a run's mean: time
//! per state per thread, GIL switches, blocking calls and their latency, lost updates.

use super::view::{Action, View, ViewCtx};
use crate::format::{count, instant, ms, nanos, percent};
use gilscope_sim::{Nanos, Stats, Trace};

/// What an aggregate was computed from: the range, and how far the trace reached (its end and
/// span count).
type RangeKey = (Nanos, Nanos, Nanos, usize);

/// The selection's aggregate, cached for the range and the trace it was computed from.
#[derive(Debug, Default)]
pub struct SelectionView {
    cached: Option<(RangeKey, Stats, u64)>,
}

/// The rows the aggregate shows, `(label, value)`, in order: what the panel writes.
pub fn selection_rows(stats: &Stats, lost: u64) -> Vec<(String, String)> {
    let mut rows = vec![
        ("length".to_owned(), ms(stats.wall_ms)),
        ("GIL switches".to_owned(), count(stats.gil.switches)),
        (
            "forced switches".to_owned(),
            count(stats.gil.forced_switches),
        ),
        ("drop requests".to_owned(), count(stats.gil.drop_requests)),
        ("GIL held".to_owned(), percent(stats.gil.held_fraction)),
        (
            "blocking calls completed".to_owned(),
            count(stats.threads.iter().map(|t| t.io_ops).sum()),
        ),
    ];
    if let Some(io) = stats.io_latency_ms {
        rows.push((
            "their latency, mean / p99".to_owned(),
            format!("{} / {}", ms(io.mean), ms(io.p99)),
        ));
    }
    if lost > 0 {
        rows.push(("updates lost".to_owned(), count(lost)));
    }
    for t in &stats.threads {
        let s = t.state_ms;
        let share = |v: f64| {
            if stats.wall_ms > 0.0 {
                percent(v / stats.wall_ms)
            } else {
                percent(0.0)
            }
        };
        let mut parts = vec![format!("running {}", share(s.running))];
        for (label, v) in [
            ("waiting", s.waiting_gil),
            ("forced off", s.forced_off),
            ("I/O", s.io),
            ("C", s.c_call),
            ("lock", s.lock),
            ("runnable", s.runnable),
            ("ready", s.ready),
            ("starting", s.starting),
        ] {
            if v > 0.0 {
                parts.push(format!("{label} {}", share(v)));
            }
        }
        rows.push((t.name.clone(), parts.join(" · ")));
    }
    rows
}

/// Updates lost by stores inside `[from, to)`.
pub fn lost_in(trace: &Trace, from: Nanos, to: Nanos) -> u64 {
    trace
        .stale_stores
        .iter()
        .filter(|s| (from..to).contains(&s.store))
        .map(gilscope_sim::trace::StaleStore::erased)
        .sum()
}

impl SelectionView {
    fn stats(&mut self, trace: &Trace, (from, to): (Nanos, Nanos)) -> (&Stats, u64) {
        let key = (from, to, trace.now, trace.span_count());
        if self.cached.as_ref().is_some_and(|(k, _, _)| *k != key) {
            self.cached = None;
        }
        let (_, stats, lost) = self.cached.get_or_insert_with(|| {
            (
                key,
                Stats::of_range(trace, from, to),
                lost_in(trace, from, to),
            )
        });
        (stats, *lost)
    }
}

impl View for SelectionView {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let (Some((from, to)), Some(run)) = (cx.focus.selection, cx.runs.first()) else {
            return Vec::new();
        };
        let mut actions = Vec::new();
        let resolution = ((to - from) as f64 / 1_000.0).max(1.0);
        ui.horizontal_wrapped(|ui| {
            ui.strong("Selection");
            ui.label(format!(
                "{} to {} ({})",
                instant(from as f64, resolution),
                instant(to as f64, resolution),
                nanos(to - from)
            ));
            if ui
                .small_button("Clear")
                .on_hover_text("Clear the selection (Esc)")
                .clicked()
            {
                actions.push(Action::SetSelection(None));
            }
        });
        let (stats, lost) = self.stats(&run.trace, (from, to));
        let rows = selection_rows(stats, lost);
        // Two columns where they fit; in a narrow column (presentation's large text) each
        // value goes under its name, so that numbers are not broken across lines.
        let text = egui::TextStyle::Body.resolve(ui.style()).size;
        if ui.available_width() >= 20.0 * text {
            egui::Grid::new("selection-aggregate")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for (label, value) in rows {
                        ui.label(label);
                        ui.add(egui::Label::new(value).wrap());
                        ui.end_row();
                    }
                });
        } else {
            for (label, value) in rows {
                ui.indent(&label, |ui| {
                    ui.weak(&label);
                    ui.add(egui::Label::new(value).wrap());
                });
            }
        }
        actions
    }
}
