//! Reductions along any set of axes, with or without keepdims.
//!
//! # Shapes
//! `x` of shape `(d0, ..., dn)` reduced over `axes` gives the same shape with those
//! axes removed, or kept as size 1 when `keepdims`. An empty `axes` reduces nothing.

use crate::autodiff::record;
use crate::backend::{self, ReduceOp};
use crate::{normalize_axes, normalize_axis, Error, Result, Shape, Tensor};

/// The shape after dropping `axes` (sorted) from `dims`.
fn dropped(dims: &[usize], axes: &[usize]) -> Shape {
    Shape::new(dims.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect::<Vec<_>>())
}

fn finish(keep: Tensor, axes: &[usize], keepdims: bool) -> Result<Tensor> {
    if keepdims {
        Ok(keep)
    } else {
        let s = dropped(keep.dims(), axes);
        keep.reshape(s)
    }
}

impl Tensor {
    /// Sum over `axes` (negative axes count from the end).
    pub fn sum(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let axes = normalize_axes("sum", axes, self.rank())?;
        let out = backend::reduce(ReduceOp::Sum, self, &axes, "sum")?;
        let out = record(out, "sum", &[self], || {
            let shape = self.shape().clone();
            Box::new(move |g, _| Ok(vec![Some(g.broadcast_to(&shape)?)]))
        });
        finish(out, &axes, keepdims)
    }

    /// Sum of all elements, as a scalar.
    pub fn sum_all(&self) -> Result<Tensor> {
        let all: Vec<isize> = (0..self.rank() as isize).collect();
        self.sum(&all, false)
    }

    /// Mean over `axes`.
    pub fn mean(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let norm = normalize_axes("mean", axes, self.rank())?;
        let count: usize = norm.iter().map(|&a| self.dims()[a]).product();
        if count == 0 {
            return Err(Error::shape(
                "mean",
                format!("cannot average over empty axes {axes:?} of shape {}", self.shape()),
            ));
        }
        self.sum(axes, keepdims)?.mul_scalar(1.0 / count as f32)
    }

    /// Mean of all elements, as a scalar.
    pub fn mean_all(&self) -> Result<Tensor> {
        let all: Vec<isize> = (0..self.rank() as isize).collect();
        self.mean(&all, false)
    }

    /// Population variance (divides by n, like numpy and Keras) over `axes`.
    pub fn var(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let mu = self.mean(axes, true)?;
        self.sub(&mu)?.square()?.mean(axes, keepdims)
    }

    /// Maximum over `axes`. Ties share the gradient equally, as in TensorFlow and JAX.
    pub fn max(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        self.extreme(ReduceOp::Max, "max", axes, keepdims)
    }

    /// Minimum over `axes` (ties share the gradient).
    pub fn min(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        self.extreme(ReduceOp::Min, "min", axes, keepdims)
    }

    fn extreme(&self, op: ReduceOp, name: &'static str, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        let axes = normalize_axes(name, axes, self.rank())?;
        if axes.iter().any(|&a| self.dims()[a] == 0) {
            return Err(Error::shape(
                name,
                format!("cannot take the {name} over an empty axis of shape {}", self.shape()),
            ));
        }
        let out = backend::reduce(op, self, &axes, name)?;
        let saved = out.clone();
        let out = record(out, name, &[self], || {
            let (x, axes_i): (Tensor, Vec<isize>) = (self.detach(), axes.iter().map(|&a| a as isize).collect());
            Box::new(move |g, _| {
                let hit = x.eq(&saved)?;
                let count = hit.sum(&axes_i, true)?;
                Ok(vec![Some(hit.mul(&g.div(&count)?)?)])
            })
        });
        finish(out, &axes, keepdims)
    }

    /// Index of the first maximum along `axis`, as int64.
    pub fn argmax(&self, axis: isize, keepdims: bool) -> Result<Tensor> {
        self.arg_extreme(axis, keepdims, true, "argmax")
    }

    /// Index of the first minimum along `axis`, as int64.
    pub fn argmin(&self, axis: isize, keepdims: bool) -> Result<Tensor> {
        self.arg_extreme(axis, keepdims, false, "argmin")
    }

    fn arg_extreme(&self, axis: isize, keepdims: bool, max: bool, name: &'static str) -> Result<Tensor> {
        let a = normalize_axis(name, axis, self.rank())?;
        if self.dims()[a] == 0 {
            return Err(Error::shape(name, format!("axis {axis} of shape {} is empty", self.shape())));
        }
        let x = self.detach().contiguous()?;
        let out = backend::arg_reduce(&x, a, max, name)?;
        finish(out, &[a], keepdims)
    }

    /// Sums this gradient-shaped tensor down to `shape`, undoing numpy broadcasting:
    /// leading extra axes and axes where `shape` has 1 are summed.
    pub fn sum_to_shape(&self, shape: &Shape) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let rank = self.rank();
        let lead = rank.checked_sub(shape.rank()).ok_or_else(|| {
            Error::shape(
                "sum_to_shape",
                format!("cannot sum shape {} down to the larger rank of {}", self.shape(), shape),
            )
        })?;
        let mut axes: Vec<isize> = (0..lead as isize).collect();
        for (i, &d) in shape.dims().iter().enumerate() {
            let own = self.dims()[lead + i];
            if d == 1 && own != 1 {
                axes.push((lead + i) as isize);
            } else if d != own {
                return Err(Error::shape(
                    "sum_to_shape",
                    format!("shape {} does not broadcast to {}", shape, self.shape()),
                ));
            }
        }
        self.sum(&axes, true)?.reshape(shape.clone())
    }
}
