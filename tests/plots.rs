//! The charts and the HTML page: well-formed SVG, the expected text and shapes (counted by
//! hand), what cannot be drawn left out without a panic, escaping, and a page that
//! references nothing outside itself.

use faassim::plot::html::{Page, Section, Table};
use faassim::plot::{
    Axis, Bin, Cdf, Histogram, LabelledPoint, LineChart, Marker, PointGroup, Scatter, Series,
    SeriesStyle, Stack, StackedBars, Timeline,
};

const BLUE: &str = "#0072B2";
const VERMILLION: &str = "#D55E00";
const GREEN: &str = "#009E73";

/// The SVG parsed as XML: fails the test when it is not well-formed.
fn parse(svg: &str) -> roxmltree::Document<'_> {
    match roxmltree::Document::parse(svg) {
        Ok(doc) => doc,
        Err(e) => panic!("not well-formed XML: {e}\n{svg}"),
    }
}

/// The text of every `<text>` element, trimmed (the backend puts it on its own line).
fn texts(svg: &str) -> Vec<String> {
    let doc = parse(svg);
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

fn has_text(svg: &str, want: &str) -> bool {
    texts(svg).iter().any(|t| t == want)
}

/// How many `tag` elements have `attr` = `value`.
fn count(svg: &str, tag: &str, attr: &str, value: &str) -> usize {
    let doc = parse(svg);
    doc.descendants()
        .filter(|n| n.has_tag_name(tag) && n.attribute(attr) == Some(value))
        .count()
}

/// Every label is at least 14 px high.
fn assert_readable(svg: &str) {
    let doc = parse(svg);
    for n in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let size: f64 = n.attribute("font-size").unwrap().parse().unwrap();
        assert!(size >= 14.0, "{size} px: {:?}", n.text());
    }
}

/// The number of corners of each polyline drawn in `colour`, fewest first.
fn corners(svg: &str, colour: &str) -> Vec<usize> {
    let doc = parse(svg);
    let mut n: Vec<usize> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(colour))
        .map(|n| n.attribute("points").unwrap().split_whitespace().count())
        .collect();
    n.sort_unstable();
    n
}

fn assert_has_texts(svg: &str, wanted: &[&str]) {
    let all = texts(svg);
    for w in wanted {
        assert!(all.iter().any(|t| t == w), "no <text> {w:?} in {all:?}");
    }
}

fn line_chart() -> LineChart {
    LineChart {
        title: "Cold starts against the arrival rate".into(),
        x: Axis::linear("arrival rate (req/s)"),
        y: Axis::linear("cold starts (%)"),
        series: vec![
            Series::new(
                "simulated",
                vec![(1.0, 90.0), (5.0, 60.0), (10.0, 35.0), (20.0, 12.0)],
            )
            .style(SeriesStyle::Points)
            .band(vec![
                (1.0, 85.0, 95.0),
                (10.0, 30.0, 40.0),
                (20.0, 9.0, 15.0),
            ]),
            Series::new("e^(−λT)", vec![(1.0, 90.5), (10.0, 36.8), (20.0, 13.5)])
                .style(SeriesStyle::Dashed),
        ],
        markers: vec![Marker::new(12.3, "crossover at 12.3 req/s")],
        ..Default::default()
    }
}

#[test]
fn a_line_chart_shows_its_series_band_marker_and_labels() {
    let svg = line_chart().to_svg().unwrap();
    assert_has_texts(
        &svg,
        &[
            "Cold starts against the arrival rate",
            "arrival rate (req/s)",
            "cold starts (%)",
            "simulated",
            "e^(−λT)",
            "crossover at 12.3 req/s",
        ],
    );
    // Four points and the legend's dot, in the first colour; one band.
    assert_eq!(count(&svg, "circle", "fill", BLUE), 5);
    assert_eq!(
        parse(&svg)
            .descendants()
            .filter(|n| n.has_tag_name("polygon"))
            .count(),
        1
    );
    assert_readable(&svg);
    let root = parse(&svg)
        .root_element()
        .attribute("width")
        .map(str::to_string);
    assert_eq!(root.as_deref(), Some("800"));
}

