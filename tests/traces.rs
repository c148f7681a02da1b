//! Trace replay on the sample files in `workloads/traces/`, checked against the files read
//! independently here (plain `split(',')`, not the library's readers).

use std::collections::BTreeMap;
use std::path::Path;

use faassim::Scenario;
use faassim::rng::{Stream, stream};
use faassim::workload::Workload;

use crate::common::{run, scenario_in, temp_dir};

pub(crate) const DIR: &str = "workloads/traces";
pub(crate) const INV19: &str = "azure2019/invocations_per_function_md.anon.d01.csv";
pub(crate) const DUR19: &str = "azure2019/function_durations_percentiles.anon.d01.csv";
pub(crate) const MEM19: &str = "azure2019/app_memory_percentiles.anon.d01.csv";
const AZ21: &str = "azure2021/AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt";
const NS_PER_MIN: f64 = 60e9;

fn load(traces: &str, duration_s: f64) -> Scenario {
    load_in(traces, duration_s, Path::new(DIR))
}

fn load_in(traces: &str, duration_s: f64, dir: &Path) -> Scenario {
    scenario_in(
        &format!(r#"{{"name": "t", "seed": 1, "duration_s": {duration_s}, "traces": {traces}}}"#),
        dir,
    )
}

fn load_err(traces: &str, dir: &Path) -> String {
    Scenario::from_str(
        &format!(r#"{{"name": "t", "duration_s": 60, "traces": {traces}}}"#),
        "t.json",
        dir,
    )
    .expect_err("should fail")
    .to_string()
}

/// The arrival times of every generated function, by name (straight from the workloads,
/// not through the simulator).
fn arrivals(s: &Scenario, seed: u64) -> BTreeMap<String, Vec<u64>> {
    s.functions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let Some(w @ Workload::Trace(_)) = &f.workload else {
                panic!("{} is not a trace function", f.name)
            };
            let mut src = w.start(stream(seed, i as u64, Stream::Arrivals)).unwrap();
            let mut v = Vec::new();
            while let Some(t) = src.next_arrival().unwrap() {
                v.push(t.0);
            }
            (f.name.clone(), v)
        })
        .collect()
}

/// Per-minute counts of sorted times (minute width `60 s / compress`).
fn per_minute(times: &[u64], compress: f64, minutes: usize) -> Vec<u64> {
    let mut c = vec![0u64; minutes];
    for &t in times {
        c[(t as f64 * compress / NS_PER_MIN).floor() as usize] += 1;
    }
    c
}

/// One Azure 2019 invocation row, read independently.
struct Row19 {
    name: String,
    app: String,
    trigger: String,
    counts: Vec<u64>,
}

fn short(h: &str) -> &str {
    &h[..8]
}

fn rows19() -> Vec<Row19> {
    let text = std::fs::read_to_string(Path::new(DIR).join(INV19)).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4 + 1440);
            Row19 {
                name: format!("{}/{}", short(f[1]), short(f[2])),
                app: f[1].to_owned(),
                trigger: f[3].to_owned(),
                counts: f[4..].iter().map(|x| x.parse().unwrap()).collect(),
            }
        })
        .collect()
}

pub(crate) fn azure2019(extra: &str) -> String {
    format!(
        r#"{{"format": "azure2019", "invocations": "{INV19}", "durations": "{DUR19}",
             "memory": "{MEM19}", "template": {{"runtime": "nodejs", "memory_mb": 256,
             "exec_ms": {{"dist": "const", "value": 50}}}} {extra}}}"#
    )
}

