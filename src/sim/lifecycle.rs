//! An instance's life on the platform: it starts (for a request, for provisioned
//! concurrency, a pre-warm or the autoscaler), finishes its cold start, goes idle under the
//! keep-alive policy or back to the provisioned pool, and goes away (keep-alive expiry,
//! memory pressure, maximum lifetime, reset after a timeout, provisioned count lowered).
//! Also the periodic work that starts instances: provisioned schedules and evaluations, the
//! autoscaler and warm-up pings.

use super::cpu::InstanceCpu;
use super::instance::{Instance, Open, State};
use super::limits::Room;
use super::record::{EvictionCause as Cause, InstanceChange, StartCause};
use super::request::{Incoming, Parent};
use super::{Event, InstanceKey, NIL, Sim};
use crate::error::Result;
use crate::model::FunctionId;
use crate::policy::keep_alive::Decision;
use crate::time::SimTime;

impl Sim<'_, '_> {
    /// Makes room for `memory_mb` by evicting idle on-demand instances; false if it cannot.
    pub(super) fn make_room(&mut self, now: SimTime, memory_mb: u32) -> bool {
        loop {
            match self.memory.room_for(memory_mb) {
                Room::Fits => return true,
                Room::Full => return false,
                Room::Evict(victim) => {
                    self.instances[victim].evict_key = None;
                    self.free(now, victim, Cause::Pressure);
                }
            }
        }
    }

    /// Starts a new instance of `f` (for `cause`), with no request yet. `delay` postpones
    /// the start (provisioned allocation); `instant` makes it ready at once (provisioned
    /// concurrency in place before the run). Returns `None` when it does not fit in memory.
    pub(super) fn spawn(
        &mut self,
        now: SimTime,
        f: FunctionId,
        cause: StartCause,
        delay: SimTime,
        instant: bool,
    ) -> Option<u32> {
        let provisioned = matches!(cause, StartCause::Provisioned | StartCause::Replacement);
        let memory_mb = self.memory.instance_mb(f);
        if !self.make_room(now, memory_mb) {
            return None;
        }
        self.memory.hold(f, true);
        let phases = self.funcs[f].timing.sample_cold_start();
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
        let fresh = Instance {
            func: f,
            state: State::Provisioning,
            serial,
            provisioned,
            idle_since: now,
            expires_at: SimTime::MAX,
            retire_at,
            timer_armed: false,
            timer_at: SimTime::ZERO,
            evict_key: None,
            prev: NIL,
            next: NIL,
            active: 0,
            head: NIL,
            open: Open::None,
            open_active: 0,
            draining: false,
            reset: false,
            phases,
            cpu: InstanceCpu::new(ready),
            conn: false,
        };
        let instance = self.instances.insert(fresh);
        let slot = instance.index();
        self.note_instance(now, slot, InstanceChange::Started(cause), None);
        self.meter.shift(now, f, None, Some(State::Provisioning));
        self.limits.in_flight(f, provisioned, 1);
        if provisioned {
            self.meter
                .gauge(now, f, |m| &mut m.provisioned.allocated, 1);
        }
        if instant {
            // Ready before the run: idle before any event, so arrivals at time 0 find it.
            self.ready_without_request(now, slot);
        } else {
            self.queue
                .schedule(ready, Event::ColdStartDone { instance });
        }
        // Its lifetime may end before it is ever idle (busy from the start with several
        // requests per instance): the timer then stops it taking new requests.
        self.arm_timer(slot);
        Some(slot)
    }

