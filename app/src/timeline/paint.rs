//! Painting lanes and markers into one untextured mesh per frame (cheap to tessellate: no
//! anti-aliasing feathering, no per-shape overhead), plus a bounded number of text labels.

use crate::theme::{PATTERN_FRAME, Pattern, StateStyle, Theme};
use crate::timeline::lod::{Block, KEYS, LaneKind};
use crate::timeline::mapping::TimeMap;
use egui::{Color32, Mesh, Painter, Pos2, Rect, Shape, Stroke, pos2, vec2};
use gilscope_sim::trace::{Marker, MarkerKind, NONE, Span};
use gilscope_sim::{ThreadState, Trace};

/// Adds a filled quad with corners `a b c d` (in order around it).
fn quad(mesh: &mut Mesh, corners: [Pos2; 4], color: Color32) {
    let i = mesh.vertices.len() as u32;
    for p in corners {
        mesh.colored_vertex(p, color);
    }
    mesh.add_triangle(i, i + 1, i + 2);
    mesh.add_triangle(i, i + 2, i + 3);
}

/// Adds a line segment `width` points wide as a quad.
pub fn segment(mesh: &mut Mesh, a: Pos2, b: Pos2, width: f32, color: Color32) {
    let dir = (b - a).normalized() * (width * 0.5);
    let n = vec2(-dir.y, dir.x);
    quad(mesh, [a + n, b + n, b - n, a - n], color);
}

/// Adds a triangle.
fn triangle(mesh: &mut Mesh, points: [Pos2; 3], color: Color32) {
    let i = mesh.vertices.len() as u32;
    for p in points {
        mesh.colored_vertex(p, color);
    }
    mesh.add_triangle(i, i + 1, i + 2);
}

/// Adds the outline of `rect`, `w` points thick, inside it.
pub fn outline(mesh: &mut Mesh, rect: Rect, w: f32, color: Color32) {
    let w = w.min(rect.width() * 0.5).min(rect.height() * 0.5);
    mesh.add_colored_rect(
        Rect::from_min_max(rect.min, pos2(rect.max.x, rect.min.y + w)),
        color,
    );
    mesh.add_colored_rect(
        Rect::from_min_max(pos2(rect.min.x, rect.max.y - w), rect.max),
        color,
    );
    mesh.add_colored_rect(
        Rect::from_min_max(
            pos2(rect.min.x, rect.min.y + w),
            pos2(rect.min.x + w, rect.max.y - w),
        ),
        color,
    );
    mesh.add_colored_rect(
        Rect::from_min_max(
            pos2(rect.max.x - w, rect.min.y + w),
            pos2(rect.max.x, rect.max.y - w),
        ),
        color,
    );
}

/// Diagonal lines across `rect`, clipped to it: rising (`/`) or falling (`\`).
fn diagonals(mesh: &mut Mesh, rect: Rect, spacing: f32, width: f32, rising: bool, color: Color32) {
    let h = rect.height();
    let mut x0 = rect.min.x - h + (rect.min.x.rem_euclid(spacing));
    while x0 < rect.max.x {
        // The line goes from (x0, bottom) to (x0 + h, top) for rising lines.
        let s0 = (rect.min.x - x0).max(0.0);
        let s1 = (rect.max.x - x0).min(h);
        if s1 > s0 {
            let (a, b) = if rising {
                (
                    pos2(x0 + s0, rect.max.y - s0),
                    pos2(x0 + s1, rect.max.y - s1),
                )
            } else {
                (
                    pos2(x0 + s0, rect.min.y + s0),
                    pos2(x0 + s1, rect.min.y + s1),
                )
            };
            segment(mesh, a, b, width, color);
        }
        x0 += spacing;
    }
}

