//! numpy `matmul` on dense row-major arrays by the definition: the oracle for
//! `Tensor::matmul`. Accumulates in f64.

/// The product of `a` (shape `a_dims`) and `b` (shape `b_dims`) with numpy's rules
/// (1-D operands promoted and their axis dropped, batch axes broadcast). The shapes must
/// be valid. Returns the dense output and its shape.
pub(crate) fn matmul(a: &[f32], a_dims: &[usize], b: &[f32], b_dims: &[usize]) -> (Vec<f32>, Vec<usize>) {
    let mut ad = a_dims.to_vec();
    if ad.len() == 1 {
        ad.insert(0, 1);
    }
    let mut bd = b_dims.to_vec();
    if bd.len() == 1 {
        bd.push(1);
    }
    let (m, k, n) = (ad[ad.len() - 2], ad[ad.len() - 1], bd[bd.len() - 1]);
    let rank = ad.len().max(bd.len()) - 2;
    let pad = |d: &[usize]| {
        let mut v = vec![1; rank + 2 - d.len()];
        v.extend_from_slice(&d[..d.len() - 2]);
        v
    };
    let (ab, bb) = (pad(&ad), pad(&bd));
    let batch: Vec<usize> = ab.iter().zip(&bb).map(|(&x, &y)| x.max(y)).collect();
    let count: usize = batch.iter().product();
    let mut out = vec![0.0f32; count * m * n];
    for t in 0..count {
        // Unravel t over the output batch, ravel into each operand's batch (0 where it has 1).
        let (mut rem, mut ai, mut bi, mut a_step, mut b_step) = (t, 0, 0, 1, 1);
        for ax in (0..rank).rev() {
            let i = rem % batch[ax];
            rem /= batch[ax];
            if ab[ax] != 1 {
                ai += i * a_step;
            }
            if bb[ax] != 1 {
                bi += i * b_step;
            }
            a_step *= ab[ax];
            b_step *= bb[ax];
        }
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0f64;
                for p in 0..k {
                    acc += f64::from(a[(ai * m + i) * k + p]) * f64::from(b[(bi * k + p) * n + j]);
                }
                out[(t * m + i) * n + j] = acc as f32;
            }
        }
    }
    let mut dims = batch;
    if a_dims.len() > 1 {
        dims.push(m);
    }
    if b_dims.len() > 1 {
        dims.push(n);
    }
    (out, dims)
}
