//! What may start: concurrency limits, scale-out rate limits and memory.
//!
//! Concurrency counts on-demand instances that are starting or executing, plus every
//! allocated provisioned instance (Lambda's definition, where an instance serves one
//! request); idle on-demand instances do not count. A function with `max_concurrency`
//! (reserved concurrency) is capped by it and does not use the shared pool; the others
//! share `account_concurrency − Σ reserved`. Scale-out buckets (`scale_out.rs`) give one
//! token per new on-demand instance. With a memory capacity, a new instance must fit, and
//! idle on-demand instances are evicted in the eviction policy's order to make room.

use super::scale_out::Bucket;
use crate::model::{FunctionId, PerFunction};
use crate::policy::eviction::EvictionOrder;
use crate::profile::ScaleOut;
use crate::time::SimTime;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// A concurrency limit (reserved or the account's).
    Concurrency,
    /// No scale-out token.
    ScaleOut,
    /// The new instance does not fit in memory.
    Memory,
    /// Waited in the pending queue as long as it may.
    PendingTimeout,
}

/// One function's concurrency.
#[derive(Debug, Clone)]
struct FunctionLimits {
    /// Reserved concurrency.
    reserved: Option<u32>,
    /// On-demand instances starting or executing.
    od_in_flight: u32,
    /// Provisioned instances allocated (initialising or ready).
    pc_allocated: u32,
    /// Per-function scale-out bucket.
    scale_out: Option<Bucket>,
    /// Its peak in the current stretch, while functions run apart.
    mark: Mark,
}

/// Concurrency and scale-out limits of every function and of the account.
pub(super) struct Limits {
    funcs: PerFunction<FunctionLimits>,
    /// In-flight concurrency of functions without reserved concurrency.
    unreserved_in_flight: u32,
    unreserved_limit: u32,
    /// Account-wide scale-out bucket.
    account_scale_out: Option<Bucket>,
    /// Functions run apart: the account's limit is checked afterwards, stretch by stretch.
    deferred: Option<Deferred>,
}

/// The account's concurrency limit while functions run apart (`independent.rs`).
///
/// Within a stretch the shared count is not replayed in time order (that would take two
/// changes per request); it is bounded instead. At any instant of the stretch, whatever
/// the order of simultaneous changes, it is at most its value at the stretch's start plus,
/// for each function, how far the function's own count rose above its value at the
/// stretch's start. If that bound stays below the limit, no request could have been
/// refused by it.
struct Deferred {
    limit: u32,
    /// The stretch being run: a function's [`Mark`] is for it when their numbers match.
    stretch: u32,
    /// The shared count when the stretch began.
    at_start: u32,
    /// Σ over functions of (own peak in the stretch − own count when it began).
    rises: u64,
}

/// One function's own count in the current stretch (see [`Deferred`]).
#[derive(Debug, Clone, Copy, Default)]
struct Mark {
    stretch: u32,
    peak: u32,
}

/// The concurrency that functions without reserved concurrency share: the account's
/// `account_concurrency` less the reservations of all its functions (`reserved`, one per
/// function of the scenario; validation keeps the difference non-negative).
pub(super) fn unreserved(
    account_concurrency: u32,
    reserved: impl Iterator<Item = Option<u32>>,
) -> u32 {
    account_concurrency - reserved.flatten().sum::<u32>()
}

impl Limits {
    /// Limits for functions with these reserved concurrencies, sharing `unreserved_limit`
    /// (the account's concurrency less every function's reservation: see [`unreserved`];
    /// the scenario's, also when these are some of its functions), under the platform's
    /// scale-out buckets.
    pub(super) fn new(
        reserved: impl Iterator<Item = Option<u32>>,
        unreserved_limit: u32,
        scale_out: &ScaleOut,
    ) -> Self {
        let funcs: PerFunction<FunctionLimits> = reserved
            .map(|reserved| FunctionLimits {
                reserved,
                od_in_flight: 0,
                pc_allocated: 0,
                scale_out: scale_out.per_function.map(Bucket::new),
                mark: Mark::default(),
            })
            .collect();
        Limits {
            funcs,
            unreserved_in_flight: 0,
            unreserved_limit,
            account_scale_out: scale_out.account.map(Bucket::new),
            deferred: None,
        }
    }

    /// Functions will run apart: requests no longer see the account's limit (the other
    /// functions' requests of the stretch have not come yet); [`Limits::close_stretch`]
    /// says afterwards whether it could have refused one.
    pub(super) fn run_apart(&mut self) {
        self.deferred = Some(Deferred {
            limit: self.unreserved_limit,
            stretch: 1,
            at_start: 0,
            rises: 0,
        });
        self.unreserved_limit = u32::MAX;
    }

