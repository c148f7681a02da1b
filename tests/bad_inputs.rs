//! The bad-input corpus (`tests/bad_inputs/`, layout in its README): every case runs the
//! binary in its own folder and must exit with the expected code (2 for bad input, 1 for an
//! output problem), never panic, and print exactly the expected message.
//!
//! `FAASSIM_BLESS=1 cargo test bad_inputs` writes the `expected` files from what the binary
//! prints; each message is then read by a person, who checks that it names the file, the
//! field path (or line and column), the value and what was expected.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_faassim");
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad_inputs");

/// The case folders, sorted.
fn cases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("tests/bad_inputs exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Runs one case: its `args`, one per line, in its folder. Returns the exit code and stderr.
fn run_case(dir: &Path) -> (i32, String, String) {
    let args = std::fs::read_to_string(dir.join("args"))
        .unwrap_or_else(|e| panic!("{}: args: {e}", dir.display()));
    let args: Vec<&str> = args.lines().collect();
    let out = Command::new(BIN)
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap();
    // An exit by signal has no code; -1 never matches an expected file.
    let code = out.status.code().unwrap_or(-1);
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_bad_input_is_refused_with_its_exact_message() {
    let bless = std::env::var_os("FAASSIM_BLESS").is_some();
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (code, stdout, stderr) = run_case(dir);
        // Outputs a case may leave behind (a sweep's folder) are not part of the corpus.
        let _ = std::fs::remove_dir_all(dir.join("out"));
        if stderr.contains("panicked") || stdout.contains("panicked") {
            failures.push(format!("{name}: panicked:\n{stderr}"));
            continue;
        }
        if !(code == 1 || code == 2) {
            failures.push(format!(
                "{name}: exit code {code}, expected 1 or 2\n{stderr}"
            ));
            continue;
        }
        let got = format!("{code}\n{stderr}");
        let path = dir.join("expected");
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{name}: expected: {e} (FAASSIM_BLESS=1 writes it)"));
        if got != want {
            failures.push(format!(
                "{name}:\n  expected: {want:?}\n  got:      {got:?}"
            ));
        }
        // The promise: one line, `error: ` first.
        if !stderr.starts_with("error: ") || stderr.lines().count() != 1 {
            failures.push(format!("{name}: not one `error: ` line:\n{stderr}"));
        }
        // Bad input exits 2, an output problem 1 (its message says it cannot write).
        if (code == 1) != stderr.starts_with("error: cannot write ") {
            failures.push(format!("{name}: exit code {code} for:\n{stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
