//! The timeline view: the step bar, the runs' timeline (stacked when comparing) with the
//! step's event, the selection, the pinned span and the lanes chosen, and the legend of the
//! states and marks on screen. What the user does on the timeline comes back as actions.

use super::session::Run;
use super::step_bar::StepBar;
use super::view::{Action, View, ViewCtx};
use crate::timeline::{
    Interaction, LaneChoice, LaneCommand, LayoutInfo, Overlays, PinnedSpan, Timeline, TimelineGroup,
};
use crate::widgets::legend::{Mark, legend_height, mark_legend, state_legend};
use gilscope_sim::Stats;
use gilscope_sim::ThreadState;
use gilscope_sim::events::{EventKind, EventLog};
use gilscope_sim::stats::StateTimes;
use gilscope_sim::trace::LaneId;

/// The timeline with its step bar and legend.
#[derive(Default)]
pub struct TimelinePanel {
    /// Step back, step, next switch …, and the step's caption.
    pub step_bar: StepBar,
    /// How the lanes were laid out in the last frame.
    pub layout: Option<LayoutInfo>,
    /// Where the timeline was drawn in the last frame, points (the timeline PNG export).
    pub rect: Option<egui::Rect>,
    /// The tallest a lane may grow, points, set by the shell from the window's height (0: the
    /// theme's tallest).
    pub tallest_lane: f32,
    /// The height of what was drawn around the lanes in the last frame, points: everything of
    /// the central view above them (errors, the compare sentence, the step bar and its
    /// caption) and the legend under them.
    chrome: Option<f32>,
    /// The legend's height in the last frame, points.
    legend: Option<f32>,
}

/// The runs on screen as the timeline's groups (stacked when comparing); `compact`: their
/// core lanes are left out, and the titles say so.
fn groups<'a>(cx: &'a ViewCtx<'_>, compact: bool) -> Vec<TimelineGroup<'a>> {
    cx.runs
        .iter()
        .map(|r| TimelineGroup {
            title: if compact {
                format!("{} · cores not shown", r.title)
            } else {
                r.title.clone()
            },
            trace: &r.trace,
        })
        .collect()
}

/// The lanes chosen for run `g`, as a timeline of that run alone reads them (its group 0).
fn lanes_of(choice: &LaneChoice, g: usize) -> LaneChoice {
    let of = |lanes: &[(usize, LaneId)]| {
        lanes
            .iter()
            .filter(|(group, _)| *group == g)
            .map(|&(_, lane)| (0, lane))
            .collect()
    };
    LaneChoice {
        hidden: of(&choice.hidden),
        pinned: of(&choice.pinned),
    }
}

/// What the user did on a timeline of run `g` alone, as the stacked runs' group `g`.
fn in_group(mut interaction: Interaction, g: usize) -> Interaction {
    interaction.clicked = interaction.clicked.map(|p| PinnedSpan { group: g, ..p });
    interaction.lane = interaction.lane.map(|command| match command {
        LaneCommand::Hide(_, lane) => LaneCommand::Hide(g, lane),
        LaneCommand::Pin(_, lane) => LaneCommand::Pin(g, lane),
        LaneCommand::Unpin(_, lane) => LaneCommand::Unpin(g, lane),
        LaneCommand::ShowAll => LaneCommand::ShowAll,
    });
    interaction
}