#[test]
fn a_step_line_is_one_path_per_series_in_its_colour() {
    let chart = Timeline {
        title: "Instances per window".into(),
        x_label: "time (s)".into(),
        y_label: "instances".into(),
        series: vec![
            ("busy".into(), vec![(0.0, 1.0), (60.0, 3.0), (120.0, 2.0)]),
            ("idle".into(), vec![(0.0, 0.0), (60.0, 1.0), (120.0, 1.0)]),
            (
                "cold starts".into(),
                vec![(0.0, 1.0), (60.0, 2.0), (120.0, 0.0)],
            ),
        ],
        ..Default::default()
    };
    let svg = chart.to_svg().unwrap();
    assert_has_texts(
        &svg,
        &[
            "Instances per window",
            "time (s)",
            "instances",
            "busy",
            "idle",
            "cold starts",
        ],
    );
    // Per series: the step line and the legend's line.
    for colour in [BLUE, VERMILLION, GREEN] {
        assert_eq!(count(&svg, "polyline", "stroke", colour), 2, "{colour}");
    }
    // The busy series' steps: 3 points become 2 × 3 − 1 = 5 corners (each value held
    // to the next x); the legend's line has 2.
    assert_eq!(corners(&svg, BLUE), [2, 5]);
    assert_readable(&svg);
}

#[test]
fn log_axes_leave_out_zero_negative_and_non_finite_values_without_panicking() {
    let chart = LineChart {
        title: "log".into(),
        x: Axis::log("x (s)"),
        y: Axis::log("y (ms)"),
        series: vec![
            Series::new(
                "s",
                vec![
                    (0.0, 1.0),
                    (-1.0, 2.0),
                    (1.0, 3.0),
                    (10.0, 0.0),
                    (10.0, -4.0),
                    (f64::NAN, 2.0),
                    (2.0, f64::INFINITY),
                    (100.0, 5.0),
                ],
            )
            .style(SeriesStyle::Points)
            .band(vec![(1.0, -1.0, 4.0), (100.0, 0.0, 0.0)]),
        ],
        markers: vec![Marker::new(0.0, "at zero"), Marker::new(-5.0, "negative")],
        ..Default::default()
    };
    let svg = chart.to_svg().unwrap();
    // (1, 3) and (100, 5) are left, plus the legend's dot.
    assert_eq!(count(&svg, "circle", "fill", BLUE), 3);
    assert!(!has_text(&svg, "at zero") && !has_text(&svg, "negative"));
    // Nothing positive at all: "no data".
    let none = LineChart {
        title: "nothing positive".into(),
        x: Axis::log("x"),
        y: Axis::log("y"),
        series: vec![Series::new("s", vec![(0.0, 1.0), (-1.0, -1.0), (1.0, 0.0)])],
        ..Default::default()
    };
    let svg = none.to_svg().unwrap();
    assert_has_texts(&svg, &["nothing positive", "no data"]);
}

#[test]
fn a_log_axis_within_one_decade_still_has_tick_labels() {
    let chart = LineChart {
        title: "narrow".into(),
        x: Axis::log("x"),
        y: Axis::linear("y"),
        series: vec![Series::new("", vec![(2.0, 1.0), (8.0, 2.0)])],
        ..Default::default()
    };
    let svg = chart.to_svg().unwrap();
    // The axis widens to whole powers of ten: 1 to 10.
    assert_has_texts(&svg, &["1", "10"]);
}

#[test]
fn a_cdf_has_one_line_per_series_and_a_fraction_axis_from_0_to_1() {
    let cdf = Cdf {
        title: "Latency distribution".into(),
        x_label: "latency (ms)".into(),
        series: vec![
            ("all".into(), vec![(1.0, 0.5), (10.0, 0.9), (1000.0, 1.0)]),
            ("warm".into(), vec![(1.0, 0.6), (10.0, 1.0)]),
            ("cold".into(), vec![(0.0, 0.0), (200.0, 0.5), (1000.0, 1.0)]),
        ],
        ..Default::default()
    };
    let svg = cdf.to_svg().unwrap();
    assert_has_texts(
        &svg,
        &[
            "Latency distribution",
            "latency (ms)",
            "cumulative fraction",
            "all",
            "warm",
            "cold",
            "0",
            "1",
        ],
    );
    for colour in [BLUE, VERMILLION, GREEN] {
        assert_eq!(count(&svg, "polyline", "stroke", colour), 2, "{colour}");
    }
    assert!(cdf.to_line_chart().x.is_log());
    assert_readable(&svg);
}