/// `spread: even` reproduces every function's count in every minute exactly, and the run
/// serves exactly the file's total.
#[test]
fn azure2019_even_spread_reproduces_every_minute() {
    let rows = rows19();
    let s = load(&azure2019(r#", "spread": "even""#), 86_400.0);
    let got = arrivals(&s, 1);
    assert_eq!(
        got.len(),
        rows.len(),
        "every sample function has invocations"
    );
    for r in &rows {
        let times = &got[&r.name];
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{}: sorted", r.name);
        assert_eq!(per_minute(times, 1.0, 1440), r.counts, "{}", r.name);
    }
    let total: u64 = rows.iter().flat_map(|r| &r.counts).sum();
    let report = s.trace.as_ref().unwrap();
    assert_eq!(report.invocations, total);
    assert_eq!(
        report.rows,
        20 + 19 + 7,
        "invocation + duration + memory rows"
    );
    assert_eq!(run(&s).total.invocations, total);
}

/// Uniform spreading keeps per-minute counts too; the same seed gives the same times and
/// another seed other times.
#[test]
fn azure2019_uniform_spread_keeps_counts_and_is_seeded() {
    let rows = rows19();
    let s = load(&azure2019(""), 86_400.0);
    let a = arrivals(&s, 1);
    for r in &rows {
        assert_eq!(per_minute(&a[&r.name], 1.0, 1440), r.counts, "{}", r.name);
    }
    assert_eq!(a, arrivals(&s, 1));
    assert_ne!(a, arrivals(&s, 2));
}

/// Poisson spreading keeps the counts on average: the total is Poisson with the file's
/// total as its mean.
#[test]
fn azure2019_poisson_spread_total_matches_in_mean() {
    let total: u64 = rows19().iter().flat_map(|r| &r.counts).sum();
    let s = load(&azure2019(r#", "spread": "poisson""#), 86_400.0);
    let n: usize = arrivals(&s, 1).values().map(Vec::len).sum();
    let sd = (total as f64).sqrt();
    assert!(
        (n as f64 - total as f64).abs() < 4.0 * sd,
        "{n} vs {total} ± {}",
        4.0 * sd
    );
}

/// Compression divides every time by the factor; amplification 2 doubles every minute's
/// count exactly, 1.5 gives floor or ceil of 1.5 × count.
#[test]
fn compression_and_amplification_are_exact() {
    let rows = rows19();
    let plain = arrivals(&load(&azure2019(r#", "spread": "even""#), 86_400.0), 1);
    let fast = arrivals(
        &load(&azure2019(r#", "spread": "even", "compress": 24"#), 3_600.0),
        1,
    );
    for (name, times) in &plain {
        let f = &fast[name];
        assert_eq!(f.len(), times.len());
        for (a, b) in times.iter().zip(f) {
            // Rounding to whole nanoseconds at both scales: at most 24 ns apart after × 24.
            assert!(
                (*a as i64 - *b as i64 * 24).abs() <= 24,
                "{name}: {a} vs {b}×24"
            );
        }
    }
    let double = arrivals(
        &load(&azure2019(r#", "spread": "even", "amplify": 2"#), 86_400.0),
        1,
    );
    let half_more = arrivals(&load(&azure2019(r#", "amplify": 1.5"#), 86_400.0), 1);
    for r in &rows {
        let d = per_minute(&double[&r.name], 1.0, 1440);
        let h = per_minute(&half_more[&r.name], 1.0, 1440);
        for m in 0..1440 {
            assert_eq!(d[m], 2 * r.counts[m]);
            let x = 1.5 * r.counts[m] as f64;
            assert!(
                h[m] == x.floor() as u64 || h[m] == x.ceil() as u64,
                "{} minute {m}: {} for 1.5 × {}",
                r.name,
                h[m],
                r.counts[m]
            );
        }
    }
}

/// A window replays its minutes only, shifted to start at 0.
#[test]
fn window_selects_and_shifts_minutes() {
    let rows = rows19();
    let s = load(
        &azure2019(r#", "spread": "even", "window": {"start_min": 600, "minutes": 120}"#),
        7_200.0,
    );
    let got = arrivals(&s, 1);
    for r in &rows {
        let want = &r.counts[600..720];
        match got.get(&r.name) {
            Some(t) => assert_eq!(per_minute(t, 1.0, 120), want, "{}", r.name),
            None => assert!(want.iter().all(|&c| c == 0), "{} left out", r.name),
        }
    }
}

/// Top-N picks the functions with the most invocations, most first; a trigger filter keeps
/// exactly the functions with that trigger; a sample is seeded.
#[test]
fn selection_by_top_trigger_and_sample() {
    let rows = rows19();
    let mut by_total: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r.counts.iter().sum(), r.name.as_str()))
        .collect();
    by_total.sort_by_key(|x| std::cmp::Reverse(x.0));
    let s = load(&azure2019(r#", "select": {"top": 3}"#), 86_400.0);
    let names: Vec<&str> = s.functions.iter().map(|f| f.name.as_str()).collect();
    let want: Vec<&str> = by_total[..3].iter().map(|x| x.1).collect();
    assert_eq!(names, want);
    // By construction (make_samples.py) the busiest are iot/ingest, shop/checkout and
    // shop/cart, whose hashes start as below, with distinct totals.
    assert_eq!(
        names,
        [
            "b4250822/7318e947",
            "2442d572/5c69952b",
            "2442d572/0a5a8d74"
        ]
    );
    assert!(by_total[0].0 > by_total[1].0 && by_total[1].0 > by_total[2].0);
    assert!(by_total[2].0 > by_total[3].0);
    assert_eq!(s.trace.as_ref().unwrap().candidates, 20);

    let s = load(
        &azure2019(r#", "select": {"trigger": ["timer"]}"#),
        86_400.0,
    );
    let mut names: Vec<String> = s.functions.iter().map(|f| f.name.clone()).collect();
    let mut want: Vec<String> = rows
        .iter()
        .filter(|r| r.trigger == "timer")
        .map(|r| r.name.clone())
        .collect();
    names.sort();
    want.sort();
    assert_eq!(want.len(), 4);
    assert_eq!(names, want);

    let pick = |seed: u64| -> Vec<String> {
        load(
            &azure2019(&format!(r#", "select": {{"sample": 5, "seed": {seed}}}"#)),
            86_400.0,
        )
        .functions
        .iter()
        .map(|f| f.name.clone())
        .collect()
    };
    assert_eq!(pick(3).len(), 5);
    assert_eq!(pick(3), pick(3));
    assert!((0..10).any(|seed| pick(seed) != pick(3)));
}

/// Durations sampled from a function's percentile table stay within its p0..p100 and have
/// the table's p50 as median (within 4 binomial standard errors).
#[test]
fn durations_follow_the_percentile_table() {
    let text = std::fs::read_to_string(Path::new(DIR).join(DUR19)).unwrap();
    let s = load(&azure2019(""), 86_400.0);
    let mut rng = stream(5, 0, Stream::Execution);
    let n = 20_000;
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let name = format!("{}/{}", short(f[1]), short(f[2]));
        let p: Vec<f64> = f[7..14].iter().map(|x| x.parse().unwrap()).collect();
        let func = s.functions.iter().find(|g| g.name == name).unwrap();
        let xs: Vec<f64> = (0..n).map(|_| func.exec.sample(&mut rng)).collect();
        assert!(xs.iter().all(|&x| x >= p[0] && x <= p[6]), "{name}");
        let below = xs.iter().filter(|&&x| x < p[3]).count() as f64 / n as f64;
        assert!(
            (below - 0.5).abs() < 4.0 * (0.25 / n as f64).sqrt(),
            "{name}: {below}"
        );
        checked += 1;
    }
    assert_eq!(checked, 19);
    // The function without a durations row uses the template's exec_ms (const 50).
    let report = s.trace.as_ref().unwrap();
    assert_eq!((report.without_durations, report.dropped), (1, 0));
    // Without a template exec_ms it is left out.
    let s = load(
        &format!(
            r#"{{"format": "azure2019", "invocations": "{INV19}", "durations": "{DUR19}",
                 "template": {{"runtime": "nodejs"}}}}"#
        ),
        86_400.0,
    );
    assert_eq!(s.functions.len(), 19);
    assert_eq!(s.trace.as_ref().unwrap().dropped, 1);
}

/// Memory: the app's average split evenly among its functions, rounded up and clamped to
/// the platform's range; the template's memory for an app without a memory row.
#[test]
fn memory_comes_from_the_app() {
    let rows = rows19();
    let text = std::fs::read_to_string(Path::new(DIR).join(MEM19)).unwrap();
    let avg: BTreeMap<String, f64> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_owned(), f[3].parse().unwrap())
        })
        .collect();
    let s = load(&azure2019(""), 86_400.0);
    let mut clamped = 0;
    for r in &rows {
        let per_app = rows.iter().filter(|q| q.app == r.app).count() as f64;
        let want = match avg.get(&r.app) {
            Some(mb) => {
                let raw = (mb / per_app).ceil() as u32;
                clamped += u64::from(!(128..=10_240).contains(&raw));
                raw.clamp(128, 10_240)
            }
            None => 256,
        };
        let f = s.functions.iter().find(|f| f.name == r.name).unwrap();
        assert_eq!(f.memory_mb, want, "{}", r.name);
    }
    assert!(clamped > 0, "the sample has small apps");
    assert_eq!(s.trace.as_ref().unwrap().memory_clamped, clamped);
}

/// `group_by: app` makes one function per app whose minutes sum its functions' minutes.
#[test]
fn group_by_app_sums_the_apps_functions() {
    let rows = rows19();
    let s = load(
        &azure2019(r#", "spread": "even", "group_by": "app""#),
        86_400.0,
    );
    let got = arrivals(&s, 1);
    let mut apps: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in &rows {
        let c = apps
            .entry(short(&r.app).to_owned())
            .or_insert(vec![0; 1440]);
        for (sum, n) in c.iter_mut().zip(&r.counts) {
            *sum += n;
        }
    }
    assert_eq!(got.len(), 8);
    for (app, counts) in &apps {
        assert_eq!(&per_minute(&got[app], 1.0, 1440), counts, "{app}");
    }
}

/// Azure 2021: arrivals are end − duration, per function, sorted; execution times come
/// from the function's own durations.
#[test]
fn azure2021_arrivals_are_end_minus_duration() {
    let text = std::fs::read_to_string(Path::new(DIR).join(AZ21)).unwrap();
    let mut want: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut durs: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let (end, d): (f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
        let name = format!("{}/{}", short(f[0]), short(f[1]));
        want.entry(name.clone())
            .or_default()
            .push(((end - d) * 1e9).round() as u64);
        let e = durs.entry(name).or_insert((f64::MAX, 0.0));
        *e = (e.0.min(d * 1e3), e.1.max(d * 1e3));
    }
    for v in want.values_mut() {
        v.sort_unstable();
    }
    let s = load(
        &format!(
            r#"{{"format": "azure2021", "invocations": "{AZ21}", "template": {{"runtime": "python"}}}}"#
        ),
        3_600.0,
    );
    assert_eq!(arrivals(&s, 1), want);
    let mut rng = stream(1, 0, Stream::Execution);
    for f in &s.functions {
        let (lo, hi) = durs[&f.name];
        for _ in 0..1000 {
            let x = f.exec.sample(&mut rng);
            assert!(
                x >= lo - 1e-9 && x <= hi + 1e-9,
                "{}: {x} outside [{lo}, {hi}]",
                f.name
            );
        }
    }
    let total: usize = want.values().map(Vec::len).sum();
    assert_eq!(run(&s).total.invocations, total as u64);
}

/// Huawei 2023: function ids are columns, empty cells are zero, two day files form one
/// timeline.
#[test]
fn huawei2023_counts_per_minute() {
    let mut want: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for day in ["day_00.csv", "day_01.csv"] {
        let text =
            std::fs::read_to_string(Path::new(DIR).join("huawei2023/requests_minute").join(day))
                .unwrap();
        let mut lines = text.lines();
        let ids: Vec<String> = lines
            .next()
            .unwrap()
            .split(',')
            .skip(2)
            .map(str::to_owned)
            .collect();
        for l in lines {
            for (id, cell) in ids.iter().zip(l.split(',').skip(2)) {
                let c = if cell.is_empty() {
                    0
                } else {
                    cell.parse::<f64>().unwrap() as u64
                };
                want.entry(id.clone()).or_default().push(c);
            }
        }
    }
    let s = load(
        r#"{"format": "huawei2023", "spread": "even",
            "invocations": ["huawei2023/requests_minute/day_00.csv", "huawei2023/requests_minute/day_01.csv"],
            "template": {"runtime": "go", "exec_ms": {"dist": "const", "value": 20}}}"#,
        2.0 * 86_400.0,
    );
    let got = arrivals(&s, 1);
    for (id, counts) in &want {
        match got.get(id) {
            Some(t) => assert_eq!(&per_minute(t, 1.0, 2880), counts, "{id}"),
            None => assert!(counts.iter().all(|&c| c == 0)),
        }
    }
    let top = load(
        r#"{"format": "huawei2023", "invocations": "huawei2023/requests_minute/day_00.csv",
            "select": {"top": 2}, "template": {"runtime": "go", "exec_ms": {"dist": "const", "value": 20}}}"#,
        86_400.0,
    );
    let names: Vec<&str> = top.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["3", "4"], "the two busiest columns of the sample");
}

/// The generic CSV, with and without a header.
#[test]
fn generic_csv_with_and_without_header() {
    let s = load(
        r#"{"format": "csv", "invocations": "generic.csv", "template": {"runtime": "nodejs"}}"#,
        600.0,
    );
    let text = std::fs::read_to_string(Path::new(DIR).join("generic.csv")).unwrap();
    let mut want: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        want.entry(f[1].to_owned())
            .or_default()
            .push((f[0].parse::<f64>().unwrap() * 1e9).round() as u64);
    }
    assert_eq!(arrivals(&s, 1), want);

    let dir = temp_dir("trace-generic");
    std::fs::write(dir.join("t.csv"), "3.5\n1.25\n# comment\n\n2\n").unwrap();
    let s = load_in(
        r#"{"format": "csv", "invocations": "t.csv",
            "template": {"runtime": "nodejs", "exec_ms": {"dist": "const", "value": 1}}}"#,
        10.0,
        &dir,
    );
    let got = arrivals(&s, 1);
    assert_eq!(got["trace"], [1_250_000_000, 2_000_000_000, 3_500_000_000]);
    // Without durations and without a template exec_ms nothing can run.
    let e = load_err(
        r#"{"format": "csv", "invocations": "t.csv", "template": {"runtime": "nodejs"}}"#,
        &dir,
    );
    assert!(e.contains("no function"), "{e}");
}

/// The header of an Azure 2019 invocations file: four ids, then minutes 1 to 1,440.
fn azure2019_header() -> String {
    format!(
        "HashOwner,HashApp,HashFunction,Trigger,{}",
        (1..=1440)
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// Rows of plain digits (read byte by byte) and rows the general reader takes (blanks around
/// a count, `2.0`, quoted counts) give the same counts, minute by minute.
#[test]
fn plain_and_general_rows_read_the_same_counts() {
    let dir = temp_dir("trace-forms");
    let header = azure2019_header();
    let counts: Vec<u64> = (0..1440u64).map(|m| (m * 7) % 5).collect();
    let plain: Vec<String> = counts.iter().map(u64::to_string).collect();
    let general: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(m, c)| match m % 3 {
            0 => format!(" {c} "),
            1 => format!("{c}.0"),
            _ => format!("\"{c}\""),
        })
        .collect();
    let lines = [
        header,
        format!("o,a,plain,http,{}", plain.join(",")),
        format!("o,a,general,http,{}", general.join(",")),
    ];
    std::fs::write(dir.join("inv.csv"), lines.join("\n") + "\n").unwrap();
    let s = load_in(
        r#"{"format": "azure2019", "invocations": "inv.csv", "spread": "even",
             "template": {"runtime": "nodejs", "exec_ms": {"dist": "const", "value": 1}}}"#,
        86_400.0,
        &dir,
    );
    let got = arrivals(&s, 1);
    assert_eq!(got.len(), 2);
    for times in got.values() {
        assert_eq!(per_minute(times, 1.0, 1440), counts);
    }
}

/// The `traces` section reading `inv.csv` (Azure 2019 invocations), strict or lenient.
fn inv_csv_spec(lenient: bool) -> String {
    format!(
        r#"{{"format": "azure2019", "invocations": "inv.csv", "lenient": {lenient},
             "template": {{"runtime": "nodejs", "exec_ms": {{"dist": "const", "value": 1}}}}}}"#
    )
}

/// A file read ahead in batches by a second thread gives rows in file order: an error far
/// into a long file (after thousands of rows, with more after it) names its own line and
/// ends the load at once; in lenient mode every bad row is counted and every good one
/// replays, in file order.
#[test]
fn errors_deep_in_a_long_file_are_named_in_order() {
    let dir = temp_dir("trace-long");
    let header = azure2019_header();
    let n = 5_000;
    // Function k is invoked k % 7 + 1 times in minute k % 1440; rows 2,345 and 4,000 (file
    // lines 2,346 and 4,001) have a bad cell.
    let row = |k: usize| {
        let mut cells = vec!["0".to_owned(); 1440];
        cells[k % 1440] = (k % 7 + 1).to_string();
        if k == 2_345 || k == 4_000 {
            cells[10] = "ten".to_owned();
        }
        format!("o,a{k},f{k},http,{}", cells.join(","))
    };
    let lines: Vec<String> = std::iter::once(header).chain((0..n).map(row)).collect();
    std::fs::write(dir.join("inv.csv"), lines.join("\n") + "\n").unwrap();
    let e = load_err(&inv_csv_spec(false), &dir);
    assert!(
        e.ends_with(
            "inv.csv:2347: column 15 (`11`): expected a count (an integer >= 0), got `ten`"
        ),
        "{e}"
    );
    let s = load_in(&inv_csv_spec(true), 86_400.0, &dir);
    let r = s.trace.as_ref().unwrap();
    assert_eq!((r.rows, r.skipped_rows), (n as u64, 2));
    assert!(
        r.skipped_examples[0].contains("inv.csv:2347:"),
        "{:?}",
        r.skipped_examples
    );
    assert!(
        r.skipped_examples[1].contains("inv.csv:4002:"),
        "{:?}",
        r.skipped_examples
    );
    let good: Vec<usize> = (0..n).filter(|&k| k != 2_345 && k != 4_000).collect();
    assert_eq!(s.functions.len(), good.len());
    assert_eq!(
        r.invocations,
        good.iter().map(|&k| (k % 7 + 1) as u64).sum::<u64>()
    );
    // In file order, each with its own count in its own minute.
    let got = arrivals(&s, 1);
    for (f, &k) in s.functions.iter().zip(&good) {
        assert!(f.name.ends_with(&format!("f{k}")), "{} for row {k}", f.name);
        let mut want = vec![0; 1440];
        want[k % 1440] = (k % 7 + 1) as u64;
        assert_eq!(per_minute(&got[&f.name], 1.0, 1440), want, "{}", f.name);
    }
}

/// Bad rows name the file, line and column; lenient mode skips them and counts them exactly.
#[test]
fn bad_rows_name_file_line_and_column_or_are_counted() {
    let dir = temp_dir("trace-bad");
    let header = azure2019_header();
    let good = |f: &str, c: &str| format!("o,a,{f},http,{}", vec![c; 1440].join(","));
    let mut short_row = good("f3", "0");
    short_row.truncate(short_row.rfind(',').unwrap());
    let mut text_row = good("f4", "1");
    text_row.replace_range(text_row.len() - 1.., "x");
    let negative = good("f5", "0").replacen(",http,0,", ",http,0,-2,", 1);
    let negative = negative[..negative.rfind(',').unwrap()].to_owned();
    let lines = [
        header,
        good("f1", "1"),
        good("f2", "2"),
        short_row,
        text_row,
        negative,
    ];
    std::fs::write(dir.join("inv.csv"), lines.join("\n") + "\n").unwrap();
    let e = load_err(&inv_csv_spec(false), &dir);
    assert!(
        e.ends_with(
            "inv.csv:4: column 1444 (`1440`): expected 1444 columns as in the header, found 1443"
        ),
        "{e}"
    );
    // Fix the short row: the next error is the non-number.
    let mut fixed = lines.clone();
    fixed[3] = good("f3", "0");
    std::fs::write(dir.join("inv.csv"), fixed.join("\n") + "\n").unwrap();
    let e = load_err(&inv_csv_spec(false), &dir);
    assert!(
        e.ends_with("inv.csv:5: column 1444 (`1440`): expected a count (an integer >= 0), got `x`"),
        "{e}"
    );
    fixed[4] = good("f4", "1");
    std::fs::write(dir.join("inv.csv"), fixed.join("\n") + "\n").unwrap();
    let e = load_err(&inv_csv_spec(false), &dir);
    assert!(
        e.ends_with("inv.csv:6: column 6 (`2`): expected a count >= 0, got -2"),
        "{e}"
    );

    // Lenient: the three bad rows are skipped and counted; the good ones replay.
    std::fs::write(dir.join("inv.csv"), lines.join("\n") + "\n").unwrap();
    let s = load_in(&inv_csv_spec(true), 86_400.0, &dir);
    let r = s.trace.as_ref().unwrap();
    assert_eq!((r.rows, r.skipped_rows), (5, 3));
    assert_eq!(r.skipped_examples.len(), 3);
    assert!(r.skipped_examples[2].contains("inv.csv:6: column 6"));
    assert_eq!(r.invocations, 1440 + 2 * 1440);
    assert_eq!(s.functions.len(), 2);

    // A wrong header names the column too.
    std::fs::write(
        dir.join("inv.csv"),
        "HashOwner,HashApp,Function,Trigger,1\n",
    )
    .unwrap();
    let e = load_err(&inv_csv_spec(true), &dir);
    assert!(
        e.ends_with("inv.csv:1: column 3 (`HashFunction`): expected the header column `HashFunction`, found `Function`"),
        "{e}"
    );

    // Duration tables must not decrease.
    std::fs::write(dir.join("inv.csv"), lines[..3].join("\n") + "\n").unwrap();
    std::fs::write(
        dir.join("dur.csv"),
        "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\no,a,f1,5,1440,1,9,1,2,3,2.5,6,8,9\n",
    )
    .unwrap();
    let e = load_err(
        r#"{"format": "azure2019", "invocations": "inv.csv", "durations": "dur.csv",
            "template": {"runtime": "nodejs"}}"#,
        &dir,
    );
    assert!(
        e.ends_with("dur.csv:2: column 11 (`percentile_Average_50`): expected percentiles not to decrease: 2.5 after 3 in `percentile_Average_25`"),
        "{e}"
    );
    // Azure 2021: a negative duration.
    std::fs::write(
        dir.join("a21.csv"),
        "app,func,end_timestamp,duration\na,f,10,-1\n",
    )
    .unwrap();
    let e = load_err(
        r#"{"format": "azure2021", "invocations": "a21.csv", "template": {"runtime": "nodejs"}}"#,
        &dir,
    );
    assert!(
        e.ends_with("a21.csv:2: column 4 (`duration`): expected a duration >= 0, got -1"),
        "{e}"
    );
}

/// Options that do not fit the format, or each other, are field errors.
#[test]
fn bad_options_name_the_field() {
    let dir = Path::new(DIR);
    let cases = [
        (
            r#"{"format": "huawei2023", "invocations": "generic.csv", "group_by": "app", "template": {"runtime": "go"}}"#,
            "t.json: traces.group_by: format huawei2023 has no applications",
        ),
        (
            r#"{"format": "csv", "invocations": "generic.csv", "spread": "even", "template": {"runtime": "go"}}"#,
            "t.json: traces.spread: format csv has arrival times",
        ),
        (
            r#"{"format": "azure2019", "invocations": "x.csv", "select": {"top": 1, "sample": 2}, "template": {"runtime": "go"}}"#,
            "t.json: traces.select: expected at most one of `top` and `sample`",
        ),
        (
            r#"{"format": "azure2019", "invocations": "x.csv", "compress": 0, "template": {"runtime": "go"}}"#,
            "t.json: traces.compress: expected a factor > 0, got 0",
        ),
        (
            r#"{"format": "azure2019", "invocations": "x.csv", "template": {"runtime": "go", "name": "x"}}"#,
            "t.json: traces.template.name: comes from the trace",
        ),
        (
            r#"{"format": "azure2019", "invocations": "x.csv", "template": {"runtime": "go", "database": "db"}}"#,
            "t.json: traces.template.database: names other parts of the scenario",
        ),
        (
            r#"{"format": "huawei2023", "invocations": "x.csv", "template": {"runtime": "go"}}"#,
            "t.json: traces.template.exec_ms: format huawei2023 carries no execution times",
        ),
        (
            r#"{"format": "azure2019", "invocations": "x.csv", "template": {"runtime": "go", "memory_mb": 1}}"#,
            "t.json: traces.template.memory_mb: expected 128..=10240 MB",
        ),
    ];
    for (spec, want) in cases {
        let e = load_err(spec, dir);
        assert!(e.starts_with(want), "{e}\nexpected: {want}");
    }
}

/// The same scenario and seed give byte-identical results; the shipped replay experiment
/// serves exactly the sample's invocations.
#[test]
fn replay_runs_are_deterministic() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/azure2019-replay.json");
    let s = Scenario::load(&path).unwrap();
    let a = run(&s);
    assert_eq!(a.to_json(), run(&s).to_json());
    let total: u64 = rows19().iter().flat_map(|r| &r.counts).sum();
    assert_eq!(a.total.invocations, total);
    assert_eq!(a.trace.as_ref().unwrap().invocations, total);
}

/// The CLI stops at a bad row with the file, line and column (exit code 2), and in lenient
/// mode warns on stderr with the exact count.
#[test]
fn cli_reports_bad_rows_and_lenient_skips() {
    let dir = temp_dir("trace-cli");
    let header = azure2019_header();
    let row = |f: &str, c: &str| format!("o,a,{f},http,{}", vec![c; 1440].join(","));
    let text = [header, row("f1", "1"), row("f2", "x"), row("f3", "-1")].join("\n");
    std::fs::write(dir.join("inv.csv"), text + "\n").unwrap();
    let scenario = |lenient: bool| {
        let p = dir.join(format!("s-{lenient}.json"));
        std::fs::write(
            &p,
            format!(
                r#"{{"name": "t", "duration_s": 86400, "traces": {{"format": "azure2019",
                    "invocations": "inv.csv", "lenient": {lenient},
                    "template": {{"runtime": "nodejs", "exec_ms": {{"dist": "const", "value": 1}}}}}}}}"#
            ),
        )
        .unwrap();
        p
    };
    let bin = env!("CARGO_BIN_EXE_faassim");
    let o = std::process::Command::new(bin)
        .args(["validate", scenario(false).to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("inv.csv:3: column 5 (`1`): expected a count (an integer >= 0), got `x`"),
        "{err}"
    );
    let o = std::process::Command::new(bin)
        .args([
            "run",
            "-q",
            "--format",
            "json",
            scenario(true).to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.starts_with("warning: traces: skipped 2 malformed row(s) of 3 (lenient mode)"),
        "{err}"
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["trace"]["skipped_rows"], 2);
    assert_eq!(json["total"]["invocations"], 1440);
}

/// Azure 2021 (per-invocation, with durations): each request executes for exactly the
/// duration its trace row records (replayed per request, in arrival order, ties in file
/// order); with `replay_durations: false` they are sampled from the function's table.
#[test]
fn azure2021_durations_are_replayed_per_request() {
    let text = std::fs::read_to_string(Path::new(DIR).join(AZ21)).unwrap();
    // Per function: (arrival ns, duration ns) in file order, then stably sorted by arrival.
    let mut want: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let (end, d): (f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
        let name = format!("{}/{}", short(f[0]), short(f[1]));
        want.entry(name)
            .or_default()
            .push((((end - d) * 1e9).round() as u64, (d * 1e9).round() as u64));
    }
    for v in want.values_mut() {
        v.sort_by_key(|p| p.0);
    }
    let spec = |replay: bool| {
        format!(
            r#"{{"format": "azure2021", "invocations": "{AZ21}", "replay_durations": {replay},
                "template": {{"runtime": "python"}}}}"#
        )
    };
    let execs = |s: &Scenario| -> BTreeMap<String, Vec<u64>> {
        let (_, recs) = crate::common::run_logged(s);
        let mut got: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for r in recs {
            got.entry(r.function)
                .or_default()
                .push(r.end_ns - r.start_ns.expect("nothing is throttled"));
        }
        got
    };
    let got = execs(&load(&spec(true), 3_600.0));
    let mut compared = 0;
    for (name, rows) in &want {
        let g = &got[name];
        assert_eq!(g.len(), rows.len(), "{name}");
        for (i, (&e, &(_, d))) in g.iter().zip(rows).enumerate() {
            // The reader converts seconds to ms, then to ns: at most 1 ns of rounding.
            assert!(
                e.abs_diff(d) <= 1,
                "{name} #{i}: executed {e} ns, trace says {d} ns"
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} requests compared");
    // Sampled instead: almost none matches its own row.
    let sampled = execs(&load(&spec(false), 3_600.0));
    let same = want
        .iter()
        .flat_map(|(n, rows)| sampled[n].iter().zip(rows))
        .filter(|(e, (_, d))| e.abs_diff(*d) <= 1)
        .count();
    assert!(
        same * 10 < compared,
        "{same} of {compared} sampled times equal the trace's"
    );
}

/// The durations file is read ahead on its own thread while the invocations are; matched
/// afterwards, its rows count as a sequential read's: a bad row of a function that is not
/// loaded does not matter, a function's first row wins, a short row is an error (strict)
/// or a skipped row (lenient) naming its line, and an invocations error comes before
/// anything wrong inside the durations file (here: its header).
#[test]
fn durations_read_ahead_match_as_a_sequential_read() {
    let dir = temp_dir("trace-durations-ahead");
    let header = azure2019_header();
    let row = |f: &str| format!("o,a,{f},http,{}", vec!["2"; 1440].join(","));
    std::fs::write(
        dir.join("inv.csv"),
        [header.clone(), row("f1"), row("f2")].join("\n") + "\n",
    )
    .unwrap();
    let dur_header = "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100";
    let lines = [
        dur_header,
        "o,a,gone,5,1,1,9,x,x,x,x,x,x,x", // not loaded: its bad values do not matter
        "o,a,f1,5,1,1,9,10,11,12,13,14,15,16",
        "o,a,f1,5,1,1,9,100,101,102,103,104,105,106", // a second row: passed over
        "o,a,f2,5,1",                                 // short: line 5
        "o,a,f2,5,1,1,9,20,21,22,23,24,25,26",
    ];
    std::fs::write(dir.join("dur.csv"), lines.join("\n") + "\n").unwrap();
    let spec = |lenient: bool| {
        format!(
            r#"{{"format": "azure2019", "invocations": "inv.csv", "durations": "dur.csv",
                 "lenient": {lenient}, "template": {{"runtime": "nodejs"}}}}"#
        )
    };
    let e = load_err(&spec(false), &dir);
    assert!(e.contains("dur.csv:5:"), "{e}");
    let s = load_in(&spec(true), 86_400.0, &dir);
    let r = s.trace.as_ref().unwrap();
    assert_eq!(r.skipped_rows, 1);
    assert!(
        r.skipped_examples[0].contains("dur.csv:5:"),
        "{:?}",
        r.skipped_examples
    );
    let mut rng = stream(5, 0, Stream::Execution);
    for (name, (low, high)) in [("a/f1", (10.0, 16.0)), ("a/f2", (20.0, 26.0))] {
        let f = s.functions.iter().find(|g| g.name == name).unwrap();
        for _ in 0..1_000 {
            let x = f.exec.sample(&mut rng);
            assert!((low..=high).contains(&x), "{name}: {x}");
        }
    }
    // A bad invocations row is reported, not the missing durations file.
    std::fs::write(
        dir.join("inv.csv"),
        [header.clone(), row("f1").replace(",2,", ",two,")].join("\n") + "\n",
    )
    .unwrap();
    std::fs::write(dir.join("dur.csv"), "HashOwner,Nope\n").unwrap();
    let e = load_err(&spec(false), &dir);
    assert!(e.contains("inv.csv:2:"), "{e}");
    // With good invocations, the durations header is the error.
    std::fs::write(dir.join("inv.csv"), [header, row("f1")].join("\n") + "\n").unwrap();
    let e = load_err(&spec(false), &dir);
    assert!(e.contains("dur.csv:1:"), "{e}");
}

