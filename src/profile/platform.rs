//! Platform profiles: limits, keep-alive, cold-start terms and prices
//! (`models/platforms/*.json`).

use serde::Deserialize;
use serde_json::Value;

use super::Located;
use crate::config::check;
use crate::dist::{Dist, DistSpec};
use crate::error::{Error, FieldError, Result};
use crate::json;
use crate::policy::eviction::Eviction;
use crate::policy::keep_alive::{KeepAlive, KeepAliveSpec};
use crate::time::SimTime;

/// The retry bound of a platform that publishes none: each retry is an event, and with
/// zero delays a failing zero-length execution would retry at one instant. 100 is the
/// most that Cloudflare Queues allow a consumer (`max_retries` 0–100, Queues limits page).
pub const DEFAULT_MAX_ASYNC_RETRIES: u32 = 100;

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
    /// Most retries an asynchronous invocation may ask for (AWS Lambda: 2). Without it,
    /// `DEFAULT_MAX_ASYNC_RETRIES` (100).
    #[serde(default)]
    pub max_async_retries: Option<u32>,
    /// Prices (used by the cost model).
    #[serde(default)]
    pub pricing: Option<Pricing>,
    /// Memory available for instances, GB; when set, new instances that do not fit evict
    /// idle ones (`eviction`) or are refused.
    #[serde(default)]
    pub memory_capacity_gb: Option<f64>,
    /// Which idle instance memory pressure evicts first: `lru` (default) or `greedy_dual`.
    #[serde(default)]
    pub eviction: Eviction,
    /// Instances are recycled after this long, seconds, even when in use (at the end of
    /// their current request).
    #[serde(default)]
    pub max_instance_lifetime_s: Option<f64>,
    /// Delay before newly requested provisioned instances start initialising, seconds.
    #[serde(default = "d_pc_delay")]
    pub pc_allocation_delay_s: f64,
    /// Memory per vCPU, MB: CPU share grows with memory (Lambda: 1,769 MB = 1 vCPU).
    #[serde(default = "d_mb_per_vcpu")]
    pub mb_per_vcpu: f64,
    /// Per-function scale-out rate: new execution environments per 10 s, refilled
    /// continuously (current Lambda rule: 1,000). None: unlimited.
    #[serde(default)]
    pub scale_out_per_10s: Option<f64>,
    /// Capacity of the per-function scale-out bucket (default `scale_out_per_10s`): how
    /// many environments may start at once after a quiet spell.
    #[serde(default)]
    pub scale_out_burst: Option<f64>,
    /// Account-wide burst of new environments (legacy Lambda rule: 500–3,000 by Region);
    /// goes with `burst_per_minute`.
    #[serde(default)]
    pub initial_burst: Option<u32>,
    /// Environments added to the account-wide burst bucket at each whole minute (legacy
    /// Lambda rule: 500), up to `initial_burst`.
    #[serde(default)]
    pub burst_per_minute: Option<u32>,
    /// Requests one instance serves at once, for functions that do not set it (default 1).
    #[serde(default)]
    pub per_instance_concurrency: Option<u32>,
    /// Largest per-instance concurrency a function may set (default: the default).
    #[serde(default)]
    pub max_per_instance_concurrency: Option<u32>,
    /// Requests on one instance share its vCPUs (processor sharing) when more run than it
    /// has vCPUs; functions may override.
    #[serde(default)]
    pub cpu_sharing: bool,
    /// Extra cold-start phase for functions attached to a VPC (`"vpc": true`), ms: the
    /// network-interface set-up.
    #[serde(default)]
    pub vpc_setup_ms: Option<DistSpec>,
    /// Execution timeout for functions that do not set one, seconds (default:
    /// `max_timeout_s`).
    #[serde(default)]
    pub default_timeout_s: Option<f64>,
    /// Requests that find no free slot and no room for a new instance wait this long, in
    /// arrival order, before a 429 (Cloud Run's and Azure's pending queue); default: a
    /// 429 at once (Lambda).
    #[serde(default)]
    pub pending_timeout_s: Option<f64>,
    /// A metric-based autoscaler that starts instances ahead of demand (Cloud Run-like);
    /// default none: instances start only for requests that find no free slot.
    #[serde(default)]
    pub autoscaler: Option<AutoscalerSpec>,
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

