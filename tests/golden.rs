//! Golden results: the outputs of the shipped experiments, pinned byte for byte.
//!
//! Each test runs the `faassim` binary and compares what it wrote with a file in
//! `tests/golden/`. A refactor must leave every one byte-identical; a change that moves
//! results on purpose re-blesses them with `FAASSIM_BLESS=1 cargo test golden` and says in
//! its commit which figures moved and why.
//!
//! Outputs up to [`VERBATIM_MAX`] bytes are stored as they are, so a mismatch names the
//! first differing line. Larger ones (the `--events` logs run to tens of megabytes) are
//! stored as a digest: the byte and line counts and an FNV-1a hash of every block of
//! [`BLOCK_LINES`] lines, so a mismatch names the first differing block and prints its
//! first lines as they are now.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::temp_dir;

const BIN: &str = env!("CARGO_BIN_EXE_faassim");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Outputs up to this size are kept verbatim.
const VERBATIM_MAX: usize = 1 << 20;
/// Lines per hashed block in a digest.
const BLOCK_LINES: usize = 4096;

/// The non-sweep experiments, each run with `--format json`. `Some(d)` runs it at
/// `duration_s = d` (the performance references take minutes at full length).
const EXPERIMENTS: &[(&str, Option<u32>)] = &[
    ("azure2019-replay", None),
    ("azure2021-replay", None),
    ("bursty-api", None),
    ("connection-storm", None),
    ("event-sources", None),
    ("flash-sale-pc", None),
    ("flash-sale", None),
    ("function-mix", None),
    ("keep-alive-lab", None),
    ("platform-comparison-base", None),
    ("quickstart", None),
    ("reference-1e8", Some(2_000)),
    ("reference", Some(3_000)),
    ("sparse-api", None),
    ("steady-api", None),
    ("trace-replay", None),
];

fn golden_dir() -> PathBuf {
    Path::new(ROOT).join("tests/golden")
}

fn blessing() -> bool {
    std::env::var_os("FAASSIM_BLESS").is_some_and(|v| v == "1")
}

/// Runs the binary; panics with its stderr if it fails.
fn faassim(args: &[&str]) -> Vec<u8> {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "faassim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// 64-bit FNV-1a: enough to tell two outputs apart; nothing here is adversarial.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The digest of a large output: counts, then one hash per block of lines.
fn digest(bytes: &[u8]) -> String {
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let mut text = format!("bytes {}\nlines {}\n", bytes.len(), lines.len());
    for (i, block) in lines.chunks(BLOCK_LINES).enumerate() {
        let h = block
            .iter()
            .fold(0u64, |h, l| fnv1a(l) ^ h.rotate_left(5).wrapping_mul(31));
        let from = i * BLOCK_LINES + 1;
        text.push_str(&format!(
            "block lines {from}-{} fnv1a {h:016x}\n",
            from + block.len() - 1
        ));
    }
    text
}

/// Compares `actual` with golden file `name` (or writes it when blessing).
#[track_caller]
fn check(name: &str, actual: &[u8]) {
    let verbatim = actual.len() <= VERBATIM_MAX;
    let file = golden_dir().join(if verbatim {
        name.to_owned()
    } else {
        format!("{name}.digest")
    });
    let expected_text = if verbatim {
        actual.to_vec()
    } else {
        digest(actual).into_bytes()
    };
    if blessing() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        // A file may have switched between verbatim and digest form.
        let _ = std::fs::remove_file(golden_dir().join(name));
        let _ = std::fs::remove_file(golden_dir().join(format!("{name}.digest")));
        std::fs::write(&file, &expected_text).unwrap();
        return;
    }
    let golden = std::fs::read(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the output is {} bytes; `FAASSIM_BLESS=1 cargo test golden` writes it)",
            file.display(),
            actual.len()
        )
    });
    if golden == expected_text {
        return;
    }
    let (g, a) = (
        String::from_utf8_lossy(&golden),
        String::from_utf8_lossy(&expected_text),
    );
    let first = g
        .lines()
        .zip(a.lines())
        .position(|(x, y)| x != y)
        .unwrap_or(g.lines().count().min(a.lines().count()));
    let mut msg = format!(
        "{name} differs from {} at line {} of the golden file:\n  golden: {}\n  now:    {}\n",
        file.display(),
        first + 1,
        g.lines().nth(first).unwrap_or("<end>"),
        a.lines().nth(first).unwrap_or("<end>"),
    );
    if !verbatim {
        // Line `first` of a digest is a block (after the two count lines): show its start.
        let block = first.saturating_sub(2);
        let text = String::from_utf8_lossy(actual);
        msg.push_str("first lines of that block now:\n");
        for line in text.lines().skip(block * BLOCK_LINES).take(3) {
            msg.push_str(&format!("  {line}\n"));
        }
    }
    panic!("{msg}If the change is meant, re-bless with FAASSIM_BLESS=1 and say why.");
}

