//! The platform model: functions, their instances, concurrency and scale-out limits,
//! provisioned concurrency, keep-alive, memory pressure, warm-up pings, timeouts, errors and
//! asynchronous retries, driven by the event queue.
//!
//! # A request's path
//! 1. **Arrival.** The request goes to an instance with a free slot: a provisioned one
//!    first, then an on-demand one (`reuse` picks among idle ones; with several requests
//!    per instance, `routing` picks the busiest or the least busy), then one still starting
//!    (the request waits for its cold start). Otherwise, if the function is under its
//!    concurrency limit, a scale-out token is left and the new instance fits in memory
//!    (evicting idle instances if needed), a new on-demand instance starts and the request
//!    waits for its cold start. Otherwise, on a platform with a pending queue, it waits for
//!    capacity (`pending.rs`); else it is throttled: a synchronous one fails (HTTP 429), an
//!    asynchronous one is retried with back-off. Every request ends in
//!    exactly one of warm, cold, throttled; requests served on demand while the function
//!    has provisioned concurrency are spill-over.
//! 2. **Cold start done.** The instance starts executing the requests waiting for it (or,
//!    for a provisioned or pre-warmed instance started without one, becomes idle).
//! 3. **Execution done.** It ends at the sampled execution time, or at the timeout if that
//!    comes first; with `failure_probability` it may end in a function error. The response
//!    time (arrival → end) is recorded. An instance with no request left returns to its
//!    pool: a provisioned one to the provisioned pool; an on-demand one asks the keep-alive
//!    policy (keep until a deadline, evict, or evict and pre-warm later). An instance whose
//!    request timed out is discarded (reset), as Lambda does.
//! 4. **Timers.** An idle instance is evicted when its keep-alive deadline or the
//!    platform's maximum lifetime passes; a busy instance past its lifetime takes no new
//!    requests and is recycled when its requests end (a recycled provisioned instance is
//!    replaced).
//! 5. **Asynchronous events** are attempted at once; a throttled attempt is retried after a
//!    doubling back-off, a failed one after the function's error delays, up to
//!    `max_retries` and the maximum event age; then the event is dead-lettered.
//! 6. **Whoever waits** for a request (a synchronous caller, a queue, stream or workflow)
//!    is told how it ended through `Sim::answer`.
//!
//! Beside this file: `scale_out.rs` (token buckets), `pending.rs` (the pending queue),
//! `autoscale.rs` (the target-concurrency autoscaler), `connections.rs` (database
//! connections), `sources.rs` and `workflow.rs` (queues, streams, workflows), `idle.rs`
//! (idle sets).
//!
//! Concurrency counts on-demand instances that are starting or executing, plus every
//! allocated provisioned instance (Lambda's definition, where an instance serves one
//! request); idle on-demand instances do not count. A function with `max_concurrency`
//! (reserved concurrency) is capped by it and does not use the shared pool; the others
//! share `account_concurrency − Σ reserved`.
//!
//! # CPU sharing
//! With `cpu_sharing`, the requests executing on an instance share its vCPUs (processor
//! sharing): with n requests on v vCPUs each progresses at rate min(1, v/n). The instance
//! keeps a virtual clock of the service each of its requests has received; a request
//! finishes when the clock passes its start mark plus its work. One pending event per
//! instance (its next finish) is rescheduled whenever the number of requests changes.
//!
//! # Timers
//! Each instance has at most one pending timer, at `min(keep-alive deadline, lifetime
//! end)`; it is re-armed lazily when it fires early, so the heap holds O(instances) events
//! rather than one stale timer per request. A timer is honoured only if its slot still
//! holds the same generation and it is the instance's latest timer.
//!
//! # Measurement
//! Arrivals are generated in `[0, duration)`. Requests arriving before `warmup` are
//! simulated but not counted; instance counts are time-averaged over `[warmup, duration]`.
//! After the last arrival, requests in flight (and asynchronous retries) run to
//! completion.

mod autoscale;
mod connections;
mod cpu;
mod execution;
mod idle;
mod instance;
mod limits;
mod meter;
mod pending;
mod pool;
mod record;
mod request;
mod retries;
mod scale_out;
mod source_events;
mod sources;
mod workflow;

use rand::RngExt;

use crate::cost::billed;
use crate::engine::{Engine, EventQueue, Model};
use crate::error::Result;
use crate::metrics::AsyncCounts;
use crate::model::{CallMode, Invocation, Scenario};
use crate::policy::eviction::EvictionOrder;
use crate::policy::keep_alive::{Decision, KeepAliveState};
use crate::policy::provisioned::ProvisionedState;
use crate::rng::{self, SimRng, Stream};
use crate::time::SimTime;
use crate::workload::ArrivalSource;
use autoscale::Autoscale;
use connections::{Acquire, Databases};
use cpu::{Cpu, InstanceCpu, RequestCpu};
use execution::{Execution, Streams};
pub use instance::ColdStartPhases;
use instance::{Cause, Instance, Open, State};
use limits::{Limits, Memory, Refusal, Room};
use meter::Meter;
use pending::{POLL, Pending};
use pool::{PoolRules, Pools};
pub use record::{Outcome, RequestLog, RequestRecord, RunOptions, RunOutput, Status};
use request::{Ending, Incoming, Parent, Req};
use retries::{AsyncEvent, Retries, Settled};
use source_events::SourceEvent;
pub use source_events::{BatchRecord, SourceKind};
use sources::SourceState;

/// "No instance / request / event" in links and indices.
const NIL: u32 = u32::MAX;

/// How often (in events) the progress callback is called.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Something that happened at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// The next request of function `func` arrives.
    Arrival { func: u32 },
    /// The instance in `slot` finished its cold start.
    ColdStartDone { slot: u32, generation: u32 },
    /// Request `req` finished executing (or hit its timeout).
    ExecDone { req: u32, generation: u32 },
    /// CPU sharing: the next request on the instance in `slot` finishes (if `epoch` is
    /// still the instance's latest).
    SharedDone {
        slot: u32,
        generation: u32,
        epoch: u32,
    },
    /// CPU sharing: request `req` reached its timeout.
    Timeout { req: u32, generation: u32 },
    /// Request `req` has waited for a database connection as long as it may.
    ConnectionTimeout { req: u32, generation: u32 },
    /// The timer of the instance in `slot` (keep-alive deadline or lifetime end).
    Timer { slot: u32, generation: u32 },
    /// Start a pre-warmed instance of `func` (hybrid keep-alive).
    Prewarm { func: u32 },
    /// Step `step` of `func`'s provisioned schedule, in period `period`.
    ScheduleStep { func: u32, step: u32, period: u32 },
    /// Periodic provisioned-concurrency evaluation of `func` (target tracking, custom).
    ProvisionedTick { func: u32 },
    /// A round of warm-up pings for `func`.
    Warmers { func: u32 },
    /// Retry of asynchronous event `event`.
    Retry { event: u32 },
    /// Pending-queue entry `entry` of `func` waited as long as it may.
    PendingExpire { func: u32, entry: u32 },
    /// Try again to place `func`'s pending requests.
    PendingPoll { func: u32 },
    /// Autoscaler evaluation of `func`.
    Autoscale { func: u32 },
    /// A queue, stream or workflow event (`sim/sources.rs`).
    Source(SourceEvent),
}

