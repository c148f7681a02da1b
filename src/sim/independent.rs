//! Running functions apart: when a scenario's functions share nothing, each is simulated on
//! its own, one after another, over a stretch of simulated time.
//!
//! # Why
//! With tens of thousands of functions (a public trace replayed), consecutive events of one
//! interleaved event queue belong to different functions, so each touches a function's
//! state, arrivals, timing tables and histograms that have left the processor's caches.
//! Taking one function's events of a whole stretch together keeps its state in cache,
//! and the heap each event goes through is that function's own (a few entries).
//!
//! # Why it gives the same answer
//! Every function has its own random streams, its own state and its own events, so what
//! happens to it depends only on its own events, which it handles in the same order (time,
//! then the order they were scheduled) either way. Two things add up over functions and are
//! rebuilt from time-ordered changes at the end of each stretch (`merged.rs`):
//! - the fleet's instance count, for its largest value (its average is the sum of each
//!   function's, exactly);
//! - the account's shared concurrency. Requests do not see the account's limit while
//!   functions run apart; after each stretch the replayed count is checked to have stayed
//!   below it at every instant whatever the order of simultaneous changes. If it may
//!   have reached it, a request could have been refused, and the whole run is done again
//!   interleaved.
//!
//! A scenario runs apart only when nothing else ties functions together ([`coupling`]):
//! no calls between functions, no queue, stream or workflow, no database, no memory
//! capacity, no account-wide scale-out bucket, no provisioned concurrency (its release
//! order scans instances in slot order, which depends on other functions), no fleet CPU
//! demand, and no request log (it wants every record in time order). The results are
//! byte-identical to the interleaved loop's except for one tie rule: when instances of
//! different functions appear and go away at the same nanosecond, the fleet's largest
//! count takes those changes in function order rather than in the order they were
//! scheduled (`tests/independent.rs` compares both loops).
//!
//! # Threads
//! Since functions share nothing, they can also be split among threads: each thread
//! builds its own simulation state and runs its share of the functions (every
//! `threads`-th one) over the same stretches; at the end of each stretch the threads hand
//! over what adds up (the instance changes and the concurrency bounds), and the stretch's
//! totals are settled from all of them together. At the end, each function's results
//! come from its thread. What a function does depends only on its own events, and the
//! totals are rebuilt in the same order whatever the split (`merged.rs`), so the results
//! are byte-identical for any number of threads (`tests/independent.rs` checks it).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::mpsc::{Receiver, Sender, channel};

use super::merged::{Change, Changes, Peak};
use super::{Event, RunOutput, Sim};
use crate::engine::{EventQueue, Model};
use crate::error::Result;
use crate::metrics::Occupancy;
use crate::model::{FunctionId, Scenario};
use crate::time::SimTime;

/// From this many functions on, functions that share nothing run apart. With fewer, their
/// states stay in cache anyway and one queue is as fast.
pub const APART_FROM_FUNCTIONS: usize = 16;

/// Each stretch aims at about this many recorded changes of the shared counts (16 bytes
/// each; two per request): the stretch doubles while it records a quarter of it or less,
/// and halves when it records more.
const STRETCH_CHANGES: usize = 1 << 20;

/// The first stretch, and the shortest and longest ones.
const FIRST_STRETCH: SimTime = SimTime(1_000_000_000);
const SHORTEST_STRETCH: SimTime = SimTime(1_000_000); // 1 ms
const LONGEST_STRETCH: SimTime = SimTime(3_600_000_000_000);

/// What ties a scenario's functions together so that they must share one event queue, if
/// anything (`None`: they may run apart).
pub fn coupling(scenario: &Scenario) -> Option<&'static str> {
    let functions = &scenario.functions;
    let platform = &scenario.platform;
    if functions.len() < APART_FROM_FUNCTIONS {
        Some("few functions")
    } else if !scenario.sources.is_empty() {
        Some("queues, streams or workflows")
    } else if !scenario.databases.is_empty() {
        Some("databases")
    } else if functions.iter().any(|f| !f.calls.is_empty()) {
        Some("calls between functions")
    } else if functions.iter().any(|f| f.provisioned.is_some()) {
        Some("provisioned concurrency")
    } else if functions.iter().any(|f| f.cpu_share() > 0.0) {
        Some("fleet CPU demand")
    } else if platform.memory_capacity_mb.is_some() {
        Some("a memory capacity")
    } else if platform.scale_out.account.is_some() {
        Some("an account-wide scale-out bucket")
    } else {
        None
    }
}

