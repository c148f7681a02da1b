//! Fuzz target `azure2019`: the body is `faassim_fuzz::azure2019` (fuzz/src/lib.rs), which
//! tests/fuzz_corpus.rs also replays over fuzz/corpus/azure2019 on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faassim_fuzz::azure2019(data);
});
