//! The step bar over the timeline: step back, step, run to the next switch, drop request or
//! lost update, the counter lock of a counter scenario, pinning the view, on one line (shorter
//! labels, then icons, in a narrow window; the full name on hover); and under the buttons the
//! step's caption, in `CPython`'s terms, as large as the lane labels.

use super::compare::one_line_when_short;
use super::focus::StepDirection;
use super::stepping::singular;
use super::view::{Action, View, ViewCtx};
use crate::format::instant;
use crate::timeline::TimelineView;
use gilscope_sim::events::{EventKind, caption};

/// The step bar. It keeps nothing of its own: what it shows is the shell's [`super::focus`].
#[derive(Debug, Default)]
pub struct StepBar;

/// The caption of the step's event: "event 12 of 403 at 4.99823 ms: io's wait on `cond` …".
pub fn step_caption(cx: &ViewCtx<'_>) -> Option<String> {
    let event = cx.focus.event?;
    let (log, run) = (cx.logs.first()?, cx.runs.first()?);
    let position = log.position(&event)?;
    let resolution = cx.timeline.width() / 2_000.0;
    Some(format!(
        "event {} of {}{} at {}: {}",
        position + 1,
        log.len(),
        if run.is_over() { "" } else { " so far" },
        instant(event.time as f64, resolution),
        caption(&run.trace, &event)
    ))
}

