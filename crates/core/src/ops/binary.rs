//! Element-wise ops on two tensors with numpy broadcasting, comparisons and `where`.
//!
//! # Shapes
//! Inputs broadcast from the right (`(8, 1, 6)` with `(7, 1)` gives `(8, 7, 6)`); the
//! output has the broadcast shape. The gradient of each input is summed back over the
//! axes it was broadcast along.

use crate::autodiff::record;
use crate::backend::{self, BinaryOp};
use crate::{broadcast_shapes, Result, Tensor};

fn apply(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<(Tensor, crate::Shape)> {
    let shape = broadcast_shapes(op.name(), a.shape(), b.shape())?;
    let av = a.view_with_layout(a.layout().broadcast_to(&shape)?);
    let bv = b.view_with_layout(b.layout().broadcast_to(&shape)?);
    Ok((backend::binary(op, &av, &bv, &shape)?, shape))
}

/// Runs a binary op without recording it (for comparisons and backward passes).
pub(crate) fn binary_untracked(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    apply(op, a, b).map(|(t, _)| t)
}

impl Tensor {
    /// `self + other`, broadcasting.
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        let (out, _) = apply(BinaryOp::Add, self, other)?;
        Ok(record(out, "add", &[self, other], || {
            let (sa, sb) = (self.shape().clone(), other.shape().clone());
            Box::new(move |g, needs| Ok(vec![grad_to(needs[0], g, &sa)?, grad_to(needs[1], g, &sb)?]))
        }))
    }

    /// `self - other`, broadcasting.
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        let (out, _) = apply(BinaryOp::Sub, self, other)?;
        Ok(record(out, "sub", &[self, other], || {
            let (sa, sb) = (self.shape().clone(), other.shape().clone());
            Box::new(move |g, needs| {
                let gb = if needs[1] { Some(g.neg()?.sum_to_shape(&sb)?) } else { None };
                Ok(vec![grad_to(needs[0], g, &sa)?, gb])
            })
        }))
    }

    /// `self * other`, broadcasting.
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        let (out, _) = apply(BinaryOp::Mul, self, other)?;
        Ok(record(out, "mul", &[self, other], || {
            let (a, b) = (self.detach(), other.detach());
            Box::new(move |g, needs| {
                let ga = if needs[0] { Some(g.mul(&b)?.sum_to_shape(a.shape())?) } else { None };
                let gb = if needs[1] { Some(g.mul(&a)?.sum_to_shape(b.shape())?) } else { None };
                Ok(vec![ga, gb])
            })
        }))
    }

    /// `self / other`, broadcasting.
    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        let (out, _) = apply(BinaryOp::Div, self, other)?;
        Ok(record(out, "div", &[self, other], || {
            let (a, b) = (self.detach(), other.detach());
            Box::new(move |g, needs| {
                let ga = if needs[0] { Some(g.div(&b)?.sum_to_shape(a.shape())?) } else { None };
                // d(a/b)/db = -a / b^2
                let gb =
                    if needs[1] { Some(g.mul(&a)?.div(&b.square()?)?.neg()?.sum_to_shape(b.shape())?) } else { None };
                Ok(vec![ga, gb])
            })
        }))
    }

    /// Element-wise maximum, broadcasting. Where the two are equal the gradient goes
    /// to `self`, as TensorFlow's.
    pub fn maximum(&self, other: &Tensor) -> Result<Tensor> {
        select_op(BinaryOp::Maximum, BinaryOp::Ge, self, other)
    }

    /// Element-wise minimum, broadcasting (ties send the gradient to `self`).
    pub fn minimum(&self, other: &Tensor) -> Result<Tensor> {
        select_op(BinaryOp::Minimum, BinaryOp::Le, self, other)
    }

    /// `self ** other`, broadcasting. The gradient with respect to the exponent uses
    /// `ln(self)` and is only meaningful for positive bases.
    pub fn pow(&self, other: &Tensor) -> Result<Tensor> {
        let (out, _) = apply(BinaryOp::Pow, self, other)?;
        let saved_out = out.clone();
        Ok(record(out, "pow", &[self, other], || {
            let (a, b) = (self.detach(), other.detach());
            Box::new(move |g, needs| {
                let ga = if needs[0] {
                    // b * a^(b-1)
                    let d = b.mul(&a.pow(&b.add_scalar(-1.0)?)?)?;
                    Some(g.mul(&d)?.sum_to_shape(a.shape())?)
                } else {
                    None
                };
                let gb =
                    if needs[1] { Some(g.mul(&saved_out)?.mul(&a.log()?)?.sum_to_shape(b.shape())?) } else { None };
                Ok(vec![ga, gb])
            })
        }))
    }

    /// 1.0 where `self == other`, else 0.0 (not differentiable).
    pub fn eq(&self, other: &Tensor) -> Result<Tensor> {
        binary_untracked(BinaryOp::Eq, self, other)
    }
    /// 1.0 where `self != other`, else 0.0.
    pub fn ne(&self, other: &Tensor) -> Result<Tensor> {
        binary_untracked(BinaryOp::Ne, self, other)
    }
    /// 1.0 where `self < other`, else 0.0.
    pub fn lt(&self, other: &Tensor) -> Result<Tensor> {
        binary_untracked(BinaryOp::Lt, self, other)
    }
    /// 1.0 where `self <= other`, else 0.0.
    pub fn le(&self, other: &Tensor) -> Result<Tensor> {
        binary_untracked(BinaryOp::Le, self, other)
    }
    /// 1.0 where `self > other`, else 0.0.
    pub fn gt(&self, other: &Tensor) -> Result<Tensor> {
        binary_untracked(BinaryOp::Gt, self, other)
    }
    /// 1.0 where `self >= other`, else 0.0.
    pub fn ge(&self, other: &Tensor) -> Result<Tensor> {
        binary_untracked(BinaryOp::Ge, self, other)
    }

    /// `on_true` where `cond` is non-zero, else `on_false`; all three broadcast together.
    /// Gradients flow to the branch that was taken.
    pub fn where_(cond: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        let mask = cond.ne(&Tensor::scalar(0.0))?;
        let shape =
            broadcast_shapes("where", &broadcast_shapes("where", mask.shape(), on_true.shape())?, on_false.shape())?;
        let mask = mask.detach().broadcast_to(&shape)?;
        // A selection kernel, not `on_false + mask * (on_true - on_false)`: that rounds
        // (1 vs 1e8 gives 0) and turns an infinity in the branch not taken into NaN.
        let tv = on_true.view_with_layout(on_true.layout().broadcast_to(&shape)?);
        let fv = on_false.view_with_layout(on_false.layout().broadcast_to(&shape)?);
        let out = backend::select(&mask, &tv, &fv, &shape)?;
        Ok(record(out, "where", &[on_true, on_false], || {
            let (st, sf) = (on_true.shape().clone(), on_false.shape().clone());
            Box::new(move |g, needs| {
                let gt = if needs[0] { Some(g.mul(&mask)?.sum_to_shape(&st)?) } else { None };
                let gf =
                    if needs[1] { Some(g.mul(&Tensor::scalar(1.0).sub(&mask)?)?.sum_to_shape(&sf)?) } else { None };
                Ok(vec![gt, gf])
            })
        }))
    }
}

fn grad_to(need: bool, g: &Tensor, shape: &crate::Shape) -> Result<Option<Tensor>> {
    if need {
        Ok(Some(g.sum_to_shape(shape)?))
    } else {
        Ok(None)
    }
}

/// maximum/minimum: the value from `op`, the gradient routed by the mask `pick_a`.
fn select_op(op: BinaryOp, pick_a: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (out, _) = apply(op, a, b)?;
    Ok(record(out, op.name(), &[a, b], || {
        let (ad, bd) = (a.detach(), b.detach());
        Box::new(move |g, needs| {
            let mask = binary_untracked(pick_a, &ad, &bd)?;
            let ga = if needs[0] { Some(g.mul(&mask)?.sum_to_shape(ad.shape())?) } else { None };
            let gb =
                if needs[1] { Some(g.mul(&Tensor::scalar(1.0).sub(&mask)?)?.sum_to_shape(bd.shape())?) } else { None };
            Ok(vec![ga, gb])
        })
    }))
}
