//! Per-thread scratch buffers that outlive one kernel call, so hot loops (one padded
//! image per work unit, one transformed tile block per thread) never allocate after the
//! first call of a given size.

use std::cell::RefCell;
use std::thread::LocalKey;

/// A named per-thread buffer. Each purpose has its own slot, so a kernel may hold two
/// at once (say a padded image and a transform block) without the borrows clashing.
pub(crate) type Slot = LocalKey<RefCell<Vec<f32>>>;

thread_local! {
    /// Padded input rows of a direct or Winograd conv.
    pub(crate) static PADDED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// Transformed tiles or gathered rows of a Winograd conv.
    pub(crate) static TILES: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// A third buffer for the Winograd product before its output transform.
    pub(crate) static PRODUCT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// The batched Winograd schedule's transformed input, shared with the pool.
    pub(crate) static BATCH_V: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// The batched Winograd schedule's products, shared with the pool.
    pub(crate) static BATCH_M: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// A space-to-depth conv's input (or its gradient) and kernel, shared with the pool.
    pub(crate) static S2D_INPUT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    pub(crate) static S2D_KERNEL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// The flipped kernel of a grad-input conv, shared with the pool.
    pub(crate) static FLIPPED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// The whole transformed kernel of a Winograd conv, shared with the pool.
    pub(crate) static KERNEL_ALL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// The Winograd kernel gradient's 36 products, and its taps per input channel.
    pub(crate) static BATCH_U: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    pub(crate) static GRAD_TAPS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// A Winograd unit's own slice of the transformed kernel.
    pub(crate) static KERNEL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Buffers larger than this are not kept between calls, so one huge conv does not pin
/// its scratch on every pool thread for the life of the process.
const KEEP_FLOATS: usize = 16 << 20;

/// Floats of slack so that a buffer can start on a cache line.
const ALIGN_FLOATS: usize = 16;

/// `buf[start..start + len]` with `start` chosen so the slice begins on a 64-byte line:
/// a 16-float vector stored at a multiple of 16 floats from it then fills exactly one
/// cache line instead of straddling two.
fn aligned(buf: &mut [f32], len: usize) -> &mut [f32] {
    let start = buf.as_ptr().align_offset(64).min(ALIGN_FLOATS);
    &mut buf[start..start + len]
}

/// Calls `f` with `len` floats of this thread's `slot`, starting on a cache line
/// (contents unspecified: callers overwrite what they read). Falls back to a fresh
/// buffer if the slot is already borrowed further up this thread's stack.
pub(crate) fn with<R>(slot: &'static Slot, len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    slot.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < len + ALIGN_FLOATS {
                buf.resize(len + ALIGN_FLOATS, 0.0);
            }
            let r = f(aligned(&mut buf, len));
            if buf.len() > KEEP_FLOATS {
                *buf = Vec::new();
            }
            r
        }
        Err(_) => f(aligned(&mut vec![0.0; len + ALIGN_FLOATS], len)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_starts_on_a_cache_line_and_has_the_length_asked() {
        for len in [0, 1, 17, 1000] {
            with(&PADDED, len, |b| {
                assert_eq!(b.len(), len);
                assert_eq!(b.as_ptr() as usize % 64, 0);
            });
        }
        // A nested borrow of the same slot gets a fresh buffer, aligned too.
        with(&PADDED, 8, |_| with(&PADDED, 8, |b| assert_eq!(b.as_ptr() as usize % 64, 0)));
    }
}
