//! CPU sharing: the requests executing on an instance share its vCPUs (processor sharing).
//!
//! With n requests on v vCPUs each progresses at rate min(1, v/n). Each instance keeps a
//! virtual clock of the service each of its requests has received ([`InstanceCpu`]); a
//! request finishes its CPU-bound part when the clock passes its start mark plus its CPU
//! work ([`RequestCpu`]), then runs its I/O-bound rest in real time, off the CPU. One
//! pending event per instance (its next finish) is rescheduled whenever the number of
//! requests on the CPU changes; an epoch tells the latest one apart.
//!
//! This module is the one place that answers "is this request on the shared CPU"
//! ([`Cpu::shares`]): processor sharing is on and the function has a CPU-bound part
//! (`cpu_fraction > 0`). A request that is not on the shared CPU runs for its whole
//! execution time in real time.

use crate::model::{FunctionId, PerFunction};
use crate::time::SimTime;

/// Each function's CPU settings.
pub(super) struct Cpu {
    funcs: PerFunction<FunctionCpu>,
    /// Some function shares the CPU (else no request ever looks further).
    any: bool,
}

#[derive(Clone, Copy)]
struct FunctionCpu {
    shares: bool,
    vcpus: f64,
    cpu_fraction: f64,
}

/// One instance's processor-sharing clock.
#[derive(Debug, Clone, Copy)]
pub(super) struct InstanceCpu {
    /// Service each request on the CPU has received, ns, as of `at`.
    clock: f64,
    at: SimTime,
    /// Requests on the CPU.
    executing: u32,
    /// Stamp of the latest pending finish event.
    epoch: u32,
}

/// One request's part on the shared CPU.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RequestCpu {
    /// The clock reading at which its CPU-bound part is done.
    pub(super) mark: f64,
    /// On the CPU now.
    pub(super) running: bool,
    /// The I/O-bound rest of its execution, run after the CPU part.
    pub(super) io: SimTime,
}

impl Cpu {
    /// Settings per function: `(cpu_sharing, vcpus, cpu_fraction)`.
    pub(super) fn new(funcs: impl Iterator<Item = (bool, f64, f64)>) -> Self {
        let funcs: PerFunction<FunctionCpu> = funcs
            .map(|(sharing, vcpus, cpu_fraction)| FunctionCpu {
                shares: sharing && cpu_fraction > 0.0,
                vcpus,
                cpu_fraction,
            })
            .collect();
        let any = funcs.iter().any(|f| f.shares);
        Cpu { funcs, any }
    }

    /// Whether function `f`'s requests run their CPU-bound part on the shared CPU.
    #[inline]
    pub(super) fn shares(&self, f: FunctionId) -> bool {
        self.any && self.funcs[f].shares
    }

    /// Function `f`'s vCPUs per instance.
    #[inline]
    pub(super) fn vcpus(&self, f: FunctionId) -> f64 {
        self.funcs[f].vcpus
    }

    /// Splits an execution of `f` into its CPU-bound part (run first) and the rest.
    #[inline]
    pub(super) fn split(&self, f: FunctionId, work: SimTime) -> (SimTime, SimTime) {
        let cpu = SimTime((work.0 as f64 * self.funcs[f].cpu_fraction).round() as u64);
        (cpu, work - cpu)
    }
}

/// The rate at which each of `n` requests progresses on `vcpus`.
#[inline]
fn rate(n: u32, vcpus: f64) -> f64 {
    let n = f64::from(n);
    if n <= vcpus { 1.0 } else { vcpus / n }
}

impl InstanceCpu {
    /// An idle CPU whose clock starts at `at`.
    pub(super) fn new(at: SimTime) -> Self {
        InstanceCpu {
            clock: 0.0,
            at,
            executing: 0,
            epoch: 0,
        }
    }

    /// A fresh busy period starts at `now`: the clock does not run while idle.
    #[inline]
    pub(super) fn restart(&mut self, now: SimTime) {
        self.at = now;
    }

    /// Brings the clock up to `now`.
    #[inline]
    pub(super) fn advance(&mut self, now: SimTime, vcpus: f64) {
        if now > self.at {
            self.clock += (now - self.at).0 as f64 * rate(self.executing, vcpus);
        }
        self.at = now;
    }

    /// A request with `cpu` of CPU-bound work joins at `now` (after [`advance`]); returns
    /// its finish mark.
    ///
    /// [`advance`]: Self::advance
    #[inline]
    pub(super) fn join(&mut self, cpu: SimTime) -> RequestCpu {
        self.executing += 1;
        RequestCpu {
            mark: self.clock + cpu.0 as f64,
            running: true,
            io: SimTime::ZERO,
        }
    }

    /// A request leaves the CPU (done, waiting, or ended).
    #[inline]
    pub(super) fn leave(&mut self) {
        self.executing -= 1;
    }

    /// The clock now (after [`advance`](Self::advance)).
    #[inline]
    pub(super) fn clock(&self) -> f64 {
        self.clock
    }

    /// The stamp of the latest finish event.
    #[inline]
    pub(super) fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Supersedes the pending finish event and returns when the next one is due, given
    /// the smallest finish mark among the requests on the CPU (`None`: nobody is on it).
    pub(super) fn reschedule(
        &mut self,
        now: SimTime,
        vcpus: f64,
        next_mark: f64,
    ) -> Option<SimTime> {
        self.epoch = self.epoch.wrapping_add(1);
        if self.executing == 0 || !next_mark.is_finite() {
            return None;
        }
        let wait = ((next_mark - self.clock).max(0.0) / rate(self.executing, vcpus)).ceil();
        Some(now.saturating_add(SimTime(wait as u64)))
    }
}