/// Prices of one item by CPU architecture.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ArchPrices {
    /// x86_64 price.
    pub x86_64: f64,
    /// arm64 price (default: the x86_64 price).
    #[serde(default)]
    pub arm64: Option<f64>,
}

impl ArchPrices {
    /// The price for `arch`.
    pub fn get(&self, arch: Arch) -> f64 {
        match arch {
            Arch::X86_64 => self.x86_64,
            Arch::Arm64 => self.arm64.unwrap_or(self.x86_64),
        }
    }
}

/// CPU architecture of a function.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// x86_64 (default).
    #[default]
    X86_64,
    /// arm64 (Graviton).
    Arm64,
}

/// How compute is billed.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Per request: GB-seconds of each request's billed duration (Lambda-like).
    #[default]
    PerRequest,
    /// Per instance: vCPU-seconds and GB-seconds while instances exist (or are busy),
    /// Cloud Run-like.
    PerInstance,
}

/// Under per-instance billing, when an instance is billed.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BilledWhile {
    /// From start to eviction ("CPU always allocated").
    #[default]
    Alive,
    /// Only while starting or executing ("CPU allocated during requests").
    Busy,
}

/// A monthly free tier, or the allowance a monthly plan includes (credited only with the
/// scenario's `cost.free_tier: true`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FreeTier {
    /// Free requests per month.
    pub requests_per_month: f64,
    /// Free GB-seconds per month (of billed duration, or of instance time).
    #[serde(default)]
    pub gb_seconds_per_month: f64,
    /// Free GHz-seconds per month (`ghz_second` pricing).
    #[serde(default)]
    pub ghz_seconds_per_month: f64,
    /// Free CPU-milliseconds per month (`cpu_ms_per_million` pricing).
    #[serde(default)]
    pub cpu_ms_per_month: f64,
    /// Free vCPU-seconds per month (per-instance billing).
    #[serde(default)]
    pub vcpu_seconds_per_month: f64,
    /// Monthly fee of the plan that includes the allowance (Cloudflare Workers Paid: $5),
    /// charged with it, prorated.
    #[serde(default)]
    pub monthly_fee: f64,
}

/// List prices, as published; see `models/README.md` for each field.
///
/// The file's fields are already the model's (prices, a granularity, tiers), so this one
/// type is both the shape as written and, once `PlatformSpec::validate` has checked it,
/// the validated prices the cost model reads; a spec copy would only repeat it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    /// ISO currency code.
    pub currency: String,
    /// Fee per million requests.
    pub request_per_million: f64,
    /// `per_request` (default) or `per_instance`.
    #[serde(default)]
    pub billing: Billing,
    /// Price of one GB-second (of billed duration, or of instance time), by architecture.
    pub gb_second: ArchPrices,
    /// Price of one vCPU-second of instance time (per-instance billing).
    #[serde(default)]
    pub vcpu_second: Option<f64>,
    /// Under per-instance billing: `alive` (default) or `busy`.
    #[serde(default)]
    pub billed_while: BilledWhile,
    /// Provisioned-concurrency price per GB-second allocated, by architecture.
    #[serde(default)]
    pub provisioned_gb_second: Option<ArchPrices>,
    /// Duration price per GB-second while running on provisioned concurrency.
    #[serde(default)]
    pub provisioned_duration_gb_second: Option<ArchPrices>,
    /// Billed duration is rounded up to this, ms.
    pub billing_granularity_ms: f64,
    /// Whether the init phase of a cold start is billed.
    #[serde(default)]
    pub init_billed: bool,
    /// Monthly free tier.
    #[serde(default)]
    pub free_tier: Option<FreeTier>,
    /// Billed memory is rounded up to a multiple of this, MB (Azure Consumption: 128).
    #[serde(default)]
    pub memory_rounding_mb: Option<u32>,
    /// Price of one GHz-second of CPU clock over the billed duration (Cloud Functions 1st
    /// gen); the clock comes from `cpu_ghz_by_memory`.
    #[serde(default)]
    pub ghz_second: Option<f64>,
    /// CPU clock by memory tier, `[[memory_mb, ghz], ...]` in increasing memory: a
    /// function gets the clock of the smallest tier with at least its memory.
    #[serde(default)]
    pub cpu_ghz_by_memory: Vec<(u32, f64)>,
    /// Price of one million CPU-milliseconds (Cloudflare Workers). CPU time is the billed
    /// duration times the function's CPU share (or the scenario's `cost.cpu_time_fraction`).
    #[serde(default)]
    pub cpu_ms_per_million: Option<f64>,
    /// Provisioned concurrency is billed from enabling to disabling, each enabled period
    /// rounded up to a multiple of this, seconds (AWS Lambda: 300); none: billed as
    /// allocated.
    #[serde(default)]
    pub provisioned_increment_s: Option<f64>,
}

