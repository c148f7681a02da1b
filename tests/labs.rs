//! The teaching labs (`experiments/labs/`): every lab's instructor key holds in quick mode,
//! every folder the catalogue names has its sheet and files, the sheets' commands name
//! files that exist, and `faassim lab` refuses an unknown lab with a clear message.
//!
//! The key figures' ranges are closed forms and hand derivations (`src/lab.rs`, and each
//! sheet), not the simulator's own output, so a wrong model fails them.

use std::path::{Path, PathBuf};
use std::process::Command;

use faassim::lab::{self, LABS, Size};

const BIN: &str = env!("CARGO_BIN_EXE_faassim");

fn labs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/labs")
}

/// Every lab's key, quick sizes: all figures hold. One test per lab, so that failures name
/// the lab and the labs run in parallel.
fn check(number: u32) {
    let l = lab::lab(number).unwrap();
    let figures = l
        .check(&labs_dir(), Size::Quick)
        .unwrap_or_else(|e| panic!("lab {number}: {e}"));
    assert!(
        figures.len() >= 5,
        "lab {number}: only {} figures",
        figures.len()
    );
    let failed: Vec<String> = figures
        .iter()
        .filter(|f| !f.holds)
        .map(|f| {
            format!(
                "{}: measured {} expected {} ({})",
                f.name,
                f.measured,
                f.expected(),
                f.closed_form
            )
        })
        .collect();
    assert!(failed.is_empty(), "lab {number}: {failed:#?}");
}

#[test]
fn lab1_key_holds() {
    check(1);
}

#[test]
fn lab2_key_holds() {
    check(2);
}

#[test]
fn lab3_key_holds() {
    check(3);
}

#[test]
fn lab4_key_holds() {
    check(4);
}

#[test]
fn lab5_key_holds() {
    check(5);
}

#[test]
fn lab6_key_holds() {
    check(6);
}

/// A key figure holds only inside its range: the check can fail.
#[test]
fn key_figures_fail_outside_their_range() {
    assert!(lab::KeyFigure::new("x", 1.0, 0.0, 2.0, "").holds);
    assert!(!lab::KeyFigure::new("x", 2.5, 0.0, 2.0, "").holds);
    assert!(!lab::KeyFigure::new("x", f64::NAN, 0.0, 2.0, "").holds);
    assert!(!lab::KeyFigure::new("x", -1.0, 0.0, f64::INFINITY, "").holds);
}

/// The closed forms the key uses, against tabulated values.
#[test]
fn closed_forms_match_tables() {
    // Erlang B: standard table values.
    assert!((lab::erlang_b(2, 1.0) - 0.2).abs() < 1e-12);
    assert!((lab::erlang_b(10, 8.0) - 0.121_661).abs() < 1e-6);
    // Normal upper tail: 1 − Φ(1.96) = 0.024998, 1 − Φ(2.326348) = 0.01, 1 − Φ(0) = 0.5.
    assert!((lab::normal_tail(1.96) - 0.024_998).abs() < 1e-6);
    assert!((lab::normal_tail(2.326_348) - 0.01).abs() < 1e-6);
    assert!((lab::normal_tail(0.0) - 0.5).abs() < 1e-7);
    assert!((lab::normal_tail(-1.0) - 0.841_345).abs() < 1e-6);
}

/// Every folder the catalogue names exists, with its sheet and every file it lists, and
/// the numbers run 1, 2, 3, … in order.
#[test]
fn catalogue_folders_exist() {
    assert!(LABS.len() >= 6);
    for (i, l) in LABS.iter().enumerate() {
        assert_eq!(l.number as usize, i + 1);
        let dir = labs_dir().join(l.folder());
        assert!(
            dir.join("README.md").is_file(),
            "{}: no README.md",
            dir.display()
        );
        for f in l.files {
            assert!(dir.join(f).is_file(), "{}: {f} missing", dir.display());
        }
    }
    // The index names every lab's folder.
    let index = std::fs::read_to_string(labs_dir().join("README.md")).unwrap();
    for l in LABS {
        assert!(
            index.contains(&l.folder()),
            "experiments/labs/README.md: {} not indexed",
            l.folder()
        );
    }
}

