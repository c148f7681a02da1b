//! Each function's pool of instances that can take a request, and routing among them.
//!
//! A function's pool holds its idle instances (provisioned and on-demand apart, each in an
//! [`IdleSet`] organised by the function's `reuse` rule) and, with several requests per
//! instance, the instances that still have a free slot (the "open" sets: starting, ready
//! provisioned, ready on-demand), keyed by how many requests they hold. Routing takes
//! provisioned before on-demand, ready before starting; among ready instances `pack`
//! prefers the busiest open one to an idle one and `spread` the other way round.
//!
//! For a function whose requests share the CPU, an instance is CPU-full once its requests'
//! CPU-bound share reaches its vCPUs (requests × `cpu_fraction` ≥ `vcpus`), below its
//! concurrency limit: routing treats it as full, so the request goes to an instance with
//! CPU to spare, an idle one, or a new one, as Cloud Run's router does not pile requests on
//! a saturated instance. Only when no new instance may start does a request join a CPU-full
//! instance that still has a slot, the least busy one ([`Pool::route_saturated`]).

use std::collections::BTreeSet;

use super::idle::IdleSet;
use super::instance::{Instance, Open, State};
use crate::engine::Slab;
use crate::model::{Reuse, Routing};
use crate::rng::SimRng;

/// Key of an instance in an open set: (requests assigned, creation serial, slot).
type OpenKey = (u32, u64, u32);

/// One function's pool (kept in the function's state by the simulator, for locality).
pub(super) struct Pool {
    idle: IdleSet,
    pc_idle: IdleSet,
    open_pc: BTreeSet<OpenKey>,
    open_od: BTreeSet<OpenKey>,
    open_starting: BTreeSet<OpenKey>,
    route_rng: SimRng,
    routing: Routing,
    /// Requests per instance.
    cap: u32,
    /// Requests per instance before its CPU is full (`cap` without CPU sharing).
    cpu_cap: u32,
    /// The function has provisioned concurrency (so provisioned instances may exist).
    has_pc: bool,
}

/// How a function's pool is organised.
pub(super) struct PoolRules {
    /// Which idle on-demand instance a request takes.
    pub(super) reuse: Reuse,
    /// Busiest or least busy first (several requests per instance).
    pub(super) routing: Routing,
    /// Requests per instance.
    pub(super) cap: u32,
    /// Requests per instance before its CPU is full (`cap` without CPU sharing).
    pub(super) cpu_cap: u32,
    /// The function has provisioned concurrency.
    pub(super) has_pc: bool,
    /// The function's routing random stream (`random` reuse).
    pub(super) rng: SimRng,
}

impl Pool {
    /// An empty pool.
    pub(super) fn new(r: PoolRules) -> Self {
        Pool {
            idle: IdleSet::new(r.reuse),
            pc_idle: IdleSet::new(Reuse::Mru),
            open_pc: BTreeSet::new(),
            open_od: BTreeSet::new(),
            open_starting: BTreeSet::new(),
            route_rng: r.rng,
            routing: r.routing,
            cap: r.cap,
            cpu_cap: r.cpu_cap.clamp(1, r.cap),
            has_pc: r.has_pc,
        }
    }

    /// Requests per instance (the function's `per_instance_concurrency`).
    #[inline]
    pub(super) fn cap(&self) -> u32 {
        self.cap
    }

    /// Whether the function has provisioned concurrency.
    #[inline]
    pub(super) fn has_provisioned(&self) -> bool {
        self.has_pc
    }

    /// Whether the function has an idle on-demand instance.
    #[inline]
    pub(super) fn has_idle(&self) -> bool {
        !self.idle.is_empty()
    }

    /// Files instance `slot`, which just went idle, in its function's idle set.
    #[inline]
    pub(super) fn push_idle(&mut self, slot: u32, instances: &mut Slab<Instance>) {
        let pool = self;
        if instances[slot].provisioned {
            pool.pc_idle.push(slot, instances);
        } else {
            pool.idle.push(slot, instances);
        }
    }

    /// Takes idle instance `slot` out of its idle set (it goes away).
    #[inline]
    pub(super) fn remove_idle(&mut self, slot: u32, instances: &mut Slab<Instance>) {
        let pool = self;
        if instances[slot].provisioned {
            pool.pc_idle.remove(slot, instances);
        } else {
            pool.idle.remove(slot, instances);
        }
    }

