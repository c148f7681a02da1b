//! Memory-pressure eviction: which idle instance makes room when a new one does not fit.
//!
//! Only idle on-demand instances can be evicted (provisioned ones are allocated, busy ones
//! are working). The policy gives each idle instance a priority; the lowest goes first.
//! - `lru`: the instance idle the longest.
//! - `greedy_dual`: FaasCache's Greedy-Dual-Size-Frequency (Fuerst and Sharma, ASPLOS
//!   2021): priority = clock + frequency × cold-start cost / size, where cost is the
//!   function's mean cold start (ms) and size its memory (MB). Frequency is the number of
//!   invocations of the function since it was last loaded: it counts while the function
//!   has an instance in memory and resets to zero when its last instance goes (evicted,
//!   expired or recycled), as FaasCache resets a function's frequency when its containers
//!   are evicted, so a once-hot function does not keep its priority forever. The clock
//!   rises to the priority of each evicted instance, so instances that have been idle
//!   through many evictions age out.
//!
//! A library user adds an order of their own without forking: implement
//! [`EvictionPolicy`] (a priority for each idle instance, and whether the clock ages) and
//! set the platform's `eviction` to [`Eviction::Custom`].

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Deserialize;

use crate::model::id::{FunctionId, PerFunction};
use crate::time::SimTime;

/// The platform's `eviction` field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Eviction {
    /// Least recently used first.
    #[default]
    Lru,
    /// Greedy-Dual-Size-Frequency (FaasCache).
    GreedyDual,
    /// An order of the library user's own (not in profile or scenario files).
    #[serde(skip)]
    Custom(Arc<dyn EvictionPolicy>),
}

