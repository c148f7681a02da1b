//! A binary-heap future-event list keyed by `(time, sequence)`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// A priority queue of events ordered by time, then by the order they were scheduled.
///
/// Guarantees:
/// - [`pop`](Self::pop) returns the event with the smallest time;
/// - events scheduled for the same time pop in the order they were scheduled (FIFO), so the
///   order never depends on the payload or on the heap's internals, and a run is
///   reproducible;
/// - `schedule` and `pop` are O(log n) in the number of pending events.
///
/// Cancellation is lazy: events carry whatever the model needs to recognise a stale one (an
/// instance generation, say) and the model drops it when it pops.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    /// The time of the last event popped: nothing may be scheduled before it.
    now: SimTime,
}

#[derive(Debug)]
struct Entry<E> {
    /// `time << 64 | seq`: one integer comparison orders by time, then scheduling order.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap and we want the earliest key on top.
        other.key.cmp(&self.key)
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// Schedules `event` at `time`, which must not be before the last event popped (a
    /// model that schedules into the past has a bug; debug builds stop on it).
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        debug_assert!(
            time >= self.now,
            "event scheduled at {time:?}, before the current time {:?}",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            key: ((time.0 as u128) << 64) | seq as u128,
            event,
        });
    }

    /// Removes and returns the earliest event, or `None` when the queue is empty.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let e = self.heap.pop()?;
        self.now = SimTime((e.key >> 64) as u64);
        Some((self.now, e.event))
    }

    /// The time of the last event popped (zero before the first).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime((e.key >> 64) as u64))
    }

    /// Number of pending events (stale ones included).
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "before the current time")]
    fn scheduling_into_the_past_is_caught_in_debug_builds() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), ());
        q.pop();
        q.schedule(SimTime(9), ());
    }

    /// `Ord` must agree with `PartialEq` (the trait's contract): two entries are equal
    /// exactly when their keys (time and sequence number) are, whatever their payloads.
    #[test]
    fn entries_are_equal_exactly_when_their_keys_are() {
        let e = |key: u128, event: &'static str| Entry { key, event };
        assert!(e(5, "a") == e(5, "b"));
        assert_eq!(e(5, "a").cmp(&e(5, "b")), Ordering::Equal);
        assert!(e(5, "a") != e(6, "a"));
        assert_ne!(e(5, "a").cmp(&e(6, "a")), Ordering::Equal);
    }

    /// `now` is the time of the last event popped: zero before the first, then the popped
    /// event's time (not the earliest pending one's).
    #[test]
    fn now_is_the_time_of_the_last_event_popped() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(7), 'a');
        q.schedule(SimTime(12), 'b');
        assert_eq!(q.now(), SimTime::ZERO);
        q.pop();
        assert_eq!(q.now(), SimTime(7));
        q.pop();
        assert_eq!(q.now(), SimTime(12));
    }

    /// `len` counts pending events, `is_empty` says whether there is none.
    #[test]
    fn len_counts_pending_events() {
        let mut q = EventQueue::default();
        assert!(q.is_empty());
        assert_eq!(q.len(), 0);
        q.schedule(SimTime(3), ());
        q.schedule(SimTime(3), ());
        assert!(!q.is_empty());
        assert_eq!(q.len(), 2);
        q.pop();
        assert_eq!(q.len(), 1);
        q.pop();
        assert!(q.is_empty());
    }

    #[test]
    fn pops_in_time_order() {
        let mut q = EventQueue::new();
        for t in [5u64, 1, 9, 3, 7] {
            q.schedule(SimTime(t), t);
        }
        let order: Vec<u64> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec![1, 3, 5, 7, 9]);
    }

    #[test]
    fn equal_times_pop_in_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), "late");
        for name in ["a", "b", "c", "d"] {
            q.schedule(SimTime(4), name);
        }
        q.schedule(SimTime(0), "first");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!["first", "a", "b", "c", "d", "late"]);
    }

    #[test]
    fn large_times_keep_their_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(u64::MAX - 1), 2);
        q.schedule(SimTime(1 << 63), 1);
        q.schedule(SimTime(u64::MAX - 1), 3);
        assert_eq!(q.peek_time(), Some(SimTime(1 << 63)));
        assert_eq!(q.pop(), Some((SimTime(1 << 63), 1)));
        assert_eq!(q.pop(), Some((SimTime(u64::MAX - 1), 2)));
        assert_eq!(q.pop(), Some((SimTime(u64::MAX - 1), 3)));
        assert!(q.is_empty());
    }
}
