//! Labelled points and their Pareto frontier: one point per configuration, two costs to
//! trade (cold-start % against idle GB-s), both to be minimised.

use super::PlotError;
use super::data::{Axis, Series, SeriesStyle};
use super::style::DEFAULT_SIZE;
use super::xy::XyPlot;

/// A point with the text written beside it (a configuration's name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelledPoint {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position.
    pub y: f64,
    /// The text beside the point; may be empty.
    pub label: String,
}

impl LabelledPoint {
    /// A point with a label.
    pub fn new(x: f64, y: f64, label: impl Into<String>) -> Self {
        LabelledPoint {
            x,
            y,
            label: label.into(),
        }
    }
}

/// A named group of points (a policy family, say), drawn in its own colour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointGroup {
    /// The name in the legend.
    pub name: String,
    /// The points.
    pub points: Vec<LabelledPoint>,
}

/// Points in groups, and when `frontier` is set a line through the points no other point
/// beats on both axes (lower is better on both).
#[derive(Debug, Clone, PartialEq)]
pub struct Scatter {
    /// The title on top.
    pub title: String,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
    /// The groups; group `i` takes colour `i`, the frontier the next colour.
    pub groups: Vec<PointGroup>,
    /// Draw the Pareto frontier over all groups' points.
    pub frontier: bool,
    /// Width × height in pixels.
    pub size: (u32, u32),
}

impl Default for Scatter {
    fn default() -> Self {
        Scatter {
            title: String::new(),
            x: Axis::default(),
            y: Axis::default(),
            groups: Vec::new(),
            frontier: true,
            size: DEFAULT_SIZE,
        }
    }
}

impl Scatter {
    /// The points on the Pareto frontier, by increasing x: those no other point matches
    /// or beats on both axes while beating on one. Points the axes cannot show are left
    /// out first.
    pub fn pareto_frontier(&self) -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = self
            .groups
            .iter()
            .flat_map(|g| &g.points)
            .map(|p| (p.x, p.y))
            .filter(|&(x, y)| self.x.accepts(x) && self.y.accepts(y))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        pts.dedup();
        // By increasing x (ties by increasing y), a point is on the frontier when its y is
        // below every y seen before it.
        let mut best = f64::INFINITY;
        let mut frontier = Vec::new();
        for (x, y) in pts {
            if y < best {
                best = y;
                frontier.push((x, y));
            }
        }
        frontier
    }

    /// The SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        let mut series: Vec<Series> = self
            .groups
            .iter()
            .map(|g| {
                let pts = g.points.iter().map(|p| (p.x, p.y)).collect();
                Series::new(g.name.as_str(), pts).style(SeriesStyle::Points)
            })
            .collect();
        if self.frontier {
            let line = self.pareto_frontier();
            if line.len() > 1 {
                series.push(Series::new("Pareto frontier", line));
            }
        }
        let labels: Vec<(f64, f64, String)> = self
            .groups
            .iter()
            .flat_map(|g| &g.points)
            .filter(|p| !p.label.is_empty())
            .map(|p| (p.x, p.y, p.label.clone()))
            .collect();
        XyPlot {
            title: &self.title,
            size: self.size,
            x: &self.x,
            y: &self.y,
            series: &series,
            markers: &[],
            bars: &[],
            labels: &labels,
            pad_x: true,
        }
        .to_svg()
    }
}
