//! The request path: serve → admit → execute → end → answer.
//!
//! A request is served by an instance with a free slot or a new one (`place`), else it
//! waits in the pending queue or is throttled; admitted, it waits for its instance's cold
//! start or starts at once; it executes (sampled work, failures, timeouts, calls to other
//! functions), ends (measured, billed, logged), and its instance goes back to its pool;
//! whoever waits for it (a caller, a queue, stream or workflow) is answered. Requests
//! live in a slab, linked into their instance's list.

use rand::RngExt;

use super::cpu::RequestCpu;
use super::instance::{ColdStartPhases, State};
use super::limits::Refusal;
use super::record::{InstanceChange, StartCause, ThrottleCause};
use super::request::{Ending, Incoming, Parent, Req};
use super::retries::{AsyncEvent, Settled};
use super::{Event, NIL, Outcome, RequestKey, RequestRecord, Sim, Status};
use crate::cost::billed;
use crate::error::Result;
use crate::metrics::AsyncCounts;
use crate::model::{CallMode, FunctionId};
use crate::time::SimTime;

impl Sim<'_, '_> {
    /// Puts request `req` in the request slab; returns its slot.
    pub(super) fn new_req(&mut self, req: Req) -> u32 {
        self.reqs.insert(req).index()
    }

    /// Links request `r` into instance `slot`'s list.
    pub(super) fn attach(&mut self, slot: u32, r: u32) {
        let head = self.instances[slot].head;
        {
            let q = &mut self.reqs[r];
            q.slot = slot;
            q.prev = NIL;
            q.next = head;
        }
        if head != NIL {
            self.reqs[head].prev = r;
        }
        let inst = &mut self.instances[slot];
        inst.head = r;
        inst.active += 1;
    }

    /// Unlinks request `r` from its instance and frees its slot.
    #[inline(always)]
    pub(super) fn detach(&mut self, r: u32) {
        let (slot, prev, next) = {
            let q = &self.reqs[r];
            (q.slot, q.prev, q.next)
        };
        if prev != NIL {
            self.reqs[prev].next = next;
        } else {
            self.instances[slot].head = next;
        }
        if next != NIL {
            self.reqs[next].prev = prev;
        }
        self.instances[slot].active -= 1;
        self.reqs.remove(r);
    }

    /// Serves a request (user, ping or an attempt of asynchronous event `event`) arriving
    /// at `now`.
    pub(super) fn serve(&mut self, now: SimTime, f: FunctionId, inc: Incoming) -> Result<()> {
        self.note_arrival(now, f, inc.id, inc.ping, inc.measured);
        // Requests already waiting for capacity go first.
        if !inc.ping && self.pending.has_waiting(f) {
            self.enqueue(now, f, inc);
            return self.drain_pending(now, f);
        }
        match self.place(now, f, inc.ping) {
            Ok((slot, started)) => self.admit(now, f, inc, slot, started),
            Err(refusal) => {
                if !inc.ping && self.pending.enabled() {
                    self.enqueue(now, f, inc);
                    Ok(())
                } else {
                    self.throttle(now, f, inc, refusal)
                }
            }
        }
    }

    /// Finds the instance for a request of `f` (a warm-up ping if `ping`): one with a free
    /// slot, or a new one.
    pub(super) fn place(
        &mut self,
        now: SimTime,
        f: FunctionId,
        ping: bool,
    ) -> std::result::Result<(u32, bool), Refusal> {
        // An idle on-demand instance is woken only under the concurrency limits (another
        // function, or provisioned instances allocated since it went idle, may have taken
        // the room it had).
        let headroom = self.limits.has_headroom(f);
        if let Some(slot) = self.funcs[f].pool.route(&mut self.instances, headroom) {
            // An idle instance leaves the eviction order too.
            if let Some(key) = self.instances[slot].evict_key.take() {
                self.memory.unfile(key, slot);
            }
            return Ok((slot, false));
        }
        // Every instance's CPU is full. With an autoscaler, which starts instances for the
        // CPU load, the request shares the least busy one; without, it starts a new one.
        if self.autoscale.is_some()
            && let Some(slot) = self.funcs[f].pool.route_saturated()
        {
            return Ok((slot, false));
        }
        let started = self.limits.may_start(now, f).and_then(|()| {
            let cause = if ping {
                StartCause::Ping
            } else {
                StartCause::Request
            };
            self.spawn(now, f, cause, SimTime::ZERO, false)
                .ok_or(Refusal::Memory)
        });
        match started {
            Ok(slot) => {
                self.limits.take_scale_out_token(f);
                Ok((slot, true))
            }
            // No new instance: a CPU-full one with a free slot still serves (sharing).
            Err(refusal) => self.funcs[f]
                .pool
                .route_saturated()
                .map(|s| (s, false))
                .ok_or(refusal),
        }
    }