/// One control of the step bar, with its label at each width (in full, short, shortest): the
/// bar uses the longest that keeps it on one line, and always names the control in full for
/// a screen reader and on hover.
struct Control {
    labels: [&'static str; 3],
    hover: &'static str,
    what: What,
}

/// What a control of the step bar does.
#[derive(Clone, Copy)]
enum What {
    Step(StepDirection, Option<EventKind>),
    CounterLock,
    PinView,
}

impl Control {
    const fn new(labels: [&'static str; 3], hover: &'static str, what: What) -> Self {
        Self {
            labels,
            hover,
            what,
        }
    }

    /// Whether it is a toggle (a checkbox or a toggle button) rather than a button.
    fn toggle(&self) -> bool {
        !matches!(self.what, What::Step(..))
    }
}

/// The controls of the step bar for a run (the counter's only in a counter scenario).
fn controls(counters: bool) -> Vec<Control> {
    use EventKind::{CounterLoad, DropRequest, Handoff};
    use StepDirection::{Back, Forward};
    let mut controls = vec![
        Control::new(
            ["Step back", "\u{AB} Back", "\u{AB}"],
            "The previous event: the run is replayed from 0 up to it (Left arrow)",
            What::Step(Back, None),
        ),
        Control::new(
            ["Step forward", "Step \u{BB}", "\u{BB}"],
            "Pause and go to the next event: centred, highlighted, explained (Right arrow)",
            What::Step(Forward, None),
        ),
        Control::new(
            ["Next switch", "Switch \u{BB}", "Switch"],
            "Run to the next time a thread takes the GIL (N)",
            What::Step(Forward, Some(Handoff)),
        ),
        Control::new(
            ["Next drop request", "Drop \u{BB}", "Drop"],
            "Run to the next time a waiter asks the holder to drop the GIL (G)",
            What::Step(Forward, Some(DropRequest)),
        ),
    ];
    if counters {
        controls.push(Control::new(
            ["Next lost update", "Lost \u{BB}", "Lost"],
            "The next load of the counter that a stale store later overwrites; the loads and stores are replayed when the run ends, so this runs it to its end (L)",
            What::Step(Forward, Some(CounterLoad)),
        ));
        controls.push(Control::new(
            ["Lock the counter", "Lock", "Lock"],
            "Lock the counter: with counter_lock: around each thread's increment loop (threading.Lock); runs again",
            What::CounterLock,
        ));
    }
    controls.push(Control::new(
        ["Pin view", "Pin", "Pin"],
        "Pin view: keep this range of time when a new run starts, and when stepping",
        What::PinView,
    ));
    controls
}

/// The longest labels (0 in full, 1 short, 2 shortest) with which `controls` fit on one line
/// of `ui`: the shortest when nothing fits (the line then wraps).
fn label_tier(ui: &egui::Ui, controls: &[Control]) -> usize {
    let font = egui::TextStyle::Button.resolve(ui.style());
    let spacing = ui.spacing();
    let pad = 2.0 * spacing.button_padding.x + spacing.item_spacing.x;
    let check = spacing.icon_width + spacing.icon_spacing;
    let width = |tier: usize| -> f32 {
        controls
            .iter()
            .map(|c| {
                let text = ui.painter().layout_no_wrap(
                    c.labels[tier].to_owned(),
                    font.clone(),
                    egui::Color32::WHITE,
                );
                text.size().x + pad + if c.toggle() { check } else { 0.0 }
            })
            .sum()
    };
    let available = ui.available_width();
    (0..2).find(|&tier| width(tier) <= available).unwrap_or(2)
}

impl View for StepBar {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
        let Some(run) = cx.runs.first() else {
            return actions;
        };
        let live = cx.settings.live;
        let counters = cx
            .scenario
            .is_some_and(gilscope_sim::Scenario::has_counters);
        let steppable = !live && (!run.is_over() || cx.logs.first().is_some_and(|l| !l.is_empty()));
        let controls = controls(counters);
        let tier = label_tier(ui, &controls);
        ui.horizontal_wrapped(|ui| {
            for control in &controls {
                let label = control.labels[tier];
                // Named in full whatever the label shows.
                let full = |response: egui::Response, kind: egui::Role, on: Option<bool>| {
                    let name = control.labels[0];
                    let enabled = response.enabled();
                    response.widget_info(|| match on {
                        Some(on) => egui::WidgetInfo::selected(kind, enabled, on, name),
                        None => egui::WidgetInfo::labeled(kind, enabled, name),
                    });
                    response
                };
                match control.what {
                    What::Step(direction, kind) => {
                        let response = ui.add_enabled(steppable, egui::Button::new(label));
                        let response =
                            full(response, egui::Role::Button, None).on_hover_text(control.hover);
                        if response.clicked() {
                            actions.push(Action::Step { direction, kind });
                        }
                    }
                    What::CounterLock => {
                        let mut locked = cx.settings.counter_lock;
                        let response = ui.checkbox(&mut locked, label);
                        let response = full(response, egui::Role::CheckBox, Some(locked))
                            .on_hover_text(control.hover);
                        if response.changed() {
                            actions.push(Action::SetCounterLock(locked));
                        }
                    }
                    What::PinView => {
                        let mut pinned = cx.timeline.pinned;
                        let response = ui.toggle_value(&mut pinned, label);
                        let response = full(response, egui::Role::Button, Some(pinned))
                            .on_hover_text(control.hover);
                        if response.changed() {
                            actions.push(Action::SetTimelineView(TimelineView {
                                pinned,
                                ..cx.timeline.clone()
                            }));
                        }
                    }
                }
            }
        });
        let font = cx.theme.label_font();
        let big = egui::FontId::new(font.size * 1.1, font.family.clone());
        let text = if let Some(note) = &cx.focus.note {
            egui::RichText::new(note.clone()).italics()
        } else if let Some(kind) = cx.focus.pending.and_then(|p| p.kind) {
            egui::RichText::new(format!("running to the next {}…", singular(kind))).italics()
        } else if let Some(caption) = step_caption(cx) {
            egui::RichText::new(caption)
        } else if live {
            egui::RichText::new("Real threads run in real time: they cannot be stepped.").weak()
        } else {
            egui::RichText::new("Press the right arrow to step through the run one event at a time, the left arrow to step back.").weak()
        };
        ui.add(one_line_when_short(
            ui,
            cx,
            egui::Label::new(text.font(big)),
        ));
        actions
    }
}