#[test]
fn a_histogram_draws_one_bar_per_bin_it_can_show() {
    let bins = vec![
        Bin {
            lo: 0.0,
            hi: 1.0,
            count: 4.0,
        },
        Bin {
            lo: 1.0,
            hi: 2.0,
            count: 10.0,
        },
        Bin {
            lo: 2.0,
            hi: 4.0,
            count: 7.0,
        },
        Bin {
            lo: 4.0,
            hi: 8.0,
            count: 0.0,
        },
        Bin {
            lo: 8.0,
            hi: 16.0,
            count: 1.0,
        },
        Bin {
            lo: 16.0,
            hi: 32.0,
            count: -3.0,
        },
        Bin {
            lo: 40.0,
            hi: 32.0,
            count: 2.0,
        },
    ];
    let linear = Histogram {
        title: "Execution times".into(),
        x: Axis::linear("execution time (ms)"),
        y_label: "requests".into(),
        bins: bins.clone(),
        ..Default::default()
    };
    let svg = linear.to_svg().unwrap();
    assert_has_texts(
        &svg,
        &["Execution times", "execution time (ms)", "requests"],
    );
    // Five bins; the negative count and the reversed bin are left out; no legend.
    assert_eq!(count(&svg, "rect", "fill", BLUE), 5);
    let log = Histogram {
        x: Axis::log("execution time (ms)"),
        name: "requests per bin".into(),
        ..linear
    };
    let svg = log.to_svg().unwrap();
    // The bin from 0 cannot be shown on a log axis; the legend adds its swatch.
    assert_eq!(count(&svg, "rect", "fill", BLUE), 4 + 1);
    assert!(has_text(&svg, "requests per bin"));
    assert_readable(&svg);
}

#[test]
fn stacked_bars_draw_one_box_per_category_and_stack_with_a_value() {
    let chart = StackedBars {
        title: "Cost per function".into(),
        x_label: "function".into(),
        y_label: "cost (USD)".into(),
        categories: vec!["api".into(), "resize".into(), "report".into()],
        stacks: vec![
            Stack {
                name: "compute".into(),
                values: vec![1.0, 2.5, 0.5],
            },
            // No requests cost for `resize`, and no value at all for `report`.
            Stack {
                name: "requests".into(),
                values: vec![0.2, 0.0],
            },
            Stack {
                name: "provisioned".into(),
                values: vec![f64::NAN, -1.0, 3.0],
            },
        ],
        ..Default::default()
    };
    let svg = chart.to_svg().unwrap();
    assert_has_texts(
        &svg,
        &[
            "Cost per function",
            "function",
            "cost (USD)",
            "api",
            "resize",
            "report",
            "compute",
            "requests",
            "provisioned",
        ],
    );
    // Boxes plus one legend swatch per stack.
    assert_eq!(count(&svg, "rect", "fill", BLUE), 3 + 1);
    assert_eq!(count(&svg, "rect", "fill", VERMILLION), 1 + 1);
    assert_eq!(count(&svg, "rect", "fill", GREEN), 1 + 1);
    assert_readable(&svg);
}

fn scatter() -> Scatter {
    Scatter {
        title: "Keep-alive policies".into(),
        x: Axis::linear("idle instance time (GB-s)"),
        y: Axis::linear("cold starts (%)"),
        groups: vec![
            PointGroup {
                name: "fixed".into(),
                points: vec![
                    LabelledPoint::new(10.0, 20.0, "1 min"),
                    LabelledPoint::new(50.0, 8.0, "10 min"),
                    LabelledPoint::new(120.0, 2.0, "60 min"),
                ],
            },
            PointGroup {
                name: "histogram".into(),
                points: vec![
                    LabelledPoint::new(30.0, 9.0, "hybrid"),
                    LabelledPoint::new(60.0, 12.0, "p99"),
                    LabelledPoint::new(50.0, 9.5, "p95"),
                ],
            },
        ],
        ..Default::default()
    }
}