    /// Puts request `inc` on instance `slot` (`started_instance`: it just started it).
    pub(super) fn admit(
        &mut self,
        now: SimTime,
        f: FunctionId,
        inc: Incoming,
        slot: u32,
        started_instance: bool,
    ) -> Result<()> {
        let (ping, measured) = (inc.ping, inc.measured);
        let (cap, has_pc) = (
            self.funcs[f].pool.cap(),
            self.funcs[f].pool.has_provisioned(),
        );
        let (state, provisioned) = {
            let i = &self.instances[slot];
            (i.state, i.provisioned)
        };
        let cold = state == State::Provisioning;
        if state == State::Idle {
            self.wake(now, f, slot, provisioned);
        }
        if !ping {
            self.meter.gauge(now, f, |m| &mut m.executions, 1);
        }
        self.funcs[f].requests_in_flight += 1;
        if measured {
            let total = self.instances[slot].phases.total();
            let m = self.meter.metrics(f);
            if ping {
                m.pings.pings += 1;
                m.pings.cold += u64::from(cold);
            } else if cold {
                m.cold_starts += 1;
                if started_instance {
                    m.cold_start_duration.record(total);
                }
                if has_pc {
                    m.spillover += 1;
                }
            } else {
                m.warm_starts += 1;
                if provisioned {
                    m.provisioned_served += 1;
                } else if has_pc {
                    m.spillover += 1;
                }
            }
        }
        let r = self.new_req(Req::admitted(inc, slot, now, cold, started_instance));
        self.attach(slot, r);
        if cap > 1 {
            self.pool_open_update(slot);
        }
        if !cold {
            self.start_exec(now, r)?;
        }
        Ok(())
    }

    /// Idle instance `slot` of `f` (`provisioned` or not) takes a request at `now`.
    #[inline(always)]
    pub(super) fn wake(&mut self, now: SimTime, f: FunctionId, slot: u32, provisioned: bool) {
        self.note_instance(now, slot, InstanceChange::Busy, Some(State::Idle));
        self.meter.exchange(now, f, State::Idle, State::Busy);
        if provisioned {
            self.meter.gauge(now, f, |m| &mut m.provisioned.busy, 1);
        } else {
            self.limits.in_flight(f, false, 1);
        }
        let inst = &mut self.instances[slot];
        inst.state = State::Busy;
        // A fresh busy period: the service clock restarts.
        inst.cpu.restart(now);
    }

