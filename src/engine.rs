//! The discrete-event engine: a deterministic future-event queue.
//!
//! The engine knows nothing about FaaS. It orders opaque events by time and hands them back
//! one at a time; the platform model in [`crate::sim`] decides what each one means.

mod queue;

pub use queue::EventQueue;
