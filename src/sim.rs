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
//! # Layout
//! This file holds the model's state, its setup, the event dispatch and the end of a run.
//! The orchestrator is `path.rs` (the request path above), `lifecycle.rs` (an instance's
//! life, provisioned changes, pre-warm, autoscaler, warmers) and `waits.rs` (waiting for
//! capacity, a connection or the shared CPU). Each rule lives in a component that owns its
//! state and returns values: `pool.rs` (idle and open sets, routing), `limits.rs`
//! (concurrency, scale-out, memory and eviction), `execution.rs` (sampled times and
//! errors), `cpu.rs` (processor sharing), `connections.rs`, `pending.rs`, `retries.rs`,
//! `autoscale.rs` and `meter.rs` (what a run measures), and for event sources `queues.rs`,
//! `streams.rs` and `workflow.rs`, whose invocations `sources.rs` serves.
//! `docs/design.md` has the whole picture.
//!
//! # Timers
//! Each instance has at most one pending timer, at `min(keep-alive deadline, lifetime
//! end)`; it is re-armed lazily when it fires early, so the heap holds O(instances) events
//! rather than one stale timer per request. A timer is honoured only if its instance key
//! is still current and it is the instance's latest timer.
//!
//! # Measurement
//! Arrivals are generated in `[0, duration)`. Requests arriving before `warmup` are
//! simulated but not counted; instance counts are time-averaged over `[warmup, duration]`.
//! After the last arrival, requests in flight (and asynchronous retries) run to
//! completion.
//!
//! # Records
//! A [`RequestLog`] gets every request when it ends; one that asks
//! ([`RequestLog::wants_lifecycle`]) also gets every arrival (where a request is served)
//! and every change in an instance's life (where its state changes: `spawn`, `free`,
//! `make_idle`, a cold start's end, an idle instance taking a request, a lifetime running
//! out while busy, a provisioned release). All come at the simulated time they describe,
//! so the log sees them in time order; a run whose log does not ask pays one untaken
//! branch at each of those places.

mod autoscale;
mod connections;
mod cpu;
mod demand;
mod execution;
mod express;
mod idle;
mod independent;
mod instance;
mod lifecycle;
mod limits;
mod merged;
mod meter;
mod path;
mod pc_billing;
mod pending;
mod pool;
mod queues;
mod record;
mod request;
mod retries;
mod scale_out;
mod source_events;
mod sources;
mod streams;
mod waits;
mod workflow;

use crate::engine::{Engine, EventQueue, Key, Model, Slab};
use crate::error::Result;
use crate::model::{Call, Function, FunctionId, Invocation, PerFunction, Scenario};
use crate::policy::eviction::EvictionOrder;
use crate::policy::keep_alive::KeepAliveState;
use crate::policy::provisioned::ProvisionedState;
use crate::rng::{self, SimRng, Stream};
use crate::time::SimTime;
use crate::workload::ArrivalSource;
use autoscale::Autoscale;
use connections::Databases;
use cpu::Cpu;
use demand::Demand;
use execution::{Streams, Timing};
pub use independent::{APART_FROM_FUNCTIONS, coupling};
pub use instance::ColdStartPhases;
use instance::{Instance, State};
use limits::{Limits, Memory};
use meter::Meter;
use pc_billing::PcBilling;
use pending::Pending;
use pool::{Pool, PoolRules};
pub use record::{
    ArrivalRecord, EvictionCause, InstanceChange, InstanceCounts, InstanceRecord, InstanceState,
    Outcome, RequestLog, RequestRecord, RunOptions, RunOutput, Snapshot, StartCause, Status,
    ThrottleCause,
};
use request::{Ending, Incoming, Parent, Req};
use retries::Retries;
use source_events::SourceEvent;
pub use source_events::{BatchRecord, SourceKind};
use sources::Sources;

/// "No instance / request / event" in links and indices.
const NIL: u32 = u32::MAX;

/// How often (in events) the progress callback is called.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Names an instance while it lives (stale once it goes away).
type InstanceKey = Key<Instance>;
/// Names a request while it is served.
type RequestKey = Key<Req>;

