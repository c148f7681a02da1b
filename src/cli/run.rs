//! `faassim run`: simulates one scenario, optionally logging every request (`--events`) and
//! a per-window time series (`--windows`), and exports the results in the chosen format.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use faassim::report::{self, FanOut, JsonLinesLog, WindowLog};
use faassim::sim::{self, RunOptions};
use faassim::{RunResult, Scenario, SimTime};

use super::args::RunArgs;
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
    let mut logs = FanOut::new();
    if let Some(log) = events.as_mut() {
        logs.push(log);
    }
    if let Some(log) = windows.as_mut() {
        logs.push(log);
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
