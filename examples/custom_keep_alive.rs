//! A keep-alive policy of one's own, run from Rust without forking faassim.
//!
//! The policy keeps an idle instance for as long as the longest idle gap the function has
//! shown so far (at least 10 s, at most 30 min): a function called every few seconds keeps
//! its instance briefly, a rarely-called one keeps it longer. It runs on the quick-start
//! scenario beside the built-in fixed 10-minute policy, and prints what each costs in cold
//! starts and idle memory-time.
//!
//! Run: `cargo run --release --example custom_keep_alive`

use std::path::Path;
use std::sync::Arc;

use faassim::policy::keep_alive::{Decision, KeepAlive, KeepAlivePolicy, KeepAliveRun};
use faassim::{RunResult, Scenario, SimTime, sim};

/// The policy: shared by every run; each function of a run gets a [`LongestGapRun`].
#[derive(Debug)]
struct LongestGap {
    floor: SimTime,
    ceiling: SimTime,
}

/// One function's state: the longest idle gap seen so far.
struct LongestGapRun {
    policy: (SimTime, SimTime),
    longest: SimTime,
}

impl KeepAlivePolicy for LongestGap {
    fn name(&self) -> &'static str {
        "longest_gap"
    }

    fn start(&self) -> Box<dyn KeepAliveRun> {
        Box::new(LongestGapRun {
            policy: (self.floor, self.ceiling),
            longest: SimTime::ZERO,
        })
    }
}

impl KeepAliveRun for LongestGapRun {
    fn on_idle_time(&mut self, _now: SimTime, idle: SimTime) {
        self.longest = self.longest.max(idle);
    }

    fn decide(&mut self, now: SimTime, _others: u32) -> Decision {
        let (floor, ceiling) = self.policy;
        Decision::KeepUntil(now + self.longest.clamp(floor, ceiling))
    }
}

fn main() -> faassim::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/quickstart.json");
    let fixed = Scenario::load(&path)?;
    let mut custom = fixed.clone();
    for f in &mut custom.functions {
        f.keep_alive = KeepAlive::Custom(Arc::new(LongestGap {
            floor: SimTime::from_secs(10.0),
            ceiling: SimTime::from_secs(1800.0),
        }));
    }
    println!("policy        cold starts   cold %   idle GB-s");
    for (name, scenario) in [("fixed 600 s", &fixed), ("longest gap", &custom)] {
        let out = sim::run(scenario, Default::default())?;
        let r = RunResult::new(scenario, &out);
        println!(
            "{name:<13} {:>11} {:>7.3} % {:>10.1}",
            r.total.cold_starts,
            100.0 * r.total.cold_start_ratio.unwrap_or(0.0),
            r.total.instances.idle_gb_s
        );
    }
    Ok(())
}
