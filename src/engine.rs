//! The discrete-event engine: a deterministic future-event queue, the loop that drives a
//! model through it, and a generational slab for the model's live objects.
//!
//! The engine knows nothing about FaaS. A [`Model`] owns an [`EventQueue`] of its own event
//! type and says what each event means; [`Engine`] pops events in time order (FIFO among
//! equal times) and hands them to the model, one at a time, with static dispatch. The
//! platform model in [`crate::sim`] is one such model.

mod queue;
mod slab;

pub use queue::EventQueue;
pub use slab::{Key, Slab};

use crate::time::SimTime;

/// A simulation model: its state, its pending events and what each event does.
pub trait Model {
    /// What can happen at an instant.
    type Event: Copy;
    /// What handling an event can fail with (a request log that cannot be written, a
    /// workload file with a bad row, …).
    type Error;

    /// The model's pending events.
    fn queue(&mut self) -> &mut EventQueue<Self::Event>;

    /// Handles `event` at time `now` (scheduling further events into [`Model::queue`]).
    fn handle(&mut self, now: SimTime, event: Self::Event) -> Result<(), Self::Error>;
}

/// Drives a [`Model`]: the clock and the event loop.
#[derive(Debug)]
pub struct Engine<M> {
    model: M,
    events: u64,
}

impl<M: Model> Engine<M> {
    /// An engine over `model` (whose queue holds its first events).
    pub fn new(model: M) -> Self {
        Engine { model, events: 0 }
    }

    /// Handles the earliest pending event; returns its time, or `None` when no event is
    /// left.
    #[inline]
    pub fn step(&mut self) -> Result<Option<SimTime>, M::Error> {
        let Some((now, event)) = self.model.queue().pop() else {
            return Ok(None);
        };
        self.model.handle(now, event)?;
        self.events += 1;
        Ok(Some(now))
    }

    /// Handles every event at or before `until`, in order; later events stay pending.
    pub fn step_until(&mut self, until: SimTime) -> Result<(), M::Error> {
        while self.model.queue().peek_time().is_some_and(|t| t <= until) {
            self.step()?;
        }
        Ok(())
    }

    /// Handles events until none is left. Every `every` events `tick` is told the current
    /// time (for a progress bar).
    pub fn run(&mut self, every: u64, mut tick: impl FnMut(SimTime)) -> Result<(), M::Error> {
        while let Some(now) = self.step()? {
            if self.events.is_multiple_of(every) {
                tick(now);
            }
        }
        Ok(())
    }

    /// Events handled so far (stale ones the model ignored included).
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The model, to read its state.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, taken back after the run.
    pub fn into_model(self) -> M {
        self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy model: a ticket dispenser that re-schedules itself every `gap` until `end`,
    /// and records when it fired.
    struct Ticker {
        queue: EventQueue<u32>,
        gap: u64,
        end: u64,
        fired: Vec<(u64, u32)>,
    }

    impl Model for Ticker {
        type Event = u32;
        type Error = String;
        fn queue(&mut self) -> &mut EventQueue<u32> {
            &mut self.queue
        }
        fn handle(&mut self, now: SimTime, n: u32) -> Result<(), String> {
            if n == 99 {
                return Err(format!("bad event at {}", now.0));
            }
            self.fired.push((now.0, n));
            if now.0 + self.gap < self.end {
                self.queue.schedule(SimTime(now.0 + self.gap), n + 1);
            }
            Ok(())
        }
    }

    fn ticker(gap: u64, end: u64) -> Ticker {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime(0), 0);
        Ticker {
            queue,
            gap,
            end,
            fired: Vec::new(),
        }
    }

    #[test]
    fn run_handles_every_event_in_order_and_ticks() {
        let mut e = Engine::new(ticker(10, 100));
        let mut ticks = Vec::new();
        e.run(3, |t| ticks.push(t.0)).unwrap();
        assert_eq!(e.events(), 10);
        let fired = &e.model().fired;
        assert_eq!(fired.len(), 10);
        assert!(
            fired
                .iter()
                .enumerate()
                .all(|(i, &(t, n))| t == 10 * i as u64 && n == i as u32)
        );
        // Ticks after events 3, 6 and 9, at their times.
        assert_eq!(ticks, vec![20, 50, 80]);
    }

    #[test]
    fn step_until_stops_at_the_bound_inclusive() {
        let mut e = Engine::new(ticker(10, 100));
        e.step_until(SimTime(35)).unwrap();
        assert_eq!(e.model().fired.last(), Some(&(30, 3)));
        e.step_until(SimTime(40)).unwrap();
        assert_eq!(e.model().fired.last(), Some(&(40, 4)));
        assert_eq!(e.events(), 5);
        assert_eq!(e.step().unwrap(), Some(SimTime(50)));
    }

    #[test]
    fn a_model_error_stops_the_run() {
        let mut m = ticker(10, 100);
        m.queue.schedule(SimTime(25), 99);
        let mut e = Engine::new(m);
        assert_eq!(e.run(1, |_| {}), Err("bad event at 25".to_owned()));
        assert_eq!(e.into_model().fired.len(), 3);
    }
}
