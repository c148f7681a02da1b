//! A generational slab: values in reusable slots, named by typed keys that go stale when
//! their slot is freed.
//!
//! Models keep their live objects (instances, requests, events between attempts, …) in a
//! [`Slab`] and put [`Key`]s in scheduled events; when an event pops, the key tells
//! whether its object is still the one it was scheduled for (lazy cancellation, see
//! [`crate::engine::EventQueue`]). Freed slots are reused last-freed-first, so slot
//! numbers, and anything that iterates over them, are deterministic.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// Values of type `T` in reusable slots.
#[derive(Debug, Clone)]
pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    /// Freed slots, reused last first.
    free: Vec<u32>,
}

#[derive(Debug, Clone)]
struct Entry<T> {
    /// Bumped each time the slot is freed.
    generation: u32,
    value: T,
}

/// The name of one occupant of a [`Slab<T>`]: its slot and the slot's generation.
pub struct Key<T> {
    index: u32,
    generation: u32,
    _of: PhantomData<fn() -> T>,
}

// Derives would require `T: Clone` etc.; a key is two integers whatever `T` is.
impl<T> Clone for Key<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Key<T> {}
impl<T> PartialEq for Key<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.index, self.generation) == (other.index, other.generation)
    }
}
impl<T> Eq for Key<T> {}
impl<T> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.index, self.generation)
    }
}

impl<T> Key<T> {
    /// The slot.
    #[inline]
    pub fn index(self) -> u32 {
        self.index
    }
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Slab<T> {
    /// An empty slab.
    pub fn new() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Puts `value` in a free slot (the last freed) or a new one.
    ///
    /// # Panics
    /// With 2^32 − 1 values at once (`u32::MAX` is kept as a "none" marker by models).
    #[inline]
    pub fn insert(&mut self, value: T) -> Key<T> {
        let index = match self.free.pop() {
            Some(index) => {
                self.entries[index as usize].value = value;
                index
            }
            None => {
                let index = u32::try_from(self.entries.len())
                    .ok()
                    .filter(|&i| i != u32::MAX)
                    .expect("fewer than 2^32 - 1 values in a slab at once");
                self.entries.push(Entry {
                    generation: 0,
                    value,
                });
                index
            }
        };
        self.key(index)
    }

    /// Like [`insert`](Self::insert), but a reused slot's old value is handed to `reuse`
    /// to reset in place (keeping its allocations) instead of being replaced by
    /// `fresh()`.
    #[inline]
    pub fn insert_with(&mut self, fresh: impl FnOnce() -> T, reuse: impl FnOnce(&mut T)) -> Key<T> {
        match self.free.pop() {
            Some(index) => {
                reuse(&mut self.entries[index as usize].value);
                self.key(index)
            }
            None => self.insert(fresh()),
        }
    }

    /// Frees slot `index`: its keys go stale. Its value stays readable until the slot is
    /// reused.
    #[inline]
    pub fn remove(&mut self, index: u32) {
        let e = &mut self.entries[index as usize];
        e.generation = e.generation.wrapping_add(1);
        self.free.push(index);
    }

    /// The key of slot `index`'s current occupant.
    #[inline]
    pub fn key(&self, index: u32) -> Key<T> {
        Key {
            index,
            generation: self.entries[index as usize].generation,
            _of: PhantomData,
        }
    }

    /// Whether `key` still names its slot's occupant (the slot was not freed since).
    #[inline]
    pub fn is_current(&self, key: Key<T>) -> bool {
        self.entries[key.index as usize].generation == key.generation
    }

    /// Values held now (slots occupied).
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// Whether no value is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots ever used (occupied or free): indices run from 0 to this.
    #[inline]
    pub fn slots(&self) -> usize {
        self.entries.len()
    }
}

impl<T> Index<u32> for Slab<T> {
    type Output = T;
    #[inline]
    fn index(&self, index: u32) -> &T {
        &self.entries[index as usize].value
    }
}

impl<T> IndexMut<u32> for Slab<T> {
    #[inline]
    fn index_mut(&mut self, index: u32) -> &mut T {
        &mut self.entries[index as usize].value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused_last_first_and_old_keys_go_stale() {
        let mut s = Slab::new();
        let a = s.insert("a");
        let b = s.insert("b");
        let c = s.insert("c");
        assert_eq!((a.index(), b.index(), c.index()), (0, 1, 2));
        s.remove(0);
        s.remove(2);
        assert_eq!((s.len(), s.slots()), (1, 3));
        assert!(!s.is_current(a) && s.is_current(b) && !s.is_current(c));
        let d = s.insert("d");
        let e = s.insert("e");
        assert_eq!((d.index(), e.index()), (2, 0));
        assert_eq!((s[2], s[0], s[1]), ("d", "e", "b"));
        assert!(
            s.is_current(d) && !s.is_current(c),
            "same slot, new occupant"
        );
        assert_eq!((s.len(), s.slots()), (3, 3));
        s[1] = "B";
        assert_eq!(s[b.index()], "B");
    }

    /// Keys are equal when they name the same slot in the same generation, and print as
    /// `#slot.generation`; `is_empty` says whether no slot is occupied.
    #[test]
    fn keys_compare_by_slot_and_generation() {
        let mut s = Slab::default();
        assert!(s.is_empty());
        let a = s.insert('a');
        let b = s.insert('b');
        assert!(!s.is_empty());
        assert_eq!(a, s.key(0));
        assert_ne!(a, b);
        s.remove(0);
        let c = s.insert('c');
        assert_eq!(c.index(), a.index());
        assert_ne!(a, c, "same slot, later generation");
        assert_eq!(
            (format!("{a:?}"), format!("{c:?}")),
            ("#0.0".into(), "#0.1".into())
        );
        s.remove(0);
        s.remove(1);
        assert!(s.is_empty());
    }

    #[test]
    fn insert_with_resets_a_reused_value_in_place() {
        let mut s: Slab<Vec<u32>> = Slab::new();
        let a = s.insert_with(|| vec![1, 2], |_| unreachable!("nothing to reuse"));
        s.remove(a.index());
        let capacity = s[a.index()].capacity();
        let b = s.insert_with(Vec::new, |v| v.clear());
        assert_eq!(b.index(), a.index());
        assert!(s[b.index()].is_empty() && s[b.index()].capacity() == capacity);
    }
}