    /// Removes an instance that has no request.
    pub(super) fn free(&mut self, now: SimTime, slot: u32, cause: Cause) {
        let (f, state, provisioned) = {
            let i = &self.instances[slot];
            (i.func, i.state, i.provisioned)
        };
        debug_assert_ne!(state, State::Free);
        debug_assert_eq!(self.instances[slot].active, 0);
        self.pool_open_remove(slot);
        if state == State::Idle {
            self.pool_remove_idle(slot);
            if let Some(key) = self.instances[slot].evict_key.take() {
                self.memory.unfile(key, slot);
            }
        }
        // Concurrency: provisioned instances count while allocated, on-demand ones while
        // starting or executing.
        if provisioned {
            self.limits.in_flight(f, true, -1);
            self.meter
                .gauge(now, f, |m| &mut m.provisioned.allocated, -1);
            if state != State::Provisioning {
                self.meter.gauge(now, f, |m| &mut m.provisioned.ready, -1);
            }
            if state == State::Busy {
                self.meter.gauge(now, f, |m| &mut m.provisioned.busy, -1);
            }
        } else if state != State::Idle {
            self.limits.in_flight(f, false, -1);
        }
        self.meter.shift(now, f, Some(state), None);
        self.memory.hold(f, false);
        if std::mem::take(&mut self.instances[slot].conn)
            && let Some(d) = self.funcs[f].hot.database
        {
            self.release_connection(now, d);
        }
        self.note_instance(now, slot, InstanceChange::Evicted(cause), Some(state));
        let inst = &mut self.instances[slot];
        inst.state = State::Free;
        self.instances.remove(slot);
        if self.meter.in_window(now) {
            let e = &mut self.meter.metrics(f).evictions;
            match cause {
                Cause::Expiry => e.expiry += 1,
                Cause::Pressure => e.pressure += 1,
                Cause::Lifetime => e.lifetime += 1,
                Cause::Reset => e.reset += 1,
                Cause::Released => {}
            }
        }
    }

    /// Arms the instance's timer for `min(expires_at, retire_at)` if that is sooner than
    /// its pending timer; a deadline already past (a lifetime that ran out during the
    /// allocation delay and cold start) fires now, never in the past.
    pub(super) fn arm_timer(&mut self, slot: u32) {
        let now = self.queue.now();
        let inst = &mut self.instances[slot];
        let at = inst.expires_at.min(inst.retire_at).max(now);
        if at == SimTime::MAX || (inst.timer_armed && inst.timer_at <= at) {
            return;
        }
        inst.timer_armed = true;
        inst.timer_at = at;
        let instance = self.instances.key(slot);
        self.queue.schedule(at, Event::Timer { instance });
    }

    /// Puts an instance into its function's idle set at `now`.
    #[inline]
    pub(super) fn make_idle(&mut self, now: SimTime, slot: u32) {
        let (f, from) = (self.instances[slot].func, self.instances[slot].state);
        self.note_instance(now, slot, InstanceChange::Idle, Some(from));
        let inst = &mut self.instances[slot];
        inst.state = State::Idle;
        inst.idle_since = now;
        let provisioned = inst.provisioned;
        if provisioned {
            inst.expires_at = SimTime::MAX;
        }
        self.funcs[f].pool.push_idle(slot, &mut self.instances);
        if !provisioned {
            let key = self.memory.file_idle(slot, f, now);
            self.instances[slot].evict_key = key;
        }
        self.arm_timer(slot);
    }

    /// A provisioned, pre-warmed or autoscaled instance that started without a request is
    /// ready at `now`: it goes idle.
    fn ready_without_request(&mut self, now: SimTime, slot: u32) {
        let (f, provisioned, retired) = {
            let i = &self.instances[slot];
            (i.func, i.provisioned, i.retire_at <= now)
        };
        let starting = Some(State::Provisioning);
        self.note_instance(now, slot, InstanceChange::Ready, starting);
        if retired {
            // Its lifetime ended while it started (lifetime shorter than its cold start):
            // recycled at once; idling it would arm a timer in the past.
            self.free(now, slot, Cause::Lifetime);
            if provisioned {
                self.replace_provisioned(now, f);
            }
            return;
        }
        if provisioned {
            self.meter.gauge(now, f, |m| &mut m.provisioned.ready, 1);
        }
        self.meter
            .exchange(now, f, State::Provisioning, State::Idle);
        if !provisioned {
            self.limits.in_flight(f, false, -1);
            if self.instances[slot].expires_at == SimTime::MAX {
                // Started by the autoscaler: idle under the keep-alive policy.
                let others = self.memory.loaded(f) - 1;
                let until = match self.funcs[f].keep_alive.decide(now, others) {
                    Decision::KeepUntil(until) => until,
                    _ => now,
                };
                self.instances[slot].expires_at = until;
            }
        }
        self.make_idle(now, slot);
    }

