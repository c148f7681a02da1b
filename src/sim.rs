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
mod idle;
mod pending;
mod scale_out;
mod sources;
mod workflow;

use std::collections::BTreeSet;

use rand::RngExt;

use crate::cost::billed;
use crate::dist::Dist;
use crate::engine::EventQueue;
use crate::error::Result;
use crate::metrics::{DatabaseMetrics, FunctionMetrics, Gauge, Occupancy};
use crate::model::{CallMode, ColdStart, Invocation, Reuse, Routing, Scenario};
use crate::policy::eviction::Eviction;
use crate::policy::keep_alive::{Decision, IdleHistogram, KeepAlive};
use crate::policy::provisioned::{Provisioned, Tracker};
use crate::profile::StartPhase;
use crate::rng::{self, SimRng, Stream};
use crate::time::SimTime;
use crate::workload::ArrivalSource;
use connections::DbState;
use idle::IdleSet;
use scale_out::Bucket;
pub use sources::{BatchRecord, SourceKind};
use sources::{SourceEvent, SourceParent, SourceState};

/// "No instance / request / event" in links and indices.
const NIL: u32 = u32::MAX;

/// From this many functions on, latency histograms record in sorted batches: 1,000
/// functions ran 1.6× faster, one function 12 % slower (`docs/performance.md`).
const BATCH_FROM_FUNCTIONS: usize = 16;

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
    /// Target-tracking evaluation of `func`.
    TrackingTick { func: u32 },
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    Provisioning,
    Busy,
    Idle,
}

/// Why an instance went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// Keep-alive policy.
    Expiry,
    /// Memory pressure.
    Pressure,
    /// Maximum lifetime.
    Lifetime,
    /// Discarded after a timeout.
    Reset,
    /// Provisioned concurrency lowered (not an eviction).
    Released,
}

/// Which routing set an instance with free slots is in (several requests per instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    /// Starting (provisioning) instance.
    Starting,
    /// Ready provisioned instance.
    Provisioned,
    /// Ready on-demand instance.
    OnDemand,
}

/// The durations of one cold start's phases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColdStartPhases {
    /// Sandbox / placement.
    pub sandbox: SimTime,
    /// VPC network set-up (zero outside a VPC).
    pub network: SimTime,
    /// Code load.
    pub code_load: SimTime,
    /// Runtime start (or snapshot restore when `restored`).
    pub start: SimTime,
    /// The function's init.
    pub init: SimTime,
    /// The start phase was a snapshot restore.
    pub restored: bool,
    /// The function overrode the whole cold start (`cold_start_ms`): only `start` is set.
    pub overridden: bool,
}

impl ColdStartPhases {
    /// The whole cold start.
    pub fn total(&self) -> SimTime {
        self.sandbox + self.network + self.code_load + self.start + self.init
    }

    /// The part a platform that bills init charges: runtime start (or restore) and the
    /// function's init, like Lambda's `Init Duration`; all of an overridden cold start.
    pub fn billed_init(&self) -> SimTime {
        self.start + self.init
    }
}

/// An execution environment. Slots are reused; `generation` tells occupants apart.
#[derive(Debug, Clone)]
struct Instance {
    func: u32,
    generation: u32,
    state: State,
    /// Unique, in creation order.
    serial: u64,
    provisioned: bool,
    memory_mb: u32,
    idle_since: SimTime,
    /// Keep-alive deadline while idle (MAX: none).
    expires_at: SimTime,
    /// End of the instance's maximum lifetime (MAX: none).
    retire_at: SimTime,
    timer_armed: bool,
    timer_at: SimTime,
    /// Key in the memory-pressure eviction set while idle and evictable.
    evict_key: Option<u64>,
    /// Idle-set links (see [`IdleSet`]).
    prev: u32,
    next: u32,
    /// Requests assigned (waiting for the cold start or executing).
    active: u32,
    /// The assigned requests, linked through [`Req::prev`] / [`Req::next`].
    head: u32,
    /// Routing set membership and the `active` it was filed under.
    open: Open,
    open_active: u32,
    /// Past its lifetime: takes no new requests.
    draining: bool,
    /// A request timed out: discard the instance once it is empty.
    reset: bool,
    phases: ColdStartPhases,
    /// CPU sharing: service each request has received, ns, as of `shared_at`.
    shared_clock: f64,
    shared_at: SimTime,
    /// CPU sharing: requests executing (not waiting for the cold start).
    executing: u32,
    /// CPU sharing: stamp of the latest pending finish event.
    epoch: u32,
    /// Holds a database connection (without a proxy: per instance, for its lifetime).
    conn: bool,
}

/// How an execution ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Ok,
    Error,
    Timeout,
}

/// A request being served. Slots are reused; `generation` tells occupants apart.
#[derive(Debug, Clone, Copy)]
struct Req {
    generation: u32,
    slot: u32,
    id: u64,
    arrival: SimTime,
    exec_start: SimTime,
    cold: bool,
    ping: bool,
    /// The cold start it waited for was its own instance's start (not joined).
    started_instance: bool,
    measured: bool,
    ending: Ending,
    /// Asynchronous event, or NIL.
    event: u32,
    /// CPU sharing: the service mark at which it finishes.
    finish_mark: f64,
    /// CPU sharing: counted in the instance's executing requests.
    running: bool,
    /// CPU sharing: the I/O-bound rest of the execution, run after the CPU part.
    io: SimTime,
    /// Execution time recorded by a trace (MAX: sample one).
    exec: SimTime,
    /// Who waits for this request.
    parent: Parent,
    /// Synchronous calls still outstanding.
    pending: u32,
    /// Its own work is done; it waits for its calls.
    waiting: bool,
    /// Issuing calls right now (a callee's answer must not end it yet).
    issuing: bool,
    /// A callee failed or was throttled: the request ends in an error.
    child_failed: bool,
    /// Holds a database connection (behind a proxy: per request).
    conn: bool,
    /// Waiting for a database connection (its execution has begun).
    conn_wait: bool,
    /// Links in the instance's request list.
    prev: u32,
    next: u32,
}

