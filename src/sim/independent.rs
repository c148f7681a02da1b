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

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Event, RunOutput, Sim};
use crate::engine::{EventQueue, Model};
use crate::error::Result;
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
/// a time, stretch by stretch. `None` when the account's concurrency limit may have
/// refused a request, or an event's function cannot be told: the caller runs it
/// interleaved. Plain functions' requests take the express lane if `express`.
pub(super) fn run(
    scenario: &Scenario,
    progress: &mut Option<&mut dyn FnMut(f64)>,
    express: bool,
) -> Result<Option<RunOutput>> {
    debug_assert!(coupling(scenario).is_none());
    let mut sim = Sim::new(scenario, None, express)?;
    sim.meter.run_apart();
    sim.limits.run_apart();
    // Deal the first events out to their functions' own queues.
    let mut queues: Vec<EventQueue<Event>> = (0..scenario.functions.len())
        .map(|_| EventQueue::new())
        .collect();
    while let Some((at, event)) = sim.queue.pop() {
        let Some(f) = sim.event_function(event) else {
            return Ok(None);
        };
        queues[f.index()].schedule(at, event);
    }
    // Functions by their next event (time, then function order).
    let mut calendar: BinaryHeap<Reverse<(SimTime, u32)>> = queues
        .iter()
        .enumerate()
        .filter_map(|(i, q)| Some(Reverse((q.peek_time()?, i as u32))))
        .collect();
    let horizon = scenario.duration.as_secs();
    let mut events = 0u64;
    let mut stretch = FIRST_STRETCH;
    let mut until = SimTime::ZERO;
    while let Some(&Reverse((next, _))) = calendar.peek() {
        until = SimTime(until.0.saturating_add(stretch.0)).max(next);
        while let Some(&Reverse((at, f))) = calendar.peek()
            && at <= until
        {
            calendar.pop();
            let own = &mut queues[f as usize];
            std::mem::swap(&mut sim.queue, own);
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
                events += 1;
            }
            std::mem::swap(&mut sim.queue, &mut queues[f as usize]);
            if let Some(at) = queues[f as usize].peek_time() {
                calendar.push(Reverse((at, f)));
            }
        }
        let recorded = sim.meter.unsettled();
        sim.meter.settle_stretch();
        if !sim.limits.settle_stretch() {
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
    Ok(Some(sim.finish(events)))
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
