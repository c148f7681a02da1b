//! Memory per function, counted by a global allocator: a binary of its own without the
//! test harness (`harness = false`), whose checks run one after the other on the main
//! thread, so that nothing else allocates while one counts.
//!
//! A trace replay has tens of thousands of functions, most of them invoked a few times a
//! day (issue 13: "a few KB per function for a function that is idle most of the day").
//! This runs the same day of rarely invoked functions with N and 2N functions and checks
//! that the peak of live heap bytes grows by at most [`BUDGET_PER_FUNCTION`] per added
//! function, over the whole run: loading, simulation and the summary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use faassim::metrics::Latency;
use faassim::sim::{self, RunOptions};
use faassim::{RunResult, Scenario, SimTime};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are
// only arithmetic on the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// What each added function may cost at the peak, bytes.
const BUDGET_PER_FUNCTION: usize = 8 * 1024;

/// A day of `n` functions, each invoked 6 times (at times spread over the day, a few
/// hours apart), from a timestamps file with a function column.
fn rare_functions(n: usize, dir: &Path) -> Scenario {
    let mut rows = Vec::new();
    for k in 0..6u64 {
        for f in 0..n as u64 {
            rows.push((k * 14_000 + (f * 7) % 13_000, f));
        }
    }
    rows.sort();
    let text: String = rows.iter().map(|(t, f)| format!("{t},fn{f}\n")).collect();
    std::fs::write(dir.join("rare.csv"), text).unwrap();
    let json = r#"{"name": "rare", "seed": 1, "duration_s": 86400,
        "traces": {"format": "csv", "invocations": "rare.csv",
          "template": {"runtime": "nodejs", "memory_mb": 256,
            "exec_ms": {"dist": "lognormal", "median": 80, "p99": 900},
            "keep_alive": {"policy": "fixed", "idle_s": 600}}}}"#;
    Scenario::from_str(json, "rare.json", dir).unwrap()
}

/// The peak of live heap bytes above the start, over loading, running and summarising
/// a day of `n` rare functions.
fn peak_bytes(n: usize, dir: &Path) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let s = rare_functions(n, dir);
    let out = sim::run(&s, RunOptions::default()).unwrap();
    let r = RunResult::new(&s, &out);
    assert_eq!(r.total.invocations, 6 * n as u64);
    assert_eq!(r.functions.len(), n);
    drop((r, out, s));
    PEAK.load(Ordering::Relaxed) - base
}

fn a_rarely_invoked_function_costs_a_few_kb() {
    let dir = std::env::temp_dir().join(format!("faassim-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n = 2_000;
    let small = peak_bytes(n, &dir);
    let large = peak_bytes(2 * n, &dir);
    let per_function = (large - small) / n;
    eprintln!(
        "peak {small} B for {n} functions, {large} B for {}: {per_function} B per function",
        2 * n
    );
    assert!(
        per_function <= BUDGET_PER_FUNCTION,
        "{per_function} bytes per function (peak {small} B for {n}, {large} B for {})",
        2 * n
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A busy distribution's histogram holds the counts it needs and no more. 100,000 response
/// times rising steadily from 1 ms to 60 s make the histogram grow bucket by bucket; spread
/// that evenly, no bucket gets near 255 samples (the widest, 16 ms, holds about 27), so the
/// counts stay one byte each. At 3 significant digits, values up to 60 s
/// (6·10^7 µs < 2,048 · 2^15) need 16 buckets: a counts array of (16 + 1) · 1,024 = 17,408
/// one-byte counts. With counts as wide as the total needs (4 bytes past 65,535 samples)
/// it was 69,632 bytes, and left to grow as a `Vec` does, up to twice that (131,232 bytes
/// here before it was sized exactly).
fn a_busy_histogram_holds_what_it_needs() {
    let base = LIVE.load(Ordering::Relaxed);
    let mut l = Latency::default();
    let n = 100_000u64;
    for i in 0..n {
        l.record(SimTime::from_ms(1.0 + 59_999.0 * i as f64 / (n - 1) as f64));
    }
    let held = LIVE.load(Ordering::Relaxed) - base;
    let counts = 17 * 1024;
    eprintln!("{held} bytes held for {counts} bytes of counts");
    // The counts, plus the histogram's own struct (a few hundred bytes) in its box.
    assert!(held >= counts && held <= counts + 1024, "{held} bytes held");
    assert_eq!(l.count(), n);
    drop(l);
}

/// Runs the checks one after the other; a failed one panics, which fails `cargo test`.
fn main() {
    let checks: [(&str, fn()); 2] = [
        (
            "a_rarely_invoked_function_costs_a_few_kb",
            a_rarely_invoked_function_costs_a_few_kb,
        ),
        (
            "a_busy_histogram_holds_what_it_needs",
            a_busy_histogram_holds_what_it_needs,
        ),
    ];
    for (name, check) in checks {
        check();
        println!("test {name} ... ok");
    }
    println!("memory: {} checks passed", checks.len());
}
