//! A cap on how many weight elements layers may create while a model is built.
//!
//! A model read from a file (a Keras config, a checkpoint's architecture) declares its
//! layer sizes; a forged or corrupt one can declare `Dense(units=10**12)` and make the
//! build allocate (or overcommit and later die touching) terabytes. Every variable goes
//! through [`Initializer::init`](crate::Initializer::init), which charges its element
//! count here first, so a loader that knows how much weight data its file can hold sets
//! a budget with [`limit_weight_elements`] and gets an error naming the variable's
//! shape instead of an out-of-memory kill.
//!
//! Without a budget the only bound is [`MAX_VARIABLE_ELEMENTS`] per variable.

use std::cell::Cell;

use fovea_core::{Error, Result};

/// The largest single variable any build may create: 2^31 elements (8 GiB of f32),
/// far beyond any CNN's largest kernel (VGG's FC6 holds about 2^27).
pub const MAX_VARIABLE_ELEMENTS: u64 = 1 << 31;

thread_local! {
    /// Elements left under the innermost active budget; `None` when no budget is set.
    static LEFT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Restores the previous budget when dropped (budgets nest).
#[must_use = "the budget lasts only while the guard lives"]
pub struct WeightBudgetGuard {
    previous: Option<u64>,
    start: u64,
}

impl Drop for WeightBudgetGuard {
    fn drop(&mut self) {
        // What was spent under this guard is spent under the enclosing one too.
        let spent = self.start - LEFT.with(|l| l.get()).unwrap_or(self.start);
        LEFT.with(|l| l.set(self.previous.map(|p| p.saturating_sub(spent))));
    }
}

/// Until the guard drops, layers built on this thread may create at most `elements`
/// weight elements in total (a nested budget cannot exceed the one around it).
pub fn limit_weight_elements(elements: u64) -> WeightBudgetGuard {
    let previous = LEFT.with(|l| l.get());
    let left = previous.map_or(elements, |p| p.min(elements));
    LEFT.with(|l| l.set(Some(left)));
    WeightBudgetGuard { previous, start: left }
}

/// The element count of `shape`, charged against the active budget; an error naming
/// `op` and the shape when it overflows or exceeds a cap.
pub(crate) fn charge(op: &'static str, shape: &[usize]) -> Result<()> {
    let n = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&n| n <= MAX_VARIABLE_ELEMENTS)
        .ok_or_else(|| Error::Argument {
            op,
            msg: format!("a variable of shape {shape:?} is absurdly large (over {MAX_VARIABLE_ELEMENTS} elements)"),
        })?;
    LEFT.with(|l| match l.get() {
        None => Ok(()),
        Some(left) if n <= left => {
            l.set(Some(left - n));
            Ok(())
        }
        Some(left) => Err(Error::Argument {
            op,
            msg: format!(
                "a variable of shape {shape:?} ({n} elements) exceeds what the model's source can hold \
                 ({left} elements left of its weight budget)"
            ),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_charged_nest_and_restore() {
        assert!(charge("t", &[1 << 20, 1 << 20]).is_err(), "over the per-variable cap");
        assert!(charge("t", &[usize::MAX, 4]).is_err(), "overflow");
        assert!(charge("t", &[1000, 1000]).is_ok(), "no budget, under the cap");
        {
            let _outer = limit_weight_elements(100);
            assert!(charge("t", &[10, 5]).is_ok());
            {
                let _inner = limit_weight_elements(1_000);
                let msg = charge("Dense", &[10, 6]).unwrap_err().to_string();
                assert!(msg.contains("Dense") && msg.contains("[10, 6]") && msg.contains("50 elements left"), "{msg}");
                assert!(charge("t", &[10]).is_ok(), "spent inside, spent outside too");
            }
            assert!(charge("t", &[40]).is_ok());
            assert!(charge("t", &[1]).is_err(), "budget spent");
        }
        assert!(charge("t", &[1000, 1000]).is_ok(), "budget gone with its guard");
    }
}
