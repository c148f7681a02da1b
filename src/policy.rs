//! Platform policies chosen in scenario files.
//!
//! Each policy family is a serde-tagged config enum (`"policy": "fixed"`), validated into a
//! small runtime value that the simulation consults. Policies return decisions; the platform
//! model ([`crate::sim`]) applies them.

pub mod eviction;
pub mod keep_alive;
pub mod provisioned;
pub mod warmers;