    /// Records a refused request; an asynchronous one is scheduled for a retry.
    pub(super) fn throttle(
        &mut self,
        now: SimTime,
        f: FunctionId,
        inc: Incoming,
        refusal: Refusal,
    ) -> Result<()> {
        let Incoming {
            id,
            arrival,
            exec: _,
            ping,
            measured,
            event,
            parent,
        } = inc;
        if measured {
            let m = self.meter.metrics(f);
            if ping {
                m.pings.pings += 1;
                m.pings.throttled += 1;
            } else {
                m.throttled += 1;
                let c = &mut m.throttle_causes;
                match refusal {
                    Refusal::Concurrency => c.concurrency += 1,
                    Refusal::ScaleOut => c.scale_out += 1,
                    Refusal::Memory => c.memory += 1,
                    Refusal::PendingTimeout => c.pending_timeout += 1,
                }
            }
        }
        if let Some(log) = self.log.as_mut() {
            log.record(&RequestRecord {
                request: id,
                // Fields apart from the log (`Sim::definition` would borrow all of it).
                function: &self.scenario.function(self.members[f.index()]).name,
                function_index: f.index(),
                instance: None,
                provisioned: false,
                ping,
                arrival,
                start: None,
                end: now,
                outcome: Outcome::Throttled,
                status: Status::Throttled,
                cold_start: None,
                measured,
                throttle_cause: Some(match refusal {
                    Refusal::Concurrency => ThrottleCause::Concurrency,
                    Refusal::ScaleOut => ThrottleCause::ScaleOut,
                    Refusal::Memory => ThrottleCause::Memory,
                    Refusal::PendingTimeout => ThrottleCause::PendingTimeout,
                }),
            })?;
        }
        if event != NIL {
            let e = self.retries.get(event);
            let settled = self.retries.throttled(now, event);
            self.settle((event, e), settled, |m| &mut m.throttle_retries);
        }
        // A waiting caller gets the 429 at once.
        self.answer(now, parent, false)
    }

    /// Applies how an attempt settled event `event`: schedules its retry (counted in
    /// `retried`) or counts how it ended.
    pub(super) fn settle(
        &mut self,
        (event, e): (u32, AsyncEvent),
        settled: Settled,
        retried: fn(&mut AsyncCounts) -> &mut u64,
    ) {
        let m = &mut self.meter.metrics(e.func).events;
        match settled {
            Settled::Retry(at) => {
                self.queue.schedule(at, Event::Retry { event });
                *retried(m) += u64::from(e.measured);
            }
            Settled::Expired => m.expired += u64::from(e.measured),
            Settled::DeadLettered => m.dead_lettered += u64::from(e.measured),
            Settled::Succeeded => m.succeeded += u64::from(e.measured),
        }
    }

    /// Begins executing request `r` on its (ready) instance: gets it a database
    /// connection if it needs one, then starts its work.
    pub(super) fn start_exec(&mut self, now: SimTime, r: u32) -> Result<()> {
        let q = &mut self.reqs[r];
        q.exec_start = now;
        let f = self.instances[q.slot].func;
        if let Some(d) = self.funcs[f].hot.database
            && !self.connect(now, r, d)?
        {
            return Ok(()); // Waiting for a connection, or already failed.
        }
        self.begin_work(now, r);
        Ok(())
    }

    /// Resumes request `r`, which was handed the connection it waited for.
    pub(super) fn start_exec_after_wait(&mut self, now: SimTime, r: u32) {
        self.reqs[r].conn_wait = false;
        self.begin_work(now, r);
    }

    /// Samples request `r`'s work and schedules its end.
    pub(super) fn begin_work(&mut self, now: SimTime, r: u32) {
        let req = self.reqs.key(r);
        let (slot, ping, exec_start, recorded, parent) = {
            let q = &self.reqs[r];
            (q.slot, q.ping, q.exec_start, q.exec, q.parent)
        };
        let f = self.instances[slot].func;
        let hot = self.funcs[f].hot;
        let sampled = if recorded == SimTime::MAX {
            self.funcs[f].timing.sample_exec(ping)
        } else {
            recorded
        };
        // A batch's per-item cost comes on top of the draw, which it leaves unchanged (a
        // retry carries the same items, so the same cost).
        let mut work = match parent {
            Parent::Source(p) => sampled + self.sources.batch_cost(p),
            _ => sampled,
        };
        if !ping {
            self.demand.record(now, f, work);
        }
        if let Some(d) = hot.database {
            work = work + self.dbs.proxy_overhead(d);
        }
        let failed = self.funcs[f].timing.fails(ping);
        let timeout = if ping { None } else { hot.timeout };
        // The timeout runs from the start of execution, including any wait for a
        // connection.
        let deadline = timeout.map(|t| exec_start.saturating_add(t).max(now));
        let ending = if failed { Ending::Error } else { Ending::Ok };
        if self.cpu.shares(f) {
            // The CPU-bound part runs first, sharing the vCPUs; the rest (waiting on I/O)
            // then runs in real time.
            let (cpu, io) = self.cpu.split(f, work);
            if let Some(a) = self.autoscale.as_mut() {
                a.note_cpu(f, cpu.0 as f64);
            }
            if let Some(at) = deadline {
                self.queue.schedule(at, Event::Timeout { req });
            }
            self.shared_advance(now, slot);
            let share = self.instances[slot].cpu.join(cpu);
            let q = &mut self.reqs[r];
            q.ending = ending;
            q.cpu = RequestCpu { io, ..share };
            self.shared_reschedule(now, slot);
            return;
        }
        let (end, ending) = ends_at(now, work, deadline, ending);
        self.reqs[r].ending = ending;
        self.queue.schedule(end, Event::ExecDone { req });
    }

