//! Where an admitted or arriving request waits for a resource: capacity (the pending
//! queue), a database connection, and its share of the instance's vCPUs. The components
//! (`pending.rs`, `connections.rs`, `cpu.rs`) own the state and decide; these methods
//! schedule the events and resume the request.

use super::connections::Acquire;
use super::cpu::{self, RequestCpu};
use super::instance::State;
use super::limits::Refusal;
use super::pending::POLL;
use super::request::{Ending, Incoming};
use super::{Event, NIL, Sim};
use crate::error::Result;
use crate::model::FunctionId;
use crate::time::SimTime;

impl Sim<'_, '_> {
    /// Queues `inc` for function `f` until capacity frees or its time runs out.
    pub(super) fn enqueue(&mut self, now: SimTime, f: FunctionId, inc: Incoming) {
        if inc.measured {
            self.meter.metrics(f).queued += 1;
        }
        let (expires, entry) = self.pending.push(now, f, inc);
        self.queue
            .schedule(expires, Event::PendingExpire { func: f, entry });
        self.arm_poll(now, f);
    }

    pub(super) fn arm_poll(&mut self, now: SimTime, f: FunctionId) {
        if self.pending.arm_poll(f) {
            self.queue
                .schedule(now + POLL, Event::PendingPoll { func: f });
        }
    }

    /// Places waiting requests of `f`, oldest first, while there is capacity.
    pub(super) fn drain_pending(&mut self, now: SimTime, f: FunctionId) -> Result<()> {
        while let Some(inc) = self.pending.front(f) {
            let Ok((slot, started)) = self.place(now, f, inc.ping) else {
                return Ok(());
            };
            self.pending.pop_front(f);
            if inc.measured {
                self.meter.metrics(f).pending_wait.record(now - inc.arrival);
            }
            self.admit(now, f, inc, slot, started)?;
        }
        Ok(())
    }

    pub(super) fn on_pending_poll(&mut self, now: SimTime, f: FunctionId) -> Result<()> {
        self.pending.poll_fired(f);
        self.drain_pending(now, f)?;
        self.arm_poll(now, f);
        Ok(())
    }

    /// Entry `entry` (low 32 bits of its index) of `f` waited as long as it may.
    pub(super) fn on_pending_expire(
        &mut self,
        now: SimTime,
        f: FunctionId,
        entry: u32,
    ) -> Result<()> {
        match self.pending.expire(f, entry) {
            Some(inc) => self.throttle(now, f, inc, Refusal::PendingTimeout),
            None => Ok(()), // Already placed.
        }
    }

    /// Gets request `r` a connection to database `d` if it needs one. False when it has to
    /// wait (it resumes when handed one) or has failed.
    pub(super) fn connect(&mut self, now: SimTime, r: u32, d: usize) -> Result<bool> {
        let q = self.reqs[r];
        let proxied = self.dbs.proxied(d);
        if !proxied && self.instances[q.slot].conn {
            return Ok(true); // The instance opened one earlier and still holds it.
        }
        let f = self.instances[q.slot].func;
        let timeout_at = self.funcs[f]
            .hot
            .timeout
            .map(|t| q.exec_start.saturating_add(t));
        let req = self.reqs.key(r);
        match self.dbs.acquire(now, d, req, q.measured, timeout_at) {
            Acquire::Granted => {
                self.hold_connection(r, proxied);
                Ok(true)
            }
            Acquire::Fail => {
                self.end_request(now, r, Ending::Error)?;
                Ok(false)
            }
            Acquire::Wait(until) => {
                self.reqs[r].conn_wait = true;
                if let Some(at) = until {
                    self.queue.schedule(at, Event::ConnectionTimeout { req });
                }
                Ok(false)
            }
        }
    }

    /// Request `r` (behind a proxy) or its instance (without one) holds a connection.
    pub(super) fn hold_connection(&mut self, r: u32, proxied: bool) {
        let q = &mut self.reqs[r];
        if proxied {
            q.conn = true;
        } else {
            self.instances[q.slot].conn = true;
        }
    }

