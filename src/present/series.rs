//! The numbers behind the pictures, taken from saved results: a latency histogram as a CDF
//! and as log-spaced bins, a run's windows summed over its functions, and a sweep's
//! per-point means with their confidence intervals.

use hdrhistogram::Histogram;

use std::path::Path;

use super::table::Table;
use crate::error::Result;
use crate::trace::csv::CsvReader;

/// Quantiles at which a CDF is drawn: every half per cent, then the tail (so p99.99 shows
/// on a plot of a million requests). Bounded whatever the number of samples.
fn cdf_quantiles() -> Vec<f64> {
    let mut q: Vec<f64> = (0..=199).map(|i| f64::from(i) / 200.0).collect();
    q.extend([0.995, 0.999, 0.9995, 0.9999, 0.99999, 1.0]);
    q
}

/// A latency histogram (µs) as CDF points `(ms, fraction of requests at or below)`.
///
/// Points are the histogram's value at every half per cent and in the tail; equal values are merged,
/// keeping the largest fraction, so the curve is a step through the true distribution at
/// HDR precision (3 significant digits). Empty histogram: no point.
pub fn cdf(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let mut points: Vec<(f64, f64)> = Vec::new();
    for q in cdf_quantiles() {
        let v = h.value_at_quantile(q) as f64 / 1000.0;
        // The fraction of samples at or below v, read back from the histogram (a quantile
        // grid point can fall inside a run of equal values).
        let frac = h.count_between(0, h.highest_equivalent(h.value_at_quantile(q))) as f64
            / h.len() as f64;
        match points.last_mut() {
            Some(last) if last.0 == v => last.1 = last.1.max(frac),
            _ => points.push((v, frac)),
        }
    }
    points
}

/// A latency histogram (µs) as bins `(low ms, high ms, count)` of equal width on a log
/// axis, `per_decade` bins per factor of ten, from the decade holding the minimum to the
/// one holding the maximum. Every sample falls in exactly one bin (counts add up to the
/// histogram's). Empty histogram: no bin.
pub fn log_bins(h: &Histogram<u64>, per_decade: u32) -> Vec<(f64, f64, u64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let (lo, hi) = (h.min().max(1) as f64, h.max().max(1) as f64);
    let first = lo.log10().floor();
    let step = 1.0 / f64::from(per_decade);
    let mut bins = Vec::new();
    let mut k = 0u32;
    loop {
        let a = 10f64.powf(first + f64::from(k) * step);
        let b = 10f64.powf(first + f64::from(k + 1) * step);
        // Samples in [a, b) µs, by HDR-equivalent ranges (a value belongs to the bin holding
        // its bucket's lowest equivalent value).
        let count = count_in(h, a, b);
        bins.push((a / 1000.0, b / 1000.0, count));
        if b > hi {
            break;
        }
        k += 1;
    }
    bins
}

/// Samples of `h` whose value is in `[a, b)`.
fn count_in(h: &Histogram<u64>, a: f64, b: f64) -> u64 {
    h.iter_recorded()
        .filter(|v| {
            // `value_iterated_to` is the bucket's highest equivalent value; its lowest is
            // what the sample was rounded down to.
            let low = h.lowest_equivalent(v.value_iterated_to()) as f64;
            low >= a && low < b
        })
        .map(|v| v.count_at_value())
        .sum()
}

/// A run's `--windows` file summed over its functions: per window, the total of every
/// numeric column. Read line by line and summed as it goes, so a trace replay's file of a
/// million rows takes a few kilobytes, not the gigabyte its cells would.
pub struct Windows {
    /// The file's columns.
    header: Vec<String>,
    /// Per window, in file order: its start (s) and each column's sum over the functions.
    totals: Vec<(f64, Vec<f64>)>,
}

impl Windows {
    /// Reads a `--windows` file; `None` when it has no `window_start_s` column. Empty
    /// cells add nothing; a cell that is not a number, in a column summed, is an error
    /// naming the file, line and column.
    pub fn load(path: &Path) -> Result<Option<Windows>> {
        let mut csv = CsvReader::open(path)?;
        if !csv.next_line()? {
            return Ok(None);
        }
        let header: Vec<String> = csv.fields().map(str::to_owned).collect();
        let Some(start) = header.iter().position(|h| h == "window_start_s") else {
            return Ok(None);
        };
        // Text columns (the function's name) are not summed.
        let summed: Vec<bool> = header.iter().map(|h| h != "function").collect();
        let mut totals: Vec<(f64, Vec<f64>)> = Vec::new();
        while csv.next_line()? {
            csv.check_quotes(&header)?;
            let mut row = vec![0.0; header.len()];
            let mut fields = 0;
            for (i, field) in csv.fields().enumerate() {
                fields += 1;
                if i >= header.len() || !summed[i] || field.is_empty() {
                    continue;
                }
                row[i] = field.parse().map_err(|_| {
                    csv.error(
                        i + 1,
                        &header[i],
                        format!("expected a number or an empty cell, found `{field}`"),
                    )
                })?;
            }
            if fields != header.len() {
                return Err(csv.line_error(format!(
                    "expected {} fields as in the header, found {fields}",
                    header.len()
                )));
            }
            let t = row[start];
            match totals.last_mut() {
                Some((last, sums)) if *last == t => {
                    for (s, v) in sums.iter_mut().zip(&row) {
                        *s += v;
                    }
                }
                _ => totals.push((t, row)),
            }
        }
        Ok(Some(Windows { header, totals }))
    }

