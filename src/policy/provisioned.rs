//! Provisioned concurrency: how many pre-initialised instances a function keeps allocated.
//!
//! The policy only says how many ([`Provisioned::initial`], the schedule, or the
//! target-tracking [`Tracker::evaluate`] decision); the platform allocates and releases
//! instances. Allocated instances count against the function's (or the account's)
//! concurrency, are used before on-demand instances, are never evicted by keep-alive, and
//! requests spill over to on-demand instances when all of them are busy.
//!
//! - `fixed`: `count` instances, initialised before the run starts.
//! - `scheduled`: the count changes at the given offsets (optionally repeating every
//!   `repeat_s`, e.g. daily); a step at time 0 is in place when the run starts, later
//!   increases take `allocation_delay_s` plus one cold start per instance; decreases
//!   release idle instances at once and busy ones when they finish.
//! - `target_tracking`: Application Auto Scaling target tracking on provisioned
//!   utilisation. Every `interval_s` the utilisation over the last interval (busy
//!   provisioned instance-time / ready provisioned instance-time) is compared with the
//!   target: above it for `scale_out_periods` consecutive evaluations → scale out; below
//!   `scale_in_ratio` × target (AWS: 90 %, i.e. 63 % for a 70 % target) for
//!   `scale_in_periods` consecutive evaluations → scale in. The new count is
//!   ceil(busy / target) (busy = utilisation × ready), clamped to [min, max], and no
//!   scale-out (scale-in) happens within `scale_out_cooldown_s` (`scale_in_cooldown_s`)
//!   of the previous one.
//!
//! # Policies of your own
//! A library user adds a policy without forking: implement [`ProvisionedPolicy`] (a count
//! at the start, an evaluation interval and a fresh per-function [`ProvisionedRun`]) and
//! put it in a function's `provisioned` as [`Provisioned::Custom`]. Every interval its run
//! sees the provisioned load of the last interval ([`ProvisionedLoad`]) and may ask for a
//! new count. Built-in policies stay enum variants and pay nothing for this.

use std::sync::Arc;

use serde::Deserialize;

use crate::config::check;
use crate::error::FieldError;
use crate::time::SimTime;

/// The `provisioned` object of a function, as written.
// Deserialize: `json::tagged!` below, so errors inside a variant keep their field path.
#[derive(Debug, Clone, PartialEq)]
pub enum ProvisionedSpec {
    /// `{"policy": "fixed", "count": 10}`
    Fixed(FixedSpec),
    /// `{"policy": "scheduled", "steps": [{"at_s": 0, "count": 2}, ...]}`
    Scheduled(ScheduledSpec),
    /// `{"policy": "target_tracking", "target": 0.7, "min": 1, "max": 100}`
    TargetTracking(TrackingSpec),
}

crate::json::tagged!(ProvisionedSpec, "policy", {
    "fixed" => Fixed(FixedSpec),
    "scheduled" => Scheduled(ScheduledSpec),
    "target_tracking" => TargetTracking(TrackingSpec),
});

/// A fixed count.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FixedSpec {
    /// Instances kept allocated.
    pub count: u32,
}

/// One step of a schedule.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Offset from the start of the run (or of each period), seconds.
    pub at_s: f64,
    /// Instances from then on.
    pub count: u32,
}

/// A schedule of counts.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduledSpec {
    /// Steps, in increasing `at_s`.
    pub steps: Vec<Step>,
    /// Repeat the schedule with this period, seconds (86400 for a daily schedule).
    #[serde(default)]
    pub repeat_s: Option<f64>,
    /// Delay before new instances start initialising (default: the platform's).
    #[serde(default)]
    pub allocation_delay_s: Option<f64>,
}

fn d_target() -> f64 {
    0.7
}
fn d_interval() -> f64 {
    60.0
}
fn d_out_periods() -> u32 {
    3
}
fn d_in_periods() -> u32 {
    15
}
fn d_in_ratio() -> f64 {
    0.9
}
fn d_out_cool() -> f64 {
    60.0
}
fn d_in_cool() -> f64 {
    300.0
}
fn d_min() -> u32 {
    1
}

