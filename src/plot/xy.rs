//! The x–y plot every chart but the stacked bars is drawn with: fits the axes to the data,
//! leaves out what the axes cannot show, and draws bands, bars, series, point labels and
//! markers in that order (so lines stay on top of areas).

use std::ops::Range;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::data::{Axis, LIMIT, Marker, Series, SeriesStyle};
use super::frame::{self, Area, LegendEntry, Swatch};
use super::style::{GRID, INK, LABEL_SIZE, TICK_SIZE, colour, fmt_num, font};

/// Bars over x intervals: `(lo, hi, height)` each.
pub(super) struct Bars {
    pub name: String,
    pub colour: usize,
    pub bins: Vec<(f64, f64, f64)>,
}

/// Everything an x–y plot shows. Series `i` takes colour `i` of the palette.
pub(super) struct XyPlot<'a> {
    pub title: &'a str,
    pub size: (u32, u32),
    pub x: &'a Axis,
    pub y: &'a Axis,
    pub series: &'a [Series],
    pub markers: &'a [Marker],
    pub bars: &'a [Bars],
    /// Text beside a point: `(x, y, text)`.
    pub labels: &'a [(f64, f64, String)],
    /// Leave a margin around the data on x (points at the edge stay whole).
    pub pad_x: bool,
}

/// The data left once what the axes cannot show is left out.
struct Kept {
    series: Vec<Vec<(f64, f64)>>,
    bands: Vec<Vec<(f64, f64, f64)>>,
    bars: Vec<Vec<(f64, f64, f64)>>,
    markers: Vec<(f64, String)>,
    labels: Vec<(f64, f64, String)>,
    x: Range<f64>,
    y: Range<f64>,
}

