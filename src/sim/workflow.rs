//! Workflow executions in the run (Step Functions-like state machines): a sequence of
//! steps, each a task (a synchronous call of a function) or a parallel block of branches
//! of tasks.
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

use super::source_events::{SourceEvent, SourceParent};
use super::{Event, NIL, Sim};
use crate::engine::Slab;
use crate::error::Result;
use crate::metrics::WorkflowMetrics;
use crate::model::source::{Step, Task};
use crate::rng::{self, Stream};
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

/// Every workflow's running state.
#[derive(Default)]
pub(super) struct Flows {
    flows: Vec<FlowState>,
    execs: Slab<Execution>,
}

impl Flows {
    pub(super) fn finish(self) -> Vec<WorkflowMetrics> {
        self.flows.into_iter().map(|f| f.metrics).collect()
    }
}

impl Sim<'_, '_> {
    pub(super) fn start_workflows(&mut self) -> Result<()> {
        let scenario = self.scenario;
        for (i, w) in scenario.sources.workflows.iter().enumerate() {
            let mut source = w.workload.start(rng::stream(
                scenario.seed,
                i as u64,
                Stream::WorkflowArrivals,
            ))?;
            if let Some(t) = source.next_arrival()?
                && t < scenario.duration
            {
                let workflow = i as u32;
                self.queue
                    .schedule(t, Event::Source(SourceEvent::WorkflowArrival { workflow }));
            }
            self.sources.flows.flows.push(FlowState {
                source,
                metrics: WorkflowMetrics::default(),
            });
        }
        Ok(())
    }

    pub(super) fn on_workflow_arrival(&mut self, now: SimTime, w: usize) -> Result<()> {
        let flows = &mut self.sources.flows;
        if let Some(t) = flows.flows[w].source.next_arrival()?
            && t < self.scenario.duration
        {
            let workflow = w as u32;
            self.queue
                .schedule(t, Event::Source(SourceEvent::WorkflowArrival { workflow }));
        }
        let measured = now >= self.scenario.warmup;
        flows.flows[w].metrics.executions += u64::from(measured);
        let fresh = || Execution {
            flow: w as u32,
            born: now,
            measured,
            ..Execution::default()
        };
        let e = flows
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
        self.run_step(now, e)
    }

    /// The task execution `e` is at: in its current step, or in branch `branch` of it.
    fn current_task(&self, e: u32, branch: u32) -> Task {
        let x = &self.sources.flows.execs[e];
        match &self.scenario.sources.workflows[x.flow as usize].steps[x.step as usize] {
            Step::Task(t) => *t,
            Step::Parallel(b) => {
                let (pos, _) = x.branches[branch as usize];
                b[branch as usize][pos as usize]
            }
        }
    }

    /// Starts execution `e`'s current step (or ends it after the last).
    fn run_step(&mut self, now: SimTime, e: u32) -> Result<()> {
        let scenario = self.scenario;
        let x = &mut self.sources.flows.execs[e];
        let wf = &scenario.sources.workflows[x.flow as usize];
        let Some(step) = wf.steps.get(x.step as usize) else {
            return self.end_execution(now, e, true);
        };
        match step {
            Step::Task(_) => {
                x.retries = 0;
                self.start_task(now, e, NIL)
            }
            Step::Parallel(branches) => {
                let n = branches.len() as u32;
                x.branches.clear();
                x.branches.resize(n as usize, (0, 0));
                x.pending = n;
                // Held while the branches start: a branch throttled at once may end
                // the execution, which must not free it under this loop.
                x.live += 1;
                let (flow, measured) = (x.flow as usize, x.measured);
                self.sources.flows.flows[flow].metrics.transitions += u64::from(measured);
                for b in 0..n {
                    if self.sources.flows.execs[e].done {
                        break;
                    }
                    self.start_task(now, e, b)?;
                }
                self.sources.flows.execs[e].live -= 1;
                self.release_execution(e);
                Ok(())
            }
        }
    }

    /// Invokes the function of execution `e`'s current task (in `branch`, or NIL).
    fn start_task(&mut self, now: SimTime, e: u32, branch: u32) -> Result<()> {
        let task = self.current_task(e, branch);
        let x = &mut self.sources.flows.execs[e];
        x.live += 1;
        let (flow, measured) = (x.flow as usize, x.measured);
        self.sources.flows.flows[flow].metrics.transitions += u64::from(measured);
        let parent = SourceParent::Workflow { exec: e, branch };
        self.source_invoke(now, task.function, measured, parent)
    }

    /// A task's request ended.
    pub(super) fn answer_workflow(
        &mut self,
        now: SimTime,
        e: u32,
        branch: u32,
        ok: bool,
    ) -> Result<()> {
        let x = &mut self.sources.flows.execs[e];
        x.live -= 1;
        if x.done {
            // A branch of a parallel step that already failed: nothing waits for it.
            self.release_execution(e);
            return Ok(());
        }
        if !ok {
            return self.task_failed(now, e, branch);
        }
        if branch == NIL {
            x.step += 1;
            return self.run_step(now, e);
        }
        let scenario = self.scenario;
        let Step::Parallel(branches) =
            &scenario.sources.workflows[x.flow as usize].steps[x.step as usize]
        else {
            unreachable!("a branch answer belongs to a parallel step");
        };
        let slot = &mut x.branches[branch as usize];
        *slot = (slot.0 + 1, 0);
        if (slot.0 as usize) < branches[branch as usize].len() {
            return self.start_task(now, e, branch);
        }
        x.pending -= 1;
        if x.pending == 0 {
            x.step += 1;
            return self.run_step(now, e);
        }
        Ok(())
    }

    /// A task failed: retry it by its rule, or fail the execution.
    fn task_failed(&mut self, now: SimTime, e: u32, branch: u32) -> Result<()> {
        let task = self.current_task(e, branch);
        let x = &mut self.sources.flows.execs[e];
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
                self.sources.flows.flows[flow].metrics.retries += u64::from(measured);
                let exec = e;
                self.queue.schedule(
                    at,
                    Event::Source(SourceEvent::WorkflowRetry { exec, branch }),
                );
                Ok(())
            }
            _ => self.end_execution(now, e, false),
        }
    }

    pub(super) fn on_workflow_retry(&mut self, now: SimTime, e: u32, branch: u32) -> Result<()> {
        let x = &mut self.sources.flows.execs[e];
        x.live -= 1;
        if x.done {
            self.release_execution(e);
            return Ok(());
        }
        self.start_task(now, e, branch)
    }

    fn end_execution(&mut self, now: SimTime, e: u32, ok: bool) -> Result<()> {
        let x = &mut self.sources.flows.execs[e];
        x.done = true;
        let (flow, measured, born) = (x.flow as usize, x.measured, x.born);
        if measured {
            let m = &mut self.sources.flows.flows[flow].metrics;
            if ok {
                m.succeeded += 1;
                m.latency.record(now - born);
            } else {
                m.failed += 1;
            }
        }
        self.release_execution(e);
        Ok(())
    }

    /// Frees execution `e`'s slot once it has ended and nothing of it is outstanding.
    fn release_execution(&mut self, e: u32) {
        let flows = &mut self.sources.flows;
        let x = &flows.execs[e];
        if x.done && x.live == 0 {
            flows.execs.remove(e);
        }
    }
}
