//! Combinators: `sum` superposes workloads; `transform` scales a workload's rate and shifts
//! it in time.
//!
//! A sum is a k-way merge: a binary heap holds the next arrival of each part (memory O(k)),
//! ties go to the part listed first. Each part draws from its own random stream, derived
//! from the function's arrival stream and the part's position ([`crate::rng::child`]).
//!
//! `scale` is applied when the workload is validated, by rewriting the inner workload's
//! parameters ([`super::Workload::scaled`]); only the shift remains at run time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

use serde::Deserialize;

use super::{ArrivalSource, Workload, WorkloadSpec};
use crate::config::check::positive;
use crate::error::{FieldError, Result};
use crate::time::SimTime;

/// `{"kind": "sum", "workloads": [{...}, {...}]}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SumSpec {
    /// At least one workload.
    pub workloads: Vec<WorkloadSpec>,
}

/// `{"kind": "transform", "scale": 2, "shift_s": 60, "workload": {...}}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TransformSpec {
    /// Rate multiplier, > 0 (default 1).
    #[serde(default = "unit")]
    pub scale: f64,
    /// Seconds added to every arrival time (default 0); negative moves arrivals earlier
    /// and drops those that would fall before 0.
    #[serde(default)]
    pub shift_s: f64,
    /// What is transformed.
    pub workload: Box<WorkloadSpec>,
}

fn unit() -> f64 {
    1.0
}

impl SumSpec {
    /// Validates every part (errors name `workloads[i]`).
    pub fn validate(&self, field: &str, base_dir: &Path) -> Result<Workload, FieldError> {
        if self.workloads.is_empty() {
            return Err(FieldError::new(
                format!("{field}.workloads"),
                "expected at least one workload",
            ));
        }
        Ok(Workload::Sum(
            self.workloads
                .iter()
                .enumerate()
                .map(|(i, w)| w.validate(&format!("{field}.workloads[{i}]"), base_dir))
                .collect::<Result<_, _>>()?,
        ))
    }
}

impl TransformSpec {
    /// Validates the inner workload, applies the scale, and wraps it in a shift if any.
    pub fn validate(&self, field: &str, base_dir: &Path) -> Result<Workload, FieldError> {
        let scale = positive(self.scale, format!("{field}.scale"), "a rate multiplier")?;
        if !self.shift_s.is_finite() {
            return Err(FieldError::new(
                format!("{field}.shift_s"),
                format!("expected a number of seconds, got {}", self.shift_s),
            ));
        }
        let inner_field = format!("{field}.workload");
        let mut inner = self.workload.validate(&inner_field, base_dir)?;
        if scale != 1.0 {
            inner = inner
                .scaled(scale, &inner_field)
                .map_err(|m| FieldError::new(format!("{field}.scale"), m))?;
        }
        Ok(if self.shift_s == 0.0 {
            inner
        } else {
            Workload::Shift {
                shift_s: self.shift_s,
                workload: Box::new(inner),
            }
        })
    }
}

/// A running sum: the next arrival of each part in a min-heap.
#[derive(Debug)]
pub struct SumSource {
    parts: Vec<ArrivalSource>,
    heads: BinaryHeap<Reverse<(SimTime, u32)>>,
    primed: bool,
}

impl SumSource {
    /// Merges `parts` (nothing is drawn until the first call).
    pub fn new(parts: Vec<ArrivalSource>) -> SumSource {
        SumSource {
            heads: BinaryHeap::with_capacity(parts.len()),
            parts,
            primed: false,
        }
    }

    /// The earliest pending arrival of any part.
    pub fn next_arrival(&mut self) -> Result<Option<SimTime>> {
        if !self.primed {
            self.primed = true;
            for (i, p) in self.parts.iter_mut().enumerate() {
                if let Some(t) = p.next_arrival()? {
                    self.heads.push(Reverse((t, i as u32)));
                }
            }
        }
        let Some(Reverse((t, i))) = self.heads.pop() else {
            return Ok(None);
        };
        if let Some(next) = self.parts[i as usize].next_arrival()? {
            self.heads.push(Reverse((next, i)));
        }
        Ok(Some(t))
    }
}

/// A running shift.
#[derive(Debug)]
pub struct ShiftSource {
    inner: ArrivalSource,
    /// Added (`later`) or subtracted.
    by: SimTime,
    later: bool,
}

impl ShiftSource {
    /// Moves `inner` by `shift_s` seconds.
    pub fn new(shift_s: f64, inner: ArrivalSource) -> ShiftSource {
        ShiftSource {
            inner,
            by: SimTime::from_secs(shift_s.abs()),
            later: shift_s >= 0.0,
        }
    }

    /// The inner source's next arrival, moved; with an earlier shift, arrivals before 0
    /// are skipped.
    pub fn next_arrival(&mut self) -> Result<Option<SimTime>> {
        loop {
            let Some(t) = self.inner.next_arrival()? else {
                return Ok(None);
            };
            if self.later {
                return Ok(Some(t.saturating_add(self.by)));
            }
            if t >= self.by {
                return Ok(Some(t - self.by));
            }
        }
    }
}