impl XyPlot<'_> {
    /// The SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        let kept = self.keep()?;
        let legend = match &kept {
            Some(_) => self.legend(),
            None => Vec::new(),
        };
        frame::render(self.title, self.size, &legend, |area| match &kept {
            None => frame::no_data(area, self.title),
            Some(k) => {
                let (x, y) = (k.x.clone(), k.y.clone());
                match (self.x.is_log(), self.y.is_log()) {
                    (false, false) => self.draw(area, x, y, k),
                    (true, false) => self.draw(area, x.log_scale(), y, k),
                    (false, true) => self.draw(area, x, y.log_scale(), k),
                    (true, true) => self.draw(area, x.log_scale(), y.log_scale(), k),
                }
            }
        })
    }

    /// The palette position of series `i`'s colour.
    fn series_colour(&self, i: usize) -> usize {
        self.series.get(i).and_then(|s| s.colour).unwrap_or(i)
    }

    fn legend(&self) -> Vec<LegendEntry> {
        let series = self.series.iter().enumerate().map(|(i, s)| LegendEntry {
            name: s.name.clone(),
            colour: colour(s.colour.unwrap_or(i)),
            swatch: match s.style {
                SeriesStyle::Line | SeriesStyle::Step => Swatch::Line,
                SeriesStyle::Dashed => Swatch::Dashed,
                SeriesStyle::Points => Swatch::Point,
            },
        });
        let bars = self.bars.iter().map(|b| LegendEntry {
            name: b.name.clone(),
            colour: colour(b.colour),
            swatch: Swatch::Box,
        });
        series.chain(bars).filter(|e| !e.name.is_empty()).collect()
    }

    /// Leaves out what cannot be drawn and fits the axes; `None` when nothing is left.
    fn keep(&self) -> Result<Option<Kept>, PlotError> {
        let fixed_x = checked_range(self.title, "x.range", self.x)?;
        let fixed_y = checked_range(self.title, "y.range", self.y)?;
        let on_x = |v: f64| self.x.accepts(v) && fixed_x.as_ref().is_none_or(|r| within(r, v));
        let on_y = |v: f64| self.y.accepts(v) && fixed_y.as_ref().is_none_or(|r| within(r, v));
        let series: Vec<Vec<(f64, f64)>> = self
            .series
            .iter()
            .map(|s| {
                let mut pts: Vec<_> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|&(x, y)| on_x(x) && on_y(y))
                    .collect();
                if s.style == SeriesStyle::Step {
                    pts = steps(&pts);
                }
                pts
            })
            .collect();
        // A band keeps its x where its upper end can be drawn; its lower end is raised
        // to the axis' bottom below (a log axis has no 0).
        let bands: Vec<Vec<(f64, f64, f64)>> = self
            .series
            .iter()
            .map(|s| {
                s.band
                    .iter()
                    .copied()
                    .filter(|&(x, lo, hi)| on_x(x) && lo.is_finite() && on_y(hi) && lo <= hi)
                    .collect()
            })
            .collect();
        let bars: Vec<Vec<(f64, f64, f64)>> = self
            .bars
            .iter()
            .map(|b| {
                b.bins
                    .iter()
                    .copied()
                    .filter(|&(lo, hi, h)| on_x(lo) && on_x(hi) && lo < hi && on_y(h) && h >= 0.0)
                    .collect()
            })
            .collect();
        let nothing = series.iter().all(Vec::is_empty)
            && bands.iter().all(Vec::is_empty)
            && bars.iter().all(Vec::is_empty);
        if nothing {
            return Ok(None);
        }
        let markers: Vec<(f64, String)> = self
            .markers
            .iter()
            .filter(|m| on_x(m.x))
            .map(|m| (m.x, m.label.clone()))
            .collect();
        let labels: Vec<(f64, f64, String)> = self
            .labels
            .iter()
            .filter(|(x, y, _)| on_x(*x) && on_y(*y))
            .cloned()
            .collect();

        let xs = series.iter().flatten().map(|p| p.0);
        let xs = xs.chain(bands.iter().flatten().map(|b| b.0));
        let xs = xs.chain(bars.iter().flatten().flat_map(|b| [b.0, b.1]));
        let xs = xs.chain(markers.iter().map(|m| m.0));
        let ys = series.iter().flatten().map(|p| p.1);
        let ys = ys.chain(bands.iter().flatten().flat_map(|b| [b.1, b.2]));
        let ys = ys.chain(bars.iter().flatten().map(|b| b.2));
        // A log axis cannot show a band's lower end at or below 0: fit to the rest.
        let ys = ys.filter(|&v| self.y.accepts(v));
        let x = fixed_x.unwrap_or_else(|| fit(self.x, xs, self.pad_x, false));
        let y = fixed_y.unwrap_or_else(|| fit(self.y, ys, false, true));
        Ok(Some(Kept {
            series,
            bands,
            bars,
            markers,
            labels,
            x,
            y,
        }))
    }

    fn draw<X, Y>(&self, area: &Area, x: X, y: Y, k: &Kept) -> Result<(), PlotError>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let err = frame::draw_err(self.title);
        let mut chart = ChartBuilder::on(area)
            .margin(10)
            .margin_right(28)
            .x_label_area_size(64)
            .y_label_area_size(100)
            .build_cartesian_2d(x, y)
            .map_err(&err)?;
        let format = |v: &f64| fmt_num(*v);
        chart
            .configure_mesh()
            .x_desc(self.x.label.as_str())
            .y_desc(self.y.label.as_str())
            .label_style(font(TICK_SIZE))
            .axis_desc_style(font(LABEL_SIZE))
            .axis_style(INK.stroke_width(1))
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(RGBColor(0xF2, 0xF2, 0xF2).stroke_width(1))
            .max_light_lines(4)
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&format)
            .y_label_formatter(&format)
            .draw()
            .map_err(&err)?;

        let bottom = k.y.start;
        for (i, band) in k.bands.iter().enumerate() {
            if band.is_empty() {
                continue;
            }
            // The upper ends left to right, then the lower ends back.
            let mut outline: Vec<(f64, f64)> = band.iter().map(|&(x, _, hi)| (x, hi)).collect();
            outline.extend(band.iter().rev().map(|&(x, lo, _)| (x, lo.max(bottom))));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    colour(self.series_colour(i)).mix(0.2).filled(),
                )))
                .map_err(&err)?;
        }
        for (bars, kept) in self.bars.iter().zip(&k.bars) {
            let fill = colour(bars.colour).filled();
            chart
                .draw_series(kept.iter().map(|&(lo, hi, h)| {
                    let mut bar = Rectangle::new([(lo, bottom), (hi, h)], fill);
                    bar.set_margin(0, 0, 1, 1);
                    bar
                }))
                .map_err(&err)?;
        }
        for (i, (series, pts)) in self.series.iter().zip(&k.series).enumerate() {
            if pts.is_empty() {
                continue;
            }
            let c = colour(series.colour.unwrap_or(i));
            match series.style {
                SeriesStyle::Line | SeriesStyle::Step => chart
                    .draw_series(std::iter::once(PathElement::new(
                        pts.clone(),
                        c.stroke_width(3),
                    )))
                    .map(drop),
                SeriesStyle::Dashed => chart
                    .draw_series(std::iter::once(DashedPathElement::new(
                        pts.clone(),
                        10,
                        6,
                        c.stroke_width(3),
                    )))
                    .map(drop),
                SeriesStyle::Points => chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 5, c.filled())))
                    .map(drop),
            }
            .map_err(&err)?;
        }
        let beside = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Bottom));
        chart
            .draw_series(k.labels.iter().map(|(x, y, text)| {
                EmptyElement::at((*x, *y)) + Text::new(text.clone(), (8, -4), beside.clone())
            }))
            .map_err(&err)?;

        let (top, (x_lo, x_hi)) = (k.y.end, (k.x.start, k.x.end));
        for (i, (mx, label)) in k.markers.iter().enumerate() {
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(*mx, bottom), (*mx, top)],
                    8,
                    5,
                    INK.stroke_width(2),
                )))
                .map_err(&err)?;
            // Right of the line, or left of it in the right part of the plot, so the
            // label stays inside; each marker's label a row lower than the one before.
            let right_part = if self.x.is_log() {
                (mx / x_lo).ln() / (x_hi / x_lo).ln() > 0.6
            } else {
                (mx - x_lo) / (x_hi - x_lo) > 0.6
            };
            let (h, dx) = if right_part {
                (HPos::Right, -6)
            } else {
                (HPos::Left, 6)
            };
            let style = font(TICK_SIZE).pos(Pos::new(h, VPos::Top));
            let row = 6 + 22 * (i as i32 % 8);
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((*mx, top)) + Text::new(label.clone(), (dx, row), style),
                ))
                .map_err(&err)?;
        }
        Ok(())
    }
}

