//! Line charts and the two kinds built on them: distributions (CDF) and time lines.

use super::PlotError;
use super::data::{Axis, Marker, Series, SeriesStyle};
use super::style::DEFAULT_SIZE;
use super::xy::XyPlot;

/// Named series over two axes, with optional confidence bands and vertical markers.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// The title on top.
    pub title: String,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
    /// The series; the `i`-th takes colour `i` of [`PALETTE`](super::PALETTE).
    pub series: Vec<Series>,
    /// Vertical lines with a label.
    pub markers: Vec<Marker>,
    /// Width × height in pixels.
    pub size: (u32, u32),
}

impl Default for LineChart {
    fn default() -> Self {
        LineChart {
            title: String::new(),
            x: Axis::default(),
            y: Axis::default(),
            series: Vec::new(),
            markers: Vec::new(),
            size: DEFAULT_SIZE,
        }
    }
}

impl LineChart {
    /// The SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        XyPlot {
            title: &self.title,
            size: self.size,
            x: &self.x,
            y: &self.y,
            series: &self.series,
            markers: &self.markers,
            bars: &[],
            labels: &[],
            pad_x: self.series.iter().any(|s| s.style == SeriesStyle::Points),
        }
        .to_svg()
    }
}

/// Cumulative distributions: one step line per series (all requests, warm, cold, ...)
/// from `(value, cumulative fraction)` points, y from 0 to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Cdf {
    /// The title on top.
    pub title: String,
    /// The x axis' label with its unit (`latency (ms)`).
    pub x_label: String,
    /// A logarithmic x axis (the default: latencies span decades); values ≤ 0 are then
    /// left out.
    pub log_x: bool,
    /// `(name, points)`, each point `(value, fraction of values ≤ it)`, sorted by value.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    /// Width × height in pixels.
    pub size: (u32, u32),
}

impl Default for Cdf {
    fn default() -> Self {
        Cdf {
            title: String::new(),
            x_label: String::new(),
            log_x: true,
            series: Vec::new(),
            size: DEFAULT_SIZE,
        }
    }
}

impl Cdf {
    /// The line chart this CDF is drawn as.
    pub fn to_line_chart(&self) -> LineChart {
        let x = if self.log_x {
            Axis::log(self.x_label.as_str())
        } else {
            Axis::linear(self.x_label.as_str())
        };
        LineChart {
            title: self.title.clone(),
            x,
            y: Axis::linear("cumulative fraction").range(0.0, 1.0),
            series: self
                .series
                .iter()
                .map(|(name, pts)| Series::new(name.as_str(), pts.clone()).style(SeriesStyle::Step))
                .collect(),
            markers: Vec::new(),
            size: self.size,
        }
    }

    /// The SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        self.to_line_chart().to_svg()
    }
}

/// Counts over time as step lines: instances busy, idle, starting and provisioned per
/// window, arrivals, cold starts, throttles.
///
/// A point `(t, v)` holds `v` from `t` until the next point's `t`; to show the last
/// window's value to its end, end the series with a point at the window's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The title on top.
    pub title: String,
    /// The time axis' label with its unit (`time (s)`).
    pub x_label: String,
    /// The value axis' label with its unit (`instances`).
    pub y_label: String,
    /// `(name, points)`, each point `(time, value)`, sorted by time.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    /// Width × height in pixels.
    pub size: (u32, u32),
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            size: DEFAULT_SIZE,
        }
    }
}

impl Timeline {
    /// The line chart this time line is drawn as.
    pub fn to_line_chart(&self) -> LineChart {
        LineChart {
            title: self.title.clone(),
            x: Axis::linear(self.x_label.as_str()),
            y: Axis::linear(self.y_label.as_str()),
            series: self
                .series
                .iter()
                .map(|(name, pts)| Series::new(name.as_str(), pts.clone()).style(SeriesStyle::Step))
                .collect(),
            markers: Vec::new(),
            size: self.size,
        }
    }

    /// The SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        self.to_line_chart().to_svg()
    }
}