struct FunctionState {
    source: ArrivalSource,
    call_rng: SimRng,
    /// Requests (user and pings) in flight, for idle-time tracking.
    requests_in_flight: u32,
    /// When the function last had no request in flight.
    last_idle_start: Option<SimTime>,
    /// The keep-alive policy and what it has learnt.
    keep_alive: KeepAliveState,
    /// Keep-alive deadline of the next pre-warmed instance.
    prewarm_until: SimTime,
    /// The provisioned-concurrency policy and its state.
    provisioned: Option<ProvisionedState>,
    /// The function's settings the per-request path reads, kept beside its state.
    hot: Hot,
    /// Execution time a trace recorded for the pending arrival (MAX: none).
    next_exec: SimTime,
}

/// A function's settings read on every request, copied from the scenario so the hot path
/// touches one cache-resident struct.
#[derive(Debug, Clone, Copy)]
struct Hot {
    /// Requests per instance.
    cap: u32,
    /// Database index.
    database: Option<usize>,
    /// Has calls to make.
    calls: bool,
    /// Execution timeout.
    timeout: Option<SimTime>,
    /// Has provisioned concurrency.
    has_pc: bool,
}

struct Sim<'s, 'o> {
    scenario: &'s Scenario,
    queue: EventQueue<Event>,
    instances: Vec<Instance>,
    free_slots: Vec<u32>,
    reqs: Vec<Req>,
    free_reqs: Vec<u32>,
    /// Asynchronous events between attempts.
    retries: Retries,
    funcs: Vec<FunctionState>,
    /// Requests waiting for capacity.
    pending: Pending,
    /// The platform's autoscaler, if it has one.
    autoscale: Option<Autoscale>,
    /// Processor sharing on instances.
    cpu: Cpu,
    /// Execution times, cold starts and function errors.
    execution: Execution,
    /// Instances that can take a request, and routing.
    pools: Pools,
    meter: Meter,
    /// Concurrency and scale-out limits.
    limits: Limits,
    /// Memory held by instances, and the eviction order.
    memory: Memory,
    /// Databases' connections.
    dbs: Databases,
    /// Scratch list of requests finishing together (CPU sharing), kept to reuse its
    /// allocation.
    finished: Vec<u32>,
    next_request: u64,
    next_serial: u64,
    granularity: SimTime,
    /// The platform bills init (of the request that started an instance).
    init_billed: bool,
    log: Option<&'o mut dyn RequestLog>,
    /// Queues, streams and workflows.
    sources: SourceState,
}

/// Runs a scenario to completion.
pub fn run(scenario: &Scenario, options: RunOptions<'_>) -> Result<RunOutput> {
    let RunOptions { log, mut progress } = options;
    let mut engine = Engine::new(Sim::new(scenario, log)?);
    let horizon = scenario.duration.as_secs();
    engine.run(PROGRESS_EVERY, |now| {
        if let Some(p) = progress.as_mut() {
            p((now.as_secs() / horizon).min(1.0));
        }
    })?;
    let events = engine.events();
    Ok(engine.into_model().finish(events))
}

impl Model for Sim<'_, '_> {
    type Event = Event;
    type Error = crate::Error;

    #[inline]
    fn queue(&mut self) -> &mut EventQueue<Event> {
        &mut self.queue
    }

    fn handle(&mut self, now: SimTime, event: Event) -> Result<()> {
        match event {
            Event::Arrival { func } => self.on_arrival(now, func as usize)?,
            Event::ColdStartDone { slot, generation } => {
                if self.current(slot, generation) {
                    self.on_cold_start_done(now, slot)?;
                }
            }
            Event::ExecDone { req, generation } => {
                if self.reqs[req as usize].generation == generation {
                    let ending = self.reqs[req as usize].ending;
                    self.work_done(now, req, ending)?;
                }
            }
            Event::SharedDone {
                slot,
                generation,
                epoch,
            } => {
                if self.current(slot, generation)
                    && self.instances[slot as usize].cpu.epoch() == epoch
                {
                    self.on_shared_done(now, slot)?;
                }
            }
            Event::Timeout { req, generation } => {
                if self.reqs[req as usize].generation == generation {
                    self.end_request(now, req, Ending::Timeout)?;
                }
            }
            Event::ConnectionTimeout { req, generation } => {
                if self.reqs[req as usize].generation == generation {
                    self.on_connection_timeout(now, req)?;
                }
            }
            Event::Timer { slot, generation } => self.on_timer(now, slot, generation),
            Event::Prewarm { func } => self.on_prewarm(now, func as usize),
            Event::ScheduleStep { func, step, period } => {
                self.on_schedule_step(now, func as usize, step as usize, period)
            }
            Event::ProvisionedTick { func } => self.on_provisioned_tick(now, func as usize),
            Event::Warmers { func } => self.on_warmers(now, func as usize)?,
            Event::Retry { event } => self.on_retry(now, event)?,
            Event::PendingExpire { func, entry } => {
                self.on_pending_expire(now, func as usize, entry)?
            }
            Event::PendingPoll { func } => self.on_pending_poll(now, func as usize)?,
            Event::Autoscale { func } => self.on_autoscale(now, func as usize),
            Event::Source(e) => self.on_source_event(now, e)?,
        }
        Ok(())
    }
}