/// The requests whose CPU part is done at clock reading `clock`, from `(request, share)`
/// pairs, into `done`. The finish event was computed for the smallest mark; rounding to
/// whole nanoseconds may leave the clock a hair short of it, so half a nanosecond is
/// allowed, and if still nothing qualifies the request with the smallest mark is done.
pub(super) fn finished(
    clock: f64,
    requests: impl Iterator<Item = (u32, RequestCpu)>,
    done: &mut Vec<u32>,
) {
    done.clear();
    let mut smallest: Option<(f64, u32)> = None;
    for (r, share) in requests {
        if !share.running {
            continue;
        }
        if share.mark <= clock + 0.5 {
            done.push(r);
        }
        if smallest.is_none_or(|(m, _)| share.mark < m) {
            smallest = Some((share.mark, r));
        }
    }
    if done.is_empty()
        && let Some((_, r)) = smallest
    {
        done.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two requests on one vCPU, 100 and 300 ns of CPU work, both joining at 0: each runs
    /// at half speed, so the first finishes at 200 ns; then the second runs alone and
    /// finishes its remaining 200 ns at 400 ns (processor sharing by hand).
    #[test]
    fn two_requests_on_one_vcpu_by_hand() {
        let mut cpu = InstanceCpu::new(SimTime(0));
        cpu.advance(SimTime(0), 1.0);
        let a = cpu.join(SimTime(100));
        let b = cpu.join(SimTime(300));
        let next = a.mark.min(b.mark);
        assert_eq!(cpu.reschedule(SimTime(0), 1.0, next), Some(SimTime(200)));
        cpu.advance(SimTime(200), 1.0);
        // 200 ns at half speed: each request has had 100 ns of service.
        assert_eq!(cpu.clock(), 100.0);
        let mut done = Vec::new();
        finished(cpu.clock(), [(0, a), (1, b)].into_iter(), &mut done);
        assert_eq!(done, vec![0]);
        cpu.leave();
        assert_eq!(
            cpu.reschedule(SimTime(200), 1.0, b.mark),
            Some(SimTime(400))
        );
        assert_eq!(cpu.epoch(), 2);
    }

    /// The service clock does not run while nobody executes: a busy period that starts
    /// after an idle gap continues from the clock where the last one left it.
    #[test]
    fn the_clock_stops_while_the_cpu_is_idle() {
        let mut cpu = InstanceCpu::new(SimTime(0));
        let a = cpu.join(SimTime(100));
        assert_eq!(cpu.reschedule(SimTime(0), 1.0, a.mark), Some(SimTime(100)));
        cpu.advance(SimTime(100), 1.0);
        cpu.leave();
        assert_eq!(cpu.clock(), 100.0);
        // Idle from 100 ns to 1,000 ns, then a new request.
        cpu.restart(SimTime(1_000));
        cpu.advance(SimTime(1_000), 1.0);
        assert_eq!(cpu.clock(), 100.0);
        let b = cpu.join(SimTime(50));
        assert_eq!(b.mark, 150.0);
        assert_eq!(
            cpu.reschedule(SimTime(1_000), 1.0, b.mark),
            Some(SimTime(1_050))
        );
    }

    /// Nobody on the CPU, or nobody with CPU work left (an infinite smallest mark): no
    /// finish event, whatever the other says.
    #[test]
    fn no_finish_event_without_work_on_the_cpu() {
        let mut idle = InstanceCpu::new(SimTime(0));
        assert_eq!(idle.reschedule(SimTime(0), 1.0, 50.0), None);
        let mut busy = InstanceCpu::new(SimTime(0));
        let _a = busy.join(SimTime(100));
        assert_eq!(busy.reschedule(SimTime(0), 1.0, f64::INFINITY), None);
    }

    /// A finish event ends every running request whose mark the clock reached, allowing
    /// half a nanosecond for rounding; if none did (rounding left the clock short), the one
    /// with the smallest mark (the first listed among equals). Requests off the CPU are
    /// never chosen.
    #[test]
    fn finished_takes_marks_within_half_a_nanosecond_else_the_smallest() {
        let share = |mark: f64, running: bool| RequestCpu {
            mark,
            running,
            io: SimTime::ZERO,
        };
        let run = |clock: f64, shares: &[(u32, RequestCpu)]| {
            let mut done = Vec::new();
            finished(clock, shares.iter().copied(), &mut done);
            done
        };
        let within = [
            (0, share(100.2, true)),
            (1, share(100.4, true)),
            (2, share(100.6, true)),
            (3, share(50.0, false)),
        ];
        assert_eq!(run(100.0, &within), [0, 1]);
        let short = [
            (0, share(30.0, true)),
            (1, share(10.0, false)),
            (2, share(12.0, true)),
            (3, share(20.0, true)),
            (4, share(12.0, true)),
        ];
        assert_eq!(run(0.0, &short), [2]);
    }

    /// On two vCPUs, two requests run at full speed.
    #[test]
    fn as_many_requests_as_vcpus_run_at_full_speed() {
        let mut cpu = InstanceCpu::new(SimTime(0));
        let a = cpu.join(SimTime(100));
        let _b = cpu.join(SimTime(100));
        assert_eq!(cpu.reschedule(SimTime(0), 2.0, a.mark), Some(SimTime(100)));
    }

    #[test]
    fn sharing_needs_a_cpu_bound_part() {
        let cpu = Cpu::new([(true, 1.0, 0.0), (true, 1.0, 0.5), (false, 1.0, 1.0)].into_iter());
        let [f0, f1, f2] = [0, 1, 2].map(FunctionId::new);
        assert_eq!(
            (cpu.shares(f0), cpu.shares(f1), cpu.shares(f2)),
            (false, true, false)
        );
        assert_eq!(cpu.split(f1, SimTime(101)), (SimTime(51), SimTime(50)));
    }
}
