//! `faassim run --report DIR` and `faassim report`: the files a report folder holds, what
//! its page shows against figures worked out by hand, that the page references nothing
//! outside itself, that every chart is well-formed SVG, and the errors for folders that
//! are not reports.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::temp_dir;
use faassim::present::saved::Saved;

const BIN: &str = env!("CARGO_BIN_EXE_faassim");

fn faassim(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One arrival per second for 120 s; 100 ms executions, a 200 ms cold start, 600 s
/// keep-alive. By hand: 120 invocations; the first waits for a cold start (300 ms), the
/// other 119 find the instance idle (each ends 0.1 s after it arrives, 0.9 s before the
/// next) and take 100 ms.
const STEADY: &str = r#"{
  "name": "steady", "duration_s": 120, "seed": 3,
  "functions": [{
    "name": "api", "runtime": "nodejs", "memory_mb": 1024,
    "exec_ms": {"dist": "const", "value": 100},
    "cold_start_ms": {"dist": "const", "value": 200},
    "keep_alive": {"policy": "fixed", "idle_s": 600},
    "workload": {"kind": "constant", "interval_s": 1}
  }]
}"#;

/// Every `.svg` in `dir` parses as XML with an `<svg>` root; returns how many.
fn check_svgs(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let text = std::fs::read_to_string(&path).unwrap();
            let doc = roxmltree::Document::parse(&text)
                .unwrap_or_else(|e| panic!("{}: not well-formed XML: {e}", path.display()));
            assert_eq!(doc.root_element().tag_name().name(), "svg");
            n += 1;
        }
    }
    n
}

/// The page loads nothing: no URL, no `src`, no link but to its own anchors.
fn assert_self_contained(html: &str) {
    for needle in ["http://", "https://", " src=", "url(", "<link", "@import"] {
        assert!(!html.contains(needle), "the page references `{needle}`");
    }
    for (i, _) in html.match_indices("href=\"") {
        let target = &html[i + 6..];
        assert!(
            target.starts_with('#'),
            "a link out: {}",
            &target[..40.min(target.len())]
        );
    }
}

