//! Unit tests of latency distributions against the `hdrhistogram` crate's own histograms
//! and quantiles for the same samples, and of what they hold in memory.

use super::*;
use rand::{RngExt, SeedableRng};

/// Narrow and wide storage report the same quantiles, and merging across them keeps
/// every sample.
#[test]
fn widening_keeps_samples_and_quantiles() {
    let mut a = Latency::batched();
    let mut plain = Latency::default();
    for i in 1..=10_000u64 {
        plain.record(SimTime(i * 1_000_003));
        a.record(SimTime(i * 1_000_003));
    }
    let narrow_q: Vec<_> = [0.5, 0.9, 0.99].iter().map(|&q| a.quantile_ms(q)).collect();
    // Batching changes nothing but the order of recording.
    let plain_q: Vec<_> = [0.5, 0.9, 0.99]
        .iter()
        .map(|&q| plain.quantile_ms(q))
        .collect();
    assert_eq!(narrow_q, plain_q);
    assert_eq!(a.to_histogram(), plain.to_histogram());
    let mut b = a.clone();
    let s = b.hist.as_mut().expect("10,000 samples make a histogram");
    assert!(matches!(s, Store::Byte(_)), "no bucket holds 256 samples");
    for width in 1..=3 {
        s.widen_once();
        assert_eq!(s.width(), width);
        let wider = Latency {
            hist: Some(s.clone()),
            ..a.clone()
        };
        let wider_q: Vec<_> = [0.5, 0.9, 0.99]
            .iter()
            .map(|&q| wider.quantile_ms(q))
            .collect();
        assert_eq!(narrow_q, wider_q);
    }
    assert!(matches!(s, Store::Wide(_)));
    a.merge(&b);
    assert_eq!(a.count(), 20_000);
    assert_eq!(a.to_histogram().unwrap().len(), 20_000);
    assert_eq!(a.quantile_ms(0.5), b.quantile_ms(0.5));
}

/// 2-byte counts widen to 4 bytes before the 65,535th sample: 70,000 samples, many in
/// one bucket, recorded one by one, in batches and by merging a 2-byte histogram into a
/// 4-byte one, all count every sample and give the crate's quantiles.
#[test]
fn two_byte_counts_widen_before_they_overflow() {
    let mut one = Latency::default();
    let mut batched = Latency::batched();
    let (mut left, mut right) = (Latency::default(), Latency::default());
    let mut expected_h = Histogram::<u64>::new(SIGFIG).unwrap();
    for i in 0..70_000u64 {
        // Two thirds in the 7 ms bucket: one count far past u16::MAX / 2.
        let us = if i % 3 == 0 { 1_000 + i } else { 7_000 };
        let d = SimTime(us * 1000);
        one.record(d);
        batched.record(d);
        if i < 1_500 {
            left.record(d)
        } else {
            right.record(d)
        }
        expected_h.record(us).unwrap();
    }
    assert!(matches!(one.hist, Some(Store::Narrow(_))));
    assert!(matches!(left.hist, Some(Store::Tiny(_))));
    left.merge(&right);
    let max_ns = 69_999_000 + 1_000_000;
    let expected: Vec<Option<f64>> = QS
        .iter()
        .map(|&q| Some((expected_h.value_at_quantile(q) as f64 / 1e3).min(max_ns as f64 / 1e6)))
        .collect();
    for l in [&one, &batched, &left] {
        assert_eq!(l.count(), 70_000);
        assert_eq!(l.to_histogram().unwrap(), expected_h);
        assert_eq!(l.quantiles_ms(&QS), expected);
    }
}

const QS: [f64; 9] = [0.0, 1e-9, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0];

/// What the `hdrhistogram` crate says for the same samples, ms, capped at the maximum
/// as `quantile_ms` caps: the independent expectation for the small form.
fn expected(samples_us: &[u64], max_ns: u64) -> Vec<Option<f64>> {
    let mut h = Histogram::<u64>::new(SIGFIG).unwrap();
    for &v in samples_us {
        h.record(v).unwrap();
    }
    QS.iter()
        .map(|&q| Some((h.value_at_quantile(q) as f64 / 1e3).min(max_ns as f64 / 1e6)))
        .collect()
}