    pub(super) fn on_cold_start_done(&mut self, now: SimTime, slot: u32) -> Result<()> {
        let (f, active, provisioned) = {
            let i = &self.instances[slot];
            debug_assert_eq!(i.state, State::Provisioning);
            (i.func, i.active, i.provisioned)
        };
        if active == 0 {
            self.ready_without_request(now, slot);
            return Ok(());
        }
        let starting = Some(State::Provisioning);
        self.note_instance(now, slot, InstanceChange::Ready, starting);
        self.note_instance(now, slot, InstanceChange::Busy, starting);
        if provisioned {
            self.meter.gauge(now, f, |m| &mut m.provisioned.ready, 1);
        }
        self.meter
            .exchange(now, f, State::Provisioning, State::Busy);
        if provisioned {
            self.meter.gauge(now, f, |m| &mut m.provisioned.busy, 1);
        }
        let inst = &mut self.instances[slot];
        inst.state = State::Busy;
        inst.cpu.restart(now);
        self.pool_open_update(slot);
        // Start the waiting requests, oldest first (the list is newest first).
        let mut r = self.instances[slot].head;
        while self.reqs[r].next != NIL {
            r = self.reqs[r].next;
        }
        // Walk back from the oldest. Starting a request may end it at once (no database
        // connection), which unlinks only that request, so its `prev` is read first.
        while r != NIL {
            let prev = self.reqs[r].prev;
            self.start_exec(now, r)?;
            r = prev;
        }
        Ok(())
    }

    /// On-demand instance `slot` of `f`, busy until `now`, stays idle until `until`.
    pub(super) fn keep_idle(&mut self, now: SimTime, f: FunctionId, slot: u32, until: SimTime) {
        self.meter.exchange(now, f, State::Busy, State::Idle);
        self.limits.in_flight(f, false, -1);
        self.instances[slot].expires_at = until;
        self.make_idle(now, slot);
    }

    /// The instance's last request ended: it goes back to its pool, or away.
    pub(super) fn instance_emptied(&mut self, now: SimTime, slot: u32) {
        self.pool_open_remove(slot);
        let (f, provisioned, retire, reset) = {
            let i = &self.instances[slot];
            (i.func, i.provisioned, i.retire_at <= now, i.reset)
        };
        if retire || reset {
            let cause = if reset { Cause::Reset } else { Cause::Lifetime };
            self.free(now, slot, cause);
            if provisioned {
                self.replace_provisioned(now, f);
            }
            return;
        }
        if provisioned {
            self.meter.gauge(now, f, |m| &mut m.provisioned.busy, -1);
            self.meter.exchange(now, f, State::Busy, State::Idle);
            self.make_idle(now, slot);
            return;
        }
        let others = self.memory.loaded(f) - 1;
        let decision = self.funcs[f].keep_alive.decide(now, others);
        match decision {
            Decision::KeepUntil(until) => self.keep_idle(now, f, slot, until),
            Decision::EvictNow => self.free(now, slot, Cause::Expiry),
            Decision::EvictAndPrewarm { prewarm_at, until } => {
                self.free(now, slot, Cause::Expiry);
                self.funcs[f].prewarm_until = until;
                self.queue.schedule(prewarm_at, Event::Prewarm { func: f });
            }
        }
    }

