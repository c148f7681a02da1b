//! The platform model: functions, their instances, concurrency limits and keep-alive, driven
//! by the event queue.
//!
//! # A request's path
//! 1. **Arrival.** An idle instance of the function takes it (by the function's `reuse`
//!    rule): a warm start. Otherwise, if the function is under its reserved concurrency (or,
//!    without a reservation, the account's unreserved pool has room), a new instance starts
//!    and the request waits for its cold start. Otherwise the request is throttled (HTTP 429).
//!    Every request ends in exactly one of warm, cold, throttled.
//! 2. **Cold start done.** The instance begins executing the request.
//! 3. **Execution done.** The response time (arrival → end) is recorded; the instance turns
//!    idle and its keep-alive clock starts.
//! 4. **Keep-alive expiry.** An instance still idle `idle_s` after it last went idle is
//!    evicted.
//!
//! Concurrency counts instances that are starting or executing (Lambda's definition); idle
//! instances do not count. A function with `max_concurrency` (reserved concurrency) is
//! capped by it and does not use the shared pool; the others share
//! `account_concurrency − Σ reserved`.
//!
//! # Timers
//! Each instance has at most one pending keep-alive timer. When it fires and the instance was
//! reused meanwhile, it is re-armed at `idle_since + idle_s`; if the instance is busy, it is
//! dropped and the next idle period arms a new one. This keeps the heap at O(instances)
//! instead of one stale timer per request. Slots are recycled, so a timer carries the slot's
//! generation and is skipped when the slot has since held another instance.
//!
//! # Measurement
//! Arrivals are generated in `[0, duration)`. Requests arriving before `warmup` are simulated
//! but not counted; instance counts are time-averaged over `[warmup, duration]`. After the
//! last arrival, requests in flight run to completion.

mod idle;

use crate::engine::EventQueue;
use crate::error::Result;
use crate::metrics::{FunctionMetrics, Occupancy};
use crate::profile::StartPhase;
use crate::rng::{self, SimRng, Stream};
use crate::scenario::{ColdStart, Scenario};
use crate::time::SimTime;
use crate::workload::ArrivalSource;
use idle::IdleSet;

/// "No instance" in the idle links.
const NIL: u32 = u32::MAX;

/// How often (in events) the progress callback is called.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Something that happened at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// The next request of function `func` arrives.
    Arrival { func: u32 },
    /// The instance in `slot` finished its cold start.
    ColdStartDone { slot: u32 },
    /// The instance in `slot` finished executing its request.
    ExecDone { slot: u32 },
    /// The keep-alive timer of the instance in `slot` (if it is still generation `generation`).
    KeepAliveExpired { slot: u32, generation: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    Provisioning,
    Busy,
    Idle,
}

/// The durations of one cold start's phases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColdStartPhases {
    /// Sandbox / placement.
    pub sandbox: SimTime,
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
        self.sandbox + self.code_load + self.start + self.init
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
    idle_since: SimTime,
    timer_armed: bool,
    /// Idle-set links (see [`IdleSet`]).
    prev: u32,
    next: u32,
    // The request being served.
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
    /// Rejected by a concurrency limit.
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
    /// Events processed.
    pub events: u64,
}

struct FunctionState {
    idle: IdleSet,
    occupancy: Occupancy,
    source: ArrivalSource,
    exec_rng: SimRng,
    cold_rng: SimRng,
    route_rng: SimRng,
    metrics: FunctionMetrics,
}

struct Sim<'s, 'o> {
    scenario: &'s Scenario,
    queue: EventQueue<Event>,
    instances: Vec<Instance>,
    free_slots: Vec<u32>,
    funcs: Vec<FunctionState>,
    total: Occupancy,
    /// Starting + executing instances of functions without reserved concurrency.
    unreserved_in_flight: u32,
    unreserved_limit: u32,
    next_request: u64,
    next_serial: u64,
    log: Option<&'o mut dyn RequestLog>,
}

