//! The platform model: functions, their instances, concurrency limits, provisioned
//! concurrency, keep-alive, memory pressure and warm-up pings, driven by the event queue.
//!
//! # A request's path
//! 1. **Arrival.** An idle provisioned instance of the function takes it; otherwise an idle
//!    on-demand instance (by the function's `reuse` rule): both are warm starts. Otherwise,
//!    if the function is under its concurrency limit and the new instance fits in the
//!    platform's memory (evicting idle instances if needed), a new on-demand instance
//!    starts and the request waits for its cold start. Otherwise the request is throttled
//!    (HTTP 429). Every request ends in exactly one of warm, cold, throttled; requests
//!    served on demand while the function has provisioned concurrency are spill-over.
//! 2. **Cold start done.** The instance begins executing the request (or, for a
//!    provisioned or pre-warmed instance started without one, becomes idle).
//! 3. **Execution done.** The response time (arrival → end) is recorded. A provisioned
//!    instance returns to its pool; an on-demand one asks the keep-alive policy what to do
//!    (keep until a deadline, evict, or evict and pre-warm later).
//! 4. **Timers.** An idle instance is evicted when its keep-alive deadline or the
//!    platform's maximum lifetime passes; a busy instance past its lifetime is recycled when
//!    its request ends (a recycled provisioned instance is replaced).
//!
//! Concurrency counts on-demand instances that are starting or executing, plus every
//! allocated provisioned instance (Lambda's definition); idle on-demand instances do not
//! count. A function with `max_concurrency` (reserved concurrency) is capped by it and does
//! not use the shared pool; the others share `account_concurrency − Σ reserved`.
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
//! After the last arrival, requests in flight run to completion.

mod idle;

use std::collections::BTreeSet;

use crate::cost::billed;
use crate::dist::Dist;
use crate::engine::EventQueue;
use crate::error::Result;
use crate::metrics::{FunctionMetrics, Gauge, Occupancy};
use crate::policy::eviction::Eviction;
use crate::policy::keep_alive::{Decision, IdleHistogram, KeepAlive};
use crate::policy::provisioned::{Provisioned, Tracker};
use crate::profile::StartPhase;
use crate::rng::{self, SimRng, Stream};
use crate::scenario::{ColdStart, Reuse, Scenario};
use crate::time::SimTime;
use crate::workload::ArrivalSource;
use idle::IdleSet;

/// "No instance" in the idle links.
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
    /// The instance in `slot` finished executing its request.
    ExecDone { slot: u32, generation: u32 },
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
    /// Provisioned concurrency lowered (not an eviction).
    Released,
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
    // The request being served, if any.
    has_request: bool,
    ping: bool,
    request: u64,
    arrival: SimTime,
    exec_start: SimTime,
    cold: bool,
    phases: ColdStartPhases,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Served by an idle instance.
    Warm,
    /// Served by a newly started instance.
    Cold,
    /// Rejected by a concurrency or memory limit.
    Throttled,
}

/// One finished request, as given to a [`RequestLog`].
#[derive(Debug, Clone, Copy)]
pub struct RequestRecord<'a> {
    /// Request id, in arrival order across the scenario.
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
    /// How it ended.
    pub outcome: Outcome,
    /// The cold start it waited for.
    pub cold_start: Option<ColdStartPhases>,
    /// Whether it arrived after the warm-up and counts in the results.
    pub measured: bool,
}