    pub(super) fn on_arrival(&mut self, now: SimTime, f: FunctionId) -> Result<()> {
        // This arrival's recorded execution time, read before the source moves on.
        let exec = std::mem::replace(&mut self.funcs[f].next_exec, SimTime::MAX);
        // Keep exactly one pending arrival per source.
        if let Some(t) = self.funcs[f].source.next_arrival()?
            && t < self.horizon
        {
            self.queue.schedule_recurring(t, Event::Arrival { func: f });
            let fs = &mut self.funcs[f];
            fs.next_exec = fs.source.last_duration().unwrap_or(SimTime::MAX);
        }
        let measured = now >= self.warmup;
        let id = self.new_request(now, f, measured);
        let event = if self.funcs[f].hot.asynchronous {
            self.new_event(now, f, measured)
        } else {
            NIL
        };
        let inc = Incoming {
            id,
            arrival: now,
            exec,
            ping: false,
            measured,
            event,
            parent: Parent::None,
        };
        if self.funcs[f].hot.express.is_some() && self.express_serve(now, f, inc) {
            return Ok(());
        }
        self.serve(now, f, inc)
    }

    /// Accepts an asynchronous event for function `f`.
    pub(super) fn new_event(&mut self, now: SimTime, f: FunctionId, measured: bool) -> u32 {
        if measured {
            self.meter.metrics(f).events.events += 1;
        }
        self.retries.accept(now, f, measured)
    }

    pub(super) fn on_retry(&mut self, now: SimTime, event: u32) -> Result<()> {
        let e = self.retries.get(event);
        let f = e.func;
        // An event's attempts count where the event does (by its arrival), so its
        // counters stay together.
        let measured = e.measured;
        let id = self.new_request(now, f, measured);
        let inc = Incoming {
            id,
            arrival: now,
            exec: SimTime::MAX,
            ping: false,
            measured,
            event,
            parent: Parent::None,
        };
        self.serve(now, f, inc)
    }

