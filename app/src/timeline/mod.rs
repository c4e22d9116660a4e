//! The timeline widget: per run ("group") a GIL lane, one lane per thread and one per core,
//! on one shared time axis, with markers, zoom and pan, a hover tooltip, and a level of
//! detail that keeps a frame cheap with millions of spans. Lanes grow to fill the height
//! given (up to the theme's maximum), a core that never ran anything folds to a line, and over
//! the lanes go the lost updates, the step's event, a selected range and a pinned span.
//!
//! One job per file: [`view`] (the visible range and how it follows a run), [`mapping`]
//! (time ↔ pixels), [`axis`] (tick choice), [`lod`] (merging narrow spans), [`paint`]
//! (meshes), [`overlay`] (what is drawn over the lanes), [`hover`] (tooltip text),
//! [`input`] (zoom, pan, selection), `cache` (the last frame's painting, drawn again while
//! nothing it shows has changed).

pub mod axis;
mod cache;
#[cfg(test)]
mod cache_tests;
pub mod hover;
pub mod input;
pub mod lod;
pub mod mapping;
pub mod overlay;
pub mod paint;
mod sums;
// Test data only: the timeline benchmark includes this file by path (`app/benches/`).
#[cfg(test)]
pub(crate) mod synthetic;
#[cfg(test)]
mod tests;
pub mod view;

pub use view::{MAX_VIEW_NS, MIN_VIEW_NS, TimelineView};

use crate::theme::Theme;
use egui::containers::scroll_area::ScrollSource;
use egui::{Align2, IdSalt, Mesh, Pos2, Rect, Response, Sense, Shape, Ui, pos2, vec2};
use gilscope_sim::events::{EventKind, RunEvent};
use gilscope_sim::trace::{LaneId, NONE, Span};
use gilscope_sim::{Nanos, RunConfig, Trace};
use lod::{Block, LaneData, LaneIndex, LaneKind};
use mapping::TimeMap;
use paint::{Budget, LaneRow, MarkerRows};
use std::sync::{Arc, Mutex, PoisonError};

/// Spans narrower than this many points merge into summary columns.
pub const MIN_BLOCK_PX: f32 = 2.0;
/// The lane height markers are sized for: they scale with the lanes from here.
const MARKER_BASE_LANE: f32 = 20.0;

/// A span the user clicked, to show its details: its run (group), lane and the span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PinnedSpan {
    /// The group (run) it belongs to.
    pub group: usize,
    /// Its lane.
    pub lane: LaneId,
    /// The span.
    pub span: Span,
}

/// Lanes the user hid, or pinned to the top of their run (under the GIL lane).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LaneChoice {
    /// Hidden lanes, by group.
    pub hidden: Vec<(usize, LaneId)>,
    /// Pinned lanes, by group, in the order pinned.
    pub pinned: Vec<(usize, LaneId)>,
}

impl LaneChoice {
    /// Applies a command from the lane menu.
    pub fn apply(&mut self, command: LaneCommand) {
        match command {
            LaneCommand::Hide(g, lane) => {
                self.pinned.retain(|&p| p != (g, lane));
                if !self.hidden.contains(&(g, lane)) {
                    self.hidden.push((g, lane));
                }
            }
            LaneCommand::Pin(g, lane) => {
                if !self.pinned.contains(&(g, lane)) {
                    self.pinned.push((g, lane));
                }
            }
            LaneCommand::Unpin(g, lane) => self.pinned.retain(|&p| p != (g, lane)),
            LaneCommand::ShowAll => self.hidden.clear(),
        }
    }
}

/// What the lane menu asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaneCommand {
    /// Hide this lane of this group.
    Hide(usize, LaneId),
    /// Pin it to the top of its group.
    Pin(usize, LaneId),
    /// Unpin it.
    Unpin(usize, LaneId),
    /// Show every hidden lane again.
    ShowAll,
}

/// What the timeline draws over the lanes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Overlays<'a> {
    /// The step's event, in group (run) `.0`.
    pub event: Option<(usize, RunEvent)>,
    /// A selected range, ns.
    pub selection: Option<(Nanos, Nanos)>,
    /// A span whose details are pinned.
    pub pinned: Option<PinnedSpan>,
    /// Hidden and pinned lanes.
    pub lanes: Option<&'a LaneChoice>,
}

/// How the lanes were laid out this frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LayoutInfo {
    /// The height of a lane, points.
    pub lane_height: f32,
    /// The size of lane and axis labels, points.
    pub label_size: f32,
    /// Core lanes folded to a line (they never ran anything).
    pub folded: usize,
    /// Lanes drawn.
    pub lanes: usize,
}

/// What the user did on the timeline this frame, besides zooming and panning (which change
/// the view in place).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Interaction {
    /// A span was clicked.
    pub clicked: Option<PinnedSpan>,
    /// The plot was clicked where there is no span.
    pub clicked_nothing: bool,
    /// A range is being selected (or was), ns: Shift+drag, or a drag along the time axis.
    pub selection: Option<(Nanos, Nanos)>,
    /// A lane menu command.
    pub lane: Option<LaneCommand>,
    /// How the lanes were laid out.
    pub layout: LayoutInfo,
}

/// One run shown in the timeline; several groups are stacked on one time axis (compare view).
pub struct TimelineGroup<'a> {
    /// Shown in a title row above the group's lanes (no row when empty).
    pub title: String,
    /// The run.
    pub trace: &'a Trace,
}

