//! Keras-style shapes with unknown dimensions (`None`, usually the batch).

use fovea_core::Shape;

/// A shape whose dimensions may be unknown until data arrives, printed as Keras
/// prints it: `(None, 55, 55, 96)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ShapeSpec(pub Vec<Option<usize>>);

impl ShapeSpec {
    /// A spec with an unknown batch dimension followed by `dims`.
    pub fn batched(dims: &[usize]) -> Self {
        let mut v = vec![None];
        v.extend(dims.iter().map(|&d| Some(d)));
        ShapeSpec(v)
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// The dimensions.
    pub fn dims(&self) -> &[Option<usize>] {
        &self.0
    }

    /// Dimension `axis` (negative counts from the end), if the axis exists.
    pub fn dim(&self, axis: isize) -> Option<Option<usize>> {
        let r = self.0.len() as isize;
        let a = if axis < 0 { axis + r } else { axis };
        (0..r).contains(&a).then(|| self.0[a as usize])
    }

    /// The size of axis `axis` (negative counts from the end) when the axis exists and
    /// its size is known: what a custom layer's `build` usually wants
    /// (`input.known_dim(-1)` for the channels). [`ShapeSpec::dim`] tells the two
    /// failures apart.
    ///
    /// ```
    /// use fovea_nn::ShapeSpec;
    /// let s = ShapeSpec::batched(&[28, 28, 3]);
    /// assert_eq!((s.known_dim(-1), s.known_dim(0), s.known_dim(7)), (Some(3), None, None));
    /// ```
    pub fn known_dim(&self, axis: isize) -> Option<usize> {
        self.dim(axis).flatten()
    }

    /// The spec of a concrete tensor shape.
    pub fn of(shape: &Shape) -> Self {
        ShapeSpec(shape.dims().iter().map(|&d| Some(d)).collect())
    }

    /// The product of the known dimensions after the first (the per-sample size), if all
    /// of them are known.
    pub fn sample_numel(&self) -> Option<usize> {
        self.0.iter().skip(1).try_fold(1usize, |acc, d| d.map(|d| acc * d))
    }

    /// Whether a concrete shape fits this spec (same rank, equal where known).
    pub fn accepts(&self, shape: &Shape) -> bool {
        shape.rank() == self.rank() && self.0.iter().zip(shape.dims()).all(|(s, &d)| s.is_none_or(|s| s == d))
    }
}

impl std::fmt::Display for ShapeSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            match d {
                Some(d) => write!(f, "{d}")?,
                None => write!(f, "None")?,
            }
        }
        if self.0.len() == 1 {
            write!(f, ",")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_keras() {
        assert_eq!(ShapeSpec::batched(&[55, 55, 96]).to_string(), "(None, 55, 55, 96)");
        assert_eq!(ShapeSpec(vec![None]).to_string(), "(None,)");
        assert!(ShapeSpec::batched(&[3]).accepts(&Shape::new([7, 3])));
        assert!(!ShapeSpec::batched(&[3]).accepts(&Shape::new([7, 4])));
    }
}
