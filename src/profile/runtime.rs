//! Runtime profiles: how a language runtime starts (`models/runtimes/*.json`).

use serde::Deserialize;

use super::Located;
use crate::config::check;
use crate::dist::{Dist, DistSpec};
use crate::error::{FieldError, Result};
use crate::json;

/// A runtime profile as written. See `models/README.md` for every field's meaning, units
/// and provenance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSpec {
    /// Profile name (the file stem for shipped profiles).
    pub name: String,
    /// One line on what is modelled.
    #[serde(default)]
    pub description: String,
    /// Date of the newest data behind the defaults.
    #[serde(default)]
    pub data_as_of: Option<String>,
    /// Runtime start + hello-world init, ms (Lambda `Init Duration` equivalent).
    #[serde(default)]
    pub runtime_start_ms: Option<DistSpec>,
    /// Snapshot restore, ms: replaces `runtime_start_ms` and the function's init.
    #[serde(default)]
    pub snapshot_restore_ms: Option<DistSpec>,
    /// Replaces the platform's sandbox phase (runtimes that bring their own sandbox).
    #[serde(default)]
    pub sandbox_ms: Option<DistSpec>,
    /// Idle memory of a hello-world instance, MB.
    #[serde(default)]
    pub memory_footprint_mb: Option<f64>,
    /// Citations.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Modelling notes.
    #[serde(default)]
    pub notes: Option<String>,
}

/// The phase of a cold start that brings the runtime up.
#[derive(Debug, Clone, PartialEq)]
pub enum StartPhase {
    /// Start the runtime, then run the function's init.
    Init(Dist),
    /// Restore a snapshot taken after init: the function's init does not run again.
    SnapshotRestore(Dist),
}

/// A validated runtime profile.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeProfile {
    /// Profile name.
    pub name: String,
    /// One line on what is modelled.
    pub description: String,
    /// Date of the newest data behind the defaults.
    pub data_as_of: Option<String>,
    /// How the runtime comes up.
    pub start: StartPhase,
    /// Overrides the platform's sandbox phase when set.
    pub sandbox: Option<Dist>,
    /// Idle memory of a hello-world instance, MB.
    pub memory_footprint_mb: Option<f64>,
    /// Citations.
    pub sources: Vec<String>,
}

impl RuntimeSpec {
    /// Validates; `prefix` is this profile's path inside its document.
    pub fn validate(&self, prefix: &str) -> Result<RuntimeProfile, FieldError> {
        let at = |f: &str| json::join_path(prefix, f);
        check::name(&self.name, at("name"))?;
        let start = match (&self.runtime_start_ms, &self.snapshot_restore_ms) {
            (Some(d), None) => StartPhase::Init(d.validate(&at("runtime_start_ms"))?),
            (None, Some(d)) => StartPhase::SnapshotRestore(d.validate(&at("snapshot_restore_ms"))?),
            _ => {
                return Err(FieldError::new(
                    if prefix.is_empty() { "." } else { prefix },
                    "expected exactly one of `runtime_start_ms` or `snapshot_restore_ms`",
                ));
            }
        };
        let sandbox = self
            .sandbox_ms
            .as_ref()
            .map(|d| d.validate(&at("sandbox_ms")))
            .transpose()?;
        if let Some(m) = self.memory_footprint_mb {
            check::non_negative(m, at("memory_footprint_mb"), "a number of MB")?;
        }
        Ok(RuntimeProfile {
            name: self.name.clone(),
            description: self.description.clone(),
            data_as_of: self.data_as_of.clone(),
            start,
            sandbox,
            memory_footprint_mb: self.memory_footprint_mb,
            sources: self.sources.clone(),
        })
    }
}

impl RuntimeProfile {
    pub(crate) fn from_located(doc: Located) -> Result<RuntimeProfile> {
        let spec: RuntimeSpec = json::from_value(doc.value, &doc.origin, &doc.prefix)?;
        spec.validate(&doc.prefix)
            .map_err(|e| e.in_origin(doc.origin.clone()))
    }
}
