//! Per-invocation traces: Azure Functions 2021 and the generic CSV.
//!
//! - Azure 2021 (`AzureFunctionsInvocationTrace2021.md`): a header naming `app`, `func`,
//!   `end_timestamp` (s) and `duration` (s), one row per invocation. The arrival is
//!   `end_timestamp − duration`. Rows are ordered by end time, so arrivals are not sorted.
//! - Generic CSV: `timestamp[,function][,duration_ms]`, timestamps in seconds. With a header
//!   the columns are found by name (`timestamp` required, `function` and `duration_ms`
//!   optional, any order); without one (the first field of the first line is a number) they
//!   are positional: 1 column = timestamp, 2 = timestamp, function, 3 = + duration_ms.
//!
//! The file is streamed once; each function's arrivals in the window are kept (8 bytes each
//! while reading, then sorted and re-encoded at about 5 bytes) because the sim asks each
//! function for its arrivals in time order and the file is not in that order. Durations
//! are reduced to a 101-point percentile table per function, the execution-time
//! distribution the function replays with (a sampled, not per-request, replay).

use std::collections::HashSet;
use std::sync::Arc;

use super::counts::{TimeList, TraceData};
use super::csv::{self, CsvReader, Skips};
use super::ids::IdMap;
use super::{Plan, TraceReport, Unit, choose, percentile_table, short, unique_name};
use crate::error::Result;

/// Which per-invocation format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Azure2021,
    Generic,
}

/// Column positions (0-based).
struct Columns {
    time: usize,
    app: Option<usize>,
    function: Option<usize>,
    /// Duration column, and its unit in ms (1000 for seconds).
    duration: Option<(usize, f64)>,
    names: Vec<String>,
}

/// Per-unit accumulation.
struct Acc {
    name: String,
    times: Vec<u64>,
    durations: Vec<f64>,
}

