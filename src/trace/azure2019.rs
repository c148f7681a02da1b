//! The Azure Functions 2019 public trace (`Azure/AzurePublicDataset`,
//! `AzureFunctionsDataset2019.md`).
//!
//! - `invocations_per_function_md.anon.dNN.csv`: `HashOwner,HashApp,HashFunction,Trigger`
//!   then 1,440 columns `1`..`1440`, invocations per minute of day NN. Several day files
//!   given in order form one timeline (day k starts at minute 1,440·k).
//! - `function_durations_percentiles.anon.dNN.csv`: `HashOwner,HashApp,HashFunction,
//!   Average,Count,Minimum,Maximum,percentile_Average_{0,1,25,50,75,99,100}` (ms).
//! - `app_memory_percentiles.anon.dNN.csv`: `HashOwner,HashApp,SampleCount,
//!   AverageAllocatedMb,AverageAllocatedMb_pct{1,5,25,50,75,95,99,100}`.
//!
//! Every file is streamed row by row; the invocation files are parsed by a second thread
//! that hands rows over in batches, in file order. With `top` or `sample` the invocation
//! files are read twice: once to rank functions by invocations (keeping one total per
//! function), once to encode the chosen ones. Only the chosen functions' duration and
//! memory rows are parsed beyond their keys.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, mpsc};
use std::thread::ScopedJoinHandle;

use super::counts::{MinuteBuilder, TraceData};
use super::csv::{self, CsvReader, Skips};
use super::ids::IdMap;
use super::{DAY_MIN, MemoryStat, Plan, Ranking, TraceReport, Unit, choose, short, unique_name};
use crate::dist::Dist;
use crate::error::{Error, Result};

const ID_COLUMNS: [&str; 4] = ["HashOwner", "HashApp", "HashFunction", "Trigger"];
const DURATION_COLUMNS: [&str; 14] = [
    "HashOwner",
    "HashApp",
    "HashFunction",
    "Average",
    "Count",
    "Minimum",
    "Maximum",
    "percentile_Average_0",
    "percentile_Average_1",
    "percentile_Average_25",
    "percentile_Average_50",
    "percentile_Average_75",
    "percentile_Average_99",
    "percentile_Average_100",
];
/// The probabilities of the duration file's percentile columns.
const DURATION_QUANTILES: [f64; 7] = [0.0, 0.01, 0.25, 0.50, 0.75, 0.99, 1.0];
const MEMORY_COLUMNS: [&str; 12] = [
    "HashOwner",
    "HashApp",
    "SampleCount",
    "AverageAllocatedMb",
    "AverageAllocatedMb_pct1",
    "AverageAllocatedMb_pct5",
    "AverageAllocatedMb_pct25",
    "AverageAllocatedMb_pct50",
    "AverageAllocatedMb_pct75",
    "AverageAllocatedMb_pct95",
    "AverageAllocatedMb_pct99",
    "AverageAllocatedMb_pct100",
];

/// One parsed invocation row; the counts are in the caller's buffer.
struct Row<'a> {
    app: &'a str,
    func: &'a str,
    trigger: &'a str,
}

fn parse_row<'a>(
    r: &'a CsvReader,
    header: &[String],
    counts: &mut [u64],
    wanted: Range<u64>,
) -> Result<Row<'a>> {
    if let Some(row) = parse_plain_row(r, header, counts, wanted) {
        return Ok(row);
    }
    let mut ids = [""; 4];
    let mut n = 0;
    for (i, f) in r.fields().enumerate() {
        n = i + 1;
        if i < 4 {
            if f.is_empty() {
                return Err(r.error(i + 1, ID_COLUMNS[i], "expected a value, got an empty field"));
            }
            ids[i] = f;
        } else if i < header.len() {
            counts[i - 4] = csv::count(f, false).map_err(|m| r.error(i + 1, &header[i], m))?;
        }
    }
    csv::check_width(r, n, header)?;
    Ok(Row {
        app: ids[1],
        func: ids[2],
        trigger: ids[3],
    })
}

