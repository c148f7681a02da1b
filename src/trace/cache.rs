//! The last trace read, kept for the next scenario that reads the same files the same way.
//!
//! A sweep builds one scenario per point and replication; when its grid varies keep-alive
//! or memory but not the `traces` section, every point would read the same files again
//! (about 4 s for a full day of the Azure 2019 trace). An [`Experiment`](crate::sweep::Experiment)
//! holds one [`TraceCache`] that all its points share, across threads.
//!
//! The key is everything the read depends on: the reading options ([`Plan`], the format
//! and leniency), the names already taken in the scenario (generated names avoid them),
//! and each file's path, length and modification time, so that a file rewritten between
//! two points is read again. Only the last read is kept: a sweep that varies the trace
//! section itself reads once per distinct section, as without a cache.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{Plan, TraceReport, TraceSpec, Unit};
use crate::error::Result;

/// What one read returned: the units, the report, and the names taken afterwards.
#[derive(Debug)]
struct Entry {
    key: String,
    units: Vec<Unit>,
    report: TraceReport,
    taken_after: HashSet<String>,
}

/// The last trace read by the scenarios that share this cache (clones share it).
#[derive(Debug, Clone, Default)]
pub struct TraceCache {
    last: Arc<Mutex<Option<Entry>>>,
}

/// The identity of a file's contents as far as the file system tells: its length and
/// modification time (`None` when it cannot be read: the read itself will say why).
fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

fn key(spec: &TraceSpec, plan: &Plan, taken: &HashSet<String>) -> String {
    let mut names: Vec<&String> = taken.iter().collect();
    names.sort();
    let files: Vec<_> = plan
        .files
        .iter()
        .chain(&plan.durations)
        .chain(&plan.memory)
        .map(|p| (p, stamp(p)))
        .collect();
    format!(
        "{:?}|{}|{plan:?}|{names:?}|{files:?}",
        spec.format, spec.lenient
    )
}

impl TraceCache {
    /// The units and report of reading `spec` as `plan` says, from the cache when the last
    /// read had the same key; `taken` ends as a fresh read would leave it. The lock is held
    /// during a read, so that the threads of a sweep wait for one read instead of each
    /// making its own.
    pub(crate) fn read(
        &self,
        spec: &TraceSpec,
        plan: &Plan,
        taken: &mut HashSet<String>,
    ) -> Result<(Vec<Unit>, TraceReport)> {
        let key = key(spec, plan, taken);
        // A panic elsewhere while the lock was held leaves at worst a stale entry, which
        // its key still describes.
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = last.as_ref().filter(|e| e.key == key) {
            *taken = e.taken_after.clone();
            return Ok((e.units.clone(), e.report.clone()));
        }
        let (units, report) = super::read(spec, plan, taken)?;
        *last = Some(Entry {
            key,
            units: units.clone(),
            report: report.clone(),
            taken_after: taken.clone(),
        });
        Ok((units, report))
    }
}