    /// Functions run apart: ends the stretch and returns the most the account's shared
    /// concurrency can have been at any instant of it, whatever the order of simultaneous
    /// changes: its value when the stretch began plus each function's own rise (see
    /// [`Deferred`]). When the functions are split among threads, each thread's `Limits`
    /// counts only its own functions, and the bound for all is the sum of the threads'.
    /// Below [`Limits::account_limit`], no request could have been refused by the limit.
    pub(super) fn close_stretch(&mut self) -> u64 {
        let Some(d) = self.deferred.as_mut() else {
            return 0;
        };
        let bound = u64::from(d.at_start) + d.rises;
        d.stretch += 1;
        d.at_start = self.unreserved_in_flight;
        d.rises = 0;
        bound
    }

    /// Functions run apart: the account's limit on the shared concurrency, which the
    /// stretches' bounds ([`Limits::close_stretch`]) must stay below.
    pub(super) fn account_limit(&self) -> u64 {
        self.deferred
            .as_ref()
            .map_or(u64::MAX, |d| u64::from(d.limit))
    }

    /// Changes function `f`'s in-flight concurrency (on-demand or provisioned).
    #[inline]
    pub(super) fn in_flight(&mut self, f: FunctionId, provisioned: bool, delta: i32) {
        let fl = &mut self.funcs[f];
        if let Some(d) = self.deferred.as_mut()
            && fl.reserved.is_none()
        {
            // Functions run apart: the function's peak in the stretch (see `Deferred`).
            let own = fl.od_in_flight + fl.pc_allocated;
            if fl.mark.stretch != d.stretch {
                fl.mark = Mark {
                    stretch: d.stretch,
                    peak: own,
                };
            }
            let after = own.wrapping_add_signed(delta);
            if after > fl.mark.peak {
                d.rises += u64::from(after - fl.mark.peak);
                fl.mark.peak = after;
            }
        }
        let c = if provisioned {
            &mut fl.pc_allocated
        } else {
            &mut fl.od_in_flight
        };
        *c = c.wrapping_add_signed(delta);
        if fl.reserved.is_none() {
            self.unreserved_in_flight = self.unreserved_in_flight.wrapping_add_signed(delta);
        }
    }

    /// Provisioned instances of `f` allocated now.
    #[inline]
    pub(super) fn pc_allocated(&self, f: FunctionId) -> u32 {
        self.funcs[f].pc_allocated
    }

    /// On-demand instances of `f` starting or executing now.
    #[inline]
    pub(super) fn od_in_flight(&self, f: FunctionId) -> u32 {
        self.funcs[f].od_in_flight
    }

    /// Whether function `f` may start one more instance now.
    #[inline]
    pub(super) fn has_headroom(&self, f: FunctionId) -> bool {
        let fl = &self.funcs[f];
        match fl.reserved {
            Some(reserved) => fl.od_in_flight + fl.pc_allocated < reserved,
            None => self.unreserved_in_flight < self.unreserved_limit,
        }
    }

    /// Whether a request of `f` may start a new on-demand instance at `now`: under its
    /// concurrency limit, then with a scale-out token left (the token is taken by
    /// [`take_scale_out_token`](Self::take_scale_out_token) once the instance exists).
    #[inline]
    pub(super) fn may_start(&mut self, now: SimTime, f: FunctionId) -> Result<(), Refusal> {
        if !self.has_headroom(f) {
            return Err(Refusal::Concurrency);
        }
        let ready = self.funcs[f]
            .scale_out
            .as_mut()
            .is_none_or(|b| b.ready(now))
            && self.account_scale_out.as_mut().is_none_or(|b| b.ready(now));
        if !ready {
            return Err(Refusal::ScaleOut);
        }
        Ok(())
    }

    /// Takes a token from every scale-out bucket that applies to `f`.
    pub(super) fn take_scale_out_token(&mut self, f: FunctionId) {
        if let Some(b) = self.funcs[f].scale_out.as_mut() {
            b.take();
        }
        if let Some(b) = self.account_scale_out.as_mut() {
            b.take();
        }
    }
}