/// Compact compare: the runs side by side in `height`, each with its own lanes (scrolling on
/// their own) under its own axis, on the same time range (`view`); what the user did, as the
/// stacked runs' groups, and the lanes laid out in all.
fn show_side_by_side(
    ui: &mut egui::Ui,
    groups: &[TimelineGroup<'_>],
    cx: &ViewCtx<'_>,
    overlays: Overlays<'_>,
    view: &mut crate::timeline::TimelineView,
    height: f32,
) -> (egui::Response, Interaction) {
    let locks: &[String] = cx.scenario.map_or(&[], |s| s.locks.as_slice());
    let runs = groups.len() as f32;
    let gap = ui.spacing().item_spacing.x;
    let each = ((ui.available_width() - gap * (runs - 1.0)) / runs).max(0.0);
    ui.horizontal_top(|ui| {
        let mut shown: Option<(egui::Response, Interaction)> = None;
        for (g, group) in groups.iter().enumerate() {
            let lanes = lanes_of(&cx.focus.lanes, g);
            let overlays = Overlays {
                event: overlays.event.filter(|_| g == 0),
                pinned: overlays
                    .pinned
                    .filter(|p| p.group == g)
                    .map(|p| PinnedSpan { group: 0, ..p }),
                lanes: Some(&lanes),
                ..overlays
            };
            let (response, interaction) = ui
                .allocate_ui(egui::vec2(each, height), |ui| {
                    Timeline::new(std::slice::from_ref(group), cx.theme)
                        .id_salt(("compare-run", g))
                        .lock_names(locks)
                        .overlays(overlays)
                        .show_cores(false)
                        .thinnest_lane(0.0)
                        .show_interactive(ui, view)
                })
                .inner;
            let interaction = in_group(interaction, g);
            shown = Some(match shown {
                None => (response, interaction),
                Some((first, mut before)) => {
                    before.clicked = before.clicked.or(interaction.clicked);
                    before.selection = before.selection.or(interaction.selection);
                    before.lane = before.lane.or(interaction.lane);
                    before.layout.lanes += interaction.layout.lanes;
                    before.layout.folded += interaction.layout.folded;
                    (first.union(response), before)
                }
            });
        }
        shown.unwrap_or_else(|| (ui.response(), Interaction::default()))
    })
    .inner
}

/// Whether two runs compared in `height` points need the compact timeline to both be in
/// view: without it, the second would start below the view even with the thinnest lanes.
fn needs_compact(cx: &ViewCtx<'_>, height: f32) -> bool {
    if cx.runs.len() < 2 {
        return false;
    }
    let groups = groups(cx, false);
    let overlays = Overlays {
        lanes: Some(&cx.focus.lanes),
        ..Overlays::default()
    };
    Timeline::new(&groups, cx.theme)
        .overlays(overlays)
        .thinnest()
        > height
}

/// The lanes keep room for the axis, a title and this many lanes (at their thinnest) before
/// the legend gives way and scrolls.
const LANES_LEAST: f32 = 2.5;

/// The states the runs on screen spent time in (from their latest stats), for a legend
/// that explains what is there and no more; every state until stats arrive.
fn states_shown(runs: &[Run]) -> Vec<ThreadState> {
    let stats: Vec<&Stats> = runs.iter().filter_map(|r| r.stats.as_ref()).collect();
    if stats.is_empty() {
        return ThreadState::ALL.to_vec();
    }
    let any = |f: fn(&StateTimes) -> f64| {
        stats
            .iter()
            .flat_map(|s| &s.threads)
            .any(|t| f(&t.state_ms) > 0.0)
    };
    let finished = stats
        .iter()
        .flat_map(|s| &s.threads)
        .any(|t| t.finished_ms.is_some());
    ThreadState::ALL
        .into_iter()
        .filter(|state| match state {
            ThreadState::Running => any(|s| s.running),
            ThreadState::WaitingGil => any(|s| s.waiting_gil),
            ThreadState::ForcedOff => any(|s| s.forced_off),
            ThreadState::Io => any(|s| s.io),
            ThreadState::Syscall => any(|s| s.syscall),
            ThreadState::Waking => any(|s| s.waking),
            // Past rounding (both are sums of the same spans' lengths).
            ThreadState::CCallReleased => any(|s| s.c_call - s.c_call_holding - 1e-9),
            ThreadState::CCallHolding => any(|s| s.c_call_holding),
            ThreadState::Lock => any(|s| s.lock),
            ThreadState::Runnable => any(|s| s.runnable),
            ThreadState::Ready => any(|s| s.ready),
            ThreadState::Contended => any(|s| s.contended),
            ThreadState::Paused => any(|s| s.paused),
            ThreadState::Collecting => any(|s| s.collecting),
            ThreadState::Signalling => any(|s| s.signalling),
            ThreadState::Starting => any(|s| s.starting),
            ThreadState::Queued => any(|s| s.queued),
            ThreadState::Pickling => any(|s| s.pickling),
            ThreadState::Done => finished,
        })
        .collect()
}

/// The marks the runs' events put on the lanes.
fn marks_shown(logs: &[EventLog]) -> Vec<Mark> {
    let any = |kinds: &[EventKind]| logs.iter().any(|l| kinds.iter().any(|&k| l.count(k) > 0));
    [
        (Mark::DropRequest, &[EventKind::DropRequest][..]),
        (Mark::Handoff, &[EventKind::Handoff][..]),
        (Mark::ForcedSwitch, &[EventKind::ForcedSwitch][..]),
        (
            Mark::Lock,
            &[
                EventKind::LockWait,
                EventKind::LockAcquired,
                EventKind::LockReleased,
            ][..],
        ),
        (Mark::FutileWakeup, &[EventKind::FutileWakeup][..]),
        (Mark::LostUpdate, &[EventKind::LostUpdate][..]),
    ]
    .into_iter()
    .filter(|(_, kinds)| any(kinds))
    .map(|(mark, _)| mark)
    .collect()
}

impl TimelinePanel {
    /// The height this view fills at most in `ui` (its lanes at their tallest, the step bar and
    /// the legend): the panel under it gets the rest.
    pub fn tallest(&self, ui: &egui::Ui, cx: &ViewCtx<'_>) -> f32 {
        let groups = groups(cx, false);
        let overlays = Overlays {
            lanes: Some(&cx.focus.lanes),
            ..Overlays::default()
        };
        let lanes = Timeline::new(&groups, cx.theme)
            .overlays(overlays)
            .tallest_lane(self.tallest_lane)
            .tallest();
        let chrome = self.chrome.unwrap_or_else(|| {
            // Before the first frame: the buttons, a caption of two lines, the legend.
            cx.theme.label_font().size * 5.5
                + legend_height(ui, cx.theme, &states_shown(cx.runs), &marks_shown(cx.logs))
        });
        lanes + chrome
    }
}

impl View for TimelinePanel {
    fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCtx<'_>) -> Vec<Action> {
        let mut actions = self.step_bar.ui(ui, cx);
        let hidden = cx.focus.lanes.hidden.len();
        if hidden > 0 {
            ui.horizontal(|ui| {
                ui.weak(format!(
                    "{hidden} lane{} hidden",
                    if hidden == 1 { "" } else { "s" }
                ));
                if ui.small_button("Show every lane").clicked() {
                    actions.push(Action::Lane(LaneCommand::ShowAll));
                }
            });
        }
        let theme = cx.theme;
        let locks: &[String] = cx.scenario.map_or(&[], |s| s.locks.as_slice());
        let states = states_shown(cx.runs);
        let marks = marks_shown(cx.logs);
        // The legend as tall as it was drawn last (the estimate may wrap differently), unless
        // the lanes then have no room to scroll in: then it scrolls, in two rows or more.
        let room = ui.available_height();
        let line = theme.label_font().size * 1.6;
        // The axis, a run's title and two lanes and a half.
        let lanes_least =
            line + 6.0 + theme.label_font().size * 1.7 + LANES_LEAST * theme.min_lane_height();
        let full = legend_height(ui, theme, &states, &marks).max(self.legend.unwrap_or(0.0));
        let legend = full.min((room - lanes_least - 4.0).max(2.0 * line));
        // Two runs that would not both be in view stacked: side by side, their core lanes give
        // way, their lanes get as thin as a label's line (the text keeps its size) and the
        // legend scrolls in a row.
        let compact = needs_compact(cx, (room - legend - 4.0).max(0.0));
        let (legend, spacing) = if compact {
            // The gaps after the runs and before the legend, so that nothing runs past.
            (legend.min(line), 2.0 * ui.spacing().item_spacing.y)
        } else {
            (legend, 0.0)
        };
        let timeline_height = (room - legend - 4.0 - spacing).max(0.0);
        let groups = groups(cx, compact);
        let overlays = Overlays {
            event: cx.focus.event.map(|e| (0, e)),
            selection: cx.focus.selection,
            pinned: cx.focus.pinned,
            lanes: Some(&cx.focus.lanes),
        };
        let mut view = cx.timeline.clone();
        let above = ui.cursor().top() - ui.max_rect().top();
        let width = ui.available_width();
        let (response, interaction) = if compact {
            show_side_by_side(ui, &groups, cx, overlays, &mut view, timeline_height)
        } else {
            ui.allocate_ui(egui::vec2(width, timeline_height), |ui| {
                Timeline::new(&groups, theme)
                    .lock_names(locks)
                    .overlays(overlays)
                    .tallest_lane(self.tallest_lane)
                    .show_interactive(ui, &mut view)
            })
            .inner
        };
        self.rect = Some(response.rect.intersect(ui.clip_rect()));
        self.layout = Some(interaction.layout);
        if let Some(pin) = interaction.clicked {
            let again = cx
                .focus
                .pinned
                .is_some_and(|p| p.group == pin.group && p.lane == pin.lane && p.span == pin.span);
            actions.push(Action::PinSpan((!again).then_some(pin)));
        }
        if let Some((a, b)) = interaction.selection
            && b > a
        {
            actions.push(Action::SetSelection(Some((a, b))));
        }
        if let Some(command) = interaction.lane {
            actions.push(Action::Lane(command));
        }
        ui.add_space(4.0);
        let shown = egui::ScrollArea::vertical()
            .id_salt("legend")
            .max_height(legend)
            .min_scrolled_height(legend.min(line))
            .auto_shrink([false, true])
            .show(ui, |ui| {
                state_legend(ui, theme, &states);
                mark_legend(ui, theme, &marks);
            });
        self.legend = Some(shown.content_size.y);
        self.chrome = Some(above + shown.content_size.y + 4.0);
        if view != *cx.timeline {
            actions.insert(0, Action::SetTimelineView(view));
        }
        actions
    }
}
