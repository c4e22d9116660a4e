//! The one place colours come from: dark and light themes, a presentation mode, and a
//! colour-blind-safe palette for thread states (Okabe–Ito) in which every state also differs
//! by a second cue (fill pattern and lane height), so the timeline reads in greyscale too.
//!
//! A leaf: palette, sizes and fonts only. What draws with them lives in `crate::widgets` and
//! `crate::timeline`.

use egui::{Color32, FontFamily, FontId, Stroke};
use gilscope_sim::ThreadState;

/// Dark or light colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ThemeMode {
    /// Light text on a dark background.
    #[default]
    Dark,
    /// Dark text on a light background.
    Light,
}

impl ThemeMode {
    /// The other mode.
    #[must_use]
    pub fn toggled(self) -> Self {
        match self {
            Self::Dark => Self::Light,
            Self::Light => Self::Dark,
        }
    }

    /// A short label for menus.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dark => "Dark",
            Self::Light => "Light",
        }
    }
}

/// The second cue a state is drawn with, besides its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// A plain fill.
    Solid,
    /// Rising diagonal stripes (`/`) over a pale fill.
    Hatched,
    /// Falling diagonal stripes (`\`) over a pale fill.
    Falling,
    /// Crossed diagonal stripes over a pale fill.
    CrossHatched,
    /// Dots over a pale fill.
    Dotted,
    /// Vertical bars over a pale fill.
    Striped,
    /// An outline with a faint fill.
    Outline,
    /// A solid fill inside a dark frame.
    Framed,
}

/// How one thread state is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StateStyle {
    /// The main colour (pattern strokes, solid fills, the legend swatch).
    pub color: Color32,
    /// The background fill under a pattern (equal to `color` for [`Pattern::Solid`]).
    pub fill: Color32,
    /// The second cue.
    pub pattern: Pattern,
    /// Height as a fraction of the lane height (a third cue: running states are tall).
    pub height: f32,
}

