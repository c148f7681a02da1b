//! The lists that `faassim profiles` and `faassim platforms` print: the shipped runtime
//! profiles with sampled cold-start percentiles, and the shipped platform profiles with
//! their key rules, in each output [`Format`]. The figures come from
//! [`crate::profile::summarise_runtimes`] and [`crate::profile::summarise_platforms`].

use std::fmt::Write as _;

use super::csv::{self, Column, column};
use super::export::{Format, pretty_json};
use super::layout::TextTable;
use crate::profile::{PlatformSummary, RuntimeSummary};

/// The runtime profiles' list: `rows` sampled `samples` times each on the platform named
/// `platform` (whose sandbox phase the cold-start columns include).
pub fn runtimes(rows: &[RuntimeSummary], platform: &str, samples: usize, format: Format) -> String {
    match format {
        Format::Json => pretty_json(rows),
        Format::Csv => csv::table(&RUNTIME_COLUMNS, rows),
        Format::Table => runtimes_table(rows, platform, samples),
    }
}

/// The runtime CSV's columns.
const RUNTIME_COLUMNS: [Column<RuntimeSummary>; 7] = [
    column!("name", |r: RuntimeSummary| r.name),
    column!("phase", |r: RuntimeSummary| r.phase),
    column!("start_p50_ms", |r: RuntimeSummary| r.start_p50_ms),
    column!("start_p99_ms", |r: RuntimeSummary| r.start_p99_ms),
    column!("cold_start_p50_ms", |r: RuntimeSummary| r.cold_start_p50_ms),
    column!("cold_start_p99_ms", |r: RuntimeSummary| r.cold_start_p99_ms),
    column!("data_as_of", |r: RuntimeSummary| r.data_as_of),
];

fn runtimes_table(rows: &[RuntimeSummary], platform: &str, samples: usize) -> String {
    let table = TextTable::new("")
        .left("runtime", 20)
        .left("start phase", 17)
        .right("phase p50", 10)
        .right("phase p99", 10)
        .right("cold p50", 12)
        .right("cold p99", 12)
        .gap("  ")
        .left("data as of", 0);
    let mut s = String::new();
    table.header(&mut s);
    for r in rows {
        table.row(
            &mut s,
            &[
                r.name.clone(),
                r.phase.to_owned(),
                format!("{:.1}", r.start_p50_ms),
                format!("{:.1}", r.start_p99_ms),
                format!("{:.1}", r.cold_start_p50_ms),
                format!("{:.1}", r.cold_start_p99_ms),
                r.data_as_of.clone().unwrap_or_else(|| "-".to_owned()),
            ],
        );
    }
    let _ = write!(
        s,
        "\nMilliseconds, from {samples} samples each. \"cold\" adds the {platform} sandbox phase (or the\nruntime's own) to the start phase; package code load and the function's init come on top\n(models/README.md). `--format json` adds each profile's description.\n"
    );
    s
}

/// The platform profiles' list.
pub fn platforms(rows: &[PlatformSummary], format: Format) -> String {
    match format {
        Format::Json => pretty_json(rows),
        Format::Csv => csv::table(&PLATFORM_COLUMNS, rows),
        Format::Table => platforms_table(rows),
    }
}

/// The platform CSV's columns (a missing timeout is an empty cell).
const PLATFORM_COLUMNS: [Column<PlatformSummary>; 11] = [
    column!("name", |r: PlatformSummary| r.name),
    column!("account_concurrency", |r: PlatformSummary| r
        .account_concurrency),
    column!("scale_out", |r: PlatformSummary| r.scale_out),
    column!("when_full", |r: PlatformSummary| r.when_full),
    column!("per_instance_concurrency", |r: PlatformSummary| r
        .per_instance_concurrency),
    column!("max_per_instance_concurrency", |r: PlatformSummary| r
        .max_per_instance_concurrency),
    column!("keep_alive", |r: PlatformSummary| r.keep_alive),
    column!("default_timeout_s", |r: PlatformSummary| r
        .default_timeout_s),
    column!("max_timeout_s", |r: PlatformSummary| r.max_timeout_s),
    column!("billing", |r: PlatformSummary| r.billing),
    column!("data_as_of", |r: PlatformSummary| r.data_as_of),
];

/// `default / maximum` timeout in seconds, `-` for a missing one, `none` for neither.
fn timeouts(r: &PlatformSummary) -> String {
    let shown = |t: Option<f64>| t.map_or_else(|| "-".to_owned(), |t| t.to_string());
    match (r.default_timeout_s, r.max_timeout_s) {
        (None, None) => "none".to_owned(),
        (d, m) => format!("{} / {}", shown(d), shown(m)),
    }
}

fn platforms_table(rows: &[PlatformSummary]) -> String {
    let table = TextTable::new("")
        .left("platform", 24)
        .right("account", 8)
        .gap("  ")
        .left("scale-out", 40)
        .left("when every instance is full", 56)
        .right("per inst.", 10)
        .gap("  ")
        .left("keep-alive", 13)
        .left("timeout s", 11)
        .gap("  ")
        .left("billing", 34)
        .left("data as of", 0);
    let mut s = String::new();
    table.header(&mut s);
    for r in rows {
        table.row(
            &mut s,
            &[
                r.name.clone(),
                r.account_concurrency.to_string(),
                r.scale_out.clone(),
                r.when_full.clone(),
                format!(
                    "{}/{}",
                    r.per_instance_concurrency, r.max_per_instance_concurrency
                ),
                r.keep_alive.clone(),
                timeouts(r),
                r.billing.clone(),
                r.data_as_of.clone().unwrap_or_else(|| "-".to_owned()),
            ],
        );
    }
    s.push_str(
        "\n\"account\": concurrent instances starting or executing across the account. \"per inst.\":\ndefault/largest requests per instance. \"timeout s\": default / maximum. Sources, estimates\nand what is modelled: models/README.md and each profile's sources and notes\n(`--format json` adds each profile's description).\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(default_timeout_s: Option<f64>, max_timeout_s: Option<f64>) -> PlatformSummary {
        PlatformSummary {
            name: "p, q".into(),
            account_concurrency: 1000,
            scale_out: "unlimited".into(),
            when_full: "429".into(),
            per_instance_concurrency: 1,
            max_per_instance_concurrency: 10,
            keep_alive: "fixed 360 s".into(),
            default_timeout_s,
            max_timeout_s,
            billing: "per request, GB-s".into(),
            data_as_of: None,
            description: String::new(),
        }
    }

    #[test]
    fn timeouts_show_missing_limits() {
        assert_eq!(timeouts(&platform(None, None)), "none");
        assert_eq!(timeouts(&platform(Some(3.0), Some(900.0))), "3 / 900");
        assert_eq!(timeouts(&platform(None, Some(900.0))), "- / 900");
    }

    #[test]
    fn platform_csv_quotes_words_and_leaves_missing_limits_empty() {
        let text = platforms(&[platform(None, Some(900.5))], Format::Csv);
        let row = text.lines().nth(1).unwrap();
        assert_eq!(
            row,
            "\"p, q\",1000,unlimited,429,1,10,fixed 360 s,,900.5,\"per request, GB-s\","
        );
    }
}