/// Runs `scenario` (whose functions share nothing: [`coupling`] is `None`) one function at
/// a time, stretch by stretch, its functions split among `threads` threads (1: on this
/// one; the results are the same for any number). `None` when the account's concurrency
/// limit may have refused a request, or an event's function cannot be told: the caller
/// runs it interleaved. Plain functions' requests take the express lane if `express`.
pub(super) fn run(
    scenario: &Scenario,
    progress: &mut Option<&mut dyn FnMut(f64)>,
    express: bool,
    threads: usize,
) -> Result<Option<RunOutput>> {
    debug_assert!(coupling(scenario).is_none());
    let threads = threads.clamp(1, scenario.functions.len());
    // Thread 0 is this one; the others (if any) are spawned and take orders by channel.
    std::thread::scope(|scope| {
        let mut crew = Vec::with_capacity(threads - 1);
        for index in 1..threads {
            let (orders, orders_rx) = channel::<Order>();
            let (reports_tx, reports) = channel::<Report>();
            let share = Share { index, of: threads };
            scope.spawn(move || serve(scenario, express, share, &orders_rx, &reports_tx));
            crew.push((orders, reports));
        }
        let share = Share {
            index: 0,
            of: threads,
        };
        let Some(mut own) = Worker::new(scenario, express, share)? else {
            return Ok(None);
        };
        // Each other thread first says whether its functions can run apart.
        for (_, reports) in &crew {
            match reports.recv().expect("a worker thread stopped") {
                Report::Ready(Ok(true)) => {}
                Report::Ready(Ok(false)) => return Ok(None),
                Report::Ready(Err(e)) => return Err(e),
                _ => unreachable!("a worker first reports whether it is ready"),
            }
        }
        let window = own.sim.meter.window();
        let limit = own.sim.limits.account_limit();
        let mut all = |until: Option<SimTime>| -> Result<Vec<Stretch>> {
            for (orders, _) in &crew {
                orders
                    .send(until.map_or(Order::Report, Order::Run))
                    .expect("a worker thread stopped");
            }
            let mut stretches = Vec::with_capacity(threads);
            stretches.push(match until {
                Some(until) => own.stretch(until),
                None => Stretch::waiting(own.next()),
            });
            for (_, reports) in &crew {
                match reports.recv().expect("a worker thread stopped") {
                    Report::Stretch(s) => stretches.push(s),
                    _ => unreachable!("a worker reports each stretch"),
                }
            }
            Ok(stretches)
        };
        let Some(max_total) = coordinate(scenario, progress, window, limit, &mut all)? else {
            return Ok(None);
        };
        let mut outputs = Vec::with_capacity(threads);
        outputs.push(own.finish());
        for (orders, reports) in &crew {
            orders.send(Order::Finish).expect("a worker thread stopped");
            match reports.recv().expect("a worker thread stopped") {
                Report::Done(out) => outputs.push(*out),
                _ => unreachable!("a worker hands its results back when told to finish"),
            }
        }
        Ok(Some(combine(outputs, max_total)))
    })
}

/// Runs the stretches: asks `crew` to run every function up to the stretch's end (or,
/// given `None`, only to say when each thread's next event is), replays the instance
/// changes the threads report for the fleet's largest count, and checks the account's
/// limit. Returns that largest count, or `None` when the limit may have refused a request.
fn coordinate(
    scenario: &Scenario,
    progress: &mut Option<&mut dyn FnMut(f64)>,
    (start, end): (SimTime, SimTime),
    limit: u64,
    crew: &mut dyn FnMut(Option<SimTime>) -> Result<Vec<Stretch>>,
) -> Result<Option<u32>> {
    let horizon = scenario.duration.as_secs();
    let mut peak = Peak::default();
    let mut changes = Changes::default();
    let mut stretch = FIRST_STRETCH;
    let mut until = SimTime::ZERO;
    let mut reports = crew(None)?;
    while let Some(next) = reports.iter().filter_map(|r| r.next).min() {
        until = SimTime(until.0.saturating_add(stretch.0)).max(next);
        reports = crew(Some(until))?;
        // The error the functions would meet first, run in one thread: the earliest
        // function visit (time, then function) that failed.
        if let Some((_, e)) = reports
            .iter_mut()
            .filter_map(|r| r.failure.take())
            .min_by_key(|(visit, _)| *visit)
        {
            return Err(e);
        }
        let bound: u64 = reports.iter().map(|r| r.bound).sum();
        for r in &mut reports {
            changes.append(&mut r.changes);
        }
        let recorded = changes.len();
        for c in changes.drain_sorted() {
            peak.apply(c, start, end);
        }
        if bound >= limit {
            return Ok(None);
        }
        if recorded > STRETCH_CHANGES {
            stretch = SimTime(stretch.0 / 2).max(SHORTEST_STRETCH);
        } else if recorded <= STRETCH_CHANGES / 4 {
            stretch = SimTime(stretch.0 * 2).min(LONGEST_STRETCH);
        }
        if let Some(p) = progress.as_mut() {
            p((until.as_secs() / horizon).min(1.0));
        }
    }
    Ok(Some(peak.finish(start, end)))
}

