//! Where the window's main panels were drawn in the last frame (the toolbar, the settings,
//! the stats, the event log, the timeline, the panel under it), for the tests that check that
//! at small sizes nothing leaves the window or overlaps.

/// The main panels' rectangles of the last frame, points, by name.
#[derive(Debug, Default, Clone)]
pub struct PanelRects {
    rects: Vec<(&'static str, egui::Rect)>,
}

impl PanelRects {
    /// Forgets the last frame's (at the start of a frame).
    pub fn clear(&mut self) {
        self.rects.clear();
    }

    /// Notes that the panel `name` was drawn in `rect`.
    pub fn record(&mut self, name: &'static str, rect: egui::Rect) {
        self.rects.push((name, rect));
    }

    /// Every panel drawn, in the order drawn.
    pub fn all(&self) -> &[(&'static str, egui::Rect)] {
        &self.rects
    }
}
