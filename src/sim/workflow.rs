//! Workflow executions in the run (Step Functions-like state machines): a sequence of
//! steps, each a task (a synchronous call of a function) or a parallel block of branches
//! of tasks. A component: it owns the executions, schedules its own retry timers through
//! [`SourceTimers`] and says what to invoke next ([`Entered`], [`Next`], [`Invoke`]); the
//! orchestrator (`sources.rs`) serves the tasks and drives a parallel step's branches.
//!
//! An execution holds no instance while it waits: it is a small record (the step it is
//! at, and per branch of a running parallel step the task it is at) plus the requests of
//! its running tasks. A task that fails (function error, timeout or throttle) is retried
//! by its retry rule after interval × backoff_rate^(n−1); out of retries it fails the
//! execution at once. A parallel step ends when its last branch ends; a failed branch
//! fails the execution at once, and the other branches' running tasks finish on their
//! own (their results are ignored, as Step Functions stops the branches without
//! recalling requests already sent). State transitions, which Step Functions Standard
//! bills, count each task attempt and each parallel state entered.
//!
//! An execution's slot is freed when it has ended and no request or retry of it is
//! outstanding, so memory is bounded by the executions in progress.

use super::NIL;
use super::source_events::{
    Invoke, SourceEvent, SourceParent, SourceTimers, next_arrival, start_each,
};
use crate::engine::Slab;
use crate::error::Result;
use crate::metrics::WorkflowMetrics;
use crate::model::source::{Step, Task, Workflow};
use crate::rng::Stream;
use crate::time::SimTime;
use crate::workload::ArrivalSource;

struct FlowState {
    source: ArrivalSource,
    metrics: WorkflowMetrics,
}

/// One execution in progress.
#[derive(Debug, Default)]
struct Execution {
    flow: u32,
    born: SimTime,
    measured: bool,
    /// The current step.
    step: u32,
    /// Retries of the current (non-parallel) task.
    retries: u32,
    /// In a parallel step: per branch, (task index, retries of that task).
    branches: Vec<(u32, u32)>,
    /// Branches of the current parallel step still running.
    pending: u32,
    /// Requests and scheduled retries outstanding.
    live: u32,
    /// Succeeded or failed already.
    done: bool,
}

/// What entering an execution's current step asks for.
pub(super) enum Entered {
    /// Invoke the step's task.
    Task(Invoke),
    /// Start the step's `n` branches: for each in order, while the execution is not
    /// [`Flows::done`], invoke [`Flows::start_task`]; then [`Flows::release_hold`].
    Parallel(u32),
    /// The execution ended (it was past its last step).
    Ended,
}

/// What a task's answer (or retry timer) asks for next.
pub(super) enum Next {
    /// Nothing: the execution waits for other requests or timers, or ended.
    Wait,
    /// Enter the execution's (next) current step.
    EnterStep,
    /// Invoke this task.
    Invoke(Invoke),
}

/// Every workflow's running state.
pub(super) struct Flows<'s> {
    specs: &'s [Workflow],
    /// Executions starting before this are not counted.
    warmup: SimTime,
    /// Executions start before this.
    horizon: SimTime,
    flows: Vec<FlowState>,
    execs: Slab<Execution>,
}

impl<'s> Flows<'s> {
    /// Starts every workflow's arrival process (workflow `i` on its own random stream),
    /// scheduling the first executions in workflow order.
    pub(super) fn start(
        specs: &'s [Workflow],
        seed: u64,
        (warmup, horizon): (SimTime, SimTime),
        timers: &mut impl SourceTimers,
    ) -> Result<Self> {
        let flows = start_each(
            specs,
            (seed, Stream::WorkflowArrivals),
            horizon,
            timers,
            |w| &w.workload,
            |workflow| SourceEvent::WorkflowArrival { workflow },
            |_, source| FlowState {
                source,
                metrics: WorkflowMetrics::default(),
            },
        )?;
        Ok(Flows {
            specs,
            warmup,
            horizon,
            flows,
            execs: Slab::new(),
        })
    }

