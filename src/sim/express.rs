//! The express lane: the two steps almost every request of a plain function takes, without
//! the branches for rules it does not use.
//!
//! A function is *plain* when one request runs per instance, it has no provisioned
//! concurrency, database, calls, asynchronous invocation or CPU sharing, and its keep-alive
//! is fixed; and the run has no request log, no autoscaler and no pending queue (requests
//! that wait for capacity). Its requests take the express lane at two points:
//! - **arrival** ([`Sim::express_serve`]): the concurrency limits have room and an idle
//!   instance is there: the request wakes it and starts at once (a warm start);
//! - **end** ([`Sim::express_end`]): the request ended without a timeout, alone on an
//!   instance that is neither past its lifetime nor to be discarded, nobody waits for it
//!   (no caller, no asynchronous event) and it is not a warm-up ping: its instance goes
//!   idle for the fixed keep-alive.
//!
//! Everything else (cold starts, throttling, timeouts, pings, lifetimes) takes the general
//! path (`path.rs`, `lifecycle.rs`), and so does every request when the run asks for it
//! ([`RunOptions::general_path`](super::RunOptions::general_path)). The lane makes the same
//! changes in the same order (only the draws come first, on the function's own streams),
//! through the same helpers where they are not branches (`wake`, `measure_end`,
//! `keep_idle`, `ends_at`, `Req::admitted`), and draws the same random numbers and
//! schedules the same events: results are byte-identical either way, which
//! `tests/express.rs` checks on scenarios that reach every exit back to the general path.
//! On the reference scenario it takes 28 % of the instructions off each request
//! (`docs/performance.md`).

use super::instance::Open;
use super::path::ends_at;
use super::request::{Ending, Incoming, Parent, Req};
use super::{Event, NIL, Sim};
use crate::model::{Function, FunctionId, Invocation};
use crate::policy::keep_alive::KeepAliveState;
use crate::time::SimTime;

/// Whether function `f` is plain (see the module docs), given its keep-alive policy and
/// whether its requests share the CPU: its fixed keep-alive if so. The run-wide conditions
/// (no request log, autoscaler or pending queue) are the caller's (`Sim::new`).
pub(super) fn lane_for(
    f: &Function,
    keep_alive: &KeepAliveState,
    shares_cpu: bool,
) -> Option<SimTime> {
    let plain = f.per_instance_concurrency == 1
        && f.provisioned.is_none()
        && f.database.is_none()
        && f.calls.is_empty()
        && f.invocation == Invocation::Sync
        && !shares_cpu;
    match keep_alive {
        KeepAliveState::Fixed(ttl) if plain => Some(*ttl),
        _ => None,
    }
}

impl Sim<'_, '_> {
    /// Serves user request `inc` of plain function `f`, arriving at `now`, on an idle
    /// instance, as `serve` would. Returns `false`, having changed nothing, when the request
    /// must take the general path.
    #[inline]
    pub(super) fn express_serve(&mut self, now: SimTime, f: FunctionId, inc: Incoming) -> bool {
        let (exec, measured) = (inc.exec, inc.measured);
        if !self.limits.has_headroom(f) {
            return false;
        }
        let fs = &mut self.funcs[f];
        let Some(slot) = fs.pool.take_idle_on_demand(&mut self.instances) else {
            return false;
        };
        // `begin_work`'s draws, without a database, a batch or a shared CPU (each stream is
        // the function's own, so drawing first changes no value).
        let work = if exec == SimTime::MAX {
            fs.timing.sample_exec(false)
        } else {
            exec
        };
        let failed = fs.timing.fails(false);
        let deadline = fs.hot.timeout.map(|t| now.saturating_add(t));
        fs.requests_in_flight += 1;
        // `place`: an idle instance leaves the eviction order.
        if let Some(key) = self.instances[slot].evict_key.take() {
            self.memory.unfile(key, slot);
        }
        // `admit`, for a warm start on an on-demand instance.
        self.wake(now, f, slot, false);
        self.meter.gauge(now, f, |m| &mut m.executions, 1);
        if measured {
            self.meter.metrics(f).warm_starts += 1;
        }
        self.demand.record(now, f, work);
        let ending = if failed { Ending::Error } else { Ending::Ok };
        let (end, ending) = ends_at(now, work, deadline, ending);
        let r = self.new_req(Req::admitted(inc, slot, now, false, false));
        self.reqs[r].ending = ending;
        self.attach(slot, r);
        let req = self.reqs.key(r);
        self.queue.schedule(end, Event::ExecDone { req });
        self.express_requests += 1;
        true
    }

    /// Ends request `r`, whose execution is done at `now`, as `work_done` would, if it is
    /// a plain function's request that ends alone on its instance (see the module docs).
    /// Returns `false`, having changed nothing, when it must take the general path.
    #[inline]
    pub(super) fn express_end(&mut self, now: SimTime, r: u32) -> bool {
        // Whether the function is plain comes first: every other function's requests end
        // here too, and should pay one look-up, not a copy of the request.
        let slot = self.reqs[r].slot;
        let f = self.instances[slot].func;
        let Some(keep_alive) = self.funcs[f].hot.express else {
            return false;
        };
        let q = self.reqs[r];
        let i = &self.instances[slot];
        let alone = i.active == 1 && i.open == Open::None;
        let stays = !i.provisioned && i.retire_at > now && !i.reset;
        let unawaited = q.parent == Parent::None && q.event == NIL && !q.ping;
        if !(alone && stays && unawaited && q.ending != Ending::Timeout) {
            return false;
        }
        let phases = i.phases;
        // `end_request`.
        if q.measured {
            self.measure_end(now, f, &q, (false, phases), q.ending);
        }
        self.meter.gauge(now, f, |m| &mut m.executions, -1);
        let fs = &mut self.funcs[f];
        fs.requests_in_flight -= 1;
        if fs.requests_in_flight == 0 {
            fs.last_idle_start = Some(now);
        }
        self.detach(r);
        // `instance_emptied`, under a fixed keep-alive.
        self.keep_idle(now, f, slot, now + keep_alive);
        true
    }
}
