//! Keep-alive: how long an idle instance stays warm before it is evicted.

use serde::Deserialize;

use crate::error::FieldError;
use crate::time::SimTime;

/// The `keep_alive` object of a platform or function, as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum KeepAliveSpec {
    /// `{"policy": "fixed", "idle_s": 600}`: evict after `idle_s` seconds idle.
    Fixed(FixedKeepAliveSpec),
}

/// Parameters of the fixed keep-alive.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FixedKeepAliveSpec {
    /// Idle time before eviction, seconds (>= 0; 0 evicts as soon as the instance idles).
    pub idle_s: f64,
}

/// A validated keep-alive policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAlive {
    /// Evict an instance once it has been idle this long.
    Fixed(SimTime),
}

impl KeepAliveSpec {
    /// Validates; `field` is the spec's path for errors.
    pub fn validate(&self, field: &str) -> Result<KeepAlive, FieldError> {
        match self {
            KeepAliveSpec::Fixed(f) => {
                if !(f.idle_s.is_finite() && f.idle_s >= 0.0) {
                    return Err(FieldError::new(
                        format!("{field}.idle_s"),
                        format!("expected a finite number of seconds >= 0, got {}", f.idle_s),
                    ));
                }
                Ok(KeepAlive::Fixed(SimTime::from_secs(f.idle_s)))
            }
        }
    }
}

impl KeepAlive {
    /// When an instance that went idle at `idle_since` is due for eviction.
    #[inline]
    pub fn deadline(&self, idle_since: SimTime) -> SimTime {
        match *self {
            KeepAlive::Fixed(ttl) => idle_since.saturating_add(ttl),
        }
    }
}
