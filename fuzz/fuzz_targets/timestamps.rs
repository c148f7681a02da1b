//! Fuzz target `timestamps`: the body is `faassim_fuzz::timestamps` (fuzz/src/lib.rs), which
//! tests/fuzz_corpus.rs also replays over fuzz/corpus/timestamps on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faassim_fuzz::timestamps(data);
});
