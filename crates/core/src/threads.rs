//! The thread pool every kernel runs on. Its size comes from [`set_num_threads`], else
//! `FOVEA_NUM_THREADS`, else the number of cores. A private pool (not rayon's global
//! one) so that the count can change at run time.

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

fn build(n: usize) -> Result<Arc<ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("fovea-{i}"))
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