/// Who waits for a request's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parent {
    /// Nobody inside the simulation (a client, or an event source).
    None,
    /// A synchronous caller: request `req` of generation `generation`.
    Caller { req: u32, generation: u32 },
    /// A queue or stream batch, or a workflow task (`sim/sources.rs`).
    Source(SourceParent),
}

/// A request about to be served: who it is and who waits for it.
#[derive(Debug, Clone, Copy)]
struct Incoming {
    id: u64,
    /// When it arrived (earlier than now after a wait in the pending queue).
    arrival: SimTime,
    /// Its execution time when a trace recorded it (MAX: sample one).
    exec: SimTime,
    ping: bool,
    measured: bool,
    /// Asynchronous event, or NIL.
    event: u32,
    parent: Parent,
}

/// An asynchronous event between attempts.
#[derive(Debug, Clone, Copy)]
struct AsyncEvent {
    func: u32,
    born: SimTime,
    retries: u32,
    throttles: u32,
    measured: bool,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Served by an instance that was already running.
    Warm,
    /// Waited for a new instance's cold start.
    Cold,
    /// Rejected by a concurrency, scale-out or memory limit.
    Throttled,
}

/// The result of an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Completed.
    Ok,
    /// Ended in a function error.
    Error,
    /// Stopped by the execution timeout.
    Timeout,
    /// Not executed: throttled.
    Throttled,
}

/// One finished request, as given to a [`RequestLog`].
#[derive(Debug, Clone, Copy)]
pub struct RequestRecord<'a> {
    /// Request id, in arrival order across the scenario (each attempt of an asynchronous
    /// event is a request).
    pub request: u64,
    /// The function.
    pub function: &'a str,
    /// The serving instance's serial number (none when throttled).
    pub instance: Option<u64>,
    /// Whether the serving instance is provisioned.
    pub provisioned: bool,
    /// A warm-up ping rather than a user request.
    pub ping: bool,
    /// Arrival time.
    pub arrival: SimTime,
    /// Start of execution (none when throttled).
    pub start: Option<SimTime>,
    /// End (the arrival itself when throttled).
    pub end: SimTime,
    /// How it started.
    pub outcome: Outcome,
    /// How it ended.
    pub status: Status,
    /// The cold start it waited for.
    pub cold_start: Option<ColdStartPhases>,
    /// Whether it arrived after the warm-up and counts in the results.
    pub measured: bool,
}

/// Receives every finished request (the `--events` log).
pub trait RequestLog {
    /// Called once per request, in the order requests finish.
    fn record(&mut self, record: &RequestRecord<'_>) -> Result<()>;

    /// Called once per queue or stream batch attempt, when its request has ended (after
    /// [`RequestLog::record`] for it). Ignored unless implemented.
    fn batch(&mut self, _batch: &BatchRecord<'_>) -> Result<()> {
        Ok(())
    }
}

/// Optional hooks for a run.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Receives every finished request.
    pub log: Option<&'a mut dyn RequestLog>,
    /// Called now and then with the fraction of the arrival horizon simulated so far.
    pub progress: Option<&'a mut dyn FnMut(f64)>,
}

/// What a run produced: raw metrics per function (see [`crate::report`] for the summaries).
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Per function, in scenario order.
    pub functions: Vec<FunctionMetrics>,
    /// Per function instance counts over the window.
    pub occupancy: Vec<Occupancy>,
    /// All functions together.
    pub total_occupancy: Occupancy,
    /// Provisioned instances allocated at the end of the run, per function.
    pub provisioned_final: Vec<u32>,
    /// Per database, in scenario order.
    pub databases: Vec<DatabaseMetrics>,
    /// Queues, streams and workflows.
    pub sources: crate::metrics::SourceMetrics,
    /// Events processed.
    pub events: u64,
}

/// Key of an instance in a routing set: (requests assigned, creation serial, slot).
type OpenKey = (u32, u64, u32);

struct FunctionState {
    idle: IdleSet,
    pc_idle: IdleSet,
    /// Several requests per instance: instances with free slots and at least one request.
    open_pc: BTreeSet<OpenKey>,
    open_od: BTreeSet<OpenKey>,
    open_starting: BTreeSet<OpenKey>,
    occupancy: Occupancy,
    source: ArrivalSource,
    exec_rng: SimRng,
    cold_rng: SimRng,
    route_rng: SimRng,
    fail_rng: SimRng,
    call_rng: SimRng,
    metrics: FunctionMetrics,
    /// On-demand instances starting or executing.
    od_in_flight: u32,
    /// Provisioned instances allocated (initialising or ready).
    pc_allocated: u32,
    /// Requests (user and pings) in flight, for idle-time tracking.
    requests_in_flight: u32,
    /// When the function last had no request in flight.
    last_idle_start: Option<SimTime>,
    hist: IdleHistogram,
    /// Keep-alive deadline of the next pre-warmed instance.
    prewarm_until: SimTime,
    tracker: Tracker,
    /// Busy and ready provisioned areas at the last tracking evaluation.
    tracked_busy: u128,
    tracked_ready: u128,
    /// Arrivals so far (greedy-dual frequency).
    arrivals: u64,
    /// Per-function scale-out bucket.
    scale_out: Option<Bucket>,
    /// Requests waiting for capacity.
    pending: pending::PendingQueue,
    /// The function's settings the per-request path reads, kept beside its state.
    hot: Hot,
    /// Autoscaler history (platforms with an autoscaler).
    autoscale: autoscale::AutoscaleState,
    /// Execution time a trace recorded for the pending arrival (MAX: none).
    next_exec: SimTime,
}

/// A function's settings read on every request, copied from the scenario so the hot path
/// touches one cache-resident struct.
#[derive(Debug, Clone, Copy)]
struct Hot {
    /// Requests per instance.
    cap: u32,
    /// Processor sharing.
    sharing: bool,
    /// Database index.
    database: Option<usize>,
    /// Has calls to make.
    calls: bool,
    /// Function-error probability.
    failure_probability: f64,
    /// Execution timeout.
    timeout: Option<SimTime>,
    /// CPU-bound share of an execution (the part processor sharing slows down).
    cpu_fraction: f64,
    /// Has provisioned concurrency.
    has_pc: bool,
}