/// Memory held by instances, against the platform's capacity.
pub(super) struct Memory {
    /// Capacity, MB (`None`: unlimited).
    capacity_mb: Option<f64>,
    used_mb: f64,
    /// Idle on-demand instances in eviction order (only with a capacity).
    order: EvictionOrder,
    /// Per function: mean cold start (ms, the greedy-dual cost) and an instance's memory
    /// (MB, its size).
    funcs: PerFunction<(f64, u32)>,
    /// Per function: instances in memory (any kind, any state).
    loaded: PerFunction<u32>,
}

/// What making room for a new instance needs next.
pub(super) enum Room {
    /// It fits.
    Fits,
    /// Evict this idle instance, then ask again.
    Evict(u32),
    /// Nothing left to evict: it cannot fit.
    Full,
}

impl Memory {
    /// Memory of a platform with `capacity_mb`, evicting in `order`; `funcs` gives each
    /// function's mean cold start (ms) and instance memory (MB).
    pub(super) fn new(
        capacity_mb: Option<f64>,
        order: EvictionOrder,
        funcs: PerFunction<(f64, u32)>,
    ) -> Self {
        Memory {
            capacity_mb,
            used_mb: 0.0,
            order,
            loaded: funcs.iter().map(|_| 0).collect(),
            funcs,
        }
    }

    /// The memory of one instance of function `f`, MB.
    #[inline]
    pub(super) fn instance_mb(&self, f: FunctionId) -> u32 {
        self.funcs[f].1
    }

    /// Whether instances are tracked for eviction (the platform has a capacity).
    #[inline]
    pub(super) fn limited(&self) -> bool {
        self.capacity_mb.is_some()
    }

    /// Function `f` was invoked once more (greedy-dual frequency).
    #[inline]
    pub(super) fn note_invocation(&mut self, f: FunctionId) {
        // Only an eviction order under a capacity uses the frequencies.
        if self.limited() {
            self.order.note_invocation(f);
        }
    }

    /// The next step to fit `memory_mb` more.
    pub(super) fn room_for(&mut self, memory_mb: u32) -> Room {
        let Some(cap) = self.capacity_mb else {
            return Room::Fits;
        };
        if self.used_mb + f64::from(memory_mb) <= cap {
            return Room::Fits;
        }
        match self.order.pop_victim() {
            Some(victim) => Room::Evict(victim),
            None => Room::Full,
        }
    }

    /// An instance of `f` starts (`true`) or goes away (`false`). When its function's
    /// last instance goes, the eviction order forgets the function's frequency.
    #[inline]
    pub(super) fn hold(&mut self, f: FunctionId, held: bool) {
        let memory_mb = f64::from(self.funcs[f].1);
        if held {
            self.used_mb += memory_mb;
        } else {
            self.used_mb -= memory_mb;
        }
        let loaded = &mut self.loaded[f];
        if held {
            *loaded += 1;
        } else {
            *loaded -= 1;
            if *loaded == 0 && self.limited() {
                self.order.unloaded(f);
            }
        }
    }

    /// Instances of `f` in memory now (any kind, any state).
    #[inline]
    pub(super) fn loaded(&self, f: FunctionId) -> u32 {
        self.loaded[f]
    }

    /// Files idle on-demand instance `slot` of `f` for eviction; returns its key.
    pub(super) fn file_idle(&mut self, slot: u32, f: FunctionId, now: SimTime) -> Option<u64> {
        if !self.limited() {
            return None;
        }
        let (cost, size) = self.funcs[f];
        Some(self.order.insert(slot, f, now.0, cost, f64::from(size)))
    }

    /// Takes instance `slot` (filed under `key`) out of the eviction order.
    #[inline]
    pub(super) fn unfile(&mut self, key: u64, slot: u32) {
        self.order.forget(key, slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::Eviction;

    /// The frequency resets when the function's last instance goes, not before: with two
    /// instances loaded, one leaving keeps the count (5 calls × 500 ms / 1,000 MB = 2.5);
    /// the second leaving resets it (0).
    #[test]
    fn the_last_instance_leaving_resets_the_greedy_dual_frequency() {
        let f = FunctionId::new(0);
        let order = EvictionOrder::new(Eviction::GreedyDual, 1);
        let mut m = Memory::new(Some(4096.0), order, vec![(500.0, 1000)].into());
        m.hold(f, true);
        m.hold(f, true);
        for _ in 0..5 {
            m.note_invocation(f);
        }
        m.hold(f, false);
        assert_eq!(m.file_idle(1, f, SimTime::ZERO), Some(2.5f64.to_bits()));
        m.hold(f, false);
        m.hold(f, true);
        assert_eq!(m.file_idle(2, f, SimTime::ZERO), Some(0.0f64.to_bits()));
    }
}
