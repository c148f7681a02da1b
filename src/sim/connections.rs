//! Database connections: who holds them, who waits for them (see [`crate::database`]).
//!
//! Without a proxy an instance opens a connection at its first execution and holds it
//! until it is evicted, busy or idle, as a function that connects in its init does. Behind
//! a proxy a request holds one of the pooled connections only while it executes. A request
//! that finds none free either fails at once or waits in arrival order, still occupying
//! (and billed on) its instance, until a connection is released or its wait runs out.

use std::collections::VecDeque;

use super::{Ending, Event, Sim};
use crate::database::OnLimit;
use crate::error::Result;
use crate::metrics::DatabaseMetrics;
use crate::time::SimTime;

/// One database's connections during a run.
#[derive(Debug, Default)]
pub(super) struct DbState {
    in_use: u32,
    /// Requests waiting for a connection: (request, generation), oldest first. Entries of
    /// requests that stopped waiting are skipped when reached.
    waiters: VecDeque<(u32, u32)>,
    pub(super) metrics: DatabaseMetrics,
}

impl Sim<'_, '_> {
    /// Gets request `r` a connection to database `d` if it needs one. False when it has to
    /// wait (it resumes when handed one) or has failed.
    pub(super) fn connect(&mut self, now: SimTime, r: u32, d: usize) -> Result<bool> {
        let db = &self.scenario.databases[d];
        let slot = self.reqs[r as usize].slot;
        if !db.proxied && self.instances[slot as usize].conn {
            return Ok(true); // The instance opened one earlier and still holds it.
        }
        let measured = self.reqs[r as usize].measured;
        if self.dbs[d].in_use < db.connections {
            self.hand_over(now, r, d);
            return Ok(true);
        }
        match db.on_limit {
            OnLimit::Fail => {
                if measured {
                    self.dbs[d].metrics.failures += 1;
                }
                self.end_request(now, r, Ending::Error)?;
            }
            OnLimit::Wait => {
                if measured {
                    self.dbs[d].metrics.waits += 1;
                }
                let f = self.instances[slot as usize].func as usize;
                let q = &mut self.reqs[r as usize];
                q.conn_wait = true;
                let generation = q.generation;
                self.dbs[d].waiters.push_back((r, generation));
                // The wait ends at the database's limit or the function's timeout,
                // whichever comes first.
                let timeout = self.scenario.functions[f]
                    .timeout
                    .map(|t| q.exec_start.saturating_add(t));
                let limit = db.max_wait.map(|w| now.saturating_add(w));
                let until = match (timeout, limit) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if let Some(at) = until {
                    self.queue
                        .schedule(at, Event::ConnectionTimeout { req: r, generation });
                }
            }
        }
        Ok(false)
    }

    /// Gives request `r` (or, without a proxy, its instance) a connection to `d`.
    fn hand_over(&mut self, now: SimTime, r: u32, d: usize) {
        let (start, end) = self.meter.window();
        let q = &mut self.reqs[r as usize];
        let state = &mut self.dbs[d];
        state.in_use += 1;
        state.metrics.in_use.add(1, now, start, end);
        if q.measured {
            state.metrics.acquisitions += 1;
        }
        if self.scenario.databases[d].proxied {
            q.conn = true;
        } else {
            self.instances[q.slot as usize].conn = true;
        }
    }

    /// A connection to `d` was closed or returned: the oldest waiter gets it.
    pub(super) fn release_connection(&mut self, now: SimTime, d: usize) {
        let (start, end) = self.meter.window();
        let state = &mut self.dbs[d];
        state.in_use -= 1;
        state.metrics.in_use.add(-1, now, start, end);
        while let Some((r, generation)) = self.dbs[d].waiters.pop_front() {
            let q = &self.reqs[r as usize];
            if q.generation != generation || !q.conn_wait {
                continue;
            }
            if q.measured {
                let waited = now - q.exec_start;
                self.dbs[d].metrics.wait.record(waited);
            }
            self.hand_over(now, r, d);
            // Resume: its execution began when it started waiting.
            self.start_exec_after_wait(now, r);
            return;
        }
    }

    /// Request `r` waited for a connection as long as it may: it fails (or times out, if
    /// the function's timeout is what ran out).
    pub(super) fn on_connection_timeout(&mut self, now: SimTime, r: u32) -> Result<()> {
        let q = &mut self.reqs[r as usize];
        if !q.conn_wait {
            return Ok(()); // It got a connection in time.
        }
        q.conn_wait = false;
        let (slot, exec_start, measured) = (q.slot, q.exec_start, q.measured);
        let f = self.instances[slot as usize].func as usize;
        let func = &self.scenario.functions[f];
        if measured && let Some(d) = func.database {
            self.dbs[d].metrics.failures += 1;
        }
        let timed_out = func
            .timeout
            .is_some_and(|t| now >= exec_start.saturating_add(t));
        let ending = if timed_out {
            Ending::Timeout
        } else {
            Ending::Error
        };
        self.end_request(now, r, ending)
    }
}
