//! Reports: a run's or a sweep's saved results turned into charts ([`crate::plot`]) and one
//! self-contained HTML page.
//!
//! This module decides *what* to show from results on disk; [`crate::plot`] decides how it
//! looks. Two kinds of folder can be reported:
//! - a **run report folder**, written by `faassim run SCENARIO --report DIR`
//!   ([`run`]): `result.json` (the `--format json` result), `windows.csv` (the `--windows`
//!   series) and `report.json` ([`saved`]: latency histograms and cold-start phases);
//! - a **sweep output folder** (`faassim sweep`): `summary.csv` and `results.jsonl`
//!   ([`sweep`]), optionally with the experiment file, which lets the report draw closed
//!   forms ([`closed_form`]) beside the simulated points.
//!
//! [`report`] reads either, and [`Report::write`] writes the charts as SVG files and
//! `index.html` (the charts inline, nothing loaded from elsewhere) into an output folder.

pub mod closed_form;
pub mod run;
pub mod saved;
pub mod series;
pub mod sweep;
pub mod table;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::plot::PlotError;
use crate::plot::html::{Page, Section};

/// The report page's file name.
pub const INDEX: &str = "index.html";

/// A chart before it is filed: the SVG file's stem and the chart (or why it could not be
/// drawn).
pub struct Figure {
    name: String,
    svg: std::result::Result<String, PlotError>,
}

impl Figure {
    /// A chart to be written as `<name>.svg`.
    pub fn new(name: impl Into<String>, svg: std::result::Result<String, PlotError>) -> Self {
        Figure {
            name: name.into(),
            svg,
        }
    }
}

/// A report being built: the page's parts and the charts' files.
pub struct Report {
    /// The page's title.
    pub title: String,
    /// What was run: scenario, seed, version, the command that reproduces it.
    pub facts: Vec<(String, String)>,
    /// The page's sections, in order.
    pub sections: Vec<Section>,
    /// Every chart as `(file stem, SVG)`, in page order.
    pub figures: Vec<(String, String)>,
}

impl Report {
    /// Files `figures` and returns their SVG text for a section; a chart that cannot be
    /// drawn is an error naming it.
    pub fn add_figures(&mut self, figures: Vec<Figure>) -> Result<Vec<String>> {
        let mut svgs = Vec::with_capacity(figures.len());
        for f in figures {
            let svg = f.svg.map_err(|e| Error::Invalid {
                origin: "report".into(),
                field: f.name.clone(),
                message: e.to_string(),
            })?;
            self.figures.push((f.name, svg.clone()));
            svgs.push(svg);
        }
        Ok(svgs)
    }

    /// The page.
    pub fn html(&self) -> String {
        Page {
            title: self.title.clone(),
            facts: self.facts.clone(),
            sections: self.sections.clone(),
        }
        .to_html()
    }

    /// Writes every chart as `<name>.svg` and the page as `index.html` into `out`
    /// (created if missing); returns the files written, the page first.
    pub fn write(&self, out: &Path) -> Result<Vec<PathBuf>> {
        let fail = |path: &Path, source| Error::Output {
            what: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(out).map_err(|e| fail(out, e))?;
        let index = out.join(INDEX);
        std::fs::write(&index, self.html()).map_err(|e| fail(&index, e))?;
        let mut written = vec![index];
        for (name, svg) in &self.figures {
            let path = out.join(format!("{name}.svg"));
            std::fs::write(&path, svg).map_err(|e| fail(&path, e))?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Builds the report of folder `input`: a run report folder (it has `report.json`) or a
/// sweep output folder (it has `summary.csv`); `experiment` is the sweep's experiment file,
/// for closed forms (ignored for a run).
pub fn report(input: &Path, experiment: Option<&Path>) -> Result<Report> {
    if input.join(saved::SAVED_FILE).exists() {
        run::report(input)
    } else if input.join(sweep::SUMMARY_FILE).exists() {
        sweep::report(input, experiment)
    } else {
        Err(Error::Invalid {
            origin: input.display().to_string(),
            field: "folder".into(),
            message: format!(
                "expected a run report folder (with `{}`, written by `faassim run SCENARIO \
                 --report DIR`) or a sweep output folder (with `{}`)",
                saved::SAVED_FILE,
                sweep::SUMMARY_FILE
            ),
        })
    }
}

/// Reads a JSON file into `T` (errors name the file, line and field).
fn load_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    crate::json::parse(&text, &path.display().to_string())
}

/// A number for a table or a label: integers as integers, others with four significant
/// digits (trailing zeros dropped), very small or large ones in scientific notation.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let a = x.abs();
    if !(1e-4..1e9).contains(&a) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_num(71678.0), "71678");
        assert_eq!(fmt_num(167.15791), "167.2");
        assert_eq!(fmt_num(0.114469), "0.1145");
        assert_eq!(fmt_num(0.0002371), "0.0002371");
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(3.2e-7), "3.200e-7");
    }
}