/// For every size from 1 sample up to past the switch to a histogram, and for values
/// spread over six decades (with ties), the quantiles are the crate's, sample for sample.
#[test]
fn small_distributions_give_the_histograms_quantiles() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for n in (1..40).chain([255, 256, 257, 1023, 1024, 1025, 3000]) {
        for batched in [false, true] {
            let mut l = if batched {
                Latency::batched()
            } else {
                Latency::default()
            };
            let mut us = Vec::new();
            let mut max_ns = 0;
            for _ in 0..n {
                // Whole microseconds (so that rounding to µs is exact), some repeated.
                let v: u64 = if rng.random_bool(0.2) && !us.is_empty() {
                    us[rng.random_range(0..us.len())]
                } else {
                    10u64.pow(rng.random_range(0..6)) * rng.random_range(1..1000)
                };
                us.push(v);
                max_ns = max_ns.max(v * 1000);
                l.record(SimTime(v * 1000));
            }
            assert_eq!(l.hist.is_some(), n >= SMALL, "{n} samples");
            assert_eq!(l.quantiles_ms(&QS), expected(&us, max_ns), "{n}, {batched}");
            let one_by_one: Vec<_> = QS.iter().map(|&q| l.quantile_ms(q)).collect();
            assert_eq!(one_by_one, expected(&us, max_ns));
            let mut h = Histogram::<u64>::new(SIGFIG).unwrap();
            for &v in &us {
                h.record(v).unwrap();
            }
            assert_eq!(l.to_histogram().unwrap(), h);
        }
    }
}

/// Merging small with small stays small while it fits, and any merge holds every sample
/// of both sides, with the crate's quantiles for them.
#[test]
fn merges_keep_every_sample() {
    let make = |n: u64, step: u64| {
        let mut l = Latency::default();
        let us: Vec<u64> = (1..=n).map(|i| i * step).collect();
        for &v in &us {
            l.record(SimTime(v * 1000));
        }
        (l, us)
    };
    for (na, nb) in [
        (0, 0),
        (0, 5),
        (5, 0),
        (10, 20),
        (600, 600),
        (1, 5000),
        (5000, 3),
    ] {
        let (mut a, mut us) = make(na, 7);
        let (b, ub) = make(nb, 13);
        a.merge(&b);
        us.extend(ub);
        assert_eq!(a.count(), na + nb);
        assert_eq!(a.hist.is_none(), na + nb < SMALL as u64, "{na} + {nb}");
        if na + nb > 0 {
            let max_ns = us.iter().max().unwrap() * 1000;
            assert_eq!(a.quantiles_ms(&QS), expected(&us, max_ns), "{na} + {nb}");
        } else {
            assert_eq!(a.quantiles_ms(&QS), vec![None; QS.len()]);
            assert!(a.to_histogram().is_none());
        }
    }
}

/// A value beyond `u32::MAX` µs (71 minutes) goes to the histogram at once, with the
/// small samples before it.
#[test]
fn a_value_too_large_for_the_list_starts_the_histogram() {
    let mut l = Latency::default();
    l.record(SimTime::from_ms(5.0));
    l.record(SimTime::from_ms(5_000_000.0));
    assert!(l.hist.is_some() && l.pending.is_empty());
    let h = l.to_histogram().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(l.quantile_ms(1.0), Some(5_000_000.0));
    assert_eq!(
        l.quantile_ms(0.5),
        Some(buckets().highest_equivalent(5000) as f64 / 1e3)
    );
}

/// Bytes `l` holds on the heap: its histogram's counts and its list of samples.
fn heap_bytes(l: &Latency) -> usize {
    let counts = match &l.hist {
        None => 0,
        Some(Store::Byte(h)) => h.distinct_values(),
        Some(Store::Tiny(h)) => h.distinct_values() * 2,
        Some(Store::Narrow(h)) => h.distinct_values() * 4,
        Some(Store::Wide(h)) => h.distinct_values() * 8,
    };
    counts + l.pending.capacity() * 4
}

/// The small form is what makes a rarely invoked function cheap: a few samples hold
/// bytes, a histogram tens of KB.
#[test]
fn a_few_samples_hold_a_few_bytes() {
    let mut l = Latency::batched();
    for i in 0..10 {
        l.record(SimTime::from_ms(100.0 + i as f64 * 300.0));
    }
    assert!(heap_bytes(&l) <= 64, "{}", heap_bytes(&l));
    let mut big = Latency::batched();
    for i in 0..SMALL as u64 {
        big.record(SimTime::from_ms(100.0 + i as f64 * 3.0));
    }
    // A histogram spanning 0.1–3.2 s at 3 significant digits: about 13,000 counts of
    // 1 byte (no bucket holds 256 samples).
    assert!(heap_bytes(&big) > 10_000, "{}", heap_bytes(&big));
    assert!(matches!(big.hist, Some(Store::Byte(_))));
}

