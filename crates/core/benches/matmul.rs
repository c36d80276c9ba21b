//! Criterion benches of matmul: a large square product (the "90% of peak" target of
//! issue 6) and AlexNet's FC6 at batch 128. Throughput is counted in flops (`2 m k n`),
//! so criterion's "elem/s" reads as flop/s; the measured fp32 peak is printed first.
//!
//! `cargo bench -p fovea-core --bench matmul`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fovea_core::Rng;

/// (name, m, k, n)
const SHAPES: &[(&str, usize, usize, usize)] = &[("2048^3", 2048, 2048, 2048), ("fc6", 128, 9216, 4096)];

fn matmul(c: &mut Criterion) {
    let peak = fovea_core::bench::peak_gflops();
    eprintln!(
        "fp32 peak ({}): {:.1} GFLOP/s on {} threads, {:.1} per core",
        peak.isa.name(),
        peak.gflops,
        peak.threads,
        peak.gflops_per_core
    );
    let mut rng = Rng::new(0);
    let mut group = c.benchmark_group("matmul");
    group.sample_size(10);
    for &(name, m, k, n) in SHAPES {
        let a = rng.uniform([m, k], -1.0, 1.0).unwrap();
        let b = rng.uniform([k, n], -0.01, 0.01).unwrap();
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        group.bench_function(BenchmarkId::new("forward", name), |bch| bch.iter(|| a.matmul(&b).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, matmul);
criterion_main!(benches);
