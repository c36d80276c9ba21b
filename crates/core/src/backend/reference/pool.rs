//! Naive pooling: one output element at a time, every cell of the padded window visited
//! and padded ones skipped by a bounds test. The oracle for `cpu::pool`.

use crate::backend::params::Pool2dParams;

/// The real input cells `(ih, iw)` of the window of output `(oh, ow)`, row-major.
fn cells(p: &Pool2dParams, oh: usize, ow: usize) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for i in 0..p.ph {
        for j in 0..p.pw {
            let ih = (oh * p.stride_h + i) as isize - p.pad_top as isize;
            let iw = (ow * p.stride_w + j) as isize - p.pad_left as isize;
            if ih >= 0 && iw >= 0 && (ih as usize) < p.h && (iw as usize) < p.w {
                v.push((ih as usize, iw as usize));
            }
        }
    }
    v
}

fn at(p: &Pool2dParams, b: usize, ih: usize, iw: usize, ch: usize) -> usize {
    ((b * p.h + ih) * p.w + iw) * p.c + ch
}

fn out_at(p: &Pool2dParams, b: usize, oh: usize, ow: usize, ch: usize) -> usize {
    ((b * p.h_out + oh) * p.w_out + ow) * p.c + ch
}

/// Calls `f(b, oh, ow, ch, window cells)` for every output element.
fn each_output(p: &Pool2dParams, mut f: impl FnMut(usize, usize, usize, usize, &[(usize, usize)])) {
    for b in 0..p.n {
        for oh in 0..p.h_out {
            for ow in 0..p.w_out {
                let win = cells(p, oh, ow);
                for ch in 0..p.c {
                    f(b, oh, ow, ch, &win);
                }
            }
        }
    }
}

/// The first maximal cell of a window (the first NaN wins).
fn first_max(x: &[f32], p: &Pool2dParams, b: usize, ch: usize, win: &[(usize, usize)]) -> (usize, usize) {
    let mut best = win[0];
    for &(ih, iw) in &win[1..] {
        let (v, m) = (x[at(p, b, ih, iw, ch)], x[at(p, b, best.0, best.1, ch)]);
        if m.is_nan() {
            break;
        }
        if v > m || v.is_nan() {
            best = (ih, iw);
        }
    }
    best
}

pub(crate) fn max_pool2d(x: &[f32], p: &Pool2dParams, out: &mut [f32]) {
    each_output(p, |b, oh, ow, ch, win| {
        let (ih, iw) = first_max(x, p, b, ch, win);
        out[out_at(p, b, oh, ow, ch)] = x[at(p, b, ih, iw, ch)];
    });
}

pub(crate) fn avg_pool2d(x: &[f32], p: &Pool2dParams, out: &mut [f32]) {
    each_output(p, |b, oh, ow, ch, win| {
        let sum: f64 = win.iter().map(|&(ih, iw)| x[at(p, b, ih, iw, ch)] as f64).sum();
        out[out_at(p, b, oh, ow, ch)] = (sum / win.len() as f64) as f32;
    });
}

pub(crate) fn max_pool2d_backward(x: &[f32], g: &[f32], p: &Pool2dParams, gx: &mut [f32]) {
    gx.fill(0.0);
    each_output(p, |b, oh, ow, ch, win| {
        let (ih, iw) = first_max(x, p, b, ch, win);
        gx[at(p, b, ih, iw, ch)] += g[out_at(p, b, oh, ow, ch)];
    });
}

pub(crate) fn avg_pool2d_backward(g: &[f32], p: &Pool2dParams, gx: &mut [f32]) {
    gx.fill(0.0);
    each_output(p, |b, oh, ow, ch, win| {
        let share = g[out_at(p, b, oh, ow, ch)] / win.len() as f32;
        for &(ih, iw) in win {
            gx[at(p, b, ih, iw, ch)] += share;
        }
    });
}
