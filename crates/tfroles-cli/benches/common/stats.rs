//! Median and minimum of timed runs, shared by the benchmarks.

use std::time::Duration;

/// The figures reported for one measurement.
#[derive(Clone)]
pub struct Stats {
    pub runs: usize,
    pub median: Duration,
    pub min: Duration,
}

impl Stats {
    /// Summarises the samples of one measurement.
    pub fn of(mut samples: Vec<Duration>) -> Stats {
        assert!(!samples.is_empty());
        samples.sort();
        let n = samples.len();
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2
        };
        Stats {
            runs: n,
            median,
            min: samples[0],
        }
    }
}