#[test]
fn the_pareto_frontier_keeps_the_points_nothing_beats_on_both_axes() {
    // By hand: p99 (60, 12) is beaten by 10 min (50, 8); p95 (50, 9.5) by 10 min too.
    assert_eq!(
        scatter().pareto_frontier(),
        vec![(10.0, 20.0), (30.0, 9.0), (50.0, 8.0), (120.0, 2.0)]
    );
    // A tie on x keeps the lower y; the same point twice counts once.
    let mut ties = scatter();
    ties.groups = vec![PointGroup {
        name: "t".into(),
        points: vec![
            LabelledPoint::new(5.0, 5.0, ""),
            LabelledPoint::new(5.0, 3.0, ""),
            LabelledPoint::new(5.0, 3.0, ""),
            LabelledPoint::new(7.0, 3.0, ""),
        ],
    }];
    assert_eq!(ties.pareto_frontier(), vec![(5.0, 3.0)]);
}

#[test]
fn a_scatter_labels_its_points_and_draws_the_frontier() {
    let svg = scatter().to_svg().unwrap();
    assert_has_texts(
        &svg,
        &[
            "Keep-alive policies",
            "idle instance time (GB-s)",
            "cold starts (%)",
            "fixed",
            "histogram",
            "Pareto frontier",
            "1 min",
            "10 min",
            "60 min",
            "hybrid",
            "p99",
            "p95",
        ],
    );
    // Points and the legend's dot per group; the frontier line and its legend line.
    assert_eq!(count(&svg, "circle", "fill", BLUE), 3 + 1);
    assert_eq!(count(&svg, "circle", "fill", VERMILLION), 3 + 1);
    assert_eq!(count(&svg, "polyline", "stroke", GREEN), 2);
    // The legend's line, and the frontier through its 4 points.
    assert_eq!(corners(&svg, GREEN), [2, 4]);
    assert_readable(&svg);
}

#[test]
fn markup_in_text_is_escaped_everywhere() {
    let nasty = r#"a < b & "c" > 'd'"#;
    let chart = LineChart {
        title: nasty.into(),
        x: Axis::linear(nasty),
        y: Axis::linear(nasty),
        series: vec![Series::new(nasty, vec![(1.0, 1.0), (2.0, 2.0)])],
        markers: vec![Marker::new(1.5, nasty)],
        ..Default::default()
    };
    let svg = chart.to_svg().unwrap();
    // Parsed back, every one of them reads as written.
    let n = texts(&svg).iter().filter(|t| *t == nasty).count();
    assert_eq!(n, 5, "title, two axis labels, legend, marker");
    let bars = StackedBars {
        title: nasty.into(),
        categories: vec!["<f&>".into()],
        stacks: vec![Stack {
            name: "\"s\"".into(),
            values: vec![1.0],
        }],
        ..Default::default()
    };
    assert_has_texts(&bars.to_svg().unwrap(), &[nasty, "<f&>", "\"s\""]);
    let mut sc = scatter();
    sc.groups[0].points[0].label = "<p&>".into();
    assert!(has_text(&sc.to_svg().unwrap(), "<p&>"));
}

#[test]
fn every_chart_without_data_says_so() {
    let svgs = [
        LineChart {
            title: "line".into(),
            ..Default::default()
        }
        .to_svg(),
        LineChart {
            title: "line".into(),
            series: vec![Series::new("empty", vec![])],
            markers: vec![Marker::new(1.0, "alone")],
            ..Default::default()
        }
        .to_svg(),
        Cdf {
            title: "line".into(),
            ..Default::default()
        }
        .to_svg(),
        Timeline {
            title: "line".into(),
            ..Default::default()
        }
        .to_svg(),
        Histogram {
            title: "line".into(),
            ..Default::default()
        }
        .to_svg(),
        StackedBars {
            title: "line".into(),
            ..Default::default()
        }
        .to_svg(),
        StackedBars {
            title: "line".into(),
            categories: vec!["a".into()],
            stacks: vec![Stack {
                name: "s".into(),
                values: vec![0.0],
            }],
            ..Default::default()
        }
        .to_svg(),
        Scatter {
            title: "line".into(),
            ..Default::default()
        }
        .to_svg(),
    ];
    for svg in svgs {
        let svg = svg.unwrap();
        assert_eq!(texts(&svg), ["line", "no data"], "{svg}");
    }
}