/// Target tracking on utilisation.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrackingSpec {
    /// Target utilisation (default 0.7, the AWS documentation's example).
    #[serde(default = "d_target")]
    pub target: f64,
    /// Fewest instances (default 1).
    #[serde(default = "d_min")]
    pub min: u32,
    /// Most instances.
    pub max: u32,
    /// Evaluation interval, seconds (default 60: CloudWatch's 1-minute metric).
    #[serde(default = "d_interval")]
    pub interval_s: f64,
    /// Consecutive evaluations above target before scaling out (default 3).
    #[serde(default = "d_out_periods")]
    pub scale_out_periods: u32,
    /// Consecutive evaluations below the scale-in threshold before scaling in (default 15).
    #[serde(default = "d_in_periods")]
    pub scale_in_periods: u32,
    /// Scale-in threshold as a fraction of the target (default 0.9).
    #[serde(default = "d_in_ratio")]
    pub scale_in_ratio: f64,
    /// No scale-out within this many seconds of the last one (default 60).
    #[serde(default = "d_out_cool")]
    pub scale_out_cooldown_s: f64,
    /// No scale-in within this many seconds of the last scaling action (default 300).
    #[serde(default = "d_in_cool")]
    pub scale_in_cooldown_s: f64,
    /// Delay before new instances start initialising (default: the platform's).
    #[serde(default)]
    pub allocation_delay_s: Option<f64>,
}

/// A validated provisioned-concurrency policy.
#[derive(Debug, Clone)]
pub enum Provisioned {
    /// A fixed count.
    Fixed(u32),
    /// A schedule.
    Scheduled {
        /// `(offset, count)`, offsets increasing.
        steps: Vec<(SimTime, u32)>,
        /// Repeat period.
        repeat: Option<SimTime>,
        /// Allocation delay (None: the platform's).
        delay: Option<SimTime>,
    },
    /// Target tracking.
    Tracking(TrackingParams),
    /// A policy of the library user's own (not in scenario files).
    Custom(Arc<dyn ProvisionedPolicy>),
}

impl PartialEq for Provisioned {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Provisioned::Fixed(a), Provisioned::Fixed(b)) => a == b,
            (
                Provisioned::Scheduled {
                    steps: a,
                    repeat: ra,
                    delay: da,
                },
                Provisioned::Scheduled {
                    steps: b,
                    repeat: rb,
                    delay: db,
                },
            ) => a == b && ra == rb && da == db,
            (Provisioned::Tracking(a), Provisioned::Tracking(b)) => a == b,
            // The same policy object.
            (Provisioned::Custom(a), Provisioned::Custom(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A provisioned-concurrency policy of one's own: what [`Provisioned::Custom`] carries.
///
/// The policy object is shared by every run of a scenario; each function of each run gets
/// its own state from [`start`](Self::start). The platform allocates what its limits
/// allow (a count above the concurrency limit allocates up to the limit).
pub trait ProvisionedPolicy: std::fmt::Debug + Send + Sync {
    /// A short name, for results.
    fn name(&self) -> &'static str;
    /// Instances allocated before the run (ready at time 0).
    fn initial(&self) -> u32;
    /// How often the policy is consulted (the first time one interval after the start).
    fn interval(&self) -> SimTime;
    /// A fresh state for one function, at the start of a run.
    fn start(&self) -> Box<dyn ProvisionedRun>;
}

/// What a provisioned-concurrency policy sees at an evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProvisionedLoad {
    /// Busy provisioned instances, time-averaged over the last interval.
    pub busy: f64,
    /// Ready (initialised) provisioned instances, time-averaged over the last interval.
    pub ready: f64,
    /// Provisioned instances allocated now.
    pub allocated: u32,
}

/// One function's state under a custom provisioned-concurrency policy, over one run.
pub trait ProvisionedRun {
    /// An evaluation at `now`: the new count to allocate, or `None` to keep the current.
    fn evaluate(&mut self, now: SimTime, load: ProvisionedLoad) -> Option<u32>;
}

/// A change of a function's provisioned count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The count to allocate.
    pub count: u32,
    /// The allocation delay of new instances (`None`: the platform's).
    pub delay: Option<SimTime>,
}