impl Hot {
    /// A request's CPU-bound part runs on the instance's shared vCPUs: processor sharing
    /// is on and the function has a CPU-bound part. The one test of "is this request on
    /// the shared CPU" (its timeout event is then already pending while it waits).
    fn shares_cpu(&self) -> bool {
        self.sharing && self.cpu_fraction > 0.0
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Concurrency,
    ScaleOut,
    Memory,
    PendingTimeout,
}

struct Sim<'s, 'o> {
    scenario: &'s Scenario,
    queue: EventQueue<Event>,
    instances: Vec<Instance>,
    free_slots: Vec<u32>,
    reqs: Vec<Req>,
    free_reqs: Vec<u32>,
    events: Vec<AsyncEvent>,
    free_events: Vec<u32>,
    funcs: Vec<FunctionState>,
    total: Occupancy,
    /// In-flight concurrency of functions without reserved concurrency.
    unreserved_in_flight: u32,
    unreserved_limit: u32,
    /// Account-wide scale-out bucket.
    account_scale_out: Option<Bucket>,
    /// Databases' connections.
    dbs: Vec<DbState>,
    /// Scratch list of requests finishing together (CPU sharing), kept to reuse its
    /// allocation.
    finished: Vec<u32>,
    next_request: u64,
    next_serial: u64,
    /// Memory held by instances, MB.
    memory_used_mb: f64,
    /// Idle on-demand instances by eviction key (only with a memory capacity).
    evictable: BTreeSet<(u64, u32)>,
    gd_clock: f64,
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
    let mut sim = Sim::new(scenario, log)?;
    let mut events: u64 = 0;
    while let Some((now, event)) = sim.queue.pop() {
        match event {
            Event::Arrival { func } => sim.on_arrival(now, func as usize)?,
            Event::ColdStartDone { slot, generation } => {
                if sim.current(slot, generation) {
                    sim.on_cold_start_done(now, slot)?;
                }
            }
            Event::ExecDone { req, generation } => {
                if sim.reqs[req as usize].generation == generation {
                    let ending = sim.reqs[req as usize].ending;
                    sim.work_done(now, req, ending)?;
                }
            }
            Event::SharedDone {
                slot,
                generation,
                epoch,
            } => {
                if sim.current(slot, generation) && sim.instances[slot as usize].epoch == epoch {
                    sim.on_shared_done(now, slot)?;
                }
            }
            Event::Timeout { req, generation } => {
                if sim.reqs[req as usize].generation == generation {
                    sim.end_request(now, req, Ending::Timeout)?;
                }
            }
            Event::ConnectionTimeout { req, generation } => {
                if sim.reqs[req as usize].generation == generation {
                    sim.on_connection_timeout(now, req)?;
                }
            }
            Event::Timer { slot, generation } => sim.on_timer(now, slot, generation),
            Event::Prewarm { func } => sim.on_prewarm(now, func as usize),
            Event::ScheduleStep { func, step, period } => {
                sim.on_schedule_step(now, func as usize, step as usize, period)
            }
            Event::TrackingTick { func } => sim.on_tracking_tick(now, func as usize),
            Event::Warmers { func } => sim.on_warmers(now, func as usize)?,
            Event::Retry { event } => sim.on_retry(now, event)?,
            Event::PendingExpire { func, entry } => {
                sim.on_pending_expire(now, func as usize, entry)?
            }
            Event::PendingPoll { func } => sim.on_pending_poll(now, func as usize)?,
            Event::Autoscale { func } => sim.on_autoscale(now, func as usize),
            Event::Source(e) => sim.on_source_event(now, e)?,
        }
        events += 1;
        if events.is_multiple_of(PROGRESS_EVERY)
            && let Some(p) = progress.as_mut()
        {
            p((now.as_secs() / scenario.duration.as_secs()).min(1.0));
        }
    }
    Ok(sim.finish(events))
}

impl<'s, 'o> Sim<'s, 'o> {
    fn new(scenario: &'s Scenario, log: Option<&'o mut dyn RequestLog>) -> Result<Self> {
        let reserved: u32 = scenario
            .functions
            .iter()
            .filter_map(|f| f.max_concurrency)
            .sum();
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
            events: Vec::new(),
            free_events: Vec::new(),
            funcs: Vec::with_capacity(scenario.functions.len()),
            total: Occupancy::default(),
            unreserved_in_flight: 0,
            unreserved_limit: scenario.platform.account_concurrency - reserved,
            account_scale_out: scenario.platform.scale_out.account.map(Bucket::new),
            dbs: scenario
                .databases
                .iter()
                .map(|_| DbState::default())
                .collect(),
            finished: Vec::new(),
            next_request: 0,
            next_serial: 0,
            memory_used_mb: 0.0,
            evictable: BTreeSet::new(),
            gd_clock: 0.0,
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
                idle: IdleSet::new(f.reuse),
                pc_idle: IdleSet::new(Reuse::Mru),
                open_pc: BTreeSet::new(),
                open_od: BTreeSet::new(),
                open_starting: BTreeSet::new(),
                occupancy: Occupancy::default(),
                source,
                exec_rng: rng::stream(seed, idx, Stream::Execution),
                cold_rng: rng::stream(seed, idx, Stream::ColdStart),
                route_rng: rng::stream(seed, idx, Stream::Routing),
                fail_rng: rng::stream(seed, idx, Stream::Failure),
                call_rng: rng::stream(seed, idx, Stream::Calls),
                metrics: if scenario.functions.len() >= BATCH_FROM_FUNCTIONS {
                    FunctionMetrics::batched()
                } else {
                    FunctionMetrics::default()
                },
                od_in_flight: 0,
                pc_allocated: 0,
                requests_in_flight: 0,
                last_idle_start: None,
                hist: IdleHistogram::default(),
                prewarm_until: SimTime::ZERO,
                tracker: Tracker::default(),
                tracked_busy: 0,
                tracked_ready: 0,
                arrivals: 0,
                scale_out: scenario.platform.scale_out.per_function.map(Bucket::new),
                pending: pending::PendingQueue::default(),
                autoscale: autoscale::AutoscaleState::default(),
                next_exec,
                hot: Hot {
                    cap: f.per_instance_concurrency,
                    sharing: f.cpu_sharing,
                    database: f.database,
                    calls: !f.calls.is_empty(),
                    failure_probability: f.failure_probability,
                    timeout: f.timeout,
                    cpu_fraction: f.cpu_fraction,
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
                match p {
                    Provisioned::Fixed(_) => {}
                    Provisioned::Scheduled { steps, .. } => {
                        let first = usize::from(steps[0].0 == SimTime::ZERO);
                        sim.schedule_step(i, first, 0);
                    }
                    Provisioned::Tracking(t) => {
                        if t.interval < scenario.duration {
                            sim.queue.schedule(t.interval, Event::TrackingTick { func });
                        }
                    }
                }
            }
            if let Some(w) = &f.warmers
                && w.start < scenario.duration
            {
                sim.queue.schedule(w.start, Event::Warmers { func });
            }
        }
        sim.start_sources()?;
        sim.start_autoscaler();
        Ok(sim)
    }