#[test]
fn the_same_chart_gives_the_same_bytes() {
    assert_eq!(
        line_chart().to_svg().unwrap(),
        line_chart().to_svg().unwrap()
    );
    assert_eq!(scatter().to_svg().unwrap(), scatter().to_svg().unwrap());
}

#[test]
fn impossible_settings_are_errors_naming_chart_and_field() {
    let mut small = line_chart();
    small.size = (10, 480);
    let e = small.to_svg().unwrap_err().to_string();
    assert_eq!(
        e,
        "chart \"Cold starts against the arrival rate\": size: width 10 px is out of range: expected 240 to 8000 px"
    );
    let mut swapped = line_chart();
    swapped.x = swapped.x.range(5.0, 1.0);
    let e = swapped.to_svg().unwrap_err().to_string();
    assert!(
        e.contains("x.range: (5, 1) is not a range the axis can show"),
        "{e}"
    );
    let mut log = line_chart();
    log.y = Axis::log("y").range(0.0, 10.0);
    let e = log.to_svg().unwrap_err().to_string();
    let want = "y.range: (0, 10) is not a range the axis can show: expected 10^-150 <= lo < hi <= 10^150 on a logarithmic axis";
    assert!(e.contains(want), "{e}");
    let mut narrow = line_chart();
    narrow.x = narrow.x.range(1.0, 1.0 + 1e-12);
    let e = narrow.to_svg().unwrap_err().to_string();
    assert!(
        e.contains("x.range: (1, 1.000000000001) is not a range"),
        "{e}"
    );
}

#[test]
fn the_smallest_chart_and_extreme_values_draw_without_panicking() {
    let mut chart = line_chart();
    chart.size = (240, 240);
    chart.series[0].name = "a very long series name that cannot fit the legend".into();
    parse(&chart.to_svg().unwrap());
    let extremes = [
        (
            Axis::linear("x"),
            Axis::linear("y"),
            vec![(-1e300, -1e300), (1e300, 1e300)],
        ),
        (
            Axis::linear("x"),
            Axis::linear("y"),
            vec![(1.0, 1.0), (1.0 + 1e-15, 1.0)],
        ),
        (
            Axis::log("x"),
            Axis::log("y"),
            vec![(1e-150, 1e-150), (1e150, 1e150)],
        ),
        (
            Axis::log("x"),
            Axis::linear("y"),
            vec![(1e-150, 0.0), (1e150, 0.0)],
        ),
    ];
    for (x, y, points) in extremes {
        let chart = LineChart {
            title: "extreme".into(),
            x,
            y,
            series: vec![Series::new("s", points).style(SeriesStyle::Points)],
            ..Default::default()
        };
        let svg = chart.to_svg().unwrap();
        assert_eq!(count(&svg, "circle", "fill", BLUE), 2 + 1);
    }
    // Beyond ±10^300 on a linear axis, or 10^±150 on a log axis, a value is left out.
    let beyond = [
        (
            Axis::linear("x"),
            vec![(f64::MAX, 1.0), (-1e301, 1.0), (1.0, 1.0)],
        ),
        (
            Axis::log("x"),
            vec![(1e-151, 1.0), (1e151, 1.0), (1.0, 1.0)],
        ),
    ];
    for (x, points) in beyond {
        let chart = LineChart {
            title: "beyond".into(),
            x,
            y: Axis::linear("y"),
            series: vec![Series::new("s", points).style(SeriesStyle::Points)],
            ..Default::default()
        };
        assert_eq!(
            count(&chart.to_svg().unwrap(), "circle", "fill", BLUE),
            1 + 1
        );
    }
    let huge = StackedBars {
        title: "huge".into(),
        categories: vec!["a".into()],
        stacks: vec![Stack {
            name: "s".into(),
            values: vec![f64::MAX],
        }],
        ..Default::default()
    };
    assert!(has_text(&huge.to_svg().unwrap(), "no data"));
}

#[test]
fn a_fixed_range_leaves_out_points_outside_it() {
    let mut chart = line_chart();
    chart.x = chart.x.range(0.0, 6.0);
    let svg = chart.to_svg().unwrap();
    // (1, 90) and (5, 60) of the four points; the marker at 12.3 is outside.
    assert_eq!(count(&svg, "circle", "fill", BLUE), 2 + 1);
    assert!(!has_text(&svg, "crossover at 12.3 req/s"));
}