#[test]
fn run_report_shows_hand_worked_figures_in_a_self_contained_page() {
    let dir = temp_dir("report-run");
    let scenario = dir.join("steady.json");
    std::fs::write(&scenario, STEADY).unwrap();
    let out = dir.join("rep");
    let o = faassim(&[
        "run",
        scenario.to_str().unwrap(),
        "--report",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("index.html"), "{}", stderr(&o));
    for f in ["index.html", "result.json", "windows.csv", "report.json"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_self_contained(&html);
    let svgs = check_svgs(&out);
    // Every chart file is inline in the page too.
    assert_eq!(
        html.matches("<svg").count(),
        svgs,
        "charts on the page vs files"
    );
    // CDF and histogram of the latency, three timelines at most, phases, cost.
    assert!(svgs >= 4, "{svgs} charts");
    // The requests table: 120 invocations, 119 warm, 1 cold.
    for cells in [">120</td>", ">119</td>", ">1</td>"] {
        assert!(html.contains(cells), "missing {cells}");
    }
    // What was run, so it can be run again.
    assert!(
        html.contains("steady.json --seed 3"),
        "no command to reproduce"
    );
    // The saved histograms: 120 samples; p50 is a warm 100 ms, the maximum the cold
    // 300 ms (HDR: 3 significant digits).
    let saved = Saved::load(&out).unwrap();
    let [all, warm, cold] = saved.latency[0].decode("report.json").unwrap();
    let (all, warm, cold) = (all.unwrap(), warm.unwrap(), cold.unwrap());
    assert_eq!((all.len(), warm.len(), cold.len()), (120, 119, 1));
    assert!((all.value_at_quantile(0.5) as f64 - 100_000.0).abs() <= 100.0);
    assert!((all.max() as f64 - 300_000.0).abs() <= 300.0);
    // 120 s in windows of 1 s (the nearest 1-2-5 width giving at most 200 windows); rows go
    // on while the instance lives: the last request ends at 119.1 s, the instance is
    // evicted 600 s later, at 719.1 s, in window 719.
    assert_eq!(saved.window_s, 1.0);
    let windows = std::fs::read_to_string(out.join("windows.csv")).unwrap();
    assert_eq!(windows.lines().count(), 1 + 720, "header and 720 windows");
}

#[test]
fn report_redraws_a_run_folder_byte_for_byte() {
    let dir = temp_dir("report-redraw");
    let scenario = dir.join("steady.json");
    std::fs::write(&scenario, STEADY).unwrap();
    let first = dir.join("a");
    let again = dir.join("b");
    let o = faassim(&[
        "run",
        scenario.to_str().unwrap(),
        "--report",
        first.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = faassim(&[
        "report",
        first.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(first.join("index.html")).unwrap(),
        std::fs::read(again.join("index.html")).unwrap()
    );
}

/// A keep-alive sweep of one Poisson function: the page draws each metric against the
/// keep-alive with its band, and with the experiment file e^(−λT) beside the cold-start
/// ratio.
#[test]
fn sweep_report_draws_metrics_against_parameters_and_closed_forms() {
    let dir = temp_dir("report-sweep");
    std::fs::write(
        dir.join("base.json"),
        r#"{"name": "ka", "duration_s": 2000, "seed": 1,
            "functions": [{"name": "f", "runtime": "python", "exec_ms": {"dist": "const", "value": 10},
              "keep_alive": {"policy": "fixed", "idle_s": 10},
              "workload": {"kind": "poisson", "rate_per_s": 0.05}}]}"#,
    )
    .unwrap();
    let exp = dir.join("exp.json");
    std::fs::write(
        &exp,
        r#"{"name": "ka-sweep", "seed": 1, "base": "base.json", "replications": 2,
            "grid": {"functions[0].keep_alive.idle_s": [5, 20, 60]}}"#,
    )
    .unwrap();
    let results = dir.join("results");
    let o = faassim(&[
        "sweep",
        exp.to_str().unwrap(),
        "--out",
        results.to_str().unwrap(),
        "-q",
        "--threads",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plain = dir.join("plain");
    let o = faassim(&[
        "report",
        results.to_str().unwrap(),
        "-o",
        plain.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(plain.join("index.html")).unwrap();
    assert_self_contained(&html);
    assert!(check_svgs(&plain) >= 2);
    assert!(
        html.contains("Against keep_alive.idle_s"),
        "no parameter section"
    );
    assert!(
        html.contains("--experiment FILE"),
        "no hint about closed forms"
    );
    let with = dir.join("with");
    let o = faassim(&[
        "report",
        results.to_str().unwrap(),
        "-o",
        with.to_str().unwrap(),
        "--experiment",
        exp.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(with.join("index.html")).unwrap();
    assert!(html.contains("e^(−λT)"), "no closed form");
    // The table of points: the three keep-alive values.
    for v in [">5</td>", ">20</td>", ">60</td>"] {
        assert!(html.contains(v), "missing {v}");
    }
}

#[test]
fn report_of_a_folder_that_is_not_one_says_what_it_expected() {
    let dir = temp_dir("report-bad");
    let o = faassim(&[
        "report",
        dir.to_str().unwrap(),
        "-o",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("expected a run report folder") && e.contains("--report DIR"),
        "{e}"
    );
}

/// `--report DIR` writes `DIR/windows.csv` and `DIR/result.json`: another output on either
/// is refused before the run, naming both flags.
#[test]
fn report_files_cannot_be_another_flags_output() {
    let dir = temp_dir("report-clash");
    let scenario = dir.join("steady.json");
    std::fs::write(&scenario, STEADY).unwrap();
    let rep = dir.join("rep");
    let o = faassim(&[
        "run",
        scenario.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
        "--out",
        rep.join("result.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("--report") && e.contains("--out") && e.contains("result.json"),
        "{e}"
    );
    assert!(!rep.join("index.html").exists(), "the run went ahead");
}
