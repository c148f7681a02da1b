//! faassim's whole-library speed as a fraction of a minimal event loop (issue 13).
//!
//! Absolute invocations per second depend on the machine and on whatever else it is
//! running; the ratio to a bare loop that does the same work in the same run does much
//! less. Both functions of the group `baseline` simulate the reference scenario of
//! `experiments/reference.json` (one function, Poisson 100 req/s, exponential execution
//! with mean 50 ms, 500 ms cold start, 600 s keep-alive) for 10^4 s, about 10^6
//! invocations:
//!
//! - `bare`: the scenario written from scratch as the smallest honest discrete-event loop:
//!   a `std` binary heap of `(time_ns, event)`; one pending arrival at a time (exponential
//!   gaps); an idle stack, most recently used first (faassim's default `mru` reuse); a new
//!   instance when none is idle (cold: done after 500 ms + execution); one keep-alive timer
//!   per instance, re-armed lazily when it fires early (as faassim does, `src/sim.rs`,
//!   "Timers"); eviction when it expires. Every arrival, execution end and keep-alive expiry
//!   is an event. Each response time goes into an HDR histogram (µs, 3 significant
//!   digits), whose mean and quantiles are read at the end, and cold and warm starts are
//!   counted, so the loop also does the essential measuring. It draws from the same generator (PCG-64 MCG) and samples exponentials the
//!   same way (`Exp1` times the mean) as faassim.
//! - `faassim`: what `faassim run --format json` does minus process start and file writes:
//!   load the scenario file, `sim::run`, `RunResult::new` and the JSON text.
//!
//! What the bare loop leaves out (and faassim does for this scenario): the platform rules
//! that do not bind here (concurrency limits, lifetimes, timeouts, errors, retries), a
//! separate cold-start event, the per-request objects, cold/warm/cold-start-duration
//! histograms, time-weighted instance counts, billing and the summary.
//!
//! Run with `cargo bench --bench bare_loop`: throughput is in invocations per second
//! ("elem/s"), the same element count for both, so faassim's fraction of the bare loop is
//! the ratio of the two throughputs (of the two times, inverted). Before measuring, one run
//! of each prints its invocation and cold-start counts to stderr, to show that the two do the
//! same work, and nine alternating pairs of runs print faassim's fraction of the bare loop
//! pair by pair (median and range): the figure to quote on a host whose speed drifts.
//! Figures: `docs/performance.md`, "Against a bare event loop (issue 13)".

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faassim::report::Format;
use faassim::{RunResult, Scenario, SimTime, sim};
use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_pcg::Pcg64Mcg;

/// The simulated span of one iteration, seconds: about 10^6 invocations at 100 req/s.
const DURATION_S: f64 = 10_000.0;

const NS_PER_S: f64 = 1e9;
const NS_PER_MS: f64 = 1e6;
/// Poisson arrivals, per second.
const RATE_PER_S: f64 = 100.0;
/// Mean execution time, ms.
const EXEC_MEAN_MS: f64 = 50.0;
/// Cold start, ns.
const COLD_START_NS: u64 = 500_000_000;
/// Keep-alive after the last request ends, ns.
const KEEP_ALIVE_NS: u64 = 600_000_000_000;

/// What can happen at an instant.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// The next arrival.
    Arrival,
    /// The request that arrived at `arrived` ends on `instance`.
    Done { instance: u32, arrived: u64 },
    /// `instance`'s keep-alive timer.
    Timer { instance: u32 },
}

#[derive(Clone, Copy, Default)]
struct Instance {
    /// When it last became idle (meaningful only while idle).
    idle_since: u64,
    busy: bool,
    /// Whether its one keep-alive timer is in the heap.
    timer_armed: bool,
}

/// What the bare loop measured.
struct BareOutput {
    invocations: u64,
    cold: u64,
    warm: u64,
    evictions: u64,
    events: u64,
    latency_us: Histogram<u64>,
}