    pub(super) fn on_timer(&mut self, now: SimTime, instance: InstanceKey) {
        let current = self.instances.is_current(instance);
        let slot = instance.index();
        let inst = &mut self.instances[slot];
        // A freed slot's keys are stale (freeing bumps its generation), so a current
        // instance is never free.
        debug_assert!(!current || inst.state != State::Free);
        if !current || !inst.timer_armed || inst.timer_at != now {
            return; // Stale: recycled slot, or superseded by a sooner timer.
        }
        inst.timer_armed = false;
        if inst.state != State::Idle {
            if now >= inst.retire_at {
                if !inst.draining {
                    // Past its lifetime while in use: no new requests; recycled once empty.
                    inst.draining = true;
                    let from = Some(inst.state);
                    self.pool_open_remove(slot);
                    self.note_instance(now, slot, InstanceChange::Recycled, from);
                }
            } else if inst.retire_at != SimTime::MAX {
                // A keep-alive deadline passed while it was busy: wake again at the end of
                // its lifetime, which may come before it is idle again.
                inst.timer_armed = true;
                inst.timer_at = inst.retire_at;
                self.queue
                    .schedule(inst.retire_at, Event::Timer { instance });
            }
            return;
        }
        if now >= inst.retire_at {
            let (f, provisioned) = (inst.func, inst.provisioned);
            self.free(now, slot, Cause::Lifetime);
            if provisioned {
                self.replace_provisioned(now, f);
            }
        } else if now >= inst.expires_at {
            self.free(now, slot, Cause::Expiry);
        } else {
            self.arm_timer(slot);
        }
    }

    /// A recycled provisioned instance of `f` is replaced in the background, until the
    /// end of the arrival horizon: after it no request that needs one arrives, and a
    /// replacement would be recycled in turn, for ever (a run with provisioned instances
    /// and a lifetime never ended).
    fn replace_provisioned(&mut self, now: SimTime, f: FunctionId) {
        if now < self.horizon {
            self.spawn(now, f, StartCause::Replacement, SimTime::ZERO, false);
        }
    }

    pub(super) fn on_prewarm(&mut self, now: SimTime, f: FunctionId) {
        let until = self.funcs[f].prewarm_until;
        if now >= until || self.funcs[f].pool.has_idle() || !self.limits.has_headroom(f) {
            return; // Already warm, or no room: the next request will cold-start.
        }
        if let Some(slot) = self.spawn(now, f, StartCause::Prewarm, SimTime::ZERO, false) {
            self.instances[slot].expires_at = until;
        }
    }

    /// Sets function `f`'s provisioned count to `n`. New instances wait `delay` (None:
    /// the platform's allocation delay) plus a cold start; at time 0 they are ready at once.
    /// The billing periods follow the level reached (what fits).
    pub(super) fn set_provisioned(
        &mut self,
        now: SimTime,
        f: FunctionId,
        n: u32,
        delay: Option<SimTime>,
    ) {
        self.change_provisioned(now, f, n, delay);
        self.pc_billing.level(now, f, self.limits.pc_allocated(f));
    }

    fn change_provisioned(&mut self, now: SimTime, f: FunctionId, n: u32, delay: Option<SimTime>) {
        let current = self.limits.pc_allocated(f);
        let instant = now == SimTime::ZERO;
        let delay = delay.unwrap_or(self.scenario.platform.pc_allocation_delay);
        if n > current {
            self.meter.metrics(f).provisioned.scale_outs += u64::from(!instant);
            for _ in current..n {
                if !self.limits.has_headroom(f)
                    || self
                        .spawn(now, f, StartCause::Provisioned, delay, instant)
                        .is_none()
                {
                    break; // Limits or memory: allocate what fits.
                }
            }
        } else if n < current {
            self.meter.metrics(f).provisioned.scale_ins += 1;
            let mut excess = current - n;
            // Release initialising instances first, then idle ones, then busy ones (which
            // finish their requests as on-demand instances).
            for wanted in [State::Provisioning, State::Idle, State::Busy] {
                let slots: Vec<u32> = (0..self.instances.slots() as u32)
                    .filter(|&s| {
                        let i = &self.instances[s];
                        i.func == f && i.provisioned && i.state == wanted
                    })
                    .collect();
                for slot in slots {
                    if excess == 0 {
                        return;
                    }
                    excess -= 1;
                    // Only a busy instance holds requests: a provisioned instance starts
                    // without one, and a request joins a starting instance only if it
                    // was started on demand for a request.
                    debug_assert!(wanted == State::Busy || self.instances[slot].active == 0);
                    if wanted == State::Busy {
                        self.instances[slot].provisioned = false;
                        self.limits.in_flight(f, true, -1);
                        self.limits.in_flight(f, false, 1);
                        self.meter
                            .gauge(now, f, |m| &mut m.provisioned.allocated, -1);
                        self.meter.gauge(now, f, |m| &mut m.provisioned.ready, -1);
                        self.meter.gauge(now, f, |m| &mut m.provisioned.busy, -1);
                        self.pool_open_update(slot);
                        let busy = Some(State::Busy);
                        self.note_instance(now, slot, InstanceChange::Released, busy);
                    } else {
                        self.free(now, slot, Cause::Released);
                    }
                }
            }
        }
    }

