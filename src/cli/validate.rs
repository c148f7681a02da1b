//! `faassim validate`: loads a scenario (reading its trace files through) or a sweep's
//! experiment (building every point) without running it, and says what it found.

use std::fmt::Write as _;
use std::path::Path;

use faassim::Scenario;
use faassim::sweep::Experiment;
use faassim::workload::TimestampReader;

use super::{Doc, Failure, Printout, doc_kind, warn};

/// Checks the scenario or experiment at `path`.
pub fn validate(path: &Path) -> Result<Printout, Failure> {
    if matches!(doc_kind(path, Doc::Scenario)?, Doc::Experiment(_)) {
        let exp = Experiment::load(path)?;
        let mut text = format!(
            "ok: {}: experiment `{}`, {} point(s) × {} replication(s), parameters: {}\n",
            path.display(),
            exp.name,
            exp.point_count(),
            exp.replications,
            exp.params.join(", ")
        );
        if !exp.every_point_checked {
            text.push_str(
                "checked: the base and each parameter value once (more than 10000 points); \
                 a combination that is only invalid together is reported when its point runs\n",
            );
        }
        return Ok(Printout::stdout(text));
    }
    let scenario = Scenario::load(path)?;
    warn(&scenario);
    // Trace files are read lazily during a run; read them through now.
    let own = scenario
        .functions
        .iter()
        .filter_map(|f| f.workload.as_ref());
    for w in own.chain(scenario.sources.workloads()) {
        for path in w.timestamp_files() {
            let mut reader = TimestampReader::open(path)?;
            while reader.next_time()?.is_some() {}
        }
    }
    let mut text = format!(
        "ok: {}: scenario `{}`, platform {}, {} function(s), {} s\n",
        path.display(),
        scenario.name,
        scenario.platform.name,
        scenario.functions.len(),
        scenario.duration.as_secs()
    );
    if let Some(t) = &scenario.trace {
        let _ = writeln!(
            text,
            "traces: {} row(s) read ({} skipped), {} function(s) generated from {} candidate(s), {} invocation(s) in the window",
            t.rows, t.skipped_rows, t.functions, t.candidates, t.invocations
        );
    }
    Ok(Printout::stdout(text))
}
