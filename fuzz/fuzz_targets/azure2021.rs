//! Fuzz target `azure2021`: the body is `faassim_fuzz::azure2021` (fuzz/src/lib.rs), which
//! tests/fuzz_corpus.rs also replays over fuzz/corpus/azure2021 on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faassim_fuzz::azure2021(data);
});
