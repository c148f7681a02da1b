//! Fuzz target `csv`: the body is `faassim_fuzz::csv` (fuzz/src/lib.rs), which
//! tests/fuzz_corpus.rs also replays over fuzz/corpus/csv on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faassim_fuzz::csv(data);
});