/// Path of an experiment file, or of a copy at a reduced duration in `dir`.
fn experiment_file(name: &str, duration_s: Option<u32>, dir: &Path) -> PathBuf {
    let path = Path::new(ROOT).join(format!("experiments/{name}.json"));
    let Some(d) = duration_s else { return path };
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["duration_s"] = d.into();
    let copy = dir.join(format!("{name}.json"));
    std::fs::write(&copy, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    copy
}

#[test]
fn golden_every_experiment_json() {
    let dir = temp_dir("golden-json");
    for &(name, duration) in EXPERIMENTS {
        let file = experiment_file(name, duration, &dir);
        let out = faassim(&["run", file.to_str().unwrap(), "--format", "json", "-q"]);
        check(&format!("{name}.json"), &out);
    }
}

/// The Azure 2019 replay's 20 functions run apart (`src/sim/independent.rs`), split among
/// `--threads` threads: one, two and three give the golden bytes.
#[test]
fn golden_azure2019_replay_on_any_thread_count() {
    let file = experiment_file("azure2019-replay", None, Path::new(ROOT));
    for threads in ["1", "2", "3"] {
        let out = faassim(&[
            "run",
            file.to_str().unwrap(),
            "--format",
            "json",
            "-q",
            "--threads",
            threads,
        ]);
        check("azure2019-replay.json", &out);
    }
}

/// The request logs, one test each (they are the longest).
fn events(name: &str) {
    let dir = temp_dir(&format!("golden-events-{name}"));
    let log = dir.join("events.jsonl");
    let file = experiment_file(name, None, &dir);
    faassim(&[
        "run",
        file.to_str().unwrap(),
        "-q",
        "--events",
        log.to_str().unwrap(),
    ]);
    check(
        &format!("{name}.events.jsonl"),
        &std::fs::read(&log).unwrap(),
    );
}

#[test]
fn golden_events_quickstart() {
    events("quickstart");
}

#[test]
fn golden_events_event_sources() {
    events("event-sources");
}

#[test]
fn golden_events_connection_storm() {
    events("connection-storm");
}

#[test]
fn golden_windows_flash_sale() {
    let dir = temp_dir("golden-windows");
    let csv = dir.join("w.csv");
    let file = experiment_file("flash-sale", None, &dir);
    faassim(&[
        "run",
        file.to_str().unwrap(),
        "-q",
        "--windows",
        csv.to_str().unwrap(),
        "--window-s",
        "10",
    ]);
    check("flash-sale.windows.csv", &std::fs::read(&csv).unwrap());
}

/// A small sweep (35 points × 3 replications of the keep-alive lab) on two threads: every
/// file it writes.
#[test]
fn golden_sweep_keepalive() {
    let dir = temp_dir("golden-sweep");
    let out = dir.join("out");
    let file = experiment_file("sweep-keepalive", None, &dir);
    faassim(&[
        "sweep",
        file.to_str().unwrap(),
        "-q",
        "--threads",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    for f in ["results.jsonl", "results.csv", "summary.csv"] {
        check(
            &format!("sweep-keepalive.{f}"),
            &std::fs::read(out.join(f)).unwrap(),
        );
    }
}

/// The digest tells apart outputs that differ in one byte, and names the block.
#[test]
fn golden_digest_tells_one_byte_apart() {
    let a: Vec<u8> = (0..10_000)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let mut b = a.clone();
    let at = a.len() - 3;
    b[at] ^= 1;
    let (da, db) = (digest(&a), digest(&b));
    assert_ne!(da, db);
    let differing: Vec<_> = da.lines().zip(db.lines()).filter(|(x, y)| x != y).collect();
    assert_eq!(differing.len(), 1);
    assert!(differing[0].0.starts_with("block lines 8193-10000"), "{da}");
}
