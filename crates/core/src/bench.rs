//! The machine's measured fp32 peak: the yardstick behind "% of peak" in
//! `fovea bench conv` and in the criterion benches.
//!
//! It lives in fovea-core rather than in the CLI for two reasons: "all threads" must
//! mean exactly the threads a kernel gets, and fovea's pool is private to this crate
//! (the probe runs on it through `threads::run`, as kernels do); and core's own
//! criterion benches need the same number.
//!
//! The probe runs chains of fused multiply-adds, `acc = acc * a + b`, on enough
//! independent accumulators to keep every FMA port busy: an FMA has 4 cycles of latency
//! on current Intel and AMD cores with two ports, so at least 8 chains must be in
//! flight; the AVX-512 probe keeps 16 in zmm registers, the AVX2 probe 12 in ymm (of
//! 16 registers, leaving room for `a` and `b`). The instruction set is chosen at run
//! time, and a portable probe (plain multiply and add, vectorised by the compiler)
//! covers everything else. Flops are counted as 2 per multiply-add lane.
//!
//! ```
//! let peak = fovea_core::bench::measure_peak(std::time::Duration::from_millis(5));
//! assert!(peak.gflops > 0.0 && peak.gflops_per_core > 0.0);
//! assert_eq!(peak.threads, fovea_core::num_threads());
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

/// The vector instruction set the probe used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// 512-bit FMA (`avx512f`).
    Avx512,
    /// 256-bit FMA (`avx2` and `fma`).
    Avx2Fma,
    /// No FMA detected: separate multiply and add, as the compiler vectorises them.
    Portable,
}

impl Isa {
    /// A short lowercase name: `avx512`, `avx2+fma` or `portable`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2Fma => "avx2+fma",
            Isa::Portable => "portable",
        }
    }

    /// The best instruction set this CPU has, detected at run time.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                return Isa::Avx2Fma;
            }
        }
        Isa::Portable
    }

    /// Flops in one round of the probe: chains x lanes x 2.
    fn flops_per_round(self) -> f64 {
        match self {
            Isa::Avx512 => (x86_chains::AVX512 * 16 * 2) as f64,
            Isa::Avx2Fma => (x86_chains::AVX2 * 8 * 2) as f64,
            Isa::Portable => (PORTABLE_CHAINS * PORTABLE_LANES * 2) as f64,
        }
    }
}

/// The measured fp32 peak.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Peak {
    /// The instruction set measured.
    pub isa: Isa,
    /// Threads in fovea's pool during the all-threads measurement.
    pub threads: usize,
    /// GFLOP/s of all `threads` running the probe at once.
    pub gflops: f64,
    /// GFLOP/s of one thread running alone.
    pub gflops_per_core: f64,
}

/// [`measure_peak`] with trials of 100 ms (about a second in all).
pub fn peak_gflops() -> Peak {
    measure_peak(Duration::from_millis(100))
}

/// Measures the fp32 FMA peak with trials of about `trial` each: the best of three on
/// one thread, then the best of three on all threads of fovea's pool at once. The best,
/// not the median, because a peak is what the hardware can do, and a busy host only
/// ever makes it look slower.
pub fn measure_peak(trial: Duration) -> Peak {
    let isa = Isa::detect();
    let rounds = calibrate(isa, trial);
    let flops = isa.flops_per_round() * rounds as f64;
    let one = best_of_3(|| {
        let start = Instant::now();
        black_box(run_chains(isa, rounds));
        start.elapsed()
    });
    let (threads, all) = crate::threads::run(|| {
        let threads = rayon::current_num_threads();
        let t = best_of_3(|| {
            let start = Instant::now();
            black_box(rayon::broadcast(|_| run_chains(isa, rounds)));
            start.elapsed()
        });
        (threads, t)
    });
    Peak {
        isa,
        threads,
        gflops: threads as f64 * flops / all.as_secs_f64() / 1e9,
        gflops_per_core: flops / one.as_secs_f64() / 1e9,
    }
}

fn best_of_3(mut f: impl FnMut() -> Duration) -> Duration {
    (0..3).map(|_| f()).min().unwrap_or(Duration::MAX).max(Duration::from_nanos(1))
}

/// Rounds of the probe that take about `trial` on one thread.
fn calibrate(isa: Isa, trial: Duration) -> u64 {
    let mut rounds = 1u64 << 10;
    loop {
        let start = Instant::now();
        black_box(run_chains(isa, rounds));
        let took = start.elapsed();
        if took >= trial / 8 || rounds >= 1 << 40 {
            let scale = trial.as_secs_f64() / took.as_secs_f64().max(1e-9);
            return ((rounds as f64 * scale) as u64).max(1);
        }
        rounds *= 4;
    }
}

