//! The timeline widget: per run ("group") a GIL lane, one lane per thread and one per core,
//! on one shared time axis, with markers, zoom and pan, a hover tooltip, and a level of
//! detail that keeps a frame cheap with millions of spans.
//!
//! One job per file: [`mapping`] (time ↔ pixels), [`axis`] (tick choice), [`lod`] (merging
//! narrow spans), [`paint`] (meshes), [`hover`] (tooltip text), [`input`] (zoom and pan).

pub mod axis;
pub mod hover;
pub mod input;
pub mod lod;
pub mod mapping;
pub mod paint;
// Test data only: the timeline benchmark includes this file by path (`app/benches/`).
#[cfg(test)]
pub(crate) mod synthetic;
#[cfg(test)]
mod tests;

use crate::theme::Theme;
use egui::containers::scroll_area::ScrollSource;
use egui::{Align2, IdSalt, Mesh, Pos2, Rect, Response, Sense, Shape, Ui, pos2, vec2};
use gilscope_sim::trace::LaneId;
use gilscope_sim::{Nanos, Trace};
use lod::{Block, LaneData, LaneIndex, LaneKind};
use mapping::TimeMap;
use paint::{Budget, LaneRow, MarkerRows};
use std::sync::{Arc, Mutex, PoisonError};

/// Spans narrower than this many points merge into summary columns.
pub const MIN_BLOCK_PX: f32 = 2.0;
/// The narrowest view, ns.
pub const MIN_VIEW_NS: f64 = 20.0;
/// The widest view, ns (about three hours).
pub const MAX_VIEW_NS: f64 = 1e13;

/// The visible time range, in ns, and whether it follows the growing end of a live run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimelineView {
    /// Time at the left edge, ns.
    pub start: f64,
    /// Time at the right edge, ns.
    pub end: f64,
    /// Track the end of the run as it grows (turned off by any manual zoom or pan).
    pub follow_live: bool,
}

impl Default for TimelineView {
    /// 0 to 10 ms, following the run.
    fn default() -> Self {
        Self {
            start: 0.0,
            end: 10e6,
            follow_live: true,
        }
    }
}

impl TimelineView {
    /// Width of the view, ns.
    pub fn width(&self) -> f64 {
        self.end - self.start
    }

    /// Shows the whole run `0..trace_end` (with a small margin) and follows it again.
    pub fn fit(&mut self, trace_end: Nanos) {
        let end = (trace_end as f64).max(1_000.0);
        self.start = 0.0;
        self.end = (end * 1.02).clamp(MIN_VIEW_NS, MAX_VIEW_NS);
        self.follow_live = true;
    }

    /// Zooms in by `factor` (> 1 zooms in, < 1 out) keeping time `anchor_ns` where it is on
    /// screen. Turns follow-live off.
    pub fn zoom(&mut self, factor: f64, anchor_ns: f64) {
        self.sanitize();
        if !(factor.is_finite() && factor > 0.0 && anchor_ns.is_finite()) {
            return;
        }
        let width = self.width();
        let new_width = (width / factor).clamp(MIN_VIEW_NS, MAX_VIEW_NS);
        let frac = ((anchor_ns - self.start) / width).clamp(0.0, 1.0);
        let anchor = self.start + frac * width;
        self.start = anchor - frac * new_width;
        self.end = self.start + new_width;
        self.keep_near_zero();
        self.follow_live = false;
    }

    /// Moves the view by `delta_ns` (positive: later). Turns follow-live off.
    pub fn pan(&mut self, delta_ns: f64) {
        self.sanitize();
        if !delta_ns.is_finite() {
            return;
        }
        self.start += delta_ns;
        self.end += delta_ns;
        self.keep_near_zero();
        self.follow_live = false;
    }

    /// While following, moves the view so that it shows the end of a run that has reached
    /// `trace_end` (keeping its width); a run that restarted brings it back to 0.
    pub fn track(&mut self, trace_end: Nanos) {
        self.sanitize();
        if self.follow_live {
            let width = self.width();
            self.end = width.max(trace_end as f64);
            self.start = self.end - width;
        }
    }

    /// Never show more than half a view before time 0.
    fn keep_near_zero(&mut self) {
        let width = self.width();
        if self.start < -0.5 * width {
            self.start = -0.5 * width;
            self.end = self.start + width;
        }
    }

    /// Repairs a view with non-finite or inverted bounds (e.g. from a corrupt settings file).
    fn sanitize(&mut self) {
        let ok = self.start.is_finite()
            && self.end.is_finite()
            && self.end - self.start >= MIN_VIEW_NS * 0.5;
        if !ok {
            let follow = self.follow_live;
            *self = Self {
                follow_live: follow,
                ..Self::default()
            };
        }
        if self.width() > MAX_VIEW_NS {
            self.end = self.start + MAX_VIEW_NS;
        }
    }
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
    /// Lanes drawn this much thinner than the theme says, to fit the height available.
    lane_scale: f32,
}

