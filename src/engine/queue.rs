//! The future-event list: two binary heaps keyed by `(time, sequence)`.
//!
//! # Why its own heaps
//! - **Two tiers.** A FaaS model keeps one keep-alive timer per instance, minutes ahead,
//!   beside a few events due within milliseconds (the next arrival, requests' ends). In
//!   one heap the timers fill the lower levels and every event due soon goes through them.
//!   Here an event due [`FAR`] or more after the current time goes to a second heap, so
//!   the first holds the few events due soon and each pop compares the two heaps' tops.
//!   Which heap an event sits in never changes when it pops: that is the smallest key of
//!   both.
//! - **The popped entry stays in place until the next call.** Most events schedule
//!   another as they are handled (an arrival schedules the next arrival, a request's start
//!   its end). A heap that removes the earliest entry at once does two passes for that:
//!   one to fill the hole the removal leaves at the root, one to sift the new entry up
//!   from a leaf. Here, if the next call schedules an event for the same heap, it takes
//!   the root's place and sifts down once; otherwise the root is removed then.
//!
//! - **A slot for one recurring event.** A source keeps exactly one pending arrival and
//!   schedules the next as it handles the current one. [`EventQueue::schedule_recurring`]
//!   puts such an event in a slot of its own beside the heaps when the slot is free, so
//!   the arrival of a one-function run never sifts through the requests' ends; a pop
//!   compares the slot's key with the heaps' tops.
//!
//! Whatever holds an entry, the order of pops is that of the keys alone (time, then the
//! order events were scheduled: every entry takes its sequence number when scheduled),
//! the same as any other correct priority queue's.

use crate::time::SimTime;

/// Events due this long or more after the current time go to the far heap (1 s: past a
/// typical request's end, short of keep-alive timers and lifetimes).
pub const FAR: SimTime = SimTime(1_000_000_000);

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
    /// Events due less than [`FAR`] after the time they were scheduled.
    near: Heap<E>,
    /// The others.
    far: Heap<E>,
    /// One event scheduled with [`schedule_recurring`](Self::schedule_recurring), outside
    /// both heaps.
    slot: Option<Entry<E>>,
    /// The heap whose root `pop` last returned, still in place (see the module docs).
    popped: Option<Tier>,
    next_seq: u64,
    /// The time of the last event popped: nothing may be scheduled before it.
    now: SimTime,
}

/// One of the queue's two heaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Near,
    Far,
}

