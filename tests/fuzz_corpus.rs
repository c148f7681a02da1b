//! The fuzz targets' short run for `cargo test`, on the stable toolchain: every file of
//! `fuzz/corpus/<target>/` (seeds and the minimised corpus of the long runs) and of
//! `fuzz/artifacts/<target>/` (the crashes found, kept as regressions) goes through the
//! same function the fuzz target calls (`fuzz/src/lib.rs`, included below). A target
//! fails on an input by panicking: a crash, an arrival out of order, or an error message
//! that is empty or of several lines. How to run the long fuzzing: docs/testing.md.

use std::path::Path;

#[path = "../fuzz/src/lib.rs"]
mod harness;

/// The files of `fuzz/<folder>/<target>/`, sorted (missing folder: none).
fn inputs(folder: &str, target: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(folder)
        .join(target);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.retain(|p| p.is_file());
    files.sort();
    files
}

/// Every target has a corpus, every input passes (the harness panics otherwise), and the
/// seeds — the shipped examples, named `seed-*` — are accepted, which shows the harness
/// really reaches the parsers rather than failing early on its own set-up.
#[test]
fn every_corpus_and_artifact_passes_its_target() {
    for &(target, run) in harness::TARGETS {
        let corpus = inputs("corpus", target);
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} is empty");
        let mut seeds = 0;
        for path in corpus.iter().chain(&inputs("artifacts", target)) {
            let data = std::fs::read(path).unwrap();
            let outcome = run(&data);
            let name = path.file_name().unwrap().to_string_lossy();
            if name.starts_with("seed-") {
                seeds += 1;
                if let Err(e) = outcome {
                    panic!("{target}: the seed {} was refused: {e}", path.display());
                }
            }
        }
        assert!(seeds > 0, "fuzz/corpus/{target} has no seed-* file");
    }
}