impl Pricing {
    /// Validates the fields beyond the basic prices; `prefix` is the profile's path and
    /// `max_memory_mb` the largest memory a function may configure.
    pub(crate) fn validate_extras(
        &self,
        prefix: &str,
        max_memory_mb: u32,
    ) -> Result<(), FieldError> {
        let at = |f: &str| json::join_path(prefix, &format!("pricing.{f}"));
        let nonneg = |v: f64, f: &str| check::non_negative(v, at(f), "a number").map(|_| ());
        if let Some(arm) = self.gb_second.arm64 {
            nonneg(arm, "gb_second.arm64")?;
        }
        // Every price is ≥ 0: a negative provisioned price gave a negative total cost.
        for (prices, name) in [
            (&self.provisioned_gb_second, "provisioned_gb_second"),
            (
                &self.provisioned_duration_gb_second,
                "provisioned_duration_gb_second",
            ),
        ] {
            if let Some(p) = prices {
                nonneg(p.x86_64, &format!("{name}.x86_64"))?;
                if let Some(arm) = p.arm64 {
                    nonneg(arm, &format!("{name}.arm64"))?;
                }
            }
        }
        if let Some(v) = self.vcpu_second {
            nonneg(v, "vcpu_second")?;
        }
        if let Some(v) = self.cpu_ms_per_million {
            nonneg(v, "cpu_ms_per_million")?;
        }
        if let Some(v) = self.provisioned_increment_s {
            check::positive_seconds(v, at("provisioned_increment_s"))?;
        }
        if let Some(step) = self.memory_rounding_mb {
            check::at_least(step, 1, at("memory_rounding_mb"), "MB")?;
        }
        if let Some(v) = self.ghz_second {
            nonneg(v, "ghz_second")?;
            if self.cpu_ghz_by_memory.is_empty() {
                return Err(FieldError::new(
                    at("cpu_ghz_by_memory"),
                    "expected [[memory_mb, ghz], ...] tiers alongside ghz_second",
                ));
            }
        }
        let tiers = &self.cpu_ghz_by_memory;
        for (i, &(mb, ghz)) in tiers.iter().enumerate() {
            let here = format!("cpu_ghz_by_memory[{i}]");
            if i > 0 && mb <= tiers[i - 1].0 {
                return Err(FieldError::new(
                    at(&here),
                    format!(
                        "expected memory tiers in increasing order, got {mb} MB after {} MB",
                        tiers[i - 1].0
                    ),
                ));
            }
            check::positive(ghz, at(&here), "a clock in GHz")?;
        }
        if let Some(&(top, _)) = tiers.last()
            && top < max_memory_mb
        {
            return Err(FieldError::new(
                at("cpu_ghz_by_memory"),
                format!(
                    "expected a tier for every allowed memory size; the largest tier is {top} MB but memory_mb.max is {max_memory_mb}"
                ),
            ));
        }
        if let Some(ft) = &self.free_tier {
            for (v, f) in [
                (ft.requests_per_month, "free_tier.requests_per_month"),
                (ft.gb_seconds_per_month, "free_tier.gb_seconds_per_month"),
                (ft.ghz_seconds_per_month, "free_tier.ghz_seconds_per_month"),
                (ft.cpu_ms_per_month, "free_tier.cpu_ms_per_month"),
                (
                    ft.vcpu_seconds_per_month,
                    "free_tier.vcpu_seconds_per_month",
                ),
                (ft.monthly_fee, "free_tier.monthly_fee"),
            ] {
                nonneg(v, f)?;
            }
        }
        Ok(())
    }
}