fn find(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

fn columns(kind: Kind, r: &CsvReader, first: &[String]) -> Result<(Columns, bool)> {
    match kind {
        Kind::Azure2021 => {
            let mut pos = [0usize; 4];
            for (k, name) in ["app", "func", "end_timestamp", "duration"]
                .iter()
                .enumerate()
            {
                pos[k] = find(first, name).ok_or_else(|| {
                    r.line_error(format!(
                        "expected a header naming the columns app, func, end_timestamp, duration; `{name}` is missing"
                    ))
                })?;
            }
            Ok((
                Columns {
                    time: pos[2],
                    app: Some(pos[0]),
                    function: Some(pos[1]),
                    duration: Some((pos[3], 1000.0)),
                    names: first.to_vec(),
                },
                true,
            ))
        }
        Kind::Generic => {
            if first.first().is_some_and(|f| f.parse::<f64>().is_ok()) {
                if first.len() > 3 {
                    return Err(r.error(
                        4,
                        "(none)",
                        format!(
                            "expected at most 3 columns (timestamp, function, duration_ms), found {}",
                            first.len()
                        ),
                    ));
                }
                let names = ["timestamp", "function", "duration_ms"][..first.len()]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect();
                return Ok((
                    Columns {
                        time: 0,
                        app: None,
                        function: (first.len() > 1).then_some(1),
                        duration: (first.len() > 2).then_some((2, 1.0)),
                        names,
                    },
                    false,
                ));
            }
            let time = find(first, "timestamp").ok_or_else(|| {
                r.line_error(
                    "expected a header with a `timestamp` column (and optionally `function`, `duration_ms`), or no header and a number in the first column",
                )
            })?;
            Ok((
                Columns {
                    time,
                    app: None,
                    function: find(first, "function"),
                    duration: find(first, "duration_ms").map(|i| (i, 1.0)),
                    names: first.to_vec(),
                },
                true,
            ))
        }
    }
}

/// Reads the file of `plan`.
pub(crate) fn load(
    kind: Kind,
    plan: &Plan,
    skips: &mut Skips,
    report: &mut TraceReport,
    taken: &mut HashSet<String>,
) -> Result<Vec<Unit>> {
    let path = &plan.files[0];
    let mut r = CsvReader::open(path)?;
    let first = csv::header(&mut r)?;
    let (cols, has_header) = columns(kind, &r, &first)?;
    let start_s = plan.start_min as f64 * 60.0;
    let end_s = plan.end_min.saturating_mul(60) as f64;
    let mut index: IdMap<String, usize> = IdMap::default();
    let mut accs: Vec<Acc> = Vec::new();
    let mut key = String::new();
    let mut pending_first = !has_header;
    // The first and last arrival read, seconds: the trace's span, for messages.
    let mut span: Option<(f64, f64)> = None;
    loop {
        if pending_first {
            pending_first = false;
        } else if !r.next_line()? {
            break;
        }
        report.rows += 1;
        let parsed = (|| -> Result<Option<(f64, Option<f64>)>> {
            let fields: Vec<&str> = r.fields().collect();
            csv::check_width(&r, fields.len(), &cols.names)?;
            let at = |i: usize, m: String| r.error(i + 1, &cols.names[i], m);
            let mut arrival = match kind {
                Kind::Azure2021 => csv::number(fields[cols.time], "an end time in seconds"),
                Kind::Generic => csv::non_negative(fields[cols.time], "a time in seconds"),
            }
            .map_err(|m| at(cols.time, m))?;
            let duration = match cols.duration {
                Some((i, unit)) => {
                    Some(csv::non_negative(fields[i], "a duration").map_err(|m| at(i, m))? * unit)
                }
                None => None,
            };
            if kind == Kind::Azure2021 {
                arrival -= duration.unwrap_or(0.0) / 1000.0;
            }
            key.clear();
            for i in [cols.app, cols.function].into_iter().flatten() {
                if fields[i].is_empty() {
                    return Err(at(i, "expected a name, got an empty field".to_owned()));
                }
            }
            match kind {
                Kind::Azure2021 => {
                    key.push_str(fields[cols.app.expect("azure2021 has app")]);
                    if !plan.by_app {
                        key.push(',');
                        key.push_str(fields[cols.function.expect("azure2021 has func")]);
                    }
                }
                Kind::Generic => key.push_str(cols.function.map_or("trace", |i| fields[i])),
            }
            span = Some(span.map_or((arrival, arrival), |(a, b)| {
                (a.min(arrival), b.max(arrival))
            }));
            if !(arrival >= start_s && arrival < end_s) {
                return Ok(None);
            }
            Ok(Some((arrival, duration)))
        })();
        let (arrival, duration) = match parsed {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(e) => {
                skips.skip(e)?;
                continue;
            }
        };
        let i = match index.get(&key) {
            Some(&i) => i,
            None => {
                let name = match kind {
                    Kind::Azure2021 => {
                        let mut parts = key.split(',');
                        let app = short(parts.next().unwrap_or(""));
                        match parts.next() {
                            Some(f) => format!("{app}/{}", short(f)),
                            None => app.to_owned(),
                        }
                    }
                    Kind::Generic => key.clone(),
                };
                index.insert(key.clone(), accs.len());
                accs.push(Acc {
                    name,
                    times: Vec::new(),
                    durations: Vec::new(),
                });
                accs.len() - 1
            }
        };
        let a = &mut accs[i];
        a.times.push(((arrival - start_s) * 1e9).round() as u64);
        if let Some(d) = duration {
            a.durations.push(d);
        }
    }
    report.span_min = span.map(|(a, b)| (a / 60.0, b / 60.0));
    drop(index);
    report.candidates = accs.len() as u64;
    let totals: Vec<u64> = accs.iter().map(|a| a.times.len() as u64).collect();
    let chosen = choose(&plan.select, &totals);
    let mut slots: Vec<Option<Acc>> = accs.into_iter().map(Some).collect();
    Ok(chosen
        .into_iter()
        .map(|i| {
            let mut a = slots[i].take().expect("chosen once");
            // Each invocation's own duration, in arrival order, before the table's sort.
            let replay = (plan.replay_durations && a.durations.len() == a.times.len()).then(|| {
                a.durations
                    .iter()
                    .map(|ms| (ms * 1e6).round() as u64)
                    .collect()
            });
            let exec = (!a.durations.is_empty()).then(|| {
                a.durations.sort_unstable_by(f64::total_cmp);
                percentile_table(&a.durations)
            });
            Unit {
                name: unique_name(a.name, taken),
                data: Arc::new(TraceData::Times(TimeList::from_unsorted_with(
                    a.times, replay,
                ))),
                exec,
                memory_mb: None,
            }
        })
        .collect())
}