/// Draws one state block in the lane rectangle `lane` (the block's height follows the style),
/// with its pattern if it is wide enough. `scale` thickens strokes (presentation mode).
pub fn state_block(mesh: &mut Mesh, lane: Rect, style: StateStyle, scale: f32) {
    let rect = Rect::from_min_max(
        pos2(lane.min.x, lane.max.y - lane.height() * style.height),
        lane.max,
    );
    if rect.width() < 4.0 || style.pattern == Pattern::Solid {
        let color = if rect.width() < 4.0 {
            style.color
        } else {
            style.fill
        };
        mesh.add_colored_rect(rect, color);
        return;
    }
    mesh.add_colored_rect(rect, style.fill);
    // Tall lanes get proportionally wider-spaced stripes: the same look, fewer triangles.
    let spacing = (6.0 * scale).max(rect.height() * 0.25);
    let w = 1.4 * scale;
    match style.pattern {
        Pattern::Solid => {}
        Pattern::Hatched => diagonals(mesh, rect, spacing, w, true, style.color),
        Pattern::Falling => diagonals(mesh, rect, spacing, w, false, style.color),
        Pattern::CrossHatched => {
            diagonals(mesh, rect, spacing * 1.3, w, true, style.color);
            diagonals(mesh, rect, spacing * 1.3, w, false, style.color);
        }
        Pattern::Striped => {
            let mut x = rect.min.x + (spacing - rect.min.x.rem_euclid(spacing));
            while x + w <= rect.max.x {
                mesh.add_colored_rect(
                    Rect::from_min_max(pos2(x, rect.min.y), pos2(x + w, rect.max.y)),
                    style.color,
                );
                x += spacing * 0.8;
            }
        }
        Pattern::Dotted => {
            let d = (2.0 * scale).max(rect.height() * 0.07);
            let step = (5.0 * scale).max(rect.height() * 0.2);
            let mut y = rect.min.y + (rect.height() % step).max(d) * 0.5;
            while y + d <= rect.max.y {
                let mut x = rect.min.x + (step - rect.min.x.rem_euclid(step));
                while x + d <= rect.max.x {
                    mesh.add_colored_rect(Rect::from_min_size(pos2(x, y), vec2(d, d)), style.color);
                    x += step;
                }
                y += step;
            }
        }
        Pattern::Outline => outline(mesh, rect, 1.5 * scale, style.color),
        Pattern::Framed => outline(mesh, rect, 1.5 * scale, PATTERN_FRAME),
    }
}

/// A short name for a state, for text inside spans.
fn state_short_label(s: ThreadState) -> &'static str {
    s.info().short
}

/// The vertical extent of a lane row and what it shows.
#[derive(Clone, Copy, Debug)]
pub struct LaneRow {
    /// The row's rectangle across the plot area.
    pub rect: Rect,
    /// Thread or occupancy lane.
    pub kind: LaneKind,
}

/// Limits on what one frame draws beyond the level-of-detail blocks.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Text labels inside spans.
    pub labels: usize,
    /// Spans drawn with a pattern (each costs up to a few hundred quads).
    pub patterns: usize,
    /// Markers.
    pub markers: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            labels: 400,
            patterns: 1_500,
            markers: 3_000,
        }
    }
}

/// Horizontal extent of a block, clamped to a little outside the plot area.
fn block_x(map: &TimeMap, from: u64, to: u64) -> (f32, f32) {
    let lo = map.left - 2.0;
    let hi = map.right + 2.0;
    (
        map.x(from as f64).clamp(lo, hi),
        map.x(to as f64).clamp(lo, hi),
    )
}

/// What painting a lane needs besides the lane.
pub struct PaintCtx<'a> {
    /// For text layout.
    pub painter: &'a Painter,
    /// The run (thread names).
    pub trace: &'a Trace,
    /// Time to pixels.
    pub map: &'a TimeMap,
    /// Colours.
    pub theme: &'a Theme,
}