fn d_pc_delay() -> f64 {
    60.0
}

fn d_mb_per_vcpu() -> f64 {
    1769.0
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
    /// Most retries an asynchronous invocation may ask for.
    pub max_async_retries: u32,
    /// Prices.
    pub pricing: Option<Pricing>,
    /// Memory capacity for instances, MB.
    pub memory_capacity_mb: Option<f64>,
    /// Memory-pressure eviction order.
    pub eviction: Eviction,
    /// Maximum instance lifetime.
    pub max_instance_lifetime: Option<SimTime>,
    /// Provisioned-concurrency allocation delay.
    pub pc_allocation_delay: SimTime,
    /// Memory per vCPU, MB.
    pub mb_per_vcpu: f64,
    /// Scale-out rate limits.
    pub scale_out: ScaleOut,
    /// Default requests per instance.
    pub per_instance_concurrency: u32,
    /// Largest per-instance concurrency a function may set.
    pub max_per_instance_concurrency: u32,
    /// Default for processor sharing on an instance.
    pub cpu_sharing: bool,
    /// VPC network set-up added to cold starts of VPC functions, ms.
    pub vpc_setup: Option<Dist>,
    /// Default execution timeout.
    pub default_timeout: Option<SimTime>,
    /// How long a request may wait for capacity (none: throttled at once).
    pub pending_timeout: Option<SimTime>,
    /// Metric-based autoscaler.
    pub autoscaler: Option<Autoscaler>,
}

/// A target-concurrency autoscaler, as written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AutoscalerSpec {
    /// Target share of each instance's request slots in use, 0 < target ≤ 1 (Cloud Run:
    /// 0.6).
    pub target: f64,
    /// Seconds between evaluations (Cloud Run: 5, older doc wording).
    #[serde(default = "d_autoscale_interval")]
    pub interval_s: f64,
    /// Seconds of history averaged (Cloud Run: 60).
    #[serde(default = "d_autoscale_window")]
    pub window_s: f64,
}

fn d_autoscale_interval() -> f64 {
    5.0
}

fn d_autoscale_window() -> f64 {
    60.0
}

/// A validated target-concurrency autoscaler: every `interval`, the function gets at least
/// ceil(mean requests in flight over `window` / (target × requests per instance))
/// instances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Autoscaler {
    /// Target utilisation of request slots.
    pub target: f64,
    /// Evaluation period.
    pub interval: SimTime,
    /// Evaluations averaged (window / interval, at least 1).
    pub periods: usize,
}

/// A token bucket of new execution environments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenBucket {
    /// Most tokens the bucket holds (and holds at the start).
    pub capacity: f64,
    /// Tokens added per `every`.
    pub refill: f64,
    /// The refill period.
    pub every: SimTime,
    /// Whether refill is continuous (current Lambda rule) or a step at each whole
    /// multiple of `every` since the start of the run (legacy Lambda rule).
    pub continuous: bool,
}

/// Scale-out limits: each new on-demand environment takes a token from every bucket that
/// applies; with none left, the request is throttled.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ScaleOut {
    /// One bucket per function.
    pub per_function: Option<TokenBucket>,
    /// One bucket shared by the account.
    pub account: Option<TokenBucket>,
}

