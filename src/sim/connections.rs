//! Database connections: how many are in use, who waits for them (see [`crate::database`]).
//!
//! Without a proxy an instance opens a connection at its first execution and holds it
//! until it is evicted, busy or idle, as a function that connects in its init does. Behind
//! a proxy a request holds one of the pooled connections only while it executes. A request
//! that finds none free either fails at once or waits in arrival order, still occupying
//! (and billed on) its instance, until a connection is released or its wait runs out.
//!
//! The component owns each database's settings, connection count, waiters and metrics;
//! the platform records who holds a connection (the request or its instance).

use std::collections::VecDeque;

use super::request::Req;
use crate::database::{Database, OnLimit};
use crate::engine::Key;
use crate::metrics::DatabaseMetrics;
use crate::time::SimTime;

/// One database's connections during a run.
struct Db {
    settings: Database,
    in_use: u32,
    /// Requests waiting for a connection, oldest first. Entries of requests that stopped
    /// waiting are skipped when reached.
    waiters: VecDeque<Key<Req>>,
    metrics: DatabaseMetrics,
}

/// Every database's connections.
pub(super) struct Databases {
    dbs: Vec<Db>,
    /// The measurement window.
    window: (SimTime, SimTime),
}

/// What a request that needs a connection gets.
pub(super) enum Acquire {
    /// A connection is its (or its instance's) now.
    Granted,
    /// None is free and the database fails such requests.
    Fail,
    /// None is free: it waits until a connection is released, at most until this time.
    Wait(Option<SimTime>),
}

impl Databases {
    /// The databases of a scenario, measured over `window`.
    pub(super) fn new<'a>(
        settings: impl Iterator<Item = &'a Database>,
        window: (SimTime, SimTime),
    ) -> Self {
        Databases {
            dbs: settings
                .map(|d| Db {
                    settings: d.clone(),
                    in_use: 0,
                    waiters: VecDeque::new(),
                    metrics: DatabaseMetrics::default(),
                })
                .collect(),
            window,
        }
    }

    /// Whether database `d` sits behind a proxy (connections per request).
    #[inline]
    pub(super) fn proxied(&self, d: usize) -> bool {
        self.dbs[d].settings.proxied
    }

    /// The latency the proxy adds to each execution (zero without one).
    #[inline]
    pub(super) fn proxy_overhead(&self, d: usize) -> SimTime {
        self.dbs[d].settings.proxy_overhead
    }

    /// Request `req` (counted when `measured`) asks database `d` for a connection at
    /// `now`; `timeout_at` is when its function's timeout ends its wait.
    pub(super) fn acquire(
        &mut self,
        now: SimTime,
        d: usize,
        req: Key<Req>,
        measured: bool,
        timeout_at: Option<SimTime>,
    ) -> Acquire {
        let db = &mut self.dbs[d];
        if db.in_use < db.settings.connections {
            self.take(now, d, measured);
            return Acquire::Granted;
        }
        match db.settings.on_limit {
            OnLimit::Fail => {
                db.metrics.failures += u64::from(measured);
                Acquire::Fail
            }
            OnLimit::Wait => {
                db.metrics.waits += u64::from(measured);
                db.waiters.push_back(req);
                // The wait ends at the database's limit or the function's timeout,
                // whichever comes first.
                let limit = db.settings.max_wait.map(|w| now.saturating_add(w));
                Acquire::Wait(match (timeout_at, limit) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                })
            }
        }
    }

    /// One more connection to `d` in use.
    fn take(&mut self, now: SimTime, d: usize, measured: bool) {
        let (start, end) = self.window;
        let db = &mut self.dbs[d];
        db.in_use += 1;
        db.metrics.in_use.add(1, now, start, end);
        db.metrics.acquisitions += u64::from(measured);
    }

    /// A connection to `d` was closed or returned at `now`: returns the oldest waiter
    /// that `still_waiting` accepts, which now holds it (its wait, from `waited_since`, is
    /// recorded when measured), or `None` when nobody waits.
    pub(super) fn release(
        &mut self,
        now: SimTime,
        d: usize,
        mut still_waiting: impl FnMut(Key<Req>) -> Option<(SimTime, bool)>,
    ) -> Option<u32> {
        let (start, end) = self.window;
        let db = &mut self.dbs[d];
        db.in_use -= 1;
        db.metrics.in_use.add(-1, now, start, end);
        while let Some(req) = self.dbs[d].waiters.pop_front() {
            let Some((since, measured)) = still_waiting(req) else {
                continue;
            };
            if measured {
                self.dbs[d].metrics.wait.record(now - since);
            }
            self.take(now, d, measured);
            return Some(req.index());
        }
        None
    }

    /// A request gave up waiting for a connection to `d`.
    pub(super) fn gave_up(&mut self, d: usize, measured: bool) {
        self.dbs[d].metrics.failures += u64::from(measured);
    }

    /// Each database's metrics, the window closed at its end.
    pub(super) fn finish(self) -> Vec<DatabaseMetrics> {
        let (start, end) = self.window;
        self.dbs
            .into_iter()
            .map(|mut d| {
                d.metrics.in_use.close(end, start, end);
                d.metrics
            })
            .collect()
    }
}