/// Exponential with mean `mean_ns` (a `f64` of nanoseconds), rounded to whole nanoseconds
/// as faassim's `SimTime::from_ms` does.
#[inline]
fn exp_ns(rng: &mut Pcg64Mcg, mean_ns: f64) -> u64 {
    let e: f64 = Exp1.sample(rng);
    (e * mean_ns + 0.5) as u64
}

/// The reference scenario over `duration_s`, as a minimal heap-based event loop.
fn bare(duration_s: f64, seed: u64) -> BareOutput {
    let horizon = (duration_s * NS_PER_S) as u64;
    let gap_mean_ns = NS_PER_S / RATE_PER_S;
    let exec_mean_ns = EXEC_MEAN_MS * NS_PER_MS;
    let mut arrivals = Pcg64Mcg::seed_from_u64(seed);
    let mut execution = Pcg64Mcg::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15);

    let mut heap: BinaryHeap<Reverse<(u64, Event)>> = BinaryHeap::new();
    let mut instances: Vec<Instance> = Vec::new();
    // Slots of evicted instances, for the next cold start.
    let mut free: Vec<u32> = Vec::new();
    // Idle instances, the most recently idle at the back (taken first).
    let mut idle: VecDeque<u32> = VecDeque::new();
    let mut out = BareOutput {
        invocations: 0,
        cold: 0,
        warm: 0,
        evictions: 0,
        events: 0,
        latency_us: Histogram::new(3).expect("valid precision"),
    };

    let first = exp_ns(&mut arrivals, gap_mean_ns);
    if first < horizon {
        heap.push(Reverse((first, Event::Arrival)));
    }
    while let Some(Reverse((now, event))) = heap.pop() {
        out.events += 1;
        match event {
            Event::Arrival => {
                out.invocations += 1;
                let next = now + exp_ns(&mut arrivals, gap_mean_ns);
                if next < horizon {
                    heap.push(Reverse((next, Event::Arrival)));
                }
                let exec = exp_ns(&mut execution, exec_mean_ns);
                let (instance, end) = match idle.pop_back() {
                    Some(i) => {
                        out.warm += 1;
                        (i, now + exec)
                    }
                    None => {
                        out.cold += 1;
                        let i = free.pop().unwrap_or_else(|| {
                            instances.push(Instance::default());
                            (instances.len() - 1) as u32
                        });
                        (i, now + COLD_START_NS + exec)
                    }
                };
                instances[instance as usize].busy = true;
                heap.push(Reverse((
                    end,
                    Event::Done {
                        instance,
                        arrived: now,
                    },
                )));
            }
            Event::Done { instance, arrived } => {
                // Whole microseconds, rounded (faassim's `SimTime::as_micros`).
                out.latency_us
                    .record((now - arrived + 500) / 1_000)
                    .expect("auto-resizing histogram");
                let inst = &mut instances[instance as usize];
                inst.busy = false;
                inst.idle_since = now;
                idle.push_back(instance);
                if !inst.timer_armed {
                    inst.timer_armed = true;
                    heap.push(Reverse((now + KEEP_ALIVE_NS, Event::Timer { instance })));
                }
            }
            Event::Timer { instance } => {
                let inst = &mut instances[instance as usize];
                inst.timer_armed = false;
                if inst.busy {
                    // Reused since the timer was armed: its next `Done` arms a new one.
                    continue;
                }
                let deadline = inst.idle_since + KEEP_ALIVE_NS;
                if deadline > now {
                    // Reused and idle again since: re-arm for the current deadline.
                    inst.timer_armed = true;
                    heap.push(Reverse((deadline, Event::Timer { instance })));
                    continue;
                }
                // Expired: with a fixed keep-alive the least recently idle instance
                // expires first, so it is at the front of the idle list.
                match idle.front() {
                    Some(&i) if i == instance => {
                        idle.pop_front();
                    }
                    _ => {
                        let at = idle.iter().position(|&i| i == instance);
                        idle.remove(at.expect("an expiring instance is idle"));
                    }
                }
                free.push(instance);
                out.evictions += 1;
            }
        }
    }
    out
}

