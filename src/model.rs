//! The validated model a simulation is built from: plain types, checked once at load time.
//!
//! Nothing here reads a file or knows the file format ([`crate::config`] builds these
//! types). Types are plain data with no serde derives, except the leaf enums spelled in the
//! file exactly as here ([`Reuse`], [`Invocation`], [`Routing`], [`CallMode`],
//! [`SizeFor`]), which keep `Deserialize` instead of a spec copy that would only repeat
//! them. Everything whose spec lives in [`crate::config`] has its validated type here (event
//! sources and workflows in [`source`]); the validated parts of the leaf domain modules
//! (distributions, workloads, policies, profiles, databases) stay beside their specs in
//! those modules. [`Scenario`] holds them all.
//!
//! A function is named by its [`FunctionId`] (its position in [`Scenario::functions`]);
//! per-function state is kept in a [`PerFunction`], indexed by it ([`id`]).

mod cost;
mod function;
pub mod id;
mod scenario;
pub mod source;
mod warnings;

pub use cost::{CostSettings, Fleet, SizeFor};
pub use function::{AsyncRetry, Call, CallMode, ColdStart, Function, Invocation, Reuse, Routing};
pub use id::{FunctionId, PerFunction};
pub use scenario::Scenario;