/// Something that happened at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// The next request of function `func` arrives.
    Arrival { func: FunctionId },
    /// The instance finished its cold start.
    ColdStartDone { instance: InstanceKey },
    /// Request `req` finished executing (or hit its timeout).
    ExecDone { req: RequestKey },
    /// CPU sharing: the next request on the instance finishes (if `epoch` is still the
    /// instance's latest).
    SharedDone { instance: InstanceKey, epoch: u32 },
    /// CPU sharing: request `req` reached its timeout.
    Timeout { req: RequestKey },
    /// Request `req` has waited for a database connection as long as it may.
    ConnectionTimeout { req: RequestKey },
    /// The instance's timer (keep-alive deadline or lifetime end).
    Timer { instance: InstanceKey },
    /// Start a pre-warmed instance of `func` (hybrid keep-alive).
    Prewarm { func: FunctionId },
    /// Step `step` of `func`'s provisioned schedule, in period `period`.
    ScheduleStep {
        func: FunctionId,
        step: u32,
        period: u32,
    },
    /// Periodic provisioned-concurrency evaluation of `func` (target tracking, custom).
    ProvisionedTick { func: FunctionId },
    /// A round of warm-up pings for `func`.
    Warmers { func: FunctionId },
    /// Retry of asynchronous event `event`.
    Retry { event: u32 },
    /// Pending-queue entry `entry` of `func` waited as long as it may.
    PendingExpire { func: FunctionId, entry: u32 },
    /// Try again to place `func`'s pending requests.
    PendingPoll { func: FunctionId },
    /// Autoscaler evaluation of `func`.
    Autoscale { func: FunctionId },
    /// A queue, stream or workflow event (`sim/sources.rs`).
    Source(SourceEvent),
}

/// One function during a run: its arrivals, the per-function parts of the components
/// (kept together for locality with many functions), and its policies' state.
struct FunctionState {
    /// Its arrivals (generated lazily).
    source: ArrivalSource,
    /// Execution times, cold starts and function errors (`execution.rs`).
    timing: Timing,
    /// Instances that can take a request, and routing (`pool.rs`).
    pool: Pool,
    /// The calls each request makes when its own work is done.
    calls: Box<[Call]>,
    /// Draws whether a call with a probability below 1 is made.
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
    provisioned: Option<Box<ProvisionedState>>,
    /// The function's settings the per-request path reads, kept beside its state.
    hot: Hot,
    /// Execution time a trace recorded for the pending arrival (MAX: none).
    next_exec: SimTime,
}

/// A function's settings read on every request, copied from the scenario so the hot path
/// touches one cache-resident struct.
#[derive(Debug, Clone, Copy)]
struct Hot {
    /// Database index.
    database: Option<usize>,
    /// Execution timeout.
    timeout: Option<SimTime>,
    /// Invoked asynchronously (events with retries).
    asynchronous: bool,
    /// The fixed keep-alive of a plain function, whose requests may take the express lane
    /// (`express.rs`); `None` for any other.
    express: Option<SimTime>,
}

/// The platform model: the engine's `Model` (see the module docs).
struct Sim<'s, 'o> {
    /// The scenario, for setup and for names in the request log.
    scenario: &'s Scenario,
    /// Arrivals are generated in `[0, horizon)` (the scenario's `duration_s`).
    horizon: SimTime,
    /// Requests arriving before this are simulated but not counted.
    warmup: SimTime,
    queue: EventQueue<Event>,
    /// Live instances.
    instances: Slab<Instance>,
    /// Requests being served.
    reqs: Slab<Req>,
    /// Asynchronous events between attempts.
    retries: Retries,
    /// Every function's state during the run.
    funcs: PerFunction<FunctionState>,
    /// Requests waiting for capacity.
    pending: Pending,
    /// The platform's autoscaler, if it has one.
    autoscale: Option<Autoscale>,
    /// Processor sharing on instances.
    cpu: Cpu,
    /// What the run measures.
    meter: Meter,
    /// Provisioned concurrency's billing periods.
    pc_billing: PcBilling,
    /// The CPU demand of the load (fleet sizing).
    demand: Demand,
    /// Concurrency and scale-out limits.
    limits: Limits,
    /// Memory held by instances, and the eviction order.
    memory: Memory,
    /// Databases' connections.
    dbs: Databases,
    /// Scratch list of requests finishing together (CPU sharing), kept to reuse its
    /// allocation.
    finished: Vec<u32>,
    /// Request ids, in arrival order across the scenario.
    next_request: u64,
    /// Instance serial numbers, in creation order.
    next_serial: u64,
    /// Requests started on the express lane.
    express_requests: u64,
    /// The platform's billing unit.
    granularity: SimTime,
    /// The platform bills init (of the request that started an instance).
    init_billed: bool,
    log: Option<&'o mut dyn RequestLog>,
    /// Scratch counts for the log's snapshots, when it asked for them (else none).
    snapshots: Option<Vec<InstanceCounts>>,
    /// The log asked for arrivals and instance changes.
    lifecycle: bool,
    /// The log asked for snapshots or lifecycle records: something to do after each event.
    observed: bool,
    /// The first error a lifecycle hook returned, handed back after the event (the
    /// lifecycle code does not return results).
    log_error: Option<crate::Error>,
    /// Queues, streams and workflows.
    sources: Sources<'s>,
    /// The functions modelled, by their ids in the scenario, in order; function ids in
    /// the model are positions in it (all functions, unless they run apart in threads).
    members: Vec<FunctionId>,
}