/// The common row, read byte by byte: no quote, four identifiers, then as many counts as
/// the header has minutes, each a plain run of digits. `None` for anything else: the
/// general reader above then reads the row and names what is wrong with it. On the rows it
/// takes it gives what the general reader gives (`csv::count` of digits is the integer
/// they spell; a count beyond `u64` is left to it), about three times faster. Only the
/// counts of the `wanted` columns are converted; the others are checked and left 0 (a
/// first hour wants 60 of a day's 1,440).
fn parse_plain_row<'a>(
    r: &'a CsvReader,
    header: &[String],
    counts: &mut [u64],
    wanted: Range<u64>,
) -> Option<Row<'a>> {
    if r.quoted() {
        return None;
    }
    let mut rest = r.line();
    let mut ids = [""; 4];
    for id in &mut ids {
        let (field, after) = rest.split_once(',')?;
        *id = field.trim();
        if id.is_empty() {
            return None;
        }
        rest = after;
    }
    let minutes = header.len().checked_sub(ids.len())?;
    let bytes = rest.as_bytes();
    let wanted = wanted.start as usize..wanted.end as usize;
    let (mut at, mut n) = (0, 0);
    loop {
        let start = at;
        let mut value: u64 = 0;
        if wanted.contains(&n) {
            while let Some(&b) = bytes.get(at)
                && b.is_ascii_digit()
            {
                value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
                at += 1;
            }
        } else {
            while let Some(&b) = bytes.get(at)
                && b.is_ascii_digit()
            {
                at += 1;
            }
            // Up to 19 digits always fit in a u64; a longer count is left to the general
            // reader, which takes it if it fits and names it if not.
            if at - start > MAX_PLAIN_DIGITS {
                return None;
            }
        }
        if at == start || n == minutes {
            return None;
        }
        counts[n] = value;
        n += 1;
        match bytes.get(at) {
            None => break,
            Some(b',') => at += 1,
            Some(_) => return None,
        }
    }
    (n == minutes).then_some(Row {
        app: ids[1],
        func: ids[2],
        trigger: ids[3],
    })
}

/// The longest run of digits that is a u64 whatever the digits (10^19 − 1 < 2^64).
const MAX_PLAIN_DIGITS: usize = 19;

/// One row as the reading thread hands it over: app, function and trigger (ranges in
/// its batch's text) and its counts in the window (a range of the batch's cells), or what
/// was wrong with it.
enum Item {
    Row {
        ids: [Range<usize>; 3],
        cells: Range<usize>,
    },
    Bad(Error),
}

/// Rows read ahead, in file order.
#[derive(Default)]
struct Batch {
    text: String,
    /// (window minute, invocations) of each row's minutes in the window that have any.
    cells: Vec<(u64, u64)>,
    items: Vec<Item>,
}

/// Rows per batch handed over by the reading thread.
const BATCH_ROWS: usize = 256;

/// Batches read ahead at most (besides the one being read and the one being used).
const BATCHES_AHEAD: usize = 4;

