//! A CPU renderer of egui: run UI code in a bare [`egui::Context`], tessellate its shapes,
//! and rasterize the triangles into an RGBA image, with no display and no GPU.
//!
//! It draws with the bundled egui fonts and needs no dependency beyond egui and `image`
//! (already in the tree): no font or plotting library, no system fonts, no GL.

use crate::theme::Theme;
use egui::epaint::{ClippedPrimitive, Primitive, Vertex};
use egui::{Color32, ColorImage, ImageData, Pos2, Rect, TextureId, Vec2};
use std::collections::HashMap;
use std::path::Path;

/// Why a PNG could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    /// The requested size is unusable.
    #[error("image size {0}x{1} is out of range: use 200 to 8192 pixels per side")]
    Size(u32, u32),
    /// Encoding or writing the file failed.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// An RGBA image with premultiplied-alpha pixels in gamma space, as egui blends them.
struct Canvas {
    width: usize,
    height: usize,
    /// Premultiplied RGBA, 0..=1.
    pixels: Vec<[f32; 4]>,
}

impl Canvas {
    fn new(width: usize, height: usize, background: Color32) -> Self {
        let bg = rgba(background);
        Self {
            width,
            height,
            pixels: vec![bg; width * height],
        }
    }

    /// Blends a premultiplied colour over pixel `(x, y)`.
    fn blend(&mut self, x: usize, y: usize, src: [f32; 4]) {
        let dst = &mut self.pixels[y * self.width + x];
        let keep = 1.0 - src[3];
        for c in 0..4 {
            dst[c] = src[c] + dst[c] * keep;
        }
    }

    /// Straight (un-premultiplied) 8-bit RGBA bytes.
    fn to_bytes(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| {
                let a = p[3].clamp(0.0, 1.0);
                let un = |c: f32| {
                    let v = if a > 0.0 { c / a } else { 0.0 };
                    (v.clamp(0.0, 1.0) * 255.0).round() as u8
                };
                [un(p[0]), un(p[1]), un(p[2]), (a * 255.0).round() as u8]
            })
            .collect()
    }
}

fn rgba(color: Color32) -> [f32; 4] {
    color.to_array().map(|v| f32::from(v) / 255.0)
}

/// A texture sampled bilinearly (premultiplied RGBA, 0..=1).
struct Texture {
    size: [usize; 2],
    texels: Vec<[f32; 4]>,
}

impl Texture {
    fn from_image(image: &ColorImage) -> Self {
        Self {
            size: image.size,
            texels: image.pixels.iter().map(|&c| rgba(c)).collect(),
        }
    }

    fn patch(&mut self, at: [usize; 2], image: &ColorImage) {
        for y in 0..image.size[1] {
            for x in 0..image.size[0] {
                let (tx, ty) = (at[0] + x, at[1] + y);
                if tx < self.size[0] && ty < self.size[1] {
                    self.texels[ty * self.size[0] + tx] = rgba(image.pixels[y * image.size[0] + x]);
                }
            }
        }
    }

    fn sample(&self, uv: Pos2) -> [f32; 4] {
        let [width, height] = self.size;
        if width == 0 || height == 0 {
            return [1.0; 4];
        }
        let x = (uv.x * width as f32 - 0.5).clamp(0.0, (width - 1) as f32);
        let y = (uv.y * height as f32 - 0.5).clamp(0.0, (height - 1) as f32);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let t = |x: usize, y: usize| self.texels[y * width + x];
        let mut out = [0.0; 4];
        for (c, value) in out.iter_mut().enumerate() {
            let top = t(x0, y0)[c] * (1.0 - fx) + t(x1, y0)[c] * fx;
            let bottom = t(x0, y1)[c] * (1.0 - fx) + t(x1, y1)[c] * fx;
            *value = top * (1.0 - fy) + bottom * fy;
        }
        out
    }
}

