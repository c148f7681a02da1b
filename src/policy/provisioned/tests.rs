//! Unit tests of the provisioned-concurrency policies against hand-worked values and the
//! documented rules.

use super::*;

fn secs(s: f64) -> SimTime {
    SimTime::from_secs(s)
}

/// Target tracking as written with only `max`: the defaults of Lambda's target tracking
/// on `ProvisionedConcurrencyUtilization` (docs.aws.amazon.com/lambda/latest/dg/
/// provisioned-concurrency.html: a 0.7 target; the scale-out alarm fires after 3
/// one-minute data points above it, the scale-in alarm after 15 below 90 % of it),
/// and the cool-downs of the spec's documentation (60 s out, 300 s in).
fn defaults() -> TrackingParams {
    let spec: ProvisionedSpec =
        serde_json::from_str(r#"{"policy": "target_tracking", "max": 100}"#).unwrap();
    match spec.validate("p").unwrap() {
        Provisioned::Tracking(t) => t,
        other => panic!("{other:?}"),
    }
}

#[test]
fn target_tracking_defaults_are_the_documented_ones() {
    assert_eq!(
        defaults(),
        TrackingParams {
            target: 0.7,
            min: 1,
            max: 100,
            interval: secs(60.0),
            out_periods: 3,
            in_periods: 15,
            in_ratio: 0.9,
            out_cooldown: secs(60.0),
            in_cooldown: secs(300.0),
            delay: None,
        }
    );
}

/// Scale-in with the defaults: 10 allocated, 6 busy (utilisation 0.6, below 0.9 × 0.7 =
/// 0.63) for 15 one-minute evaluations → ceil(6 / 0.7) = 9 at the 15th, not before.
#[test]
fn scaling_in_needs_fifteen_evaluations_below_ninety_percent_of_the_target() {
    let p = defaults();
    let mut t = Tracker::default();
    for k in 1..15 {
        assert_eq!(
            t.evaluate(&p, secs(60.0 * k as f64), 6.0, 10.0, 10),
            None,
            "{k}"
        );
    }
    assert_eq!(t.evaluate(&p, secs(900.0), 6.0, 10.0, 10), Some(9));
    // 0.64 lies between 0.63 and 0.7: no breach either way, however long it lasts.
    let mut t = Tracker::default();
    for k in 1..40 {
        assert_eq!(t.evaluate(&p, secs(60.0 * k as f64), 6.4, 10.0, 10), None);
    }
    // One evaluation inside the band resets the count of breaches below.
    let mut t = Tracker::default();
    for k in 1..15 {
        t.evaluate(&p, secs(60.0 * k as f64), 6.0, 10.0, 10);
    }
    assert_eq!(t.evaluate(&p, secs(900.0), 6.4, 10.0, 10), None);
    for k in 16..30 {
        assert_eq!(
            t.evaluate(&p, secs(60.0 * k as f64), 6.0, 10.0, 10),
            None,
            "{k}"
        );
    }
    assert_eq!(t.evaluate(&p, secs(1800.0), 6.0, 10.0, 10), Some(9));
}

/// The threshold is strict: with target 0.5 and ratio 0.5 (threshold 0.25, exact in
/// binary), a utilisation of exactly 0.25 is no breach, 0.2 is.
#[test]
fn the_scale_in_threshold_is_strict() {
    let p = TrackingParams {
        target: 0.5,
        in_ratio: 0.5,
        in_periods: 1,
        in_cooldown: SimTime::ZERO,
        ..defaults()
    };
    let mut t = Tracker::default();
    assert_eq!(t.evaluate(&p, secs(60.0), 2.5, 10.0, 10), None);
    // 2 busy of 10: ceil(2 / 0.5) = 4.
    assert_eq!(t.evaluate(&p, secs(120.0), 2.0, 10.0, 10), Some(4));
}

/// Scaling out needs 3 evaluations above the target (strictly: exactly 0.7 is none);
/// the count is ceil(busy / target); no second scale-out within 60 s; no scale-in
/// within 300 s of the last scaling action, scale-outs included.
#[test]
fn scaling_out_and_the_cool_downs() {
    let p = defaults();
    let mut t = Tracker::default();
    // 0.7 exactly (7 of 10) is not above the target.
    for k in 1..10 {
        assert_eq!(t.evaluate(&p, secs(60.0 * k as f64), 7.0, 10.0, 10), None);
    }
    // 9 of 10 busy: 0.9 > 0.7 three times → ceil(9 / 0.7) = 13 at the third.
    let mut t = Tracker::default();
    assert_eq!(t.evaluate(&p, secs(60.0), 9.0, 10.0, 10), None);
    assert_eq!(t.evaluate(&p, secs(120.0), 9.0, 10.0, 10), None);
    assert_eq!(t.evaluate(&p, secs(180.0), 9.0, 10.0, 10), Some(13));
    // Interval of 20 s: three more breaches by 240 s, but 240 < 180 + 60.
    let p20 = TrackingParams {
        interval: secs(20.0),
        ..p.clone()
    };
    let mut t2 = t.clone();
    for at in [200.0, 220.0] {
        assert_eq!(t2.evaluate(&p20, secs(at), 12.0, 13.0, 13), None);
    }
    assert_eq!(t2.evaluate(&p20, secs(239.0), 12.0, 13.0, 13), None);
    // At 240 s the cool-down is over (and the breaches went on): ceil(12 / 0.7) = 18.
    assert_eq!(t2.evaluate(&p20, secs(240.0), 12.0, 13.0, 13), Some(18));
    // Below the scale-in threshold from 240 s on, one period needed: no scale-in before
    // 180 + 300 = 480 s, the scale-out at 180 s being the last action.
    let quick_in = TrackingParams {
        in_periods: 1,
        ..p.clone()
    };
    for at in [240.0, 300.0, 420.0, 479.0] {
        assert_eq!(t.evaluate(&quick_in, secs(at), 1.0, 13.0, 13), None, "{at}");
    }
    assert_eq!(t.evaluate(&quick_in, secs(480.0), 1.0, 13.0, 13), Some(2));
}

/// A utilisation exactly at the target is no breach and ends a run of breaches: two
/// evaluations at 0.7 then one at 0.9 do not scale out, nor do two at 0.9, one at 0.7
/// and two more at 0.9; the third in a row does.
#[test]
fn a_utilisation_at_the_target_is_no_breach_and_resets_the_count() {
    let p = defaults();
    let mut t = Tracker::default();
    assert_eq!(t.evaluate(&p, secs(60.0), 7.0, 10.0, 10), None);
    assert_eq!(t.evaluate(&p, secs(120.0), 7.0, 10.0, 10), None);
    assert_eq!(t.evaluate(&p, secs(180.0), 9.0, 10.0, 10), None);
    let mut t = Tracker::default();
    let utils = [9.0, 9.0, 7.0, 9.0, 9.0];
    for (k, busy) in utils.into_iter().enumerate() {
        let at = secs(60.0 * (k + 1) as f64);
        assert_eq!(t.evaluate(&p, at, busy, 10.0, 10), None, "{k}");
    }
    assert_eq!(t.evaluate(&p, secs(360.0), 9.0, 10.0, 10), Some(13));
}

/// At `min`, a utilisation far below the threshold changes nothing: ceil(1 / 0.7) = 2
/// is clamped back to min 3, the count it already has — no scaling action. Likewise at
/// `max`, a utilisation above the target: ceil(4.5 / 0.7) = 7 is clamped to max 5.
#[test]
fn at_its_bounds_a_breach_changes_nothing() {
    let p = TrackingParams {
        min: 3,
        max: 5,
        out_periods: 1,
        in_periods: 1,
        out_cooldown: SimTime::ZERO,
        in_cooldown: SimTime::ZERO,
        ..defaults()
    };
    let mut t = Tracker::default();
    for k in 1..5 {
        assert_eq!(
            t.evaluate(&p, secs(60.0 * k as f64), 1.0, 3.0, 3),
            None,
            "{k}"
        );
    }
    let mut t = Tracker::default();
    for k in 1..5 {
        assert_eq!(
            t.evaluate(&p, secs(60.0 * k as f64), 4.5, 5.0, 5),
            None,
            "{k}"
        );
    }
}

/// No ready provisioned instance (all initialising) counts as fully used: two such
/// evaluations and one at 0.9 make the three breaches of a scale-out.
#[test]
fn no_ready_instance_counts_as_full_utilisation() {
    let p = defaults();
    let mut t = Tracker::default();
    assert_eq!(t.evaluate(&p, secs(60.0), 0.0, 0.0, 2), None);
    assert_eq!(t.evaluate(&p, secs(120.0), 0.0, 0.0, 2), None);
    // 1.8 of 2 busy: ceil(1.8 / 0.7) = 3.
    assert_eq!(t.evaluate(&p, secs(180.0), 1.8, 2.0, 2), Some(3));
}

/// A count outside [min, max] moves inside at the next evaluation, breach or not.
#[test]
fn a_count_outside_the_bounds_moves_inside_at_once() {
    let p = TrackingParams {
        min: 3,
        max: 5,
        ..defaults()
    };
    let mut t = Tracker::default();
    assert_eq!(t.evaluate(&p, secs(60.0), 1.3, 2.0, 2), Some(3));
    assert_eq!(t.evaluate(&p, secs(120.0), 4.5, 7.0, 7), Some(5));
    assert_eq!(t.evaluate(&p, secs(180.0), 3.3, 5.0, 5), None);
}

/// The state turns the gauges' areas since the start into averages over the last
/// interval: 60 s interval, areas (instance-ns) 540 s busy and 600 s ready after the
/// first minute (9 of 10), then 1,080 and 1,200 (9 of 10 again), then 1,140 and 1,800
/// (1 of 10): 0.9, 0.9 and 0.1 — the last is no third breach above the target.
#[test]
fn evaluations_see_the_last_interval_only() {
    let mut state = Provisioned::Tracking(defaults()).start();
    assert_eq!(state.interval(), Some(secs(60.0)));
    let ns = |s: f64| u128::from(secs(s).0);
    assert_eq!(state.evaluate(secs(60.0), ns(540.0), ns(600.0), 10), None);
    assert_eq!(
        state.evaluate(secs(120.0), ns(1080.0), ns(1200.0), 10),
        None
    );
    assert_eq!(
        state.evaluate(secs(180.0), ns(1140.0), ns(1800.0), 10),
        None
    );
    // Three more minutes at 9 of 10: a scale-out to ceil(9 / 0.7) = 13 at the third.
    assert_eq!(
        state.evaluate(secs(240.0), ns(1680.0), ns(2400.0), 10),
        None
    );
    assert_eq!(
        state.evaluate(secs(300.0), ns(2220.0), ns(3000.0), 10),
        None
    );
    assert_eq!(
        state.evaluate(secs(360.0), ns(2760.0), ns(3600.0), 10),
        Some(Change {
            count: 13,
            delay: None
        })
    );
}

/// A daily-like schedule repeating every 1,000 s: steps at 0 (in place at the start)
/// and 600 s, then 1,000, 1,600, 2,000 s, ...
#[test]
fn a_repeating_schedule_wakes_at_each_step_of_each_period() {
    let state = Provisioned::Scheduled {
        steps: vec![(SimTime::ZERO, 2), (secs(600.0), 5)],
        repeat: Some(secs(1000.0)),
        delay: Some(secs(30.0)),
    }
    .start();
    assert_eq!(state.first_step(), Some((secs(600.0), 1, 0)));
    assert_eq!(state.next_step(2, 0), Some((secs(1000.0), 0, 1)));
    assert_eq!(state.next_step(1, 1), Some((secs(1600.0), 1, 1)));
    assert_eq!(state.next_step(2, 1), Some((secs(2000.0), 0, 2)));
    assert_eq!(
        state.step_change(1),
        Some(Change {
            count: 5,
            delay: Some(secs(30.0))
        })
    );
    assert_eq!(state.interval(), None);
    // Without repeat_s the schedule ends after its last step; a first step after 0 is
    // the first wake-up.
    let once = Provisioned::Scheduled {
        steps: vec![(secs(100.0), 2)],
        repeat: None,
        delay: None,
    };
    assert_eq!(once.initial(), 0);
    let once = once.start();
    assert_eq!(once.first_step(), Some((secs(100.0), 0, 0)));
    assert_eq!(once.next_step(1, 0), None);
}

/// Validates a spec written in JSON; an error as `(field, message)`.
fn validated(json: &str) -> Result<Provisioned, (String, String)> {
    let spec: ProvisionedSpec = serde_json::from_str(json).unwrap();
    spec.validate("p").map_err(|e| (e.field, e.message))
}

fn refused_at(json: &str) -> String {
    match validated(json) {
        Err((field, _)) => field,
        Ok(p) => panic!("{json} accepted as {p:?}"),
    }
}

/// The documented rules of a schedule: at least one step, offsets strictly
/// increasing, every step before `repeat_s`.
#[test]
fn a_schedule_needs_strictly_increasing_steps_before_its_period() {
    let sched = |steps: &str, repeat: &str| {
        format!(r#"{{"policy": "scheduled", "steps": [{steps}]{repeat}}}"#)
    };
    let step = |at: f64, count: u32| format!(r#"{{"at_s": {at}, "count": {count}}}"#);
    assert_eq!(refused_at(&sched("", "")), "p.steps");
    // Equal offsets are not increasing.
    let twice = format!("{}, {}", step(10.0, 1), step(10.0, 2));
    assert_eq!(refused_at(&sched(&twice, "")), "p.steps[1].at_s");
    let down = format!("{}, {}", step(10.0, 1), step(5.0, 2));
    assert_eq!(refused_at(&sched(&down, "")), "p.steps[1].at_s");
    let up = format!("{}, {}", step(0.0, 1), step(600.0, 2));
    assert_eq!(
        validated(&sched(&up, r#", "repeat_s": 601, "allocation_delay_s": 2"#)).unwrap(),
        Provisioned::Scheduled {
            steps: vec![(SimTime::ZERO, 1), (secs(600.0), 2)],
            repeat: Some(secs(601.0)),
            delay: Some(secs(2.0)),
        }
    );
    // A step at the period itself would be the next period's first.
    assert_eq!(
        refused_at(&sched(&up, r#", "repeat_s": 600"#)),
        "p.repeat_s"
    );
}

/// Target tracking: max >= min and max >= 1; an interval that rounds to 0 ns is
/// refused; zero periods mean one.
#[test]
fn target_tracking_bounds_and_interval_are_checked() {
    let tt = |extra: &str| format!(r#"{{"policy": "target_tracking"{extra}}}"#);
    assert_eq!(refused_at(&tt(r#", "min": 5, "max": 4"#)), "p.max");
    assert_eq!(refused_at(&tt(r#", "min": 0, "max": 0"#)), "p.max");
    let Provisioned::Tracking(t) = validated(&tt(r#", "min": 4, "max": 4"#)).unwrap() else {
        panic!("not target tracking")
    };
    assert_eq!((t.min, t.max), (4, 4));
    assert_eq!(refused_at(&tt(r#", "max": 4, "target": 0"#)), "p.target");
    assert_eq!(
        refused_at(&tt(r#", "max": 4, "scale_in_ratio": 1.5"#)),
        "p.scale_in_ratio"
    );
    let (field, message) = validated(&tt(r#", "max": 4, "interval_s": 1e-10"#)).unwrap_err();
    assert_eq!(
        (field.as_str(), message.as_str()),
        (
            "p.interval_s",
            "expected a number of seconds > 0, got 0.0000000001"
        )
    );
    let Provisioned::Tracking(t) = validated(&tt(
        r#", "max": 4, "interval_s": 1e-9, "scale_out_periods": 0, "scale_in_periods": 0"#,
    ))
    .unwrap() else {
        panic!("not target tracking")
    };
    assert_eq!(
        (t.interval, t.out_periods, t.in_periods),
        (SimTime(1), 1, 1)
    );
}

/// The largest count each policy can ask for (the fixed count, the largest step, the
/// tracking maximum) and its name in results (the `policy` tag of its spec).
#[test]
fn each_policy_has_its_ceiling_and_its_name() {
    let sched = Provisioned::Scheduled {
        steps: vec![(SimTime::ZERO, 2), (secs(60.0), 7), (secs(120.0), 3)],
        repeat: None,
        delay: None,
    };
    let tracking = Provisioned::Tracking(defaults());
    assert_eq!(Provisioned::Fixed(4).max_count(), 4);
    assert_eq!(sched.max_count(), 7);
    assert_eq!(tracking.max_count(), 100);
    assert_eq!(
        [Provisioned::Fixed(4).name(), sched.name(), tracking.name()],
        ["fixed", "scheduled", "target_tracking"]
    );
}

/// Two policies are equal when they are the same kind with the same settings (a
/// custom policy: the same object).
#[test]
fn policies_compare_by_kind_and_settings() {
    let sched = |repeat: Option<f64>, delay: Option<f64>| Provisioned::Scheduled {
        steps: vec![(SimTime::ZERO, 2), (secs(600.0), 5)],
        repeat: repeat.map(secs),
        delay: delay.map(secs),
    };
    assert_eq!(Provisioned::Fixed(2), Provisioned::Fixed(2));
    assert_ne!(Provisioned::Fixed(2), Provisioned::Fixed(3));
    assert_eq!(sched(Some(86400.0), None), sched(Some(86400.0), None));
    assert_ne!(sched(Some(86400.0), None), sched(None, None));
    assert_ne!(sched(None, Some(30.0)), sched(None, None));
    let other_steps = Provisioned::Scheduled {
        steps: vec![(SimTime::ZERO, 2)],
        repeat: None,
        delay: None,
    };
    assert_ne!(sched(None, None), other_steps);
    let t = Provisioned::Tracking(defaults());
    assert_eq!(t, Provisioned::Tracking(defaults()));
    let lower = TrackingParams {
        target: 0.5,
        ..defaults()
    };
    assert_ne!(t, Provisioned::Tracking(lower));
    assert_ne!(Provisioned::Fixed(1), sched(None, None));
    assert_ne!(t, Provisioned::Fixed(1));
    // A custom policy equals itself (the same object), not another with the same code.
    #[derive(Debug)]
    struct Two;
    impl ProvisionedPolicy for Two {
        fn name(&self) -> &'static str {
            "two"
        }
        fn initial(&self) -> u32 {
            2
        }
        fn interval(&self) -> SimTime {
            secs(60.0)
        }
        fn start(&self) -> Box<dyn ProvisionedRun> {
            unreachable!("not run")
        }
    }
    let shared: Arc<dyn ProvisionedPolicy> = Arc::new(Two);
    let a = Provisioned::Custom(Arc::clone(&shared));
    assert_eq!(a, Provisioned::Custom(shared));
    assert_ne!(a, Provisioned::Custom(Arc::new(Two)));
    assert_ne!(a, Provisioned::Fixed(2));
}
