//! `faassim run`: simulates one scenario, optionally logging every request (`--events`) and
//! a per-window time series (`--windows`), and exports the results in the chosen format.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use faassim::present::saved::{PhaseTally, Saved};
use faassim::report::{self, FanOut, JsonLinesLog, WindowLog};
use faassim::sim::{self, RunOptions};
use faassim::{RunResult, Scenario, SimTime};

use super::args::{RunArgs, threads_or_cores};
use super::progress::Progress;
use super::{Doc, Failure, Printout, expect_doc, warn};

/// Most rows a `--windows` file may have over the arrival horizon: a row with instance
/// columns is about 150 bytes, so 5·10^6 rows make about 750 MB of CSV, which pandas still
/// loads (`--window-s 0.000001` on a 60 s run asked for 6·10^7 rows, 9 GB). The rows after
/// the horizon, while the last requests end and instances idle out, are not counted: a
/// few windows' worth of keep-alive.
const MAX_WINDOW_ROWS: f64 = 5e6;

/// Width of a `--windows` window when `--window-s` is not given, seconds.
const DEFAULT_WINDOW_S: f64 = 60.0;

/// Runs the scenario and returns its results in `args.format`.
pub fn run(args: RunArgs) -> Result<Printout, Failure> {
    distinct_outputs(&[
        ("--out", &args.out),
        ("--events", &args.events),
        ("--windows", &args.windows),
        // The files `--report DIR` writes that another flag could name too.
        (
            "--report",
            &report_file(&args, faassim::present::run::RESULT_FILE),
        ),
        (
            "--report",
            &report_file(&args, faassim::present::run::WINDOWS_FILE),
        ),
    ])?;
    expect_doc(&args.scenario, Doc::Scenario)?;
    let mut scenario = Scenario::load(&args.scenario)?;
    warn(&scenario);
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    // Per mille of simulated time.
    let progress = Progress::new(
        args.quiet,
        1000,
        "{spinner} simulating [{bar:40}] {percent}% of simulated time, ETA {eta}",
    );
    let mut on_progress = |fraction: f64| progress.set((fraction * 1000.0) as u64);
    let mut events = match &args.events {
        Some(path) => Some(JsonLinesLog::new(create(path)?, path.display().to_string())),
        None => None,
    };
    let mut windows = match &args.windows {
        Some(path) => Some(window_log(&scenario, path, args.window_s)?),
        None => None,
    };
    // `--report DIR`: its own windows (a width that gives a readable chart) and the
    // cold-start phases, beside whatever else was asked.
    let mut reporting = match &args.report {
        Some(dir) => Some(ReportLogs::new(&scenario, dir, args.window_s)?),
        None => None,
    };
    let mut logs = FanOut::new();
    if let Some(log) = events.as_mut() {
        logs.push(log);
    }
    if let Some(log) = windows.as_mut() {
        logs.push(log);
    }
    if let Some(r) = reporting.as_mut() {
        logs.push(&mut r.windows);
        logs.push(&mut r.phases);
    }
    let log: Option<&mut dyn sim::RequestLog> = if logs.is_empty() {
        None
    } else {
        Some(&mut logs)
    };
    let output = sim::run(
        &scenario,
        RunOptions {
            log,
            progress: Some(&mut on_progress),
            interleaved: false,
            general_path: false,
            threads: threads_or_cores(args.threads),
        },
    )?;
    drop(logs);
    if let Some(log) = events {
        log.finish()?;
    }
    if let Some(log) = windows {
        log.finish()?;
    }
    progress.finish();
    let result = RunResult::new(&scenario, &output);
    if let (Some(r), Some(dir)) = (reporting, &args.report) {
        r.finish(&scenario, &output, &result, dir, &args)?;
    }
    Ok(Printout::Run {
        result: Box::new(result),
        format: report::Format::from(args.format),
        to: args.out,
    })
}

/// The `--windows` log of `scenario`'s functions, writing to `path`.
fn window_log(
    scenario: &Scenario,
    path: &Path,
    window_s: Option<f64>,
) -> Result<WindowLog<BufWriter<File>>, Failure> {
    let names: Vec<&str> = scenario.functions.iter().map(|f| f.name.as_str()).collect();
    let window_s = window_s.unwrap_or(DEFAULT_WINDOW_S);
    // One row per window and function: refuse before writing what no one can open.
    let rows = (scenario.duration.as_secs() / window_s).ceil() * names.len() as f64;
    if rows > MAX_WINDOW_ROWS {
        let shortest = scenario.duration.as_secs() * names.len() as f64 / MAX_WINDOW_ROWS;
        return Err(Failure::Input(faassim::Error::Invalid {
            origin: "command line".into(),
            field: "--window-s".into(),
            message: format!(
                "{window_s} s windows over {} s and {} function(s) make {rows:.0} rows; \
                 expected at most {MAX_WINDOW_ROWS:.0}: use --window-s {shortest} or more",
                scenario.duration.as_secs(),
                names.len()
            ),
        }));
    }
    Ok(WindowLog::new(
        create(path)?,
        path.display().to_string(),
        SimTime::from_secs(window_s),
        scenario.duration,
        &names,
    )?)
}

