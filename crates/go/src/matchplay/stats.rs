//! Match statistics: win rate with a Wilson score interval.

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson's score interval for `successes` out of `n` trials at normal quantile `z`:
/// unlike `p ± z·sqrt(p(1-p)/n)` it stays inside [0, 1] and is not empty at 0 or n
/// wins, which matters for the small matches this runs. `(0, 1)` when `n` is 0.
pub fn wilson_interval(successes: f64, n: f64, z: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let p = successes / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_textbook_values() {
        // 8 of 10: (0.4902, 0.9433) (Newcombe 1998's method 3).
        let (lo, hi) = wilson_interval(8.0, 10.0, Z95);
        assert!((lo - 0.4902).abs() < 1e-4 && (hi - 0.9433).abs() < 1e-4, "{lo} {hi}");
        // 0 of 10 still has width: (0, 0.2775).
        let (lo, hi) = wilson_interval(0.0, 10.0, Z95);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 1e-4, "{hi}");
        let (lo, hi) = wilson_interval(10.0, 10.0, Z95);
        assert!((lo - 0.7225).abs() < 1e-4 && (hi - 1.0).abs() < 1e-12, "{lo} {hi}");
        assert_eq!(wilson_interval(0.0, 0.0, Z95), (0.0, 1.0));
    }
}