/// Every path a sheet's command blocks name (`experiments/labs/...`, `workloads/...`)
/// exists, relative to the repository root; output files the commands write are not
/// paths under those folders. Every scenario and experiment of a lab validates.
#[test]
fn sheet_commands_name_existing_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for l in LABS {
        let dir = labs_dir().join(l.folder());
        let sheet = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let mut in_block = false;
        let mut commands = 0;
        for line in sheet.lines() {
            if line.trim_start().starts_with("```") {
                in_block = !in_block;
                continue;
            }
            if !in_block || !line.trim_start().starts_with("faassim ") {
                continue;
            }
            commands += 1;
            for word in line.split_whitespace() {
                let word = word.trim_end_matches([',', ';']);
                if word.starts_with("experiments/") || word.starts_with("workloads/") {
                    assert!(
                        root.join(word).exists(),
                        "{}: `{line}` names {word}, which does not exist",
                        l.folder()
                    );
                }
            }
        }
        assert!(
            commands >= 2,
            "{}: the sheet has {commands} faassim commands",
            l.folder()
        );
        for f in l.files.iter().filter(|f| f.ends_with(".json")) {
            let path = dir.join(f);
            let o = Command::new(BIN)
                .args(["validate", path.to_str().unwrap()])
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

/// `faassim lab check 99`: exit code 2 and a message naming the lab numbers there are.
#[test]
fn unknown_lab_is_refused() {
    let o = Command::new(BIN)
        .args(["lab", "check", "99"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("there is no lab 99"), "{err}");
    assert!(err.contains("from 1 to"), "{err}");
}

/// `faassim lab list` lists every lab with its folder; `lab check N --quick` exits 0 and
/// prints each figure with its expected range.
#[test]
fn lab_list_and_check_from_the_command_line() {
    let o = Command::new(BIN).args(["lab", "list"]).output().unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for l in LABS {
        assert!(out.contains(&l.folder()), "{out}");
    }
    let dir = labs_dir();
    let o = check_lab6_quick(&dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("expected = 2"), "{out}");
    assert!(out.contains("key figures hold"), "{out}");
}

/// Runs `faassim lab check 6 --quick --dir <dir>`.
fn check_lab6_quick(dir: &Path) -> std::process::Output {
    let dir = dir.to_str().unwrap();
    Command::new(BIN)
        .args(["lab", "check", "6", "--quick", "--dir", dir])
        .output()
        .unwrap()
}

/// A lab whose figures do not hold exits with code 1 and says so: lab 6 run on a copy of
/// its folder whose trace has the rare function's calls moved further apart (300 and 300
/// minutes: the hybrid fallback's 4 hours no longer covers the second gap, so it has 3 cold
/// starts, not the 2 the key expects).
#[test]
fn failing_key_exits_non_zero() {
    let tmp = std::env::temp_dir().join(format!("faassim-test-{}-labfail", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let dir = tmp.join("06-keepalive-trace");
    std::fs::create_dir_all(&dir).unwrap();
    let src = labs_dir().join("06-keepalive-trace");
    for f in ["replay.json", "policies.json"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let trace = std::fs::read_to_string(src.join("invocations.csv")).unwrap();
    let moved: String = trace
        .lines()
        .map(|line| {
            if !line.starts_with("lab06,rare,") {
                return format!("{line}\n");
            }
            // Columns 4.. are minutes 0..; calls at minutes 500, 800 and 1100.
            let mut cols: Vec<&str> = line.split(',').collect();
            for col in cols.iter_mut().skip(4) {
                *col = "0";
            }
            for m in [500, 800, 1100] {
                cols[4 + m] = "1";
            }
            format!("{}\n", cols.join(","))
        })
        .collect();
    std::fs::write(dir.join("invocations.csv"), moved).unwrap();
    let o = check_lab6_quick(&tmp);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("FAIL rare, hybrid: cold starts"), "{out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("do not hold"));
}
