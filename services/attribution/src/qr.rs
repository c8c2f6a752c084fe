//! L1: QR codes of links, as SVG or PNG (black on white, 8 pixels a module, a quiet zone of 4).

use qrcode::QrCode;
use qrcode::render::svg;

const SCALE: usize = 8;
const QUIET: usize = 4;

pub fn svg(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::new(text.as_bytes())?;
    Ok(code.render::<svg::Color<'_>>().module_dimensions(SCALE as u32, SCALE as u32).build().into_bytes())
}

pub fn png(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::new(text.as_bytes())?;
    let width = code.width();
    let dark = code.to_colors();
    let side = (width + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in dark.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i % width + QUIET, i / width + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header()?;
        w.write_image_data(&pixels)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn l1_qr_codes_render_as_svg_and_png() {
        let s = String::from_utf8(svg("https://p.example/r/Ab3dEf9hJk").unwrap()).unwrap();
        assert!(s.contains("<svg") && s.contains("</svg>"));
        let p = png("https://p.example/r/Ab3dEf9hJk").unwrap();
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(p));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width as usize % SCALE, 0);
    }
}
