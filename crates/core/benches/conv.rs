//! Criterion benches of conv2d on a subset of issue 6's shapes (the full list, with
//! pooling and LRN, is `fovea bench conv`): forward, grad-input and grad-kernel, each
//! through the public op and autodiff. Throughput is counted in flops
//! (`2 * N * Ho * Wo * Co * Ci * kh * kw` per pass), so criterion's "elem/s" reads as
//! flop/s; the measured fp32 peak is printed first to compare with.
//!
//! `cargo bench -p fovea-core --bench conv`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fovea_core::{Conv2dOptions, Rng, Tensor};

/// (name, N, H = W, C_in, C_out, kernel, stride, pad)
type ConvShape = (&'static str, usize, usize, usize, usize, usize, usize, usize);

const SHAPES: &[ConvShape] = &[
    ("alexnet-conv3", 8, 13, 256, 384, 3, 1, 1),
    ("alphago-3x3-b1", 1, 19, 192, 192, 3, 1, 1),
    ("alphago-3x3-b16", 16, 19, 192, 192, 3, 1, 1),
    ("conv-1x1", 8, 28, 256, 64, 1, 1, 0),
    ("mnist", 64, 28, 32, 64, 3, 1, 1),
];

fn conv(c: &mut Criterion) {
    let peak = fovea_core::bench::peak_gflops();
    eprintln!(
        "fp32 peak ({}): {:.1} GFLOP/s on {} threads, {:.1} per core",
        peak.isa.name(),
        peak.gflops,
        peak.threads,
        peak.gflops_per_core
    );
    let mut rng = Rng::new(0);
    let mut group = c.benchmark_group("conv2d");
    group.sample_size(10);
    for &(name, n, h, c_in, c_out, k, s, p) in SHAPES {
        let ho = (h + 2 * p - k) / s + 1;
        let x = rng.uniform([n, h, h, c_in], -1.0, 1.0).unwrap();
        let w = rng.uniform([k, k, c_in, c_out], -0.1, 0.1).unwrap();
        let g = rng.uniform([n, ho, ho, c_out], -1.0, 1.0).unwrap();
        let opts = Conv2dOptions { strides: [s, s], padding: [(p, p); 2], ..Default::default() };
        group.throughput(Throughput::Elements((2 * n * ho * ho * c_out * c_in * k * k) as u64));
        group.bench_function(BenchmarkId::new("forward", name), |b| b.iter(|| x.conv2d(&w, &opts).unwrap()));
        // Only one operand tracks a gradient, so backward runs just that gradient's kernel.
        let (xv, wv) = (x.requires_grad(), w.requires_grad());
        let backward = |x: &Tensor, w: &Tensor| x.conv2d(w, &opts).unwrap();
        group.bench_function(BenchmarkId::new("grad_input", name), |b| {
            b.iter_batched(
                || backward(&xv, &w),
                |y| y.backward_with_grad(&g).unwrap(),
                criterion::BatchSize::PerIteration,
            )
        });
        group.bench_function(BenchmarkId::new("grad_kernel", name), |b| {
            b.iter_batched(
                || backward(&x, &wv),
                |y| y.backward_with_grad(&g).unwrap(),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, conv);
criterion_main!(benches);