    /// A connection to `d` was closed or returned: the oldest waiter gets it and resumes.
    pub(super) fn release_connection(&mut self, now: SimTime, d: usize) {
        let reqs = &self.reqs;
        let next = self.dbs.release(now, d, |req| {
            let q = &reqs[req.index()];
            (reqs.is_current(req) && q.conn_wait).then_some((q.exec_start, q.measured))
        });
        if let Some(r) = next {
            self.hold_connection(r, self.dbs.proxied(d));
            // Resume: its execution began when it started waiting.
            self.start_exec_after_wait(now, r);
        }
    }

    /// Request `r` waited for a connection as long as it may: it fails (or times out, if
    /// the function's timeout is what ran out).
    pub(super) fn on_connection_timeout(&mut self, now: SimTime, r: u32) -> Result<()> {
        let q = &mut self.reqs[r];
        if !q.conn_wait {
            return Ok(()); // It got a connection in time.
        }
        q.conn_wait = false;
        let (slot, exec_start, measured) = (q.slot, q.exec_start, q.measured);
        let hot = self.funcs[self.instances[slot].func].hot;
        if let Some(d) = hot.database {
            self.dbs.gave_up(d, measured);
        }
        let timed_out = hot
            .timeout
            .is_some_and(|t| now >= exec_start.saturating_add(t));
        let ending = if timed_out {
            Ending::Timeout
        } else {
            Ending::Error
        };
        self.end_request(now, r, ending)
    }

    /// CPU sharing: brings the instance's service clock up to `now`.
    #[inline]
    pub(super) fn shared_advance(&mut self, now: SimTime, slot: u32) {
        let f = self.instances[slot].func;
        let vcpus = self.cpu.vcpus(f);
        self.instances[slot].cpu.advance(now, vcpus);
    }

    /// The requests on instance `slot` with their CPU shares, newest first.
    pub(super) fn cpu_shares(&self, slot: u32) -> impl Iterator<Item = (u32, RequestCpu)> + '_ {
        let mut r = self.instances[slot].head;
        std::iter::from_fn(move || {
            if r == NIL {
                return None;
            }
            let q = &self.reqs[r];
            let item = (r, q.cpu);
            r = q.next;
            Some(item)
        })
    }

    /// CPU sharing: schedules the instance's next finish (the smallest finish mark).
    pub(super) fn shared_reschedule(&mut self, now: SimTime, slot: u32) {
        let f = self.instances[slot].func;
        let vcpus = self.cpu.vcpus(f);
        let next = self
            .cpu_shares(slot)
            .filter(|(_, c)| c.running)
            .fold(f64::INFINITY, |m, (_, c)| m.min(c.mark));
        let instance = self.instances.key(slot);
        let cpu = &mut self.instances[slot].cpu;
        if let Some(at) = cpu.reschedule(now, vcpus, next) {
            let epoch = cpu.epoch();
            self.queue
                .schedule(at, Event::SharedDone { instance, epoch });
        }
    }

    /// CPU sharing: ends the requests whose finish mark the service clock has reached.
    pub(super) fn on_shared_done(&mut self, now: SimTime, slot: u32) -> Result<()> {
        self.shared_advance(now, slot);
        let clock = self.instances[slot].cpu.clock();
        let mut done = std::mem::take(&mut self.finished);
        cpu::finished(clock, self.cpu_shares(slot), &mut done);
        for &r in &done {
            let q = &mut self.reqs[r];
            if q.cpu.io > SimTime::ZERO {
                // CPU part done: off the CPU for the I/O-bound rest.
                q.cpu.running = false;
                let io = q.cpu.io;
                self.instances[slot].cpu.leave();
                let req = self.reqs.key(r);
                self.queue.schedule(now + io, Event::ExecDone { req });
                continue;
            }
            let ending = q.ending;
            self.work_done(now, r, ending)?;
        }
        self.finished = done;
        if self.instances[slot].state == State::Busy {
            self.shared_reschedule(now, slot);
        }
        Ok(())
    }
}