/// Receives every finished request (the `--events` log).
pub trait RequestLog {
    /// Called once per request, in the order requests finish.
    fn record(&mut self, record: &RequestRecord<'_>) -> Result<()>;
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
    /// Events processed.
    pub events: u64,
}

struct FunctionState {
    idle: IdleSet,
    pc_idle: IdleSet,
    occupancy: Occupancy,
    source: ArrivalSource,
    exec_rng: SimRng,
    cold_rng: SimRng,
    route_rng: SimRng,
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
}

struct Sim<'s, 'o> {
    scenario: &'s Scenario,
    queue: EventQueue<Event>,
    instances: Vec<Instance>,
    free_slots: Vec<u32>,
    funcs: Vec<FunctionState>,
    total: Occupancy,
    /// In-flight concurrency of functions without reserved concurrency.
    unreserved_in_flight: u32,
    unreserved_limit: u32,
    next_request: u64,
    next_serial: u64,
    /// Memory held by instances, MB.
    memory_used_mb: f64,
    /// Idle on-demand instances by eviction key (only with a memory capacity).
    evictable: BTreeSet<(u64, u32)>,
    gd_clock: f64,
    granularity: SimTime,
    log: Option<&'o mut dyn RequestLog>,
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
                    sim.on_cold_start_done(now, slot);
                }
            }
            Event::ExecDone { slot, generation } => {
                if sim.current(slot, generation) {
                    sim.on_exec_done(now, slot)?;
                }
            }
            Event::Timer { slot, generation } => sim.on_timer(now, slot, generation),
            Event::Prewarm { func } => sim.on_prewarm(now, func as usize),
            Event::ScheduleStep { func, step, period } => {
                sim.on_schedule_step(now, func as usize, step as usize, period)
            }
            Event::TrackingTick { func } => sim.on_tracking_tick(now, func as usize),
            Event::Warmers { func } => sim.on_warmers(now, func as usize)?,
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
            funcs: Vec::with_capacity(scenario.functions.len()),
            total: Occupancy::default(),
            unreserved_in_flight: 0,
            unreserved_limit: scenario.platform.account_concurrency - reserved,
            next_request: 0,
            next_serial: 0,
            memory_used_mb: 0.0,
            evictable: BTreeSet::new(),
            gd_clock: 0.0,
            granularity,
            log,
        };
        for (i, f) in scenario.functions.iter().enumerate() {
            let seed = scenario.seed;
            let idx = i as u64;
            let mut source = f.workload.start(rng::stream(seed, idx, Stream::Arrivals))?;
            if let Some(t) = source.next_arrival()?
                && t < scenario.duration
            {
                sim.queue.schedule(t, Event::Arrival { func: i as u32 });
            }
            sim.funcs.push(FunctionState {
                idle: IdleSet::new(f.reuse),
                pc_idle: IdleSet::new(Reuse::Mru),
                occupancy: Occupancy::default(),
                source,
                exec_rng: rng::stream(seed, idx, Stream::Execution),
                cold_rng: rng::stream(seed, idx, Stream::ColdStart),
                route_rng: rng::stream(seed, idx, Stream::Routing),
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

    /// Starts a new instance of `f`. `request`: the request waiting for it, with its arrival
    /// and whether it is a ping. `delay` postpones the start (provisioned allocation);
    /// `instant` makes it ready at once (provisioned concurrency in place before the run).
    /// Returns `None` when it does not fit in memory.
    fn spawn(
        &mut self,
        now: SimTime,
        f: usize,
        provisioned: bool,
        request: Option<(u64, bool)>,
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
        let (has_request, ping, request) = match request {
            Some((id, ping)) => (true, ping, id),
            None => (false, false, 0),
        };
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
            has_request,
            ping,
            request,
            arrival: now,
            exec_start: ready,
            cold: true,
            phases,
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

    /// Removes an instance (any state but busy-with-a-request).
    fn free(&mut self, now: SimTime, slot: u32, cause: Cause) {
        let (f, state, provisioned, memory_mb) = {
            let i = &self.instances[slot as usize];
            (i.func as usize, i.state, i.provisioned, i.memory_mb)
        };
        debug_assert_ne!(state, State::Free);
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
        inst.has_request = false;
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

    /// Takes an idle instance of `f` for a request: provisioned first, then on-demand.
    #[inline]
    fn take_idle(&mut self, f: usize) -> Option<u32> {
        let fs = &mut self.funcs[f];
        let slot = fs
            .pc_idle
            .take(&mut self.instances, &mut fs.route_rng)
            .or_else(|| fs.idle.take(&mut self.instances, &mut fs.route_rng))?;
        if let Some(key) = self.instances[slot as usize].evict_key.take() {
            self.evictable.remove(&(key, slot));
        }
        Some(slot)
    }

    /// Serves a request (user or ping) arriving at `now`.
    fn serve(
        &mut self,
        now: SimTime,
        f: usize,
        request: u64,
        ping: bool,
        measured: bool,
    ) -> Result<()> {
        let has_pc = self.scenario.functions[f].provisioned.is_some();
        if let Some(slot) = self.take_idle(f) {
            // Warm start.
            let provisioned = self.instances[slot as usize].provisioned;
            self.shift(now, f, Some(State::Idle), Some(State::Busy));
            if provisioned {
                self.gauge(now, f, |m| &mut m.provisioned.busy, 1);
            } else {
                self.in_flight(f, false, 1);
            }
            if !ping {
                self.gauge(now, f, |m| &mut m.executions, 1);
            }
            if measured {
                let m = &mut self.funcs[f].metrics;
                if ping {
                    m.pings.pings += 1;
                } else {
                    m.warm_starts += 1;
                    if provisioned {
                        m.provisioned_served += 1;
                    } else if has_pc {
                        m.spillover += 1;
                    }
                }
            }
            self.funcs[f].requests_in_flight += 1;
            let exec = self.sample_exec(f, ping);
            let inst = &mut self.instances[slot as usize];
            inst.state = State::Busy;
            inst.has_request = true;
            inst.ping = ping;
            inst.request = request;
            inst.arrival = now;
            inst.exec_start = now;
            inst.cold = false;
            let generation = inst.generation;
            self.queue
                .schedule(now + exec, Event::ExecDone { slot, generation });
            return Ok(());
        }

        let slot = if self.has_headroom(f) {
            self.spawn(now, f, false, Some((request, ping)), SimTime::ZERO, false)
        } else {
            None
        };
        let Some(slot) = slot else {
            if measured {
                let m = &mut self.funcs[f].metrics;
                if ping {
                    m.pings.pings += 1;
                    m.pings.throttled += 1;
                } else {
                    m.throttled += 1;
                }
            }
            if let Some(log) = self.log.as_mut() {
                log.record(&RequestRecord {
                    request,
                    function: &self.scenario.functions[f].name,
                    instance: None,
                    provisioned: false,
                    ping,
                    arrival: now,
                    start: None,
                    end: now,
                    outcome: Outcome::Throttled,
                    cold_start: None,
                    measured,
                })?;
            }
            return Ok(());
        };
        // Cold start: the request waits for the new instance.
        if !ping {
            self.gauge(now, f, |m| &mut m.executions, 1);
        }
        self.funcs[f].requests_in_flight += 1;
        if measured {
            let total = self.instances[slot as usize].phases.total();
            let m = &mut self.funcs[f].metrics;
            if ping {
                m.pings.pings += 1;
                m.pings.cold += 1;
            } else {
                m.cold_starts += 1;
                m.cold_start_duration.record(total);
                if has_pc {
                    m.spillover += 1;
                }
            }
        }
        Ok(())
    }

    fn on_arrival(&mut self, now: SimTime, f: usize) -> Result<()> {
        // Keep exactly one pending arrival per source.
        if let Some(t) = self.funcs[f].source.next_arrival()?
            && t < self.scenario.duration
        {
            self.queue.schedule(t, Event::Arrival { func: f as u32 });
        }
        let request = self.next_request;
        self.next_request += 1;
        let measured = now >= self.scenario.warmup;
        if measured {
            self.funcs[f].metrics.invocations += 1;
        }
        self.note_invocation(now, f);
        self.serve(now, f, request, false, measured)
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

    fn on_cold_start_done(&mut self, now: SimTime, slot: u32) {
        let (f, has_request, provisioned, ping) = {
            let i = &self.instances[slot as usize];
            debug_assert_eq!(i.state, State::Provisioning);
            (i.func as usize, i.has_request, i.provisioned, i.ping)
        };
        if provisioned {
            self.gauge(now, f, |m| &mut m.provisioned.ready, 1);
        }
        if !has_request {
            // A provisioned or pre-warmed instance, ready and waiting.
            self.shift(now, f, Some(State::Provisioning), Some(State::Idle));
            if !provisioned {
                self.in_flight(f, false, -1);
            }
            self.make_idle(now, slot);
            return;
        }
        self.shift(now, f, Some(State::Provisioning), Some(State::Busy));
        let exec = self.sample_exec(f, ping);
        let inst = &mut self.instances[slot as usize];
        inst.state = State::Busy;
        inst.exec_start = now;
        let generation = inst.generation;
        self.queue
            .schedule(now + exec, Event::ExecDone { slot, generation });
    }

    fn on_exec_done(&mut self, now: SimTime, slot: u32) -> Result<()> {
        let (f, arrival, cold, ping, provisioned, exec_start, phases) = {
            let i = &self.instances[slot as usize];
            debug_assert_eq!(i.state, State::Busy);
            (
                i.func as usize,
                i.arrival,
                i.cold,
                i.ping,
                i.provisioned,
                i.exec_start,
                i.phases,
            )
        };
        let measured = arrival >= self.scenario.warmup;
        if measured {
            let init_billed = cold
                && self
                    .scenario
                    .platform
                    .pricing
                    .as_ref()
                    .is_some_and(|p| p.init_billed);
            let exec = now - exec_start;
            let charged = if init_billed {
                exec + phases.billed_init()
            } else {
                exec
            };
            let charged = billed(charged, self.granularity);
            let m = &mut self.funcs[f].metrics;
            if ping {
                m.usage.pings += 1;
                m.usage.pings_billed = m.usage.pings_billed + charged;
            } else if provisioned {
                m.provisioned_latency.record(now - arrival);
                m.usage.provisioned_requests += 1;
                m.usage.provisioned_billed = m.usage.provisioned_billed + charged;
            } else {
                if cold {
                    m.cold_latency.record(now - arrival);
                } else {
                    m.warm_latency.record(now - arrival);
                }
                m.usage.on_demand_requests += 1;
                m.usage.on_demand_billed = m.usage.on_demand_billed + charged;
            }
        }
        if let Some(log) = self.log.as_mut() {
            let i = &self.instances[slot as usize];
            log.record(&RequestRecord {
                request: i.request,
                function: &self.scenario.functions[f].name,
                instance: Some(i.serial),
                provisioned,
                ping,
                arrival,
                start: Some(exec_start),
                end: now,
                outcome: if cold { Outcome::Cold } else { Outcome::Warm },
                cold_start: cold.then_some(i.phases),
                measured,
            })?;
        }
        if !ping {
            self.gauge(now, f, |m| &mut m.executions, -1);
        }
        let fs = &mut self.funcs[f];
        fs.requests_in_flight -= 1;
        if fs.requests_in_flight == 0 {
            fs.last_idle_start = Some(now);
        }

        let retire = self.instances[slot as usize].retire_at <= now;
        if provisioned {
            if retire {
                // Recycled: the platform initialises a replacement in the background.
                self.free(now, slot, Cause::Lifetime);
                self.spawn(now, f, true, None, SimTime::ZERO, false);
                return Ok(());
            }
            self.gauge(now, f, |m| &mut m.provisioned.busy, -1);
            self.shift(now, f, Some(State::Busy), Some(State::Idle));
            self.make_idle(now, slot);
            return Ok(());
        }
        if retire {
            self.free(now, slot, Cause::Lifetime);
            return Ok(());
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
        Ok(())
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
            return; // In use; its next idle period arms a fresh timer.
        }
        if now >= inst.retire_at {
            let (f, provisioned) = (inst.func as usize, inst.provisioned);
            self.free(now, slot, Cause::Lifetime);
            if provisioned {
                self.spawn(now, f, true, None, SimTime::ZERO, false);
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
        if let Some(slot) = self.spawn(now, f, false, None, SimTime::ZERO, false) {
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
                if !self.has_headroom(f) || self.spawn(now, f, true, None, delay, instant).is_none()
                {
                    break; // Limits or memory: allocate what fits.
                }
            }
        } else if n < current {
            self.funcs[f].metrics.provisioned.scale_ins += 1;
            let mut excess = current - n;
            // Release initialising instances first, then idle ones, then busy ones (which
            // finish their request as on-demand instances).
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
                    if wanted == State::Busy {
                        self.instances[slot as usize].provisioned = false;
                        self.in_flight(f, true, -1);
                        self.in_flight(f, false, 1);
                        self.gauge(now, f, |m| &mut m.provisioned.allocated, -1);
                        self.gauge(now, f, |m| &mut m.provisioned.ready, -1);
                        self.gauge(now, f, |m| &mut m.provisioned.busy, -1);
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
            let request = self.next_request;
            self.next_request += 1;
            self.note_invocation(now, f);
            self.serve(now, f, request, true, measured)?;
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
            events,
        }
    }
}
