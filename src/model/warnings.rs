//! What a valid scenario may still get wrong on purpose or by mistake: combinations the
//! simulator runs as written but whose results a user should read with a caveat. Each
//! warning is one line naming the function or field and what to change.

use super::Scenario;

impl Scenario {
    /// Warnings about this scenario, in function order (empty when there is nothing to
    /// say). The CLI prints them before a run or validation.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(share) = self.cost.cpu_time_fraction {
            let bills_cpu = self
                .platform
                .pricing
                .as_ref()
                .is_some_and(|p| p.cpu_ms_per_million.is_some());
            for f in &self.functions {
                if bills_cpu && (f.cpu_share() - share).abs() > 1e-9 {
                    out.push(format!(
                        "cost.cpu_time_fraction {share} bills CPU time that differs from \
                         function '{}''s own CPU share {} (cpu_fraction {} of {} vCPU); \
                         leave cost.cpu_time_fraction out to bill what the function runs",
                        f.name,
                        f.cpu_share(),
                        f.cpu_fraction,
                        f.vcpus.min(1.0)
                    ));
                }
            }
        }
        for f in &self.functions {
            let full_at = f.cpu_full_at();
            if f.routing == super::Routing::Pack && full_at < f.per_instance_concurrency {
                out.push(format!(
                    "function '{}': routing pack with cpu_sharing and cpu_fraction {} on {} \
                     vCPU: an instance's CPU is full at {full_at} request(s) of its \
                     per_instance_concurrency {}, so further requests go to an instance with \
                     CPU to spare or an idle one while the platform adds instances \
                     (docs/design.md, 'CPU-aware routing and scaling')",
                    f.name, f.cpu_fraction, f.vcpus, f.per_instance_concurrency
                ));
            }
        }
        out
    }
}
