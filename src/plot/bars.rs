//! Bar charts: histograms over a numeric axis, and stacked bars over categories.

use plotters::prelude::*;

use super::PlotError;
use super::data::{Axis, LIMIT, Scale};
use super::frame::{self, LegendEntry, Swatch};
use super::style::{
    CHAR_PX, DEFAULT_SIZE, GRID, INK, LABEL_SIZE, TICK_SIZE, colour, fmt_num, font, truncate,
};
use super::xy::{Bars, XyPlot};

/// One bin of a histogram: the values in `[lo, hi)` and how many there were.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// The lower edge.
    pub lo: f64,
    /// The upper edge.
    pub hi: f64,
    /// How many values fell in the bin.
    pub count: f64,
}

/// Bars from bins, one per bin, over a linear or logarithmic x axis.
///
/// On a logarithmic axis a bin whose lower edge is ≤ 0 is left out. Bins with a negative
/// or non-finite count, or with `lo ≥ hi`, are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The title on top.
    pub title: String,
    /// The x axis (the values binned), linear or logarithmic.
    pub x: Axis,
    /// The y axis' label (`requests`).
    pub y_label: String,
    /// The bins.
    pub bins: Vec<Bin>,
    /// The name in the legend; empty for no legend.
    pub name: String,
    /// Width × height in pixels.
    pub size: (u32, u32),
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            title: String::new(),
            x: Axis::default(),
            y_label: String::new(),
            bins: Vec::new(),
            name: String::new(),
            size: DEFAULT_SIZE,
        }
    }
}

impl Histogram {
    /// The SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        let bars = [Bars {
            name: self.name.clone(),
            colour: 0,
            bins: self.bins.iter().map(|b| (b.lo, b.hi, b.count)).collect(),
        }];
        XyPlot {
            title: &self.title,
            size: self.size,
            x: &self.x,
            y: &Axis {
                label: self.y_label.clone(),
                scale: Scale::Linear,
                range: None,
            },
            series: &[],
            markers: &[],
            bars: &bars,
            labels: &[],
            pad_x: false,
        }
        .to_svg()
    }
}

/// One named stack of a [`StackedBars`] chart: its value in each category.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stack {
    /// The name in the legend (`compute`, `requests`; `init`, `image pull`).
    pub name: String,
    /// One value per category, in the categories' order; a missing, negative,
    /// non-finite or larger than 10^300 value draws nothing.
    pub values: Vec<f64>,
}

/// One bar per category, made of the stacks' values on top of each other in the stacks'
/// order (the first at the bottom): the cost of each function by item, the cold-start
/// duration of each runtime by phase.
#[derive(Debug, Clone, PartialEq)]
pub struct StackedBars {
    /// The title on top.
    pub title: String,
    /// The category axis' label (`function`).
    pub x_label: String,
    /// The value axis' label with its unit (`cost (USD)`).
    pub y_label: String,
    /// The categories, left to right.
    pub categories: Vec<String>,
    /// The stacks, bottom to top; stack `i` takes colour `i`.
    pub stacks: Vec<Stack>,
    /// Width × height in pixels.
    pub size: (u32, u32),
}

impl Default for StackedBars {
    fn default() -> Self {
        StackedBars {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            categories: Vec::new(),
            stacks: Vec::new(),
            size: DEFAULT_SIZE,
        }
    }
}

impl StackedBars {
    /// The value a stack adds to a category's bar (0 for what cannot be drawn).
    fn value(stack: &Stack, category: usize) -> f64 {
        match stack.values.get(category) {
            Some(&v) if v.is_finite() && v > 0.0 && v <= LIMIT => v,
            _ => 0.0,
        }
    }

    /// The SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        let n = self.categories.len();
        let tops: Vec<f64> = (0..n)
            .map(|c| self.stacks.iter().map(|s| Self::value(s, c)).sum())
            .collect();
        let top = tops.iter().copied().fold(0.0, f64::max);
        // A total past 10^300 would leave the axis no finite margin.
        let has_data = top > 0.0 && top <= LIMIT;
        let legend: Vec<LegendEntry> = if has_data {
            let entries = self.stacks.iter().enumerate().map(|(i, s)| LegendEntry {
                name: s.name.clone(),
                colour: colour(i),
                swatch: Swatch::Box,
            });
            entries.filter(|e| !e.name.is_empty()).collect()
        } else {
            Vec::new()
        };
        let title = self.title.as_str();
        frame::render(title, self.size, &legend, |area| {
            if !has_data {
                return frame::no_data(area, title);
            }
            let err = frame::draw_err(title);
            let mut chart = ChartBuilder::on(area)
                .margin(10)
                .margin_right(28)
                .x_label_area_size(64)
                .y_label_area_size(100)
                .build_cartesian_2d(
                    // plotters' segments of `0..m` are 0 to m inclusive: n of them. One
                    // category gets a second, empty segment: a range `0..0` has no width,
                    // and plotters then maps the bar's right edge before its left one.
                    (0..(n as u32 - 1).max(1)).into_segmented(),
                    0.0..top * 1.05,
                )
                .map_err(&err)?;
            // Category names cut to the width of their bar.
            let per_bar = (area.dim_in_pixel().0.saturating_sub(140) / n as u32).max(CHAR_PX);
            let max_chars = (per_bar / CHAR_PX) as usize;
            let names = |v: &SegmentValue<u32>| match v {
                SegmentValue::CenterOf(i) => self
                    .categories
                    .get(*i as usize)
                    .map(|c| truncate(c, max_chars))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let values = |v: &f64| fmt_num(*v);
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_desc(self.x_label.as_str())
                .y_desc(self.y_label.as_str())
                .label_style(font(TICK_SIZE))
                .axis_desc_style(font(LABEL_SIZE))
                .axis_style(INK.stroke_width(1))
                .bold_line_style(GRID.stroke_width(1))
                .light_line_style(RGBColor(0xF2, 0xF2, 0xF2).stroke_width(1))
                .max_light_lines(4)
                .x_labels(n)
                .y_labels(6)
                .x_label_formatter(&names)
                .y_label_formatter(&values)
                .draw()
                .map_err(&err)?;
            // Each stack over the categories: a bar from the sum of the stacks below.
            let mut below = vec![0.0; n];
            let gap = (per_bar / 8).max(2);
            for (i, stack) in self.stacks.iter().enumerate() {
                let fill = colour(i).filled();
                let mut bars = Vec::new();
                for (c, base) in below.iter_mut().enumerate() {
                    let v = Self::value(stack, c);
                    if v == 0.0 {
                        continue;
                    }
                    let c = c as u32;
                    let mut bar = Rectangle::new(
                        [
                            (SegmentValue::Exact(c), *base),
                            (SegmentValue::Exact(c + 1), *base + v),
                        ],
                        fill,
                    );
                    bar.set_margin(0, 0, gap, gap);
                    bars.push(bar);
                    *base += v;
                }
                chart.draw_series(bars).map_err(&err)?;
            }
            Ok(())
        })
    }
}
