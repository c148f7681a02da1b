//! The validated model a simulation is built from: plain types, checked once at load time.
//!
//! Nothing here reads a file or knows the file format ([`crate::config`] builds these
//! types). Types are plain data with no serde derives, except the leaf enums spelled in the
//! file exactly as here ([`Reuse`], [`Invocation`], [`Routing`], [`CallMode`],
//! [`SizeFor`]), which keep `Deserialize` instead of a spec copy that would only repeat
//! them. The validated parts owned by domain modules (distributions, workloads, policies,
//! profiles, databases, sources) stay in those modules; [`Scenario`] holds them all.

mod cost;
mod function;
mod scenario;

pub use cost::{CostSettings, Fleet, SizeFor};
pub use function::{AsyncRetry, Call, CallMode, ColdStart, Function, Invocation, Reuse, Routing};
pub use scenario::Scenario;