/// Runs a scenario to completion.
pub fn run(scenario: &Scenario, options: RunOptions<'_>) -> Result<RunOutput> {
    let RunOptions {
        log,
        mut progress,
        interleaved,
        general_path,
        threads,
    } = options;
    if log.is_none()
        && !interleaved
        && independent::coupling(scenario).is_none()
        && let Some(output) = independent::run(scenario, &mut progress, !general_path, threads)?
    {
        return Ok(output);
    }
    let mut engine = Engine::new(Sim::new(scenario, log, !general_path)?);
    let horizon = scenario.duration.as_secs();
    engine.run(PROGRESS_EVERY, |now| {
        if let Some(p) = progress.as_mut() {
            p((now.as_secs() / horizon).min(1.0));
        }
    })?;
    let events = engine.events();
    let mut sim = engine.into_model();
    if let Some(e) = sim.log_error.take() {
        return Err(e);
    }
    Ok(sim.finish(events))
}

impl Model for Sim<'_, '_> {
    type Event = Event;
    type Error = crate::Error;

    #[inline]
    fn queue(&mut self) -> &mut EventQueue<Event> {
        &mut self.queue
    }

    #[inline]
    fn handle(&mut self, now: SimTime, event: Event) -> Result<()> {
        match event {
            Event::Arrival { func } => self.on_arrival(now, func)?,
            Event::ColdStartDone { instance } => {
                if self.current(instance) {
                    self.on_cold_start_done(now, instance.index())?;
                }
            }
            Event::ExecDone { req } => {
                if self.reqs.is_current(req) && !self.express_end(now, req.index()) {
                    let ending = self.reqs[req.index()].ending;
                    self.work_done(now, req.index(), ending)?;
                }
            }
            Event::SharedDone { instance, epoch } => {
                if self.current(instance) && self.instances[instance.index()].cpu.epoch() == epoch {
                    self.on_shared_done(now, instance.index())?;
                }
            }
            Event::Timeout { req } => {
                if self.reqs.is_current(req) {
                    self.end_request(now, req.index(), Ending::Timeout)?;
                }
            }
            Event::ConnectionTimeout { req } => {
                if self.reqs.is_current(req) {
                    self.on_connection_timeout(now, req.index())?;
                }
            }
            Event::Timer { instance } => self.on_timer(now, instance),
            Event::Prewarm { func } => self.on_prewarm(now, func),
            Event::ScheduleStep { func, step, period } => {
                self.on_schedule_step(now, func, step as usize, period)
            }
            Event::ProvisionedTick { func } => self.on_provisioned_tick(now, func),
            Event::Warmers { func } => self.on_warmers(now, func)?,
            Event::Retry { event } => self.on_retry(now, event)?,
            Event::PendingExpire { func, entry } => self.on_pending_expire(now, func, entry)?,
            Event::PendingPoll { func } => self.on_pending_poll(now, func)?,
            Event::Autoscale { func } => self.on_autoscale(now, func),
            Event::Source(e) => self.on_source_event(now, e)?,
        }
        if self.observed {
            self.after_event(now)?;
        }
        Ok(())
    }
}

