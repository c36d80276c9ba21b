//! Shapes, axis normalisation and numpy broadcasting.

use crate::{Error, Result};

/// The dimensions of a tensor, outermost first (NHWC for images).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(Vec<usize>);

impl Shape {
    /// A shape from its dimensions.
    pub fn new(dims: impl Into<Vec<usize>>) -> Self {
        Shape(dims.into())
    }

    /// The shape of a scalar: rank 0, one element.
    pub fn scalar() -> Self {
        Shape(Vec::new())
    }

    /// The dimensions, outermost first.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements; saturates at `usize::MAX` (see [`Shape::checked_numel`]).
    pub fn numel(&self) -> usize {
        self.checked_numel().unwrap_or(usize::MAX)
    }

    /// Number of elements, or `None` if the product overflows `usize`.
    pub fn checked_numel(&self) -> Option<usize> {
        self.0.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// Row-major (C-order) strides in elements.
    pub fn contiguous_strides(&self) -> Vec<usize> {
        let mut strides = vec![0; self.rank()];
        let mut acc = 1usize;
        for (s, &d) in strides.iter_mut().zip(&self.0).rev() {
            *s = acc;
            acc = acc.saturating_mul(d);
        }
        strides
    }

    /// Size of dimension `axis` (which may be negative, counting from the end).
    pub fn dim(&self, axis: isize) -> Result<usize> {
        let a = normalize_axis("dim", axis, self.rank())?;
        Ok(self.0[a])
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        if self.0.len() == 1 {
            write!(f, ",")?;
        }
        write!(f, ")")
    }
}

impl std::fmt::Debug for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl From<Vec<usize>> for Shape {
    fn from(v: Vec<usize>) -> Self {
        Shape(v)
    }
}
impl From<&[usize]> for Shape {
    fn from(v: &[usize]) -> Self {
        Shape(v.to_vec())
    }
}
impl<const N: usize> From<[usize; N]> for Shape {
    fn from(v: [usize; N]) -> Self {
        Shape(v.to_vec())
    }
}
impl From<&Shape> for Shape {
    fn from(s: &Shape) -> Self {
        s.clone()
    }
}

/// Maps a possibly negative axis (`-1` is the last) into `0..rank`.
pub fn normalize_axis(op: &'static str, axis: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(Error::Axis { op, axis, rank });
    }
    Ok(a as usize)
}

/// Normalises a set of axes, rejecting duplicates. Returns them sorted.
pub fn normalize_axes(op: &'static str, axes: &[isize], rank: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let n = normalize_axis(op, a, rank)?;
        if out.contains(&n) {
            return Err(Error::arg(op, format!("axis {a} is given twice in {axes:?}")));
        }
        out.push(n);
    }
    out.sort_unstable();
    Ok(out)
}

/// The numpy broadcast of two shapes: dimensions align from the right and each pair must
/// be equal or contain a 1.
pub fn broadcast_shapes(op: &'static str, lhs: &Shape, rhs: &Shape) -> Result<Shape> {
    let rank = lhs.rank().max(rhs.rank());
    let mut out = vec![0; rank];
    for (i, o) in out.iter_mut().enumerate() {
        let l = dim_from_right(lhs, rank - 1 - i);
        let r = dim_from_right(rhs, rank - 1 - i);
        *o = match (l, r) {
            (a, b) if a == b => a,
            (1, b) => b,
            (a, 1) => a,
            _ => {
                return Err(Error::Broadcast { op, lhs: lhs.clone(), rhs: rhs.clone() });
            }
        };
    }
    Ok(Shape(out))
}

fn dim_from_right(s: &Shape, k: usize) -> usize {
    if k < s.rank() {
        s.0[s.rank() - 1 - k]
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy() {
        let a = Shape::new([8, 1, 6, 1]);
        let b = Shape::new([7, 1, 5]);
        assert_eq!(broadcast_shapes("t", &a, &b).unwrap(), Shape::new([8, 7, 6, 5]));
        let c = Shape::new([3]);
        let d = Shape::new([4]);
        let err = broadcast_shapes("add", &c, &d).unwrap_err().to_string();
        assert_eq!(err, "add: shapes (3,) and (4,) do not broadcast");
    }

    #[test]
    fn negative_axes_count_from_the_end() {
        assert_eq!(normalize_axis("t", -1, 4).unwrap(), 3);
        assert!(normalize_axis("t", 4, 4).is_err());
        assert!(normalize_axes("t", &[1, -3], 4).is_err());
    }

    #[test]
    fn numel_overflow_is_detected() {
        let s = Shape::new([usize::MAX, 2]);
        assert_eq!(s.checked_numel(), None);
        assert_eq!(Shape::scalar().numel(), 1);
    }
}
