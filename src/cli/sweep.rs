//! `faassim sweep` and `faassim merge`: parameter sweeps run by the library's
//! `faassim::sweep`, which writes the output folder itself; these commands pick the
//! defaults (output folder, threads) and report what was done.

use std::path::{Path, PathBuf};

use faassim::sweep::{self, Experiment, Shard, SweepOptions};

use super::args::{SweepArgs, threads_or_cores};
use super::progress::Progress;
use super::{Doc, Failure, Printout, expect_doc};

/// Runs the experiment's points owned by the shard, writing `<out>/results.*`.
pub fn sweep(args: SweepArgs) -> Result<Printout, Failure> {
    expect_doc(&args.experiment, Doc::Experiment("base"))?;
    let exp = Experiment::load(&args.experiment)?;
    let shard = args.shard.unwrap_or(Shard::ALL);
    let out = args
        .out
        .unwrap_or_else(|| default_out_folder(&args.experiment));
    out_folder(&out)?;
    let threads = threads_or_cores(args.threads);
    let owned = (0..exp.point_count()).filter(|p| shard.owns(*p)).count();
    let progress = Progress::new(
        args.quiet,
        owned as u64,
        "{spinner} sweeping [{bar:40}] {pos}/{len} points, {elapsed} elapsed, ETA {eta}",
    );
    let opts = SweepOptions {
        threads,
        out: out.clone(),
        shard,
        resume: args.resume,
    };
    let report = sweep::run(&exp, &opts, &|done| progress.set(done as u64))?;
    progress.finish();
    if args.quiet {
        return Ok(Printout::Nothing);
    }
    Ok(Printout::Note(format!(
        "{}: {} point(s) × {} replication(s) of shard {}/{} ({} resumed) -> {}",
        exp.name,
        report.points,
        exp.replications,
        shard.index,
        shard.count,
        report.resumed,
        out.display()
    )))
}

/// `<experiment file stem>-results` in the current folder.
fn default_out_folder(experiment: &Path) -> PathBuf {
    let stem = experiment.file_stem().unwrap_or_default().to_string_lossy();
    PathBuf::from(format!("{stem}-results"))
}

/// Combines the shards' output folders into `out`.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<Printout, Failure> {
    out_folder(out)?;
    let rows = sweep::merge(shards, out)?;
    Ok(Printout::Note(format!(
        "merged {rows} row(s) from {} shard(s) -> {}",
        shards.len(),
        out.display()
    )))
}

/// Makes the output folder, or says why it cannot be one: an output problem (exit code 1),
/// not bad input, even though the library would first try to read results there to resume.
fn out_folder(out: &Path) -> Result<(), Failure> {
    let what = format!("--out {}", out.display());
    if out.exists() && !out.is_dir() {
        return Err(Failure::Output(
            what,
            std::io::Error::other(
                "it is a file; expected a folder (made if missing) for results.jsonl, results.csv and summary.csv",
            ),
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| Failure::Output(what, e))
}