/// Paints a lane's blocks into `mesh`, and the labels that fit into `texts`.
pub fn lane_blocks(
    mesh: &mut Mesh,
    texts: &mut Vec<Shape>,
    ctx: &PaintCtx<'_>,
    row: LaneRow,
    blocks: &[Block],
    budget: &mut Budget,
) {
    let PaintCtx {
        painter,
        trace,
        map,
        theme,
    } = *ctx;
    let scale = if theme.presentation() { 1.6 } else { 1.0 };
    let font = theme.span_font();
    let pad = 3.0 * scale;
    let inner = row.rect.shrink2(vec2(0.0, 1.0));
    // The summary columns' bands, to widen instead of repeating an identical segment.
    let mut bands: Bands = [None; KEYS];
    for (n, block) in blocks.iter().enumerate() {
        match *block {
            Block::Span { span, from, to } => {
                let (x0, x1) = block_x(map, from, to);
                // A hairline gap keeps two touching spans of the same colour apart.
                let same_next = matches!(blocks.get(n + 1), Some(Block::Span { span: next, from: f, .. })
                    if *f == to && row.kind.key(next) == row.kind.key(&span));
                let x1 = if same_next && x1 - x0 > 4.0 {
                    x1 - 1.0
                } else {
                    x1
                };
                let rect = Rect::from_x_y_ranges(x0..=x1, inner.y_range());
                let text_color;
                match row.kind {
                    LaneKind::Thread => {
                        let mut style = theme.state_style(span.state);
                        if budget.patterns == 0 {
                            style.pattern = Pattern::Solid;
                            style.fill = style.color;
                        } else if style.pattern != Pattern::Solid {
                            budget.patterns -= 1;
                        }
                        state_block(mesh, rect, style, scale);
                        text_color = if matches!(style.pattern, Pattern::Solid | Pattern::Framed) {
                            theme.text_on(style.fill)
                        } else {
                            theme.text
                        };
                    }
                    LaneKind::Occupancy => {
                        let fill = theme.thread_color(span.other);
                        mesh.add_colored_rect(rect, fill);
                        if budget.patterns > 0 && thread_cue(mesh, rect, span.other, theme) {
                            budget.patterns -= 1;
                        }
                        text_color = theme.text_on(fill);
                    }
                }
                // Labels go only where they fit, and only on tall blocks.
                let (height, plate) = match row.kind {
                    LaneKind::Thread => {
                        let style = theme.state_style(span.state);
                        (
                            style.height,
                            !matches!(style.pattern, Pattern::Solid | Pattern::Framed),
                        )
                    }
                    LaneKind::Occupancy => (1.0, false),
                };
                let width = x1 - x0;
                if budget.labels > 0 && height >= 0.6 && width > font.size * 2.5 {
                    let text = match row.kind {
                        LaneKind::Thread => state_short_label(span.state).to_owned(),
                        LaneKind::Occupancy => trace.thread_name(span.other).to_owned(),
                    };
                    let galley = painter.layout_no_wrap(text, font.clone(), text_color);
                    let size = galley.size();
                    if size.x + 2.0 * pad <= width && size.y <= rect.height() * height + 2.0 {
                        budget.labels -= 1;
                        // Keep the label on screen when the span starts left of the view.
                        let x = (x0.max(map.left) + pad).min(x1 - pad - size.x);
                        // Centre it in the drawn part (shorter states are drawn low).
                        let y = rect.max.y - rect.height() * height * 0.5 - size.y * 0.5;
                        if plate {
                            let r = Rect::from_min_size(pos2(x, y), size).expand2(vec2(2.0, 0.0));
                            mesh.add_colored_rect(r, theme.lane_background.gamma_multiply(0.85));
                        }
                        texts.push(Shape::galley(pos2(x, y), galley, text_color));
                    }
                }
            }
            Block::Mix {
                from, to, totals, ..
            } => {
                let (x0, x1) = block_x(map, from, to);
                let column = MixColumn::new(inner.height(), to - from, &totals);
                column.paint(mesh, inner, (x0, x1), &mut bands, n, row.kind, theme);
            }
        }
    }
}

/// Beyond the eight thread colours, the second cue of a thread on the GIL and core lanes (and
/// on its chip): a dark band along the top of its spans for threads 8–15, along the bottom for
/// 16–23, both for 24–31, through the middle for 32–39, and round again; the first eight are
/// plain. One or two quads a span.
/// Returns whether it drew anything.
pub fn thread_cue(mesh: &mut Mesh, rect: Rect, thread: u32, theme: &Theme) -> bool {
    if thread == NONE || rect.width() < 2.0 {
        return false;
    }
    let round = thread as usize / crate::theme::THREAD_COLORS;
    let band = (rect.height() * 0.22).max(1.5);
    let ink = theme.thread_cue_ink;
    let top = Rect::from_min_max(rect.min, pos2(rect.max.x, rect.min.y + band));
    let bottom = Rect::from_min_max(pos2(rect.min.x, rect.max.y - band), rect.max);
    match round % 4 {
        0 if round == 0 => return false,
        0 => {
            let middle = Rect::from_center_size(rect.center(), egui::vec2(rect.width(), band));
            mesh.add_colored_rect(middle, ink);
        }
        1 => mesh.add_colored_rect(top, ink),
        2 => mesh.add_colored_rect(bottom, ink),
        _ => {
            mesh.add_colored_rect(top, ink);
            mesh.add_colored_rect(bottom, ink);
        }
    }
    true
}

/// A summary column: the time share of each key, in whole points, stacked from the bottom in
/// key order (so neighbouring columns line up into bands). Only its non-empty segments are
/// kept: a column holds a few of the keys.
#[derive(Clone, Copy)]
struct MixColumn {
    /// Each non-empty segment, bottom up: its key and its bottom and top edges, as points
    /// above the lane's bottom (cumulative, rounded).
    segments: [(usize, u16, u16); KEYS],
    /// How many of `segments` there are.
    len: usize,
}