/// A provisioned-concurrency policy's state for one function over a run.
pub enum ProvisionedState {
    /// A fixed count: nothing to do after the start.
    Fixed,
    /// A schedule of counts.
    Scheduled {
        /// `(offset, count)`, offsets increasing.
        steps: Vec<(SimTime, u32)>,
        /// Repeat period.
        repeat: Option<SimTime>,
        /// Allocation delay (None: the platform's).
        delay: Option<SimTime>,
    },
    /// Periodic evaluations: target tracking or a custom policy.
    Periodic {
        /// The evaluation interval.
        interval: SimTime,
        /// The policy that decides.
        decider: Periodic,
        /// Busy and ready provisioned areas (instance-ns) at the last evaluation.
        busy_area: u128,
        /// See `busy_area`.
        ready_area: u128,
    },
}

/// The deciding part of a periodic policy.
pub enum Periodic {
    /// Target tracking, with its parameters and state.
    Tracking(TrackingParams, Tracker),
    /// A custom policy's state.
    Custom(Box<dyn ProvisionedRun>),
}

impl ProvisionedState {
    /// The step to wake up for next, from step `step` of period `period` on: `(time,
    /// step, period)`, or `None` when the schedule has no step left (or is no schedule).
    pub fn next_step(&self, step: usize, period: u32) -> Option<(SimTime, usize, u32)> {
        let ProvisionedState::Scheduled { steps, repeat, .. } = self else {
            return None;
        };
        let (step, period) = match (step < steps.len(), repeat) {
            (true, _) => (step, period),
            (false, Some(_)) => (0, period + 1),
            (false, None) => return None,
        };
        let offset = repeat.map_or(SimTime::ZERO, |r| {
            SimTime(r.0.saturating_mul(u64::from(period)))
        });
        Some((offset + steps[step].0, step, period))
    }

    /// The first step to wake up for (a step at time 0 is already in place).
    pub fn first_step(&self) -> Option<(SimTime, usize, u32)> {
        let ProvisionedState::Scheduled { steps, .. } = self else {
            return None;
        };
        self.next_step(usize::from(steps[0].0 == SimTime::ZERO), 0)
    }

    /// The change that step `step` of a schedule makes.
    pub fn step_change(&self, step: usize) -> Option<Change> {
        let ProvisionedState::Scheduled { steps, delay, .. } = self else {
            return None;
        };
        Some(Change {
            count: steps[step].1,
            delay: *delay,
        })
    }

    /// The evaluation interval of a periodic policy.
    pub fn interval(&self) -> Option<SimTime> {
        match self {
            ProvisionedState::Periodic { interval, .. } => Some(*interval),
            _ => None,
        }
    }

    /// A periodic evaluation at `now`: `busy_area` and `ready_area` are the provisioned
    /// gauges' areas (instance-ns) since the start, `allocated` the count now.
    pub fn evaluate(
        &mut self,
        now: SimTime,
        busy_area: u128,
        ready_area: u128,
        allocated: u32,
    ) -> Option<Change> {
        let ProvisionedState::Periodic {
            interval,
            decider,
            busy_area: last_busy,
            ready_area: last_ready,
        } = self
        else {
            return None;
        };
        let span = interval.0 as f64;
        let load = ProvisionedLoad {
            busy: (busy_area - *last_busy) as f64 / span,
            ready: (ready_area - *last_ready) as f64 / span,
            allocated,
        };
        *last_busy = busy_area;
        *last_ready = ready_area;
        match decider {
            Periodic::Tracking(p, tracker) => tracker
                .evaluate(p, now, load.busy, load.ready, allocated)
                .map(|count| Change {
                    count,
                    delay: p.delay,
                }),
            Periodic::Custom(run) => run
                .evaluate(now, load)
                .map(|count| Change { count, delay: None }),
        }
    }
}

