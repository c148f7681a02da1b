//! The files as written, and their validation.
//!
//! `config` owns the serde shapes of everything in a scenario whose validation looks
//! across the scenario: the scenario itself ([`ScenarioSpec`]), functions and their calls
//! ([`FunctionSpec`], [`CallSpec`], [`AsyncSpec`]), which resolve names and profiles; the
//! `cost` object ([`CostSpec`]), whose validated form is part of [`crate::model`]; event
//! sources and workflows ([`QueueSpec`], [`StreamSpec`], [`WorkflowSpec`]), which name
//! functions; and the expansion of a `traces` section into functions. It also owns the
//! one vocabulary of value checks (`config::check`) that every validation in the crate uses.
//!
//! Leaf domain modules (dist, workload, policy, database, profile, trace) keep their
//! `*Spec` beside the validated type, because their checks need only their own fields;
//! see "Configuration and model" in `docs/design.md`. Nothing outside `config`, the CLI
//! and the sweeps imports this module's types; [`crate::model::Scenario::load`] and
//! [`crate::model::Scenario::from_str`] are defined here.

pub(crate) mod check;
mod cost;
mod function;
mod scenario;
mod source;
mod trace;

pub use cost::{CostSpec, FleetSpec};
pub use function::{AsyncSpec, CallSpec, FunctionSpec};
pub use scenario::ScenarioSpec;
pub use source::{QueueSpec, RetrySpec, StepSpec, StreamSpec, WorkflowSpec};