/// What `--report DIR` records during the run.
struct ReportLogs {
    windows: WindowLog<BufWriter<File>>,
    phases: PhaseTally,
    window_s: f64,
}

impl ReportLogs {
    /// Creates `dir` and its `windows.csv`, of `window_s` seconds or a width that gives at
    /// most [`REPORT_WINDOWS`] windows and [`REPORT_ROWS`] rows.
    fn new(scenario: &Scenario, dir: &Path, window_s: Option<f64>) -> Result<Self, Failure> {
        std::fs::create_dir_all(dir).map_err(|e| Failure::Output(dir.display().to_string(), e))?;
        let functions = scenario.functions.len().max(1) as f64;
        let duration = scenario.duration.as_secs();
        let window_s = window_s.unwrap_or_else(|| {
            nice_width((duration / REPORT_WINDOWS).max(duration * functions / REPORT_ROWS))
        });
        let path = dir.join(faassim::present::run::WINDOWS_FILE);
        Ok(ReportLogs {
            windows: window_log(scenario, &path, Some(window_s))?,
            phases: PhaseTally::new(),
            window_s,
        })
    }

    /// Writes the result, the saved data and the report into `dir`.
    fn finish(
        self,
        scenario: &Scenario,
        output: &sim::RunOutput,
        result: &RunResult,
        dir: &Path,
        args: &RunArgs,
    ) -> Result<(), Failure> {
        self.windows.finish()?;
        let path = dir.join(faassim::present::run::RESULT_FILE);
        let mut out = create(&path)?;
        report::Format::Json
            .exporter()
            .write(result, &mut out)
            .and_then(|()| std::io::Write::flush(&mut out))
            .map_err(|e| Failure::Output(path.display().to_string(), e))?;
        let command = format!(
            "faassim run {} --seed {}{}",
            args.scenario.display(),
            scenario.seed,
            args.window_s
                .map_or(String::new(), |w| format!(" --window-s {w}"))
        );
        Saved::capture(scenario, output, &self.phases, command, self.window_s).save(dir)?;
        let written = faassim::present::report(dir, None)?.write(dir)?;
        eprintln!(
            "report: {} ({} charts); open it in a browser",
            written[0].display(),
            written.len() - 1
        );
        Ok(())
    }
}

/// `--report DIR`'s file `name`, when there is a `--report`.
fn report_file(args: &RunArgs, name: &str) -> Option<std::path::PathBuf> {
    args.report.as_ref().map(|dir| dir.join(name))
}

/// Most windows `--report` draws when no `--window-s` is given.
const REPORT_WINDOWS: f64 = 200.0;
/// Most rows of `--report`'s `windows.csv` (windows × functions) without `--window-s`.
const REPORT_ROWS: f64 = 1e6;

/// The smallest of 1, 2 and 5 times a power of ten that is at least `s` seconds (at least
/// 1 ms), so that window starts read well.
fn nice_width(s: f64) -> f64 {
    let s = s.max(0.001);
    let decade = 10f64.powf(s.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|w| *w >= s * (1.0 - 1e-12))
        .unwrap_or(10.0 * decade)
}

/// Creates (truncates) an output file, buffered.
fn create(path: &Path) -> Result<BufWriter<File>, Failure> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| Failure::Output(path.display().to_string(), e))
}

/// Refuses two outputs on one file: the later writer would silently replace the other's
/// output (`--out` and `--events` on one path lost the events).
fn distinct_outputs(outputs: &[(&str, &Option<std::path::PathBuf>)]) -> Result<(), Failure> {
    // (flag, the path as given, the path made absolute to compare).
    let named: Vec<(&str, &std::path::PathBuf, std::path::PathBuf)> = outputs
        .iter()
        .filter_map(|(flag, path)| {
            let path = path.as_ref()?;
            Some((
                *flag,
                path,
                std::path::absolute(path).unwrap_or_else(|_| path.clone()),
            ))
        })
        .collect();
    for (i, (flag, given, path)) in named.iter().enumerate() {
        if let Some((earlier, first, _)) = named[..i].iter().find(|(_, _, p)| p == path) {
            return Err(Failure::Input(faassim::Error::Invalid {
                origin: "command line".into(),
                field: (*flag).into(),
                message: format!(
                    "`{}` names the same file as {earlier} `{}`; give each output its own file",
                    given.display(),
                    first.display()
                ),
            }));
        }
    }
    Ok(())
}
