//! Bar charts drawn on the server as SVG: no script, no library, styled by the page's CSS (the
//! Content-Security-Policy allows no inline style). Every chart has a table beside it with the
//! same figures, for screen readers and for reading exact values.

use std::fmt::Write;

/// One bar: its axis label, its value, and the value as the page writes it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
const LEFT: f64 = 8.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The chart as an `<svg>` element titled `title`; bars scale to the largest value (a chart of
/// zeros is a flat line, not a division by zero).
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let n = bars.len().max(1) as f64;
    let slot = (WIDTH - LEFT * 2.0) / n;
    let plot = HEIGHT - TOP - BOTTOM;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}" preserveAspectRatio="none"><title>{t}</title>"#,
        t = escape(title)
    );
    let base = TOP + plot;
    let _ = write!(svg, r#"<line class="axis" x1="{LEFT}" y1="{base}" x2="{}" y2="{base}"/>"#, WIDTH - LEFT);
    // Every other label when there are many bars: a phone has room for six or so.
    let every = if bars.len() > 8 { 2 } else { 1 };
    for (i, b) in bars.iter().enumerate() {
        let h = if max > 0.0 { (b.value.max(0.0) / max) * plot } else { 0.0 };
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let w = slot * 0.7;
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}"><title>{}: {}</title></rect>"#,
            base - h,
            escape(&b.label),
            escape(&b.text)
        );
        if i % every == 0 {
            let _ = write!(
                svg,
                r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + w / 2.0,
                HEIGHT - 8.0,
                escape(&b.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64) -> Bar {
        Bar { label: label.into(), value, text: value.to_string() }
    }

    #[test]
    fn d1_bars_scale_to_the_largest_value_and_labels_are_escaped() {
        let svg = bars("New <customers>", &[bar("a", 2.0), bar("b&c", 4.0), bar("c", 0.0)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("New &lt;customers&gt;"));
        assert!(svg.contains("b&amp;c"));
        // The tallest bar fills the plot (220 - 12 - 28 = 180), half of it is 90, zero is 0.
        assert!(svg.contains(r#"height="180.0""#), "{svg}");
        assert!(svg.contains(r#"height="90.0""#), "{svg}");
        assert!(svg.contains(r#"height="0.0""#), "{svg}");
        assert!(!svg.contains("style="), "no inline style: the CSP forbids it");
    }

    #[test]
    fn d1_a_chart_of_zeros_or_of_nothing_draws_without_dividing_by_zero() {
        let svg = bars("t", &[bar("a", 0.0), bar("b", 0.0)]);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert!(!bars("t", &[]).contains("NaN"));
    }
}