    #[inline]
    fn window(&self) -> (SimTime, SimTime) {
        (self.scenario.warmup, self.scenario.duration)
    }

    #[inline]
    fn current(&self, slot: u32, generation: u32) -> bool {
        let i = &self.instances[slot as usize];
        i.generation == generation && i.state != State::Free
    }

    /// Moves one of function `f`'s instances between states, integrating counts first.
    #[inline]
    fn shift(&mut self, now: SimTime, f: usize, from: Option<State>, to: Option<State>) {
        let (start, end) = self.window();
        // With one function the total is that function's occupancy (copied at the end).
        let single = self.funcs.len() == 1;
        let occ = &mut self.funcs[f].occupancy;
        occ.advance(now, start, end);
        if !single {
            self.total.advance(now, start, end);
        }
        fn count(o: &mut Occupancy, state: State) -> &mut u32 {
            match state {
                State::Provisioning => &mut o.provisioning,
                State::Busy => &mut o.busy,
                State::Idle => &mut o.idle,
                State::Free => unreachable!("free instances are not counted"),
            }
        }
        if let Some(s) = from {
            *count(occ, s) -= 1;
            if !single {
                *count(&mut self.total, s) -= 1;
            }
        }
        if let Some(s) = to {
            *count(occ, s) += 1;
            occ.observe(now, start, end);
            if !single {
                *count(&mut self.total, s) += 1;
                self.total.observe(now, start, end);
            }
        }
    }

    #[inline]
    fn gauge(
        &mut self,
        now: SimTime,
        f: usize,
        which: fn(&mut FunctionMetrics) -> &mut Gauge,
        d: i32,
    ) {
        let (start, end) = self.window();
        which(&mut self.funcs[f].metrics).add(d, now, start, end);
    }

    /// Changes the function's in-flight concurrency (on-demand or provisioned).
    #[inline]
    fn in_flight(&mut self, f: usize, provisioned: bool, delta: i32) {
        let fs = &mut self.funcs[f];
        let c = if provisioned {
            &mut fs.pc_allocated
        } else {
            &mut fs.od_in_flight
        };
        *c = c.wrapping_add_signed(delta);
        if self.scenario.functions[f].max_concurrency.is_none() {
            self.unreserved_in_flight = self.unreserved_in_flight.wrapping_add_signed(delta);
        }
    }

    /// Whether function `f` may start one more instance now.
    #[inline]
    fn has_headroom(&self, f: usize) -> bool {
        let fs = &self.funcs[f];
        match self.scenario.functions[f].max_concurrency {
            Some(reserved) => fs.od_in_flight + fs.pc_allocated < reserved,
            None => self.unreserved_in_flight < self.unreserved_limit,
        }
    }

    /// Whether the scale-out buckets have a token for a new instance of `f` at `now`.
    #[inline]
    fn scale_out_ready(&mut self, now: SimTime, f: usize) -> bool {
        self.funcs[f]
            .scale_out
            .as_mut()
            .is_none_or(|b| b.ready(now))
            && self.account_scale_out.as_mut().is_none_or(|b| b.ready(now))
    }

    fn take_scale_out_token(&mut self, f: usize) {
        if let Some(b) = self.funcs[f].scale_out.as_mut() {
            b.take();
        }
        if let Some(b) = self.account_scale_out.as_mut() {
            b.take();
        }
    }

    #[inline]
    fn sample_exec(&mut self, f: usize, ping: bool) -> SimTime {
        let func = &self.scenario.functions[f];
        let rng = &mut self.funcs[f].exec_rng;
        let ms = match (ping, &func.warmers) {
            (true, Some(w)) => w.exec.sample(rng),
            _ => func.exec.sample(rng) * func.duration_scale,
        };
        SimTime::from_ms(ms)
    }

    fn sample_cold_start(&mut self, f: usize) -> ColdStartPhases {
        let func = &self.scenario.functions[f];
        let rng = &mut self.funcs[f].cold_rng;
        match &func.cold_start {
            ColdStart::Override(d) => ColdStartPhases {
                start: SimTime::from_ms(d.sample(rng)),
                overridden: true,
                ..ColdStartPhases::default()
            },
            ColdStart::Composed {
                sandbox,
                code_load_ms,
                start,
                init,
                vpc,
            } => {
                let sandbox = SimTime::from_ms(sandbox.sample(rng));
                let network = vpc
                    .as_ref()
                    .map_or(SimTime::ZERO, |d| SimTime::from_ms(d.sample(rng)));
                let code_load = SimTime::from_ms(*code_load_ms);
                let (d, restored): (&Dist, bool) = match start {
                    StartPhase::Init(d) => (d, false),
                    StartPhase::SnapshotRestore(d) => (d, true),
                };
                let start = SimTime::from_ms(d.sample(rng));
                let init = match (restored, init) {
                    (false, Some(i)) => SimTime::from_ms(i.sample(rng) * func.duration_scale),
                    _ => SimTime::ZERO,
                };
                ColdStartPhases {
                    sandbox,
                    network,
                    code_load,
                    start,
                    init,
                    restored,
                    overridden: false,
                }
            }
        }
    }

