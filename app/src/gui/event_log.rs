//! The event log beside the timeline: run A's events in order (drop requests, handoffs,
//! forced switches, blocking calls, lock waits, lost updates …), filtered by kind and thread;
//! a click points every classroom view at that event and centres the timeline on it; the
//! step's event stays highlighted here and scrolled into view.

use super::view::{Action, View, ViewCtx};
use crate::format::{count, instant};
use gilscope_sim::events::{EventKind, EventLog, RunEvent, caption};
use gilscope_sim::{Named, Trace};

/// Log times are written to 100 ns.
const TIME_RESOLUTION: f64 = 100.0;

/// Which events the log lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFilter {
    /// The kinds shown, by [`EventKind::index`].
    pub kinds: [bool; EventKind::COUNT],
    /// Only events a thread takes part in (its id in run A), or every thread's.
    pub thread: Option<u32>,
}

impl Default for EventFilter {
    fn default() -> Self {
        Self {
            kinds: [true; EventKind::COUNT],
            thread: None,
        }
    }
}

impl EventFilter {
    /// Whether `event` is listed.
    pub fn accepts(&self, event: &RunEvent) -> bool {
        self.kinds[event.kind.index()] && self.thread.is_none_or(|t| event.involves(t))
    }
}

/// The event log, with its filter and the rows it lists.
#[derive(Debug, Default)]
pub struct EventLogView {
    /// What is listed.
    pub filter: EventFilter,
    /// Positions in the log of the rows listed, and what they were computed from.
    rows: Vec<usize>,
    rows_of: Option<(usize, EventFilter, u64)>,
    /// The step's event last drawn (to scroll to a new one).
    shown: Option<RunEvent>,
}

/// One row of the log: "4.9982 ms  io's wait on `cond` timed out …".
pub fn row_text(trace: &Trace, event: &RunEvent) -> String {
    format!(
        "{}  {}",
        instant(event.time as f64, TIME_RESOLUTION),
        caption(trace, event)
    )
}

impl EventLogView {
    /// The rows listed (positions in `log`), recomputed when the log or the filter changed.
    fn rows(&mut self, log: &EventLog, trace: &Trace) -> &[usize] {
        // A replaced trace of the same length must not reuse the rows: its start time and
        // span count tell them apart.
        let key = (
            log.len(),
            self.filter,
            trace.now ^ trace.span_count() as u64,
        );
        if self.rows_of != Some(key) {
            self.rows = (0..log.len())
                .filter(|&i| self.filter.accepts(&log.events()[i]))
                .collect();
            self.rows_of = Some(key);
        }
        &self.rows
    }

    fn filters(&mut self, ui: &mut egui::Ui, log: &EventLog, trace: &Trace) {
        ui.horizontal_wrapped(|ui| {
            ui.menu_button("Kinds", |ui| {
                for &kind in EventKind::ALL {
                    let n = log.count(kind);
                    if n == 0 {
                        continue;
                    }
                    let on = &mut self.filter.kinds[kind.index()];
                    ui.checkbox(on, format!("{} ({})", kind.label(), count(n as u64)));
                }
                if ui.button("All kinds").clicked() {
                    self.filter.kinds = [true; EventKind::COUNT];
                }
            });
            let label = ui.label("Thread");
            let name = |t: Option<u32>| {
                t.map_or("every thread".to_owned(), |t| {
                    trace.thread_name(t).to_owned()
                })
            };
            egui::ComboBox::from_id_salt("event-log-thread")
                .selected_text(name(self.filter.thread))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.thread, None, name(None));
                    for t in 0..trace.threads.len() as u32 {
                        ui.selectable_value(&mut self.filter.thread, Some(t), name(Some(t)));
                    }
                })
                .response
                .labelled_by(label.id);
        });
    }
}

impl View for EventLogView {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
        let (Some(log), Some(run)) = (cx.logs.first(), cx.runs.first()) else {
            ui.weak("No run yet.");
            return actions;
        };
        let trace = &run.trace;
        ui.horizontal(|ui| {
            ui.strong("Events");
            ui.weak(format!(
                "{} in the run{}",
                count(log.len() as u64),
                if run.is_over() { "" } else { " so far" }
            ));
        });
        self.filters(ui, log, trace);
        let selected = cx.focus.event;
        let scroll_to = if selected == self.shown {
            None
        } else {
            self.shown = selected;
            selected.and_then(|e| log.position(&e))
        };
        let rows = self.rows(log, trace).to_vec();
        if rows.is_empty() {
            ui.weak("No event of the kinds chosen yet.");
            return actions;
        }
        let line = ui.text_style_height(&egui::TextStyle::Body);
        let lines = if cx.theme.presentation() {
            ROW_LINES_PRESENTING
        } else {
            ROW_LINES
        };
        let row_height = lines as f32 * line + 4.0 + ui.spacing().item_spacing.y;
        let mut area = egui::ScrollArea::vertical()
            .id_salt("event-log")
            .auto_shrink([false, false]);
        if let Some(at) = scroll_to.and_then(|p| rows.iter().position(|&r| r >= p)) {
            let visible = ui.available_height();
            area = area.vertical_scroll_offset((at as f32 * row_height - visible * 0.4).max(0.0));
        }
        area.show_rows(ui, row_height, rows.len(), |ui, range| {
            for &i in &rows[range] {
                let event = log.events()[i];
                let on = selected == Some(event);
                let text = row_text(trace, &event);
                let height = row_height - ui.spacing().item_spacing.y;
                let response = row(ui, on, text, height, lines);
                if response.clicked() {
                    actions.push(Action::SelectEvent(event));
                }
            }
        });
        actions
    }
}

/// Lines of text a row of the log shows (wrapped at words, the rest elided; all of it on
/// hover).
const ROW_LINES: usize = 2;
/// [`ROW_LINES`] in presentation mode, whose larger text puts fewer words on a line.
const ROW_LINES_PRESENTING: usize = 3;

/// One row of the log, `height` points tall: `text` wrapped on up to `lines` lines,
/// highlighted when `on`; a button named by the whole text, which its tooltip shows.
fn row(ui: &mut egui::Ui, on: bool, text: String, height: f32, lines: usize) -> egui::Response {
    let size = egui::vec2(ui.available_width(), height);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, on, &text));
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact_selectable(&response, on);
        if on || response.hovered() {
            ui.painter()
                .rect_filled(rect, visuals.corner_radius, visuals.weak_bg_fill);
        }
        let pad = ui.spacing().button_padding.x;
        let font = egui::TextStyle::Body.resolve(ui.style());
        let color = visuals.text_color();
        let mut job =
            egui::text::LayoutJob::simple(text.clone(), font, color, rect.width() - 2.0 * pad);
        job.wrap.max_rows = lines;
        job.wrap.break_anywhere = false;
        let galley = ui.painter().layout_job(job);
        let top = rect.center().y - galley.size().y * 0.5;
        ui.painter()
            .galley(egui::pos2(rect.left() + pad, top), galley, color);
    }
    response.on_hover_text(text)
}