/// Whether edge `a → b` of a counter-clockwise (in screen space: y down) triangle is a top or
/// left edge, for the fill rule that keeps shared edges from being drawn twice.
#[allow(
    clippy::float_cmp,
    reason = "the fill rule is about exactly horizontal edges and centres exactly on an edge"
)]
fn top_left(a: Pos2, b: Pos2) -> bool {
    (a.y == b.y && b.x < a.x) || b.y > a.y
}

fn edge(a: Pos2, b: Pos2, p: Pos2) -> f32 {
    (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)
}

/// Fills one triangle (positions in pixels) inside `clip`.
#[allow(
    clippy::float_cmp,
    clippy::many_single_char_names,
    reason = "a, b, c name the corners as in the textbook edge functions; see top_left"
)]
fn fill_triangle(canvas: &mut Canvas, texture: Option<&Texture>, corners: [Vertex; 3], clip: Rect) {
    let [a, mut b, mut c] = corners;
    let mut area = edge(a.pos, b.pos, c.pos);
    if area == 0.0 {
        return;
    }
    if area < 0.0 {
        std::mem::swap(&mut b, &mut c);
        area = -area;
    }
    let bounds = Rect::from_points(&[a.pos, b.pos, c.pos]).intersect(clip);
    if !bounds.is_positive() {
        return;
    }
    let x0 = bounds.min.x.floor().max(0.0) as usize;
    let y0 = bounds.min.y.floor().max(0.0) as usize;
    let x1 = (bounds.max.x.ceil() as usize).min(canvas.width);
    let y1 = (bounds.max.y.ceil() as usize).min(canvas.height);
    let (ta, tb, tc) = (
        top_left(b.pos, c.pos),
        top_left(c.pos, a.pos),
        top_left(a.pos, b.pos),
    );
    // The fill rule: a pixel centre exactly on an edge belongs to top and left edges only.
    let inside = |w: f32, top_left: bool| w > 0.0 || (w == 0.0 && top_left);
    let colors = [rgba(a.color), rgba(b.color), rgba(c.color)];
    for y in y0..y1 {
        for x in x0..x1 {
            let p = Pos2::new(x as f32 + 0.5, y as f32 + 0.5);
            if !clip.contains(p) {
                continue;
            }
            let wa = edge(b.pos, c.pos, p);
            let wb = edge(c.pos, a.pos, p);
            let wc = edge(a.pos, b.pos, p);
            if !(inside(wa, ta) && inside(wb, tb) && inside(wc, tc)) {
                continue;
            }
            let (la, lb, lc) = (wa / area, wb / area, wc / area);
            let mut src = [0.0f32; 4];
            for (ch, value) in src.iter_mut().enumerate() {
                *value = colors[0][ch] * la + colors[1][ch] * lb + colors[2][ch] * lc;
            }
            if let Some(texture) = texture {
                let uv = Pos2::new(
                    a.uv.x * la + b.uv.x * lb + c.uv.x * lc,
                    a.uv.y * la + b.uv.y * lb + c.uv.y * lc,
                );
                let texel = texture.sample(uv);
                for ch in 0..4 {
                    src[ch] *= texel[ch];
                }
            }
            canvas.blend(x, y, src);
        }
    }
}