    /// A new request of `f` at `now` (user, ping, retry, call or source batch): its id, in
    /// arrival order across the scenario; it counts as an invocation of `f` if `counted`
    /// (measured, and not a ping), and feeds the policies ([`Self::note_invocation`]).
    #[inline]
    pub(super) fn new_request(&mut self, now: SimTime, f: FunctionId, counted: bool) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        if counted {
            self.meter.metrics(f).invocations += 1;
        }
        self.note_invocation(now, f);
        id
    }

    /// Feeds the hybrid keep-alive histogram and the greedy-dual frequency.
    #[inline]
    fn note_invocation(&mut self, now: SimTime, f: FunctionId) {
        let fs = &mut self.funcs[f];
        self.memory.note_invocation(f);
        if fs.keep_alive.learns()
            && fs.requests_in_flight == 0
            && let Some(since) = fs.last_idle_start
        {
            fs.keep_alive.on_idle_time(now, now - since);
        }
    }

    /// Ends request `r` at `now` with `ending`.
    pub(super) fn end_request(&mut self, now: SimTime, r: u32, ending: Ending) -> Result<()> {
        let q = self.reqs[r];
        let slot = q.slot;
        let (f, provisioned, phases, serial) = {
            let i = &self.instances[slot];
            debug_assert_eq!(i.state, State::Busy);
            (i.func, i.provisioned, i.phases, i.serial)
        };
        if q.measured {
            self.measure_end(now, f, &q, (provisioned, phases), ending);
        }
        if let Some(log) = self.log.as_mut() {
            log.record(&RequestRecord {
                request: q.id,
                // Fields apart from the log (`Sim::definition` would borrow all of it).
                function: &self.scenario.function(self.members[f.index()]).name,
                function_index: f.index(),
                instance: Some(serial),
                provisioned,
                ping: q.ping,
                arrival: q.arrival,
                start: Some(q.exec_start),
                end: now,
                outcome: if q.cold { Outcome::Cold } else { Outcome::Warm },
                status: match ending {
                    Ending::Ok => Status::Ok,
                    Ending::Error => Status::Error,
                    Ending::Timeout => Status::Timeout,
                },
                cold_start: q.cold.then_some(phases),
                measured: q.measured,
                throttle_cause: None,
            })?;
        }
        if !q.ping {
            self.meter.gauge(now, f, |m| &mut m.executions, -1);
        }
        let fs = &mut self.funcs[f];
        fs.requests_in_flight -= 1;
        if fs.requests_in_flight == 0 {
            fs.last_idle_start = Some(now);
        }
        if q.event != NIL {
            self.settle_event(now, q.event, q.arrival, ending);
        }

        let hot = self.funcs[f].hot;
        let sharing = self.cpu.shares(f);
        if sharing {
            // Bring the clock up to now before the number of requests changes.
            self.shared_advance(now, slot);
            if q.cpu.running {
                self.instances[slot].cpu.leave();
            }
        }
        self.detach(r);
        if q.conn
            && let Some(d) = hot.database
        {
            self.release_connection(now, d);
        }
        if ending == Ending::Timeout {
            // Lambda discards an environment whose invocation timed out.
            self.instances[slot].reset = true;
        }
        if self.instances[slot].active > 0 {
            if sharing {
                self.shared_reschedule(now, slot);
            }
            if self.funcs[f].pool.cap() > 1 {
                self.pool_open_update(slot);
            }
        } else {
            self.instance_emptied(now, slot);
        }
        if self.pending.has_waiting(f) {
            self.drain_pending(now, f)?;
        }
        if q.parent == Parent::None {
            return Ok(());
        }
        self.answer(now, q.parent, ending == Ending::Ok)
    }

    /// Counts and bills measured request `q` of `f`, ending at `now` with `ending` on an
    /// instance that is `provisioned` or not and started with `phases`.
    #[inline(always)]
    pub(super) fn measure_end(
        &mut self,
        now: SimTime,
        f: FunctionId,
        q: &Req,
        (provisioned, phases): (bool, ColdStartPhases),
        ending: Ending,
    ) {
        let init_billed = q.started_instance && self.init_billed;
        let exec = now - q.exec_start;
        let charged = if init_billed {
            exec + phases.billed_init()
        } else {
            exec
        };
        let charged = billed(charged, self.granularity);
        let m = self.meter.metrics(f);
        if q.ping {
            m.usage.pings += 1;
            m.usage.pings_billed = m.usage.pings_billed + charged;
            return;
        }
        if provisioned {
            m.provisioned_latency.record(now - q.arrival);
            m.usage.provisioned_requests += 1;
            m.usage.provisioned_billed = m.usage.provisioned_billed + charged;
        } else {
            if q.cold {
                m.cold_latency.record(now - q.arrival);
            } else {
                m.warm_latency.record(now - q.arrival);
            }
            m.usage.on_demand_requests += 1;
            m.usage.on_demand_billed = m.usage.on_demand_billed + charged;
        }
        match ending {
            Ending::Ok => {}
            Ending::Error => m.errors += 1,
            Ending::Timeout => m.timeouts += 1,
        }
    }

    /// Tells whoever waits for a request how it ended (`ok`: successfully).
    pub(super) fn answer(&mut self, now: SimTime, parent: Parent, ok: bool) -> Result<()> {
        match parent {
            Parent::None => Ok(()),
            Parent::Caller(req) => self.answer_caller(now, req, ok),
            Parent::Source(p) => self.answer_source(now, p, ok),
        }
    }

    /// Request `r`'s own work is done: it makes its calls, and ends unless it must wait
    /// for synchronous ones.
    pub(super) fn work_done(&mut self, now: SimTime, r: u32, ending: Ending) -> Result<()> {
        let q = &self.reqs[r];
        let f = self.instances[q.slot].func;
        if ending != Ending::Ok || q.ping || self.funcs[f].calls.is_empty() {
            return self.end_request(now, r, ending);
        }
        let (measured, slot) = (q.measured, q.slot);
        let req = self.reqs.key(r);
        self.reqs[r].issuing = true;
        for c in 0..self.funcs[f].calls.len() {
            let call = self.funcs[f].calls[c];
            for _ in 0..call.count {
                if call.probability < 1.0
                    && self.funcs[f].call_rng.random::<f64>() >= call.probability
                {
                    continue;
                }
                let g = call.target;
                let id = self.new_request(now, g, measured);
                let (event, parent) = match call.mode {
                    CallMode::Sync => {
                        self.reqs[r].pending += 1;
                        (NIL, Parent::Caller(req))
                    }
                    CallMode::Async => (self.new_event(now, g, measured), Parent::None),
                };
                let inc = Incoming {
                    id,
                    arrival: now,
                    exec: SimTime::MAX,
                    ping: false,
                    measured,
                    event,
                    parent,
                };
                self.serve(now, g, inc)?;
            }
        }
        let q = &mut self.reqs[r];
        q.issuing = false;
        if q.pending == 0 {
            let ending = if q.child_failed {
                Ending::Error
            } else {
                Ending::Ok
            };
            return self.end_request(now, r, ending);
        }
        // Waiting for callees: busy and billed, but not using the CPU.
        q.waiting = true;
        let exec_start = q.exec_start;
        let hot = self.funcs[f].hot;
        if self.cpu.shares(f) {
            if self.reqs[r].cpu.running {
                self.shared_advance(now, slot);
                self.instances[slot].cpu.leave();
                self.reqs[r].cpu.running = false;
                self.shared_reschedule(now, slot);
            }
        } else if let Some(t) = hot.timeout {
            // The timeout covers the wait too (on the shared CPU its event is already
            // pending: `begin_work`).
            let at = exec_start.saturating_add(t);
            if at > now {
                self.queue.schedule(at, Event::Timeout { req });
            } else {
                return self.end_request(now, r, Ending::Timeout);
            }
        }
        Ok(())
    }

    /// A synchronous callee of request `r` answered (`ok`: successfully).
    pub(super) fn answer_caller(
        &mut self,
        now: SimTime,
        caller: RequestKey,
        ok: bool,
    ) -> Result<()> {
        if !self.reqs.is_current(caller) {
            return Ok(()); // The caller already ended (timeout).
        }
        let r = caller.index();
        let q = &mut self.reqs[r];
        q.pending -= 1;
        q.child_failed |= !ok;
        if q.pending == 0 && q.waiting && !q.issuing {
            let ending = if q.child_failed {
                Ending::Error
            } else {
                Ending::Ok
            };
            return self.end_request(now, r, ending);
        }
        Ok(())
    }

    /// An asynchronous attempt (that arrived at `attempt`) ended: success, or a retry, or
    /// the dead-letter queue.
    pub(super) fn settle_event(
        &mut self,
        now: SimTime,
        event: u32,
        attempt: SimTime,
        ending: Ending,
    ) {
        let e = self.retries.get(event);
        let settled = self.retries.ended(now, event, ending == Ending::Ok);
        if settled == Settled::Succeeded && e.measured {
            let m = &mut self.meter.metrics(e.func).events;
            m.queue_delay.record(attempt - e.born);
            m.end_to_end.record(now - e.born);
        }
        self.settle((event, e), settled, |m| &mut m.error_retries);
    }
}

/// When work of length `work` that starts at `now` ends, and how (`ending` unless it runs
/// past `deadline`).
#[inline]
pub(super) fn ends_at(
    now: SimTime,
    work: SimTime,
    deadline: Option<SimTime>,
    ending: Ending,
) -> (SimTime, Ending) {
    match deadline {
        Some(at) if now + work > at => (at, Ending::Timeout),
        _ => (now + work, ending),
    }
}