/// One key's segment in the last summary column painted, still open to the right: its extent
/// (points above the lane's bottom), where it ends, its first vertex (to widen it) and the
/// block it was last painted in.
#[derive(Clone, Copy, PartialEq)]
struct Band {
    below: u16,
    top: u16,
    x1: f32,
    first_vertex: usize,
    block: usize,
}

/// The bands of the summary columns painted in a lane, by key: a segment the same as its key's
/// band in the block right before widens that band instead of adding a quad, so a run of
/// columns whose mix changes in one key repaints only that key.
type Bands = [Option<Band>; KEYS];

// A column's keys fit one `u32` mask.
const _: () = assert!(KEYS <= 32);

impl MixColumn {
    /// Shares are rounded to steps of an eighth of the lane (at least 2 points): fine enough
    /// to read a mix, coarse enough that neighbouring columns often match and merge.
    fn new(height: f32, duration: u64, totals: &[u64; KEYS]) -> Self {
        let step = f64::from((height / 8.0).max(2.0));
        let steps = (f64::from(height) / step).floor();
        let duration = duration.max(1) as f64;
        let mut column = Self {
            segments: [(0, 0, 0); KEYS],
            len: 0,
        };
        let mut sum = 0u64;
        let mut below = 0u16;
        // A key with no time in the column has no segment (its top would be the one below):
        // the keys with time, in order, from a bit mask, and a segment kept or not without a
        // branch on the data (a column's mix is hard to predict).
        let mut keys = totals
            .iter()
            .enumerate()
            .fold(0u32, |mask, (key, &t)| mask | (u32::from(t > 0) << key));
        while keys != 0 {
            let key = keys.trailing_zeros() as usize;
            keys &= keys - 1;
            sum += totals[key];
            // Rounded half up (`as` truncates; cheaper than `round`).
            let level = (steps * (sum as f64 / duration) + 0.5).min(steps);
            let top = (crate::timeline::mapping::floor(level) * step) as u16;
            column.segments[column.len] = (key, below, top);
            column.len += usize::from(top > below);
            below = below.max(top);
        }
        column
    }

    /// Paints the column's segments as block `block` of the lane, each widening its key's band
    /// when that band showed the same segment in the block right before.
    #[allow(clippy::too_many_arguments)] // Private helper of `lane_blocks`.
    fn paint(
        &self,
        mesh: &mut Mesh,
        lane: Rect,
        (x0, x1): (f32, f32),
        bands: &mut Bands,
        block: usize,
        kind: LaneKind,
        theme: &Theme,
    ) {
        for &(key, below, top) in &self.segments[..self.len] {
            let band = &mut bands[key];
            match band {
                Some(b)
                    if b.block + 1 == block
                        && b.below == below
                        && b.top == top
                        && (b.x1 - x0).abs() < 0.01 =>
                {
                    // Quads are added as (left-top, right-top, left-bottom, right-bottom).
                    mesh.vertices[b.first_vertex + 1].pos.x = x1;
                    mesh.vertices[b.first_vertex + 3].pos.x = x1;
                    b.x1 = x1;
                    b.block = block;
                }
                _ => {
                    let color = match kind {
                        LaneKind::Thread => theme.state_color(ThreadState::ALL[key]),
                        LaneKind::Occupancy => theme.thread_color_index(key),
                    };
                    let y = lane.max.y;
                    let rect = Rect::from_x_y_ranges(
                        x0..=x1,
                        (y - f32::from(top))..=(y - f32::from(below)),
                    );
                    *band = Some(Band {
                        below,
                        top,
                        x1,
                        first_vertex: mesh.vertices.len(),
                        block,
                    });
                    mesh.add_colored_rect(rect, color);
                }
            }
        }
    }
}

/// Where each thread's lane is, to place markers: `thread_rows[t]` and the GIL row.
pub struct MarkerRows<'a> {
    /// Rows of thread lanes, by thread index (`None` if not shown).
    pub threads: &'a [Option<Rect>],
    /// The GIL lane.
    pub gil: Option<Rect>,
}

impl MarkerRows<'_> {
    fn thread(&self, t: u32) -> Option<Rect> {
        if t == NONE {
            None
        } else {
            self.threads.get(t as usize).copied().flatten()
        }
    }
}

