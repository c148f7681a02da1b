//! A validated scenario: the platform, the functions and everything that drives them.
//!
//! Loading and validation live in [`crate::config`]; [`Scenario::load`] and
//! [`Scenario::from_str`] are defined there.

use super::source::Sources;
use super::{CallMode, CostSettings, Function, FunctionId, Invocation};
use crate::database::Database;
use crate::profile::Platform;
use crate::time::SimTime;
use crate::trace::TraceReport;

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Name shown in results.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// End of the arrival horizon.
    pub duration: SimTime,
    /// Start of the measured period.
    pub warmup: SimTime,
    /// The platform.
    pub platform: Platform,
    /// The functions, in file order (then those a trace generated); a function's
    /// [`FunctionId`] is its position here.
    pub functions: Vec<Function>,
    /// Cost-model settings.
    pub cost: CostSettings,
    /// Databases.
    pub databases: Vec<Database>,
    /// Queues, streams and workflows.
    pub sources: Sources,
    /// Where the scenario came from (for messages).
    pub origin: String,
    /// What loading the `traces` section read, generated and skipped.
    pub trace: Option<TraceReport>,
    /// The latency objective, ms (`slo_ms`, > 0): every summary counts the served requests
    /// whose response time exceeded it. It changes no simulated behaviour. `None`: no
    /// objective, and summaries have no `slo` section.
    pub slo_ms: Option<f64>,
}

impl Scenario {
    /// Function `f`.
    #[inline]
    pub fn function(&self, f: FunctionId) -> &Function {
        &self.functions[f.index()]
    }

    /// Every function's id, in file order.
    pub fn function_ids(
        &self,
    ) -> impl DoubleEndedIterator<Item = FunctionId> + ExactSizeIterator + use<> {
        FunctionId::all(self.functions.len())
    }

    /// Whether each function gets asynchronous events (indexed by [`FunctionId`]): it is
    /// `async`, or another function calls it asynchronously. One pass over every function
    /// and call.
    pub fn event_receivers(&self) -> Vec<bool> {
        let mut receives: Vec<bool> = self
            .functions
            .iter()
            .map(|f| f.invocation == Invocation::Async)
            .collect();
        for c in self.functions.iter().flat_map(|g| g.calls.iter()) {
            if c.mode == CallMode::Async {
                receives[c.target.index()] = true;
            }
        }
        receives
    }
}