/// Streams every invocation row of the day files that overlap the window, in file order:
/// `each` gets the row and its nonzero counts in the window as (window minute, count).
///
/// A second thread reads and parses the rows (most of the work for a day of tens of
/// thousands of functions) while this one hands them to `each`. The rows arrive in
/// batches, in file order, so what `each` builds does not depend on the threads.
fn scan(
    plan: &Plan,
    skips: &mut Skips,
    rows: &mut u64,
    mut each: impl FnMut(u64, Row<'_>, &[(u64, u64)]),
) -> Result<()> {
    for (day, path) in plan.files.iter().enumerate() {
        let day = day as u64;
        let (first, end) = (day * DAY_MIN, (day + 1) * DAY_MIN);
        if end <= plan.start_min || first >= plan.end_min {
            continue;
        }
        let mut r = CsvReader::open(path)?;
        let header = csv::header(&mut r)?;
        csv::expect_columns(&r, &header, &ID_COLUMNS)?;
        let minutes: Vec<String> = (1..=DAY_MIN).map(|m| m.to_string()).collect();
        let names: Vec<&str> = minutes.iter().map(String::as_str).collect();
        let mut want: Vec<&str> = ID_COLUMNS.to_vec();
        want.extend(names);
        csv::expect_columns(&r, &header, &want)?;
        if header.len() > want.len() {
            return Err(r.error(
                want.len() + 1,
                &header[want.len()],
                "expected the header to end after column `1440`",
            ));
        }
        // This day's count columns in the window.
        let in_window = plan.start_min.max(first) - first..plan.end_min.min(end) - first;
        let (tx, rx) = mpsc::sync_channel::<Result<Batch>>(BATCHES_AHEAD);
        let header = &header;
        std::thread::scope(|threads| -> Result<()> {
            threads.spawn(move || read_rows(r, header, plan, first, in_window, tx));
            // Ends after the reader's last batch, or at the first error: returning drops
            // `rx`, and the reader stops at its next batch.
            for batch in rx {
                let Batch { text, cells, items } = batch?;
                for item in items {
                    *rows += 1;
                    match item {
                        Item::Row { ids, cells: range } => {
                            let [app, func, trigger] = ids;
                            let row = Row {
                                app: &text[app],
                                func: &text[func],
                                trigger: &text[trigger],
                            };
                            each(day, row, &cells[range]);
                        }
                        Item::Bad(e) => skips.skip(e)?,
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// The reading thread of [`scan`]: parses the rows of `r` (a day that starts at trace
/// minute `first`, `in_window` its count columns in the window) and sends them in
/// batches, then the I/O error if reading fails. Stops early when [`scan`] stops
/// listening.
fn read_rows(
    mut r: CsvReader,
    header: &[String],
    plan: &Plan,
    first: u64,
    in_window: Range<u64>,
    tx: mpsc::SyncSender<Result<Batch>>,
) {
    let mut counts = vec![0u64; DAY_MIN as usize];
    let mut batch = Batch::default();
    loop {
        match r.next_line() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                if tx.send(Ok(batch)).is_ok() {
                    let _ = tx.send(Err(e));
                }
                return;
            }
        }
        let item = match parse_row(&r, header, &mut counts, in_window.clone()) {
            Ok(row) => {
                let mut id = |s: &str| {
                    let at = batch.text.len();
                    batch.text.push_str(s);
                    at..batch.text.len()
                };
                let ids = [id(row.app), id(row.func), id(row.trigger)];
                let from = batch.cells.len();
                // Every column of `in_window` is in the window: its window minute is its
                // trace minute less the window's start.
                for i in in_window.clone() {
                    let c = counts[i as usize];
                    if c > 0 {
                        batch.cells.push((first + i - plan.start_min, c));
                    }
                }
                Item::Row {
                    ids,
                    cells: from..batch.cells.len(),
                }
            }
            Err(e) => Item::Bad(e),
        };
        batch.items.push(item);
        if batch.items.len() == BATCH_ROWS && tx.send(Ok(std::mem::take(&mut batch))).is_err() {
            return;
        }
    }
    if !batch.items.is_empty() {
        let _ = tx.send(Ok(batch));
    }
}

/// A unit being built.
struct Build {
    app: String,
    name: String,
    rank: usize,
    counts: MinuteBuilder,
    total: u64,
    /// Per member function: invocations in the window, and its duration table.
    members: Vec<(u64, Option<Dist>)>,
    memory_mb: Option<f64>,
}

/// Reads the files of `plan` (format `azure2019`).
pub(crate) fn load(
    plan: &Plan,
    skips: &mut Skips,
    report: &mut TraceReport,
    taken: &mut HashSet<String>,
) -> Result<Vec<Unit>> {
    // The durations file is read on a thread of its own while the invocations are read:
    // its rows need nothing from them until they are matched to the functions.
    std::thread::scope(|threads| {
        let durations = plan
            .durations
            .as_deref()
            .map(|path| threads.spawn(move || DurationRows::read(path)));
        load_units(plan, skips, report, taken, durations)
    })
}

/// [`load`], given the durations file's rows as they are being read.
fn load_units(
    plan: &Plan,
    skips: &mut Skips,
    report: &mut TraceReport,
    taken: &mut HashSet<String>,
    durations: Option<ScopedJoinHandle<'_, Result<DurationRows>>>,
) -> Result<Vec<Unit>> {
    // A row's unit: its app, or its app and function.
    let unit_key_into = |key: &mut String, row: &Row<'_>| {
        if plan.by_app {
            key.clear();
            key.push_str(row.app);
        } else {
            member_key_into(key, row.app, row.func);
        }
    };
    // Pass 1 (top / sample): total invocations per unit in the window.
    let mut selected: Option<IdMap<String, usize>> = None;
    if plan.ranks() {
        let mut ranking = Ranking::default();
        let mut first_pass_skips = Skips {
            lenient: skips.lenient,
            ..Skips::default()
        };
        let mut rows = 0;
        let mut key = String::new();
        scan(plan, &mut first_pass_skips, &mut rows, |_, row, cells| {
            if plan.trigger_ok(row.trigger) {
                unit_key_into(&mut key, &row);
                ranking.add(&key, cells.iter().map(|&(_, c)| c).sum());
            }
        })?;
        report.candidates = ranking.totals().iter().filter(|&&t| t > 0).count() as u64;
        selected = Some(ranking.select(&plan.select));
    }

    // Pass 2: encode the chosen units.
    let first_day = plan.start_min / DAY_MIN;
    let mut units: Vec<Build> = Vec::new();
    let mut unit_of: IdMap<String, usize> = IdMap::default();
    let mut member_of: IdMap<String, (usize, usize)> = IdMap::default();
    // Functions per app in the first day of the window: app memory is split among them.
    let mut app_functions: IdMap<String, u32> = IdMap::default();
    // A row's unit and member keys, built in place (most rows find theirs already made).
    let (mut key, mut member) = (String::new(), String::new());
    let mut rows = 0;
    scan(plan, skips, &mut rows, |day, row, cells| {
        if day == first_day {
            match app_functions.get_mut(row.app) {
                Some(n) => *n += 1,
                None => {
                    app_functions.insert(row.app.to_owned(), 1);
                }
            }
        }
        if !plan.trigger_ok(row.trigger) {
            return;
        }
        unit_key_into(&mut key, &row);
        let rank = match &selected {
            Some(sel) => match sel.get(&key) {
                Some(&rank) => rank,
                None => return,
            },
            None => units.len(),
        };
        let u = match unit_of.get(&key) {
            Some(&u) => u,
            None => {
                let name = if plan.by_app {
                    short(row.app).to_owned()
                } else {
                    format!("{}/{}", short(row.app), short(row.func))
                };
                units.push(Build {
                    app: row.app.to_owned(),
                    name: unique_name(name, taken),
                    rank,
                    counts: MinuteBuilder::default(),
                    total: 0,
                    members: Vec::new(),
                    memory_mb: None,
                });
                unit_of.insert(key.clone(), units.len() - 1);
                units.len() - 1
            }
        };
        let b = &mut units[u];
        member_key_into(&mut member, row.app, row.func);
        let m = match member_of.get(&member) {
            Some(&(_, m)) => m,
            None => {
                b.members.push((0, None));
                member_of.insert(member.clone(), (u, b.members.len() - 1));
                b.members.len() - 1
            }
        };
        let total: u64 = cells.iter().map(|&(_, c)| c).sum();
        b.counts.add_row(cells);
        b.counts.compact();
        b.total += total;
        b.members[m].0 += total;
    })?;
    report.rows += rows;
    if selected.is_none() {
        report.candidates = units.iter().filter(|u| u.total > 0).count() as u64;
    }

    if let Some(reading) = durations {
        let rows = reading
            .join()
            .expect("the durations reader does not panic")?;
        rows.apply(skips, report, &member_of, &mut units)?;
    }
    if let Some(path) = &plan.memory {
        read_memory(path, plan, skips, report, &app_functions, &mut units)?;
    }

    // Selection without ranking keeps every unit with an invocation, in file order.
    let totals: Vec<u64> = units.iter().map(|u| u.total).collect();
    let keep: HashSet<usize> = choose(&plan.select, &totals).into_iter().collect();
    let mut kept: Vec<Build> = units
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, b)| b)
        .collect();
    kept.sort_by_key(|b| b.rank);
    Ok(kept
        .into_iter()
        .map(|b| Unit {
            name: b.name,
            data: Arc::new(TraceData::Minutes(b.counts.finish())),
            exec: mixture(b.members),
            memory_mb: b.memory_mb,
        })
        .collect())
}

/// The execution time of a unit: its one function's table, or for an app the mixture of
/// its functions' tables weighted by their invocations in the window (functions without a
/// table are left out).
fn mixture(members: Vec<(u64, Option<Dist>)>) -> Option<Dist> {
    let mut parts: Vec<(u64, Dist)> = members
        .into_iter()
        .filter_map(|(w, d)| d.map(|d| (w, d)))
        .collect();
    match parts.len() {
        0 => None,
        1 => parts.pop().map(|(_, d)| d),
        _ => {
            let sum: u64 = parts.iter().map(|p| p.0).sum();
            // All weights zero (only functions idle in the window have tables): equal parts.
            let weight = |w: u64| {
                if sum == 0 { 1.0 } else { w as f64 / sum as f64 }
            };
            let total: f64 = parts.iter().map(|p| weight(p.0)).sum();
            let mut acc = 0.0;
            let mut cumulative = Vec::with_capacity(parts.len());
            let mut dists = Vec::with_capacity(parts.len());
            for (w, d) in parts {
                acc += weight(w) / total;
                cumulative.push(acc);
                dists.push(d);
            }
            *cumulative.last_mut().expect("non-empty") = 1.0;
            Some(Dist::Mixture {
                cumulative,
                parts: dists,
            })
        }
    }
}

/// `key` made the key of function `func` of app `app` ("app,func").
fn member_key_into(key: &mut String, app: &str, func: &str) {
    key.clear();
    key.push_str(app);
    key.push(',');
    key.push_str(func);
}

/// The durations file, read and parsed ahead: each row's function and percentiles (or
/// what is wrong with them), in file order, then the I/O error that ended it, if one did.
struct DurationRows {
    /// Each row, or its width error.
    rows: Vec<Result<DurationRow>>,
    failed: Option<Error>,
}

/// One row of the durations file (of the right width) before it is matched to a
/// function: its percentiles matter only for a row whose function is loaded (a bad value
/// elsewhere does not).
struct DurationRow {
    /// "app,func".
    key: Box<str>,
    /// The durations at [`DURATION_QUANTILES`], ms.
    points: Result<[f64; DURATION_QUANTILES.len()]>,
}

impl DurationRows {
    /// Reads the file at `path` (an error if it cannot be opened or its header is not a
    /// durations file's).
    fn read(path: &std::path::Path) -> Result<DurationRows> {
        let mut r = CsvReader::open(path)?;
        let header = csv::header(&mut r)?;
        csv::expect_columns(&r, &header, &DURATION_COLUMNS)?;
        let mut rows = Vec::new();
        loop {
            match r.next_line() {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    return Ok(DurationRows {
                        rows,
                        failed: Some(e),
                    });
                }
            }
            let fields: Vec<&str> = r.fields().collect();
            rows.push(csv::check_width(&r, fields.len(), &header).map(|()| {
                let mut key = String::new();
                member_key_into(&mut key, fields[1], fields[2]);
                DurationRow {
                    key: key.into_boxed_str(),
                    points: percentiles(&r, &fields),
                }
            }));
        }
        Ok(DurationRows { rows, failed: None })
    }

    /// Gives each loaded function the percentiles of its first row, as a sequential read
    /// would: rows of other functions are passed over, errors skipped or returned as
    /// `skips` says.
    fn apply(
        self,
        skips: &mut Skips,
        report: &mut TraceReport,
        member_of: &IdMap<String, (usize, usize)>,
        units: &mut [Build],
    ) -> Result<()> {
        for row in self.rows {
            report.rows += 1;
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    skips.skip(e)?;
                    continue;
                }
            };
            let Some(&(u, m)) = member_of.get(&*row.key) else {
                continue;
            };
            if units[u].members[m].1.is_some() {
                continue;
            }
            match row.points {
                Ok(points) => {
                    let table = DURATION_QUANTILES.iter().copied().zip(points).collect();
                    units[u].members[m].1 = Some(Dist::Percentiles(table));
                }
                Err(e) => skips.skip(e)?,
            }
        }
        self.failed.map_or(Ok(()), Err)
    }
}