/// A window reads only its own minutes' counts, but every count of a row is still
/// checked: a bad cell outside the window is an error naming its column, a count of 20
/// digits that fits a u64 is taken, one beyond a u64 is an error.
#[test]
fn counts_outside_the_window_are_checked() {
    let dir = temp_dir("trace-window-checked");
    let header = azure2019_header();
    let row = |cell_1000: &str| {
        let mut cells = vec!["1".to_owned(); 1440];
        cells[999] = cell_1000.to_owned();
        format!("o,a,f,http,{}", cells.join(","))
    };
    let spec = r#"{"format": "azure2019", "invocations": "inv.csv", "window": {"minutes": 60},
                   "template": {"runtime": "nodejs", "exec_ms": {"dist": "const", "value": 1}}}"#;
    for (cell, problem) in [
        ("ten", Some("column 1004 (`1000`): expected a count")),
        ("18446744073709551615", None),
        ("18446744073709551616", Some("column 1004 (`1000`)")),
        ("12345678901234567890123", Some("column 1004 (`1000`)")),
    ] {
        std::fs::write(
            dir.join("inv.csv"),
            [header.clone(), row(cell)].join("\n") + "\n",
        )
        .unwrap();
        match problem {
            Some(p) => {
                let e = load_err(spec, &dir);
                assert!(e.contains("inv.csv:2:") && e.contains(p), "{cell}: {e}");
            }
            None => {
                let s = load_in(spec, 3_600.0, &dir);
                assert_eq!(s.trace.as_ref().unwrap().invocations, 60, "{cell}");
            }
        }
    }
}