fn kind_slot(kind: MarkerKind) -> usize {
    match kind {
        MarkerKind::DropRequest => 0,
        MarkerKind::Handoff => 1,
        MarkerKind::ForcedSwitch => 2,
        MarkerKind::LockAcquired => 3,
        MarkerKind::LockReleased => 4,
        MarkerKind::LockBlocked => 5,
        MarkerKind::FutileWakeup => 6,
    }
}

/// Number of marker kinds (see `kind_slot`).
const MARKER_KINDS: usize = 7;

/// Markers read at most per bucket, however many fall into it.
const PER_BUCKET_READS: usize = 64;

/// Paints the markers visible in `map`, thinned so that at most one marker of each kind per
/// thread lands in each few-point bucket. When crowded (more than one marker per 8 points),
/// buckets widen, only drop requests and one faint handoff per bucket remain. Reads at most a
/// bounded number of markers per bucket, whatever their total. `scale` sizes the marks (1 for
/// a 20-point lane: they grow with the lanes).
pub fn markers(
    mesh: &mut Mesh,
    markers: &[Marker],
    rows: &MarkerRows<'_>,
    map: &TimeMap,
    theme: &Theme,
    scale: f32,
    budget: &mut Budget,
) {
    let (from, to) = map.visible_ns();
    let first = markers.partition_point(|m| m.time < from);
    let last = markers.partition_point(|m| m.time < to);
    if first >= last {
        return;
    }
    let crowded = (last - first) as f32 > map.width() / (8.0 * scale);
    let bucket_px = if crowded { 24.0 * scale } else { 3.0 * scale };
    let threads = rows.threads.len().max(1);
    let mut seen = vec![u32::MAX; (threads + 1) * MARKER_KINDS];
    let mut bucket_no = 0u32;
    let mut i = first;
    let mut stroke = theme.handoff_stroke();
    stroke.width *= scale;
    if crowded {
        stroke.color = stroke.color.gamma_multiply(0.5);
    }
    while i < last && budget.markers > 0 {
        bucket_no += 1;
        let x = map.x(markers[i].time as f64);
        let bucket_end = map.t(x + bucket_px).max(markers[i].time as f64 + 1.0);
        let mut handoff_drawn = false;
        let mut reads = 0;
        while i < last && (markers[i].time as f64) < bucket_end && reads < PER_BUCKET_READS {
            let m = markers[i];
            i += 1;
            reads += 1;
            let slot = kind_slot(m.kind);
            let lane = if m.thread == NONE {
                threads
            } else {
                m.thread as usize % threads
            };
            if seen[lane * MARKER_KINDS + slot] == bucket_no {
                continue;
            }
            seen[lane * MARKER_KINDS + slot] = bucket_no;
            let x = map.x(m.time as f64);
            // When crowded, keep the GIL's story (requests and handoffs) and leave out
            // forced switches and lock events: the lanes' states show those too.
            let minor = !matches!(m.kind, MarkerKind::Handoff | MarkerKind::DropRequest);
            let drawn = if crowded && minor {
                false
            } else if m.kind == MarkerKind::Handoff {
                let skip = crowded && handoff_drawn;
                handoff_drawn = true;
                !skip && handoff(mesh, rows, m, x, stroke, scale)
            } else {
                rows.thread(m.thread).is_some_and(|r| {
                    instant_mark(mesh, m.kind, r, x, theme, scale);
                    true
                })
            };
            if drawn {
                budget.markers = budget.markers.saturating_sub(1);
            }
        }
        if reads == PER_BUCKET_READS {
            i += markers[i..last].partition_point(|m| (m.time as f64) < bucket_end);
        }
    }
}

