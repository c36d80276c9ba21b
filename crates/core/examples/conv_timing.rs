//! Times `Tensor::conv2d` forward, forward + grad-input and forward + grad-kernel on the
//! issue-6 shapes through the public API, the same passes that `conv_timing_torch.py`
//! times in PyTorch. Medians in ms, one line per shape and pass.
//!
//! `cargo run --release -p fovea-core --example conv_timing -- [filter] [--reps N] [--cpu]`
//!
//! `--cpu` times by this thread's CPU time (Linux schedstat), which leaves out the time
//! other processes hold the core on a busy machine; only meaningful with
//! `FOVEA_NUM_THREADS=1`. Compare with `conv_timing_torch.py --threads 1 --cpu`.

use std::time::Instant;

use fovea_core::{Conv2dOptions, Result, Rng};

/// (name, n, h, w, c_in, c_out, k, stride, pad)
type Shape = (&'static str, usize, usize, usize, usize, usize, usize, usize, usize);

const SHAPES: &[Shape] = &[
    ("alex1", 8, 227, 227, 3, 96, 11, 4, 0),
    ("alex2", 8, 27, 27, 96, 256, 5, 1, 2),
    ("alex3", 8, 13, 13, 256, 384, 3, 1, 1),
    ("go3_b1", 1, 19, 19, 192, 192, 3, 1, 1),
    ("go3_b16", 16, 19, 19, 192, 192, 3, 1, 1),
    ("go5_b16", 16, 19, 19, 48, 192, 5, 1, 2),
    ("pw", 8, 28, 28, 256, 64, 1, 1, 0),
    ("mnist", 64, 28, 28, 32, 64, 3, 1, 1),
    ("lenet1", 64, 28, 28, 1, 6, 5, 1, 2),
    ("lenet2", 64, 14, 14, 6, 16, 5, 1, 0),
];

/// This thread's time on a CPU in ms; the yield makes the kernel bring it up to date.
fn cpu_ms() -> f64 {
    std::thread::yield_now();
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 1e6
}

fn median_ms(reps: usize, cpu: bool, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let start = Instant::now();
    let now = || if cpu { cpu_ms() } else { start.elapsed().as_secs_f64() * 1e3 };
    f()?;
    let mut t = Vec::with_capacity(reps);
    for _ in 0..reps {
        let s = now();
        f()?;
        t.push(now() - s);
    }
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps = args.iter().position(|a| a == "--reps").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(20);
    let filter = args.first().filter(|a| !a.starts_with("--")).cloned().unwrap_or_default();
    let cpu = args.iter().any(|a| a == "--cpu");
    let mut rng = Rng::new(1);
    for &(name, n, h, w, ci, co, k, s, pad) in SHAPES {
        let exact = SHAPES.iter().any(|s| filter.split(',').any(|f| f == s.0));
        if !filter.split(',').any(|f| if exact { name == f } else { name.contains(f) }) {
            continue;
        }
        let x = rng.uniform([n, h, w, ci], -1.0, 1.0)?;
        let kern = rng.uniform([k, k, ci, co], -0.1, 0.1)?;
        let opts = Conv2dOptions { strides: [s, s], padding: [(pad, pad); 2], ..Default::default() };
        let y = x.conv2d(&kern, &opts)?;
        let dy = rng.uniform(y.dims().to_vec(), -1.0, 1.0)?;
        let ho = y.dims()[1];
        let gflop = 2.0 * (n * ho * y.dims()[2] * co * ci * k * k) as f64 / 1e9;
        let fwd = median_ms(reps, cpu, || x.conv2d(&kern, &opts).map(drop))?;
        let (xg, kg) = (x.requires_grad(), kern.requires_grad());
        let dx = median_ms(reps, cpu, || xg.conv2d(&kern, &opts)?.backward_with_grad(&dy).map(drop))?;
        let dw = median_ms(reps, cpu, || x.conv2d(&kg, &opts)?.backward_with_grad(&dy).map(drop))?;
        let all = median_ms(reps, cpu, || xg.conv2d(&kg, &opts)?.backward_with_grad(&dy).map(drop))?;
        println!(
            "{name:8} fwd {fwd:8.3} ms ({:6.1} GF/s)  fwd+dx {dx:8.3}  fwd+dw {dw:8.3}  fwd+both {all:8.3}",
            gflop / fwd * 1e3
        );
    }
    Ok(())
}