/// The durations at [`DURATION_QUANTILES`] of the durations row `fields` (non-negative,
/// not decreasing).
fn percentiles(r: &CsvReader, fields: &[&str]) -> Result<[f64; DURATION_QUANTILES.len()]> {
    let mut points = [0.0; DURATION_QUANTILES.len()];
    for j in 0..points.len() {
        let col = 7 + j;
        let v = csv::non_negative(fields[col], "a duration in ms")
            .map_err(|msg| r.error(col + 1, DURATION_COLUMNS[col], msg))?;
        if j > 0 && v < points[j - 1] {
            return Err(r.error(
                col + 1,
                DURATION_COLUMNS[col],
                format!(
                    "expected percentiles not to decrease: {v} after {} in `{}`",
                    points[j - 1],
                    DURATION_COLUMNS[col - 1]
                ),
            ));
        }
        points[j] = v;
    }
    Ok(points)
}

fn read_memory(
    path: &std::path::Path,
    plan: &Plan,
    skips: &mut Skips,
    report: &mut TraceReport,
    app_functions: &IdMap<String, u32>,
    units: &mut [Build],
) -> Result<()> {
    let col = match plan.memory_stat {
        MemoryStat::Average => 3,
        MemoryStat::P1 => 4,
        MemoryStat::P5 => 5,
        MemoryStat::P25 => 6,
        MemoryStat::P50 => 7,
        MemoryStat::P75 => 8,
        MemoryStat::P95 => 9,
        MemoryStat::P99 => 10,
        MemoryStat::P100 => 11,
    };
    let mut by_app: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        by_app.entry(u.app.as_str()).or_default().push(i);
    }
    let mut r = CsvReader::open(path)?;
    let header = csv::header(&mut r)?;
    csv::expect_columns(&r, &header, &MEMORY_COLUMNS)?;
    let mut found: Vec<(usize, f64)> = Vec::new();
    while r.next_line()? {
        report.rows += 1;
        let parsed = (|| -> Result<Option<(&[usize], f64)>> {
            let fields: Vec<&str> = r.fields().collect();
            csv::check_width(&r, fields.len(), &header)?;
            let Some((app, members)) = by_app.get_key_value(fields[1]) else {
                return Ok(None);
            };
            let mb = csv::non_negative(fields[col], "memory in MB")
                .map_err(|msg| r.error(col + 1, MEMORY_COLUMNS[col], msg))?;
            // Memory is the app's: split evenly among its functions (as invitro does),
            // whole when the app is the unit.
            let share = if plan.by_app {
                1.0
            } else {
                f64::from(app_functions.get(*app).copied().unwrap_or(1).max(1))
            };
            Ok(Some((members.as_slice(), mb / share)))
        })();
        match parsed {
            Ok(Some((members, mb))) => found.extend(members.iter().map(|&i| (i, mb))),
            Ok(None) => {}
            Err(e) => skips.skip(e)?,
        }
    }
    drop(by_app);
    for (i, mb) in found {
        units[i].memory_mb.get_or_insert(mb);
    }
    Ok(())
}
