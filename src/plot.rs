//! Charts as SVG strings, and a self-contained HTML page to show them in.
//!
//! This module owns how results look, not what they are: every chart is built from plain
//! data (numbers, names, axis labels with their units), never from the simulator's types,
//! so the report layer decides what to plot and this module only draws it. Drawing uses
//! the [`plotters`] crate's SVG backend; `docs/plots.md` says why, and why no font is
//! embedded.
//!
//! ## The charts
//! Each chart is a small struct with public fields and a `to_svg` method that returns the
//! SVG document as a `String` (or a [`PlotError`] for a setting that cannot be drawn, such
//! as a size of 0 pixels or an axis range with its ends swapped):
//! - [`LineChart`]: named [`Series`] drawn as lines, step lines, dashed lines (a closed form
//!   beside measured points) or points ([`SeriesStyle`]), each with an optional 95 %
//!   confidence band ([`Series::band`]), vertical [`Marker`]s with a label, and linear or
//!   logarithmic axes ([`Axis`], [`Scale`]).
//! - [`Cdf`]: cumulative distributions (x logarithmic by default, y from 0 to 1).
//! - [`Timeline`]: counts per time window as step lines.
//! - [`Histogram`]: bars from `(lo, hi, count)` bins, x optionally logarithmic.
//! - [`StackedBars`]: categories (functions, runtimes) × named stacks (cost items, phases).
//! - [`Scatter`]: labelled points and the line through their Pareto frontier (both axes
//!   to be minimised, cold-start % against idle GB-s, say).
//!
//! [`html::Page`] puts charts, facts and tables into one HTML page that references nothing
//! outside itself.
//!
//! ## What every chart does
//! - A title on top, axis labels as given by the caller (who puts the unit in them), tick
//!   labels and text of at least 14 px at the default size of 800 × 480 px, and a legend
//!   to the right of the plot (never over the data) when a series has a name.
//! - Colours from the Okabe–Ito palette, colour-blind safe, in the fixed order of
//!   [`PALETTE`]: the n-th series always gets the same colour.
//! - Points that cannot be drawn are left out, never a panic: non-finite values, and on a
//!   logarithmic axis values ≤ 0. A chart left with nothing to draw says "no data".
//! - Text is escaped (`<`, `&`, `>`, `"`, `'`), and the same input gives the same bytes.
//!
//! ```
//! use faassim::plot::{Axis, LineChart, Series, SeriesStyle, Marker};
//! let chart = LineChart {
//!     title: "Cold starts against the arrival rate".into(),
//!     x: Axis::log("arrival rate (req/s)"),
//!     y: Axis::linear("cold starts (%)"),
//!     series: vec![
//!         Series::new("simulated", vec![(0.1, 90.0), (1.0, 55.0), (10.0, 0.5)])
//!             .style(SeriesStyle::Points),
//!         Series::new("e^(−λT)", vec![(0.1, 90.5), (1.0, 54.9), (10.0, 0.2)])
//!             .style(SeriesStyle::Dashed),
//!     ],
//!     markers: vec![Marker::new(2.5, "crossover at 2.5 req/s")],
//!     ..Default::default()
//! };
//! let svg = chart.to_svg().unwrap();
//! assert!(svg.starts_with("<svg") && svg.contains("crossover at 2.5 req/s"));
//! ```

use std::fmt;

mod bars;
mod data;
mod frame;
pub mod html;
mod line;
mod scatter;
mod style;
mod xy;

pub use bars::{Bin, Histogram, Stack, StackedBars};
pub use data::{Axis, Marker, Scale, Series, SeriesStyle};
pub use line::{Cdf, LineChart, Timeline};
pub use scatter::{LabelledPoint, PointGroup, Scatter};
pub use style::{DEFAULT_SIZE, PALETTE};

/// Why a chart could not be drawn.
///
/// Data never causes one (points that cannot be drawn are left out); a setting that makes
/// no chart does, as does a failure inside the drawing library.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlotError {
    /// A setting of the chart is out of range.
    Invalid {
        /// The chart's title, to say which chart.
        chart: String,
        /// The setting (`size`, `x.range`, ...).
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The drawing library reported an error.
    Draw {
        /// The chart's title.
        chart: String,
        /// What the library said.
        message: String,
    },
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::Invalid {
                chart,
                field,
                message,
            } => write!(f, "chart \"{chart}\": {field}: {message}"),
            PlotError::Draw { chart, message } => {
                write!(f, "chart \"{chart}\": drawing failed: {message}")
            }
        }
    }
}

impl std::error::Error for PlotError {}
