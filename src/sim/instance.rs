//! An execution environment's record: its lifecycle state, what it holds, why it went
//! away, and the phases of the cold start that made it. Plain data: the components that
//! change an instance (pool, limits, meter, CPU sharing) and the orchestrator read and
//! write these fields.

use super::cpu::InstanceCpu;
use crate::model::FunctionId;
use crate::time::SimTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Free,
    Provisioning,
    Busy,
    Idle,
}

/// Which routing set an instance with free slots is in (several requests per instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Open {
    None,
    /// Starting (provisioning) instance.
    Starting,
    /// Ready provisioned instance.
    Provisioned,
    /// Ready on-demand instance.
    OnDemand,
}

/// The durations of one cold start's phases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColdStartPhases {
    /// Sandbox / placement.
    pub sandbox: SimTime,
    /// VPC network set-up (zero outside a VPC).
    pub network: SimTime,
    /// Code load.
    pub code_load: SimTime,
    /// Runtime start (or snapshot restore when `restored`).
    pub start: SimTime,
    /// The function's init.
    pub init: SimTime,
    /// The start phase was a snapshot restore.
    pub restored: bool,
    /// The function overrode the whole cold start (`cold_start_ms`): only `start` is set.
    pub overridden: bool,
}

impl ColdStartPhases {
    /// The whole cold start.
    pub fn total(&self) -> SimTime {
        self.sandbox + self.network + self.code_load + self.start + self.init
    }

    /// The part a platform that bills init charges: runtime start (or restore) and the
    /// function's init, like Lambda's `Init Duration`; all of an overridden cold start.
    pub fn billed_init(&self) -> SimTime {
        self.start + self.init
    }
}

/// An execution environment (in the instance slab: its key goes stale when it goes away).
#[derive(Debug, Clone)]
pub(super) struct Instance {
    /// Its function.
    pub(super) func: FunctionId,
    pub(super) state: State,
    /// Unique, in creation order.
    pub(super) serial: u64,
    pub(super) provisioned: bool,
    pub(super) idle_since: SimTime,
    /// Keep-alive deadline while idle (MAX: none).
    pub(super) expires_at: SimTime,
    /// End of the instance's maximum lifetime (MAX: none).
    pub(super) retire_at: SimTime,
    pub(super) timer_armed: bool,
    pub(super) timer_at: SimTime,
    /// Key in the memory-pressure eviction set while idle and evictable.
    pub(super) evict_key: Option<u64>,
    /// Idle-set links (see [`super::idle::IdleSet`]).
    pub(super) prev: u32,
    pub(super) next: u32,
    /// Requests assigned (waiting for the cold start or executing).
    pub(super) active: u32,
    /// The assigned requests, linked through `Req::prev` / `Req::next`.
    pub(super) head: u32,
    /// Routing set membership and the `active` it was filed under.
    pub(super) open: Open,
    pub(super) open_active: u32,
    /// Past its lifetime: takes no new requests.
    pub(super) draining: bool,
    /// A request timed out: discard the instance once it is empty.
    pub(super) reset: bool,
    pub(super) phases: ColdStartPhases,
    /// Processor sharing of its vCPUs.
    pub(super) cpu: InstanceCpu,
    /// Holds a database connection (without a proxy: per instance, for its lifetime).
    pub(super) conn: bool,
}