/// What a row of the layout shows.
#[derive(Clone, Copy, Debug, PartialEq)]
enum RowContent {
    Title,
    Lane(LaneId),
}

/// One row of the layout.
#[derive(Clone, Copy, Debug)]
struct Row {
    group: usize,
    content: RowContent,
    top: f32,
    bottom: f32,
}

/// Per widget, per group, per lane (GIL, threads, cores): the prefix-sum indexes, kept in
/// egui's temporary memory between frames.
#[derive(Default)]
struct Cache {
    groups: Vec<Vec<LaneIndex>>,
    /// The last frame's mesh, shared with egui until it has been tessellated; then ours
    /// again, and its buffers are reused (no fresh megabytes to fault in every frame).
    mesh: Arc<Mesh>,
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
        }
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

    /// The lanes of a group in display order: the GIL, the threads, the cores.
    fn lanes(&self, trace: &Trace) -> Vec<LaneId> {
        let mut lanes = vec![LaneId::Gil];
        lanes.extend((0..trace.thread_lanes.len() as u32).map(LaneId::Thread));
        if self.show_cores {
            lanes.extend((0..trace.cores.len() as u32).map(LaneId::Core));
        }
        lanes
    }

    /// Rows from `top` down; returns them and the bottom.
    fn layout(&self, top: f32) -> (Vec<Row>, f32) {
        let lane_h = self.theme.lane_height() * self.lane_scale;
        let gap = self.theme.lane_gap() * self.lane_scale;
        let title_h = self.theme.label_font().size * 1.7;
        let mut rows = Vec::new();
        let mut y = top;
        for (g, group) in self.groups.iter().enumerate() {
            if g > 0 {
                y += lane_h * 0.6;
            }
            if !group.title.is_empty() {
                rows.push(Row {
                    group: g,
                    content: RowContent::Title,
                    top: y,
                    bottom: y + title_h,
                });
                y += title_h + gap;
            }
            for lane in self.lanes(group.trace) {
                rows.push(Row {
                    group: g,
                    content: RowContent::Lane(lane),
                    top: y,
                    bottom: y + lane_h,
                });
                y += lane_h + gap;
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
            LaneId::Core(c) => format!("core {c}"),
        }
    }

    /// Lays out, handles input, paints. The widget is as wide as the space available and as
    /// tall as its lanes need; when that is more than the height available, the lanes scroll
    /// vertically under a time axis that stays on top.
    pub fn show(mut self, ui: &mut Ui, view: &mut TimelineView) -> Response {
        let axis_h = self.theme.label_font().size * 1.6 + 6.0;
        let available = ui.available_height();
        let mut needed = self.layout(axis_h).1 + 4.0;
        if available.is_finite() && needed > available {
            // First make the lanes thinner, down to what still fits a label...
            let lanes = needed - axis_h;
            let min_scale =
                (self.theme.label_font().size * 1.2 / self.theme.lane_height()).min(1.0);
            self.lane_scale = ((available - axis_h - 4.0) / lanes).clamp(min_scale, 1.0);
            needed = self.layout(axis_h).1 + 4.0;
        }
        // ...then scroll.
        if available.is_finite() && needed > available && available >= 3.0 * axis_h {
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

    /// [`Timeline::show`] without the scroll area.
    fn show_lanes(self, ui: &mut Ui, view: &mut TimelineView) -> Response {
        let trace_end = self.groups.iter().map(|g| g.trace.now).max().unwrap_or(0);
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

        let map = TimeMap::new(view.start, view.end, plot_left, plot_right);
        input::handle(ui, &response, &map, view, trace_end);
        view.track(trace_end);
        if !ui.is_rect_visible(rect) {
            return response;
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

        let mut out = Output::default();
        if let Ok(mut mesh) = Arc::try_unwrap(std::mem::take(&mut cache.mesh)) {
            mesh.clear();
            out.mesh = mesh;
        }
        self.paint_backgrounds(&frame, &mut out);
        let (axis_mesh, axis_texts) = self.paint_axis(&frame, &mut out);
        for g in 0..self.groups.len() {
            self.paint_group(&frame, g, &mut cache.groups[g], &mut out);
        }
        let lanes_top = frame.axis_top() + frame.axis_h;
        let hovered = response.hover_pos().filter(|p| {
            frame.map.left <= p.x
                && p.x <= frame.map.right
                && p.y > lanes_top
                && !response.dragged()
        });
        let hover = hovered.and_then(|p| self.hover(&frame, &cache, p, &mut out.mesh));
        let mesh = Arc::new(out.mesh);
        cache.mesh = Arc::clone(&mesh);
        drop(cache);

        frame.painter.add(Shape::Mesh(mesh));
        frame.painter.extend(out.texts);
        frame.painter.add(Shape::mesh(axis_mesh));
        frame.painter.extend(axis_texts);
        match hover {
            Some(text) => response.on_hover_ui_at_pointer(|ui| {
                ui.label(egui::RichText::new(&text.title).strong());
                for line in &text.lines {
                    ui.label(line);
                }
            }),
            None => response,
        }
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
        let font = theme.label_font();
        for (n, r) in frame.rows.iter().enumerate() {
            let rr = frame.row_rect(r);
            match r.content {
                RowContent::Title => {
                    let full = Rect::from_x_y_ranges(frame.rect.x_range(), rr.y_range());
                    out.mesh
                        .add_colored_rect(full, theme.group_title_background);
                    out.texts.push(anchored_text(
                        &frame.painter,
                        pos2(frame.rect.left() + 6.0, full.center().y),
                        Align2::LEFT_CENTER,
                        self.groups[r.group].title.clone(),
                        egui::FontId::new(font.size * 1.1, font.family.clone()),
                        theme.text,
                    ));
                }
                RowContent::Lane(_) => {
                    let band = rr.expand2(vec2(0.0, theme.lane_gap() * self.lane_scale * 0.5));
                    paint::lane_background(&mut out.mesh, band, n % 2 == 1, theme);
                }
            }
        }
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
            texts.push(anchored_text(
                &frame.painter,
                pos2(x, axis_y - 7.0),
                Align2::CENTER_BOTTOM,
                ticks.label(t),
                theme.label_font(),
                theme.text_weak,
            ));
        }
        (mesh, texts)
    }

    /// One group's lane labels, lanes, markers and live-end line.
    fn paint_group(&self, frame: &Frame, g: usize, indexes: &mut Vec<LaneIndex>, out: &mut Output) {
        let theme = self.theme;
        let trace = self.groups[g].trace;
        let lanes = self.lanes(trace);
        let stale = indexes.len() != lanes.len()
            || indexes
                .iter()
                .zip(&lanes)
                .any(|(i, l)| i.kind() != kind_of(*l));
        if stale {
            *indexes = lanes.iter().map(|l| LaneIndex::new(kind_of(*l))).collect();
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
            self.paint_lane_label(frame, trace, lane, rr, out);
            if !clip.intersects(rr) {
                continue;
            }
            let Some(slot) = lanes.iter().position(|l| *l == lane) else {
                continue;
            };
            let source = trace.lane(lane);
            if lane == LaneId::Gil && source.spans.is_empty() && source.open.is_none() {
                // A free-threaded run: say so rather than leave a blank lane.
                out.texts.push(anchored_text(
                    &frame.painter,
                    pos2(frame.map.left + 6.0, rr.center().y),
                    Align2::LEFT_CENTER,
                    "no thread holds the GIL".to_owned(),
                    theme.span_font(),
                    theme.text_weak,
                ));
            }
            let index = &mut indexes[slot];
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
                &mut out.budget,
            );
        }
        let x = frame.map.x(trace.now as f64);
        let live_end_visible = !trace.finished && frame.map.left <= x && x <= frame.map.right;
        if let (true, Some(first), Some(last)) =
            (live_end_visible, group_rows.first(), group_rows.last())
        {
            let (top, bottom) = (frame.rect.top() + first.top, frame.rect.top() + last.bottom);
            paint::dashed_vline(&mut out.mesh, x, top, bottom, theme.now_line);
        }
    }

    /// The label of a lane in the gutter: a colour chip (threads) and the name.
    fn paint_lane_label(
        &self,
        frame: &Frame,
        trace: &Trace,
        lane: LaneId,
        rr: Rect,
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
            x += chip + 5.0;
        }
        let galley =
            frame
                .painter
                .layout_no_wrap(Self::lane_label(trace, lane), theme.label_font(), color);
        let pos = pos2(x, rr.center().y - galley.size().y * 0.5);
        out.texts.push(Shape::galley(pos, galley, color));
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
        let slot = self.lanes(trace).iter().position(|l| *l == lane)?;
        let index = cache.groups.get(r.group)?.get(slot)?;
        let data = LaneData::new(trace.lane(lane), trace.now, index);
        let span = data.at(map.t(p.x).max(0.0) as Nanos)?;
        let (x0, x1) = paint::span_x(map, &span);
        let mut text = hover::describe(trace, lane, &span, self.lock_names);
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