    /// None (no specs).
    pub(super) fn none() -> Self {
        Flows {
            specs: &[],
            warmup: SimTime::ZERO,
            horizon: SimTime::ZERO,
            flows: Vec::new(),
            execs: Slab::new(),
        }
    }

    /// The measurements, at the end of the run.
    pub(super) fn finish(self) -> Vec<WorkflowMetrics> {
        self.flows.into_iter().map(|f| f.metrics).collect()
    }

    /// An execution of workflow `w` starts; returns it (then enter its first step).
    pub(super) fn on_arrival(
        &mut self,
        now: SimTime,
        w: usize,
        timers: &mut impl SourceTimers,
    ) -> Result<u32> {
        if let Some(t) = next_arrival(&mut self.flows[w].source, self.horizon)? {
            let workflow = w as u32;
            timers.set(t, SourceEvent::WorkflowArrival { workflow });
        }
        let measured = now >= self.warmup;
        self.flows[w].metrics.executions += u64::from(measured);
        let fresh = || Execution {
            flow: w as u32,
            born: now,
            measured,
            ..Execution::default()
        };
        let e = self
            .execs
            .insert_with(fresh, |old| {
                // Keep the branch list's allocation.
                let mut branches = std::mem::take(&mut old.branches);
                branches.clear();
                *old = Execution {
                    branches,
                    ..fresh()
                };
            })
            .index();
        Ok(e)
    }

    /// The task execution `e` is at: in its current step, or in branch `branch` of it.
    fn current_task(&self, e: u32, branch: u32) -> Task {
        let x = &self.execs[e];
        match &self.specs[x.flow as usize].steps[x.step as usize] {
            Step::Task(t) => *t,
            Step::Parallel(b) => {
                let (pos, _) = x.branches[branch as usize];
                b[branch as usize][pos as usize]
            }
        }
    }

    /// Enters execution `e`'s current step (or ends the execution after the last).
    pub(super) fn enter_step(&mut self, now: SimTime, e: u32) -> Entered {
        let x = &mut self.execs[e];
        let wf = &self.specs[x.flow as usize];
        let Some(step) = wf.steps.get(x.step as usize) else {
            self.end_execution(now, e, true);
            return Entered::Ended;
        };
        match step {
            Step::Task(_) => {
                x.retries = 0;
                Entered::Task(self.start_task(e, NIL))
            }
            Step::Parallel(branches) => {
                let n = branches.len() as u32;
                x.branches.clear();
                x.branches.resize(n as usize, (0, 0));
                x.pending = n;
                // Held while the branches start: a branch throttled at once may end
                // the execution, which must not free it under the orchestrator's loop.
                x.live += 1;
                let (flow, measured) = (x.flow as usize, x.measured);
                self.flows[flow].metrics.transitions += u64::from(measured);
                Entered::Parallel(n)
            }
        }
    }

    /// Whether execution `e` has ended (succeeded or failed).
    pub(super) fn done(&self, e: u32) -> bool {
        self.execs[e].done
    }

    /// Ends the hold [`Entered::Parallel`] put on execution `e` while its branches
    /// started.
    pub(super) fn release_hold(&mut self, e: u32) {
        self.execs[e].live -= 1;
        self.release_execution(e);
    }

    /// The invocation of execution `e`'s current task (in `branch`, or NIL).
    pub(super) fn start_task(&mut self, e: u32, branch: u32) -> Invoke {
        let task = self.current_task(e, branch);
        let x = &mut self.execs[e];
        x.live += 1;
        let (flow, measured) = (x.flow as usize, x.measured);
        self.flows[flow].metrics.transitions += u64::from(measured);
        Invoke {
            function: task.function,
            measured,
            parent: SourceParent::Workflow { exec: e, branch },
        }
    }