/// The latency summary faassim reports (mean, p50, p90, p99, p99.9, p99.99, max), µs.
fn summary(h: &Histogram<u64>) -> [f64; 7] {
    let q = |q| h.value_at_quantile(q) as f64;
    [
        h.mean(),
        q(0.5),
        q(0.9),
        q(0.99),
        q(0.999),
        q(0.9999),
        h.max() as f64,
    ]
}

/// The reference scenario, shortened to `duration_s`, loaded from its file.
fn reference(duration_s: f64) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/reference.json");
    let mut s = Scenario::load(&path).expect("reference scenario loads");
    s.duration = SimTime::from_secs(duration_s);
    s
}

/// The library path of `faassim run --format json`: load, simulate, summarise, write JSON.
fn faassim_run(duration_s: f64) -> (RunResult, String) {
    let scenario = reference(duration_s);
    let out = sim::run(&scenario, Default::default()).expect("reference scenario runs");
    let result = RunResult::new(&scenario, &out);
    let json = Format::Json.exporter().export(&result);
    (result, json)
}

/// Alternating runs of the two for [`paired_ratio`].
const PAIRS: usize = 9;

/// Times `pairs` alternating runs (bare, then faassim) and prints to stderr the median
/// and range of faassim's fraction of the bare loop's speed, pair by pair. On a shared host
/// whose speed drifts over seconds (seen here: the same binary taking 2.3 to 4.3 s on the
/// reference in consecutive runs), criterion's two groups, measured one after the other,
/// can each catch a different phase; a pair is measured within half a second, so the
/// median of the pairs moves less than the ratio of the two groups' medians.
fn paired_ratio(pairs: usize) {
    let mut ratios: Vec<f64> = (0..pairs)
        .map(|_| {
            let t = Instant::now();
            black_box(summary(&bare(black_box(DURATION_S), 1).latency_us));
            let bare_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            black_box(faassim_run(black_box(DURATION_S)).1.len());
            bare_s / t.elapsed().as_secs_f64()
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    eprintln!(
        "faassim / bare loop, {pairs} alternating pairs: median {:.3} (range {:.3}-{:.3})",
        ratios[pairs / 2],
        ratios[0],
        ratios[pairs - 1],
    );
}

fn bench(c: &mut Criterion) {
    // Not timed: show that both do the same work.
    let b = bare(DURATION_S, 1);
    let (f, json) = faassim_run(DURATION_S);
    eprintln!(
        "bare:    {} invocations, {} cold, {} warm, {} evictions, {} events, \
         p50 {} µs, p99 {} µs",
        b.invocations,
        b.cold,
        b.warm,
        b.evictions,
        b.events,
        summary(&b.latency_us)[1],
        summary(&b.latency_us)[3],
    );
    eprintln!(
        "faassim: {} invocations, {} cold, {} warm, {} evictions, {} events, \
         p50 {:?} ms, p99 {:?} ms ({} bytes of JSON)",
        f.total.invocations,
        f.total.cold_starts,
        f.total.warm_starts,
        f.total.evictions,
        f.events,
        f.total.latency_ms.p50,
        f.total.latency_ms.p99,
        json.len(),
    );
    let ratio = f.total.invocations as f64 / b.invocations as f64;
    assert!(
        (0.99..=1.01).contains(&ratio),
        "the two simulate different loads: {} vs {} invocations",
        f.total.invocations,
        b.invocations
    );
    assert!(
        b.cold > 0 && f.total.cold_starts > 0 && {
            let r = f.total.cold_starts as f64 / b.cold as f64;
            (1.0 / 3.0..=3.0).contains(&r)
        },
        "cold starts differ: {} (bare) vs {} (faassim)",
        b.cold,
        f.total.cold_starts
    );

    paired_ratio(PAIRS);

    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    // Same element count for both, so the throughput ratio is the inverse time ratio.
    group.throughput(Throughput::Elements(b.invocations));
    group.bench_function("bare", |bch| {
        bch.iter(|| summary(&bare(black_box(DURATION_S), 1).latency_us))
    });
    group.bench_function("faassim", |bch| {
        bch.iter(|| black_box(faassim_run(black_box(DURATION_S))).1.len())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
