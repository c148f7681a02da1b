//! The files as written, and their validation.
//!
//! `config` owns the serde shapes of the scenario file that look across the scenario
//! (function names, sections that refer to each other, profiles, traces) and the one
//! vocabulary of value checks ([`check`]) every validation in the crate uses.

pub(crate) mod check;
