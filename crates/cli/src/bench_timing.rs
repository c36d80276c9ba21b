//! Timing shared by `fovea bench conv` and `fovea bench model`: untimed warm-up, then
//! repeated runs of which the median counts (a busy host slows single runs; the median
//! is what the comparison script compares).

use std::time::Instant;

/// What one benchmark's repetitions took, in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub median_ms: f64,
    pub min_ms: f64,
    pub reps: usize,
}

impl Timing {
    /// Summary of `samples_ms` (at least one).
    pub fn from_samples(mut samples_ms: Vec<f64>) -> Timing {
        samples_ms.sort_by(f64::total_cmp);
        let reps = samples_ms.len();
        let median_ms = match reps {
            0 => f64::NAN,
            n if n % 2 == 1 => samples_ms[n / 2],
            n => 0.5 * (samples_ms[n / 2 - 1] + samples_ms[n / 2]),
        };
        Timing { median_ms, min_ms: samples_ms.first().copied().unwrap_or(f64::NAN), reps }
    }
}

/// Runs `setup` then `run` `warmup + reps` times, timing only `run`; the first `warmup`
/// runs are dropped (first-touch page faults, pool start-up, allocator growth). What
/// `run` returns is dropped after the clock stops, so freeing outputs is not timed.
pub fn time_reps<S, R>(
    warmup: usize,
    reps: usize,
    mut setup: impl FnMut() -> fovea_core::Result<S>,
    mut run: impl FnMut(S) -> fovea_core::Result<R>,
) -> fovea_core::Result<Timing> {
    let mut samples = Vec::with_capacity(reps);
    for i in 0..warmup + reps {
        let state = setup()?;
        let start = Instant::now();
        let out = run(state)?;
        let ms = start.elapsed().as_secs_f64() * 1e3;
        drop(out);
        if i >= warmup {
            samples.push(ms);
        }
    }
    Ok(Timing::from_samples(samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let t = Timing::from_samples(vec![3.0, 1.0, 2.0]);
        assert_eq!((t.median_ms, t.min_ms, t.reps), (2.0, 1.0, 3));
        let t = Timing::from_samples(vec![4.0, 1.0, 2.0, 3.0]);
        assert_eq!((t.median_ms, t.min_ms, t.reps), (2.5, 1.0, 4));
    }

    #[test]
    fn warmup_runs_are_not_counted() {
        let mut calls = 0;
        let t = time_reps(
            2,
            3,
            || Ok(()),
            |()| {
                calls += 1;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!((calls, t.reps), (5, 3));
    }
}
