//! L1: a poster as a PNG — the merchant's background colour and headline, the link's QR code on a
//! white card, the partner's name, the printed short address and the last day it is valid.
//! Text is set in DejaVu Sans Bold (embedded; its licence is beside it in `assets/`), which covers
//! Latin, Greek and Cyrillic; characters outside it (e.g. CJK) print as the font's empty box.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use qrcode::QrCode;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans-Bold.ttf");

pub const WIDTH: usize = 800;
pub const HEIGHT: usize = 1100;
const MARGIN: f32 = 48.0;

/// What a poster shows.
#[derive(Debug, Clone)]
pub struct Poster<'a> {
    pub background: Rgb,
    pub text_color: Rgb,
    pub headline: &'a str,
    pub partner_name: &'a str,
    /// The printed address, also what the QR code encodes.
    pub url: &'a str,
    /// e.g. "Valid until 2026-07-01"
    pub validity: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    /// `#RRGGBB` (case-insensitive).
    pub fn parse(s: &str) -> Option<Rgb> {
        let hex = s.strip_prefix('#').filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()))?;
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Rgb([byte(0)?, byte(2)?, byte(4)?]))
    }

    /// Relative luminance in 0..=255, enough to tell a light colour from a dark one.
    fn luma(self) -> u32 {
        let [r, g, b] = self.0;
        (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000
    }
}

struct Canvas {
    px: Vec<u8>,
}

impl Canvas {
    fn new(bg: Rgb) -> Canvas {
        Canvas { px: bg.0.iter().copied().cycle().take(WIDTH * HEIGHT * 3).collect() }
    }

    fn blend(&mut self, x: usize, y: usize, c: Rgb, coverage: f32) {
        if x >= WIDTH || y >= HEIGHT {
            return;
        }
        let a = coverage.clamp(0.0, 1.0);
        let i = (y * WIDTH + x) * 3;
        for (k, v) in c.0.iter().enumerate() {
            let old = f32::from(self.px[i + k]);
            self.px[i + k] = (old + (f32::from(*v) - old) * a).round() as u8;
        }
    }

    fn fill(&mut self, x0: usize, y0: usize, w: usize, h: usize, c: Rgb) {
        for y in y0..(y0 + h).min(HEIGHT) {
            for x in x0..(x0 + w).min(WIDTH) {
                self.blend(x, y, c, 1.0);
            }
        }
    }

    /// Draws `line` centred horizontally with its baseline at `baseline`.
    fn text_line(&mut self, font: &FontRef<'_>, size: f32, line: &str, baseline: f32, c: Rgb) {
        let width = measure(font, size, line);
        let mut x = (WIDTH as f32 - width) / 2.0;
        let scaled = font.as_scaled(PxScale::from(size));
        let mut prev = None;
        for ch in line.chars() {
            let id = font.glyph_id(ch);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(size, point(x, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, cov| {
                    let (px, py) = (b.min.x + gx as f32, b.min.y + gy as f32);
                    if px >= 0.0 && py >= 0.0 {
                        self.blend(px as usize, py as usize, c, cov);
                    }
                });
            }
            x += scaled.h_advance(id);
            prev = Some(id);
        }
    }
}

