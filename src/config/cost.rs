//! The scenario's `cost` object as written, and its validation.

use serde::Deserialize;

use super::check;
use crate::error::FieldError;
use crate::model::{CostSettings, Fleet, SizeFor};

/// The scenario's `cost` object.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    /// Credit the platform's monthly free tier, prorated (default false).
    #[serde(default)]
    pub free_tier: bool,
    /// The always-on fleet used for comparison.
    #[serde(default)]
    pub fleet: FleetSpec,
    /// Share of a request's billed duration billed as CPU time on platforms that bill CPU
    /// time (`cpu_ms_per_million`), 0..=1, for every function. Default: each function's
    /// own CPU share (`cpu_fraction` × its vCPUs up to one), the same share that sizes the
    /// always-on fleet and is shared under `cpu_sharing`; setting it overrides that on
    /// purpose, with a warning where the two disagree.
    #[serde(default)]
    pub cpu_time_fraction: Option<f64>,
}

fn d_fleet_price() -> f64 {
    0.0416
}
fn d_fleet_vcpus() -> f64 {
    2.0
}
fn d_fleet_util() -> f64 {
    0.6
}

/// An always-on fleet of identical servers (default: EC2 t3.medium, 2 vCPU, $0.0416/h
/// on-demand Linux us-east-1, as transcribed in the shared runtime-facts note, section 5).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FleetSpec {
    /// Price of one server per hour.
    #[serde(default = "d_fleet_price")]
    pub usd_per_hour: f64,
    /// vCPUs per server.
    #[serde(default = "d_fleet_vcpus")]
    pub vcpus: f64,
    /// Utilisation the fleet is sized for (0..1].
    #[serde(default = "d_fleet_util")]
    pub target_utilisation: f64,
    /// Size for the CPU demand of the busiest window (`peak`, default) or the mean.
    #[serde(default)]
    pub size_for: SizeFor,
    /// The window the peak is measured over, seconds (default 60: one-minute metrics, as
    /// capacity is commonly planned).
    #[serde(default = "d_fleet_window")]
    pub window_s: f64,
}

fn d_fleet_window() -> f64 {
    60.0
}

impl Default for FleetSpec {
    fn default() -> Self {
        FleetSpec {
            usd_per_hour: d_fleet_price(),
            vcpus: d_fleet_vcpus(),
            target_utilisation: d_fleet_util(),
            size_for: SizeFor::Peak,
            window_s: d_fleet_window(),
        }
    }
}

impl CostSpec {
    /// Validates (field paths under `cost`).
    pub fn validate(&self) -> Result<CostSettings, FieldError> {
        let f = &self.fleet;
        check::non_negative(f.usd_per_hour, "cost.fleet.usd_per_hour", "a price")?;
        check::positive(f.vcpus, "cost.fleet.vcpus", "a number")?;
        check::within_excluding_low(
            f.target_utilisation,
            0.0,
            1.0,
            "cost.fleet.target_utilisation",
            "a utilisation",
        )?;
        if let Some(share) = self.cpu_time_fraction {
            check::fraction(share, "cost.cpu_time_fraction")?;
        }
        Ok(CostSettings {
            free_tier: self.free_tier,
            fleet: Fleet {
                usd_per_hour: f.usd_per_hour,
                vcpus: f.vcpus,
                target_utilisation: f.target_utilisation,
                size_for: f.size_for,
                window: check::positive_seconds(f.window_s, "cost.fleet.window_s")?,
            },
            cpu_time_fraction: self.cpu_time_fraction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_a_t3_medium_fleet_at_60_percent_sized_for_the_peak() {
        let c = CostSpec::default().validate().unwrap();
        assert!(!c.free_tier);
        assert_eq!(c.cpu_time_fraction, None);
        assert_eq!(
            c.fleet,
            Fleet {
                usd_per_hour: 0.0416,
                vcpus: 2.0,
                target_utilisation: 0.6,
                size_for: SizeFor::Peak,
                window: crate::time::SimTime::from_secs(60.0),
            }
        );
    }

    #[test]
    fn a_fleet_sized_for_zero_utilisation_is_refused() {
        let mut spec = CostSpec::default();
        spec.fleet.target_utilisation = 0.0;
        let e = spec.validate().unwrap_err();
        assert_eq!(e.field, "cost.fleet.target_utilisation");
        assert_eq!(e.message, "expected a utilisation in (0, 1], got 0");
        spec.fleet.target_utilisation = 1.0;
        assert!(spec.validate().is_ok());
    }
}
