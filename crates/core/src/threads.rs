//! The thread pool every kernel runs on. Its size comes from [`set_num_threads`], else
//! `FOVEA_NUM_THREADS`, else the number of cores. A private pool (not rayon's global
//! one) so that the count can change at run time.
//!
//! The pool's threads flush subnormal floats to zero (x86's FTZ and DAZ), as
//! TensorFlow's threads do: in training, values below 1.2e-38 appear (vanishing
//! gradients, optimizer moments) and each costs a ~100-cycle microcode assist, which
//! slowed `fovea train lenet`'s epochs by a quarter from the second epoch on, with no
//! effect on its accuracy. `FOVEA_DENORMALS=keep` keeps IEEE subnormals.

use std::sync::{Arc, RwLock};

use rayon::ThreadPool;

use crate::{Error, Result};

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

/// The thread count `FOVEA_NUM_THREADS` asks for, if it is set. A value that is not a
/// positive integer is an error naming it.
pub fn num_threads_from_env() -> Result<Option<usize>> {
    match std::env::var("FOVEA_NUM_THREADS") {
        Err(_) => Ok(None),
        Ok(s) => match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(Error::arg("FOVEA_NUM_THREADS", format!("expected a positive integer, got {s:?}"))),
        },
    }
}

fn default_threads() -> usize {
    // An invalid variable falls back to all cores here; the CLI validates it up front.
    num_threads_from_env()
        .ok()
        .flatten()
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// Whether the pool flushes subnormals, from `FOVEA_DENORMALS` (`flush`, the default, or
/// `keep`); another value is an error naming it.
pub fn flush_denormals_from_env() -> Result<bool> {
    match std::env::var("FOVEA_DENORMALS") {
        Err(_) => Ok(true),
        Ok(s) => match s.trim() {
            "flush" => Ok(true),
            "keep" => Ok(false),
            _ => Err(Error::arg("FOVEA_DENORMALS", format!("expected flush or keep, got {s:?}"))),
        },
    }
}

/// Sets this thread's SSE/AVX control register to flush subnormal results to zero (FTZ)
/// and read subnormal inputs as zero (DAZ).
fn flush_denormals_on_this_thread() {
    #[cfg(target_arch = "x86_64")]
    {
        const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);
        let mut csr: u32 = 0;
        // SAFETY: stmxcsr/ldmxcsr read and write this thread's MXCSR through a valid u32;
        // setting FTZ and DAZ changes only how subnormal floats are treated.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
            csr |= FTZ_DAZ;
            std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly));
        }
    }
}

fn build(n: usize) -> Result<Arc<ThreadPool>> {
    // An invalid variable keeps the default here; the CLI validates it up front.
    let flush = flush_denormals_from_env().unwrap_or(true);
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("fovea-{i}"))
        .start_handler(move |_| {
            if flush {
                flush_denormals_on_this_thread()
            }
        })
        .build()
        .map(Arc::new)
        .map_err(|e| Error::arg("set_num_threads", format!("cannot start {n} threads: {e}")))
}

/// Sets the number of threads kernels use (at least 1).
pub fn set_num_threads(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::arg("set_num_threads", "the thread count must be at least 1"));
    }
    let pool = build(n)?;
    *POOL.write().unwrap_or_else(|e| e.into_inner()) = Some(pool);
    Ok(())
}

/// The number of threads kernels use.
pub fn num_threads() -> usize {
    pool().current_num_threads()
}

fn pool() -> Arc<ThreadPool> {
    if let Some(p) = POOL.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return p.clone();
    }
    let mut slot = POOL.write().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = slot.as_ref() {
        return p.clone();
    }
    // Building a pool only fails when the OS refuses threads; then try one thread.
    let p = match build(default_threads()).or_else(|_| build(1)) {
        Ok(p) => p,
        Err(e) => panic!("fovea: {e}"), // ok: the OS refused even one thread; no kernel can run.
    };
    *slot = Some(p.clone());
    p
}

/// Runs `f` inside fovea's pool, so rayon calls within it (and gemm's) use its threads.
pub(crate) fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    // install runs `f` directly when already on one of the pool's threads.
    pool().install(f)
}

/// Runs `f` on one of fovea's pool threads. Every parallel kernel that `f` calls then
/// forks from inside the pool, which costs a join instead of a round trip through the
/// calling thread: from outside, each kernel's parallel region would wake the pool and
/// put the caller to sleep until it finished. Training loops run each step this way,
/// where a small network's step holds dozens of short parallel regions; models run
/// their layers this way and the autodiff engine its backward.
///
/// `f` sees the caller's graph-recording state ([`crate::no_grad`] carries over), which
/// is otherwise kept per thread.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let grad = crate::autodiff::is_grad_enabled();
    run(move || crate::autodiff::with_grad_enabled(grad, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_threads_flush_subnormals_unless_asked_to_keep_them() {
        let tiny = std::hint::black_box(1e-40f32);
        assert!(tiny > 0.0, "the test thread keeps IEEE subnormals");
        let on_pool_value = on_pool(|| std::hint::black_box(tiny) * std::hint::black_box(1.0f32));
        let expected = if flush_denormals_from_env().unwrap_or(true) { 0.0 } else { tiny };
        assert_eq!(on_pool_value, expected);
    }
}