fn measure(font: &FontRef<'_>, size: f32, line: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut prev = None;
    let mut w = 0.0;
    for ch in line.chars() {
        let id = font.glyph_id(ch);
        if let Some(p) = prev {
            w += scaled.kern(p, id);
        }
        w += scaled.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Breaks `text` into lines no wider than the poster's text width, at most `max_lines` (the last
/// one ends in "…" when the text is longer). Words longer than a line are cut.
fn wrap(font: &FontRef<'_>, size: f32, text: &str, max_lines: usize) -> Vec<String> {
    let room = WIDTH as f32 - 2.0 * MARGIN;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if measure(font, size, &candidate) <= room {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        let mut piece = String::new();
        for ch in word.chars() {
            piece.push(ch);
            if measure(font, size, &piece) > room {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(ch);
            }
        }
        current = piece;
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && measure(font, size, &format!("{last}…")) > room {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

pub fn render(p: &Poster<'_>) -> anyhow::Result<Vec<u8>> {
    let font = FontRef::try_from_slice(FONT)?;
    let mut canvas = Canvas::new(p.background);
    // The headline: up to three lines at the top.
    let mut baseline = MARGIN + 52.0;
    for line in wrap(&font, 48.0, p.headline, 3) {
        canvas.text_line(&font, 48.0, &line, baseline, p.text_color);
        baseline += 60.0;
    }
    // The QR code on a white card, as large as fits, whole modules only.
    let code = QrCode::new(p.url.as_bytes())?;
    let modules = code.width();
    let card = 520usize;
    let quiet = 4usize;
    let scale = (card / (modules + 2 * quiet)).max(1);
    let side = scale * (modules + 2 * quiet);
    let (cx, cy) = ((WIDTH - card) / 2, 250usize);
    let white = Rgb([255, 255, 255]);
    canvas.fill(cx, cy, card, card, white);
    let (ox, oy) = (cx + (card - side) / 2 + quiet * scale, cy + (card - side) / 2 + quiet * scale);
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            canvas.fill(ox + (i % modules) * scale, oy + (i / modules) * scale, scale, scale, Rgb([0, 0, 0]));
        }
    }
    // Under it: the partner, the address to type, the validity.
    let mut baseline = (cy + card) as f32 + 80.0;
    for line in wrap(&font, 40.0, p.partner_name, 2) {
        canvas.text_line(&font, 40.0, &line, baseline, p.text_color);
        baseline += 50.0;
    }
    for line in wrap(&font, 26.0, p.url, 2) {
        canvas.text_line(&font, 26.0, &line, baseline + 10.0, p.text_color);
        baseline += 34.0;
    }
    // The validity in a band that contrasts with the background.
    let band = if p.background.luma() > 128 { Rgb([0, 0, 0]) } else { Rgb([255, 255, 255]) };
    let ink = if band == Rgb([0, 0, 0]) { Rgb([255, 255, 255]) } else { Rgb([0, 0, 0]) };
    canvas.fill(0, HEIGHT - 90, WIDTH, 90, band);
    canvas.text_line(&font, 28.0, p.validity, (HEIGHT - 35) as f32, ink);

    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH as u32, HEIGHT as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header()?;
        w.write_image_data(&canvas.px)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn decode(png_bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        (info, buf)
    }

    fn pixel(buf: &[u8], x: usize, y: usize) -> [u8; 3] {
        let i = (y * WIDTH + x) * 3;
        [buf[i], buf[i + 1], buf[i + 2]]
    }

    #[test]
    fn l1_a_poster_is_a_png_in_the_merchants_colours_with_the_qr_code_and_text() {
        let p = Poster {
            background: Rgb::parse("#1f3a5f").unwrap(),
            text_color: Rgb::parse("#FFFFFF").unwrap(),
            headline: "Fresh roasted coffee, delivered — scan to order",
            partner_name: "Caffè Roma",
            url: "https://partners.example.com/r/Ab3dEf9hJk",
            validity: "Valid until 2026-07-01",
        };
        let (info, buf) = decode(&render(&p).unwrap());
        assert_eq!((info.width as usize, info.height as usize), (WIDTH, HEIGHT));
        // The background is the merchant's colour, the card is white, the QR has dark modules.
        assert_eq!(pixel(&buf, 5, 200), [0x1f, 0x3a, 0x5f]);
        assert_eq!(pixel(&buf, (WIDTH - 520) / 2 + 3, 253), [255, 255, 255]);
        let card: Vec<[u8; 3]> =
            (250..770).flat_map(|y| (140..660).map(move |x| (x, y))).map(|(x, y)| pixel(&buf, x, y)).collect();
        assert!(card.contains(&[0, 0, 0]));
        // Text was drawn: the headline area holds white ink on the blue background.
        let headline_ink = (48..230)
            .flat_map(|y| (0..WIDTH).map(move |x| (x, y)))
            .filter(|(x, y)| pixel(&buf, *x, *y) == [255, 255, 255]);
        assert!(headline_ink.count() > 500);
        // The validity band contrasts with a dark background: white band, black ink.
        assert_eq!(pixel(&buf, 2, HEIGHT - 2), [255, 255, 255]);
        assert!((HEIGHT - 80..HEIGHT - 20).any(|y| (0..WIDTH).any(|x| pixel(&buf, x, y) == [0, 0, 0])));
    }

    #[test]
    fn long_text_wraps_within_the_margins_and_is_cut_with_an_ellipsis() {
        let font = FontRef::try_from_slice(FONT).unwrap();
        let long = "word ".repeat(200);
        let lines = wrap(&font, 48.0, &long, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'));
        for l in &lines {
            assert!(measure(&font, 48.0, l) <= WIDTH as f32 - 2.0 * MARGIN);
        }
        let unbroken = "x".repeat(300);
        assert!(wrap(&font, 48.0, &unbroken, 10).iter().all(|l| measure(&font, 48.0, l) <= WIDTH as f32 - 96.0));
    }

    #[test]
    fn colours_are_hash_and_six_hex_digits() {
        assert_eq!(Rgb::parse("#00ff7F"), Some(Rgb([0, 255, 127])));
        for bad in ["00ff7f", "#00ff7", "#00ff7g", "", "#00ff7f0"] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }
}