/// The results of the threads' runs put together: each function's from the thread that
/// ran it (thread `t` of `k` ran functions `t`, `t + k`, …), the counts summed, and the
/// fleet's total from every function's with its largest value `max_total`.
fn combine(outputs: Vec<RunOutput>, max_total: u32) -> RunOutput {
    if outputs.len() == 1 {
        let mut out = outputs.into_iter().next().expect("one");
        out.total_occupancy = Occupancy::combined(out.occupancy.iter(), max_total);
        return out;
    }
    let n: usize = outputs.iter().map(|o| o.functions.len()).sum();
    let mut functions = Vec::with_capacity(n);
    let mut occupancy = Vec::with_capacity(n);
    let mut provisioned_final = Vec::with_capacity(n);
    let mut cpu_demand = Vec::with_capacity(n);
    let (mut events, mut express_requests) = (0, 0);
    let mut parts = Vec::with_capacity(outputs.len());
    let mut rest = None;
    for o in outputs {
        events += o.events;
        express_requests += o.express_requests;
        parts.push((
            o.functions.into_iter(),
            o.occupancy.into_iter(),
            o.provisioned_final.into_iter(),
            o.cpu_demand.into_iter(),
        ));
        // What the functions do not split (none of it is used when functions run apart:
        // no databases, sources or CPU demand), taken from the first thread.
        rest.get_or_insert((o.total_cpu_demand, o.databases, o.sources, o.ran_apart));
    }
    for f in 0..n {
        let k = parts.len();
        let (fm, occ, pc, cpu) = &mut parts[f % k];
        functions.push(fm.next().expect("thread's share"));
        occupancy.push(occ.next().expect("thread's share"));
        provisioned_final.push(pc.next().expect("thread's share"));
        cpu_demand.push(cpu.next().expect("thread's share"));
    }
    let (total_cpu_demand, databases, sources, ran_apart) = rest.expect("at least one thread");
    RunOutput {
        total_occupancy: Occupancy::combined(occupancy.iter(), max_total),
        functions,
        occupancy,
        provisioned_final,
        cpu_demand,
        total_cpu_demand,
        databases,
        sources,
        events,
        ran_apart,
        express_requests,
    }
}

/// Which functions a thread runs: every `of`-th one from `index` (round robin, so that
/// each thread gets some of the trace's busy functions and some of its quiet ones).
#[derive(Debug, Clone, Copy)]
struct Share {
    index: usize,
    of: usize,
}

/// What the coordinating thread asks of a worker thread.
enum Order {
    /// Run up to and including this time, then report.
    Run(SimTime),
    /// Report when the next event is, without running (the stretch stays open).
    Report,
    /// Hand the results back.
    Finish,
}

/// What a worker thread reports.
enum Report {
    /// Whether its functions can run apart (`false`: an event's function cannot be told).
    Ready(Result<bool>),
    Stretch(Stretch),
    Done(Box<RunOutput>),
}

/// One thread's account of a stretch.
struct Stretch {
    /// Its functions' instance changes, in the order made.
    changes: Vec<Change>,
    /// The most its functions' shared concurrency can have been ([`super::limits`]).
    bound: u64,
    /// When its next event is, if it has one.
    next: Option<SimTime>,
    /// The first error, with the function visit it happened in (time, function).
    failure: Option<((SimTime, u32), crate::Error)>,
}

impl Stretch {
    /// Nothing run yet: only when the next event is.
    fn waiting(next: Option<SimTime>) -> Stretch {
        Stretch {
            changes: Vec::new(),
            bound: 0,
            next,
            failure: None,
        }
    }
}

/// A worker thread: builds its share of the simulation and follows the orders.
fn serve(
    scenario: &Scenario,
    express: bool,
    share: Share,
    orders: &Receiver<Order>,
    reports: &Sender<Report>,
) {
    let mut worker = match Worker::new(scenario, express, share) {
        Ok(Some(w)) => w,
        Ok(None) => {
            let _ = reports.send(Report::Ready(Ok(false)));
            return;
        }
        Err(e) => {
            let _ = reports.send(Report::Ready(Err(e)));
            return;
        }
    };
    if reports.send(Report::Ready(Ok(true))).is_err() {
        return;
    }
    // The coordinator drops its end when it stops early: the loop ends.
    while let Ok(order) = orders.recv() {
        let report = match order {
            Order::Run(until) => Report::Stretch(worker.stretch(until)),
            Order::Report => Report::Stretch(Stretch::waiting(worker.next())),
            Order::Finish => {
                let _ = reports.send(Report::Done(Box::new(worker.finish())));
                return;
            }
        };
        if reports.send(report).is_err() {
            return;
        }
    }
}

