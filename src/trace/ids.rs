//! Hash maps keyed by a trace's identifiers (app and function hashes, names).
//!
//! Loading a day of the Azure 2019 trace looks up each row's app and function several
//! times (tens of thousands of rows, each once per file read), and the standard library's
//! SipHash, built to resist keys chosen by an adversary, was a tenth of the loading time.
//! A trace's keys come from the user's own files and are already hashes, so a
//! multiply-rotate hash over 8-byte words (the scheme of rustc's Fx hash) does. The map's
//! iteration order changes with the hasher: no caller lets it reach a result (lookups and
//! insertions only).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hash map keyed by trace identifiers, hashed with [`IdHasher`].
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// An odd constant with well-spread bits (from the digits of π), as Fx hashing uses.
const MULTIPLIER: u64 = 0x243f_6a88_85a3_08d3;

/// Each 8-byte word of the key: rotate, xor in, multiply.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher {
    hash: u64,
}

impl IdHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length tells "ab" from "ab\0".
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits the least mixed; the table takes its bucket
        // from the low bits and its tag from the top 7.
        self.hash.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash + ?Sized>(x: &T) -> u64 {
        BuildHasherDefault::<IdHasher>::default().hash_one(x)
    }

    /// Keys that differ in one byte, in length only, or in where a split between two
    /// fields falls hash apart; equal keys hash alike.
    #[test]
    fn close_keys_hash_apart() {
        let keys = [
            "",
            "a",
            "b",
            "ab",
            "ab\0",
            "abcdefgh",
            "abcdefgi",
            "abcdefgh1",
            "abcdefgh2",
        ];
        for (i, a) in keys.iter().enumerate() {
            assert_eq!(hash(*a), hash(&a.to_string()));
            for b in &keys[i + 1..] {
                assert_ne!(hash(*a), hash(*b), "{a:?} and {b:?}");
            }
        }
        assert_ne!(hash(&("ab", "c")), hash(&("a", "bc")));
    }

    /// A map of 100,000 hex keys (the trace's kind) finds every key and no other.
    #[test]
    fn a_map_of_hex_keys_finds_what_it_holds() {
        let key = |i: u64| format!("{:016x}{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15), i);
        let mut m: IdMap<String, u64> = IdMap::default();
        for i in 0..100_000 {
            m.insert(key(i), i);
        }
        assert_eq!(m.len(), 100_000);
        for i in 0..100_000 {
            assert_eq!(m.get(&key(i)), Some(&i));
        }
        assert_eq!(m.get(&key(100_000)), None);
    }
}
