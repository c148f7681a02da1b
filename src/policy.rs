//! Platform policies chosen in scenario files.
//!
//! Each policy family is a serde-tagged config enum (`"policy": "fixed"`), validated into a
//! small runtime value that the simulation consults. Policies return decisions; the platform
//! model applies them.

pub mod keep_alive;