/// One pending event. Aligned to 32 bytes (its size with a 16-byte event): an entry never
/// straddles two cache lines, which made the reference scenario 2.4 % faster.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct Entry<E> {
    /// `time << 64 | seq`: one integer comparison orders by time, then scheduling order.
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            near: Heap::default(),
            far: Heap::default(),
            slot: None,
            popped: None,
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    fn heap(&mut self, tier: Tier) -> &mut Heap<E> {
        match tier {
            Tier::Near => &mut self.near,
            Tier::Far => &mut self.far,
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
        let entry = self.entry(time, event);
        let tier = if time.0.saturating_sub(self.now.0) < FAR.0 {
            Tier::Near
        } else {
            Tier::Far
        };
        match self.popped.take() {
            Some(p) if p == tier => self.heap(tier).replace_root(entry),
            Some(p) => {
                self.heap(p).remove_root();
                self.heap(tier).push(entry);
            }
            None => self.heap(tier).push(entry),
        }
    }

    /// Schedules `event` at `time` as [`schedule`](Self::schedule) does (it pops at the
    /// same place among the other events), in the queue's slot if that is free. Meant for
    /// an event that schedules its own successor when it is handled, such as a source's
    /// next arrival: popped from the slot, it leaves the slot free for the next one.
    #[inline]
    pub fn schedule_recurring(&mut self, time: SimTime, event: E) {
        if self.slot.is_some() {
            return self.schedule(time, event);
        }
        debug_assert!(
            time >= self.now,
            "event scheduled at {time:?}, before the current time {:?}",
            self.now
        );
        if let Some(p) = self.popped.take() {
            self.heap(p).remove_root();
        }
        self.slot = Some(self.entry(time, event));
    }

    /// The entry for `event` at `time`, with the next sequence number.
    #[inline]
    fn entry(&mut self, time: SimTime, event: E) -> Entry<E> {
        let seq = self.next_seq;
        self.next_seq += 1;
        Entry {
            key: ((time.0 as u128) << 64) | seq as u128,
            event,
        }
    }

    /// Removes and returns the earliest event, or `None` when the queue is empty.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if let Some(p) = self.popped.take() {
            self.heap(p).remove_root();
        }
        let heaps = match (self.near.first(), self.far.first()) {
            (Some(n), Some(f)) if f.key < n.key => Some((Tier::Far, *f)),
            (Some(n), _) => Some((Tier::Near, *n)),
            (None, Some(f)) => Some((Tier::Far, *f)),
            (None, None) => None,
        };
        let top = match (self.slot, heaps) {
            (Some(s), Some((_, h))) if s.key < h.key => self.slot.take(),
            (Some(_), None) => self.slot.take(),
            (_, Some((tier, h))) => {
                self.popped = Some(tier);
                Some(h)
            }
            (None, None) => None,
        }?;
        self.now = top.time();
        Some((self.now, top.event))
    }

    /// The time of the last event popped (zero before the first).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        let near = self.near.earliest_key(self.popped == Some(Tier::Near));
        let far = self.far.earliest_key(self.popped == Some(Tier::Far));
        let heaps = match (near, far) {
            (Some(n), Some(f)) => Some(n.min(f)),
            (n, f) => n.or(f),
        };
        let key = match (heaps, &self.slot) {
            (Some(h), Some(s)) => h.min(s.key),
            (h, s) => h.or(s.as_ref().map(|s| s.key))?,
        };
        Some(SimTime((key >> 64) as u64))
    }

    /// Number of pending events (stale ones included).
    pub fn len(&self) -> usize {
        self.near.entries.len() + self.far.entries.len() + usize::from(self.slot.is_some())
            - usize::from(self.popped.is_some())
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A binary min-heap on `key`: every entry's key is at most its children's.
#[derive(Debug)]
struct Heap<E> {
    entries: Vec<Entry<E>>,
}

impl<E> Default for Heap<E> {
    fn default() -> Self {
        Heap {
            entries: Vec::new(),
        }
    }
}

impl<E: Copy> Heap<E> {
    fn first(&self) -> Option<&Entry<E>> {
        self.entries.first()
    }

    /// The smallest key, leaving out the root if `without_root`.
    fn earliest_key(&self, without_root: bool) -> Option<u128> {
        if !without_root {
            return self.entries.first().map(|e| e.key);
        }
        // The earliest entry left heads one of the root's two subtrees.
        match (self.entries.get(1), self.entries.get(2)) {
            (Some(a), Some(b)) => Some(a.key.min(b.key)),
            (a, _) => a.map(|a| a.key),
        }
    }

    #[inline]
    fn push(&mut self, entry: Entry<E>) {
        self.entries.push(entry);
        self.sift_up(self.entries.len() - 1, entry);
    }

    /// Removes the root: the last entry takes its place.
    #[inline]
    fn remove_root(&mut self) {
        let last = self
            .entries
            .pop()
            .expect("the popped root is still in the heap");
        if !self.entries.is_empty() {
            self.sift_last_from_root(last);
        }
    }

    /// Puts `entry` at the root's place (whose entry is gone) and moves it down while a
    /// child comes earlier. Used for an entry scheduled while handling the event just
    /// popped: it is usually due soon (the next arrival, a request's end), so it stops
    /// near the top.
    #[inline]
    fn replace_root(&mut self, entry: Entry<E>) {
        let heap = &mut self.entries[..];
        let len = heap.len();
        let mut hole = 0;
        let mut child = 1;
        while child < len {
            if child + 1 < len {
                child += usize::from(heap[child + 1].key < heap[child].key);
            }
            if entry.key <= heap[child].key {
                break;
            }
            heap[hole] = heap[child];
            hole = child;
            child = 2 * hole + 1;
        }
        heap[hole] = entry;
    }

    /// Puts `entry`, the heap's last entry, at the root's place (whose entry is gone) and
    /// restores the heap. As `std`'s heap does, the hole goes down to a leaf along the
    /// smaller children (one comparison per level, no branch on `entry`) and `entry` then
    /// sifts up from there: a last entry usually belongs near the bottom.
    #[inline]
    fn sift_last_from_root(&mut self, entry: Entry<E>) {
        let heap = &mut self.entries[..];
        let len = heap.len();
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < len {
            child += usize::from(heap[child + 1].key < heap[child].key);
            heap[hole] = heap[child];
            hole = child;
            child = 2 * hole + 1;
        }
        if child + 1 == len {
            heap[hole] = heap[child];
            hole = child;
        }
        self.sift_up(hole, entry);
    }

    /// Puts `entry` in the hole at `hole` and moves it up while its parent comes later.
    #[inline]
    fn sift_up(&mut self, mut hole: usize, entry: Entry<E>) {
        let heap = &mut self.entries[..];
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if heap[parent].key <= entry.key {
                break;
            }
            heap[hole] = heap[parent];
            hole = parent;
        }
        heap[hole] = entry;
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

    /// Pops and schedules interleaved at random, the way a model uses the queue, against
    /// a plain list searched for its smallest `(time, order scheduled)`: the same events
    /// come out in the same order, and `peek_time` and `len` agree with the list between
    /// any two calls (also right after a pop, while the popped entry is still in place),
    /// with events in both heaps and equal times in both.
    #[test]
    fn interleaved_use_pops_what_a_sorted_list_would() {
        interleaved_use_against_a_list(false);
    }

    /// The same with some events scheduled with `schedule_recurring`: whether an event sits
    /// in the slot or in a heap, it pops where the list says (ties with the heaps' events
    /// included).
    #[test]
    fn recurring_events_pop_where_a_sorted_list_says() {
        interleaved_use_against_a_list(true);
    }

    /// The check of the two tests above; `recurring`: schedule about a third of the events
    /// with `schedule_recurring`.
    fn interleaved_use_against_a_list(recurring: bool) {
        use crate::rng::{Stream, stream};
        use rand::RngExt;
        for seed in 0..40 {
            let mut rng = stream(seed, 0, Stream::Arrivals);
            let mut q = EventQueue::new();
            // (time, order scheduled, payload)
            let mut list: Vec<(u64, u64, u32)> = Vec::new();
            let (mut now, mut order, mut payload) = (0u64, 0u64, 0u32);
            for _ in 0..2_000 {
                let schedules = rng.random_range(0..3u32);
                for _ in 0..schedules {
                    // Times on a grid of half the far threshold, plus 0 or 1 ns: ties are
                    // common, and one time is often scheduled once into the near heap and
                    // once (earlier, from further away) into the far one.
                    let half = FAR.0 / 2;
                    let t =
                        (now / half + rng.random_range(0..4u64)) * half + rng.random_range(0..2u64);
                    let t = t.max(now);
                    if recurring && rng.random_range(0..3u32) == 0 {
                        q.schedule_recurring(SimTime(t), payload);
                    } else {
                        q.schedule(SimTime(t), payload);
                    }
                    list.push((t, order, payload));
                    order += 1;
                    payload += 1;
                }
                let expected_next = list.iter().map(|&(t, o, _)| (t, o)).min();
                assert_eq!(q.peek_time(), expected_next.map(|(t, _)| SimTime(t)));
                assert_eq!(q.len(), list.len());
                assert_eq!(q.is_empty(), list.is_empty());
                if rng.random_range(0..4u32) > 0 {
                    let expected = expected_next.map(|(t, o)| {
                        let at = list.iter().position(|&(lt, lo, _)| (lt, lo) == (t, o));
                        let (t, _, p) = list.swap_remove(at.expect("listed"));
                        (SimTime(t), p)
                    });
                    assert_eq!(q.pop(), expected);
                    if let Some((t, _)) = expected {
                        now = t.0;
                    }
                }
            }
            while let Some((t, o)) = list.iter().map(|&(t, o, _)| (t, o)).min() {
                let at = list.iter().position(|&(lt, lo, _)| (lt, lo) == (t, o));
                let (t, _, p) = list.swap_remove(at.expect("listed"));
                assert_eq!(q.pop(), Some((SimTime(t), p)));
            }
            assert_eq!(q.pop(), None);
            assert!(q.is_empty());
        }
    }

    /// The slot holds one event: a second recurring one goes to a heap, and the slot takes
    /// another once its event has popped. Equal times pop in scheduling order wherever the
    /// events sit.
    #[test]
    fn the_slot_holds_one_event_at_a_time() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), "heap, first at 5");
        q.schedule_recurring(SimTime(5), "slot, second at 5");
        q.schedule_recurring(SimTime(5), "heap, third at 5");
        q.schedule(SimTime(3), "heap at 3");
        assert_eq!(q.len(), 4);
        assert_eq!(q.peek_time(), Some(SimTime(3)));
        assert_eq!(q.pop(), Some((SimTime(3), "heap at 3")));
        assert_eq!(q.pop(), Some((SimTime(5), "heap, first at 5")));
        assert_eq!(q.pop(), Some((SimTime(5), "slot, second at 5")));
        // The slot is free again: this one takes it, and pops before the later heap event.
        q.schedule(SimTime(9), "heap at 9");
        q.schedule_recurring(SimTime(7), "slot at 7");
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop(), Some((SimTime(5), "heap, third at 5")));
        assert_eq!(q.peek_time(), Some(SimTime(7)));
        assert_eq!(q.pop(), Some((SimTime(7), "slot at 7")));
        assert_eq!(q.pop(), Some((SimTime(9), "heap at 9")));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    /// An event scheduled right after a pop, earlier than everything else pending, is the
    /// next one out (it takes the popped root's place).
    #[test]
    fn an_event_scheduled_after_a_pop_can_be_the_next() {
        let mut q = EventQueue::new();
        for t in [10u64, 20, 30] {
            q.schedule(SimTime(t), t);
        }
        assert_eq!(q.pop(), Some((SimTime(10), 10)));
        assert_eq!(q.peek_time(), Some(SimTime(20)));
        q.schedule(SimTime(15), 15);
        assert_eq!(q.peek_time(), Some(SimTime(15)));
        assert_eq!(q.pop(), Some((SimTime(15), 15)));
        assert_eq!(q.pop(), Some((SimTime(20), 20)));
        q.schedule(SimTime(40), 40);
        assert_eq!(q.pop(), Some((SimTime(30), 30)));
        assert_eq!(q.pop(), Some((SimTime(40), 40)));
        assert_eq!(q.pop(), None);
        assert_eq!(q.len(), 0);
    }
}
