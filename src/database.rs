//! Downstream databases with a connection limit, and connection proxies.
//!
//! The "Lambda + relational database" problem: every execution environment opens its own
//! connection (usually in its init) and keeps it while it lives, idle or not, so a burst of
//! new instances exhausts `max_connections` and instances kept warm hold connections
//! doing nothing. A proxy (RDS Proxy-like) multiplexes: a request borrows one of the
//! proxy's pooled connections only while it executes, and waits in the proxy's queue when
//! none is free. See `docs/design.md` ("Databases and connection limits").

use serde::Deserialize;

use crate::config::check;
use crate::error::FieldError;
use crate::time::SimTime;

/// What a request does when no connection is free.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnLimit {
    /// Wait (in arrival order) for a connection, up to `max_wait_s`.
    #[default]
    Wait,
    /// Fail at once ("too many connections").
    Fail,
}

/// A database, as written in the scenario's `databases`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSpec {
    /// Name functions refer to (`"database": "orders-db"`).
    pub name: String,
    /// Most connections open at once (PostgreSQL's `max_connections`).
    pub max_connections: u32,
    /// `wait` (default) or `fail` when none is free.
    #[serde(default)]
    pub on_limit: OnLimit,
    /// Longest wait for a connection before the request fails, seconds (default: no limit
    /// without a proxy; the proxy's borrow timeout with one).
    #[serde(default)]
    pub max_wait_s: Option<f64>,
    /// A connection proxy in front of the database (default none).
    #[serde(default)]
    pub proxy: Option<ProxySpec>,
}

/// A connection proxy (RDS Proxy-like).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProxySpec {
    /// Connections the proxy may open to the database, as a percentage of
    /// `max_connections` (RDS Proxy's `MaxConnectionsPercent`, default 100).
    #[serde(default = "d_percent")]
    pub max_connections_percent: f64,
    /// How long a request waits for a pooled connection before failing, seconds (RDS
    /// Proxy's `ConnectionBorrowTimeout`, default 120).
    #[serde(default = "d_borrow_timeout_s")]
    pub borrow_timeout_s: f64,
    /// Latency the proxy adds to each execution, ms (default 0).
    #[serde(default)]
    pub overhead_ms: f64,
}

fn d_percent() -> f64 {
    100.0
}

fn d_borrow_timeout_s() -> f64 {
    120.0
}

/// A validated database.
#[derive(Debug, Clone, PartialEq)]
pub struct Database {
    /// Name.
    pub name: String,
    /// Connections available to functions: `max_connections`, or the proxy's share.
    pub connections: u32,
    /// Wait or fail.
    pub on_limit: OnLimit,
    /// Longest wait (none: unbounded).
    pub max_wait: Option<SimTime>,
    /// Behind a proxy: requests hold a connection only while executing.
    pub proxied: bool,
    /// Latency the proxy adds to each execution.
    pub proxy_overhead: SimTime,
}

impl DatabaseSpec {
    /// Validates; `field` is this database's path (`databases[0]`).
    pub fn validate(&self, field: &str) -> Result<Database, FieldError> {
        let at = |f: &str| format!("{field}.{f}");
        check::name(&self.name, at("name"))?;
        check::at_least(self.max_connections, 1, at("max_connections"), "connection")?;
        let mut max_wait = self
            .max_wait_s
            .map(|w| check::seconds(w, at("max_wait_s")))
            .transpose()?;
        let (connections, proxied, proxy_overhead) = match &self.proxy {
            None => (self.max_connections, false, SimTime::ZERO),
            Some(p) => {
                check::within_excluding_low(
                    p.max_connections_percent,
                    0.0,
                    100.0,
                    at("proxy.max_connections_percent"),
                    "a percentage",
                )?;
                let borrow = check::seconds(p.borrow_timeout_s, at("proxy.borrow_timeout_s"))?;
                check::duration_ms(p.overhead_ms, at("proxy.overhead_ms"))?;
                max_wait = Some(max_wait.map_or(borrow, |w| w.min(borrow)));
                let pool = (f64::from(self.max_connections) * p.max_connections_percent / 100.0)
                    .floor()
                    .max(1.0) as u32;
                (pool, true, SimTime::from_ms(p.overhead_ms))
            }
        };
        Ok(Database {
            name: self.name.clone(),
            connections,
            on_limit: self.on_limit,
            max_wait,
            proxied,
            proxy_overhead,
        })
    }
}