impl PartialEq for Eviction {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Eviction::Lru, Eviction::Lru) | (Eviction::GreedyDual, Eviction::GreedyDual) => true,
            // The same policy object.
            (Eviction::Custom(a), Eviction::Custom(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// What an eviction policy knows of an idle instance when it goes idle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdleInstance {
    /// When it went idle.
    pub idle_since: SimTime,
    /// The policy's clock: the priority of the last instance evicted (0 until then, and
    /// always 0 for a policy that does not age).
    pub clock: f64,
    /// Its function's invocations since the function was last loaded (its first instance
    /// in memory after none).
    pub frequency: u64,
    /// Its function's mean cold start, ms (the cost of evicting it).
    pub cold_start_ms: f64,
    /// Its memory, MB.
    pub memory_mb: f64,
}

/// An eviction order of one's own: what [`Eviction::Custom`] carries.
pub trait EvictionPolicy: std::fmt::Debug + Send + Sync {
    /// A short name, for listings.
    fn name(&self) -> &'static str;
    /// The instance's priority: the lowest is evicted first (ties: the lower slot). A
    /// value below zero or not a number counts as zero.
    fn priority(&self, idle: IdleInstance) -> f64;
    /// Whether the clock rises to the priority of each evicted instance (greedy-dual
    /// aging).
    fn ages(&self) -> bool {
        false
    }
}

impl Eviction {
    /// The ordering key of an instance that went idle at `idle_since_ns` (lower = evicted
    /// first). Greedy-dual priorities are non-negative, so their IEEE bits order like them.
    pub fn key(
        &self,
        idle_since_ns: u64,
        clock: f64,
        frequency: u64,
        cost_ms: f64,
        size_mb: f64,
    ) -> u64 {
        match self {
            Eviction::Lru => idle_since_ns,
            Eviction::GreedyDual => {
                let p = clock + frequency as f64 * cost_ms / size_mb.max(1.0);
                p.max(0.0).to_bits()
            }
            // Non-negative priorities order like their IEEE bits; NaN becomes 0 too.
            Eviction::Custom(policy) => policy
                .priority(IdleInstance {
                    idle_since: SimTime(idle_since_ns),
                    clock,
                    frequency,
                    cold_start_ms: cost_ms,
                    memory_mb: size_mb,
                })
                .max(0.0)
                .to_bits(),
        }
    }
}

/// The eviction policy's state over a run: the idle instances that may be evicted, in
/// eviction order, the greedy-dual clock and each function's invocation frequency since it
/// was last loaded.
#[derive(Debug, Clone)]
pub struct EvictionOrder {
    policy: Eviction,
    /// Greedy-dual: the priority of the last instance evicted.
    clock: f64,
    /// Invocations since the function was last loaded, per function (greedy-dual
    /// frequency).
    frequency: PerFunction<u64>,
    /// `(key, instance)`: the lowest key goes first.
    idle: BTreeSet<(u64, u32)>,
}

impl EvictionOrder {
    /// An empty order for `functions` functions.
    pub fn new(policy: Eviction, functions: usize) -> Self {
        EvictionOrder {
            policy,
            clock: 0.0,
            frequency: vec![0; functions].into(),
            idle: BTreeSet::new(),
        }
    }

    /// Function `f` was invoked once more.
    #[inline]
    pub fn note_invocation(&mut self, f: FunctionId) {
        self.frequency[f] += 1;
    }

    /// Function `f`'s last instance left memory: its frequency starts again from zero.
    #[inline]
    pub fn unloaded(&mut self, f: FunctionId) {
        self.frequency[f] = 0;
    }

    /// Files `instance` of function `f`, idle since `now`, whose function's mean cold
    /// start costs `cost_ms` and which holds `size_mb`; returns its key (to
    /// [`forget`](Self::forget) it when it leaves the idle set).
    pub fn insert(
        &mut self,
        instance: u32,
        f: FunctionId,
        now: u64,
        cost_ms: f64,
        size_mb: f64,
    ) -> u64 {
        let key = self
            .policy
            .key(now, self.clock, self.frequency[f], cost_ms, size_mb);
        self.idle.insert((key, instance));
        key
    }

    /// Takes an instance out of the order (it is no longer idle).
    #[inline]
    pub fn forget(&mut self, key: u64, instance: u32) {
        self.idle.remove(&(key, instance));
    }

    /// Takes the next instance to evict out of the order (greedy-dual: the clock rises to
    /// its priority), or `None` when no idle instance is left.
    pub fn pop_victim(&mut self) -> Option<u32> {
        let (key, instance) = self.idle.pop_first()?;
        let ages = match &self.policy {
            Eviction::GreedyDual => true,
            Eviction::Custom(p) => p.ages(),
            Eviction::Lru => false,
        };
        if ages {
            self.clock = f64::from_bits(key);
        }
        Some(instance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F0: FunctionId = FunctionId::new(0);
    const F1: FunctionId = FunctionId::new(1);

    /// A custom order that does not say it ages keeps the clock at 0 (the trait's
    /// documented default): its priorities see 0 even after an eviction at priority 10.
    #[test]
    fn a_custom_order_does_not_age_unless_it_says_so() {
        #[derive(Debug, Default)]
        struct Seen(std::sync::Mutex<Vec<f64>>);
        impl EvictionPolicy for Seen {
            fn name(&self) -> &'static str {
                "seen"
            }
            fn priority(&self, idle: IdleInstance) -> f64 {
                self.0.lock().unwrap().push(idle.clock);
                10.0
            }
        }
        let policy = Arc::new(Seen::default());
        let mut o = EvictionOrder::new(Eviction::Custom(policy.clone()), 1);
        o.insert(1, F0, 100, 100.0, 128.0);
        assert_eq!(o.pop_victim(), Some(1));
        o.insert(2, F0, 200, 100.0, 128.0);
        assert_eq!(*policy.0.lock().unwrap(), [0.0, 0.0]);
    }

    /// Orders compare by kind; custom ones by identity (the same object).
    #[test]
    fn eviction_equality() {
        #[derive(Debug)]
        struct Mine;
        impl EvictionPolicy for Mine {
            fn name(&self) -> &'static str {
                "mine"
            }
            fn priority(&self, _: IdleInstance) -> f64 {
                0.0
            }
        }
        let mine: Arc<dyn EvictionPolicy> = Arc::new(Mine);
        assert_eq!(Eviction::Lru, Eviction::Lru);
        assert_eq!(Eviction::GreedyDual, Eviction::GreedyDual);
        assert_ne!(Eviction::Lru, Eviction::GreedyDual);
        assert_eq!(
            Eviction::Custom(mine.clone()),
            Eviction::Custom(mine.clone())
        );
        assert_ne!(Eviction::Custom(mine), Eviction::Custom(Arc::new(Mine)));
    }

    #[test]
    fn lru_evicts_the_longest_idle_first() {
        let mut o = EvictionOrder::new(Eviction::Lru, 1);
        o.insert(7, F0, 300, 100.0, 128.0);
        let k = o.insert(8, F0, 100, 100.0, 128.0);
        o.insert(9, F0, 200, 100.0, 128.0);
        assert_eq!(o.pop_victim(), Some(8));
        o.forget(k, 8); // already gone: no effect
        assert_eq!(o.pop_victim(), Some(9));
        assert_eq!(o.pop_victim(), Some(7));
        assert_eq!(o.pop_victim(), None);
    }

    /// Greedy-dual by hand: priority = clock + frequency × cost / size. Function 0 (3
    /// calls, 500 ms, 1,000 MB) has 1.5, function 1 (1 call, 300 ms, 100 MB) 3: 0 goes
    /// first and the clock becomes 1.5, so a later instance of 0 has 3.0 (ties break by
    /// instance number) and one of 1, 4.5.
    #[test]
    fn greedy_dual_priorities_and_clock_by_hand() {
        let mut o = EvictionOrder::new(Eviction::GreedyDual, 2);
        for _ in 0..3 {
            o.note_invocation(F0);
        }
        o.note_invocation(F1);
        o.insert(10, F0, 0, 500.0, 1000.0);
        o.insert(11, F1, 0, 300.0, 100.0);
        assert_eq!(o.pop_victim(), Some(10));
        assert_eq!(o.clock, 1.5);
        o.insert(12, F0, 0, 500.0, 1000.0);
        o.insert(13, F1, 0, 300.0, 100.0);
        assert_eq!(o.pop_victim(), Some(11));
        assert_eq!(o.clock, 3.0);
        assert_eq!(o.pop_victim(), Some(12));
        assert_eq!(o.pop_victim(), Some(13));
        assert_eq!(o.clock, 4.5);
    }

    /// FaasCache's frequency counts since the function was loaded: function 0 was called
    /// 100 times, then its last instance left memory; a new instance of it has priority
    /// clock + 0 × cost / size = 0 and goes before function 1's (1 call: 300 / 100 = 3),
    /// where the count since t = 0 would have kept it (100 × 500 / 1,000 = 50) ahead.
    #[test]
    fn a_function_that_left_memory_starts_its_frequency_again() {
        let mut o = EvictionOrder::new(Eviction::GreedyDual, 2);
        for _ in 0..100 {
            o.note_invocation(F0);
        }
        o.note_invocation(F1);
        o.unloaded(F0);
        o.insert(20, F0, 0, 500.0, 1000.0);
        o.insert(21, F1, 0, 300.0, 100.0);
        assert_eq!(o.pop_victim(), Some(20));
        assert_eq!(o.clock, 0.0);
        o.note_invocation(F0);
        o.note_invocation(F0);
        o.insert(22, F0, 0, 500.0, 1000.0);
        // Two calls since it was loaded again: 2 × 0.5 = 1 < 3.
        assert_eq!(o.pop_victim(), Some(22));
        assert_eq!(o.pop_victim(), Some(21));
    }
}
