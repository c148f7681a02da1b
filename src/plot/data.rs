//! The data types the line-like charts share: axes, series and markers.

/// The largest magnitude a linear axis shows; larger values are left out, so a range and
/// its margins stay finite.
pub(super) const LIMIT: f64 = 1e300;
/// The largest value a logarithmic axis shows, and the inverse of the smallest: plotters
/// needs the ratio of a log axis' ends to be finite (it counts the decades).
pub(super) const LOG_LIMIT: f64 = 1e150;

/// How an axis maps values to positions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Evenly spaced powers of ten; values ≤ 0 are left out (and so are values below
    /// 10^−150 or above 10^150).
    Log,
}

/// One axis of a chart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Axis {
    /// The label, with its unit (`latency (ms)`): drawn as given.
    pub label: String,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// A fixed range `(lo, hi)`; `None` fits the data. Must have `lo < hi` (and not so
    /// close that the axis cannot tell them apart: more than 10^−9 of their size), both
    /// values the axis accepts (within ±10^300 on a linear axis, from 10^−150 to 10^150 on
    /// a logarithmic one). Points outside it are left out.
    pub range: Option<(f64, f64)>,
}

impl Axis {
    /// A linear axis fitted to the data.
    pub fn linear(label: impl Into<String>) -> Self {
        Axis {
            label: label.into(),
            scale: Scale::Linear,
            range: None,
        }
    }

    /// A logarithmic axis fitted to the data.
    pub fn log(label: impl Into<String>) -> Self {
        Axis {
            label: label.into(),
            scale: Scale::Log,
            range: None,
        }
    }

    /// The same axis with a fixed range.
    pub fn range(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some((lo, hi));
        self
    }

    /// Whether the axis is logarithmic.
    pub fn is_log(&self) -> bool {
        self.scale == Scale::Log
    }

    /// Whether `v` can be placed on this axis: within ±10^300 on a linear axis, from
    /// 10^−150 to 10^150 on a logarithmic one.
    pub(super) fn accepts(&self, v: f64) -> bool {
        if self.is_log() {
            (1.0 / LOG_LIMIT..=LOG_LIMIT).contains(&v)
        } else {
            v.is_finite() && v.abs() <= LIMIT
        }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SeriesStyle {
    /// Straight segments between the points.
    #[default]
    Line,
    /// Each value held until the next point's x (a count per time window, an empirical
    /// distribution).
    Step,
    /// A dashed line: a closed form or a model, drawn beside measured points.
    Dashed,
    /// One dot per point, unconnected.
    Points,
}

/// A named series of `(x, y)` points.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// The name in the legend; an empty name has no legend entry.
    pub name: String,
    /// The points, in the order they are joined (sorted by x for a line).
    pub points: Vec<(f64, f64)>,
    /// How the points are drawn.
    pub style: SeriesStyle,
    /// A confidence band `(x, lo, hi)` (95 %, say) drawn as a translucent area in the
    /// series' colour; empty for none.
    pub band: Vec<(f64, f64, f64)>,
    /// The position in [`crate::plot::PALETTE`] of its colour; `None`: its position among
    /// the chart's series. Lets a closed form share the colour of the points it goes with.
    pub colour: Option<usize>,
}

impl Series {
    /// A series drawn as a line.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            style: SeriesStyle::Line,
            band: Vec::new(),
            colour: None,
        }
    }

    /// The same series drawn another way.
    pub fn style(mut self, style: SeriesStyle) -> Self {
        self.style = style;
        self
    }

    /// The same series in the palette's colour `i` (wrapping around the palette).
    pub fn colour(mut self, i: usize) -> Self {
        self.colour = Some(i);
        self
    }

    /// The same series with a confidence band `(x, lo, hi)`.
    pub fn band(mut self, band: Vec<(f64, f64, f64)>) -> Self {
        self.band = band;
        self
    }
}

/// A vertical line at `x` across the plot, with a label at its top ("crossover at
/// 12.3 req/s").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marker {
    /// Where, in the x axis' unit.
    pub x: f64,
    /// The label; may be empty.
    pub label: String,
}

impl Marker {
    /// A marker at `x`.
    pub fn new(x: f64, label: impl Into<String>) -> Self {
        Marker {
            x,
            label: label.into(),
        }
    }
}