    /// Picks the instance for a request of `f`, taking it out of its idle set if it was
    /// idle: provisioned before on-demand, ready before starting. `None`: no instance has
    /// a free slot. An idle on-demand instance is taken only if `idle_on_demand` (the
    /// function has concurrency headroom): idle on-demand instances do not count against
    /// the limits, so waking one makes one more in flight.
    #[inline]
    pub(super) fn route(
        &mut self,
        instances: &mut Slab<Instance>,
        idle_on_demand: bool,
    ) -> Option<u32> {
        let pool = self;
        if pool.cap == 1 {
            // Provisioned instances exist only under a provisioned policy.
            if pool.has_pc
                && let Some(slot) = pool.take_idle(true, instances)
            {
                return Some(slot);
            }
            return idle_on_demand
                .then(|| pool.take_idle(false, instances))
                .flatten();
        }
        let busiest_first = pool.routing == Routing::Pack;
        for provisioned in [true, false] {
            let open = if provisioned {
                Open::Provisioned
            } else {
                Open::OnDemand
            };
            let idle_ok = provisioned || idle_on_demand;
            let found = if busiest_first {
                pool.take_open(open).or_else(|| {
                    idle_ok
                        .then(|| pool.take_idle(provisioned, instances))
                        .flatten()
                })
            } else {
                idle_ok
                    .then(|| pool.take_idle(provisioned, instances))
                    .flatten()
                    .or_else(|| pool.take_open(open))
            };
            if found.is_some() {
                return found;
            }
        }
        pool.take_open(Open::Starting)
    }

    /// Files the instance in the open set its state calls for (several requests per
    /// instance only): starting or ready, with at least one request and a free slot.
    pub(super) fn open_update(&mut self, slot: u32, instances: &mut Slab<Instance>) {
        self.open_remove(slot, instances);
        let inst = &instances[slot];
        let pool = self;
        let cap = pool.cap;
        if cap == 1 || inst.draining || inst.active == 0 || inst.active >= cap {
            return;
        }
        let which = match (inst.state, inst.provisioned) {
            (State::Provisioning, _) => Open::Starting,
            (State::Busy, true) => Open::Provisioned,
            (State::Busy, false) => Open::OnDemand,
            _ => return,
        };
        let key = (inst.active, inst.serial, slot);
        match which {
            Open::Starting => pool.open_starting.insert(key),
            Open::Provisioned => pool.open_pc.insert(key),
            Open::OnDemand => pool.open_od.insert(key),
            Open::None => unreachable!(),
        };
        let inst = &mut instances[slot];
        inst.open = which;
        inst.open_active = inst.active;
    }

    /// Takes the instance out of whichever open set holds it.
    pub(super) fn open_remove(&mut self, slot: u32, instances: &mut Slab<Instance>) {
        let inst = &mut instances[slot];
        let which = std::mem::replace(&mut inst.open, Open::None);
        let key = (inst.open_active, inst.serial, slot);
        let pool = self;
        match which {
            Open::None => {}
            Open::Starting => {
                pool.open_starting.remove(&key);
            }
            Open::Provisioned => {
                pool.open_pc.remove(&key);
            }
            Open::OnDemand => {
                pool.open_od.remove(&key);
            }
        }
    }
}

impl Pool {
    // Private helpers.

    /// Takes an idle on-demand instance, as [`route`](Self::route) does for a function
    /// without provisioned concurrency and with one request per instance (the express
    /// lane's functions) that has concurrency headroom.
    #[inline]
    pub(super) fn take_idle_on_demand(&mut self, instances: &mut Slab<Instance>) -> Option<u32> {
        self.idle.take(instances, &mut self.route_rng)
    }

    /// Takes an idle instance out of the provisioned or the on-demand idle set.
    #[inline]
    fn take_idle(&mut self, provisioned: bool, instances: &mut Slab<Instance>) -> Option<u32> {
        let set = if provisioned {
            &mut self.pc_idle
        } else {
            &mut self.idle
        };
        set.take(instances, &mut self.route_rng)
    }

    /// The open set `which`.
    fn open_set(&self, which: Open) -> Option<&BTreeSet<OpenKey>> {
        match which {
            Open::Provisioned => Some(&self.open_pc),
            Open::OnDemand => Some(&self.open_od),
            Open::Starting => Some(&self.open_starting),
            Open::None => None,
        }
    }

    /// The instance with a free slot and CPU to spare in an open set (busiest or least
    /// busy); it stays there until its count changes.
    fn take_open(&self, which: Open) -> Option<u32> {
        let set = self.open_set(which)?;
        let key = if self.cpu_cap < self.cap {
            // Only instances whose CPU is not full.
            let mut below = set.range(..(self.cpu_cap, 0, 0));
            match self.routing {
                Routing::Pack => below.next_back(),
                Routing::Spread => below.next(),
            }
        } else {
            match self.routing {
                Routing::Pack => set.last(),
                Routing::Spread => set.first(),
            }
        };
        key.map(|k| k.2)
    }

    /// When no instance has CPU to spare and no new one may start: the least busy
    /// CPU-full instance that still has a slot (provisioned, then ready, then starting).
    pub(super) fn route_saturated(&self) -> Option<u32> {
        if self.cpu_cap >= self.cap {
            return None;
        }
        [Open::Provisioned, Open::OnDemand, Open::Starting]
            .into_iter()
            .find_map(|which| self.open_set(which)?.first().map(|k| k.2))
    }
}