    /// A task's request ended (`ok`: successfully).
    pub(super) fn answer(
        &mut self,
        now: SimTime,
        e: u32,
        branch: u32,
        ok: bool,
        timers: &mut impl SourceTimers,
    ) -> Next {
        let x = &mut self.execs[e];
        x.live -= 1;
        if x.done {
            // A branch of a parallel step that already failed: nothing waits for it.
            self.release_execution(e);
            return Next::Wait;
        }
        if !ok {
            self.task_failed(now, e, branch, timers);
            return Next::Wait;
        }
        if branch == NIL {
            x.step += 1;
            return Next::EnterStep;
        }
        let Step::Parallel(branches) = &self.specs[x.flow as usize].steps[x.step as usize] else {
            unreachable!("a branch answer belongs to a parallel step");
        };
        let slot = &mut x.branches[branch as usize];
        *slot = (slot.0 + 1, 0);
        if (slot.0 as usize) < branches[branch as usize].len() {
            return Next::Invoke(self.start_task(e, branch));
        }
        x.pending -= 1;
        if x.pending == 0 {
            x.step += 1;
            return Next::EnterStep;
        }
        Next::Wait
    }

    /// A task failed: retry it by its rule, or fail the execution.
    fn task_failed(&mut self, now: SimTime, e: u32, branch: u32, timers: &mut impl SourceTimers) {
        let task = self.current_task(e, branch);
        let x = &mut self.execs[e];
        let retries = if branch == NIL {
            &mut x.retries
        } else {
            &mut x.branches[branch as usize].1
        };
        match task.retry {
            Some(rule) if *retries < rule.max_attempts => {
                *retries += 1;
                let at = now.saturating_add(rule.delay(*retries));
                x.live += 1;
                let (flow, measured) = (x.flow as usize, x.measured);
                self.flows[flow].metrics.retries += u64::from(measured);
                timers.set(at, SourceEvent::WorkflowRetry { exec: e, branch });
            }
            _ => self.end_execution(now, e, false),
        }
    }

    /// A task's retry timer fired: the task to invoke again, unless the execution ended.
    pub(super) fn on_retry(&mut self, e: u32, branch: u32) -> Option<Invoke> {
        let x = &mut self.execs[e];
        x.live -= 1;
        if x.done {
            self.release_execution(e);
            return None;
        }
        Some(self.start_task(e, branch))
    }

    fn end_execution(&mut self, now: SimTime, e: u32, ok: bool) {
        let x = &mut self.execs[e];
        x.done = true;
        let (flow, measured, born) = (x.flow as usize, x.measured, x.born);
        if measured {
            let m = &mut self.flows[flow].metrics;
            if ok {
                m.succeeded += 1;
                m.latency.record(now - born);
            } else {
                m.failed += 1;
            }
        }
        self.release_execution(e);
    }