/// Validated target-tracking parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingParams {
    /// Target utilisation.
    pub target: f64,
    /// Fewest instances.
    pub min: u32,
    /// Most instances.
    pub max: u32,
    /// Evaluation interval.
    pub interval: SimTime,
    /// Evaluations above target before scaling out.
    pub out_periods: u32,
    /// Evaluations below threshold before scaling in.
    pub in_periods: u32,
    /// Scale-in threshold / target.
    pub in_ratio: f64,
    /// Scale-out cool-down.
    pub out_cooldown: SimTime,
    /// Scale-in cool-down.
    pub in_cooldown: SimTime,
    /// Allocation delay (None: the platform's).
    pub delay: Option<SimTime>,
}

impl ProvisionedSpec {
    /// Validates; `field` is the spec's path for errors.
    pub fn validate(&self, field: &str) -> Result<Provisioned, FieldError> {
        let at = |f: &str| format!("{field}.{f}");
        Ok(match self {
            ProvisionedSpec::Fixed(f) => Provisioned::Fixed(f.count),
            ProvisionedSpec::Scheduled(s) => {
                if s.steps.is_empty() {
                    return Err(FieldError::new(at("steps"), "expected at least one step"));
                }
                let mut steps = Vec::with_capacity(s.steps.len());
                for (i, st) in s.steps.iter().enumerate() {
                    let t = check::seconds(st.at_s, format!("{field}.steps[{i}].at_s"))?;
                    if let Some(&(prev, _)) = steps.last()
                        && t <= prev
                    {
                        return Err(FieldError::new(
                            format!("{field}.steps[{i}].at_s"),
                            "expected steps in increasing at_s",
                        ));
                    }
                    steps.push((t, st.count));
                }
                let repeat = s
                    .repeat_s
                    .map(|r| check::seconds(r, at("repeat_s")))
                    .transpose()?;
                if let Some(r) = repeat
                    && steps.last().is_some_and(|&(t, _)| t >= r)
                {
                    return Err(FieldError::new(
                        at("repeat_s"),
                        "expected every step's at_s to be less than repeat_s",
                    ));
                }
                Provisioned::Scheduled {
                    steps,
                    repeat,
                    delay: s
                        .allocation_delay_s
                        .map(|d| check::seconds(d, at("allocation_delay_s")))
                        .transpose()?,
                }
            }
            ProvisionedSpec::TargetTracking(t) => {
                check::within_excluding_low(t.target, 0.0, 1.0, at("target"), "a utilisation")?;
                if t.max < t.min || t.max == 0 {
                    return Err(FieldError::new(
                        at("max"),
                        format!(
                            "expected max >= min ({}) and max >= 1, got {}",
                            t.min, t.max
                        ),
                    ));
                }
                check::within_excluding_low(
                    t.scale_in_ratio,
                    0.0,
                    1.0,
                    at("scale_in_ratio"),
                    "a ratio",
                )?;
                let interval = check::seconds(t.interval_s, at("interval_s"))?;
                // Checked after rounding: an interval below 1 ns would never advance.
                if interval == SimTime::ZERO {
                    return Err(FieldError::new(
                        at("interval_s"),
                        format!("expected a number of seconds > 0, got {}", t.interval_s),
                    ));
                }
                Provisioned::Tracking(TrackingParams {
                    target: t.target,
                    min: t.min,
                    max: t.max,
                    interval,
                    out_periods: t.scale_out_periods.max(1),
                    in_periods: t.scale_in_periods.max(1),
                    in_ratio: t.scale_in_ratio,
                    out_cooldown: check::seconds(
                        t.scale_out_cooldown_s,
                        at("scale_out_cooldown_s"),
                    )?,
                    in_cooldown: check::seconds(t.scale_in_cooldown_s, at("scale_in_cooldown_s"))?,
                    delay: t
                        .allocation_delay_s
                        .map(|d| check::seconds(d, at("allocation_delay_s")))
                        .transpose()?,
                })
            }
        })
    }
}

