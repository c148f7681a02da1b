//! The look shared by every chart: palette, sizes, fonts and how numbers are written.

use plotters::style::{FontFamily, RGBColor, TextStyle};

/// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), in the order the
/// series of a chart take their colours: blue, vermillion, bluish green, reddish purple,
/// orange, sky blue, black, yellow. Yellow comes last because it has the least contrast on
/// white; past eight series the colours repeat.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0x00, 0x72, 0xB2),
    (0xD5, 0x5E, 0x00),
    (0x00, 0x9E, 0x73),
    (0xCC, 0x79, 0xA7),
    (0xE6, 0x9F, 0x00),
    (0x56, 0xB4, 0xE9),
    (0x00, 0x00, 0x00),
    (0xF0, 0xE4, 0x42),
];

/// The default chart size in pixels, width × height.
pub const DEFAULT_SIZE: (u32, u32) = (800, 480);

/// The smallest and largest width or height a chart may have, in pixels: below the
/// minimum the title, axes and legend leave no room for the plot.
pub(super) const MIN_SIDE: u32 = 240;
pub(super) const MAX_SIDE: u32 = 8000;

/// Font sizes as passed to plotters. Its SVG backend writes `font-size` as the size
/// divided by 1.24 (its em-to-pixel convention), so these become 21, 16 and 15 px.
pub(super) const TITLE_SIZE: f64 = 26.04;
pub(super) const LABEL_SIZE: f64 = 19.84;
pub(super) const TICK_SIZE: f64 = 18.6;

/// An estimate of one character's width at [`LABEL_SIZE`] in a typical sans-serif font
/// (0.55 em at 16 px), for sizing the legend: the SVG viewer lays out the text itself.
pub(super) const CHAR_PX: u32 = 9;

/// The colour of the `i`-th series.
pub(super) fn colour(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

/// Dark grey for text and axes: high contrast on white, softer than pure black.
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Light grey for the grid lines.
pub(super) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

pub(super) fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FontFamily::SansSerif, size)).color(&INK)
}

/// A number for a tick label: three or four significant digits, no trailing zeros, and
/// scientific notation below 0.001 or from a million up (`2.5e-4`, `1.2e6`).
pub(super) fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.2e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{exp}", trim_zeros(mantissa));
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = trim_zeros(&format!("{v:.decimals$}"));
    if s == "-0" { "0".into() } else { s }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// `text` cut to at most `max` characters, with "…" at the end when cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_written_by_hand() {
        let cases = [
            (0.0, "0"),
            (1.0, "1"),
            (0.25, "0.25"),
            (0.1 + 0.2, "0.3"),
            (12.5, "12.5"),
            (1500.0, "1500"),
            (-3.75, "-3.75"),
            (0.0001, "1e-4"),
            (2.5e-4, "2.5e-4"),
            (1.234e7, "1.23e7"),
            (123456.0, "123456"),
            (-0.00001, "-1e-5"),
        ];
        for (v, want) in cases {
            assert_eq!(fmt_num(v), want, "{v}");
        }
        assert_eq!(fmt_num(f64::NAN), "");
    }

    #[test]
    fn truncation_keeps_short_text_and_marks_cut_text() {
        assert_eq!(truncate("api", 5), "api");
        assert_eq!(truncate("abcdefgh", 5), "abcd…");
        assert_eq!(truncate("λλλλλλ", 3), "λλ…");
    }
}
