//! Memory-pressure eviction: which idle instance makes room when a new one does not fit.
//!
//! Only idle on-demand instances can be evicted (provisioned ones are allocated, busy ones
//! are working). The policy gives each idle instance a priority; the lowest goes first.
//! - `lru`: the instance idle the longest.
//! - `greedy_dual`: FaasCache's Greedy-Dual-Size-Frequency (Fuerst and Sharma, ASPLOS
//!   2021): priority = clock + frequency × cold-start cost / size, where frequency is the
//!   function's invocation count, cost its mean cold start (ms) and size its memory (MB);
//!   the clock rises to the priority of each evicted instance, so instances that have been
//!   idle through many evictions age out.

use serde::Deserialize;

/// The platform's `eviction` field.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Eviction {
    /// Least recently used first.
    #[default]
    Lru,
    /// Greedy-Dual-Size-Frequency (FaasCache).
    GreedyDual,
}

impl Eviction {
    /// The ordering key of an instance that went idle at `idle_since_ns` (lower = evicted
    /// first). Greedy-dual priorities are non-negative, so their IEEE bits order like them.
    pub fn key(
        self,
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
        }
    }
}
