//! The `--events` log: one JSON object per line, for every finished request and every
//! change in an instance's life, in the order they happen (a request when it ends). The
//! field `record` tells the two kinds apart: `"request"` or `"instance"`.
//!
//! Request lines: `record`, `request` (id, in arrival order), `function`, `instance`
//! (serial number of the serving instance, in creation order; null when throttled),
//! `provisioned` (served by a provisioned instance), `ping` (a warm-up ping), `arrival_ms`,
//! `start_ms` (execution start; null when throttled), `end_ms`, `latency_ms`, `outcome`
//! (`warm`, `cold`, `throttled`), `status` (`ok`, `error`, `timeout`, `throttled`),
//! `measured` (false during the warm-up), for throttled requests `throttle_cause`
//! (`concurrency`, `scale_out`, `memory`, `pending_timeout`), and for cold starts
//! `cold_start` with the phase durations in ms: `sandbox_ms`, `network_ms` (VPC functions
//! only), `code_load_ms`, then `runtime_start_ms` or `snapshot_restore_ms`, and `init_ms`;
//! or only `total_ms` when the function overrides its cold start.
//!
//! Instance lines: `record`, `at_ms`, `function`, `instance` (serial number), `provisioned`
//! (after the change), `event` (`started`, `ready`, `busy`, `idle`, `recycled`,
//! `released`, `evicted`) and, for `started` and `evicted`, `cause` (`request`, `ping`,
//! `provisioned`, `prewarm`, `autoscaler`, `replacement`; `expiry`, `pressure`,
//! `lifetime`, `reset`, `released`). See [`crate::sim::InstanceChange`] for what each
//! means.
//!
//! Times are milliseconds since the start of the run.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::sim::{
    ColdStartPhases, EvictionCause, InstanceChange, InstanceRecord, Outcome, RequestLog,
    RequestRecord, StartCause, Status, ThrottleCause,
};

/// Writes [`RequestRecord`]s and [`InstanceRecord`]s as JSON Lines.
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

    /// Writes one line.
    fn write(&mut self, line: &impl Serialize) -> Result<()> {
        let fail = |source| Error::Output {
            what: self.what.clone(),
            source,
        };
        serde_json::to_writer(&mut self.out, line).map_err(|e| fail(e.into()))?;
        self.out.write_all(b"\n").map_err(fail)
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

/// The `record` field of a request line.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Request,
    Instance,
}

#[derive(Serialize)]
struct Line<'a> {
    record: Kind,
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
    throttle_cause: Option<ThrottleCause>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cold_start: Option<Phases>,
}

/// What an instance line's `event` says.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum InstanceEvent {
    Started,
    Ready,
    Busy,
    Idle,
    Recycled,
    Released,
    Evicted,
}

/// Why it started or went away.
#[derive(Serialize)]
#[serde(untagged)]
enum Cause {
    Start(StartCause),
    Eviction(EvictionCause),
}

#[derive(Serialize)]
struct InstanceLine<'a> {
    record: Kind,
    at_ms: f64,
    function: &'a str,
    instance: u64,
    provisioned: bool,
    event: InstanceEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<Cause>,
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
            record: Kind::Request,
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
            throttle_cause: r.throttle_cause,
            cold_start: r.cold_start.map(Phases::from),
        };
        self.write(&line)
    }

    fn wants_lifecycle(&self) -> bool {
        true
    }

    fn instance(&mut self, r: &InstanceRecord<'_>) -> Result<()> {
        let (event, cause) = match r.change {
            InstanceChange::Started(c) => (InstanceEvent::Started, Some(Cause::Start(c))),
            InstanceChange::Ready => (InstanceEvent::Ready, None),
            InstanceChange::Busy => (InstanceEvent::Busy, None),
            InstanceChange::Idle => (InstanceEvent::Idle, None),
            InstanceChange::Recycled => (InstanceEvent::Recycled, None),
            InstanceChange::Released => (InstanceEvent::Released, None),
            InstanceChange::Evicted(c) => (InstanceEvent::Evicted, Some(Cause::Eviction(c))),
        };
        self.write(&InstanceLine {
            record: Kind::Instance,
            at_ms: r.at.as_ms(),
            function: r.function,
            instance: r.instance,
            provisioned: r.provisioned,
            event,
            cause,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::InstanceState;
    use crate::time::SimTime;

    fn lines(log: JsonLinesLog<Vec<u8>>) -> Vec<String> {
        let out = log.finish().unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Instance lines say `"record":"instance"` and carry a cause only when they start or
    /// go away; a throttled request line names its cause.
    #[test]
    fn instance_and_throttled_lines_by_hand() {
        let mut log = JsonLinesLog::new(Vec::new(), "memory");
        let instance = |at_ms: u64, change, from| InstanceRecord {
            at: SimTime::from_ms(at_ms as f64),
            function: "api",
            function_index: 0,
            instance: 3,
            provisioned: true,
            change,
            from,
        };
        log.instance(&instance(
            1500,
            InstanceChange::Started(StartCause::Replacement),
            None,
        ))
        .unwrap();
        log.instance(&instance(
            1600,
            InstanceChange::Ready,
            Some(InstanceState::Starting),
        ))
        .unwrap();
        log.instance(&instance(
            9000,
            InstanceChange::Evicted(EvictionCause::Lifetime),
            Some(InstanceState::Idle),
        ))
        .unwrap();
        log.record(&RequestRecord {
            request: 7,
            function: "api",
            function_index: 0,
            instance: None,
            provisioned: false,
            ping: false,
            arrival: SimTime::from_ms(2.0),
            start: None,
            end: SimTime::from_ms(2.0),
            outcome: Outcome::Throttled,
            status: Status::Throttled,
            cold_start: None,
            measured: true,
            throttle_cause: Some(ThrottleCause::ScaleOut),
        })
        .unwrap();
        assert_eq!(
            lines(log),
            [
                r#"{"record":"instance","at_ms":1500.0,"function":"api","instance":3,"provisioned":true,"event":"started","cause":"replacement"}"#,
                r#"{"record":"instance","at_ms":1600.0,"function":"api","instance":3,"provisioned":true,"event":"ready"}"#,
                r#"{"record":"instance","at_ms":9000.0,"function":"api","instance":3,"provisioned":true,"event":"evicted","cause":"lifetime"}"#,
                r#"{"record":"request","request":7,"function":"api","instance":null,"provisioned":false,"ping":false,"arrival_ms":2.0,"start_ms":null,"end_ms":2.0,"latency_ms":0.0,"outcome":"throttled","status":"throttled","measured":true,"throttle_cause":"scale_out"}"#,
            ]
        );
    }
}