    /// Column `name` summed over the functions of each window, as `(window start s,
    /// sum)` in time order; `None` when the file has no such column.
    pub fn total(&self, name: &str) -> Option<Vec<(f64, f64)>> {
        let col = self.header.iter().position(|h| h == name)?;
        Some(
            self.totals
                .iter()
                .map(|(t, sums)| (*t, sums[col]))
                .collect(),
        )
    }
}

/// A sweep's `summary.csv`: per point, the parameters and each metric's mean and 95 %
/// confidence half-width.
pub struct SweepSummary {
    table: Table,
    /// Parameter columns (paths), in column order.
    pub params: Vec<String>,
}

impl SweepSummary {
    /// Wraps a `summary.csv` table (parameters are the columns between `point` and
    /// `replications`); `None` when it does not look like one.
    pub fn new(table: Table) -> Option<SweepSummary> {
        let first = table.column("point")?;
        let last = table.column("replications")?;
        let params = table.header.get(first + 1..last)?.to_vec();
        Some(SweepSummary { table, params })
    }

    /// Points in the sweep.
    pub fn len(&self) -> usize {
        self.table.rows.len()
    }

    /// Whether the sweep has no point.
    pub fn is_empty(&self) -> bool {
        self.table.rows.is_empty()
    }

    /// Point `i`'s value of parameter `p`, as written.
    pub fn param(&self, i: usize, p: &str) -> &str {
        let col = self.table.column(p).expect("a parameter column");
        &self.table.rows[i][col]
    }

    /// Whether the file has `<metric>_mean`.
    pub fn has_metric(&self, metric: &str) -> bool {
        self.table.column(&format!("{metric}_mean")).is_some()
    }

    /// Point `i`'s mean of `metric` and its 95 % half-width (zero when the sweep has one
    /// replication, whose half-width is empty); `None` when the mean is empty.
    pub fn metric(&self, i: usize, metric: &str) -> Result<Option<(f64, f64)>> {
        let (Some(m), Some(c)) = (
            self.table.column(&format!("{metric}_mean")),
            self.table.column(&format!("{metric}_ci95")),
        ) else {
            return Ok(None);
        };
        let Some(mean) = self.table.number(i, m)? else {
            return Ok(None);
        };
        Ok(Some((mean, self.table.number(i, c)?.unwrap_or(0.0))))
    }

    /// Point `i`'s value of column `name` (not a mean/ci pair: `merged_latency_p99_ms`,
    /// say).
    pub fn value(&self, i: usize, name: &str) -> Result<Option<f64>> {
        match self.table.column(name) {
            Some(c) => self.table.number(i, c),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,000 samples of 1..=1000 ms: the CDF passes through (500 ms, 0.5) and ends at
    /// (1000 ms, 1) within HDR precision (3 significant digits: 0.1 %).
    #[test]
    fn cdf_of_a_uniform_sample() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for ms in 1..=1000u64 {
            h.record(ms * 1000).unwrap();
        }
        let c = cdf(&h);
        let at = |x: f64| c.iter().rev().find(|p| p.0 <= x).unwrap().1;
        assert!((at(500.5) - 0.5).abs() < 0.002, "{}", at(500.5));
        assert!((at(100.2) - 0.1).abs() < 0.002, "{}", at(100.2));
        let last = c.last().unwrap();
        assert!((last.0 - 1000.0).abs() <= 1.0 && last.1 == 1.0, "{last:?}");
        assert!(c.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
    }

    /// Samples at 2, 20 and 200 ms with two bins per decade: each lands in the bin whose
    /// range holds it, and the counts add up.
    /// Two functions over two windows: each column summed per window, empty cells as 0,
    /// the function names skipped; a bad number names its line and column.
    #[test]
    fn windows_are_summed_over_functions() {
        let dir = std::env::temp_dir().join(format!("faassim-windows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.csv");
        std::fs::write(
            &path,
            "window_start_s,function,cold,p50_ms\n0,a,1,2.5\n0,\"b,c\",2,\n10,a,0,\n10,\"b,c\",4,1\n",
        )
        .unwrap();
        let w = Windows::load(&path).unwrap().unwrap();
        assert_eq!(w.total("cold"), Some(vec![(0.0, 3.0), (10.0, 4.0)]));
        assert_eq!(w.total("p50_ms"), Some(vec![(0.0, 2.5), (10.0, 1.0)]));
        assert_eq!(w.total("busy_mean"), None);
        std::fs::write(&path, "window_start_s,function,cold\n0,a,x\n").unwrap();
        let e = Windows::load(&path).err().unwrap().to_string();
        assert!(e.contains(":2: column 3 (`cold`)"), "{e}");
    }

    #[test]
    fn log_bins_hold_every_sample_once() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        h.record_n(2_000, 3).unwrap();
        h.record_n(20_000, 5).unwrap();
        h.record_n(200_000, 7).unwrap();
        let bins = log_bins(&h, 2);
        assert_eq!(bins.iter().map(|b| b.2).sum::<u64>(), 15);
        let holding = |ms: f64| bins.iter().find(|b| b.0 <= ms && ms < b.1).unwrap().2;
        assert_eq!(holding(2.0), 3);
        assert_eq!(holding(20.0), 5);
        assert_eq!(holding(200.0), 7);
        // From the decade of the minimum (1–10 ms: bins start at 1 ms).
        assert!((bins[0].0 - 1.0).abs() < 1e-12);
    }
}