/// Byte counts widen before a bucket passes 255, however the samples arrive: one by
/// one, in sorted batches (a run of equal values recorded at once) and by merging two
/// byte histograms whose buckets only overflow together. Each gives the crate's own
/// histogram of the same samples, and one whose buckets stay small stays in bytes.
#[test]
fn byte_counts_widen_before_a_bucket_overflows() {
    let mut one = Latency::default();
    let mut batched = Latency::batched();
    let (mut left, mut right) = (Latency::default(), Latency::default());
    let mut expected_h = Histogram::<u64>::new(SIGFIG).unwrap();
    // 2,000 samples spread over 1–3 s, and 400 at exactly 50 ms, interleaved.
    for i in 0..2_400u64 {
        let us = if i % 6 == 5 {
            50_000
        } else {
            1_000_000 + i * 997
        };
        let d = SimTime(us * 1000);
        one.record(d);
        batched.record(d);
        // Alternate groups of six: each half has 200 at 50 ms.
        if (i / 6) % 2 == 0 {
            left.record(d)
        } else {
            right.record(d)
        }
        expected_h.record(us).unwrap();
    }
    assert_eq!(expected_h.count_at(50_000), 400);
    assert!(matches!(one.hist, Some(Store::Tiny(_))));
    assert!(matches!(batched.hist, Some(Store::Tiny(_))));
    // 200 at 50 ms each: both halves fit in bytes, their sum does not.
    assert!(matches!(left.hist, Some(Store::Byte(_))));
    assert!(matches!(right.hist, Some(Store::Byte(_))));
    left.merge(&right);
    let max_ns: u64 = (1_000_000 + 2_398 * 997) * 1000;
    let expected: Vec<Option<f64>> = QS
        .iter()
        .map(|&q| Some((expected_h.value_at_quantile(q) as f64 / 1e3).min(max_ns as f64 / 1e6)))
        .collect();
    for l in [&one, &batched, &left] {
        assert_eq!(l.count(), 2_400);
        assert_eq!(l.to_histogram().unwrap(), expected_h);
        assert_eq!(l.quantiles_ms(&QS), expected);
    }
    // 255 samples in one bucket still fit a byte.
    let mut full = Latency::default();
    let mut full_h = Histogram::<u64>::new(SIGFIG).unwrap();
    for i in 0..(SMALL as u64 + 255) {
        let us = if i < 255 { 7_000 } else { 10_000 + i * 13 };
        full.record(SimTime(us * 1000));
        full_h.record(us).unwrap();
    }
    assert!(matches!(full.hist, Some(Store::Byte(_))));
    assert_eq!(full.to_histogram().unwrap(), full_h);
}

/// `span` is what `hdrhistogram` gives an auto-resizing histogram that grew to track
/// the value: the length of its counts and its highest trackable value.
#[test]
fn span_matches_the_crate() {
    let mut values = vec![
        0,
        1,
        2,
        3,
        2047,
        2048,
        2049,
        4095,
        4096,
        1 << 40,
        u64::MAX / 4,
    ];
    for k in 11..50 {
        values.extend([(1u64 << k) - 1, 1 << k, (1 << k) + 1, 3 << (k - 1)]);
    }
    for v in values {
        let mut h = Histogram::<u16>::new(SIGFIG).unwrap();
        h.record(v).unwrap();
        assert_eq!(span(v), (h.distinct_values(), h.high()), "value {v}");
    }
}

/// Sizing histograms exactly changes nothing about them: the same counts, the same
/// highest trackable value, so the same serialised bytes as a histogram of the crate
/// grown one value at a time. Values rise (growing the histogram bucket by bucket),
/// then fall and rise again, past 65,535 samples (widening its counts).
#[test]
fn exact_sizing_gives_the_crates_histogram() {
    use hdrhistogram::serialization::{Serializer, V2Serializer};
    let mut ours = Latency::default();
    let mut crates = Histogram::<u64>::new(SIGFIG).unwrap();
    for i in 0..80_000u64 {
        let us = 1 + (i % 40_000) * (i % 40_000) / 7;
        ours.record(SimTime(us * 1_000));
        crates.record(us).unwrap();
    }
    let ours = ours.to_histogram().unwrap();
    assert_eq!(ours.high(), crates.high());
    assert_eq!(ours.len(), crates.len());
    let bytes = |h: &Histogram<u64>| {
        let mut b = Vec::new();
        V2Serializer::new().serialize(h, &mut b).unwrap();
        b
    };
    assert_eq!(bytes(&ours), bytes(&crates));
}
