//! Device dispatch for the bias epilogue (`ops::bias`).

use super::cpu;
use crate::storage::{zeros_f32, Storage};
use crate::{Result, Shape, Tensor};

fn dense<'a>(t: &Tensor, s: &'a Storage, name: &'static str) -> Result<&'a [f32]> {
    Ok(&s.as_f32(name)?[super::dense_range(t, name)?])
}

/// `x + b` along the last axis, ReLU'd when `relu`. Untracked.
///
/// # Shapes
/// `x` dense `(..., c)`, `b` dense `(c,)`; the result has `x`'s shape.
pub(crate) fn forward(x: &Tensor, b: &Tensor, relu: bool, name: &'static str) -> Result<Tensor> {
    let mut out = zeros_f32(name, x.shape())?;
    let (xs, bs) = (x.read(), b.read());
    match (&*xs, &*bs) {
        (Storage::Cpu(_), Storage::Cpu(_)) => {
            cpu::bias::forward(dense(x, &xs, name)?, dense(b, &bs, name)?, relu, &mut out)
        }
    }
    Ok(Tensor::from_f32_vec(out, x.shape().clone()))
}

/// `(dx, db)` from the forward's output `y` and the output gradient `g`; without `relu`
/// `dx` is `g` itself.
///
/// # Shapes
/// `y` and `g` dense `(..., c)`; `dx` like them, `db` `(c,)`.
pub(crate) fn backward(y: &Tensor, g: &Tensor, c: usize, relu: bool, name: &'static str) -> Result<(Tensor, Tensor)> {
    let mut db = zeros_f32(name, &Shape::new([c]))?;
    let mut dx = if relu { Some(zeros_f32(name, g.shape())?) } else { None };
    let (ys, gs) = (y.read(), g.read());
    match (&*ys, &*gs) {
        (Storage::Cpu(_), Storage::Cpu(_)) => {
            cpu::bias::backward(dense(y, &ys, name)?, dense(g, &gs, name)?, dx.as_deref_mut(), &mut db)
        }
    }
    let dx = match dx {
        Some(v) => Tensor::from_f32_vec(v, g.shape().clone()),
        None => g.clone(),
    };
    Ok((dx, Tensor::from_f32_vec(db, [c])))
}