    /// Makes room for `memory_mb` by evicting idle on-demand instances; false if it cannot.
    fn make_room(&mut self, now: SimTime, memory_mb: u32) -> bool {
        let Some(cap) = self.scenario.platform.memory_capacity_mb else {
            return true;
        };
        while self.memory_used_mb + f64::from(memory_mb) > cap {
            let Some((key, victim)) = self.evictable.pop_first() else {
                return false;
            };
            if self.scenario.platform.eviction == Eviction::GreedyDual {
                self.gd_clock = f64::from_bits(key);
            }
            self.instances[victim as usize].evict_key = None;
            self.free(now, victim, Cause::Pressure);
        }
        true
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
        self.memory_used_mb += f64::from(memory_mb);
        let phases = self.sample_cold_start(f);
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
            shared_clock: 0.0,
            shared_at: ready,
            executing: 0,
            epoch: 0,
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
        self.shift(now, f, None, Some(State::Provisioning));
        self.in_flight(f, provisioned, 1);
        if provisioned {
            self.gauge(now, f, |m| &mut m.provisioned.allocated, 1);
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
        self.open_remove(slot);
        if state == State::Idle {
            if provisioned {
                self.funcs[f].pc_idle.remove(slot, &mut self.instances);
            } else {
                self.funcs[f].idle.remove(slot, &mut self.instances);
            }
            if let Some(key) = self.instances[slot as usize].evict_key.take() {
                self.evictable.remove(&(key, slot));
            }
        }
        // Concurrency: provisioned instances count while allocated, on-demand ones while
        // starting or executing.
        if provisioned {
            self.in_flight(f, true, -1);
            self.gauge(now, f, |m| &mut m.provisioned.allocated, -1);
            if state != State::Provisioning {
                self.gauge(now, f, |m| &mut m.provisioned.ready, -1);
            }
            if state == State::Busy {
                self.gauge(now, f, |m| &mut m.provisioned.busy, -1);
            }
        } else if state != State::Idle {
            self.in_flight(f, false, -1);
        }
        self.shift(now, f, Some(state), None);
        self.memory_used_mb -= f64::from(memory_mb);
        if std::mem::take(&mut self.instances[slot as usize].conn)
            && let Some(d) = self.scenario.functions[f].database
        {
            self.release_connection(now, d);
        }
        let inst = &mut self.instances[slot as usize];
        inst.state = State::Free;
        inst.generation = inst.generation.wrapping_add(1);
        self.free_slots.push(slot);
        let (start, end) = self.window();
        if now >= start && now <= end {
            let e = &mut self.funcs[f].metrics.evictions;
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
            self.funcs[f].pc_idle.push(slot, &mut self.instances);
        } else {
            self.funcs[f].idle.push(slot, &mut self.instances);
            if self.scenario.platform.memory_capacity_mb.is_some() {
                let func = &self.scenario.functions[f];
                let key = self.scenario.platform.eviction.key(
                    now.0,
                    self.gd_clock,
                    self.funcs[f].arrivals,
                    func.mean_cold_start_ms,
                    f64::from(func.memory_mb),
                );
                self.instances[slot as usize].evict_key = Some(key);
                self.evictable.insert((key, slot));
            }
        }
        self.arm_timer(slot);
    }

    /// Takes an idle instance of `f` out of its idle set: provisioned first, then
    /// on-demand.
    #[inline]
    fn take_idle(&mut self, f: usize, provisioned: bool) -> Option<u32> {
        let fs = &mut self.funcs[f];
        let set = if provisioned {
            &mut fs.pc_idle
        } else {
            &mut fs.idle
        };
        let slot = set.take(&mut self.instances, &mut fs.route_rng)?;
        if let Some(key) = self.instances[slot as usize].evict_key.take() {
            self.evictable.remove(&(key, slot));
        }
        Some(slot)
    }

    /// Takes an instance with a free slot from a routing set (busiest or least busy).
    fn take_open(&mut self, f: usize, which: Open) -> Option<u32> {
        let fs = &self.funcs[f];
        let set = match which {
            Open::Provisioned => &fs.open_pc,
            Open::OnDemand => &fs.open_od,
            Open::Starting => &fs.open_starting,
            Open::None => return None,
        };
        let key = match self.scenario.functions[f].routing {
            Routing::Pack => set.last(),
            Routing::Spread => set.first(),
        };
        key.map(|k| k.2)
    }

    /// Files the instance in the routing set its state calls for (several requests per
    /// instance only): starting or ready, with at least one request and a free slot.
    fn open_update(&mut self, slot: u32) {
        self.open_remove(slot);
        let inst = &self.instances[slot as usize];
        let f = inst.func as usize;
        let cap = self.scenario.functions[f].per_instance_concurrency;
        if cap == 1 || inst.draining || inst.active == 0 || inst.active >= cap {
            return;
        }
        let which = match (inst.state, inst.provisioned) {
            (State::Provisioning, _) => Open::Starting,
            (State::Busy, true) => Open::Provisioned,
            (State::Busy, false) => Open::OnDemand,
            _ => return,
        };
        let key = (inst.active, inst.serial, slot);
        let fs = &mut self.funcs[f];
        match which {
            Open::Starting => fs.open_starting.insert(key),
            Open::Provisioned => fs.open_pc.insert(key),
            Open::OnDemand => fs.open_od.insert(key),
            Open::None => unreachable!(),
        };
        let inst = &mut self.instances[slot as usize];
        inst.open = which;
        inst.open_active = inst.active;
    }

    fn open_remove(&mut self, slot: u32) {
        let inst = &mut self.instances[slot as usize];
        let which = std::mem::replace(&mut inst.open, Open::None);
        let key = (inst.open_active, inst.serial, slot);
        let fs = &mut self.funcs[inst.func as usize];
        match which {
            Open::None => {}
            Open::Starting => {
                fs.open_starting.remove(&key);
            }
            Open::Provisioned => {
                fs.open_pc.remove(&key);
            }
            Open::OnDemand => {
                fs.open_od.remove(&key);
            }
        }
    }

    /// Picks the instance for a request of `f`, taking it out of the idle set if it was
    /// idle: provisioned before on-demand, ready before starting.
    fn route(&mut self, f: usize) -> Option<u32> {
        let hot = self.funcs[f].hot;
        if hot.cap == 1 {
            // Provisioned instances exist only under a provisioned policy.
            if hot.has_pc
                && let Some(slot) = self.take_idle(f, true)
            {
                return Some(slot);
            }
            return self.take_idle(f, false);
        }
        let busiest_first = self.scenario.functions[f].routing == Routing::Pack;
        for provisioned in [true, false] {
            let open = if provisioned {
                Open::Provisioned
            } else {
                Open::OnDemand
            };
            let found = if busiest_first {
                self.take_open(f, open)
                    .or_else(|| self.take_idle(f, provisioned))
            } else {
                self.take_idle(f, provisioned)
                    .or_else(|| self.take_open(f, open))
            };
            if found.is_some() {
                return found;
            }
        }
        self.take_open(f, Open::Starting)
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
        if !inc.ping && self.has_pending(f) {
            self.enqueue(now, f, inc);
            return self.drain_pending(now, f);
        }
        match self.place(now, f) {
            Ok((slot, started)) => self.admit(now, f, inc, slot, started),
            Err(refusal) => {
                if !inc.ping && self.scenario.platform.pending_timeout.is_some() {
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
        if let Some(slot) = self.route(f) {
            return Ok((slot, false));
        }
        if !self.has_headroom(f) {
            return Err(Refusal::Concurrency);
        }
        if !self.scale_out_ready(now, f) {
            return Err(Refusal::ScaleOut);
        }
        let slot = self
            .spawn(now, f, false, SimTime::ZERO, false)
            .ok_or(Refusal::Memory)?;
        self.take_scale_out_token(f);
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
            self.shift(now, f, Some(State::Idle), Some(State::Busy));
            if provisioned {
                self.gauge(now, f, |m| &mut m.provisioned.busy, 1);
            } else {
                self.in_flight(f, false, 1);
            }
            let inst = &mut self.instances[slot as usize];
            inst.state = State::Busy;
            // A fresh busy period: the service clock restarts.
            inst.shared_at = now;
        }
        if !ping {
            self.gauge(now, f, |m| &mut m.executions, 1);
        }
        self.funcs[f].requests_in_flight += 1;
        if measured {
            let total = self.instances[slot as usize].phases.total();
            let m = &mut self.funcs[f].metrics;
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
            finish_mark: 0.0,
            running: false,
            io: SimTime::ZERO,
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
            self.open_update(slot);
        }
        if !cold {
            self.start_exec(now, r)?;
        }
        Ok(())
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
            let m = &mut self.funcs[f].metrics;
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
            let e = &mut self.events[event as usize];
            e.throttles += 1;
            let (throttles, measured) = (e.throttles, e.measured);
            let delay = self.scenario.functions[f]
                .async_retry
                .throttle_delay(throttles);
            if self.retry_or_expire(now, event, delay) && measured {
                self.funcs[f].metrics.events.throttle_retries += 1;
            }
        }
        // A waiting caller gets the 429 at once.
        self.answer(now, parent, false)
    }

    /// Schedules a retry of `event` after `delay` (true), unless the event would be older
    /// than the maximum age by then: then it is dead-lettered as expired (false).
    fn retry_or_expire(&mut self, now: SimTime, event: u32, delay: SimTime) -> bool {
        let e = self.events[event as usize];
        let f = e.func as usize;
        let at = now.saturating_add(delay);
        if at - e.born > self.scenario.functions[f].async_retry.max_age {
            if e.measured {
                self.funcs[f].metrics.events.expired += 1;
            }
            self.free_events.push(event);
            false
        } else {
            self.queue.schedule(at, Event::Retry { event });
            true
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
            self.sample_exec(f, ping)
        } else {
            recorded
        };
        if let Some(d) = hot.database {
            work = work + self.scenario.databases[d].proxy_overhead;
        }
        let failed = !ping
            && hot.failure_probability > 0.0
            && self.funcs[f].fail_rng.random::<f64>() < hot.failure_probability;
        let timeout = if ping { None } else { hot.timeout };
        // The timeout runs from the start of execution, including any wait for a
        // connection.
        let deadline = timeout.map(|t| exec_start.saturating_add(t).max(now));
        let mut ending = if failed { Ending::Error } else { Ending::Ok };
        if hot.shares_cpu() {
            // The CPU-bound part runs first, sharing the vCPUs; the rest (waiting on I/O)
            // then runs in real time.
            let cpu = SimTime((work.0 as f64 * hot.cpu_fraction).round() as u64);
            if let Some(at) = deadline {
                self.queue
                    .schedule(at, Event::Timeout { req: r, generation });
            }
            self.shared_advance(now, slot);
            let inst = &mut self.instances[slot as usize];
            inst.executing += 1;
            let q = &mut self.reqs[r as usize];
            q.ending = ending;
            q.finish_mark = inst.shared_clock + cpu.0 as f64;
            q.io = work - cpu;
            q.running = true;
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
    fn shared_advance(&mut self, now: SimTime, slot: u32) {
        let f = self.instances[slot as usize].func as usize;
        let vcpus = self.scenario.functions[f].vcpus;
        let inst = &mut self.instances[slot as usize];
        if now > inst.shared_at {
            let n = f64::from(inst.executing);
            let rate = if n <= vcpus { 1.0 } else { vcpus / n };
            inst.shared_clock += (now - inst.shared_at).0 as f64 * rate;
        }
        inst.shared_at = now;
    }

    /// CPU sharing: schedules the instance's next finish (the smallest finish mark).
    fn shared_reschedule(&mut self, now: SimTime, slot: u32) {
        let f = self.instances[slot as usize].func as usize;
        let vcpus = self.scenario.functions[f].vcpus;
        let mut r = self.instances[slot as usize].head;
        let mut next = f64::INFINITY;
        while r != NIL {
            let q = &self.reqs[r as usize];
            if q.running {
                next = next.min(q.finish_mark);
            }
            r = q.next;
        }
        let inst = &mut self.instances[slot as usize];
        inst.epoch = inst.epoch.wrapping_add(1);
        if inst.executing == 0 || !next.is_finite() {
            return;
        }
        let n = f64::from(inst.executing);
        let rate = if n <= vcpus { 1.0 } else { vcpus / n };
        let wait = ((next - inst.shared_clock).max(0.0) / rate).ceil();
        let at = now.saturating_add(SimTime(wait as u64));
        let (generation, epoch) = (inst.generation, inst.epoch);
        self.queue.schedule(
            at,
            Event::SharedDone {
                slot,
                generation,
                epoch,
            },
        );
    }

    /// CPU sharing: ends the requests whose finish mark the service clock has reached.
    fn on_shared_done(&mut self, now: SimTime, slot: u32) -> Result<()> {
        self.shared_advance(now, slot);
        let clock = self.instances[slot as usize].shared_clock;
        // The event was computed for the smallest mark; rounding to whole nanoseconds may
        // leave the clock a hair short of it, so allow half a nanosecond.
        let mut done = std::mem::take(&mut self.finished);
        done.clear();
        let mut r = self.instances[slot as usize].head;
        let mut smallest = (f64::INFINITY, NIL);
        while r != NIL {
            let q = &self.reqs[r as usize];
            if q.running {
                if q.finish_mark <= clock + 0.5 {
                    done.push(r);
                }
                if q.finish_mark < smallest.0 {
                    smallest = (q.finish_mark, r);
                }
            }
            r = q.next;
        }
        if done.is_empty() && smallest.1 != NIL {
            done.push(smallest.1);
        }
        for &r in &done {
            let q = &mut self.reqs[r as usize];
            if q.io > SimTime::ZERO {
                // CPU part done: off the CPU for the I/O-bound rest.
                q.running = false;
                let (io, generation) = (q.io, q.generation);
                self.instances[slot as usize].executing -= 1;
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
            self.funcs[f].metrics.invocations += 1;
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
            self.funcs[f].metrics.events.events += 1;
        }
        let e = AsyncEvent {
            func: f as u32,
            born: now,
            retries: 0,
            throttles: 0,
            measured,
        };
        match self.free_events.pop() {
            Some(i) => {
                self.events[i as usize] = e;
                i
            }
            None => {
                self.events.push(e);
                (self.events.len() - 1) as u32
            }
        }
    }

    fn on_retry(&mut self, now: SimTime, event: u32) -> Result<()> {
        let e = self.events[event as usize];
        let f = e.func as usize;
        let id = self.next_request;
        self.next_request += 1;
        // An event's attempts count where the event does (by its arrival), so its
        // counters stay together.
        if e.measured {
            self.funcs[f].metrics.invocations += 1;
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
        fs.arrivals += 1;
        if let KeepAlive::Hybrid(p) = &self.scenario.functions[f].keep_alive
            && fs.requests_in_flight == 0
            && let Some(since) = fs.last_idle_start
        {
            fs.hist.record(p, now - since);
        }
    }

    fn on_cold_start_done(&mut self, now: SimTime, slot: u32) -> Result<()> {
        let (f, active, provisioned) = {
            let i = &self.instances[slot as usize];
            debug_assert_eq!(i.state, State::Provisioning);
            (i.func as usize, i.active, i.provisioned)
        };
        if provisioned {
            self.gauge(now, f, |m| &mut m.provisioned.ready, 1);
        }
        if active == 0 {
            // A provisioned, pre-warmed or autoscaled instance, ready and waiting.
            self.shift(now, f, Some(State::Provisioning), Some(State::Idle));
            if !provisioned {
                self.in_flight(f, false, -1);
                if self.instances[slot as usize].expires_at == SimTime::MAX {
                    // Started by the autoscaler: idle under the keep-alive policy.
                    let until = match self.scenario.functions[f]
                        .keep_alive
                        .decide(now, &self.funcs[f].hist)
                    {
                        Decision::KeepUntil(until) => until,
                        _ => now,
                    };
                    self.instances[slot as usize].expires_at = until;
                }
            }
            self.make_idle(now, slot);
            return Ok(());
        }
        self.shift(now, f, Some(State::Provisioning), Some(State::Busy));
        if provisioned {
            self.gauge(now, f, |m| &mut m.provisioned.busy, 1);
        }
        let inst = &mut self.instances[slot as usize];
        inst.state = State::Busy;
        inst.shared_at = now;
        self.open_update(slot);
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
            let m = &mut self.funcs[f].metrics;
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
            self.gauge(now, f, |m| &mut m.executions, -1);
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
        let sharing = hot.sharing;
        if sharing {
            // Bring the clock up to now before the number of requests changes.
            self.shared_advance(now, slot);
            if q.running {
                self.instances[slot as usize].executing -= 1;
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
                self.open_update(slot);
            }
        } else {
            self.instance_emptied(now, slot);
        }
        if self.has_pending(f) {
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
                    self.funcs[g].metrics.invocations += 1;
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
        if hot.shares_cpu() {
            if self.reqs[r as usize].running {
                self.shared_advance(now, slot);
                self.instances[slot as usize].executing -= 1;
                self.reqs[r as usize].running = false;
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

    /// An asynchronous attempt ended: success, or a retry, or the dead-letter queue.
    fn settle_event(&mut self, now: SimTime, event: u32, attempt: SimTime, ending: Ending) {
        let e = self.events[event as usize];
        let f = e.func as usize;
        if ending == Ending::Ok {
            if e.measured {
                let m = &mut self.funcs[f].metrics.events;
                m.succeeded += 1;
                m.queue_delay.record(attempt - e.born);
                m.end_to_end.record(now - e.born);
            }
            self.free_events.push(event);
            return;
        }
        let rules = &self.scenario.functions[f].async_retry;
        if e.retries >= rules.max_retries {
            if e.measured {
                self.funcs[f].metrics.events.dead_lettered += 1;
            }
            self.free_events.push(event);
            return;
        }
        let retry = e.retries + 1;
        let delay = rules.error_delay(retry);
        self.events[event as usize].retries = retry;
        if self.retry_or_expire(now, event, delay) && e.measured {
            self.funcs[f].metrics.events.error_retries += 1;
        }
    }

    /// The instance's last request ended: it goes back to its pool, or away.
    fn instance_emptied(&mut self, now: SimTime, slot: u32) {
        self.open_remove(slot);
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
            self.gauge(now, f, |m| &mut m.provisioned.busy, -1);
            self.shift(now, f, Some(State::Busy), Some(State::Idle));
            self.make_idle(now, slot);
            return;
        }
        let decision = self.scenario.functions[f]
            .keep_alive
            .decide(now, &self.funcs[f].hist);
        match decision {
            Decision::KeepUntil(until) => {
                self.shift(now, f, Some(State::Busy), Some(State::Idle));
                self.in_flight(f, false, -1);
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
                self.open_remove(slot);
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
        if now >= until || !self.funcs[f].idle.is_empty() || !self.has_headroom(f) {
            return; // Already warm, or no room: the next request will cold-start.
        }
        if let Some(slot) = self.spawn(now, f, false, SimTime::ZERO, false) {
            self.instances[slot as usize].expires_at = until;
        }
    }

    /// Sets function `f`'s provisioned count to `n`. New instances wait `delay` (None:
    /// the platform's allocation delay) plus a cold start; at time 0 they are ready at once.
    fn set_provisioned(&mut self, now: SimTime, f: usize, n: u32, delay: Option<SimTime>) {
        let current = self.funcs[f].pc_allocated;
        let instant = now == SimTime::ZERO;
        let delay = delay.unwrap_or(self.scenario.platform.pc_allocation_delay);
        if n > current {
            self.funcs[f].metrics.provisioned.scale_outs += u64::from(!instant);
            for _ in current..n {
                if !self.has_headroom(f) || self.spawn(now, f, true, delay, instant).is_none() {
                    break; // Limits or memory: allocate what fits.
                }
            }
        } else if n < current {
            self.funcs[f].metrics.provisioned.scale_ins += 1;
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
                        self.in_flight(f, true, -1);
                        self.in_flight(f, false, 1);
                        self.gauge(now, f, |m| &mut m.provisioned.allocated, -1);
                        if busy {
                            self.gauge(now, f, |m| &mut m.provisioned.ready, -1);
                            self.gauge(now, f, |m| &mut m.provisioned.busy, -1);
                        }
                        self.open_update(slot);
                    } else {
                        self.free(now, slot, Cause::Released);
                    }
                }
            }
        }
    }

    fn schedule_step(&mut self, f: usize, step: usize, period: u32) {
        let Some(Provisioned::Scheduled { steps, repeat, .. }) =
            &self.scenario.functions[f].provisioned
        else {
            return;
        };
        let (step, period) = match (step < steps.len(), repeat) {
            (true, _) => (step, period),
            (false, Some(_)) => (0, period + 1),
            (false, None) => return,
        };
        let offset = repeat.map_or(SimTime::ZERO, |r| {
            SimTime(r.0.saturating_mul(u64::from(period)))
        });
        let at = offset + steps[step].0;
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
        let Some(Provisioned::Scheduled { steps, delay, .. }) =
            &self.scenario.functions[f].provisioned
        else {
            return;
        };
        let (n, delay) = (steps[step].1, *delay);
        self.set_provisioned(now, f, n, delay);
        self.schedule_step(f, step + 1, period);
    }

    fn on_tracking_tick(&mut self, now: SimTime, f: usize) {
        let Some(Provisioned::Tracking(p)) = &self.scenario.functions[f].provisioned else {
            return;
        };
        let (start, end) = self.window();
        let fs = &mut self.funcs[f];
        fs.metrics.provisioned.busy.close(now, start, end);
        fs.metrics.provisioned.ready.close(now, start, end);
        let busy_area = fs.metrics.provisioned.busy.area_all();
        let ready_area = fs.metrics.provisioned.ready.area_all();
        let span = p.interval.0 as f64;
        let busy = (busy_area - fs.tracked_busy) as f64 / span;
        let ready = (ready_area - fs.tracked_ready) as f64 / span;
        fs.tracked_busy = busy_area;
        fs.tracked_ready = ready_area;
        let current = fs.pc_allocated;
        if let Some(n) = fs.tracker.evaluate(p, now, busy, ready, current) {
            self.set_provisioned(now, f, n, p.delay);
        }
        let next = now + p.interval;
        if next < self.scenario.duration {
            self.queue
                .schedule(next, Event::TrackingTick { func: f as u32 });
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

    fn finish(mut self, events: u64) -> RunOutput {
        // Close the window: integrate whatever is left up to the end of the horizon.
        let (start, end) = self.window();
        for f in &mut self.funcs {
            f.occupancy.advance(end, start, end);
            let m = &mut f.metrics;
            for g in [
                &mut m.executions,
                &mut m.provisioned.allocated,
                &mut m.provisioned.ready,
                &mut m.provisioned.busy,
            ] {
                g.close(end, start, end);
            }
        }
        if self.funcs.len() == 1 {
            self.total = self.funcs[0].occupancy.clone();
        } else {
            self.total.advance(end, start, end);
        }
        let provisioned_final = self.funcs.iter().map(|f| f.pc_allocated).collect();
        let databases = self
            .dbs
            .into_iter()
            .map(|mut d| {
                d.metrics.in_use.close(end, start, end);
                d.metrics
            })
            .collect();
        let (functions, occupancy) = self
            .funcs
            .into_iter()
            .map(|f| (f.metrics, f.occupancy))
            .unzip();
        RunOutput {
            functions,
            occupancy,
            total_occupancy: self.total,
            provisioned_final,
            databases,
            sources: self.sources.finish(),
            events,
        }
    }
}