/// The timeline widget. Build it every frame, then [`Timeline::show`] it.
pub struct Timeline<'a> {
    groups: &'a [TimelineGroup<'a>],
    theme: &'a Theme,
    show_cores: bool,
    show_markers: bool,
    lock_names: &'a [String],
    id_salt: IdSalt,
    /// Lanes drawn this much thinner or taller than the theme says, to fit the height given.
    lane_scale: f32,
    /// The tallest a lane grows, points (by default the theme's).
    tallest_lane: f32,
    /// The thinnest a lane gets before the lanes scroll, points (by default the theme's).
    thinnest_lane: f32,
    overlays: Overlays<'a>,
}

/// What a row of the layout shows.
#[derive(Clone, Copy, Debug, PartialEq)]
enum RowContent {
    Title,
    Lane(LaneId),
}

/// One row of the layout.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Row {
    group: usize,
    content: RowContent,
    top: f32,
    bottom: f32,
    /// A core lane that never ran anything, folded to a line.
    folded: bool,
}

/// Per widget, per group, per lane (GIL, threads, cores, in that order whatever is shown): the
/// prefix-sum indexes, kept in egui's temporary memory between frames; and the last frame's
/// painting.
#[derive(Default)]
struct Cache {
    groups: Vec<Vec<LaneIndex>>,
    /// The last frame's painting, drawn again while its key holds. Its mesh is shared with
    /// egui until egui has tessellated it; then ours again, and a repaint reuses its buffers
    /// (no fresh megabytes to fault in every frame).
    painted: Option<cache::Painted>,
}

type SharedCache = Arc<Mutex<Cache>>;

/// Where this frame draws: the widget, its rows, the time mapping.
struct Frame {
    rect: Rect,
    rows: Vec<Row>,
    axis_h: f32,
    map: TimeMap,
    painter: egui::Painter,
}

impl Frame {
    /// Top of the time axis: the widget's top, or the top of what is visible of it when the
    /// lanes are scrolled (the axis stays in view).
    fn axis_top(&self) -> f32 {
        self.rect.top().max(self.painter.clip_rect().top())
    }

    /// A row's rectangle across the plot area.
    fn row_rect(&self, r: &Row) -> Rect {
        Rect::from_x_y_ranges(
            self.map.left..=self.map.right,
            (self.rect.top() + r.top)..=(self.rect.top() + r.bottom),
        )
    }
}

/// What this frame has drawn so far.
#[derive(Default)]
struct Output {
    mesh: Mesh,
    texts: Vec<Shape>,
    budget: Budget,
    /// Reused buffer of level-of-detail blocks.
    blocks: Vec<Block>,
}

/// Side of the colour chip next to a thread's name.
fn chip_size(theme: &Theme) -> f32 {
    theme.label_font().size * 0.7
}