    /// Frees execution `e`'s slot once it has ended and nothing of it is outstanding.
    fn release_execution(&mut self, e: u32) {
        let x = &self.execs[e];
        if x.done && x.live == 0 {
            self.execs.remove(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FunctionId;
    use crate::model::source::Retry;
    use crate::sim::source_events::test_workload;

    type Timers = Vec<(SimTime, SourceEvent)>;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s as f64)
    }

    fn task(function: usize, retry: Option<Retry>) -> Task {
        Task {
            function: FunctionId::new(function),
            retry,
        }
    }

    fn workflow(steps: Vec<Step>) -> Workflow {
        Workflow {
            name: "w".into(),
            workload: test_workload(r#"{"kind":"spike","at_s":0,"count":1}"#),
            steps,
            usd_per_1000_transitions: 0.025,
        }
    }

    fn invoked(i: &Invoke) -> (usize, u32) {
        let SourceParent::Workflow { branch, .. } = i.parent else {
            panic!("a workflow task");
        };
        (i.function.index(), branch)
    }

    #[test]
    fn a_parallel_step_waits_for_its_last_branch_then_the_next_step_runs() {
        // parallel [[f0, f1], [f2]] then task f3.
        let specs = [workflow(vec![
            Step::Parallel(vec![
                vec![task(0, None), task(1, None)],
                vec![task(2, None)],
            ]),
            Step::Task(task(3, None)),
        ])];
        let mut timers = Timers::new();
        let mut flows = Flows::start(&specs, 1, (SimTime::ZERO, secs(60)), &mut timers).unwrap();
        let e = flows.on_arrival(SimTime::ZERO, 0, &mut timers).unwrap();
        let Entered::Parallel(2) = flows.enter_step(SimTime::ZERO, e) else {
            panic!("two branches");
        };
        assert_eq!(invoked(&flows.start_task(e, 0)), (0, 0));
        assert_eq!(invoked(&flows.start_task(e, 1)), (2, 1));
        flows.release_hold(e);
        let Next::Invoke(next) = flows.answer(secs(1), e, 0, true, &mut timers) else {
            panic!("branch 0 goes on to its second task");
        };
        assert_eq!(invoked(&next), (1, 0));
        assert!(matches!(
            flows.answer(secs(2), e, 1, true, &mut timers),
            Next::Wait
        ));
        assert!(matches!(
            flows.answer(secs(3), e, 0, true, &mut timers),
            Next::EnterStep
        ));
        let Entered::Task(last) = flows.enter_step(secs(3), e) else {
            panic!("the task step");
        };
        assert_eq!(invoked(&last), (3, NIL));
        assert!(matches!(
            flows.answer(secs(4), e, NIL, true, &mut timers),
            Next::EnterStep
        ));
        assert!(matches!(flows.enter_step(secs(4), e), Entered::Ended));
        let m = &flows.flows[0].metrics;
        // One transition for the parallel state, one per task attempt.
        assert_eq!((m.executions, m.succeeded, m.transitions), (1, 1, 5));
        assert_eq!(m.latency.count(), 1);
        assert!(
            flows.execs.is_empty(),
            "the ended execution's slot is freed"
        );
    }

    #[test]
    fn a_failed_task_is_retried_with_backoff_then_fails_the_execution() {
        let retry = Retry {
            max_attempts: 2,
            interval: secs(1),
            backoff_rate: 2.0,
            max_delay: None,
        };
        let specs = [workflow(vec![Step::Task(task(5, Some(retry)))])];
        let mut timers = Timers::new();
        let mut flows = Flows::start(&specs, 1, (SimTime::ZERO, secs(60)), &mut timers).unwrap();
        let e = flows.on_arrival(SimTime::ZERO, 0, &mut timers).unwrap();
        assert!(matches!(
            flows.enter_step(SimTime::ZERO, e),
            Entered::Task(_)
        ));
        timers.clear();
        let event = SourceEvent::WorkflowRetry {
            exec: e,
            branch: NIL,
        };
        // Failures at 10 s and 20 s: retries after 1 s, then 2 s (interval × rate^(n−1)).
        assert!(matches!(
            flows.answer(secs(10), e, NIL, false, &mut timers),
            Next::Wait
        ));
        assert!(flows.on_retry(e, NIL).is_some());
        assert!(matches!(
            flows.answer(secs(20), e, NIL, false, &mut timers),
            Next::Wait
        ));
        assert_eq!(timers, [(secs(11), event), (secs(22), event)]);
        assert!(flows.on_retry(e, NIL).is_some());
        // Out of attempts: the execution fails at once.
        assert!(matches!(
            flows.answer(secs(30), e, NIL, false, &mut timers),
            Next::Wait
        ));
        assert!(flows.execs.is_empty());
        let m = &flows.flows[0].metrics;
        assert_eq!(
            (m.failed, m.succeeded, m.retries, m.transitions),
            (1, 0, 2, 3)
        );
    }
}