impl Provisioned {
    /// Instances allocated when the run starts (ready at time 0).
    pub fn initial(&self) -> u32 {
        match self {
            Provisioned::Fixed(n) => *n,
            Provisioned::Scheduled { steps, .. } => steps
                .first()
                .filter(|s| s.0 == SimTime::ZERO)
                .map_or(0, |s| s.1),
            Provisioned::Tracking(t) => t.min,
            Provisioned::Custom(p) => p.initial(),
        }
    }

    /// A fresh state of this policy for one function.
    pub fn start(&self) -> ProvisionedState {
        let periodic = |interval, decider| ProvisionedState::Periodic {
            interval,
            decider,
            busy_area: 0,
            ready_area: 0,
        };
        match self {
            Provisioned::Fixed(_) => ProvisionedState::Fixed,
            Provisioned::Scheduled {
                steps,
                repeat,
                delay,
            } => ProvisionedState::Scheduled {
                steps: steps.clone(),
                repeat: *repeat,
                delay: *delay,
            },
            Provisioned::Tracking(t) => periodic(
                t.interval,
                Periodic::Tracking(t.clone(), Tracker::default()),
            ),
            Provisioned::Custom(p) => periodic(p.interval(), Periodic::Custom(p.start())),
        }
    }

    /// The largest count the policy can ask for (validated against concurrency limits).
    pub fn max_count(&self) -> u32 {
        match self {
            Provisioned::Fixed(n) => *n,
            Provisioned::Scheduled { steps, .. } => steps.iter().map(|s| s.1).max().unwrap_or(0),
            Provisioned::Tracking(t) => t.max,
            // Consulted at run time only: the platform's limits cap it then.
            Provisioned::Custom(p) => p.initial(),
        }
    }

    /// Short name for results.
    pub fn name(&self) -> &'static str {
        match self {
            Provisioned::Fixed(_) => "fixed",
            Provisioned::Scheduled { .. } => "scheduled",
            Provisioned::Tracking(_) => "target_tracking",
            Provisioned::Custom(p) => p.name(),
        }
    }
}

/// Target-tracking state: consecutive breaches and the last scaling times.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    above: u32,
    below: u32,
    last_out: Option<SimTime>,
    last_action: Option<SimTime>,
}

impl Tracker {
    /// One evaluation at `now`: `busy` and `ready` are the time-averaged busy and ready
    /// provisioned instances over the last interval, `current` the allocated count.
    /// Returns the new count when the policy scales.
    pub fn evaluate(
        &mut self,
        p: &TrackingParams,
        now: SimTime,
        busy: f64,
        ready: f64,
        current: u32,
    ) -> Option<u32> {
        let util = if ready > 0.0 { busy / ready } else { 1.0 };
        // ceil with a tolerance: 10 busy / 0.7 must give 15, not 15.000000001 → 16.
        let desired = ((busy / p.target) - 1e-9).ceil().max(0.0) as u32;
        let desired = desired.clamp(p.min, p.max);
        if util > p.target {
            self.above += 1;
            self.below = 0;
        } else if util < p.target * p.in_ratio {
            self.below += 1;
            self.above = 0;
        } else {
            self.above = 0;
            self.below = 0;
        }
        let cooled = |last: Option<SimTime>, cool: SimTime| last.is_none_or(|t| now >= t + cool);
        if self.above >= p.out_periods && desired > current && cooled(self.last_out, p.out_cooldown)
        {
            self.above = 0;
            self.last_out = Some(now);
            self.last_action = Some(now);
            return Some(desired);
        }
        if self.below >= p.in_periods
            && desired < current
            && cooled(self.last_action, p.in_cooldown)
        {
            self.below = 0;
            self.last_action = Some(now);
            return Some(desired);
        }
        // Outside [min, max] (e.g. min raised): move inside at once.
        if current < p.min || current > p.max {
            return Some(current.clamp(p.min, p.max));
        }
        None
    }
}

#[cfg(test)]
mod tests;