/// Runs a scenario to completion.
pub fn run(scenario: &Scenario, options: RunOptions<'_>) -> Result<RunOutput> {
    let RunOptions { log, mut progress } = options;
    let mut sim = Sim::new(scenario, log)?;
    let mut events: u64 = 0;
    while let Some((now, event)) = sim.queue.pop() {
        match event {
            Event::Arrival { func } => sim.on_arrival(now, func)?,
            Event::ColdStartDone { slot } => sim.on_cold_start_done(now, slot),
            Event::ExecDone { slot } => sim.on_exec_done(now, slot)?,
            Event::KeepAliveExpired { slot, generation } => sim.on_expiry(now, slot, generation),
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
                occupancy: Occupancy::default(),
                source,
                exec_rng: rng::stream(seed, idx, Stream::Execution),
                cold_rng: rng::stream(seed, idx, Stream::ColdStart),
                route_rng: rng::stream(seed, idx, Stream::Routing),
                metrics: FunctionMetrics::default(),
            });
        }
        Ok(sim)
    }

    /// Integrates instance counts up to `now` before a change to function `f`'s counts.
    #[inline]
    fn advance(&mut self, now: SimTime, f: usize) {
        let (start, end) = (self.scenario.warmup, self.scenario.duration);
        self.funcs[f].occupancy.advance(now, start, end);
        self.total.advance(now, start, end);
    }

    /// Records the maximum after a change.
    #[inline]
    fn observe(&mut self, now: SimTime, f: usize) {
        let (start, end) = (self.scenario.warmup, self.scenario.duration);
        self.funcs[f].occupancy.observe(now, start, end);
        self.total.observe(now, start, end);
    }

    #[inline]
    fn sample_exec(&mut self, f: usize) -> SimTime {
        SimTime::from_ms(
            self.scenario.functions[f]
                .exec
                .sample(&mut self.funcs[f].exec_rng),
        )
    }

    fn sample_cold_start(&mut self, f: usize) -> ColdStartPhases {
        let rng = &mut self.funcs[f].cold_rng;
        match &self.scenario.functions[f].cold_start {
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
            } => {
                let sandbox = SimTime::from_ms(sandbox.sample(rng));
                let code_load = SimTime::from_ms(*code_load_ms);
                match start {
                    StartPhase::Init(d) => ColdStartPhases {
                        sandbox,
                        code_load,
                        start: SimTime::from_ms(d.sample(rng)),
                        init: init
                            .as_ref()
                            .map_or(SimTime::ZERO, |i| SimTime::from_ms(i.sample(rng))),
                        restored: false,
                        overridden: false,
                    },
                    StartPhase::SnapshotRestore(d) => ColdStartPhases {
                        sandbox,
                        code_load,
                        start: SimTime::from_ms(d.sample(rng)),
                        init: SimTime::ZERO,
                        restored: true,
                        overridden: false,
                    },
                }
            }
        }
    }

    /// Whether function `f` may start one more instance now.
    #[inline]
    fn has_headroom(&self, f: usize) -> bool {
        let occ = &self.funcs[f].occupancy;
        match self.scenario.functions[f].max_concurrency {
            Some(reserved) => occ.busy + occ.provisioning < reserved,
            None => self.unreserved_in_flight < self.unreserved_limit,
        }
    }

    fn on_arrival(&mut self, now: SimTime, func: u32) -> Result<()> {
        let f = func as usize;
        // Keep exactly one pending arrival per source.
        if let Some(t) = self.funcs[f].source.next_arrival()?
            && t < self.scenario.duration
        {
            self.queue.schedule(t, Event::Arrival { func });
        }
        let request = self.next_request;
        self.next_request += 1;
        let measured = now >= self.scenario.warmup;
        if measured {
            self.funcs[f].metrics.invocations += 1;
        }

        let fs = &mut self.funcs[f];
        if let Some(slot) = fs.idle.take(&mut self.instances, &mut fs.route_rng) {
            // Warm start.
            self.advance(now, f);
            let occ = &mut self.funcs[f].occupancy;
            occ.idle -= 1;
            occ.busy += 1;
            self.total.idle -= 1;
            self.total.busy += 1;
            if self.scenario.functions[f].max_concurrency.is_none() {
                self.unreserved_in_flight += 1;
            }
            if measured {
                self.funcs[f].metrics.warm_starts += 1;
            }
            let exec = self.sample_exec(f);
            let inst = &mut self.instances[slot as usize];
            debug_assert_eq!(inst.state, State::Idle);
            inst.state = State::Busy;
            inst.request = request;
            inst.arrival = now;
            inst.exec_start = now;
            inst.cold = false;
            self.queue.schedule(now + exec, Event::ExecDone { slot });
            return Ok(());
        }

        if !self.has_headroom(f) {
            if measured {
                self.funcs[f].metrics.throttled += 1;
            }
            if let Some(log) = self.log.as_mut() {
                log.record(&RequestRecord {
                    request,
                    function: &self.scenario.functions[f].name,
                    instance: None,
                    arrival: now,
                    start: None,
                    end: now,
                    outcome: Outcome::Throttled,
                    cold_start: None,
                    measured,
                })?;
            }
            return Ok(());
        }

        // Cold start: a new instance, and the request waits for it.
        let phases = self.sample_cold_start(f);
        let ready = now + phases.total();
        if measured {
            let m = &mut self.funcs[f].metrics;
            m.cold_starts += 1;
            m.cold_start_duration.record(phases.total());
        }
        self.advance(now, f);
        self.funcs[f].occupancy.provisioning += 1;
        self.total.provisioning += 1;
        if self.scenario.functions[f].max_concurrency.is_none() {
            self.unreserved_in_flight += 1;
        }
        self.observe(now, f);
        let serial = self.next_serial;
        self.next_serial += 1;
        let fresh = Instance {
            func,
            generation: 0,
            state: State::Provisioning,
            serial,
            idle_since: now,
            timer_armed: false,
            prev: NIL,
            next: NIL,
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
        self.queue.schedule(ready, Event::ColdStartDone { slot });
        Ok(())
    }

    fn on_cold_start_done(&mut self, now: SimTime, slot: u32) {
        let f = self.instances[slot as usize].func as usize;
        debug_assert_eq!(self.instances[slot as usize].state, State::Provisioning);
        self.advance(now, f);
        self.funcs[f].occupancy.provisioning -= 1;
        self.funcs[f].occupancy.busy += 1;
        self.total.provisioning -= 1;
        self.total.busy += 1;
        let exec = self.sample_exec(f);
        let inst = &mut self.instances[slot as usize];
        inst.state = State::Busy;
        inst.exec_start = now;
        self.queue.schedule(now + exec, Event::ExecDone { slot });
    }

    fn on_exec_done(&mut self, now: SimTime, slot: u32) -> Result<()> {
        let (f, arrival, cold) = {
            let i = &self.instances[slot as usize];
            debug_assert_eq!(i.state, State::Busy);
            (i.func as usize, i.arrival, i.cold)
        };
        let measured = arrival >= self.scenario.warmup;
        if measured {
            let m = &mut self.funcs[f].metrics;
            if cold {
                m.cold_latency.record(now - arrival);
            } else {
                m.warm_latency.record(now - arrival);
            }
        }
        if let Some(log) = self.log.as_mut() {
            let i = &self.instances[slot as usize];
            log.record(&RequestRecord {
                request: i.request,
                function: &self.scenario.functions[f].name,
                instance: Some(i.serial),
                arrival,
                start: Some(i.exec_start),
                end: now,
                outcome: if cold { Outcome::Cold } else { Outcome::Warm },
                cold_start: cold.then_some(i.phases),
                measured,
            })?;
        }

        self.advance(now, f);
        self.funcs[f].occupancy.busy -= 1;
        self.funcs[f].occupancy.idle += 1;
        self.total.busy -= 1;
        self.total.idle += 1;
        if self.scenario.functions[f].max_concurrency.is_none() {
            self.unreserved_in_flight -= 1;
        }
        let inst = &mut self.instances[slot as usize];
        inst.state = State::Idle;
        inst.idle_since = now;
        let arm = !inst.timer_armed;
        inst.timer_armed = true;
        let generation = inst.generation;
        self.funcs[f].idle.push(slot, &mut self.instances);
        if arm {
            let deadline = self.scenario.functions[f].keep_alive.deadline(now);
            self.queue
                .schedule(deadline, Event::KeepAliveExpired { slot, generation });
        }
        Ok(())
    }

    fn on_expiry(&mut self, now: SimTime, slot: u32, generation: u32) {
        let inst = &mut self.instances[slot as usize];
        if inst.generation != generation || inst.state == State::Free {
            return; // Stale: the slot has been recycled since this timer was set.
        }
        inst.timer_armed = false;
        if inst.state != State::Idle {
            return; // Busy again; its next idle period arms a fresh timer.
        }
        let f = inst.func as usize;
        let deadline = self.scenario.functions[f]
            .keep_alive
            .deadline(inst.idle_since);
        if now < deadline {
            // Reused and idle again since the timer was set: wait for the new deadline.
            inst.timer_armed = true;
            self.queue
                .schedule(deadline, Event::KeepAliveExpired { slot, generation });
            return;
        }
        inst.state = State::Free;
        self.funcs[f].idle.remove(slot, &mut self.instances);
        self.free_slots.push(slot);
        self.advance(now, f);
        self.funcs[f].occupancy.idle -= 1;
        self.total.idle -= 1;
        if now >= self.scenario.warmup && now <= self.scenario.duration {
            self.funcs[f].metrics.evictions += 1;
        }
    }

    fn finish(mut self, events: u64) -> RunOutput {
        // Close the window: integrate whatever is left up to the end of the horizon.
        let (start, end) = (self.scenario.warmup, self.scenario.duration);
        for f in &mut self.funcs {
            f.occupancy.advance(end, start, end);
        }
        self.total.advance(end, start, end);
        let (functions, occupancy) = self
            .funcs
            .into_iter()
            .map(|f| (f.metrics, f.occupancy))
            .unzip();
        RunOutput {
            functions,
            occupancy,
            total_occupancy: self.total,
            events,
        }
    }
}