impl<'s, 'o> Sim<'s, 'o> {
    fn new(scenario: &'s Scenario, log: Option<&'o mut dyn RequestLog>) -> Result<Self> {
        let granularity = scenario
            .platform
            .pricing
            .as_ref()
            .map_or(SimTime(1), |p| SimTime::from_ms(p.billing_granularity_ms));
        let mut sim = Sim {
            scenario,
            queue: EventQueue::new(),
            instances: Vec::new(),
            free_slots: Vec::new(),
            reqs: Vec::new(),
            free_reqs: Vec::new(),
            retries: Retries::new(scenario.functions.iter().map(|f| f.async_retry.clone())),
            funcs: Vec::with_capacity(scenario.functions.len()),
            pools: Pools::new(
                scenario
                    .functions
                    .iter()
                    .enumerate()
                    .map(|(i, f)| PoolRules {
                        reuse: f.reuse,
                        routing: f.routing,
                        cap: f.per_instance_concurrency,
                        has_pc: f.provisioned.is_some(),
                        rng: rng::stream(scenario.seed, i as u64, Stream::Routing),
                    }),
            ),
            pending: Pending::new(scenario.platform.pending_timeout, scenario.functions.len()),
            autoscale: scenario
                .platform
                .autoscaler
                .map(|rules| Autoscale::new(rules, scenario.functions.len())),
            cpu: Cpu::new(
                scenario
                    .functions
                    .iter()
                    .map(|f| (f.cpu_sharing, f.vcpus, f.cpu_fraction)),
            ),
            execution: Execution::new(scenario.functions.iter().enumerate().map(|(i, f)| {
                let stream = |which| rng::stream(scenario.seed, i as u64, which);
                let streams = Streams {
                    exec: stream(Stream::Execution),
                    cold: stream(Stream::ColdStart),
                    fail: stream(Stream::Failure),
                };
                (f, streams)
            })),
            meter: Meter::new(scenario.functions.len(), scenario.warmup, scenario.duration),
            limits: Limits::new(
                scenario.functions.iter().map(|f| f.max_concurrency),
                scenario.platform.account_concurrency,
                &scenario.platform.scale_out,
            ),
            memory: Memory::new(
                scenario.platform.memory_capacity_mb,
                EvictionOrder::new(scenario.platform.eviction, scenario.functions.len()),
                scenario
                    .functions
                    .iter()
                    .map(|f| (f.mean_cold_start_ms, f64::from(f.memory_mb)))
                    .collect(),
            ),
            dbs: Databases::new(
                scenario.databases.iter(),
                (scenario.warmup, scenario.duration),
            ),
            finished: Vec::new(),
            next_request: 0,
            next_serial: 0,
            granularity,
            init_billed: scenario
                .platform
                .pricing
                .as_ref()
                .is_some_and(|p| p.init_billed),
            log,
            sources: SourceState::default(),
        };
        for (i, f) in scenario.functions.iter().enumerate() {
            let seed = scenario.seed;
            let idx = i as u64;
            let mut source = match &f.workload {
                Some(w) => w.start(rng::stream(seed, idx, Stream::Arrivals))?,
                None => ArrivalSource::Empty,
            };
            let mut next_exec = SimTime::MAX;
            if let Some(t) = source.next_arrival()?
                && t < scenario.duration
            {
                sim.queue.schedule(t, Event::Arrival { func: i as u32 });
                next_exec = source.last_duration().unwrap_or(SimTime::MAX);
            }
            sim.funcs.push(FunctionState {
                source,
                call_rng: rng::stream(seed, idx, Stream::Calls),
                requests_in_flight: 0,
                last_idle_start: None,
                keep_alive: f.keep_alive.start(),
                prewarm_until: SimTime::ZERO,
                provisioned: f.provisioned.as_ref().map(|p| p.start()),
                next_exec,
                hot: Hot {
                    cap: f.per_instance_concurrency,
                    database: f.database,
                    calls: !f.calls.is_empty(),
                    timeout: f.timeout,
                    has_pc: f.provisioned.is_some(),
                },
            });
        }
        for (i, f) in scenario.functions.iter().enumerate() {
            let func = i as u32;
            if let Some(p) = &f.provisioned {
                // Allocated before the run: ready at time 0.
                let n = p.initial();
                sim.set_provisioned(SimTime::ZERO, i, n, None);
                let state = sim.funcs[i].provisioned.as_ref().expect("started above");
                let (first, interval) = (state.first_step(), state.interval());
                if let Some((at, step, period)) = first {
                    sim.schedule_step(i, at, step, period);
                }
                if let Some(interval) = interval
                    && interval < scenario.duration
                {
                    sim.queue
                        .schedule(interval, Event::ProvisionedTick { func });
                }
            }
            if let Some(w) = &f.warmers
                && w.start < scenario.duration
            {
                sim.queue.schedule(w.start, Event::Warmers { func });
            }
        }
        sim.start_sources()?;
        // Every function's first autoscaler evaluation (platforms with an autoscaler).
        if let Some(a) = &sim.autoscale
            && a.interval() < scenario.duration
        {
            let at = a.interval();
            for f in 0..sim.funcs.len() {
                sim.queue.schedule(at, Event::Autoscale { func: f as u32 });
            }
        }
        Ok(sim)
    }

    #[inline]
    fn current(&self, slot: u32, generation: u32) -> bool {
        let i = &self.instances[slot as usize];
        i.generation == generation && i.state != State::Free
    }

    /// Makes room for `memory_mb` by evicting idle on-demand instances; false if it cannot.
    fn make_room(&mut self, now: SimTime, memory_mb: u32) -> bool {
        loop {
            match self.memory.room_for(memory_mb) {
                Room::Fits => return true,
                Room::Full => return false,
                Room::Evict(victim) => {
                    self.instances[victim as usize].evict_key = None;
                    self.free(now, victim, Cause::Pressure);
                }
            }
        }
    }