/// Okabe & Ito (2008), "Color Universal Design": distinguishable with every common form of
/// colour blindness.
mod okabe_ito {
    use egui::Color32;
    pub const ORANGE: Color32 = Color32::from_rgb(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: Color32 = Color32::from_rgb(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: Color32 = Color32::from_rgb(0x00, 0x9E, 0x73);
    pub const YELLOW: Color32 = Color32::from_rgb(0xF0, 0xE4, 0x42);
    pub const BLUE: Color32 = Color32::from_rgb(0x00, 0x72, 0xB2);
    pub const VERMILLION: Color32 = Color32::from_rgb(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: Color32 = Color32::from_rgb(0xCC, 0x79, 0xA7);
}

/// Per-thread colours (GIL and core lanes): Paul Tol's "muted" scheme, also colour-blind
/// safe, kept apart from the state colours so a GIL lane is not read as a state.
const THREAD_PALETTE: [Color32; 8] = [
    // The first four (most runs have few threads) are the ones least like a state colour.
    Color32::from_rgb(0xCC, 0x66, 0x77), // rose
    Color32::from_rgb(0x77, 0x88, 0xDD), // indigo, lightened
    Color32::from_rgb(0xAA, 0x44, 0x99), // purple
    Color32::from_rgb(0x99, 0x99, 0x33), // olive
    Color32::from_rgb(0xDD, 0xCC, 0x77), // sand
    Color32::from_rgb(0x44, 0xAA, 0x99), // teal
    Color32::from_rgb(0x88, 0xCC, 0xEE), // cyan
    Color32::from_rgb(0x88, 0x22, 0x55), // wine
];

/// Number of thread states.
const STATES: usize = ThreadState::ALL.len();

/// How many distinct thread colours there are; thread `t` gets colour `t % THREAD_COLORS`.
pub const THREAD_COLORS: usize = THREAD_PALETTE.len();

/// The dark frame drawn inside a [`Pattern::Framed`] block, on any fill and in both themes.
pub const PATTERN_FRAME: Color32 = Color32::from_black_alpha(170);

/// Presentation mode's thinnest lane, in points (pixels at 1920×1080 with no scaling): read
/// from the back of a room; the lanes scroll rather than get thinner.
pub const PRESENTATION_MIN_LANE: f32 = 48.0;
/// Presentation mode's smallest text, in points: lane labels, axis and legend (22.75 pt).
pub const PRESENTATION_MIN_TEXT: f32 = 22.0;
/// The smallest text the app sets at normal size, in points (the labels inside spans; egui's
/// small text is raised to it), times the text scale in presentation mode.
pub const MIN_TEXT: f32 = 11.0;

/// A complete palette plus the presentation flag.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    mode: ThemeMode,
    presentation: bool,
    states: [StateStyle; STATES],
    threads: [Color32; THREAD_COLORS],
    /// Window and panel background.
    pub background: Color32,
    /// The timeline's plot area background.
    pub lane_background: Color32,
    /// Every other lane gets this faint band, to guide the eye along a row.
    pub lane_band: Color32,
    /// Normal text.
    pub text: Color32,
    /// Secondary text (units, lane labels of cores).
    pub text_weak: Color32,
    /// Dark text drawn inside a light coloured span (see [`Theme::text_on`]).
    pub text_on_span: Color32,
    /// The axis line and tick marks.
    pub axis: Color32,
    /// Vertical grid lines under the lanes.
    pub grid: Color32,
    /// A group's title row background (compare view).
    pub group_title_background: Color32,
    /// Drop request marks.
    pub marker_drop_request: Color32,
    /// Handoff arrows.
    pub marker_handoff: Color32,
    /// Forced switch marks.
    pub marker_forced_switch: Color32,
    /// Lock acquire / release / block marks.
    pub marker_lock: Color32,
    /// Old GIL: a thread woken for nothing (the GIL was taken again).
    pub marker_futile_wakeup: Color32,
    /// The "now" line at the end of a live run.
    pub now_line: Color32,
    /// The outline of the span under the pointer.
    pub highlight: Color32,
    /// The step's event: the line through it and the ring around its mark.
    pub event_highlight: Color32,
    /// The outline of a span whose details are pinned.
    pub pinned: Color32,
    /// A selected time range: its fill (translucent) and its edges.
    pub selection_fill: Color32,
    /// The edges of a selected time range.
    pub selection_edge: Color32,
    /// Lost updates: a stale load, the window to its store, and the store.
    pub lost_update: Color32,
    /// The second cue drawn over a thread's colour beyond the first eight threads.
    pub thread_cue_ink: Color32,
}

impl Theme {
    /// The palette for `mode`, with large text and thick lanes when `presentation` is set.
    pub fn new(mode: ThemeMode, presentation: bool) -> Theme {
        let dark = mode == ThemeMode::Dark;
        let pick = |on_dark: Color32, on_light: Color32| if dark { on_dark } else { on_light };
        let gray = Color32::from_gray;
        let background = pick(gray(27), gray(248));
        let text = pick(gray(225), gray(25));
        let states = state_styles(dark, background);
        Theme {
            mode,
            presentation,
            states,
            threads: THREAD_PALETTE.map(|c| {
                if dark {
                    c
                } else {
                    lerp(c, Color32::BLACK, 0.12)
                }
            }),
            background,
            lane_background: pick(gray(20), Color32::WHITE),
            lane_band: pick(gray(32), gray(242)),
            text,
            text_weak: pick(gray(160), gray(95)),
            text_on_span: gray(10),
            axis: pick(gray(150), gray(90)),
            grid: pick(gray(45), gray(225)),
            group_title_background: pick(gray(40), gray(230)),
            marker_drop_request: pick(
                Color32::from_rgb(0xFF, 0x40, 0x40),
                Color32::from_rgb(0xC0, 0, 0),
            ),
            marker_handoff: pick(gray(235), gray(20)),
            marker_forced_switch: okabe_ito::REDDISH_PURPLE,
            marker_lock: states[ThreadState::Lock as usize].color,
            marker_futile_wakeup: pick(gray(200), gray(60)),
            now_line: pick(Color32::WHITE, Color32::BLACK),
            highlight: text,
            event_highlight: pick(okabe_ito::YELLOW, okabe_ito::BLUE),
            pinned: okabe_ito::SKY_BLUE,
            selection_fill: pick(
                Color32::from_rgba_unmultiplied(0x56, 0xB4, 0xE9, 40),
                Color32::from_rgba_unmultiplied(0x00, 0x72, 0xB2, 36),
            ),
            selection_edge: pick(okabe_ito::SKY_BLUE, okabe_ito::BLUE),
            lost_update: pick(
                Color32::from_rgb(0xFF, 0x5C, 0xC8),
                Color32::from_rgb(0xB0, 0x00, 0x68),
            ),
            thread_cue_ink: Color32::from_black_alpha(150),
        }
    }

    /// Dark or light.
    pub fn mode(&self) -> ThemeMode {
        self.mode
    }

    /// Whether presentation mode (large text, thick lanes) is on.
    pub fn presentation(&self) -> bool {
        self.presentation
    }

    /// The main colour of a thread state.
    pub fn state_color(&self, s: ThreadState) -> Color32 {
        self.states[s as usize].color
    }

    /// The full drawing style of a thread state (colour, pattern, height).
    pub fn state_style(&self, s: ThreadState) -> StateStyle {
        self.states[s as usize]
    }

    /// The colour of thread `thread` on the GIL and core lanes (cycles through 8 colours).
    pub fn thread_color(&self, thread: u32) -> Color32 {
        self.threads[thread as usize % THREAD_COLORS]
    }

    /// The thread colour with index `i % THREAD_COLORS`.
    pub fn thread_color_index(&self, i: usize) -> Color32 {
        self.threads[i % THREAD_COLORS]
    }

    /// Dark or light text, whichever reads better on `fill`.
    pub fn text_on(&self, fill: Color32) -> Color32 {
        if fill.intensity() > 0.45 {
            self.text_on_span
        } else {
            Color32::from_gray(245)
        }
    }

    /// Text size multiplier: 1 normally, 1.75 in presentation mode.
    pub fn text_scale(&self) -> f32 {
        if self.presentation { 1.75 } else { 1.0 }
    }

    /// Height of one timeline lane, in points.
    pub fn lane_height(&self) -> f32 {
        if self.presentation { 34.0 } else { 20.0 }
    }

    /// The tallest a lane grows when there is room (lanes fill the height they are given up
    /// to this).
    pub fn max_lane_height(&self) -> f32 {
        if self.presentation { 96.0 } else { 64.0 }
    }

    /// The thinnest a lane gets before the lanes scroll: presentation mode keeps lanes legible
    /// from the back of a room ([`PRESENTATION_MIN_LANE`]); otherwise a label's height.
    pub fn min_lane_height(&self) -> f32 {
        if self.presentation {
            PRESENTATION_MIN_LANE
        } else {
            self.label_font().size * 1.2
        }
    }

    /// The height of a lane folded to a line (a core that never ran anything).
    pub fn folded_lane_height(&self) -> f32 {
        self.min_text_size()
    }

    /// Gap between lanes, in points.
    pub fn lane_gap(&self) -> f32 {
        if self.presentation { 4.0 } else { 2.0 }
    }

    /// The font of lane labels and axis labels.
    pub fn label_font(&self) -> FontId {
        FontId::new(13.0 * self.text_scale(), FontFamily::Proportional)
    }

    /// The font of text drawn inside spans.
    pub fn span_font(&self) -> FontId {
        FontId::new(self.min_text_size(), FontFamily::Proportional)
    }

    /// The smallest text on screen, points: [`MIN_TEXT`] times the text scale.
    pub fn min_text_size(&self) -> f32 {
        MIN_TEXT * self.text_scale()
    }

    /// The stroke of a handoff arrow.
    pub fn handoff_stroke(&self) -> Stroke {
        Stroke::new(
            if self.presentation { 2.0 } else { 1.2 },
            self.marker_handoff,
        )
    }

    /// Sets egui's visuals (dark or light, with this palette's backgrounds) and text sizes
    /// (about 1.75× in presentation mode). Idempotent: calling it every frame changes nothing
    /// after the first call.
    pub fn apply(&self, ctx: &egui::Context) {
        let egui_theme = match self.mode {
            ThemeMode::Dark => egui::Theme::Dark,
            ThemeMode::Light => egui::Theme::Light,
        };
        let scale = self.text_scale();
        let mut visuals = match self.mode {
            ThemeMode::Dark => egui::Visuals::dark(),
            ThemeMode::Light => egui::Visuals::light(),
        };
        visuals.panel_fill = self.background;
        visuals.window_fill = self.background;
        visuals.extreme_bg_color = self.lane_background;
        visuals.override_text_color = Some(self.text);
        ctx.set_theme(egui_theme);
        ctx.style_mut_of(egui_theme, |style| {
            let spacing = egui::style::Spacing::default();
            let grow = if self.presentation { 1.4 } else { 1.0 };
            style.visuals = visuals;
            style.text_styles = egui::style::default_text_styles()
                .into_iter()
                .map(|(name, font)| {
                    let size = (font.size * scale).max(self.min_text_size());
                    (name, FontId::new(size, font.family))
                })
                .collect();
            // Whole points: a grown spacing of 4.2 pt would leave every row after it off
            // egui's pixel grid (blurred edges; debug builds mark such rects "Unaligned").
            style.spacing.item_spacing = (spacing.item_spacing * grow).round();
            style.spacing.button_padding = (spacing.button_padding * grow).round();
            style.spacing.interact_size = (spacing.interact_size * grow).round();
            style.spacing.icon_width = (spacing.icon_width * grow).round();
            style.spacing.icon_width_inner = (spacing.icon_width_inner * grow).round();
            style.spacing.slider_width = (spacing.slider_width * grow).round();
        });
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::new(ThemeMode::default(), false)
    }
}

/// How each state is drawn, in [`ThreadState::ALL`] order. Every state differs from every
/// other by its pattern or its height, not only by its colour.
fn state_styles(dark: bool, background: Color32) -> [StateStyle; STATES] {
    use okabe_ito::{BLUE, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION, YELLOW};
    let gray = Color32::from_gray;
    // Yellow on white is unreadable: darken it in the light theme.
    let yellow = if dark {
        YELLOW
    } else {
        Color32::from_rgb(0xC8, 0xB4, 0x00)
    };
    let mid = if dark { gray(140) } else { gray(120) };
    let faint = if dark { gray(85) } else { gray(190) };
    let style = |color: Color32, pattern: Pattern, height: f32| {
        let plain = matches!(pattern, Pattern::Solid | Pattern::Framed);
        let fill = if plain {
            color
        } else {
            lerp(background, color, 0.28)
        };
        StateStyle {
            color,
            fill,
            pattern,
            height,
        }
    };
    ThreadState::ALL.map(|s| match s {
        ThreadState::Running => style(BLUISH_GREEN, Pattern::Solid, 1.0),
        ThreadState::WaitingGil => style(VERMILLION, Pattern::Hatched, 0.7),
        ThreadState::ForcedOff => style(REDDISH_PURPLE, Pattern::CrossHatched, 0.7),
        ThreadState::Io => style(SKY_BLUE, Pattern::Solid, 0.45),
        // A call that did not block keeps its core: framed, like work on a core.
        ThreadState::Syscall => style(SKY_BLUE, Pattern::Framed, 0.45),
        // The OS waking the thread after its call: the call's colour, not yet filled in.
        ThreadState::Waking => style(SKY_BLUE, Pattern::Outline, 0.45),
        ThreadState::CCallReleased => style(BLUE, Pattern::Striped, 1.0),
        ThreadState::CCallHolding => style(ORANGE, Pattern::Framed, 1.0),
        ThreadState::Lock => style(yellow, Pattern::Dotted, 0.7),
        ThreadState::Runnable => style(mid, Pattern::Outline, 0.7),
        ThreadState::Ready => style(ORANGE, Pattern::Falling, 0.7),
        // Running, but slowed: the running colour, hatched.
        ThreadState::Contended => style(BLUISH_GREEN, Pattern::Hatched, 1.0),
        ThreadState::Paused => style(REDDISH_PURPLE, Pattern::Dotted, 0.45),
        ThreadState::Collecting => style(yellow, Pattern::CrossHatched, 1.0),
        // The old GIL's own overhead on a core: the GIL-wait colour, full height.
        ThreadState::Signalling => style(VERMILLION, Pattern::Falling, 1.0),
        ThreadState::Starting => style(mid, Pattern::Dotted, 1.0),
        // Waiting in a pool's queue, off any core: low and crossed.
        ThreadState::Queued => style(mid, Pattern::CrossHatched, 0.45),
        // A runtime's own work on a core, with its own GIL: the C-call-holding colour, striped.
        ThreadState::Pickling => style(ORANGE, Pattern::Striped, 0.7),
        ThreadState::Done => style(faint, Pattern::Solid, 0.15),
    })
}

/// Linear interpolation between two opaque colours (`t` = 0 gives `a`).
pub fn lerp(a: Color32, b: Color32, t: f32) -> Color32 {
    let mix = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    Color32::from_rgb(mix(a.r(), b.r()), mix(a.g(), b.g()), mix(a.b(), b.b()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::TextStyle;

    #[test]
    fn every_state_differs_by_more_than_colour() {
        let theme = Theme::new(ThemeMode::Dark, false);
        for (i, a) in ThreadState::ALL.iter().enumerate() {
            for b in &ThreadState::ALL[i + 1..] {
                let (sa, sb) = (theme.state_style(*a), theme.state_style(*b));
                let second_cue_differs =
                    sa.pattern != sb.pattern || (sa.height - sb.height).abs() > 0.1;
                assert!(second_cue_differs, "{a:?} and {b:?} differ only by colour");
            }
        }
    }

    #[test]
    fn presentation_mode_is_larger() {
        let normal = Theme::new(ThemeMode::Light, false);
        let big = Theme::new(ThemeMode::Light, true);
        assert!(big.label_font().size >= 1.6 * normal.label_font().size);
        assert!(big.lane_height() > 1.5 * normal.lane_height());
        assert!(big.presentation() && !normal.presentation());
        assert_eq!(big.mode(), ThemeMode::Light);
    }

    #[test]
    fn apply_sets_mode_and_text_size() {
        let ctx = egui::Context::default();
        Theme::new(ThemeMode::Light, true).apply(&ctx);
        assert_eq!(ctx.theme(), egui::Theme::Light);
        let body = ctx.style_of(egui::Theme::Light).text_styles[&TextStyle::Body].size;
        assert!(body > 20.0, "body text {body}");
        Theme::new(ThemeMode::Dark, false).apply(&ctx);
        assert_eq!(ctx.theme(), egui::Theme::Dark);
        assert!(
            (ctx.style_of(egui::Theme::Dark).text_styles[&TextStyle::Body].size - 13.0).abs()
                < 0.01
        );
        // No text style under the smallest text, small text included.
        for presentation in [false, true] {
            let theme = Theme::new(ThemeMode::Dark, presentation);
            theme.apply(&ctx);
            for (style, font) in &ctx.style_of(egui::Theme::Dark).text_styles {
                assert!(
                    font.size >= theme.min_text_size() - 0.01,
                    "{style:?} at {} in presentation {presentation}",
                    font.size
                );
            }
        }
    }
}
