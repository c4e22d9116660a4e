//! Taking a run out of the app (shell code): run A as Chrome trace JSON (Perfetto), the stats
//! of the runs as CSV, the window or the timeline as PNG, into the export folder chosen in
//! the toolbar. Every export says what it wrote, or why it could not.

use super::app::{GilscopeApp, PendingScreenshot};
use super::view::Export;
use crossbeam::channel::{TryRecvError, bounded};
use gilscope_sim::export::{ChromeExport, STATS_CSV_HEADER, stats_csv_row, write_chrome_trace};
use std::io::Write as _;
use std::path::{Path, PathBuf};

impl GilscopeApp {
    /// The file an export writes: `<folder>/<scenario>-<what>.<ext>`.
    pub fn export_path(&self, what: Export) -> PathBuf {
        let stem = Path::new(self.settings.scenario.name_or_path())
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("run")
            .to_owned();
        let name = match what {
            Export::Trace => format!("{stem}-trace.json"),
            Export::StatsCsv => format!("{stem}-stats.csv"),
            Export::WindowPng => format!("{stem}-window.png"),
            Export::TimelinePng => format!("{stem}-timeline.png"),
        };
        Path::new(self.settings.export_dir.trim()).join(name)
    }

    /// Writes `what`; a PNG waits for the window's next screenshot (asked of `ctx`).
    pub(super) fn export(&mut self, what: Export, ctx: &egui::Context) {
        let path = self.export_path(what);
        let outcome = match what {
            Export::Trace => self.write_trace(&path),
            Export::StatsCsv => self.write_csv(&path).map(|()| None),
            Export::WindowPng | Export::TimelinePng => {
                let (tx, rx) = bounded(1);
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    // The app may have gone meanwhile: then nobody wants the picture.
                    let _ = tx.try_send(image);
                    repaint.request_repaint();
                });
                let region = match what {
                    Export::TimelinePng => self.views.timeline_rect(),
                    _ => None,
                };
                self.screenshot = Some(PendingScreenshot {
                    what,
                    region,
                    image: rx,
                });
                self.export_note = Some(format!("taking the screenshot for {}…", path.display()));
                return;
            }
        };
        self.export_note = Some(match outcome {
            Ok(None) => format!("wrote {}", path.display()),
            Ok(Some(note)) => format!("wrote {}; {note}", path.display()),
            Err(e) => format!("could not write {}: {e}", path.display()),
        });
    }

    /// Writes run A's trace, sized against its `export_budget`; the note says where a trace
    /// too big for it was cut.
    fn write_trace(&self, path: &Path) -> Result<Option<String>, String> {
        let run = self.runs.first().ok_or("there is no run to export")?;
        let plan = ChromeExport::plan(&run.trace, run.trace.meta.config.export_budget);
        let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
        let mut out = std::io::BufWriter::new(file);
        write_chrome_trace(&run.trace, &plan, &mut out).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
        Ok(plan.note())
    }

    fn write_csv(&self, path: &Path) -> Result<(), String> {
        let rows: Vec<String> = self
            .runs
            .iter()
            .filter_map(|r| r.stats.as_ref().map(stats_csv_row))
            .collect();
        if rows.is_empty() {
            return Err("the run has no stats yet: let it run a moment".to_owned());
        }
        let text = format!("{STATS_CSV_HEADER}\n{}\n", rows.join("\n"));
        std::fs::write(path, text).map_err(|e| e.to_string())
    }

    /// Saves the screenshot a PNG export waits for, once it has come.
    pub(super) fn take_screenshot(&mut self, ctx: &egui::Context) {
        let Some(pending) = &self.screenshot else {
            return;
        };
        let image = match pending.image.try_recv() {
            Ok(image) => image,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => {
                self.screenshot = None;
                self.export_note = Some("the window gave no screenshot".to_owned());
                return;
            }
        };
        let (what, region) = (pending.what, pending.region);
        self.screenshot = None;
        let path = self.export_path(what);
        let saved = save_png(&image, region, ctx.pixels_per_point(), &path);
        self.export_note = Some(match saved {
            Ok(()) => format!("wrote {}", path.display()),
            Err(e) => format!("could not write {}: {e}", path.display()),
        });
    }
}

/// Saves `image`, or the part of it under `region` (in points, `pixels_per_point` pixels
/// each), as PNG.
pub fn save_png(
    image: &egui::ColorImage,
    region: Option<egui::Rect>,
    pixels_per_point: f32,
    path: &Path,
) -> Result<(), String> {
    let [w, h] = image.size;
    let (x0, y0, x1, y1) = match region {
        Some(r) => {
            let px =
                |v: f32, max: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(max);
            (
                px(r.min.x, w),
                px(r.min.y, h),
                px(r.max.x, w),
                px(r.max.y, h),
            )
        }
        None => (0, 0, w, h),
    };
    if x1 <= x0 || y1 <= y0 {
        return Err("the timeline is not on screen".to_owned());
    }
    let mut rgba = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
    for y in y0..y1 {
        for pixel in &image.pixels[y * w + x0..y * w + x1] {
            rgba.extend_from_slice(&pixel.to_array());
        }
    }
    image::save_buffer(
        path,
        &rgba,
        (x1 - x0) as u32,
        (y1 - y0) as u32,
        image::ColorType::Rgba8,
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn a_region_of_the_screenshot_is_cropped_to_its_pixels() {
        let mut image = egui::ColorImage::filled([40, 30], egui::Color32::BLACK);
        image.pixels[10 * 40 + 20] = egui::Color32::WHITE;
        let dir = std::env::temp_dir().join(format!("gilscope-crop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("crop.png");
        let region = egui::Rect::from_min_max(egui::pos2(5.0, 2.5), egui::pos2(15.0, 10.0));
        save_png(&image, Some(region), 2.0, &path).unwrap();
        let back = image::open(&path).unwrap().to_rgba8();
        assert_eq!(back.dimensions(), (20, 15));
        assert_eq!(back.get_pixel(10, 5).0, [255, 255, 255, 255]);
        let off = egui::Rect::from_min_max(egui::pos2(50.0, 50.0), egui::pos2(60.0, 60.0));
        assert!(save_png(&image, Some(off), 1.0, &path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