impl<'a> Timeline<'a> {
    /// A timeline of `groups` drawn with `theme`.
    pub fn new(groups: &'a [TimelineGroup<'a>], theme: &'a Theme) -> Self {
        Self {
            groups,
            theme,
            show_cores: true,
            show_markers: true,
            lock_names: &[],
            id_salt: IdSalt::new("gilscope-timeline"),
            lane_scale: 1.0,
            tallest_lane: theme.max_lane_height(),
            thinnest_lane: theme.min_lane_height(),
            overlays: Overlays::default(),
        }
    }

    /// Lets lanes get as thin as `height` points before they scroll (never thinner than a lane
    /// label's line, never thicker than the theme's thinnest): two runs compared in a short
    /// window both stay in view.
    #[must_use]
    pub fn thinnest_lane(mut self, height: f32) -> Self {
        let label = self.theme.label_font().size * 1.2;
        self.thinnest_lane = height.clamp(label, self.theme.min_lane_height());
        self
    }

    /// The height the timeline needs with its lanes at their thinnest: with less, its lanes
    /// scroll.
    pub fn thinnest(mut self) -> f32 {
        self.lane_scale = self.thinnest_lane / self.theme.lane_height();
        let axis_h = self.theme.label_font().size * 1.6 + 6.0;
        self.layout(axis_h).1 + 4.0
    }

    /// Lets lanes grow up to `height` points when there is room (never less than the theme's
    /// tallest): a window with few lanes fills with them. Marks stop growing at the theme's
    /// tallest lane.
    #[must_use]
    pub fn tallest_lane(mut self, height: f32) -> Self {
        self.tallest_lane = height.max(self.theme.max_lane_height());
        self
    }

    /// What to draw over the lanes: the step's event, a selection, a pinned span, and which
    /// lanes are hidden or pinned.
    #[must_use]
    pub fn overlays(mut self, overlays: Overlays<'a>) -> Self {
        self.overlays = overlays;
        self
    }

    /// Whether to show one lane per core (default on).
    #[must_use]
    pub fn show_cores(mut self, on: bool) -> Self {
        self.show_cores = on;
        self
    }

    /// Whether to draw markers: drop requests, handoffs, forced switches, lock events
    /// (default on).
    #[must_use]
    pub fn show_markers(mut self, on: bool) -> Self {
        self.show_markers = on;
        self
    }

    /// Names of the scenario's locks by index (`Scenario::locks`), for the tooltip; without
    /// them it says `lock #i`.
    #[must_use]
    pub fn lock_names(mut self, names: &'a [String]) -> Self {
        self.lock_names = names;
        self
    }

    /// Distinguishes several timelines in one window (they keep separate caches).
    #[must_use]
    pub fn id_salt(mut self, salt: impl egui::AsIdSalt) -> Self {
        self.id_salt = IdSalt::new(salt);
        self
    }

    /// The lanes of group `g` in display order: the GIL, the pinned lanes, the threads, the
    /// cores; hidden ones left out.
    fn lanes(&self, g: usize) -> Vec<LaneId> {
        let trace = self.groups[g].trace;
        let choice = self.overlays.lanes;
        let hidden = |lane: &LaneId| choice.is_some_and(|c| c.hidden.contains(&(g, *lane)));
        let pinned: Vec<LaneId> = choice
            .map(|c| {
                c.pinned
                    .iter()
                    .filter(|(pg, lane)| *pg == g && self.has_lane(trace, *lane))
                    .map(|&(_, lane)| lane)
                    .collect()
            })
            .unwrap_or_default();
        let mut lanes = vec![LaneId::Gil];
        lanes.extend(pinned.iter().copied());
        lanes.extend((0..trace.thread_lanes.len() as u32).map(LaneId::Thread));
        if self.show_cores {
            lanes.extend((0..trace.cores.len() as u32).map(LaneId::Core));
        }
        let mut seen = Vec::with_capacity(lanes.len());
        lanes.retain(|lane| {
            let keep = !hidden(lane) && !seen.contains(lane);
            seen.push(*lane);
            keep
        });
        lanes
    }

    /// Whether `trace` has `lane` (and it is shown).
    fn has_lane(&self, trace: &Trace, lane: LaneId) -> bool {
        match lane {
            LaneId::Gil => true,
            LaneId::Thread(t) => (t as usize) < trace.thread_lanes.len(),
            LaneId::Core(c) => self.show_cores && (c as usize) < trace.cores.len(),
        }
    }

    /// Where `lane` of `trace` keeps its index in the cache: GIL, threads, cores.
    fn slot(trace: &Trace, lane: LaneId) -> usize {
        match lane {
            LaneId::Gil => 0,
            LaneId::Thread(t) => 1 + t as usize,
            LaneId::Core(c) => 1 + trace.thread_lanes.len() + c as usize,
        }
    }

    /// A core lane that has never had a thread on it.
    fn idle(trace: &Trace, lane: LaneId) -> bool {
        matches!(lane, LaneId::Core(_)) && {
            let l = trace.lane(lane);
            l.spans.is_empty() && l.open.is_none()
        }
    }

    /// Marks and arrows are this many times the size they have on a 20-point lane.
    fn marker_scale(&self) -> f32 {
        let lane = (self.theme.lane_height() * self.lane_scale).min(self.theme.max_lane_height());
        (lane / MARKER_BASE_LANE).max(0.8)
    }

    /// Rows from `top` down; returns them and the bottom.
    fn layout(&self, top: f32) -> (Vec<Row>, f32) {
        let lane_h = self.theme.lane_height() * self.lane_scale;
        let gap = self.theme.lane_gap() * self.lane_scale.min(1.5);
        let title_h = self.theme.label_font().size * 1.7;
        let folded_h = self.theme.folded_lane_height();
        let mut rows = Vec::new();
        let mut y = top;
        for (g, group) in self.groups.iter().enumerate() {
            if g > 0 {
                y += title_h * 0.5;
            }
            if !group.title.is_empty() {
                rows.push(Row {
                    group: g,
                    content: RowContent::Title,
                    top: y,
                    bottom: y + title_h,
                    folded: false,
                });
                y += title_h + gap;
            }
            for lane in self.lanes(g) {
                let folded = Self::idle(group.trace, lane);
                let h = if folded { folded_h } else { lane_h };
                rows.push(Row {
                    group: g,
                    content: RowContent::Lane(lane),
                    top: y,
                    bottom: y + h,
                    folded,
                });
                y += h + gap;
                if lane == LaneId::Gil {
                    y += gap * 2.0;
                }
            }
        }
        (rows, y)
    }

    fn lane_label(trace: &Trace, lane: LaneId) -> String {
        match lane {
            LaneId::Gil => "GIL".to_owned(),
            LaneId::Thread(t) => trace.thread_name(t).to_owned(),
            LaneId::Core(c) if Self::idle(trace, lane) => format!("core {c} · idle"),
            LaneId::Core(c) => format!("core {c}"),
        }
    }

    /// The height the timeline takes with its lanes at their tallest: more than this, it
    /// leaves empty.
    pub fn tallest(mut self) -> f32 {
        self.lane_scale = self.tallest_lane / self.theme.lane_height();
        let axis_h = self.theme.label_font().size * 1.6 + 6.0;
        self.layout(axis_h).1 + 4.0
    }

    /// Lays out, handles input, paints. The widget is as wide as the space available; its
    /// lanes grow to fill the height available, up to the theme's tallest lane; when even the
    /// thinnest lanes need more than the height available, the lanes scroll vertically under a
    /// time axis that stays on top.
    pub fn show(self, ui: &mut Ui, view: &mut TimelineView) -> Response {
        self.show_interactive(ui, view).0
    }

    /// [`Timeline::show`], also returning what the user clicked, selected or asked of a lane.
    pub fn show_interactive(
        mut self,
        ui: &mut Ui,
        view: &mut TimelineView,
    ) -> (Response, Interaction) {
        let axis_h = self.theme.label_font().size * 1.6 + 6.0;
        let available = ui.available_height();
        // The layout's height is linear in the lane scale: fixed parts plus scaled lanes.
        self.lane_scale = 0.0;
        let fixed = self.layout(axis_h).1 + 4.0;
        self.lane_scale = 1.0;
        let natural = self.layout(axis_h).1 + 4.0;
        let scaled = natural - fixed;
        let theme = self.theme;
        let (min_scale, max_scale) = (
            self.thinnest_lane / theme.lane_height(),
            self.tallest_lane / theme.lane_height(),
        );
        self.lane_scale = if available.is_finite() && scaled > 0.0 {
            ((available - fixed) / scaled).clamp(min_scale, max_scale)
        } else {
            min_scale.max(1.0)
        };
        let needed = self.layout(axis_h).1 + 4.0;
        if available.is_finite() && needed > available + 0.5 {
            let salt = self.id_salt;
            return egui::ScrollArea::vertical()
                .id_salt(salt)
                .max_height(available)
                .auto_shrink([false, true])
                .scroll_source(ScrollSource::SCROLL_BAR | ScrollSource::MOUSE_WHEEL)
                .show(ui, |ui| self.show_lanes(ui, view))
                .inner;
        }
        self.show_lanes(ui, view)
    }

    /// [`Timeline::show_interactive`] without the scroll area.
    fn show_lanes(self, ui: &mut Ui, view: &mut TimelineView) -> (Response, Interaction) {
        let trace_end = self.groups.iter().map(|g| g.trace.now).max().unwrap_or(0);
        let growing = self.groups.iter().any(|g| !g.trace.finished);
        view.track(trace_end);
        let font = self.theme.label_font();
        let axis_h = font.size * 1.6 + 6.0;
        let (rows, bottom) = self.layout(axis_h);
        let width = ui.available_width().max(200.0);
        let (rect, response) =
            ui.allocate_exact_size(vec2(width, bottom + 4.0), Sense::click_and_drag());
        let painter = ui.painter_at(rect);
        let gutter = self.gutter_width(&painter, &rows, width);
        let (plot_left, plot_right) = (rect.left() + gutter, rect.right() - 6.0);
        let mut interaction = Interaction {
            layout: self.layout_info(&rows),
            ..Interaction::default()
        };

        let map = TimeMap::new(view.start, view.end, plot_left, plot_right);
        let axis_bottom = rect.top().max(painter.clip_rect().top()) + axis_h;
        interaction.selection = input::handle(
            ui,
            &response,
            &map,
            view,
            input::Extent {
                trace_end,
                growing,
                axis_bottom,
            },
        );
        view.track(trace_end);
        if !ui.is_rect_visible(rect) {
            return (response, interaction);
        }
        let frame = Frame {
            rect,
            rows,
            axis_h,
            map: TimeMap::new(view.start, view.end, plot_left, plot_right),
            painter,
        };

        let id = ui.scope_id().with_salt(self.id_salt);
        let cache: SharedCache =
            ui.data_mut(|d| d.get_temp_mut_or_default::<SharedCache>(id).clone());
        let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.groups.resize_with(self.groups.len(), Vec::new);

        let key = cache::PaintKey::new(&self, &frame);
        let drawing = match cache.painted.take() {
            Some(kept) if kept.key == key => kept,
            old => {
                let mesh = old.map(cache::Painted::take_mesh).unwrap_or_default();
                self.paint(&frame, key, mesh, &mut cache.groups)
            }
        };
        // Over the lanes, under their labels, drawn fresh every frame: the selection (it
        // follows a drag) and the hovered span's highlight.
        let mut top = Mesh::default();
        let lanes_top = frame.axis_top() + frame.axis_h;
        let selection = interaction.selection.or(self.overlays.selection);
        if let Some(range) = selection {
            overlay::selection(
                &mut top,
                &frame.map,
                range,
                lanes_top,
                frame.rect.bottom(),
                self.theme,
            );
        }
        self.clicks(ui, &frame, &cache, &response, id, &mut interaction);
        let hover = self.hover_text(&frame, &cache, &response, lanes_top, &mut top);
        drawing.paint(&frame.painter, lanes_top, top);
        cache.painted = Some(drawing);
        drop(cache);

        self.lane_menu(ui, &response, id, &mut interaction);
        let response = match hover {
            Some(text) => response.on_hover_ui_at_pointer(|ui| {
                ui.label(egui::RichText::new(&text.title).strong());
                for line in &text.lines {
                    ui.label(line);
                }
            }),
            None => response,
        };
        (response, interaction)
    }

    /// Paints everything but the selection and the hover highlight into `mesh` (cleared),
    /// keeping the level-of-detail indexes in `indexes` up to date.
    fn paint(
        &self,
        frame: &Frame,
        key: cache::PaintKey,
        mesh: Mesh,
        indexes: &mut [Vec<LaneIndex>],
    ) -> cache::Painted {
        let mut out = Output {
            mesh,
            ..Output::default()
        };
        self.paint_backgrounds(frame, &mut out);
        let (axis_mesh, axis_texts) = self.paint_axis(frame, &mut out);
        for (g, group_indexes) in indexes.iter_mut().enumerate() {
            self.paint_group(frame, g, group_indexes, &mut out);
        }
        cache::Painted {
            key,
            mesh: Arc::new(out.mesh),
            texts: out.texts,
            axis_mesh: Arc::new(axis_mesh),
            axis_texts,
        }
    }

    /// How `rows` are laid out, for the views.
    fn layout_info(&self, rows: &[Row]) -> LayoutInfo {
        LayoutInfo {
            lane_height: self.theme.lane_height() * self.lane_scale,
            label_size: self.theme.label_font().size,
            folded: rows.iter().filter(|r| r.folded).count(),
            lanes: rows
                .iter()
                .filter(|r| matches!(r.content, RowContent::Lane(_)))
                .count(),
        }
    }

    /// A click on a span pins it; a right-click remembers the lane for the lane menu.
    fn clicks(
        &self,
        ui: &Ui,
        frame: &Frame,
        cache: &Cache,
        response: &Response,
        id: egui::Id,
        interaction: &mut Interaction,
    ) {
        let lanes_top = frame.axis_top() + frame.axis_h;
        let press_at = response.interact_pointer_pos();
        if response.clicked()
            && let Some(p) = press_at.filter(|p| p.y > lanes_top)
        {
            match self.span_under(frame, cache, p) {
                Some(pinned) => interaction.clicked = Some(pinned),
                None => interaction.clicked_nothing = true,
            }
        }
        if response.secondary_clicked()
            && let Some(p) = press_at
        {
            let lane = Self::row_at(frame, p).and_then(|r| match r.content {
                RowContent::Lane(lane) => Some((r.group, lane)),
                RowContent::Title => None,
            });
            ui.data_mut(|d| d.insert_temp(id.with("menu"), lane));
        }
    }

    /// The lane menu of a right-click: pin, unpin, hide, show every lane.
    fn lane_menu(&self, ui: &Ui, response: &Response, id: egui::Id, interaction: &mut Interaction) {
        let menu_lane: Option<(usize, LaneId)> = ui.data(|d| d.get_temp(id.with("menu"))).flatten();
        let pinned_lanes = self
            .overlays
            .lanes
            .map(|c| c.pinned.clone())
            .unwrap_or_default();
        response.context_menu(|ui| {
            let mut choose = |ui: &mut Ui, text: &str, command: LaneCommand| {
                if ui.button(text).clicked() {
                    interaction.lane = Some(command);
                    ui.close();
                }
            };
            if let Some((g, lane)) = menu_lane {
                let name = Self::lane_label(self.groups[g].trace, lane);
                ui.label(egui::RichText::new(name).strong());
                if lane != LaneId::Gil {
                    if pinned_lanes.contains(&(g, lane)) {
                        choose(ui, "Unpin this lane", LaneCommand::Unpin(g, lane));
                    } else {
                        choose(ui, "Pin this lane to the top", LaneCommand::Pin(g, lane));
                    }
                }
                choose(ui, "Hide this lane", LaneCommand::Hide(g, lane));
            }
            choose(ui, "Show every lane", LaneCommand::ShowAll);
        });
    }

    /// The lane row under `p`, if any.
    fn row_at(frame: &Frame, p: Pos2) -> Option<&Row> {
        frame
            .rows
            .iter()
            .find(|r| frame.rect.top() + r.top <= p.y && p.y < frame.rect.top() + r.bottom)
    }

    /// The span under `p`, as a pin.
    fn span_under(&self, frame: &Frame, cache: &Cache, p: Pos2) -> Option<PinnedSpan> {
        let r = Self::row_at(frame, p)?;
        let RowContent::Lane(lane) = r.content else {
            return None;
        };
        let trace = self.groups[r.group].trace;
        let index = cache.groups.get(r.group)?.get(Self::slot(trace, lane))?;
        let data = LaneData::new(trace.lane(lane), trace.now, index);
        let span = data.at(frame.map.t(p.x).max(0.0) as Nanos)?;
        Some(PinnedSpan {
            group: r.group,
            lane,
            span,
        })
    }

    /// The label gutter fits the longest lane label (within reason).
    fn gutter_width(&self, painter: &egui::Painter, rows: &[Row], width: f32) -> f32 {
        let font = self.theme.label_font();
        let label_w = rows
            .iter()
            .filter_map(|r| match r.content {
                RowContent::Lane(lane) => Some(Self::lane_label(self.groups[r.group].trace, lane)),
                RowContent::Title => None,
            })
            .map(|text| {
                painter
                    .layout_no_wrap(text, font.clone(), self.theme.text)
                    .size()
                    .x
            })
            .fold(0.0_f32, f32::max);
        (label_w + chip_size(self.theme) + font.size * 1.4).clamp(48.0, width * 0.3)
    }

    /// Lane backgrounds (banded) and the title rows of groups.
    fn paint_backgrounds(&self, frame: &Frame, out: &mut Output) {
        let theme = self.theme;
        let plot = Rect::from_x_y_ranges(
            frame.map.left..=frame.map.right,
            (frame.rect.top() + frame.axis_h)..=frame.rect.bottom(),
        );
        out.mesh.add_colored_rect(plot, theme.lane_background);
        for (n, r) in frame.rows.iter().enumerate() {
            let rr = frame.row_rect(r);
            match r.content {
                RowContent::Title => {
                    let full = Rect::from_x_y_ranges(frame.rect.x_range(), rr.y_range());
                    out.mesh
                        .add_colored_rect(full, theme.group_title_background);
                    // Elided to the width ("…"); the whole title on hover.
                    let galley = self.title_galley(&frame.painter, r.group, full.width());
                    let pos = pos2(
                        frame.rect.left() + 6.0,
                        full.center().y - galley.size().y * 0.5,
                    );
                    out.texts.push(Shape::galley(pos, galley, theme.text));
                }
                RowContent::Lane(_) => {
                    let band = rr.expand2(vec2(0.0, theme.lane_gap() * self.lane_scale * 0.5));
                    paint::lane_background(&mut out.mesh, band, n % 2 == 1, theme);
                }
            }
        }
    }

    /// Group `g`'s title, on one line of at most `width` points (elided with "…").
    fn title_galley(
        &self,
        painter: &egui::Painter,
        g: usize,
        width: f32,
    ) -> std::sync::Arc<egui::Galley> {
        let font = self.theme.label_font();
        let mut job = egui::text::LayoutJob::simple_singleline(
            self.groups[g].title.clone(),
            egui::FontId::new(font.size * 1.1, font.family),
            self.theme.text,
        );
        job.wrap = egui::text::TextWrapping::truncate_at_width((width - 12.0).max(20.0));
        painter.layout_job(job)
    }

    /// The whole title of the group whose (elided) title row is under `p`.
    fn title_at(&self, frame: &Frame, p: Pos2) -> Option<String> {
        let r = frame.rows.iter().find(|r| {
            r.content == RowContent::Title
                && frame.rect.top() + r.top <= p.y
                && p.y < frame.rect.top() + r.bottom
        })?;
        self.title_galley(&frame.painter, r.group, frame.rect.width())
            .elided
            .then(|| self.groups[r.group].title.clone())
    }

    /// Grid lines down through every lane (into `out`), and the time axis: returned apart, to
    /// be painted last, on top of lanes scrolled under it.
    fn paint_axis(&self, frame: &Frame, out: &mut Output) -> (Mesh, Vec<Shape>) {
        let theme = self.theme;
        let map = &frame.map;
        let ticks = self.ticks(&frame.painter, map);
        let top = frame.axis_top();
        let axis_y = top + frame.axis_h - 2.0;
        let mut mesh = Mesh::default();
        let mut texts = Vec::new();
        let band = Rect::from_x_y_ranges(frame.rect.x_range(), top..=(top + frame.axis_h));
        mesh.add_colored_rect(band, theme.background);
        mesh.add_colored_rect(
            Rect::from_x_y_ranges(map.left..=map.right, (axis_y - 1.0)..=axis_y),
            theme.axis,
        );
        for &t in &ticks.times {
            let x = map.x(t);
            let line = (x - 0.5)..=(x + 0.5);
            let grid = Rect::from_x_y_ranges(line.clone(), (axis_y + 1.0)..=frame.rect.bottom());
            out.mesh.add_colored_rect(grid, theme.grid);
            mesh.add_colored_rect(
                Rect::from_x_y_ranges(line, (axis_y - 6.0)..=axis_y),
                theme.axis,
            );
            // A label that would run past either edge ends (or starts) at its tick instead.
            let label =
                frame
                    .painter
                    .layout_no_wrap(ticks.label(t), theme.label_font(), theme.text_weak);
            let half = label.size().x * 0.5;
            let align = if x + half > frame.rect.right() {
                Align2::RIGHT_BOTTOM
            } else if x - half < frame.rect.left() {
                Align2::LEFT_BOTTOM
            } else {
                Align2::CENTER_BOTTOM
            };
            let rect = align.anchor_size(pos2(x, axis_y - 7.0), label.size());
            texts.push(Shape::galley(rect.min, label, theme.text_weak));
        }
        (mesh, texts)
    }

    /// One group's lane labels, lanes, markers, lost updates, the step's event, the pinned
    /// span and the live-end line.
    fn paint_group(&self, frame: &Frame, g: usize, indexes: &mut Vec<LaneIndex>, out: &mut Output) {
        let theme = self.theme;
        let trace = self.groups[g].trace;
        // One index per lane of the trace (GIL, threads, cores), whatever is shown.
        let kinds: Vec<LaneKind> = std::iter::once(LaneId::Gil)
            .chain((0..trace.thread_lanes.len() as u32).map(LaneId::Thread))
            .chain((0..trace.cores.len() as u32).map(LaneId::Core))
            .map(kind_of)
            .collect();
        let outdated =
            indexes.len() != kinds.len() || indexes.iter().zip(&kinds).any(|(i, k)| i.kind() != *k);
        if outdated {
            *indexes = kinds.iter().map(|k| LaneIndex::new(*k)).collect();
        }
        let clip = frame.painter.clip_rect();
        let mut thread_rows = vec![None; trace.thread_lanes.len()];
        let mut gil_row = None;
        let group_rows: Vec<&Row> = frame.rows.iter().filter(|r| r.group == g).collect();
        for r in &group_rows {
            let RowContent::Lane(lane) = r.content else {
                continue;
            };
            let rr = frame.row_rect(r);
            match lane {
                LaneId::Thread(t) => thread_rows[t as usize] = Some(rr),
                LaneId::Gil => gil_row = Some(rr),
                LaneId::Core(_) => {}
            }
            self.paint_lane_label(frame, trace, lane, rr, r.folded, out);
            if !clip.intersects(rr) || r.folded {
                continue;
            }
            let source = trace.lane(lane);
            if lane == LaneId::Gil && source.spans.is_empty() && source.open.is_none() {
                // No shared GIL: say why rather than leave a blank lane.
                out.texts.push(anchored_text(
                    &frame.painter,
                    pos2(frame.map.left + 6.0, rr.center().y),
                    Align2::LEFT_CENTER,
                    empty_gil_lane(&trace.meta.config),
                    theme.span_font(),
                    theme.text_weak,
                ));
            }
            let index = &mut indexes[Self::slot(trace, lane)];
            index.update(&source.spans);
            let data = LaneData::new(source, trace.now, index);
            lod::merge(&data, &frame.map, MIN_BLOCK_PX, &mut out.blocks);
            let row = LaneRow {
                rect: rr,
                kind: kind_of(lane),
            };
            let ctx = paint::PaintCtx {
                painter: &frame.painter,
                trace,
                map: &frame.map,
                theme,
            };
            paint::lane_blocks(
                &mut out.mesh,
                &mut out.texts,
                &ctx,
                row,
                &out.blocks,
                &mut out.budget,
            );
        }
        let scale = self.marker_scale();
        if self.show_markers {
            let marker_rows = MarkerRows {
                threads: &thread_rows,
                gil: gil_row,
            };
            paint::markers(
                &mut out.mesh,
                &trace.markers,
                &marker_rows,
                &frame.map,
                theme,
                scale,
                &mut out.budget,
            );
        }
        if !trace.stale_stores.is_empty() {
            overlay::lost_updates(
                &mut out.mesh,
                &mut out.texts,
                &frame.painter,
                trace,
                &thread_rows,
                &frame.map,
                theme,
                scale,
                &mut out.budget,
            );
        }
        self.paint_group_overlays(frame, g, &group_rows, &thread_rows, out);
    }

    /// Over group `g`'s lanes: the step's event, the pinned span, the live end.
    fn paint_group_overlays(
        &self,
        frame: &Frame,
        g: usize,
        group_rows: &[&Row],
        thread_rows: &[Option<Rect>],
        out: &mut Output,
    ) {
        let theme = self.theme;
        let trace = self.groups[g].trace;
        let scale = self.marker_scale();
        let (Some(first), Some(last)) = (group_rows.first(), group_rows.last()) else {
            return;
        };
        let (top, bottom) = (frame.rect.top() + first.top, frame.rect.top() + last.bottom);
        if let Some((eg, event)) = self.overlays.event
            && eg == g
        {
            let x = frame.map.x(event.time as f64);
            if frame.map.left - 1.0 <= x && x <= frame.map.right + 1.0 {
                let row = |t: u32| thread_rows.get(t as usize).copied().flatten();
                let mut lanes: Vec<Rect> = row(event.thread).into_iter().collect();
                let second = matches!(
                    event.kind,
                    EventKind::DropRequest | EventKind::Handoff | EventKind::FutileWakeup
                );
                if second && event.other != NONE {
                    lanes.extend(row(event.other));
                }
                overlay::event(&mut out.mesh, x, (top, bottom), &lanes, theme, scale);
            }
        }
        if let Some(pin) = self.overlays.pinned.filter(|p| p.group == g)
            && let Some(r) = group_rows
                .iter()
                .find(|r| r.content == RowContent::Lane(pin.lane))
        {
            let (x0, x1) = paint::span_x(&frame.map, &pin.span);
            let rect = Rect::from_x_y_ranges(x0..=x1.max(x0 + 1.0), frame.row_rect(r).y_range());
            overlay::pinned(&mut out.mesh, rect, theme);
        }
        let x = frame.map.x(trace.now as f64);
        if !trace.finished && frame.map.left <= x && x <= frame.map.right {
            paint::dashed_vline(&mut out.mesh, x, top, bottom, theme.now_line);
        }
    }

    /// The label of a lane in the gutter: a colour chip (threads) and the name; a folded lane's
    /// in small weak text.
    fn paint_lane_label(
        &self,
        frame: &Frame,
        trace: &Trace,
        lane: LaneId,
        rr: Rect,
        folded: bool,
        out: &mut Output,
    ) {
        let theme = self.theme;
        let chip = chip_size(theme);
        let mut x = frame.rect.left() + 6.0;
        let color = match lane {
            LaneId::Core(_) => theme.text_weak,
            _ => theme.text,
        };
        if let LaneId::Thread(t) = lane {
            let chip_rect =
                Rect::from_center_size(pos2(x + chip * 0.5, rr.center().y), vec2(chip, chip));
            out.mesh.add_colored_rect(chip_rect, theme.thread_color(t));
            paint::thread_cue(&mut out.mesh, chip_rect, t, theme);
            x += chip + 5.0;
        }
        let font = if folded {
            egui::FontId::new(
                rr.height().max(theme.min_text_size()),
                theme.span_font().family,
            )
        } else {
            theme.label_font()
        };
        // Elided ("…") where the gutter is narrower than the label (two runs side by side),
        // rather than running into the plot.
        let mut job =
            egui::text::LayoutJob::simple_singleline(Self::lane_label(trace, lane), font, color);
        job.wrap =
            egui::text::TextWrapping::truncate_at_width((frame.map.left - x - 4.0).max(12.0));
        let galley = frame.painter.layout_job(job);
        let pos = pos2(x, rr.center().y - galley.size().y * 0.5);
        out.texts.push(Shape::galley(pos, galley, color));
    }

    /// The tooltip under the pointer: the span's (highlighted), or an elided title's whole
    /// text.
    fn hover_text(
        &self,
        frame: &Frame,
        cache: &Cache,
        response: &Response,
        lanes_top: f32,
        mesh: &mut Mesh,
    ) -> Option<hover::HoverText> {
        let on_plot = response.hover_pos().filter(|p| {
            frame.map.left <= p.x
                && p.x <= frame.map.right
                && p.y > lanes_top
                && !response.dragged()
        });
        on_plot
            .and_then(|p| self.hover(frame, cache, p, mesh))
            .or_else(|| {
                let p = response.hover_pos().filter(|p| p.y > lanes_top)?;
                let title = self.title_at(frame, p)?;
                Some(hover::HoverText {
                    title,
                    lines: Vec::new(),
                })
            })
    }

    /// The span under the pointer: highlights it and returns its tooltip text.
    fn hover(
        &self,
        frame: &Frame,
        cache: &Cache,
        p: Pos2,
        mesh: &mut Mesh,
    ) -> Option<hover::HoverText> {
        let map = &frame.map;
        let r = frame.rows.iter().find(|r| {
            matches!(r.content, RowContent::Lane(_))
                && frame.rect.top() + r.top <= p.y
                && p.y < frame.rect.top() + r.bottom
        })?;
        let RowContent::Lane(lane) = r.content else {
            return None;
        };
        let trace = self.groups[r.group].trace;
        let index = cache.groups.get(r.group)?.get(Self::slot(trace, lane))?;
        let data = LaneData::new(trace.lane(lane), trace.now, index);
        let at = map.t(p.x).max(0.0) as Nanos;
        let span = data.at(at)?;
        let (x0, x1) = paint::span_x(map, &span);
        let mut text =
            hover::describe_at(trace, lane, &span, self.lock_names, Some(map.ns_per_px()));
        if let LaneId::Thread(t) = lane {
            text.lines.extend(hover::lost_update_at(trace, t, at));
        }
        if x1 - x0 < MIN_BLOCK_PX * 2.0 {
            // The span is part of a summary column: say what the column holds.
            let a = map.t(p.x - MIN_BLOCK_PX).max(0.0) as Nanos;
            let b = (map.t(p.x + MIN_BLOCK_PX).max(0.0) as Nanos).max(a + 1);
            let (i0, before) = data.totals_before(a);
            let (i1, mut totals) = data.totals_before(b);
            for (x, y) in totals.iter_mut().zip(before) {
                *x -= y;
            }
            let mix = hover::describe_mix(trace, kind_of(lane), &totals, i1 - i0 + 1, b - a);
            text.lines.push(format!("here: {mix}"));
        }
        let rect = Rect::from_x_y_ranges(x0..=x1.max(x0 + 1.0), frame.row_rect(r).y_range());
        paint::highlight(mesh, rect, self.theme);
        Some(text)
    }

    /// Axis ticks that leave room for their labels.
    fn ticks(&self, painter: &egui::Painter, map: &TimeMap) -> axis::Ticks {
        let font = self.theme.label_font();
        let mut spacing = font.size * 6.0;
        let mut ticks = axis::choose_ticks(map.start, map.end, map.width(), spacing);
        for _ in 0..3 {
            let widest = ticks
                .times
                .iter()
                .map(|&t| {
                    painter
                        .layout_no_wrap(ticks.label(t), font.clone(), self.theme.text_weak)
                        .size()
                        .x
                })
                .fold(0.0_f32, f32::max);
            if widest + font.size * 1.5 <= spacing {
                break;
            }
            spacing = widest + font.size * 1.5;
            ticks = axis::choose_ticks(map.start, map.end, map.width(), spacing);
        }
        ticks
    }
}

/// What a lane is coloured by.
/// What an empty GIL lane means for the run: no GIL at all, or one per interpreter that no
/// other thread shares.
fn empty_gil_lane(config: &RunConfig) -> String {
    if !config.gil_enabled() {
        "no GIL in this free-threaded build: no thread waits for one".to_owned()
    } else if config.runtime.separate_interpreters() {
        format!(
            "one GIL per {}, none shared: no thread waits for another's",
            config.runtime.interpreter_kind()
        )
    } else {
        "no thread held the GIL".to_owned()
    }
}

fn kind_of(lane: LaneId) -> LaneKind {
    match lane {
        LaneId::Thread(_) => LaneKind::Thread,
        LaneId::Gil | LaneId::Core(_) => LaneKind::Occupancy,
    }
}

/// Text anchored at `pos`.
fn anchored_text(
    painter: &egui::Painter,
    pos: Pos2,
    align: Align2,
    text: String,
    font: egui::FontId,
    color: egui::Color32,
) -> Shape {
    let galley = painter.layout_no_wrap(text, font, color);
    let rect = align.anchor_size(pos, galley.size());
    Shape::galley(rect.min, galley, color)
}
