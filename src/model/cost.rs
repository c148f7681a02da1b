//! Validated cost-model settings: the free tier and the always-on fleet compared against.
//!
//! [`SizeFor`] is spelled in the file exactly as here, so it keeps `Deserialize` instead
//! of a spec copy.

use serde::Deserialize;

/// Cost-model settings (the scenario's `cost` object, validated).
#[derive(Debug, Clone, PartialEq)]
pub struct CostSettings {
    /// Credit the platform's monthly free tier, prorated.
    pub free_tier: bool,
    /// The always-on fleet used for comparison.
    pub fleet: Fleet,
    /// Share of a request's billed duration billed as CPU time, in [0, 1], for every
    /// function; `None` (the default): each function's own CPU time
    /// ([`Function::cpu_share`](super::Function::cpu_share)).
    pub cpu_time_fraction: Option<f64>,
}

/// An always-on fleet of identical servers.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    /// Price of one server per hour.
    pub usd_per_hour: f64,
    /// vCPUs per server (> 0).
    pub vcpus: f64,
    /// Utilisation the fleet is sized for, in (0, 1].
    pub target_utilisation: f64,
    /// Size for the busiest window's CPU demand or the mean.
    pub size_for: SizeFor,
    /// The window the peak is measured over.
    pub window: crate::time::SimTime,
}

/// Which load the fleet must carry.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SizeFor {
    /// The CPU demand of the busiest window.
    #[default]
    Peak,
    /// The CPU demand averaged over the measured period.
    Mean,
}
