//! The `--events` log: one JSON object per finished request, one per line.
//!
//! Fields: `request` (id, in arrival order), `function`, `instance` (serial number of the
//! serving instance, in creation order; null when throttled), `provisioned` (served by a
//! provisioned instance), `ping` (a warm-up ping), `arrival_ms`, `start_ms`
//! (execution start; null when throttled), `end_ms`, `latency_ms`, `outcome` (`warm`,
//! `cold`, `throttled`), `status` (`ok`, `error`, `timeout`, `throttled`), `measured`
//! (false during the warm-up), and for cold starts `cold_start` with the phase durations
//! in ms: `sandbox_ms`, `network_ms` (VPC functions only), `code_load_ms`, then
//! `runtime_start_ms` or `snapshot_restore_ms`, and `init_ms`; or only `total_ms` when the
//! function overrides its cold start. Times are milliseconds since the start of the run.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::sim::{ColdStartPhases, Outcome, RequestLog, RequestRecord, Status};

/// Writes [`RequestRecord`]s as JSON Lines.
pub struct JsonLinesLog<W: Write> {
    out: W,
    what: String,
}

impl<W: Write> JsonLinesLog<W> {
    /// Writes to `out`; `what` names it in errors.
    pub fn new(out: W, what: impl Into<String>) -> Self {
        JsonLinesLog {
            out,
            what: what.into(),
        }
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush().map_err(|source| Error::Output {
            what: self.what.clone(),
            source,
        })?;
        Ok(self.out)
    }
}

#[derive(Serialize)]
struct Line<'a> {
    request: u64,
    function: &'a str,
    instance: Option<u64>,
    provisioned: bool,
    ping: bool,
    arrival_ms: f64,
    start_ms: Option<f64>,
    end_ms: f64,
    latency_ms: f64,
    outcome: Outcome,
    status: Status,
    measured: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cold_start: Option<Phases>,
}

#[derive(Serialize)]
struct Phases {
    #[serde(skip_serializing_if = "Option::is_none")]
    total_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sandbox_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_load_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime_start_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_restore_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    init_ms: Option<f64>,
}

impl From<ColdStartPhases> for Phases {
    fn from(p: ColdStartPhases) -> Self {
        if p.overridden {
            return Phases {
                total_ms: Some(p.total().as_ms()),
                sandbox_ms: None,
                network_ms: None,
                code_load_ms: None,
                runtime_start_ms: None,
                snapshot_restore_ms: None,
                init_ms: None,
            };
        }
        Phases {
            total_ms: None,
            sandbox_ms: Some(p.sandbox.as_ms()),
            network_ms: (p.network > crate::time::SimTime::ZERO).then(|| p.network.as_ms()),
            code_load_ms: Some(p.code_load.as_ms()),
            runtime_start_ms: (!p.restored).then(|| p.start.as_ms()),
            snapshot_restore_ms: p.restored.then(|| p.start.as_ms()),
            init_ms: (!p.restored).then(|| p.init.as_ms()),
        }
    }
}

impl<W: Write> RequestLog for JsonLinesLog<W> {
    fn record(&mut self, r: &RequestRecord<'_>) -> Result<()> {
        let line = Line {
            request: r.request,
            function: r.function,
            instance: r.instance,
            provisioned: r.provisioned,
            ping: r.ping,
            arrival_ms: r.arrival.as_ms(),
            start_ms: r.start.map(|t| t.as_ms()),
            end_ms: r.end.as_ms(),
            latency_ms: (r.end - r.arrival).as_ms(),
            outcome: r.outcome,
            status: r.status,
            measured: r.measured,
            cold_start: r.cold_start.map(Phases::from),
        };
        let fail = |source| Error::Output {
            what: self.what.clone(),
            source,
        };
        serde_json::to_writer(&mut self.out, &line).map_err(|e| fail(e.into()))?;
        self.out.write_all(b"\n").map_err(fail)
    }
}