fn within(r: &Range<f64>, v: f64) -> bool {
    r.start <= v && v <= r.end
}

/// Whether `lo..hi` is too narrow for the axis to tell its ends apart (plotters would
/// look for tick positions forever).
fn too_narrow(lo: f64, hi: f64) -> bool {
    hi - lo <= (lo.abs().max(hi.abs()) * 1e-9).max(1.0 / LIMIT)
}

/// The axis' fixed range, checked.
fn checked_range(chart: &str, field: &str, axis: &Axis) -> Result<Option<Range<f64>>, PlotError> {
    let Some((lo, hi)) = axis.range else {
        return Ok(None);
    };
    if !(axis.accepts(lo) && axis.accepts(hi) && lo < hi) || too_narrow(lo, hi) {
        let expected = if axis.is_log() {
            "10^-150 <= lo < hi <= 10^150 on a logarithmic axis"
        } else {
            "-10^300 <= lo < hi <= 10^300"
        };
        return Err(frame::invalid(
            chart,
            field,
            format!(
                "({lo}, {hi}) is not a range the axis can show: expected {expected}, hi - lo more than 10^-9 of their size"
            ),
        ));
    }
    Ok(Some(lo..hi))
}

/// The range that shows `values` (at least one, all on the axis). A logarithmic axis
/// spans whole powers of ten, so it always has tick labels; a linear axis of values ≥ 0
/// starts at 0 when `from_zero`, and the top gets 5 % of room.
fn fit(axis: &Axis, values: impl Iterator<Item = f64>, pad: bool, from_zero: bool) -> Range<f64> {
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        // Only bands with their lower ends out of the axis: any range will do.
        return if axis.is_log() { 1.0..10.0 } else { 0.0..1.0 };
    }
    if axis.is_log() {
        if pad {
            (lo, hi) = (lo / 1.5, hi * 1.5);
        }
        let lo = 10f64.powf(lo.log10().floor());
        let hi = 10f64.powf(hi.log10().ceil());
        return if lo < hi { lo..hi } else { lo..lo * 10.0 };
    }
    let zero_based = from_zero && lo >= 0.0;
    if zero_based {
        lo = 0.0;
    }
    if too_narrow(lo, hi) {
        // One value (or values the axis cannot tell apart): 10 % of it either side, or
        // 1 around 0.
        let mid = lo / 2.0 + hi / 2.0;
        let d = if mid.abs() < 1.0 / LIMIT {
            1.0
        } else {
            mid.abs() * 0.1
        };
        let lo = if zero_based { 0.0 } else { mid - d };
        return lo..mid + d;
    }
    let span = hi - lo;
    if pad {
        lo -= span * 0.05;
        hi += span * 0.05;
    } else if from_zero {
        hi += span * 0.05;
        if lo < 0.0 {
            lo -= span * 0.05;
        }
    }
    lo..hi
}

/// A step line through `pts`: each y held until the next point's x.
fn steps(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(pts.len() * 2);
    for (i, &(x, y)) in pts.iter().enumerate() {
        if i > 0 {
            out.push((x, pts[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_line_holds_each_value_until_the_next_x() {
        let got = steps(&[(0.0, 1.0), (2.0, 3.0), (5.0, 0.0)]);
        let want = [(0.0, 1.0), (2.0, 1.0), (2.0, 3.0), (5.0, 3.0), (5.0, 0.0)];
        assert_eq!(got, want);
    }

    #[test]
    fn a_log_axis_spans_whole_powers_of_ten() {
        let r = fit(&Axis::log("x"), [2.0, 30.0].into_iter(), false, true);
        assert_eq!((r.start, r.end), (1.0, 100.0));
        let r = fit(&Axis::log("x"), [5.0].into_iter(), false, true);
        assert_eq!((r.start, r.end), (1.0, 10.0));
        let r = fit(&Axis::log("x"), [10.0].into_iter(), false, true);
        assert_eq!((r.start, r.end), (10.0, 100.0));
    }

    #[test]
    fn a_linear_axis_of_counts_starts_at_zero_with_room_on_top() {
        let r = fit(&Axis::linear("y"), [10.0, 30.0].into_iter(), false, true);
        assert_eq!((r.start, r.end), (0.0, 31.5));
        let r = fit(&Axis::linear("y"), [-10.0, 10.0].into_iter(), false, true);
        assert_eq!((r.start, r.end), (-11.0, 11.0));
        let r = fit(&Axis::linear("x"), [4.0, 4.0].into_iter(), false, false);
        assert!((r.start - 3.6).abs() < 1e-12 && (r.end - 4.4).abs() < 1e-12);
    }
}