/// A drop request (a triangle pointing down from the top of the holder's lane), a forced
/// switch (a hollow square at its bottom) or a lock event (a diamond: full when acquired,
/// hollow when released, crossed when blocked) or a futile wake-up (a small cross at the top)
/// on `lane` at `x`.
pub fn instant_mark(
    mesh: &mut Mesh,
    kind: MarkerKind,
    lane: Rect,
    x: f32,
    theme: &Theme,
    scale: f32,
) {
    match kind {
        MarkerKind::Handoff => {}
        MarkerKind::DropRequest => {
            let size = 4.0 * scale;
            let top = lane.min.y;
            let points = [
                pos2(x - size, top),
                pos2(x + size, top),
                pos2(x, top + 1.6 * size),
            ];
            triangle(mesh, points, theme.marker_drop_request);
        }
        MarkerKind::FutileWakeup => {
            let size = 3.0 * scale;
            let centre = pos2(x, lane.min.y + size + 1.0);
            let (dx, dy) = (vec2(size, 0.0), vec2(0.0, size));
            let color = theme.marker_futile_wakeup;
            segment(mesh, centre - dx - dy, centre + dx + dy, 1.2 * scale, color);
            segment(mesh, centre - dx + dy, centre + dx - dy, 1.2 * scale, color);
        }
        MarkerKind::ForcedSwitch => {
            let size = 3.5 * scale;
            let centre = pos2(x, lane.max.y - size);
            let outer = Rect::from_center_size(centre, vec2(2.0 * size, 2.0 * size));
            mesh.add_colored_rect(outer, theme.marker_forced_switch);
            let inner = Rect::from_center_size(centre, vec2(size * 0.8, size * 0.8));
            mesh.add_colored_rect(inner, theme.lane_background);
        }
        MarkerKind::LockAcquired | MarkerKind::LockReleased | MarkerKind::LockBlocked => {
            let size = 4.0 * scale;
            let centre = pos2(x, lane.center().y);
            let diamond = |h: f32| {
                let (dx, dy) = (vec2(h, 0.0), vec2(0.0, h));
                [centre - dy, centre + dx, centre + dy, centre - dx]
            };
            quad(mesh, diamond(size), theme.marker_lock);
            if kind == MarkerKind::LockReleased {
                quad(mesh, diamond(size * 0.45), theme.lane_background);
            } else if kind == MarkerKind::LockBlocked {
                let dx = vec2(size, 0.0);
                segment(
                    mesh,
                    centre - dx,
                    centre + dx,
                    1.5 * scale,
                    theme.lane_background,
                );
            }
        }
    }
}

/// A handoff arrow from `y0` down (or up) to the tip at `tip`, as the lanes and the legend
/// draw it.
pub fn arrow(mesh: &mut Mesh, x: f32, y0: f32, tip: f32, stroke: Stroke, scale: f32) {
    let dir = if tip > y0 { 1.0 } else { -1.0 };
    let head = 4.0 * scale;
    segment(
        mesh,
        pos2(x, y0),
        pos2(x, tip - dir * head),
        stroke.width,
        stroke.color,
    );
    triangle(
        mesh,
        [
            pos2(x, tip),
            pos2(x - head * 0.8, tip - dir * head * 1.4),
            pos2(x + head * 0.8, tip - dir * head * 1.4),
        ],
        stroke.color,
    );
}

/// A handoff: a line from the old holder's lane to the new holder's, with an arrow head.
fn handoff(
    mesh: &mut Mesh,
    rows: &MarkerRows<'_>,
    m: Marker,
    x: f32,
    stroke: Stroke,
    scale: f32,
) -> bool {
    let Some(to) = rows.thread(m.other) else {
        return false;
    };
    let from = rows.thread(m.thread).or(rows.gil);
    let Some(from) = from else { return false };
    let (y0, y1) = (from.center().y, to.center().y);
    if (y1 - y0).abs() < 1.0 {
        return false;
    }
    let dir = if y1 > y0 { 1.0 } else { -1.0 };
    arrow(mesh, x, y0, y1 - dir * to.height() * 0.3, stroke, scale);
    true
}

/// The row's background: a faint band on every other lane.
pub fn lane_background(mesh: &mut Mesh, rect: Rect, odd: bool, theme: &Theme) {
    mesh.add_colored_rect(
        rect,
        if odd {
            theme.lane_band
        } else {
            theme.lane_background
        },
    );
}

/// A highlight frame around the hovered span.
pub fn highlight(mesh: &mut Mesh, rect: Rect, theme: &Theme) {
    outline(mesh, rect.expand(1.5), 1.5, theme.highlight);
}

/// A vertical dashed line at `x` from `top` to `bottom` (the live end of a run).
pub fn dashed_vline(mesh: &mut Mesh, x: f32, top: f32, bottom: f32, color: Color32) {
    let mut y = top;
    while y < bottom {
        mesh.add_colored_rect(
            Rect::from_min_max(pos2(x - 0.75, y), pos2(x + 0.75, (y + 5.0).min(bottom))),
            color,
        );
        y += 9.0;
    }
}

/// The x extent of a span on screen, clamped to the plot area.
pub fn span_x(map: &TimeMap, span: &Span) -> (f32, f32) {
    block_x(map, span.start, span.end)
}
