//! The path the validated scenario types had before the split into [`crate::model`]
//! (validated types) and [`crate::config`] (the file as written). Kept so that code
//! written against `faassim::scenario::…` still builds; new code uses `model`.

pub use crate::model::{
    AsyncRetry, Call, CallMode, ColdStart, Function, Invocation, Reuse, Routing, Scenario,
};
