//! What every chart has around its plot: the SVG document, the title, the legend on the
//! right and the "no data" notice.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::style::{CHAR_PX, LABEL_SIZE, MAX_SIDE, MIN_SIDE, TITLE_SIZE, font, truncate};

/// A drawing area in pixels.
pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Swatch {
    Line,
    Dashed,
    Point,
    Box,
}

/// One entry of the legend.
pub(super) struct LegendEntry {
    pub name: String,
    pub colour: RGBColor,
    pub swatch: Swatch,
}

/// A closure turning a plotters error into a [`PlotError`] naming the chart.
pub(super) fn draw_err<E: std::fmt::Display>(chart: &str) -> impl Fn(E) -> PlotError + '_ {
    move |e| PlotError::Draw {
        chart: chart.to_string(),
        message: e.to_string(),
    }
}

/// An invalid setting of chart `chart`.
pub(super) fn invalid(chart: &str, field: &str, message: String) -> PlotError {
    PlotError::Invalid {
        chart: chart.to_string(),
        field: field.to_string(),
        message,
    }
}

/// Draws a chart: a white page of `size` with `title` on top and `legend` on the right,
/// and `body` drawing the plot in the rest. Returns the SVG document.
pub(super) fn render(
    title: &str,
    size: (u32, u32),
    legend: &[LegendEntry],
    body: impl FnOnce(&Area) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    for (side, v) in [("width", size.0), ("height", size.1)] {
        if !(MIN_SIDE..=MAX_SIDE).contains(&v) {
            return Err(invalid(
                title,
                "size",
                format!("{side} {v} px is out of range: expected {MIN_SIDE} to {MAX_SIDE} px"),
            ));
        }
    }
    let err = draw_err(title);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let below_title = root.titled(title, font(TITLE_SIZE)).map_err(&err)?;
        let plot = if legend.is_empty() {
            below_title
        } else {
            let width = legend_width(legend, size.0);
            let (plot, key) = below_title.split_horizontally(size.0 - width);
            draw_legend(&key, legend, width).map_err(&err)?;
            plot
        };
        body(&plot)?;
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

/// Room for the longest name, but at most a third of the chart.
fn legend_width(legend: &[LegendEntry], chart_width: u32) -> u32 {
    let longest = legend
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0) as u32;
    (longest * CHAR_PX + SWATCH_ROOM)
        .max(120)
        .min(chart_width / 3)
}

/// The pixels left of a legend entry's name: margin, swatch, gap.
const SWATCH_ROOM: u32 = 60;
const ROW_PX: i32 = 30;

fn draw_legend(
    area: &Area,
    legend: &[LegendEntry],
    width: u32,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let max_chars = (width.saturating_sub(SWATCH_ROOM) / CHAR_PX).max(1) as usize;
    let rows = ((area.dim_in_pixel().1 as i32 - 20) / ROW_PX).max(1) as usize;
    let text = font(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, entry) in legend.iter().enumerate() {
        let y = 30 + ROW_PX * i as i32;
        if i + 1 == rows && legend.len() > rows {
            let more = format!("… {} more", legend.len() - i);
            area.draw(&Text::new(more, (10, y), text.clone()))?;
            break;
        }
        let c = entry.colour;
        match entry.swatch {
            Swatch::Line => {
                area.draw(&PathElement::new(vec![(10, y), (42, y)], c.stroke_width(3)))?
            }
            Swatch::Dashed => area.draw(&DashedPathElement::new(
                vec![(10, y), (42, y)],
                6,
                4,
                c.stroke_width(3),
            ))?,
            Swatch::Point => area.draw(&Circle::new((26, y), 5, c.filled()))?,
            Swatch::Box => area.draw(&Rectangle::new([(14, y - 8), (38, y + 8)], c.filled()))?,
        }
        let name = truncate(&entry.name, max_chars);
        area.draw(&Text::new(name, (50, y), text.clone()))?;
    }
    Ok(())
}

/// Says "no data" in the middle of `area`.
pub(super) fn no_data(area: &Area, chart: &str) -> Result<(), PlotError> {
    let (w, h) = area.dim_in_pixel();
    let style = font(TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new("no data", (w as i32 / 2, h as i32 / 2), style))
        .map_err(draw_err(chart))
}