    /// Wakes function `f`'s provisioned schedule at `at` for `step` of `period`, if that
    /// is within the run.
    pub(super) fn schedule_step(&mut self, f: FunctionId, at: SimTime, step: usize, period: u32) {
        if at < self.horizon {
            self.queue.schedule(
                at,
                Event::ScheduleStep {
                    func: f,
                    step: step as u32,
                    period,
                },
            );
        }
    }

    pub(super) fn on_schedule_step(
        &mut self,
        now: SimTime,
        f: FunctionId,
        step: usize,
        period: u32,
    ) {
        let Some(state) = &self.funcs[f].provisioned else {
            return;
        };
        let (change, next) = (state.step_change(step), state.next_step(step + 1, period));
        if let Some(c) = change {
            self.set_provisioned(now, f, c.count, c.delay);
        }
        if let Some((at, step, period)) = next {
            self.schedule_step(f, at, step, period);
        }
    }

    /// A periodic provisioned-concurrency evaluation (target tracking, custom policies).
    pub(super) fn on_provisioned_tick(&mut self, now: SimTime, f: FunctionId) {
        let busy_area = self.meter.gauge_area(now, f, |m| &mut m.provisioned.busy);
        let ready_area = self.meter.gauge_area(now, f, |m| &mut m.provisioned.ready);
        let allocated = self.limits.pc_allocated(f);
        let Some(state) = self.funcs[f].provisioned.as_mut() else {
            return;
        };
        let Some(interval) = state.interval() else {
            return;
        };
        if let Some(c) = state.evaluate(now, busy_area, ready_area, allocated) {
            self.set_provisioned(now, f, c.count, c.delay);
        }
        let next = now + interval;
        if next < self.horizon {
            self.queue
                .schedule(next, Event::ProvisionedTick { func: f });
        }
    }

    /// An autoscaler evaluation of `f`: starts the instances it is short of, within the
    /// limits.
    pub(super) fn on_autoscale(&mut self, now: SimTime, f: FunctionId) {
        let area = self.meter.gauge_area(now, f, |m| &mut m.executions);
        let cap = self.funcs[f].pool.cap();
        let Some(a) = self.autoscale.as_mut() else {
            return;
        };
        let (desired, interval) = (a.desired(f, area, cap), a.interval());
        let o = self.meter.occupancy(f);
        let current = o.provisioning + o.busy + o.idle;
        for _ in current..desired {
            if !self.limits.has_headroom(f)
                || self
                    .spawn(now, f, StartCause::Autoscaler, SimTime::ZERO, false)
                    .is_none()
            {
                break;
            }
        }
        let next = now + interval;
        if next < self.horizon {
            self.queue.schedule(next, Event::Autoscale { func: f });
        }
    }

    pub(super) fn on_warmers(&mut self, now: SimTime, f: FunctionId) -> Result<()> {
        let Some(w) = &self.definition(f).warmers else {
            return Ok(());
        };
        let (every, k) = (w.every, w.concurrency);
        let next = now + every;
        if next < self.horizon {
            self.queue.schedule(next, Event::Warmers { func: f });
        }
        let measured = now >= self.warmup;
        for _ in 0..k {
            // Pings are not invocations of the function.
            let id = self.new_request(now, f, false);
            let inc = Incoming {
                id,
                arrival: now,
                exec: SimTime::MAX,
                ping: true,
                measured,
                event: NIL,
                parent: Parent::None,
            };
            self.serve(now, f, inc)?;
        }
        Ok(())
    }
}
