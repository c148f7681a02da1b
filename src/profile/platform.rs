//! Platform profiles: limits, keep-alive, cold-start terms and prices
//! (`models/platforms/*.json`).

use serde::Deserialize;
use serde_json::Value;

use super::Located;
use crate::dist::{Dist, DistSpec};
use crate::error::{Error, FieldError, Result};
use crate::json;
use crate::policy::keep_alive::{KeepAlive, KeepAliveSpec};

/// A platform profile as written. See `models/README.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSpec {
    /// Profile name.
    pub name: String,
    /// One line on what is modelled.
    #[serde(default)]
    pub description: String,
    /// Date of the newest data behind the defaults.
    #[serde(default)]
    pub data_as_of: Option<String>,
    /// Concurrent executions (busy + starting instances) allowed across all functions.
    pub account_concurrency: u32,
    /// Concurrency that reserved concurrency may not take from the account (AWS: 100).
    #[serde(default)]
    pub min_unreserved_concurrency: u32,
    /// Default keep-alive for functions that do not set one.
    pub keep_alive: KeepAliveSpec,
    /// Sandbox / placement phase of a cold start, ms.
    pub sandbox_ms: DistSpec,
    /// Code-load time per MB of function package, ms.
    #[serde(default)]
    pub code_load_ms_per_mb: f64,
    /// Allowed memory sizes.
    pub memory_mb: MemoryRange,
    /// Longest allowed execution, seconds.
    #[serde(default)]
    pub max_timeout_s: Option<f64>,
    /// Prices (used by the cost model).
    #[serde(default)]
    pub pricing: Option<PricingSpec>,
    /// Citations.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Modelling notes.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Memory sizes a function may configure, MB.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MemoryRange {
    /// Smallest size.
    pub min: u32,
    /// Largest size.
    pub max: u32,
    /// Size used when a function does not say.
    pub default: u32,
}

/// List prices, as published; see `models/README.md` for each field.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PricingSpec {
    /// ISO currency code.
    pub currency: String,
    /// Fee per million requests.
    pub request_per_million: f64,
    /// Price of one GB-second of billed duration, by architecture (`x86_64`, `arm64`).
    pub gb_second: Value,
    /// Provisioned-concurrency price per GB-second allocated, by architecture.
    #[serde(default)]
    pub provisioned_gb_second: Option<Value>,
    /// Duration price per GB-second while running on provisioned concurrency.
    #[serde(default)]
    pub provisioned_duration_gb_second: Option<Value>,
    /// Billed duration is rounded up to this, ms.
    pub billing_granularity_ms: f64,
    /// Whether the init phase of a cold start is billed.
    #[serde(default)]
    pub init_billed: bool,
    /// Monthly free tier.
    #[serde(default)]
    pub free_tier: Option<Value>,
}

/// A validated platform.
#[derive(Debug, Clone, PartialEq)]
pub struct Platform {
    /// Profile name.
    pub name: String,
    /// Account-wide concurrency limit.
    pub account_concurrency: u32,
    /// Concurrency reserved concurrency may not take.
    pub min_unreserved_concurrency: u32,
    /// Default keep-alive.
    pub keep_alive: KeepAlive,
    /// Sandbox phase of a cold start.
    pub sandbox: Dist,
    /// Code-load time per MB of package, ms.
    pub code_load_ms_per_mb: f64,
    /// Allowed memory sizes.
    pub memory_mb: MemoryRange,
    /// Longest allowed execution, seconds.
    pub max_timeout_s: Option<f64>,
    /// Prices.
    pub pricing: Option<PricingSpec>,
}

impl PlatformSpec {
    /// Validates; `prefix` is this profile's path inside its document.
    pub fn validate(&self, prefix: &str) -> Result<Platform, FieldError> {
        let at = |f: &str| json::join_path(prefix, f);
        if self.account_concurrency == 0 {
            return Err(FieldError::new(
                at("account_concurrency"),
                "expected at least 1 concurrent execution",
            ));
        }
        if self.min_unreserved_concurrency > self.account_concurrency {
            return Err(FieldError::new(
                at("min_unreserved_concurrency"),
                format!(
                    "expected at most account_concurrency ({}), got {}",
                    self.account_concurrency, self.min_unreserved_concurrency
                ),
            ));
        }
        if !(self.code_load_ms_per_mb.is_finite() && self.code_load_ms_per_mb >= 0.0) {
            return Err(FieldError::new(
                at("code_load_ms_per_mb"),
                format!("expected a number >= 0, got {}", self.code_load_ms_per_mb),
            ));
        }
        let m = self.memory_mb;
        if m.min == 0 || m.min > m.max || !(m.min..=m.max).contains(&m.default) {
            return Err(FieldError::new(
                at("memory_mb"),
                format!(
                    "expected 0 < min <= default <= max, got min {}, default {}, max {}",
                    m.min, m.default, m.max
                ),
            ));
        }
        if let Some(t) = self.max_timeout_s
            && !(t.is_finite() && t > 0.0)
        {
            return Err(FieldError::new(
                at("max_timeout_s"),
                format!("expected a number of seconds > 0, got {t}"),
            ));
        }
        Ok(Platform {
            name: self.name.clone(),
            account_concurrency: self.account_concurrency,
            min_unreserved_concurrency: self.min_unreserved_concurrency,
            keep_alive: self.keep_alive.validate(&at("keep_alive"))?,
            sandbox: self.sandbox_ms.validate(&at("sandbox_ms"))?,
            code_load_ms_per_mb: self.code_load_ms_per_mb,
            memory_mb: m,
            max_timeout_s: self.max_timeout_s,
            pricing: self.pricing.clone(),
        })
    }
}

impl Platform {
    /// Loads a located platform document, after overlaying `overrides` (the scenario's
    /// `platform_overrides`, found in `scenario_origin`) onto it. An error in a field the
    /// overrides set is reported against the scenario, where the user can fix it.
    pub(crate) fn from_located(
        mut doc: Located,
        overrides: Option<&Value>,
        scenario_origin: &str,
    ) -> Result<Platform> {
        if let Some(patch) = overrides {
            json::merge(&mut doc.value, patch);
        }
        let blame = |err: Error| -> Error {
            let Error::Invalid {
                origin,
                field,
                message,
            } = err
            else {
                return err;
            };
            let top = field.split(['.', '[']).next().unwrap_or_default();
            match overrides.and_then(|o| o.get(top)) {
                Some(_) => Error::Invalid {
                    origin: scenario_origin.to_owned(),
                    field: format!("platform_overrides.{field}"),
                    message,
                },
                None => Error::Invalid {
                    origin,
                    field,
                    message,
                },
            }
        };
        let spec: PlatformSpec =
            json::from_value(doc.value, &doc.origin, &doc.prefix).map_err(blame)?;
        spec.validate(&doc.prefix)
            .map_err(|e| blame(e.in_origin(doc.origin.clone())))
    }
}