fn page() -> Page {
    let figures = vec![line_chart().to_svg().unwrap(), scatter().to_svg().unwrap()];
    Page {
        title: "Report <1> & \"2\"".into(),
        facts: vec![
            ("scenario".into(), "examples/api.json".into()),
            ("seed".into(), "42".into()),
            ("command".into(), "faassim run --seed 42 <x>".into()),
        ],
        sections: vec![
            Section {
                heading: "Cold starts".into(),
                text: "First paragraph.\n\nSecond & last.".into(),
                figures,
                tables: vec![Table {
                    header: vec!["function".into(), "cold starts (%)".into()],
                    rows: vec![
                        vec!["<api>".into(), "3.2".into()],
                        vec!["resize".into(), "12 %".into()],
                    ],
                }],
            },
            Section {
                heading: "Cost".into(),
                text: String::new(),
                figures: vec![StackedBars::default().to_svg().unwrap()],
                tables: vec![],
            },
        ],
    }
}

#[test]
fn the_page_references_nothing_outside_itself() {
    let html = page().to_html();
    let lower = html.to_lowercase();
    for banned in [
        "http:", "https:", "src=", "<script", "<link", "url(", "@import", "//",
    ] {
        assert!(!lower.contains(banned), "{banned} in the page");
    }
    // The only links are to the page's own sections.
    let hrefs: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(hrefs, ["#s1", "#s2"]);
    assert!(html.contains("<section id=\"s1\">") && html.contains("<section id=\"s2\">"));
}

#[test]
fn the_page_contains_every_chart_and_escapes_its_text() {
    let p = page();
    let html = p.to_html();
    for svg in p.sections.iter().flat_map(|s| &s.figures) {
        let inline = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
        assert!(html.contains(inline.trim()), "a figure is missing");
    }
    assert_eq!(html.matches("<svg").count(), 3);
    assert_eq!(html.matches("<figure>").count(), 3);
    assert!(html.contains("<title>Report &lt;1&gt; &amp; &quot;2&quot;</title>"));
    assert!(html.contains("<dd>faassim run --seed 42 &lt;x&gt;</dd>"));
    assert!(html.contains("<p>Second &amp; last.</p>"));
    assert!(html.contains("<td>&lt;api&gt;</td><td class=\"num\">3.2</td>"));
    assert!(html.contains("<td class=\"num\">12 %</td>"));
    // The style sheet keeps figures whole when printed.
    assert!(html.contains("@media print"));
    assert!(html.contains("figure { margin: 1.5rem 0; break-inside: avoid;"));
    // Every inline figure is still well-formed XML.
    for part in html.split("<svg").skip(1) {
        let end = part.find("</svg>").unwrap() + "</svg>".len();
        parse(&format!("<svg{}", &part[..end]));
    }
}

#[test]
fn the_same_page_gives_the_same_bytes() {
    assert_eq!(page().to_html(), page().to_html());
}

/// Every box of a stacked bar chart has a positive width and lies inside the chart, with
/// one category as with several (one category drew its boxes with a negative width,
/// to the left of the axis: nothing showed).
#[test]
fn stacked_bars_have_positive_widths_whatever_the_number_of_categories() {
    for n in 1..=3usize {
        let chart = StackedBars {
            title: "Cost".into(),
            x_label: "function".into(),
            y_label: "cost (USD)".into(),
            categories: (0..n).map(|i| format!("f{i}")).collect(),
            stacks: vec![Stack {
                name: "compute".into(),
                values: vec![2.0; n],
            }],
            ..Default::default()
        };
        let svg = chart.to_svg().unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let boxes: Vec<(f64, f64)> = doc
            .descendants()
            .filter(|e| e.has_tag_name("rect") && e.attribute("fill") == Some(BLUE))
            .map(|e| {
                let num = |a: &str| e.attribute(a).unwrap().parse::<f64>().unwrap();
                (num("x"), num("width"))
            })
            .collect();
        // n bars and the legend's swatch.
        assert_eq!(boxes.len(), n + 1, "{n} categories");
        for (x, w) in boxes {
            assert!(
                w > 0.0 && x >= 0.0 && x + w <= 800.0,
                "{n} categories: x {x}, width {w}"
            );
        }
    }
}