/// `rounds` rounds of the probe for `isa`; returns a value that depends on every chain,
/// so the compiler cannot drop any of them.
fn run_chains(isa: Isa, rounds: u64) -> f32 {
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY: `Isa::detect` (the only source of `isa` here) returns `Avx512` only
        // after the CPU reported avx512f, and `Avx2Fma` only after avx2 and fma, the
        // features these functions are compiled for.
        Isa::Avx512 => return unsafe { x86_chains::avx512(rounds) },
        // SAFETY: as above.
        Isa::Avx2Fma => return unsafe { x86_chains::avx2(rounds) },
        Isa::Portable => {}
    }
    let _ = isa;
    portable_chains(rounds)
}

const PORTABLE_CHAINS: usize = 8;
const PORTABLE_LANES: usize = 8;

fn portable_chains(rounds: u64) -> f32 {
    let (a, b) = (black_box(0.999_99f32), black_box(1e-6f32));
    let mut acc = [[1.0f32; PORTABLE_LANES]; PORTABLE_CHAINS];
    for _ in 0..rounds {
        for chain in &mut acc {
            for v in chain.iter_mut() {
                *v = *v * a + b;
            }
        }
    }
    acc.iter().flatten().sum()
}

/// The FMA chains. `a` and `b` keep every accumulator near `b / (1 - a) = 0.1`, far
/// from overflow and denormals, whose slow paths would understate the peak.
#[cfg(target_arch = "x86_64")]
mod x86_chains {
    use std::arch::x86_64::*;
    use std::hint::black_box;

    /// zmm accumulators (of 32 registers).
    pub(super) const AVX512: usize = 16;
    /// ymm accumulators (of 16 registers; two more hold `a` and `b`).
    pub(super) const AVX2: usize = 12;

    #[target_feature(enable = "avx512f")]
    pub(super) fn avx512(rounds: u64) -> f32 {
        let a = _mm512_set1_ps(black_box(0.999_99));
        let b = _mm512_set1_ps(black_box(1e-6));
        let mut acc = [_mm512_set1_ps(1.0); AVX512];
        for _ in 0..rounds {
            for r in &mut acc {
                *r = _mm512_fmadd_ps(*r, a, b);
            }
        }
        let sum = acc.iter().fold(_mm512_setzero_ps(), |s, r| _mm512_add_ps(s, *r));
        _mm512_reduce_add_ps(sum)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn avx2(rounds: u64) -> f32 {
        let a = _mm256_set1_ps(black_box(0.999_99));
        let b = _mm256_set1_ps(black_box(1e-6));
        let mut acc = [_mm256_set1_ps(1.0); AVX2];
        for _ in 0..rounds {
            for r in &mut acc {
                *r = _mm256_fmadd_ps(*r, a, b);
            }
        }
        let sum = acc.iter().fold(_mm256_setzero_ps(), |s, r| _mm256_add_ps(s, *r));
        let mut lanes = [0f32; 8];
        // SAFETY: `lanes` is 8 f32s, exactly one unaligned 256-bit store.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
        lanes.iter().sum()
    }
}

/// Lets `Isa::flops_per_round` name the x86 chain counts on every target.
#[cfg(not(target_arch = "x86_64"))]
mod x86_chains {
    pub(super) const AVX512: usize = 16;
    pub(super) const AVX2: usize = 12;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_counts_its_own_work_and_converges_to_the_fixed_point() {
        // After many rounds each lane sits at b / (1 - a) = 0.1; the sum over lanes
        // tells that every chain ran.
        let isa = Isa::detect();
        let lanes = isa.flops_per_round() / 2.0;
        let sum = run_chains(isa, 2_000_000);
        assert!((sum as f64 - 0.1 * lanes).abs() < 1e-3 * lanes, "{isa:?}: {sum} over {lanes} lanes");
        let sum = portable_chains(2_000_000);
        let lanes = (PORTABLE_CHAINS * PORTABLE_LANES) as f64;
        assert!((sum as f64 - 0.1 * lanes).abs() < 1e-3 * lanes, "portable: {sum}");
        assert_eq!(run_chains(isa, 0), lanes_of(isa) as f32);
    }

    fn lanes_of(isa: Isa) -> usize {
        (isa.flops_per_round() / 2.0) as usize
    }

    #[test]
    fn peak_reports_the_pool_and_positive_rates() {
        let peak = measure_peak(Duration::from_millis(2));
        assert_eq!(peak.isa, Isa::detect());
        assert_eq!(peak.threads, crate::num_threads());
        assert!(peak.gflops.is_finite() && peak.gflops > 0.0, "{peak:?}");
        assert!(peak.gflops_per_core.is_finite() && peak.gflops_per_core > 0.0, "{peak:?}");
    }
}
