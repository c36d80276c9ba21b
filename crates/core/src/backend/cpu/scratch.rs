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
    /// A Winograd unit's own slice of the transformed kernel.
    pub(crate) static KERNEL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Buffers larger than this are not kept between calls, so one huge conv does not pin
/// its scratch on every pool thread for the life of the process.
const KEEP_FLOATS: usize = 16 << 20;

/// Calls `f` with `len` floats of this thread's `slot` (contents unspecified: callers
/// overwrite what they read). Falls back to a fresh buffer if the slot is already
/// borrowed further up this thread's stack.
pub(crate) fn with<R>(slot: &'static Slot, len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    slot.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
            let r = f(&mut buf[..len]);
            if buf.len() > KEEP_FLOATS {
                *buf = Vec::new();
            }
            r
        }
        Err(_) => f(&mut vec![0.0; len]),
    })
}