impl PlatformSpec {
    /// Validates; `prefix` is this profile's path inside its document.
    pub fn validate(&self, prefix: &str) -> Result<Platform, FieldError> {
        let at = |f: &str| json::join_path(prefix, f);
        check::at_least(
            self.account_concurrency,
            1,
            at("account_concurrency"),
            "concurrent execution",
        )?;
        if self.min_unreserved_concurrency > self.account_concurrency {
            return Err(FieldError::new(
                at("min_unreserved_concurrency"),
                format!(
                    "expected at most account_concurrency ({}), got {}",
                    self.account_concurrency, self.min_unreserved_concurrency
                ),
            ));
        }
        check::non_negative(
            self.code_load_ms_per_mb,
            at("code_load_ms_per_mb"),
            "a number",
        )?;
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
        if let Some(t) = self.max_timeout_s {
            check::positive_seconds(t, at("max_timeout_s"))?;
        }
        let nonneg = |v: f64, f: &str| check::non_negative(v, at(f), "a number");
        let positive = |v: f64, f: &str| check::positive(v, at(f), "a number");
        if let Some(p) = &self.pricing {
            nonneg(p.request_per_million, "pricing.request_per_million")?;
            nonneg(p.gb_second.x86_64, "pricing.gb_second.x86_64")?;
            check::duration_ms(
                p.billing_granularity_ms,
                at("pricing.billing_granularity_ms"),
            )?;
            if p.billing == Billing::PerInstance && p.vcpu_second.is_none() {
                return Err(FieldError::new(
                    at("pricing.vcpu_second"),
                    "expected a price per vCPU-second with per_instance billing",
                ));
            }
            p.validate_extras(prefix, m.max)?;
        }
        let per_function = match self.scale_out_per_10s {
            Some(rate) => {
                let rate = positive(rate, "scale_out_per_10s")?;
                let burst = positive(self.scale_out_burst.unwrap_or(rate), "scale_out_burst")?;
                Some(TokenBucket {
                    capacity: burst,
                    refill: rate,
                    every: SimTime::from_secs(10.0),
                    continuous: true,
                })
            }
            None if self.scale_out_burst.is_some() => {
                return Err(FieldError::new(
                    at("scale_out_burst"),
                    "expected scale_out_per_10s alongside scale_out_burst",
                ));
            }
            None => None,
        };
        let account = match (self.initial_burst, self.burst_per_minute) {
            (Some(burst), Some(per_minute)) => {
                check::at_least(burst, 1, at("initial_burst"), "environment")?;
                Some(TokenBucket {
                    capacity: f64::from(burst),
                    refill: f64::from(per_minute),
                    every: SimTime::from_secs(60.0),
                    continuous: false,
                })
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(FieldError::new(
                    at("burst_per_minute"),
                    "expected burst_per_minute alongside initial_burst",
                ));
            }
            (None, Some(_)) => {
                return Err(FieldError::new(
                    at("initial_burst"),
                    "expected initial_burst alongside burst_per_minute",
                ));
            }
        };
        let per_instance_concurrency = self.per_instance_concurrency.unwrap_or(1);
        check::at_least(
            per_instance_concurrency,
            1,
            at("per_instance_concurrency"),
            "request per instance",
        )?;
        let max_per_instance_concurrency = self
            .max_per_instance_concurrency
            .unwrap_or(per_instance_concurrency);
        if max_per_instance_concurrency < per_instance_concurrency {
            return Err(FieldError::new(
                at("max_per_instance_concurrency"),
                format!(
                    "expected at least per_instance_concurrency ({per_instance_concurrency}), got {max_per_instance_concurrency}"
                ),
            ));
        }
        let default_timeout = match (self.default_timeout_s, self.max_timeout_s) {
            (Some(t), max) => {
                let t = check::positive_seconds(t, at("default_timeout_s"))?.as_secs();
                if let Some(max) = max
                    && t > max
                {
                    return Err(FieldError::new(
                        at("default_timeout_s"),
                        format!("expected at most max_timeout_s ({max}), got {t}"),
                    ));
                }
                Some(SimTime::from_secs(t))
            }
            (None, max) => max.map(SimTime::from_secs),
        };
        Ok(Platform {
            scale_out: ScaleOut {
                per_function,
                account,
            },
            per_instance_concurrency,
            max_per_instance_concurrency,
            cpu_sharing: self.cpu_sharing,
            vpc_setup: self
                .vpc_setup_ms
                .as_ref()
                .map(|d| d.validate(&at("vpc_setup_ms")))
                .transpose()?,
            default_timeout,
            autoscaler: match &self.autoscaler {
                None => None,
                Some(a) => {
                    check::within_excluding_low(
                        a.target,
                        0.0,
                        1.0,
                        at("autoscaler.target"),
                        "a share",
                    )?;
                    let interval =
                        check::positive_seconds(a.interval_s, at("autoscaler.interval_s"))?
                            .as_secs();
                    let window =
                        check::positive_seconds(a.window_s, at("autoscaler.window_s"))?.as_secs();
                    if window < interval {
                        return Err(FieldError::new(
                            at("autoscaler.window_s"),
                            format!("expected at least interval_s ({interval}), got {window}"),
                        ));
                    }
                    Some(Autoscaler {
                        target: a.target,
                        interval: SimTime::from_secs(interval),
                        periods: (window / interval).round().max(1.0) as usize,
                    })
                }
            },
            pending_timeout: self
                .pending_timeout_s
                .map(|t| check::positive_seconds(t, at("pending_timeout_s")))
                .transpose()?,
            memory_capacity_mb: self
                .memory_capacity_gb
                .map(|g| positive(g, "memory_capacity_gb").map(|g| g * 1024.0))
                .transpose()?,
            eviction: self.eviction.clone(),
            max_instance_lifetime: self
                .max_instance_lifetime_s
                .map(|l| check::positive_seconds(l, at("max_instance_lifetime_s")))
                .transpose()?,
            pc_allocation_delay: check::seconds(
                self.pc_allocation_delay_s,
                at("pc_allocation_delay_s"),
            )?,
            mb_per_vcpu: positive(self.mb_per_vcpu, "mb_per_vcpu")?,
            name: self.name.clone(),
            account_concurrency: self.account_concurrency,
            min_unreserved_concurrency: self.min_unreserved_concurrency,
            keep_alive: self.keep_alive.validate(&at("keep_alive"))?,
            sandbox: self.sandbox_ms.validate(&at("sandbox_ms"))?,
            code_load_ms_per_mb: self.code_load_ms_per_mb,
            memory_mb: m,
            max_timeout_s: self.max_timeout_s,
            max_async_retries: self.max_async_retries.unwrap_or(DEFAULT_MAX_ASYNC_RETRIES),
            pricing: self.pricing.clone(),
        })
    }
}