/// Renders `ui_fn` into a `width`×`height` pixel image at `pixels_per_point`, with `theme`'s
/// visuals, and returns straight RGBA bytes. The UI runs `passes` passes (at least 1; three
/// let layouts and plot bounds settle) and the last one is drawn.
pub fn render(
    width: u32,
    height: u32,
    pixels_per_point: f32,
    theme: &Theme,
    passes: usize,
    mut ui_fn: impl FnMut(&mut egui::Ui),
) -> Result<Vec<u8>, PngError> {
    if !(200..=8192).contains(&width) || !(200..=8192).contains(&height) {
        return Err(PngError::Size(width, height));
    }
    let ctx = egui::Context::default();
    theme.apply(&ctx);
    ctx.set_pixels_per_point(pixels_per_point);
    let points = Vec2::new(width as f32, height as f32) / pixels_per_point;
    let mut textures: HashMap<TextureId, Texture> = HashMap::new();
    let mut last = None;
    for _ in 0..passes.max(1) {
        let input = egui::RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, points)),
            max_texture_side: Some(8192),
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| {
            egui::Frame::central_panel(ui.style()).show(ui, |ui| {
                ui.set_min_size(ui.available_size());
                ui_fn(ui);
            });
        });
        let mut textures_delta = std::mem::take(&mut output.textures_delta);
        for (id, deltas) in &textures_delta.set {
            for delta in deltas {
                let ImageData::Color(image) = &delta.image;
                match (delta.pos, textures.get_mut(id)) {
                    (Some(pos), Some(texture)) => texture.patch(pos, image),
                    _ => {
                        textures.insert(*id, Texture::from_image(image));
                    }
                }
            }
        }
        for id in &textures_delta.free {
            textures.remove(id);
        }
        textures_delta.clear();
        last = Some(output);
    }
    let Some(output) = last else {
        return Err(PngError::Size(width, height));
    };
    let ppp = output.pixels_per_point;
    let primitives: Vec<ClippedPrimitive> = ctx.tessellate(output.shapes, ppp);
    let mut canvas = Canvas::new(width as usize, height as usize, theme.background);
    for ClippedPrimitive {
        clip_rect,
        primitive,
    } in primitives
    {
        let Primitive::Mesh(mesh) = primitive else {
            continue;
        };
        let clip = Rect::from_min_max(
            (clip_rect.min.to_vec2() * ppp).to_pos2(),
            (clip_rect.max.to_vec2() * ppp).to_pos2(),
        );
        let texture = textures.get(&mesh.texture_id);
        let vertex = |i: u32| {
            let mut v = mesh.vertices[i as usize];
            v.pos = (v.pos.to_vec2() * ppp).to_pos2();
            v
        };
        for tri in mesh.indices.chunks_exact(3) {
            fill_triangle(
                &mut canvas,
                texture,
                [vertex(tri[0]), vertex(tri[1]), vertex(tri[2])],
                clip,
            );
        }
    }
    Ok(canvas.to_bytes())
}

/// Writes straight RGBA bytes as a PNG.
pub fn save_png(path: &Path, width: u32, height: u32, rgba: &[u8]) -> Result<(), PngError> {
    image::save_buffer(path, rgba, width, height, image::ColorType::Rgba8).map_err(|e| {
        PngError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_renders_ink_on_the_background() {
        let theme = Theme::default();
        let bytes = render(200, 200, 1.0, &theme, 3, |ui| {
            ui.heading("GIL");
        })
        .unwrap();
        assert_eq!(bytes.len(), 200 * 200 * 4);
        let bg = theme.background.to_array();
        let differing = bytes.chunks_exact(4).filter(|p| p[..3] != bg[..3]).count();
        // Some text, not a blank or a filled image.
        assert!(differing > 20 && differing < 200 * 200 / 4, "{differing}");
    }

    #[test]
    fn triangles_sharing_an_edge_cover_each_pixel_once() {
        let mut canvas = Canvas::new(4, 4, Color32::TRANSPARENT);
        let v = |x: f32, y: f32| Vertex {
            pos: Pos2::new(x, y),
            uv: Pos2::ZERO,
            color: Color32::from_rgba_premultiplied(0, 0, 0, 128),
        };
        let clip = Rect::from_min_size(Pos2::ZERO, Vec2::splat(4.0));
        fill_triangle(
            &mut canvas,
            None,
            [v(0.0, 0.0), v(4.0, 0.0), v(4.0, 4.0)],
            clip,
        );
        fill_triangle(
            &mut canvas,
            None,
            [v(0.0, 0.0), v(4.0, 4.0), v(0.0, 4.0)],
            clip,
        );
        let alpha = 128.0 / 255.0;
        assert!(canvas.pixels.iter().all(|p| (p[3] - alpha).abs() < 1e-6));
    }

    #[test]
    fn bad_sizes_are_refused() {
        assert!(matches!(
            render(10, 10, 1.0, &Theme::default(), 1, |_| {}),
            Err(PngError::Size(10, 10))
        ));
    }
}
