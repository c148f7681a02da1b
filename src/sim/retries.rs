//! Asynchronous invocations between attempts: retries after errors and throttles, the
//! maximum event age, and the dead-letter queue (Lambda's rules by default).
//!
//! An event is attempted at once. A throttled attempt is retried after a back-off that
//! doubles from `throttle_initial` up to `throttle_max`; a failed one after the function's
//! error delays, up to `max_retries`. An event that would be older than `max_age` at its
//! next attempt expires. The component keeps the events and decides; the platform makes
//! the attempts and counts them.

use crate::engine::Slab;
use crate::model::{AsyncRetry, FunctionId, PerFunction};
use crate::time::SimTime;

/// An asynchronous event between attempts.
#[derive(Debug, Clone, Copy)]
pub(super) struct AsyncEvent {
    /// Its function.
    pub(super) func: FunctionId,
    /// When it was accepted.
    pub(super) born: SimTime,
    /// Retries after errors so far.
    pub(super) retries: u32,
    /// Throttled attempts so far.
    pub(super) throttles: u32,
    /// Accepted after the warm-up: its attempts count.
    pub(super) measured: bool,
}

/// How an attempt of an event settled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    /// It succeeded: the event is done.
    Succeeded,
    /// Another attempt at this time.
    Retry(SimTime),
    /// Out of retries: dead-lettered.
    DeadLettered,
    /// It would be too old at its next attempt: dead-lettered as expired.
    Expired,
}

/// Every asynchronous event in flight, and each function's retry rules.
pub(super) struct Retries {
    events: Slab<AsyncEvent>,
    rules: PerFunction<AsyncRetry>,
}

impl Retries {
    /// No event yet; `rules` per function.
    pub(super) fn new(rules: impl Iterator<Item = AsyncRetry>) -> Self {
        Retries {
            events: Slab::new(),
            rules: rules.collect(),
        }
    }

    /// Accepts an event for function `f` at `now`; returns its handle.
    pub(super) fn accept(&mut self, now: SimTime, f: FunctionId, measured: bool) -> u32 {
        let e = AsyncEvent {
            func: f,
            born: now,
            retries: 0,
            throttles: 0,
            measured,
        };
        self.events.insert(e).index()
    }

    /// Event `event` as it stands.
    #[inline]
    pub(super) fn get(&self, event: u32) -> AsyncEvent {
        self.events[event]
    }

    /// An attempt of `event` was throttled at `now`: retry after the throttle back-off,
    /// or expire.
    pub(super) fn throttled(&mut self, now: SimTime, event: u32) -> Settled {
        let e = &mut self.events[event];
        e.throttles += 1;
        let delay = self.rules[e.func].throttle_delay(e.throttles);
        self.retry_or_expire(now, event, delay)
    }

    /// An attempt of `event` ended at `now` (`ok`: successfully).
    pub(super) fn ended(&mut self, now: SimTime, event: u32, ok: bool) -> Settled {
        if ok {
            self.events.remove(event);
            return Settled::Succeeded;
        }
        let e = &mut self.events[event];
        let rules = &self.rules[e.func];
        if e.retries >= rules.max_retries {
            self.events.remove(event);
            return Settled::DeadLettered;
        }
        e.retries += 1;
        let delay = rules.error_delay(e.retries);
        self.retry_or_expire(now, event, delay)
    }

    /// A retry after `delay`, unless the event would be older than its maximum age by
    /// then.
    fn retry_or_expire(&mut self, now: SimTime, event: u32, delay: SimTime) -> Settled {
        let e = self.events[event];
        let at = now.saturating_add(delay);
        if at - e.born > self.rules[e.func].max_age {
            self.events.remove(event);
            Settled::Expired
        } else {
            Settled::Retry(at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> SimTime {
        SimTime::from_secs(s)
    }

    /// Two retries, 60 s then 120 s after an error, a 100-s maximum age, throttles backing
    /// off 1 s.
    fn rules() -> AsyncRetry {
        AsyncRetry {
            max_retries: 2,
            max_age: secs(100.0),
            error_delays: vec![secs(60.0), secs(120.0)],
            throttle_initial: secs(1.0),
            throttle_max: secs(300.0),
        }
    }

    /// The maximum age runs from the event's own acceptance, and an attempt due exactly at
    /// the maximum age still happens. An event accepted at 50 s that fails at 90 s is
    /// retried at 150 s (exactly 100 s old); one that fails at 91 s would be retried at
    /// 151 s, past its age: expired.
    #[test]
    fn the_maximum_age_runs_from_acceptance_and_includes_its_end() {
        let f = FunctionId::new(0);
        for (failed_at, settled) in [
            (90.0, Settled::Retry(secs(150.0))),
            (91.0, Settled::Expired),
        ] {
            let mut r = Retries::new([rules()].into_iter());
            let e = r.accept(secs(50.0), f, true);
            assert_eq!(r.ended(secs(failed_at), e, false), settled, "{failed_at} s");
        }
    }
}