impl<'s, 'o> Sim<'s, 'o> {
    /// The model of `scenario` at time 0, reporting to `log`; plain functions' requests
    /// take the express lane if `express`.
    fn new(
        scenario: &'s Scenario,
        log: Option<&'o mut dyn RequestLog>,
        express: bool,
    ) -> Result<Self> {
        Self::of_members(scenario, scenario.function_ids().collect(), log, express)
    }

    /// The model of some of `scenario`'s functions, `members` (in scenario order), at
    /// time 0: its function ids are positions in `members`, and each member draws from the
    /// random streams of its id in the scenario, so it does what it does in a model of all
    /// of them. Only for functions that share nothing (`independent.rs`) unless `members`
    /// is every function.
    fn of_members(
        scenario: &'s Scenario,
        members: Vec<FunctionId>,
        log: Option<&'o mut dyn RequestLog>,
        express: bool,
    ) -> Result<Self> {
        let everyone = members.len() == scenario.functions.len();
        debug_assert!(members.windows(2).all(|w| w[0] < w[1]));
        debug_assert!(everyone || (log.is_none() && independent::coupling(scenario).is_none()));
        let defs: Vec<&'s Function> = members.iter().map(|&g| scenario.function(g)).collect();
        let granularity = scenario
            .platform
            .pricing
            .as_ref()
            .map_or(SimTime(1), |p| SimTime::from_ms(p.billing_granularity_ms));
        let mut sim = Sim {
            scenario,
            horizon: scenario.duration,
            warmup: scenario.warmup,
            queue: EventQueue::new(),
            instances: Slab::new(),
            reqs: Slab::new(),
            retries: Retries::new(defs.iter().map(|f| f.async_retry.clone())),
            funcs: PerFunction::with_capacity(defs.len()),
            pending: Pending::new(scenario.platform.pending_timeout, defs.len()),
            autoscale: scenario.platform.autoscaler.map(|rules| {
                Autoscale::new(
                    rules,
                    defs.iter()
                        .map(|f| (f.cpu_sharing && f.cpu_fraction > 0.0).then_some(f.vcpus)),
                )
            }),
            cpu: Cpu::new(
                defs.iter()
                    .map(|f| (f.cpu_sharing, f.vcpus, f.cpu_fraction)),
            ),
            meter: Meter::new(defs.len(), scenario.warmup, scenario.duration),
            pc_billing: PcBilling::new(
                defs.len(),
                scenario
                    .platform
                    .pricing
                    .as_ref()
                    .and_then(|p| p.provisioned_increment_s)
                    .map(SimTime::from_secs),
                (scenario.warmup, scenario.duration),
            ),
            demand: Demand::new(
                defs.iter().map(|f| f.cpu_share()),
                (scenario.warmup, scenario.duration),
                scenario.cost.fleet.window,
            ),
            limits: Limits::new(
                defs.iter().map(|f| f.max_concurrency),
                // Every function's reservation shrinks the shared pool, modelled here or
                // not.
                limits::unreserved(
                    scenario.platform.account_concurrency,
                    scenario.functions.iter().map(|f| f.max_concurrency),
                ),
                &scenario.platform.scale_out,
            ),
            memory: Memory::new(
                scenario.platform.memory_capacity_mb,
                EvictionOrder::new(scenario.platform.eviction.clone(), defs.len()),
                defs.iter()
                    .map(|f| (f.mean_cold_start_ms, f.memory_mb))
                    .collect(),
            ),
            dbs: Databases::new(
                scenario.databases.iter(),
                (scenario.warmup, scenario.duration),
            ),
            finished: Vec::new(),
            next_request: 0,
            next_serial: 0,
            express_requests: 0,
            granularity,
            init_billed: scenario
                .platform
                .pricing
                .as_ref()
                .is_some_and(|p| p.init_billed),
            snapshots: log
                .as_ref()
                .is_some_and(|l| l.wants_snapshots())
                .then(|| vec![InstanceCounts::default(); defs.len()]),
            lifecycle: log.as_ref().is_some_and(|l| l.wants_lifecycle()),
            observed: false,
            log_error: None,
            log,
            sources: Sources::none(),
            members,
        };
        sim.observed = sim.snapshots.is_some() || sim.lifecycle;
        for (func, &f) in (0..defs.len()).map(FunctionId::new).zip(&defs) {
            let seed = scenario.seed;
            // Its id in the scenario: the same streams whichever functions are modelled.
            let idx = sim.members[func.index()].index() as u64;
            let mut source = match &f.workload {
                Some(w) => w.start(rng::stream(seed, idx, Stream::Arrivals))?,
                None => ArrivalSource::Empty,
            };
            let mut next_exec = SimTime::MAX;
            if let Some(t) = source.next_arrival()?
                && t < scenario.duration
            {
                sim.queue.schedule(t, Event::Arrival { func });
                next_exec = source.last_duration().unwrap_or(SimTime::MAX);
            }
            let streams = Streams {
                exec: rng::stream(seed, idx, Stream::Execution),
                cold: rng::stream(seed, idx, Stream::ColdStart),
                fail: rng::stream(seed, idx, Stream::Failure),
            };
            let pushed = sim.funcs.push(FunctionState {
                source,
                timing: Timing::new(f, streams),
                pool: Pool::new(PoolRules {
                    reuse: f.reuse,
                    routing: f.routing,
                    cap: f.per_instance_concurrency,
                    cpu_cap: f.cpu_full_at(),
                    has_pc: f.provisioned.is_some(),
                    rng: rng::stream(seed, idx, Stream::Routing),
                }),
                calls: f.calls.clone().into_boxed_slice(),
                call_rng: rng::stream(seed, idx, Stream::Calls),
                requests_in_flight: 0,
                last_idle_start: None,
                keep_alive: f.keep_alive.start(),
                prewarm_until: SimTime::ZERO,
                provisioned: f.provisioned.as_ref().map(|p| Box::new(p.start())),
                next_exec,
                hot: Hot {
                    database: f.database,
                    timeout: f.timeout,
                    asynchronous: f.invocation == Invocation::Async,
                    express: None,
                },
            });
            debug_assert_eq!(pushed, func);
        }
        for (func, &f) in (0..defs.len()).map(FunctionId::new).zip(&defs) {
            if let Some(p) = &f.provisioned {
                // Allocated before the run: ready at time 0.
                let n = p.initial();
                sim.set_provisioned(SimTime::ZERO, func, n, None);
                let state = sim.funcs[func].provisioned.as_ref().expect("started above");
                let (first, interval) = (state.first_step(), state.interval());
                if let Some((at, step, period)) = first {
                    sim.schedule_step(func, at, step, period);
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
        // Run-wide conditions of the express lane (`express.rs`).
        if express && sim.log.is_none() && sim.autoscale.is_none() && !sim.pending.enabled() {
            for (func, &f) in (0..defs.len()).map(FunctionId::new).zip(&defs) {
                let shares_cpu = sim.cpu.shares(func);
                let fs = &mut sim.funcs[func];
                fs.hot.express = express::lane_for(f, &fs.keep_alive, shares_cpu);
            }
        }
        sim.sources = Sources::start(scenario, &mut sim.queue)?;
        // Every function's first autoscaler evaluation (platforms with an autoscaler).
        if let Some(a) = &sim.autoscale
            && a.interval() < scenario.duration
        {
            let at = a.interval();
            for func in sim.funcs.ids() {
                sim.queue.schedule(at, Event::Autoscale { func });
            }
        }
        Ok(sim)
    }

    /// The definition of function `f` of the model.
    fn definition(&self, f: FunctionId) -> &'s Function {
        self.scenario.function(self.members[f.index()])
    }

    /// The pool of instance `slot`'s function, with the instances (disjoint borrows).
    #[inline]
    fn pool_of(&mut self, slot: u32) -> (&mut Pool, &mut Slab<Instance>) {
        let f = self.instances[slot].func;
        (&mut self.funcs[f].pool, &mut self.instances)
    }

    /// Files instance `slot` in its function's open set as its state calls for.
    fn pool_open_update(&mut self, slot: u32) {
        let (pool, instances) = self.pool_of(slot);
        pool.open_update(slot, instances);
    }

    /// Takes instance `slot` out of its function's open sets.
    fn pool_open_remove(&mut self, slot: u32) {
        let (pool, instances) = self.pool_of(slot);
        pool.open_remove(slot, instances);
    }

    /// Takes idle instance `slot` out of its function's idle set.
    fn pool_remove_idle(&mut self, slot: u32) {
        let (pool, instances) = self.pool_of(slot);
        pool.remove_idle(slot, instances);
    }

    /// After an event at `now`, for a log that asked for snapshots or lifecycle records:
    /// hands it the state, and returns the error a lifecycle hook met during the event.
    #[cold]
    fn after_event(&mut self, now: SimTime) -> Result<()> {
        if let Some(e) = self.log_error.take() {
            return Err(e);
        }
        self.snapshot(now)
    }

    /// Request `id` of `f` arrives at `now` (one untaken branch unless the log asked for
    /// lifecycle records).
    #[inline]
    fn note_arrival(&mut self, now: SimTime, f: FunctionId, id: u64, ping: bool, measured: bool) {
        if self.lifecycle {
            self.log_arrival(now, f, id, ping, measured);
        }
    }

    #[cold]
    #[inline(never)]
    fn log_arrival(&mut self, now: SimTime, f: FunctionId, id: u64, ping: bool, measured: bool) {
        let record = ArrivalRecord {
            request: id,
            function: &self.definition(f).name,
            function_index: f.index(),
            at: now,
            ping,
            measured,
        };
        if let Some(log) = self.log.as_mut()
            && let Err(e) = log.arrival(&record)
        {
            self.log_error.get_or_insert(e);
        }
    }

    /// Instance `slot` changes at `now`, from state `from` (one untaken branch unless the
    /// log asked for lifecycle records).
    #[inline]
    fn note_instance(
        &mut self,
        now: SimTime,
        slot: u32,
        change: InstanceChange,
        from: Option<State>,
    ) {
        if self.lifecycle {
            self.log_instance(now, slot, change, from);
        }
    }

    #[cold]
    #[inline(never)]
    fn log_instance(
        &mut self,
        now: SimTime,
        slot: u32,
        change: InstanceChange,
        from: Option<State>,
    ) {
        let i = &self.instances[slot];
        let record = InstanceRecord {
            at: now,
            function: &self.definition(i.func).name,
            function_index: i.func.index(),
            instance: i.serial,
            provisioned: i.provisioned,
            change,
            from: from.and_then(|s| match s {
                State::Provisioning => Some(InstanceState::Starting),
                State::Busy => Some(InstanceState::Busy),
                State::Idle => Some(InstanceState::Idle),
                State::Free => None,
            }),
        };
        if let Some(log) = self.log.as_mut()
            && let Err(e) = log.instance(&record)
        {
            self.log_error.get_or_insert(e);
        }
    }

    /// Hands the log the state after an event at `now` (only when it asked for it).
    fn snapshot(&mut self, now: SimTime) -> Result<()> {
        let (Some(counts), Some(log)) = (self.snapshots.as_mut(), self.log.as_mut()) else {
            return Ok(());
        };
        for (f, c) in self.funcs.ids().zip(counts.iter_mut()) {
            let occ = self.meter.occupancy(f);
            *c = InstanceCounts {
                starting: occ.provisioning,
                busy: occ.busy,
                idle: occ.idle,
                on_demand_in_flight: self.limits.od_in_flight(f),
                provisioned_allocated: self.limits.pc_allocated(f),
            };
        }
        log.snapshot(&Snapshot {
            at: now,
            requests: self.next_request,
            functions: counts,
        })
    }

    #[inline]
    fn current(&self, instance: InstanceKey) -> bool {
        self.instances.is_current(instance) && self.instances[instance.index()].state != State::Free
    }

    fn finish(self, events: u64) -> RunOutput {
        let provisioned_final = self
            .funcs
            .ids()
            .map(|f| self.limits.pc_allocated(f))
            .collect();
        let databases = self.dbs.finish();
        let ran_apart = self.meter.ran_apart();
        let mut measured = self.meter.finish();
        let (cpu_demand, total_cpu_demand) = self.demand.finish();
        for (m, rounding) in measured
            .metrics
            .iter_mut()
            .zip(self.pc_billing.finish().iter())
        {
            m.provisioned.rounding_s = *rounding;
        }
        RunOutput {
            functions: measured.metrics,
            occupancy: measured.occupancy,
            total_occupancy: measured.total,
            provisioned_final,
            cpu_demand,
            total_cpu_demand,
            databases,
            ran_apart,
            sources: self.sources.finish(),
            events,
            express_requests: self.express_requests,
        }
    }
}
