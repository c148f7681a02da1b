//! The idle instances of one function, and which one an arriving request takes.
//!
//! Every operation is O(1) except `newest`, which is O(log n): a request never pays for the
//! number of idle instances. Eviction does not scan this set either: each instance carries
//! its own keep-alive timer, and the set supports removing any member.

use std::collections::BTreeSet;

use rand::RngExt;

use super::NIL;
use super::instance::Instance;
use crate::engine::Slab;
use crate::model::Reuse;
use crate::rng::SimRng;

/// Idle instances, organised for the function's reuse rule.
#[derive(Debug)]
pub(super) enum IdleSet {
    /// A doubly linked list in the order instances went idle (links live in [`Instance`]);
    /// `mru` takes from the back, `lru` from the front.
    List {
        head: u32,
        tail: u32,
        from_back: bool,
    },
    /// A vector for O(1) uniform picks; each instance's index is kept in its `prev` link.
    Random(Vec<u32>),
    /// Ordered by creation serial: the newest is the last.
    Newest(BTreeSet<(u64, u32)>),
}

impl IdleSet {
    pub(super) fn new(reuse: Reuse) -> IdleSet {
        match reuse {
            Reuse::Mru | Reuse::Lru => IdleSet::List {
                head: NIL,
                tail: NIL,
                from_back: reuse == Reuse::Mru,
            },
            Reuse::Random => IdleSet::Random(Vec::new()),
            Reuse::Newest => IdleSet::Newest(BTreeSet::new()),
        }
    }

    /// Whether no instance is idle.
    pub(super) fn is_empty(&self) -> bool {
        match self {
            IdleSet::List { head, .. } => *head == NIL,
            IdleSet::Random(v) => v.is_empty(),
            IdleSet::Newest(set) => set.is_empty(),
        }
    }

    /// Adds `slot`, which just went idle.
    #[inline]
    pub(super) fn push(&mut self, slot: u32, instances: &mut Slab<Instance>) {
        match self {
            IdleSet::List { head, tail, .. } => {
                let inst = &mut instances[slot];
                inst.prev = *tail;
                inst.next = NIL;
                if *tail == NIL {
                    *head = slot;
                } else {
                    instances[*tail].next = slot;
                }
                *tail = slot;
            }
            IdleSet::Random(v) => {
                instances[slot].prev = v.len() as u32;
                v.push(slot);
            }
            IdleSet::Newest(set) => {
                set.insert((instances[slot].serial, slot));
            }
        }
    }

    /// Takes an idle instance for an arriving request, by the reuse rule.
    #[inline]
    pub(super) fn take(&mut self, instances: &mut Slab<Instance>, rng: &mut SimRng) -> Option<u32> {
        let slot = match self {
            IdleSet::List {
                head,
                tail,
                from_back,
            } => {
                let s = if *from_back { *tail } else { *head };
                if s == NIL {
                    return None;
                }
                // Every request that finds an idle instance comes here: unlinked in place
                // rather than through `remove`, which is not inlined.
                unlink(head, tail, s, instances);
                return Some(s);
            }
            IdleSet::Random(v) => {
                if v.is_empty() {
                    return None;
                }
                v[rng.random_range(0..v.len())]
            }
            IdleSet::Newest(set) => return set.pop_last().map(|(_, s)| s),
        };
        self.remove(slot, instances);
        Some(slot)
    }

    /// Removes `slot`, which must be in the set.
    #[inline]
    pub(super) fn remove(&mut self, slot: u32, instances: &mut Slab<Instance>) {
        match self {
            IdleSet::List { head, tail, .. } => unlink(head, tail, slot, instances),
            IdleSet::Random(v) => {
                let pos = instances[slot].prev as usize;
                debug_assert_eq!(v[pos], slot);
                v.swap_remove(pos);
                if let Some(&moved) = v.get(pos) {
                    instances[moved].prev = pos as u32;
                }
            }
            IdleSet::Newest(set) => {
                let removed = set.remove(&(instances[slot].serial, slot));
                debug_assert!(removed, "instance {slot} was not idle");
            }
        }
    }
}

/// Takes `slot` out of the list `head`..`tail` whose links live in the instances.
#[inline(always)]
fn unlink(head: &mut u32, tail: &mut u32, slot: u32, instances: &mut Slab<Instance>) {
    let (prev, next) = {
        let i = &instances[slot];
        (i.prev, i.next)
    };
    if prev == NIL {
        *head = next;
    } else {
        instances[prev].next = next;
    }
    if next == NIL {
        *tail = prev;
    } else {
        instances[next].prev = prev;
    }
}
