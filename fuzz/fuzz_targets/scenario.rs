//! Fuzz target `scenario`: the body is `faassim_fuzz::scenario` (fuzz/src/lib.rs), which
//! tests/fuzz_corpus.rs also replays over fuzz/corpus/scenario on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faassim_fuzz::scenario(data);
});
