//! How long things take, and whether they fail: execution times, cold-start phases and
//! function errors, sampled from each function's own random streams.
//!
//! The component holds a copy of each function's distributions, taken when the run is
//! built, so sampling reads no scenario. Draw order per stream is part of the results'
//! contract (golden files): one execution draw per execution, the cold-start phases in
//! sandbox, network, start, init order, one failure draw per non-ping execution of a
//! function that can fail.

use rand::RngExt;

use super::instance::ColdStartPhases;
use crate::dist::Dist;
use crate::model::{ColdStart, Function};
use crate::profile::StartPhase;
use crate::rng::SimRng;
use crate::time::SimTime;

/// One function's timing model and random streams. The simulator keeps it beside the
/// function's other per-request state (locality with many functions).
pub(super) struct Timing {
    exec: Dist,
    /// Warm-up pings' execution time (when the function has warmers).
    ping_exec: Option<Dist>,
    /// Memory-speed scale of execution and init times.
    duration_scale: f64,
    /// Boxed: read only at a cold start, so it stays out of the cache lines every
    /// execution reads (this matters with many functions).
    cold_start: Box<ColdStart>,
    failure_probability: f64,
    exec_rng: SimRng,
    cold_rng: SimRng,
    fail_rng: SimRng,
}

/// A function's random streams for execution.
pub(super) struct Streams {
    /// Execution times.
    pub(super) exec: SimRng,
    /// Cold-start phases.
    pub(super) cold: SimRng,
    /// Function errors.
    pub(super) fail: SimRng,
}

impl Timing {
    /// Function `f`'s timing model, with its random streams.
    pub(super) fn new(f: &Function, s: Streams) -> Self {
        Timing {
            exec: f.exec.clone(),
            ping_exec: f.warmers.as_ref().map(|w| w.exec.clone()),
            duration_scale: f.duration_scale,
            cold_start: Box::new(f.cold_start.clone()),
            failure_probability: f.failure_probability,
            exec_rng: s.exec,
            cold_rng: s.cold,
            fail_rng: s.fail,
        }
    }

    /// An execution time (a warm-up ping's when `ping`).
    #[inline]
    pub(super) fn sample_exec(&mut self, ping: bool) -> SimTime {
        let t = self;
        let ms = match (ping, &t.ping_exec) {
            (true, Some(d)) => d.sample(&mut t.exec_rng),
            _ => t.exec.sample(&mut t.exec_rng) * t.duration_scale,
        };
        SimTime::from_ms(ms)
    }

    /// Whether an execution ends in a function error (pings never do).
    #[inline]
    pub(super) fn fails(&mut self, ping: bool) -> bool {
        let t = self;
        !ping && t.failure_probability > 0.0 && t.fail_rng.random::<f64>() < t.failure_probability
    }

    /// The phases of a cold start.
    pub(super) fn sample_cold_start(&mut self) -> ColdStartPhases {
        let t = self;
        let rng = &mut t.cold_rng;
        match &*t.cold_start {
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
                    (false, Some(i)) => SimTime::from_ms(i.sample(rng) * t.duration_scale),
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
}