/// One thread's share of the functions, with its own simulation state: each function's
/// own event queue, and the functions by their next event.
struct Worker<'s> {
    sim: Sim<'s, 's>,
    queues: Vec<EventQueue<Event>>,
    /// Functions by their next event (time, then function order).
    calendar: BinaryHeap<Reverse<(SimTime, u32)>>,
    events: u64,
    failure: Option<((SimTime, u32), crate::Error)>,
}

impl<'s> Worker<'s> {
    /// The simulation of `scenario`'s functions in `share`; `None` when an event's function
    /// cannot be told.
    fn new(scenario: &'s Scenario, express: bool, share: Share) -> Result<Option<Self>> {
        let members: Vec<FunctionId> = (share.index..scenario.functions.len())
            .step_by(share.of)
            .map(FunctionId::new)
            .collect();
        let mut sim = Sim::of_members(scenario, members, None, express)?;
        sim.meter.run_apart();
        sim.limits.run_apart();
        // Deal the first events out to their functions' own queues.
        let mut queues: Vec<EventQueue<Event>> =
            (0..sim.members.len()).map(|_| EventQueue::new()).collect();
        while let Some((at, event)) = sim.queue.pop() {
            let Some(f) = sim.event_function(event) else {
                return Ok(None);
            };
            queues[f.index()].schedule(at, event);
        }
        let calendar = queues
            .iter()
            .enumerate()
            .filter_map(|(i, q)| Some(Reverse((q.peek_time()?, i as u32))))
            .collect();
        Ok(Some(Worker {
            sim,
            queues,
            calendar,
            events: 0,
            failure: None,
        }))
    }

    /// Runs its functions' events up to and including `until`, one function at a time in
    /// the order of their next event, and reports the stretch. Stops at the first error.
    fn stretch(&mut self, until: SimTime) -> Stretch {
        while self.failure.is_none()
            && let Some(&Reverse((at, f))) = self.calendar.peek()
            && at <= until
        {
            self.calendar.pop();
            std::mem::swap(&mut self.sim.queue, &mut self.queues[f as usize]);
            if let Err(e) = self.run_function(f, until) {
                let global = self.sim.members[f as usize].index() as u32;
                self.failure = Some(((at, global), e));
            }
            std::mem::swap(&mut self.sim.queue, &mut self.queues[f as usize]);
            if let Some(at) = self.queues[f as usize].peek_time() {
                self.calendar.push(Reverse((at, f)));
            }
        }
        let mut changes = self.sim.meter.take_changes();
        // Functions by their ids in the scenario, for the order of simultaneous changes.
        for c in &mut changes {
            c.func = self.sim.members[c.func.index()];
        }
        Stretch {
            changes,
            bound: self.sim.limits.close_stretch(),
            next: self.next(),
            failure: self.failure.take(),
        }
    }

    /// Handles function `f`'s events (its queue is the simulation's now) up to `until`.
    fn run_function(&mut self, f: u32, until: SimTime) -> Result<()> {
        let sim = &mut self.sim;
        while let Some(at) = sim.queue.peek_time()
            && at <= until
        {
            let (now, event) = sim.queue.pop().expect("peeked");
            debug_assert!(
                sim.event_function(event)
                    .is_none_or(|g| g.index() == f as usize),
                "function {f} handled another function's event {event:?}"
            );
            sim.handle(now, event)?;
            self.events += 1;
        }
        Ok(())
    }

    /// When its next event is, if it has one.
    fn next(&self) -> Option<SimTime> {
        self.calendar.peek().map(|&Reverse((at, _))| at)
    }

    /// Its functions' results, in the order of their ids.
    fn finish(self) -> RunOutput {
        self.sim.finish(self.events)
    }
}

impl Sim<'_, '_> {
    /// The function an event belongs to, where it can be told (a stale instance or request
    /// and an asynchronous retry cannot).
    fn event_function(&self, event: Event) -> Option<FunctionId> {
        match event {
            Event::Arrival { func }
            | Event::Prewarm { func }
            | Event::ScheduleStep { func, .. }
            | Event::ProvisionedTick { func }
            | Event::Warmers { func }
            | Event::PendingExpire { func, .. }
            | Event::PendingPoll { func }
            | Event::Autoscale { func } => Some(func),
            Event::ColdStartDone { instance }
            | Event::SharedDone { instance, .. }
            | Event::Timer { instance } => self
                .instances
                .is_current(instance)
                .then(|| self.instances[instance.index()].func),
            Event::ExecDone { req } | Event::Timeout { req } | Event::ConnectionTimeout { req } => {
                let slot = self
                    .reqs
                    .is_current(req)
                    .then(|| self.reqs[req.index()].slot)?;
                (slot != super::NIL).then(|| self.instances[slot].func)
            }
            Event::Retry { .. } | Event::Source(_) => None,
        }
    }
}
