//! A request's record while it is being served, who waits for it, and a request about to
//! be served. Plain data for the orchestrator and the components.

use super::NIL;
use super::cpu::RequestCpu;
use super::source_events::SourceParent;
use crate::engine::Key;
use crate::time::SimTime;

/// How an execution ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    Ok,
    Error,
    Timeout,
}

/// A request being served (in the request slab: its key goes stale when it ends).
#[derive(Debug, Clone, Copy)]
pub(super) struct Req {
    pub(super) slot: u32,
    pub(super) id: u64,
    pub(super) arrival: SimTime,
    pub(super) exec_start: SimTime,
    pub(super) cold: bool,
    pub(super) ping: bool,
    /// The cold start it waited for was its own instance's start (not joined).
    pub(super) started_instance: bool,
    pub(super) measured: bool,
    pub(super) ending: Ending,
    /// Asynchronous event, or NIL.
    pub(super) event: u32,
    /// Its part on the shared CPU.
    pub(super) cpu: RequestCpu,
    /// Execution time recorded by a trace (MAX: sample one).
    pub(super) exec: SimTime,
    /// Who waits for this request.
    pub(super) parent: Parent,
    /// Synchronous calls still outstanding.
    pub(super) pending: u32,
    /// Its own work is done; it waits for its calls.
    pub(super) waiting: bool,
    /// Issuing calls right now (a callee's answer must not end it yet).
    pub(super) issuing: bool,
    /// A callee failed or was throttled: the request ends in an error.
    pub(super) child_failed: bool,
    /// Holds a database connection (behind a proxy: per request).
    pub(super) conn: bool,
    /// Waiting for a database connection (its execution has begun).
    pub(super) conn_wait: bool,
    /// Links in the instance's request list.
    pub(super) prev: u32,
    pub(super) next: u32,
}

impl Req {
    /// Request `inc`, admitted to instance `slot` at `now`; `cold`: it waits for the
    /// instance's cold start, which it started (`started_instance`) or joined. Not yet
    /// linked into the instance's list, and ending well until its work says otherwise.
    #[inline]
    pub(super) fn admitted(
        inc: Incoming,
        slot: u32,
        now: SimTime,
        cold: bool,
        started_instance: bool,
    ) -> Req {
        Req {
            slot,
            id: inc.id,
            arrival: inc.arrival,
            exec_start: now,
            cold,
            ping: inc.ping,
            started_instance,
            measured: inc.measured,
            ending: Ending::Ok,
            event: inc.event,
            cpu: RequestCpu::default(),
            exec: inc.exec,
            parent: inc.parent,
            pending: 0,
            waiting: false,
            issuing: false,
            child_failed: false,
            conn: false,
            conn_wait: false,
            prev: NIL,
            next: NIL,
        }
    }
}

/// Who waits for a request's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Parent {
    /// Nobody inside the simulation (a client, or an event source).
    None,
    /// A synchronous caller.
    Caller(Key<Req>),
    /// A queue or stream batch, or a workflow task (`sim/sources.rs`).
    Source(SourceParent),
}

/// A request about to be served: who it is and who waits for it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Incoming {
    pub(super) id: u64,
    /// When it arrived (earlier than now after a wait in the pending queue).
    pub(super) arrival: SimTime,
    /// Its execution time when a trace recorded it (MAX: sample one).
    pub(super) exec: SimTime,
    pub(super) ping: bool,
    pub(super) measured: bool,
    /// Asynchronous event, or NIL.
    pub(super) event: u32,
    pub(super) parent: Parent,
}
