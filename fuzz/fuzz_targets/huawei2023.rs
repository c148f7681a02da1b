//! Fuzz target `huawei2023`: the body is `faassim_fuzz::huawei2023` (fuzz/src/lib.rs), which
//! tests/fuzz_corpus.rs also replays over fuzz/corpus/huawei2023 on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faassim_fuzz::huawei2023(data);
});