    /// Starts a new instance of `f`, with no request yet. `delay` postpones the start
    /// (provisioned allocation); `instant` makes it ready at once (provisioned concurrency
    /// in place before the run). Returns `None` when it does not fit in memory.
    fn spawn(
        &mut self,
        now: SimTime,
        f: usize,
        provisioned: bool,
        delay: SimTime,
        instant: bool,
    ) -> Option<u32> {
        let memory_mb = self.scenario.functions[f].memory_mb;
        if !self.make_room(now, memory_mb) {
            return None;
        }
        self.memory.hold(memory_mb, true);
        let phases = self.execution.sample_cold_start(f);
        let ready = if instant {
            now
        } else {
            now + delay + phases.total()
        };
        let serial = self.next_serial;
        self.next_serial += 1;
        let retire_at = self
            .scenario
            .platform
            .max_instance_lifetime
            .map_or(SimTime::MAX, |l| now + l);
        let fresh = Instance {
            func: f as u32,
            generation: 0,
            state: State::Provisioning,
            serial,
            provisioned,
            memory_mb,
            idle_since: now,
            expires_at: SimTime::MAX,
            retire_at,
            timer_armed: false,
            timer_at: SimTime::ZERO,
            evict_key: None,
            prev: NIL,
            next: NIL,
            active: 0,
            head: NIL,
            open: Open::None,
            open_active: 0,
            draining: false,
            reset: false,
            phases,
            cpu: InstanceCpu::new(ready),
            conn: false,
        };
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                let old = &mut self.instances[slot as usize];
                let generation = old.generation.wrapping_add(1);
                *old = Instance {
                    generation,
                    ..fresh
                };
                slot
            }
            None => {
                let slot = u32::try_from(self.instances.len())
                    .ok()
                    .filter(|&s| s != NIL)
                    .expect("fewer than 2^32 - 1 simultaneous instances");
                self.instances.push(fresh);
                slot
            }
        };
        self.meter.shift(now, f, None, Some(State::Provisioning));
        self.limits.in_flight(f, provisioned, 1);
        if provisioned {
            self.meter
                .gauge(now, f, |m| &mut m.provisioned.allocated, 1);
        }
        let generation = self.instances[slot as usize].generation;
        self.queue
            .schedule(ready, Event::ColdStartDone { slot, generation });
        Some(slot)
    }

    /// Removes an instance that has no request.
    fn free(&mut self, now: SimTime, slot: u32, cause: Cause) {
        let (f, state, provisioned, memory_mb) = {
            let i = &self.instances[slot as usize];
            (i.func as usize, i.state, i.provisioned, i.memory_mb)
        };
        debug_assert_ne!(state, State::Free);
        debug_assert_eq!(self.instances[slot as usize].active, 0);
        self.pools.open_remove(slot, &mut self.instances);
        if state == State::Idle {
            self.pools.remove_idle(slot, &mut self.instances);
            if let Some(key) = self.instances[slot as usize].evict_key.take() {
                self.memory.unfile(key, slot);
            }
        }
        // Concurrency: provisioned instances count while allocated, on-demand ones while
        // starting or executing.
        if provisioned {
            self.limits.in_flight(f, true, -1);
            self.meter
                .gauge(now, f, |m| &mut m.provisioned.allocated, -1);
            if state != State::Provisioning {
                self.meter.gauge(now, f, |m| &mut m.provisioned.ready, -1);
            }
            if state == State::Busy {
                self.meter.gauge(now, f, |m| &mut m.provisioned.busy, -1);
            }
        } else if state != State::Idle {
            self.limits.in_flight(f, false, -1);
        }
        self.meter.shift(now, f, Some(state), None);
        self.memory.hold(memory_mb, false);
        if std::mem::take(&mut self.instances[slot as usize].conn)
            && let Some(d) = self.scenario.functions[f].database
        {
            self.release_connection(now, d);
        }
        let inst = &mut self.instances[slot as usize];
        inst.state = State::Free;
        inst.generation = inst.generation.wrapping_add(1);
        self.free_slots.push(slot);
        if self.meter.in_window(now) {
            let e = &mut self.meter.metrics(f).evictions;
            match cause {
                Cause::Expiry => e.expiry += 1,
                Cause::Pressure => e.pressure += 1,
                Cause::Lifetime => e.lifetime += 1,
                Cause::Reset => e.reset += 1,
                Cause::Released => {}
            }
        }
    }

    /// Arms the instance's timer for `min(expires_at, retire_at)` if that is sooner than
    /// its pending timer.
    fn arm_timer(&mut self, slot: u32) {
        let inst = &mut self.instances[slot as usize];
        let at = inst.expires_at.min(inst.retire_at);
        if at == SimTime::MAX || (inst.timer_armed && inst.timer_at <= at) {
            return;
        }
        inst.timer_armed = true;
        inst.timer_at = at;
        let generation = inst.generation;
        self.queue.schedule(at, Event::Timer { slot, generation });
    }

    /// Puts an instance into its function's idle set at `now`.
    fn make_idle(&mut self, now: SimTime, slot: u32) {
        let f = self.instances[slot as usize].func as usize;
        let inst = &mut self.instances[slot as usize];
        inst.state = State::Idle;
        inst.idle_since = now;
        if inst.provisioned {
            inst.expires_at = SimTime::MAX;
            self.pools.push_idle(slot, &mut self.instances);
        } else {
            self.pools.push_idle(slot, &mut self.instances);
            let key = self.memory.file_idle(slot, f, now);
            self.instances[slot as usize].evict_key = key;
        }
        self.arm_timer(slot);
    }

    fn new_req(&mut self, req: Req) -> u32 {
        match self.free_reqs.pop() {
            Some(i) => {
                let generation = self.reqs[i as usize].generation;
                self.reqs[i as usize] = Req { generation, ..req };
                i
            }
            None => {
                let i = u32::try_from(self.reqs.len())
                    .ok()
                    .filter(|&s| s != NIL)
                    .expect("fewer than 2^32 - 1 simultaneous requests");
                self.reqs.push(req);
                i
            }
        }
    }

    /// Links request `r` into instance `slot`'s list.
    fn attach(&mut self, slot: u32, r: u32) {
        let head = self.instances[slot as usize].head;
        {
            let q = &mut self.reqs[r as usize];
            q.slot = slot;
            q.prev = NIL;
            q.next = head;
        }
        if head != NIL {
            self.reqs[head as usize].prev = r;
        }
        let inst = &mut self.instances[slot as usize];
        inst.head = r;
        inst.active += 1;
    }

    /// Unlinks request `r` from its instance and frees its slot.
    fn detach(&mut self, r: u32) {
        let (slot, prev, next) = {
            let q = &self.reqs[r as usize];
            (q.slot, q.prev, q.next)
        };
        if prev != NIL {
            self.reqs[prev as usize].next = next;
        } else {
            self.instances[slot as usize].head = next;
        }
        if next != NIL {
            self.reqs[next as usize].prev = prev;
        }
        self.instances[slot as usize].active -= 1;
        let q = &mut self.reqs[r as usize];
        q.generation = q.generation.wrapping_add(1);
        self.free_reqs.push(r);
    }

    /// Serves a request (user, ping or an attempt of asynchronous event `event`) arriving
    /// at `now`.
    fn serve(&mut self, now: SimTime, f: usize, inc: Incoming) -> Result<()> {
        // Requests already waiting for capacity go first.
        if !inc.ping && self.pending.has_waiting(f) {
            self.enqueue(now, f, inc);
            return self.drain_pending(now, f);
        }
        match self.place(now, f) {
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

    /// Finds the instance for a request of `f`: one with a free slot, or a new one.
    fn place(&mut self, now: SimTime, f: usize) -> std::result::Result<(u32, bool), Refusal> {
        if let Some(slot) = self.pools.route(f, &mut self.instances) {
            // An idle instance leaves the eviction order too.
            if let Some(key) = self.instances[slot as usize].evict_key.take() {
                self.memory.unfile(key, slot);
            }
            return Ok((slot, false));
        }
        self.limits.may_start(now, f)?;
        let slot = self
            .spawn(now, f, false, SimTime::ZERO, false)
            .ok_or(Refusal::Memory)?;
        self.limits.take_scale_out_token(f);
        Ok((slot, true))
    }

    /// Puts request `inc` on instance `slot` (`started_instance`: it just started it).
    fn admit(
        &mut self,
        now: SimTime,
        f: usize,
        inc: Incoming,
        slot: u32,
        started_instance: bool,
    ) -> Result<()> {
        let Incoming {
            id,
            arrival,
            exec,
            ping,
            measured,
            event,
            parent,
        } = inc;
        let hot = self.funcs[f].hot;
        let has_pc = hot.has_pc;
        let (state, provisioned) = {
            let i = &self.instances[slot as usize];
            (i.state, i.provisioned)
        };
        let cold = state == State::Provisioning;
        if state == State::Idle {
            self.meter
                .shift(now, f, Some(State::Idle), Some(State::Busy));
            if provisioned {
                self.meter.gauge(now, f, |m| &mut m.provisioned.busy, 1);
            } else {
                self.limits.in_flight(f, false, 1);
            }
            let inst = &mut self.instances[slot as usize];
            inst.state = State::Busy;
            // A fresh busy period: the service clock restarts.
            inst.cpu.restart(now);
        }
        if !ping {
            self.meter.gauge(now, f, |m| &mut m.executions, 1);
        }
        self.funcs[f].requests_in_flight += 1;
        if measured {
            let total = self.instances[slot as usize].phases.total();
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
        let r = self.new_req(Req {
            generation: 0,
            slot,
            id,
            arrival,
            exec_start: now,
            cold,
            ping,
            started_instance,
            measured,
            ending: Ending::Ok,
            event,
            cpu: RequestCpu::default(),
            exec,
            parent,
            pending: 0,
            waiting: false,
            issuing: false,
            child_failed: false,
            conn: false,
            conn_wait: false,
            prev: NIL,
            next: NIL,
        });
        self.attach(slot, r);
        if hot.cap > 1 {
            self.pools.open_update(slot, &mut self.instances);
        }
        if !cold {
            self.start_exec(now, r)?;
        }
        Ok(())
    }

    /// Queues `inc` for function `f` until capacity frees or its time runs out.
    fn enqueue(&mut self, now: SimTime, f: usize, inc: Incoming) {
        if inc.measured {
            self.meter.metrics(f).queued += 1;
        }
        let (expires, entry) = self.pending.push(now, f, inc);
        self.queue.schedule(
            expires,
            Event::PendingExpire {
                func: f as u32,
                entry,
            },
        );
        self.arm_poll(now, f);
    }

    fn arm_poll(&mut self, now: SimTime, f: usize) {
        if self.pending.arm_poll(f) {
            self.queue
                .schedule(now + POLL, Event::PendingPoll { func: f as u32 });
        }
    }

    /// Places waiting requests of `f`, oldest first, while there is capacity.
    fn drain_pending(&mut self, now: SimTime, f: usize) -> Result<()> {
        while let Some(inc) = self.pending.front(f) {
            let Ok((slot, started)) = self.place(now, f) else {
                return Ok(());
            };
            self.pending.pop_front(f);
            if inc.measured {
                self.meter.metrics(f).pending_wait.record(now - inc.arrival);
            }
            self.admit(now, f, inc, slot, started)?;
        }
        Ok(())
    }

    fn on_pending_poll(&mut self, now: SimTime, f: usize) -> Result<()> {
        self.pending.poll_fired(f);
        self.drain_pending(now, f)?;
        self.arm_poll(now, f);
        Ok(())
    }

    /// Entry `entry` (low 32 bits of its index) of `f` waited as long as it may.
    fn on_pending_expire(&mut self, now: SimTime, f: usize, entry: u32) -> Result<()> {
        match self.pending.expire(f, entry) {
            Some(inc) => self.throttle(now, f, inc, Refusal::PendingTimeout),
            None => Ok(()), // Already placed.
        }
    }

    /// Records a refused request; an asynchronous one is scheduled for a retry.
    fn throttle(&mut self, now: SimTime, f: usize, inc: Incoming, refusal: Refusal) -> Result<()> {
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
                function: &self.scenario.functions[f].name,
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
    fn settle(
        &mut self,
        (event, e): (u32, AsyncEvent),
        settled: Settled,
        retried: fn(&mut AsyncCounts) -> &mut u64,
    ) {
        let m = &mut self.meter.metrics(e.func as usize).events;
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
    fn start_exec(&mut self, now: SimTime, r: u32) -> Result<()> {
        let q = &mut self.reqs[r as usize];
        q.exec_start = now;
        let f = self.instances[q.slot as usize].func as usize;
        if let Some(d) = self.funcs[f].hot.database
            && !self.connect(now, r, d)?
        {
            return Ok(()); // Waiting for a connection, or already failed.
        }
        self.begin_work(now, r);
        Ok(())
    }

    /// Gets request `r` a connection to database `d` if it needs one. False when it has to
    /// wait (it resumes when handed one) or has failed.
    fn connect(&mut self, now: SimTime, r: u32, d: usize) -> Result<bool> {
        let q = self.reqs[r as usize];
        let proxied = self.dbs.proxied(d);
        if !proxied && self.instances[q.slot as usize].conn {
            return Ok(true); // The instance opened one earlier and still holds it.
        }
        let f = self.instances[q.slot as usize].func as usize;
        let timeout_at = self.funcs[f]
            .hot
            .timeout
            .map(|t| q.exec_start.saturating_add(t));
        match self
            .dbs
            .acquire(now, d, (r, q.generation), q.measured, timeout_at)
        {
            Acquire::Granted => {
                self.hold_connection(r, proxied);
                Ok(true)
            }
            Acquire::Fail => {
                self.end_request(now, r, Ending::Error)?;
                Ok(false)
            }
            Acquire::Wait(until) => {
                self.reqs[r as usize].conn_wait = true;
                if let Some(at) = until {
                    let generation = q.generation;
                    self.queue
                        .schedule(at, Event::ConnectionTimeout { req: r, generation });
                }
                Ok(false)
            }
        }
    }

    /// Request `r` (behind a proxy) or its instance (without one) holds a connection.
    fn hold_connection(&mut self, r: u32, proxied: bool) {
        let q = &mut self.reqs[r as usize];
        if proxied {
            q.conn = true;
        } else {
            self.instances[q.slot as usize].conn = true;
        }
    }

    /// A connection to `d` was closed or returned: the oldest waiter gets it and resumes.
    fn release_connection(&mut self, now: SimTime, d: usize) {
        let reqs = &self.reqs;
        let next = self.dbs.release(now, d, |r, generation| {
            let q = &reqs[r as usize];
            (q.generation == generation && q.conn_wait).then_some((q.exec_start, q.measured))
        });
        if let Some(r) = next {
            self.hold_connection(r, self.dbs.proxied(d));
            // Resume: its execution began when it started waiting.
            self.start_exec_after_wait(now, r);
        }
    }

    /// Request `r` waited for a connection as long as it may: it fails (or times out, if
    /// the function's timeout is what ran out).
    fn on_connection_timeout(&mut self, now: SimTime, r: u32) -> Result<()> {
        let q = &mut self.reqs[r as usize];
        if !q.conn_wait {
            return Ok(()); // It got a connection in time.
        }
        q.conn_wait = false;
        let (slot, exec_start, measured) = (q.slot, q.exec_start, q.measured);
        let hot = self.funcs[self.instances[slot as usize].func as usize].hot;
        if let Some(d) = hot.database {
            self.dbs.gave_up(d, measured);
        }
        let timed_out = hot
            .timeout
            .is_some_and(|t| now >= exec_start.saturating_add(t));
        let ending = if timed_out {
            Ending::Timeout
        } else {
            Ending::Error
        };
        self.end_request(now, r, ending)
    }

    /// Resumes request `r`, which was handed the connection it waited for.
    fn start_exec_after_wait(&mut self, now: SimTime, r: u32) {
        self.reqs[r as usize].conn_wait = false;
        self.begin_work(now, r);
    }

    /// Samples request `r`'s work and schedules its end.
    fn begin_work(&mut self, now: SimTime, r: u32) {
        let (slot, ping, exec_start, generation, recorded) = {
            let q = &self.reqs[r as usize];
            (q.slot, q.ping, q.exec_start, q.generation, q.exec)
        };
        let f = self.instances[slot as usize].func as usize;
        let hot = self.funcs[f].hot;
        let mut work = if recorded == SimTime::MAX {
            self.execution.sample_exec(f, ping)
        } else {
            recorded
        };
        if let Some(d) = hot.database {
            work = work + self.dbs.proxy_overhead(d);
        }
        let failed = self.execution.fails(f, ping);
        let timeout = if ping { None } else { hot.timeout };
        // The timeout runs from the start of execution, including any wait for a
        // connection.
        let deadline = timeout.map(|t| exec_start.saturating_add(t).max(now));
        let mut ending = if failed { Ending::Error } else { Ending::Ok };
        if self.cpu.shares(f) {
            // The CPU-bound part runs first, sharing the vCPUs; the rest (waiting on I/O)
            // then runs in real time.
            let (cpu, io) = self.cpu.split(f, work);
            if let Some(at) = deadline {
                self.queue
                    .schedule(at, Event::Timeout { req: r, generation });
            }
            self.shared_advance(now, slot);
            let share = self.instances[slot as usize].cpu.join(cpu);
            let q = &mut self.reqs[r as usize];
            q.ending = ending;
            q.cpu = RequestCpu { io, ..share };
            self.shared_reschedule(now, slot);
            return;
        }
        let end = match deadline {
            Some(at) if now + work > at => {
                ending = Ending::Timeout;
                at
            }
            _ => now + work,
        };
        self.reqs[r as usize].ending = ending;
        self.queue
            .schedule(end, Event::ExecDone { req: r, generation });
    }

    /// CPU sharing: brings the instance's service clock up to `now`.
    #[inline]
    fn shared_advance(&mut self, now: SimTime, slot: u32) {
        let f = self.instances[slot as usize].func as usize;
        let vcpus = self.cpu.vcpus(f);
        self.instances[slot as usize].cpu.advance(now, vcpus);
    }

    /// The requests on instance `slot` with their CPU shares, newest first.
    fn cpu_shares(&self, slot: u32) -> impl Iterator<Item = (u32, RequestCpu)> + '_ {
        let mut r = self.instances[slot as usize].head;
        std::iter::from_fn(move || {
            if r == NIL {
                return None;
            }
            let q = &self.reqs[r as usize];
            let item = (r, q.cpu);
            r = q.next;
            Some(item)
        })
    }

    /// CPU sharing: schedules the instance's next finish (the smallest finish mark).
    fn shared_reschedule(&mut self, now: SimTime, slot: u32) {
        let f = self.instances[slot as usize].func as usize;
        let vcpus = self.cpu.vcpus(f);
        let next = self
            .cpu_shares(slot)
            .filter(|(_, c)| c.running)
            .fold(f64::INFINITY, |m, (_, c)| m.min(c.mark));
        let inst = &mut self.instances[slot as usize];
        if let Some(at) = inst.cpu.reschedule(now, vcpus, next) {
            let (generation, epoch) = (inst.generation, inst.cpu.epoch());
            self.queue.schedule(
                at,
                Event::SharedDone {
                    slot,
                    generation,
                    epoch,
                },
            );
        }
    }

    /// CPU sharing: ends the requests whose finish mark the service clock has reached.
    fn on_shared_done(&mut self, now: SimTime, slot: u32) -> Result<()> {
        self.shared_advance(now, slot);
        let clock = self.instances[slot as usize].cpu.clock();
        let mut done = std::mem::take(&mut self.finished);
        cpu::finished(clock, self.cpu_shares(slot), &mut done);
        for &r in &done {
            let q = &mut self.reqs[r as usize];
            if q.cpu.io > SimTime::ZERO {
                // CPU part done: off the CPU for the I/O-bound rest.
                q.cpu.running = false;
                let (io, generation) = (q.cpu.io, q.generation);
                self.instances[slot as usize].cpu.leave();
                self.queue
                    .schedule(now + io, Event::ExecDone { req: r, generation });
                continue;
            }
            let ending = q.ending;
            self.work_done(now, r, ending)?;
        }
        self.finished = done;
        if self.instances[slot as usize].state == State::Busy {
            self.shared_reschedule(now, slot);
        }
        Ok(())
    }

    fn on_arrival(&mut self, now: SimTime, f: usize) -> Result<()> {
        // This arrival's recorded execution time, read before the source moves on.
        let exec = std::mem::replace(&mut self.funcs[f].next_exec, SimTime::MAX);
        // Keep exactly one pending arrival per source.
        if let Some(t) = self.funcs[f].source.next_arrival()?
            && t < self.scenario.duration
        {
            self.queue.schedule(t, Event::Arrival { func: f as u32 });
            let fs = &mut self.funcs[f];
            fs.next_exec = fs.source.last_duration().unwrap_or(SimTime::MAX);
        }
        let id = self.next_request;
        self.next_request += 1;
        let measured = now >= self.scenario.warmup;
        if measured {
            self.meter.metrics(f).invocations += 1;
        }
        self.note_invocation(now, f);
        let event = if self.scenario.functions[f].invocation == Invocation::Async {
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
        self.serve(now, f, inc)
    }

    /// Accepts an asynchronous event for function `f`.
    fn new_event(&mut self, now: SimTime, f: usize, measured: bool) -> u32 {
        if measured {
            self.meter.metrics(f).events.events += 1;
        }
        self.retries.accept(now, f, measured)
    }

    fn on_retry(&mut self, now: SimTime, event: u32) -> Result<()> {
        let e = self.retries.get(event);
        let f = e.func as usize;
        let id = self.next_request;
        self.next_request += 1;
        // An event's attempts count where the event does (by its arrival), so its
        // counters stay together.
        if e.measured {
            self.meter.metrics(f).invocations += 1;
        }
        self.note_invocation(now, f);
        let inc = Incoming {
            id,
            arrival: now,
            exec: SimTime::MAX,
            ping: false,
            measured: e.measured,
            event,
            parent: Parent::None,
        };
        self.serve(now, f, inc)
    }

    /// Feeds the hybrid keep-alive histogram and the greedy-dual frequency.
    #[inline]
    fn note_invocation(&mut self, now: SimTime, f: usize) {
        let fs = &mut self.funcs[f];
        self.memory.note_invocation(f);
        if fs.keep_alive.learns()
            && fs.requests_in_flight == 0
            && let Some(since) = fs.last_idle_start
        {
            fs.keep_alive.on_idle_time(now, now - since);
        }
    }

    fn on_cold_start_done(&mut self, now: SimTime, slot: u32) -> Result<()> {
        let (f, active, provisioned) = {
            let i = &self.instances[slot as usize];
            debug_assert_eq!(i.state, State::Provisioning);
            (i.func as usize, i.active, i.provisioned)
        };
        if provisioned {
            self.meter.gauge(now, f, |m| &mut m.provisioned.ready, 1);
        }
        if active == 0 {
            // A provisioned, pre-warmed or autoscaled instance, ready and waiting.
            self.meter
                .shift(now, f, Some(State::Provisioning), Some(State::Idle));
            if !provisioned {
                self.limits.in_flight(f, false, -1);
                if self.instances[slot as usize].expires_at == SimTime::MAX {
                    // Started by the autoscaler: idle under the keep-alive policy.
                    let until = match self.funcs[f].keep_alive.decide(now) {
                        Decision::KeepUntil(until) => until,
                        _ => now,
                    };
                    self.instances[slot as usize].expires_at = until;
                }
            }
            self.make_idle(now, slot);
            return Ok(());
        }
        self.meter
            .shift(now, f, Some(State::Provisioning), Some(State::Busy));
        if provisioned {
            self.meter.gauge(now, f, |m| &mut m.provisioned.busy, 1);
        }
        let inst = &mut self.instances[slot as usize];
        inst.state = State::Busy;
        inst.cpu.restart(now);
        self.pools.open_update(slot, &mut self.instances);
        // Start the waiting requests, oldest first (the list is newest first).
        let mut r = self.instances[slot as usize].head;
        while self.reqs[r as usize].next != NIL {
            r = self.reqs[r as usize].next;
        }
        // Walk back from the oldest. Starting a request may end it at once (no database
        // connection), which unlinks only that request, so its `prev` is read first.
        while r != NIL {
            let prev = self.reqs[r as usize].prev;
            self.start_exec(now, r)?;
            r = prev;
        }
        Ok(())
    }

    /// Ends request `r` at `now` with `ending`.
    fn end_request(&mut self, now: SimTime, r: u32, ending: Ending) -> Result<()> {
        let q = self.reqs[r as usize];
        let slot = q.slot;
        let (f, provisioned, phases, serial) = {
            let i = &self.instances[slot as usize];
            debug_assert_eq!(i.state, State::Busy);
            (i.func as usize, i.provisioned, i.phases, i.serial)
        };
        let func = &self.scenario.functions[f];
        if q.measured {
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
            } else {
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
        }
        if let Some(log) = self.log.as_mut() {
            log.record(&RequestRecord {
                request: q.id,
                function: &func.name,
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
                self.instances[slot as usize].cpu.leave();
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
            self.instances[slot as usize].reset = true;
        }
        if self.instances[slot as usize].active > 0 {
            if sharing {
                self.shared_reschedule(now, slot);
            }
            if hot.cap > 1 {
                self.pools.open_update(slot, &mut self.instances);
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

    /// Tells whoever waits for a request how it ended (`ok`: successfully).
    fn answer(&mut self, now: SimTime, parent: Parent, ok: bool) -> Result<()> {
        match parent {
            Parent::None => Ok(()),
            Parent::Caller { req, generation } => self.answer_caller(now, req, generation, ok),
            Parent::Source(p) => self.answer_source(now, p, ok),
        }
    }

    /// Request `r`'s own work is done: it makes its calls, and ends unless it must wait
    /// for synchronous ones.
    fn work_done(&mut self, now: SimTime, r: u32, ending: Ending) -> Result<()> {
        let q = &self.reqs[r as usize];
        let f = self.instances[q.slot as usize].func as usize;
        if ending != Ending::Ok || q.ping || !self.funcs[f].hot.calls {
            return self.end_request(now, r, ending);
        }
        let (measured, generation, slot) = (q.measured, q.generation, q.slot);
        self.reqs[r as usize].issuing = true;
        for c in 0..self.scenario.functions[f].calls.len() {
            let call = self.scenario.functions[f].calls[c];
            for _ in 0..call.count {
                if call.probability < 1.0
                    && self.funcs[f].call_rng.random::<f64>() >= call.probability
                {
                    continue;
                }
                let id = self.next_request;
                self.next_request += 1;
                let g = call.target;
                if measured {
                    self.meter.metrics(g).invocations += 1;
                }
                self.note_invocation(now, g);
                let (event, parent) = match call.mode {
                    CallMode::Sync => {
                        self.reqs[r as usize].pending += 1;
                        (NIL, Parent::Caller { req: r, generation })
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
        let q = &mut self.reqs[r as usize];
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
            if self.reqs[r as usize].cpu.running {
                self.shared_advance(now, slot);
                self.instances[slot as usize].cpu.leave();
                self.reqs[r as usize].cpu.running = false;
                self.shared_reschedule(now, slot);
            }
        } else if let Some(t) = hot.timeout {
            // The timeout covers the wait too (on the shared CPU its event is already
            // pending: `begin_work`).
            let at = exec_start.saturating_add(t);
            if at > now {
                self.queue
                    .schedule(at, Event::Timeout { req: r, generation });
            } else {
                return self.end_request(now, r, Ending::Timeout);
            }
        }
        Ok(())
    }

    /// A synchronous callee of request `r` answered (`ok`: successfully).
    fn answer_caller(&mut self, now: SimTime, r: u32, generation: u32, ok: bool) -> Result<()> {
        let q = &mut self.reqs[r as usize];
        if q.generation != generation {
            return Ok(()); // The caller already ended (timeout).
        }
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
    fn settle_event(&mut self, now: SimTime, event: u32, attempt: SimTime, ending: Ending) {
        let e = self.retries.get(event);
        let settled = self.retries.ended(now, event, ending == Ending::Ok);
        if settled == Settled::Succeeded && e.measured {
            let m = &mut self.meter.metrics(e.func as usize).events;
            m.queue_delay.record(attempt - e.born);
            m.end_to_end.record(now - e.born);
        }
        self.settle((event, e), settled, |m| &mut m.error_retries);
    }

    /// The instance's last request ended: it goes back to its pool, or away.
    fn instance_emptied(&mut self, now: SimTime, slot: u32) {
        self.pools.open_remove(slot, &mut self.instances);
        let (f, provisioned, retire, reset) = {
            let i = &self.instances[slot as usize];
            (i.func as usize, i.provisioned, i.retire_at <= now, i.reset)
        };
        if retire || reset {
            let cause = if reset { Cause::Reset } else { Cause::Lifetime };
            self.free(now, slot, cause);
            if provisioned {
                // Recycled: the platform initialises a replacement in the background.
                self.spawn(now, f, true, SimTime::ZERO, false);
            }
            return;
        }
        if provisioned {
            self.meter.gauge(now, f, |m| &mut m.provisioned.busy, -1);
            self.meter
                .shift(now, f, Some(State::Busy), Some(State::Idle));
            self.make_idle(now, slot);
            return;
        }
        let decision = self.funcs[f].keep_alive.decide(now);
        match decision {
            Decision::KeepUntil(until) => {
                self.meter
                    .shift(now, f, Some(State::Busy), Some(State::Idle));
                self.limits.in_flight(f, false, -1);
                self.instances[slot as usize].expires_at = until;
                self.make_idle(now, slot);
            }
            Decision::EvictNow => self.free(now, slot, Cause::Expiry),
            Decision::EvictAndPrewarm { prewarm_at, until } => {
                self.free(now, slot, Cause::Expiry);
                self.funcs[f].prewarm_until = until;
                self.queue
                    .schedule(prewarm_at, Event::Prewarm { func: f as u32 });
            }
        }
    }

    fn on_timer(&mut self, now: SimTime, slot: u32, generation: u32) {
        let inst = &mut self.instances[slot as usize];
        if inst.generation != generation
            || inst.state == State::Free
            || !inst.timer_armed
            || inst.timer_at != now
        {
            return; // Stale: recycled slot, or superseded by a sooner timer.
        }
        inst.timer_armed = false;
        if inst.state != State::Idle {
            if now >= inst.retire_at && !inst.draining {
                // Past its lifetime while in use: no new requests; recycled once empty.
                inst.draining = true;
                self.pools.open_remove(slot, &mut self.instances);
            }
            return;
        }
        if now >= inst.retire_at {
            let (f, provisioned) = (inst.func as usize, inst.provisioned);
            self.free(now, slot, Cause::Lifetime);
            if provisioned {
                self.spawn(now, f, true, SimTime::ZERO, false);
            }
        } else if now >= inst.expires_at {
            self.free(now, slot, Cause::Expiry);
        } else {
            self.arm_timer(slot);
        }
    }

    fn on_prewarm(&mut self, now: SimTime, f: usize) {
        let until = self.funcs[f].prewarm_until;
        if now >= until || self.pools.has_idle(f) || !self.limits.has_headroom(f) {
            return; // Already warm, or no room: the next request will cold-start.
        }
        if let Some(slot) = self.spawn(now, f, false, SimTime::ZERO, false) {
            self.instances[slot as usize].expires_at = until;
        }
    }

    /// Sets function `f`'s provisioned count to `n`. New instances wait `delay` (None:
    /// the platform's allocation delay) plus a cold start; at time 0 they are ready at once.
    fn set_provisioned(&mut self, now: SimTime, f: usize, n: u32, delay: Option<SimTime>) {
        let current = self.limits.pc_allocated(f);
        let instant = now == SimTime::ZERO;
        let delay = delay.unwrap_or(self.scenario.platform.pc_allocation_delay);
        if n > current {
            self.meter.metrics(f).provisioned.scale_outs += u64::from(!instant);
            for _ in current..n {
                if !self.limits.has_headroom(f)
                    || self.spawn(now, f, true, delay, instant).is_none()
                {
                    break; // Limits or memory: allocate what fits.
                }
            }
        } else if n < current {
            self.meter.metrics(f).provisioned.scale_ins += 1;
            let mut excess = current - n;
            // Release initialising instances first, then idle ones, then busy ones (which
            // finish their requests as on-demand instances).
            for wanted in [State::Provisioning, State::Idle, State::Busy] {
                let slots: Vec<u32> = (0..self.instances.len() as u32)
                    .filter(|&s| {
                        let i = &self.instances[s as usize];
                        i.func as usize == f && i.provisioned && i.state == wanted
                    })
                    .collect();
                for slot in slots {
                    if excess == 0 {
                        return;
                    }
                    excess -= 1;
                    let inst = &self.instances[slot as usize];
                    if wanted == State::Busy || inst.active > 0 {
                        let busy = inst.state == State::Busy;
                        self.instances[slot as usize].provisioned = false;
                        self.limits.in_flight(f, true, -1);
                        self.limits.in_flight(f, false, 1);
                        self.meter
                            .gauge(now, f, |m| &mut m.provisioned.allocated, -1);
                        if busy {
                            self.meter.gauge(now, f, |m| &mut m.provisioned.ready, -1);
                            self.meter.gauge(now, f, |m| &mut m.provisioned.busy, -1);
                        }
                        self.pools.open_update(slot, &mut self.instances);
                    } else {
                        self.free(now, slot, Cause::Released);
                    }
                }
            }
        }
    }

    /// Wakes function `f`'s provisioned schedule at `at` for `step` of `period`, if that
    /// is within the run.
    fn schedule_step(&mut self, f: usize, at: SimTime, step: usize, period: u32) {
        if at < self.scenario.duration {
            self.queue.schedule(
                at,
                Event::ScheduleStep {
                    func: f as u32,
                    step: step as u32,
                    period,
                },
            );
        }
    }

    fn on_schedule_step(&mut self, now: SimTime, f: usize, step: usize, period: u32) {
        let Some(state) = &self.funcs[f].provisioned else {
            return;
        };
        let (change, next) = (state.step_change(step), state.next_step(step + 1, period));
        if let Some(c) = change {
            self.set_provisioned(now, f, c.count, c.delay);
        }
        if let Some((at, step, period)) = next {
            self.schedule_step(f, at, step, period);
        }
    }

    /// A periodic provisioned-concurrency evaluation (target tracking, custom policies).
    fn on_provisioned_tick(&mut self, now: SimTime, f: usize) {
        let busy_area = self.meter.gauge_area(now, f, |m| &mut m.provisioned.busy);
        let ready_area = self.meter.gauge_area(now, f, |m| &mut m.provisioned.ready);
        let allocated = self.limits.pc_allocated(f);
        let Some(state) = self.funcs[f].provisioned.as_mut() else {
            return;
        };
        let Some(interval) = state.interval() else {
            return;
        };
        if let Some(c) = state.evaluate(now, busy_area, ready_area, allocated) {
            self.set_provisioned(now, f, c.count, c.delay);
        }
        let next = now + interval;
        if next < self.scenario.duration {
            self.queue
                .schedule(next, Event::ProvisionedTick { func: f as u32 });
        }
    }

    /// An autoscaler evaluation of `f`: starts the instances it is short of, within the
    /// limits.
    fn on_autoscale(&mut self, now: SimTime, f: usize) {
        let area = self.meter.gauge_area(now, f, |m| &mut m.executions);
        let cap = self.funcs[f].hot.cap;
        let Some(a) = self.autoscale.as_mut() else {
            return;
        };
        let (desired, interval) = (a.desired(f, area, cap), a.interval());
        let o = self.meter.occupancy(f);
        let current = o.provisioning + o.busy + o.idle;
        for _ in current..desired {
            if !self.limits.has_headroom(f)
                || self.spawn(now, f, false, SimTime::ZERO, false).is_none()
            {
                break;
            }
        }
        let next = now + interval;
        if next < self.scenario.duration {
            self.queue
                .schedule(next, Event::Autoscale { func: f as u32 });
        }
    }

    fn on_warmers(&mut self, now: SimTime, f: usize) -> Result<()> {
        let Some(w) = &self.scenario.functions[f].warmers else {
            return Ok(());
        };
        let (every, k) = (w.every, w.concurrency);
        let next = now + every;
        if next < self.scenario.duration {
            self.queue.schedule(next, Event::Warmers { func: f as u32 });
        }
        let measured = now >= self.scenario.warmup;
        for _ in 0..k {
            let id = self.next_request;
            self.next_request += 1;
            self.note_invocation(now, f);
            let inc = Incoming {
                id,
                arrival: now,
                exec: SimTime::MAX,
                ping: true,
                measured,
                event: NIL,
                parent: Parent::None,
            };
            self.serve(now, f, inc)?;
        }
        Ok(())
    }

    fn finish(self, events: u64) -> RunOutput {
        let provisioned_final = (0..self.funcs.len())
            .map(|f| self.limits.pc_allocated(f))
            .collect();
        let databases = self.dbs.finish();
        let measured = self.meter.finish();
        RunOutput {
            functions: measured.metrics,
            occupancy: measured.occupancy,
            total_occupancy: measured.total,
            provisioned_final,
            databases,
            sources: self.sources.finish(),
            events,
        }
    }
}
