//! # faassim: a discrete-event simulator of FaaS platforms
//!
//! faassim answers "what latency will my function see under this traffic, how many cold
//! starts, how many instances?" by simulation. A scenario (JSON) names a platform profile,
//! functions with their runtime profiles, execution-time distributions, keep-alive policies
//! and workloads; a run advances a priority-queue clock over arrivals, cold starts,
//! executions and keep-alive expiries, and streams what happens into HDR histograms and
//! counters.
//!
//! ## A tour
//! - [`model`]: the validated scenario the simulator is built from ([`Scenario`]);
//!   [`config`]: the scenario file as written and its validation ([`Scenario::load`]).
//! - [`profile`]: runtime and platform profiles (data under `models/`, embedded).
//! - [`dist`]: duration distributions; [`workload`]: arrival processes; [`trace`]: public
//!   trace replay (Azure 2019/2021, Huawei 2023, CSV).
//! - [`engine`]: the deterministic event queue; [`sim`]: the platform model and [`sim::run`].
//! - [`metrics`] and [`report`]: what a run measures and how it is written out.
//! - [`sweep`]: parameter sweeps over a grid of settings and replications, sharded.
//!
//! ```
//! use faassim::{Scenario, RunResult, sim};
//! let json = r#"{
//!   "name": "doc", "seed": 1, "duration_s": 60,
//!   "functions": [{
//!     "name": "api", "runtime": "nodejs",
//!     "exec_ms": {"dist": "const", "value": 10},
//!     "workload": {"kind": "constant", "interval_s": 1}
//!   }]
//! }"#;
//! let scenario = Scenario::from_str(json, "doc.json", std::path::Path::new(".")).unwrap();
//! let out = sim::run(&scenario, Default::default()).unwrap();
//! let result = RunResult::new(&scenario, &out);
//! // One request per second for a minute; only the first needs a cold start.
//! assert_eq!(result.total.invocations, 60);
//! assert_eq!(result.total.cold_starts, 1);
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod cost;
pub mod database;
pub mod dist;
pub mod engine;
pub mod error;
mod json;
pub mod lab;
pub mod metrics;
pub mod model;
pub mod plot;
pub mod policy;
pub mod present;
pub mod profile;
pub mod report;
pub mod rng;
pub mod sim;
pub mod sweep;
pub mod time;
pub mod trace;
pub mod workload;

pub use error::{Error, Result};
pub use model::Scenario;
pub use report::RunResult;
pub use time::SimTime;
