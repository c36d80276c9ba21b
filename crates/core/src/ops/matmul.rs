//! Matrix products with numpy's `matmul` rules.
//!
//! # Shapes
//! `(..., m, k) x (..., k, n) -> (..., m, n)`, the leading batch axes broadcast as in
//! element-wise ops. A 1-D lhs `(k,)` acts as `(1, k)` and a 1-D rhs `(k,)` as `(k, 1)`;
//! the added axis is dropped from the result, so `(k,) x (k,)` is a scalar.
//!
//! Operands are read through their strides: a transposed, sliced or broadcast view goes
//! to gemm as row/column strides plus one start offset per batch entry, never as a copy.
//! (Every fovea layout is expressible that way, so matmul itself never copies.)

use crate::autodiff::record;
use crate::backend;
use crate::{broadcast_shapes, Error, Layout, Result, Shape, Tensor};

impl Tensor {
    /// numpy matmul: `(..., m, k) x (..., k, n) -> (..., m, n)` with the batch axes
    /// broadcast; a 1-D lhs is `(1, k)` with that axis dropped after, a 1-D rhs is
    /// `(k, 1)` likewise.
    ///
    /// # Shapes
    /// - `(m, k) x (k, n) -> (m, n)`
    /// - `(3, 1, m, k) x (2, k, n) -> (3, 2, m, n)`
    /// - `(k,) x (..., k, n) -> (..., n)`, `(..., m, k) x (k,) -> (..., m)`, `(k,) x (k,) -> ()`
    ///
    /// Errors when either operand is 0-D, the inner dimensions differ, or the batch axes
    /// do not broadcast; the message names both shapes, e.g.
    /// `matmul: (2, 3) x (4, 5): inner dimensions 3 and 4 differ`.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (al, bl, out_shape) = plan(self, other)?;
        let product = backend::matmul::matmul(&self.view_with_layout(al), &other.view_with_layout(bl))?;
        // Dropping the size-1 axes of 1-D operands keeps the dense product a view.
        let out = product.reshape(out_shape)?;
        Ok(record(out, "matmul", &[self, other], || {
            let (a, b) = (self.detach(), other.detach());
            Box::new(move |g, needs| matmul_backward(&a, &b, g, needs))
        }))
    }
}

/// Validates `a @ b` and returns both operands' layouts promoted to 2-D and broadcast to
/// `batch + (m, k)` and `batch + (k, n)`, and the final output shape.
fn plan(a: &Tensor, b: &Tensor) -> Result<(Layout, Layout, Shape)> {
    let fail = |msg: String| Error::shape("matmul", format!("{} x {}: {msg}", a.shape(), b.shape()));
    if a.rank() == 0 || b.rank() == 0 {
        return Err(fail("both operands need at least one dimension".into()));
    }
    let al = if a.rank() == 1 { a.layout().unsqueeze(0) } else { a.layout().clone() };
    let bl = if b.rank() == 1 { b.layout().unsqueeze(1) } else { b.layout().clone() };
    let (ar, br) = (al.dims().len(), bl.dims().len());
    let (m, k) = (al.dims()[ar - 2], al.dims()[ar - 1]);
    let (kb, n) = (bl.dims()[br - 2], bl.dims()[br - 1]);
    if k != kb {
        return Err(fail(format!("inner dimensions {k} and {kb} differ")));
    }
    let (a_batch, b_batch) = (Shape::from(&al.dims()[..ar - 2]), Shape::from(&bl.dims()[..br - 2]));
    let batch = broadcast_shapes("matmul", &a_batch, &b_batch)
        .map_err(|_| fail(format!("batch dimensions {a_batch} and {b_batch} do not broadcast")))?;
    let full = |rows: usize, cols: usize| {
        let mut dims = batch.dims().to_vec();
        dims.extend([rows, cols]);
        Shape::new(dims)
    };
    let al = al.broadcast_to(&full(m, k))?;
    let bl = bl.broadcast_to(&full(k, n))?;
    let mut out = batch.dims().to_vec();
    if a.rank() > 1 {
        out.push(m);
    }
    if b.rank() > 1 {
        out.push(n);
    }
    Ok((al, bl, Shape::new(out)))
}

/// `dA = dC @ B^T`, `dB = A^T @ dC` on the promoted operands, with the transposes as
/// views; each is summed over the batch axes its operand was broadcast along, then the
/// axis added for a 1-D operand is dropped again.
fn matmul_backward(a: &Tensor, b: &Tensor, g: &Tensor, needs: &[bool]) -> Result<Vec<Option<Tensor>>> {
    let a2 = if a.rank() == 1 { a.unsqueeze(0)? } else { a.clone() };
    let b2 = if b.rank() == 1 { b.unsqueeze(1)? } else { b.clone() };
    // Restore the dropped axes of g: n first (it is last), then m before it.
    let mut g2 = g.clone();
    if b.rank() == 1 {
        g2 = g2.unsqueeze(-1)?;
    }
    if a.rank() == 1 {
        g2 = g2.unsqueeze(-2)?;
    }
    let ga = if needs[0] {
        Some(g2.matmul(&b2.transpose(-1, -2)?)?.sum_to_shape(a2.shape())?.reshape(a.shape().clone())?)
    } else {
        None
    };
    let gb = if needs[1] {
        Some(a2.transpose(-1, -2)?.matmul(&g2)?.sum_to_shape(b2.shape())?.reshape(b.shape().clone())?)
    } else {
        None
    };
    Ok(vec![ga, gb])
}
