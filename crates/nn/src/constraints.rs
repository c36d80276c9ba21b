//! Weight constraints, applied to a variable after each optimizer update, with Keras's
//! formulas (including its epsilon of 1e-7 in the norm divisions).

use fovea_core::{no_grad, Result, Tensor};

const EPSILON: f32 = 1e-7;

/// A projection applied to a weight after each update.
#[derive(Clone, Debug, PartialEq)]
pub enum Constraint {
    /// Rescales slices whose L2 norm over `axis` exceeds `max_value` (Keras default 2, axis 0;
    /// for conv kernels Keras recommends axes [0, 1, 2]).
    MaxNorm {
        /// Largest allowed norm.
        max_value: f32,
        /// Axes the norm is taken over.
        axis: Vec<isize>,
    },
    /// Moves norms towards `[min_value, max_value]` at `rate` (Keras defaults 0, 1, 1, axis 0).
    MinMaxNorm {
        /// Smallest allowed norm.
        min_value: f32,
        /// Largest allowed norm.
        max_value: f32,
        /// 1 projects fully; less moves part of the way.
        rate: f32,
        /// Axes the norm is taken over.
        axis: Vec<isize>,
    },
    /// Sets negative weights to zero.
    NonNeg,
    /// Rescales to unit L2 norm over `axis` (Keras default 0).
    UnitNorm {
        /// Axes the norm is taken over.
        axis: Vec<isize>,
    },
}

impl Constraint {
    /// The constrained value of `w` (not recorded for autodiff).
    pub fn apply(&self, w: &Tensor) -> Result<Tensor> {
        no_grad(|| {
            let norms = |axis: &[isize]| w.square()?.sum(axis, true)?.sqrt();
            match self {
                Constraint::NonNeg => w.mul(&w.ge(&Tensor::scalar(0.0))?),
                Constraint::UnitNorm { axis } => w.div(&norms(axis)?.add_scalar(EPSILON)?),
                Constraint::MaxNorm { max_value, axis } => {
                    let n = norms(axis)?;
                    let desired = n.clamp(0.0, *max_value)?;
                    w.mul(&desired.div(&n.add_scalar(EPSILON)?)?)
                }
                Constraint::MinMaxNorm { min_value, max_value, rate, axis } => {
                    let n = norms(axis)?;
                    let clipped = n.clamp(*min_value, *max_value)?;
                    let desired = clipped.mul_scalar(*rate)?.add(&n.mul_scalar(1.0 - rate)?)?;
                    w.mul(&desired.div(&n.add_scalar(EPSILON)?)?)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_norm_rescales_only_long_columns() {
        // Columns (axis 0 norms): [3, 4] -> norm 5, [0.6, 0.8] -> norm 1.
        let w = Tensor::from_vec(vec![3.0, 0.6, 4.0, 0.8], [2, 2]).unwrap();
        let c = Constraint::MaxNorm { max_value: 2.0, axis: vec![0] };
        let v = c.apply(&w).unwrap().to_vec_f32().unwrap();
        let want = [1.2, 0.6, 1.6, 0.8];
        for (a, b) in v.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{v:?}");
        }
    }

    #[test]
    fn non_neg_and_unit_norm() {
        let w = Tensor::from_vec(vec![-1.0, 2.0, 0.0, -3.0], [4]).unwrap();
        assert_eq!(Constraint::NonNeg.apply(&w).unwrap().to_vec_f32().unwrap(), vec![0.0, 2.0, 0.0, 0.0]);
        let u = Tensor::from_vec(vec![3.0, 4.0], [2]).unwrap();
        let v = Constraint::UnitNorm { axis: vec![0] }.apply(&u).unwrap().to_vec_f32().unwrap();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
    }

    #[test]
    fn min_max_norm_lifts_short_columns() {
        let w = Tensor::from_vec(vec![0.3, 0.4], [2, 1]).unwrap(); // norm 0.5
        let c = Constraint::MinMaxNorm { min_value: 1.0, max_value: 2.0, rate: 1.0, axis: vec![0] };
        let v = c.apply(&w).unwrap().to_vec_f32().unwrap();
        assert!((v[0] - 0.6).abs() < 1e-5 && (v[1] - 0.8).abs() < 1e-5, "{v:?}");
    }
}
