//! The Huawei Cloud 2023 public trace (`sir-lab/data-release`, `README_data_release_2023.md`):
//! `requests_minute/day_NN.csv`, one row per minute, columns `day,time` then one column per
//! function id (`0`..`5092`) holding its requests in that minute. `time` is in seconds from
//! the start of the dataset (0–2,246,340); minutes without requests are empty (the files
//! come from pandas, so counts may read `2.0`). The ids are columns, so a row is one minute
//! of every function and the file is already in time order.
//!
//! Window minutes count from the first row of the first file. With `top` or `sample` the
//! files are read twice (totals per column, then the chosen columns).

use std::collections::HashSet;
use std::sync::Arc;

use super::counts::{MinuteBuilder, TraceData};
use super::csv::{self, CsvReader, Skips};
use super::ids::IdMap;
use super::{Plan, Ranking, TraceReport, Unit, unique_name};
use crate::error::Result;

/// Streams every row: `each(window minute, column name, count)` for each non-zero count
/// inside the window.
fn scan(
    plan: &Plan,
    skips: &mut Skips,
    rows: &mut u64,
    end_min: &mut u64,
    mut each: impl FnMut(u64, &str, u64),
) -> Result<()> {
    let mut origin: Option<u64> = None;
    let mut last_time: Option<u64> = None;
    let mut counts: Vec<u64> = Vec::new();
    for path in &plan.files {
        let mut r = CsvReader::open(path)?;
        let header = csv::header(&mut r)?;
        csv::expect_columns(&r, &header, &["day", "time"])?;
        while r.next_line()? {
            *rows += 1;
            let parsed = (|| -> Result<u64> {
                counts.clear();
                let mut time = 0;
                let mut n = 0;
                for (i, f) in r.fields().enumerate() {
                    n = i + 1;
                    match i {
                        0 => {}
                        1 => {
                            time = csv::count(f, false)
                                .map_err(|_| {
                                    format!("expected a time in whole seconds >= 0, got `{f}`")
                                })
                                .map_err(|m| r.error(2, "time", m))?;
                            if let Some(prev) = last_time
                                && time <= prev
                            {
                                return Err(r.error(
                                    2,
                                    "time",
                                    format!(
                                        "expected times to increase (rows in time order, files in day order): {time} after {prev}"
                                    ),
                                ));
                            }
                        }
                        _ if i < header.len() => counts
                            .push(csv::count(f, true).map_err(|m| r.error(i + 1, &header[i], m))?),
                        _ => {}
                    }
                }
                csv::check_width(&r, n, &header)?;
                Ok(time)
            })();
            let time = match parsed {
                Ok(t) => t,
                Err(e) => {
                    skips.skip(e)?;
                    continue;
                }
            };
            last_time = Some(time);
            let first = *origin.get_or_insert(time / 60);
            *end_min = (*end_min).max(time / 60 - first + 1);
            let Some(minute) = plan.window_minute(time / 60 - first) else {
                continue;
            };
            for (j, &c) in counts.iter().enumerate() {
                if c > 0 {
                    each(minute, &header[j + 2], c);
                }
            }
        }
    }
    Ok(())
}

/// Reads the files of `plan` (format `huawei2023`).
pub(crate) fn load(
    plan: &Plan,
    skips: &mut Skips,
    report: &mut TraceReport,
    taken: &mut HashSet<String>,
) -> Result<Vec<Unit>> {
    let mut selected: Option<IdMap<String, usize>> = None;
    if plan.ranks() {
        let mut ranking = Ranking::default();
        let mut first_pass_skips = Skips {
            lenient: skips.lenient,
            ..Skips::default()
        };
        let mut rows = 0;
        scan(
            plan,
            &mut first_pass_skips,
            &mut rows,
            &mut 0,
            |_, name, c| {
                ranking.add(name, c);
            },
        )?;
        report.candidates = ranking.totals().len() as u64;
        selected = Some(ranking.select(&plan.select));
    }
    // (rank, column name, counts)
    let mut units: Vec<(usize, String, MinuteBuilder)> = Vec::new();
    let mut index: IdMap<String, usize> = IdMap::default();
    let mut rows = 0;
    let mut end_min = 0;
    scan(plan, skips, &mut rows, &mut end_min, |minute, name, c| {
        let i = match index.get(name) {
            Some(&i) => i,
            None => {
                let rank = match &selected {
                    Some(sel) => match sel.get(name) {
                        Some(&r) => r,
                        None => return,
                    },
                    None => units.len(),
                };
                index.insert(name.to_owned(), units.len());
                units.push((rank, name.to_owned(), MinuteBuilder::default()));
                units.len() - 1
            }
        };
        units[i].2.add(minute, c);
    })?;
    report.rows += rows;
    if end_min > 0 {
        report.span_min = Some((0.0, end_min as f64));
    }
    if selected.is_none() {
        report.candidates = units.len() as u64;
    }
    units.sort_by_key(|u| u.0);
    Ok(units
        .into_iter()
        .map(|(_, name, counts)| Unit {
            name: unique_name(name, taken),
            data: Arc::new(TraceData::Minutes(counts.finish())),
            exec: None,
            memory_mb: None,
        })
        .collect())
}