impl Platform {
    /// Loads a located platform document, after overlaying `overrides` (the scenario's
    /// `platform_overrides`, found in `scenario_origin`) onto it. An error in a field the
    /// overrides set is reported against the scenario, where the user can fix it; so is an
    /// error in a field they do not set when the profile alone is valid (an override that
    /// conflicts with another field, such as `account_concurrency` below the profile's
    /// `min_unreserved_concurrency`): the user cannot edit an embedded profile.
    pub(crate) fn from_located(
        doc: Located,
        overrides: Option<&Value>,
        scenario_origin: &str,
    ) -> Result<Platform> {
        let load = |value: Value| -> Result<Platform> {
            let spec: PlatformSpec = json::from_value(value, &doc.origin, &doc.prefix)?;
            spec.validate(&doc.prefix)
                .map_err(|e| e.in_origin(doc.origin.clone()))
        };
        let Some(patch) = overrides else {
            return load(doc.value.clone());
        };
        let mut value = doc.value.clone();
        json::merge(&mut value, patch);
        let err = match load(value) {
            Ok(p) => return Ok(p),
            Err(e) => e,
        };
        let Error::Invalid {
            origin,
            field,
            message,
        } = err
        else {
            return Err(err);
        };
        let top = field.split(['.', '[']).next().unwrap_or_default();
        if patch.get(top).is_some() {
            return Err(Error::Invalid {
                origin: scenario_origin.to_owned(),
                field: format!("platform_overrides.{field}"),
                message,
            });
        }
        if load(doc.value.clone()).is_err() {
            // The profile itself is at fault (a user's own profile file).
            return Err(Error::Invalid {
                origin,
                field,
                message,
            });
        }
        // Which override alone brings the conflict (else all of them together).
        let culprit = patch.as_object().and_then(|o| {
            o.iter().find(|(k, v)| {
                let mut alone = doc.value.clone();
                json::merge(
                    &mut alone,
                    &serde_json::json!({ (*k).clone(): (*v).clone() }),
                );
                load(alone).is_err()
            })
        });
        let (blamed, shown) = match culprit {
            Some((k, v)) => (format!("platform_overrides.{k}"), v.to_string()),
            None => (
                "platform_overrides".to_owned(),
                "these overrides".to_owned(),
            ),
        };
        Err(Error::Invalid {
            origin: scenario_origin.to_owned(),
            field: blamed,
            message: format!(
                "{shown} conflicts with the platform profile ({origin}): its {field}: {message}; override {field} as well, or choose another value"
            ),
        })
    }
}
