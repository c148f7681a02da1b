//! Typed function ids: [`FunctionId`] names a function of a scenario, and [`PerFunction`]
//! holds one value per function, indexed only by a [`FunctionId`].
//!
//! This module imports nothing, so the leaf domain modules that keep per-function state
//! (the eviction order in [`crate::policy::eviction`]) use it without depending on the rest
//! of the model, as they use `config::check` without the rest of `config`.

use std::ops::{Index, IndexMut};

/// Names a function of a scenario: its position in `Scenario::functions`.
///
/// A `u32` inside, so that events and instances carrying it stay small. Validation caps a
/// scenario at [`FunctionId::MAX_FUNCTIONS`] functions (`ScenarioSpec::validate` in
/// `config/scenario.rs`), so every function of a loaded scenario has an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionId(u32);

impl FunctionId {
    /// The most functions a scenario may have: one id per `u32` value.
    pub const MAX_FUNCTIONS: usize = u32::MAX as usize;

    /// The function at position `index` in `Scenario::functions`.
    ///
    /// # Panics
    /// If `index` does not fit in a `u32` (more functions than
    /// [`MAX_FUNCTIONS`](Self::MAX_FUNCTIONS), which validation rejects).
    #[inline]
    pub const fn new(index: usize) -> Self {
        assert!(
            index <= u32::MAX as usize,
            "function index does not fit in a FunctionId (u32)"
        );
        FunctionId(index as u32)
    }

    /// Its position in `Scenario::functions`.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// Every function of a scenario with `n` functions, in order.
    pub fn all(n: usize) -> impl DoubleEndedIterator<Item = FunctionId> + ExactSizeIterator {
        (0..n).map(FunctionId::new)
    }
}

/// One value per function of a scenario, indexed by [`FunctionId`] (and by nothing
/// else, so a function's state cannot be looked up with an instance slot or a queue index).
///
/// Values are in function order; [`into_vec`](Self::into_vec) hands them over as a plain
/// `Vec` (the public results keep function order).
#[derive(Debug, Clone, PartialEq)]
pub struct PerFunction<T>(Vec<T>);

impl<T> PerFunction<T> {
    /// No function yet, with room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        PerFunction(Vec::with_capacity(n))
    }

    /// Adds the value of the next function; returns that function's id.
    pub fn push(&mut self, value: T) -> FunctionId {
        let id = FunctionId::new(self.0.len());
        self.0.push(value);
        id
    }

    /// How many functions.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no function.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every function's id, in order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = FunctionId> + ExactSizeIterator + use<T> {
        FunctionId::all(self.0.len())
    }

    /// The values, in function order.
    #[inline]
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// The values, mutable, in function order.
    #[inline]
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.0.iter_mut()
    }

    /// Each function's id with its value, in order.
    pub fn iter_ids(&self) -> impl Iterator<Item = (FunctionId, &T)> {
        self.ids().zip(&self.0)
    }

    /// The values as a plain vector, in function order.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> Default for PerFunction<T> {
    fn default() -> Self {
        PerFunction(Vec::new())
    }
}

impl<T> Index<FunctionId> for PerFunction<T> {
    type Output = T;

    #[inline]
    fn index(&self, f: FunctionId) -> &T {
        &self.0[f.index()]
    }
}

impl<T> IndexMut<FunctionId> for PerFunction<T> {
    #[inline]
    fn index_mut(&mut self, f: FunctionId) -> &mut T {
        &mut self.0[f.index()]
    }
}

impl<T> FromIterator<T> for PerFunction<T> {
    /// The first value is function 0's, and so on.
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let values: Vec<T> = iter.into_iter().collect();
        // Every value must have an id.
        assert!(
            values.len() <= FunctionId::MAX_FUNCTIONS,
            "more values than function ids"
        );
        PerFunction(values)
    }
}

impl<T> From<Vec<T>> for PerFunction<T> {
    /// `values[i]` is function `i`'s.
    fn from(values: Vec<T>) -> Self {
        values.into_iter().collect()
    }
}

impl<T> IntoIterator for PerFunction<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a PerFunction<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut PerFunction<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_index() {
        let f = FunctionId::new(7);
        assert_eq!(f.index(), 7);
        assert!(FunctionId::new(3) < f);
        assert_eq!(
            FunctionId::all(3).collect::<Vec<_>>(),
            [0, 1, 2].map(FunctionId::new)
        );
        assert_eq!(std::mem::size_of::<FunctionId>(), 4);
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    #[should_panic(expected = "does not fit")]
    fn an_index_past_u32_has_no_id() {
        let _ = FunctionId::new(FunctionId::MAX_FUNCTIONS + 1);
    }

    #[test]
    fn per_function_values_are_indexed_by_id() {
        let mut v: PerFunction<u32> = (10..13).collect();
        let (a, c) = (FunctionId::new(0), FunctionId::new(2));
        v[c] += 5;
        assert_eq!((v[a], v[c], v.len()), (10, 17, 3));
        assert_eq!(v.push(20), FunctionId::new(3));
        assert_eq!(v.ids().last(), Some(FunctionId::new(3)));
        assert_eq!(
            v.iter_ids()
                .map(|(f, &x)| (f.index(), x))
                .collect::<Vec<_>>(),
            [(0, 10), (1, 11), (2, 17), (3, 20)]
        );
        assert_eq!(v.into_vec(), [10, 11, 17, 20]);
    }
}
