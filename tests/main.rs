//! Integration tests, compiled as one binary (faster to build and link than one per file).

/// Shared helpers: building scenarios from JSON, collecting request logs.
mod common;

/// Hand-worked micro scenarios: exact counts, latencies, instance time and reuse choices.
mod micro;

/// The core against queueing theory: e^(−λT) cold starts, Erlang B, M/G/∞ and Little's law.
mod analytic;

/// Provisioned concurrency, keep-alive policies, memory pressure, lifetimes, warmers.
mod policies;

/// The express lane of plain functions' requests changes no result.
mod express;

/// The cost model against published prices and hand computations.
mod cost;

/// Same scenario + seed ⇒ byte-identical results; streams are independent per function.
mod determinism;

/// Functions that share nothing run apart, one at a time: the same results as one
/// interleaved queue, the account limit's fallback, coupled scenarios, the fleet's count.
mod independent;

/// The shipped profiles load, cite sources, and match the published figures they rest on.
mod profiles;

/// The `faassim` binary: outputs, and one-line errors with exit code 2 for bad input.
mod cli;

/// Numerical care: 10^9 arrivals per second, durations up to the 100-year limit, a one-year
/// run, 1 µs executions, 10^5 busy instances, 10^4 functions; refusals beyond the clock.
mod numerics;

/// The corpus of bad inputs (`tests/bad_inputs/`): exit code, no panic, exact message.
mod bad_inputs;

/// Parameter sweeps: grid expansion, errors, thread-count determinism, shards + merge,
/// resume, and confidence intervals against hand computation.
mod sweep;

/// Platform rules: scale-out buckets (AWS's published burst examples), requests per
/// instance, routing, CPU sharing, VPC, timeouts, errors and asynchronous retries.
mod platform_rules;

/// Keep-alive, provisioned-concurrency and eviction policies of a library user's own.
mod custom_policies;
/// The fuzz targets' corpus and crash regressions replayed through the fuzz harness
/// (`fuzz/src/lib.rs`): no panic, one-line errors, the shipped examples accepted.
mod fuzz_corpus;
/// Golden results: every shipped experiment's output, pinned byte for byte
/// (`FAASSIM_BLESS=1 cargo test golden` re-blesses).
mod golden;
/// The teaching labs: every lab's key holds (quick sizes), the catalogue's folders and the
/// sheets' commands exist, and unknown or failing labs exit non-zero.
mod labs;
/// Output formats against the JSON result: every run CSV column and every sweep metric
/// reads the field it names.
mod output;
/// Charts (SVG) and the HTML report page: well-formed XML, expected text and shapes
/// counted by hand, log axes without panics, escaping, a page with no outside references.
mod plots;
/// Property tests: random valid scenarios (every workload kind, policy and limit) and the
/// invariants every run keeps; shrunk failures as named regression tests.
mod properties;
/// What a run records beyond its requests: arrivals, instance lifecycles and throttle
/// causes listed by hand, and the `--windows` instance columns integrated by hand.
mod records;
/// Reports (`run --report`, `faassim report`): hand-worked figures on the page, a page that
/// loads nothing from elsewhere, well-formed SVG, the errors for folders that are not reports.
mod report;
/// Results for comparing policies: requests over a latency objective, distributions across
/// functions and the per-function table of sweep rows, against hand-worked runs.
mod results;
/// Routing among instances that take several requests at once: draining instances,
/// busy provisioned ones and instances starting without a request.
mod routing;
/// Event sources and workflows: queue batching and poller scaling, visibility timeouts and
/// dead letters, stream order per shard, polling and the shard read limit, iterator age,
/// per-item cost, workflow latency and retries.
mod sources;
/// Sweeps over trace replays: the trace is read once per distinct read, shared by points.
mod trace_sweeps;
/// Public trace replay (Azure 2019/2021, Huawei 2023, CSV) on the samples in
/// `workloads/traces/`: exact per-minute counts, selection, durations, memory, bad rows.
mod traces;
/// Synthetic workloads against their defining properties (Poisson and MMPP rates, diurnal
/// and flash-sale integrals, Hawkes dispersion, exact cron times), and the `--windows`
/// time series against a hand-worked trace.
mod workloads;
