//! `fovea bench conv`: the layer shapes of the lecture's networks (issue 6), timed
//! through fovea-core's public ops, forward and each half of the backward, with
//! GFLOP/s and the share of the machine's measured FMA peak.
//!
//! Backward passes run through autodiff with only one side tracking a gradient, so
//! `grad_input` times exactly the input-gradient kernel (plus a graph walk of one node)
//! and `grad_kernel` the kernel-gradient one; the forward that builds the graph is not
//! timed. `forward_backward` times forward plus both gradients, which is what a
//! training step pays per layer and what PyTorch's `y.backward(g)` is compared with.

use clap::Args;
use fovea_core::ops::lrn::LrnOptions;
use fovea_core::{Conv2dOptions, Pool2dOptions, Result, Rng, Tensor};
use serde_json::{json, Value};

use crate::bench_timing::{time_reps, Timing};

/// Options of `fovea bench conv`.
#[derive(Args, Debug)]
pub struct ConvArgs {
    /// Comma-separated case names (see --list), or `all`.
    #[arg(long, default_value = "all")]
    shape: String,
    /// Timed repetitions per pass (after one untimed warm-up); the median counts.
    #[arg(long, default_value_t = 10)]
    reps: usize,
    /// Comma-separated passes to time: forward, grad_input, grad_kernel,
    /// forward_backward, or `all` (pooling and LRN have no grad_kernel).
    #[arg(long, default_value = "all")]
    passes: String,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// List the cases and their parameters without running them.
    #[arg(long)]
    list: bool,
}

/// A square-kernel convolution with symmetric padding, as the lecture states them.
#[derive(Clone, Copy, Debug)]
struct ConvShape {
    n: usize,
    h: usize,
    w: usize,
    c_in: usize,
    c_out: usize,
    kernel: usize,
    stride: usize,
    pad: usize,
}

impl ConvShape {
    fn out(&self, size: usize) -> usize {
        (size + 2 * self.pad - self.kernel) / self.stride + 1
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Conv(ConvShape),
    /// Max pooling 3x3 at stride 2, no padding (AlexNet's overlapping pooling), over
    /// `(n, h, w, c)`.
    MaxPool {
        n: usize,
        h: usize,
        w: usize,
        c: usize,
    },
    /// AlexNet's local response normalization over `(n, h, w, c)`.
    Lrn {
        n: usize,
        h: usize,
        w: usize,
        c: usize,
    },
    /// `(m, k) x (k, n)`: a dense layer's forward on a batch of `m`.
    Matmul {
        m: usize,
        k: usize,
        n: usize,
    },
}

#[derive(Debug)]
struct Case {
    name: &'static str,
    op: Op,
}

const fn conv(n: usize, h: usize, c_in: usize, c_out: usize, kernel: usize, stride: usize, pad: usize) -> Op {
    Op::Conv(ConvShape { n, h, w: h, c_in, c_out, kernel, stride, pad })
}

/// Issue 6's shapes. The names are the interface of bench/compare.py (it reads this
/// list through `--list --json`), so renaming one is a change to both.
const CASES: &[Case] = &[
    Case { name: "alexnet-conv1", op: conv(8, 227, 3, 96, 11, 4, 0) },
    Case { name: "alexnet-conv2", op: conv(8, 27, 96, 256, 5, 1, 2) },
    Case { name: "alexnet-conv3", op: conv(8, 13, 256, 384, 3, 1, 1) },
    Case { name: "alphago-3x3-b1", op: conv(1, 19, 192, 192, 3, 1, 1) },
    Case { name: "alphago-3x3-b16", op: conv(16, 19, 192, 192, 3, 1, 1) },
    Case { name: "alphago-first", op: conv(16, 19, 48, 192, 5, 1, 2) },
    Case { name: "conv-1x1", op: conv(8, 28, 256, 64, 1, 1, 0) },
    Case { name: "mnist", op: conv(64, 28, 32, 64, 3, 1, 1) },
    // The two convolutions of `fovea train lenet`'s network at batch 64.
    Case { name: "lenet-conv1", op: conv(64, 28, 1, 16, 5, 1, 2) },
    Case { name: "lenet-conv2", op: conv(64, 14, 16, 32, 5, 1, 2) },
    Case { name: "alexnet-pool1", op: Op::MaxPool { n: 8, h: 55, w: 55, c: 96 } },
    Case { name: "alexnet-pool2", op: Op::MaxPool { n: 8, h: 27, w: 27, c: 256 } },
    Case { name: "alexnet-pool3", op: Op::MaxPool { n: 8, h: 13, w: 13, c: 256 } },
    Case { name: "alexnet-lrn1", op: Op::Lrn { n: 8, h: 27, w: 27, c: 96 } },
    Case { name: "alexnet-lrn2", op: Op::Lrn { n: 8, h: 13, w: 13, c: 256 } },
    Case { name: "fc6", op: Op::Matmul { m: 128, k: 9216, n: 4096 } },
    Case { name: "matmul-2048", op: Op::Matmul { m: 2048, k: 2048, n: 2048 } },
];

/// The op under test as a function of its operands (input first, weights second).
type OpFn = Box<dyn Fn(&[Tensor]) -> Result<Tensor> + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    Forward,
    GradInput,
    GradKernel,
    ForwardBackward,
}

const ALL_PASSES: [Pass; 4] = [Pass::Forward, Pass::GradInput, Pass::GradKernel, Pass::ForwardBackward];

impl Pass {
    /// The passes named in `spec` (comma-separated, or `all`).
    fn parse_list(spec: &str) -> std::result::Result<Vec<Pass>, String> {
        if spec.trim() == "all" {
            return Ok(ALL_PASSES.to_vec());
        }
        spec.split(',')
            .map(str::trim)
            .map(|name| {
                ALL_PASSES.iter().copied().find(|p| p.name() == name).ok_or_else(|| {
                    let known: Vec<&str> = ALL_PASSES.iter().map(|p| p.name()).collect();
                    format!("bench conv: unknown pass '{name}'; known: {}, or all", known.join(", "))
                })
            })
            .collect()
    }

    fn name(self) -> &'static str {
        match self {
            Pass::Forward => "forward",
            Pass::GradInput => "grad_input",
            Pass::GradKernel => "grad_kernel",
            Pass::ForwardBackward => "forward_backward",
        }
    }
}

impl Op {
    fn kind(&self) -> &'static str {
        match self {
            Op::Conv(_) => "conv2d",
            Op::MaxPool { .. } => "max_pool2d",
            Op::Lrn { .. } => "local_response_norm",
            Op::Matmul { .. } => "matmul",
        }
    }

    /// Pooling and LRN have no weights, so no kernel gradient.
    fn passes(&self) -> &'static [Pass] {
        match self {
            Op::Conv(_) | Op::Matmul { .. } => {
                &[Pass::Forward, Pass::GradInput, Pass::GradKernel, Pass::ForwardBackward]
            }
            Op::MaxPool { .. } | Op::Lrn { .. } => &[Pass::Forward, Pass::GradInput, Pass::ForwardBackward],
        }
    }

    /// Multiply-add flops of one forward, or of one of the two gradients, which cost
    /// the same: `2 * N * Ho * Wo * Co * Ci * kh * kw / groups` (groups are 1 here).
    /// None for pooling and LRN, which are bound by memory, not arithmetic.
    fn flops(&self, pass: Pass) -> Option<f64> {
        let one = match *self {
            Op::Conv(s) => 2.0 * (s.n * s.out(s.h) * s.out(s.w) * s.c_out * s.c_in * s.kernel * s.kernel) as f64,
            Op::Matmul { m, k, n } => 2.0 * (m * k * n) as f64,
            Op::MaxPool { .. } | Op::Lrn { .. } => return None,
        };
        Some(if pass == Pass::ForwardBackward { 3.0 * one } else { one })
    }

    fn describe(&self) -> String {
        match *self {
            Op::Conv(s) => format!(
                "({}, {}, {}, {}) -> {}, {k}x{k}, stride {}, pad {}",
                s.n,
                s.h,
                s.w,
                s.c_in,
                s.c_out,
                s.stride,
                s.pad,
                k = s.kernel
            ),
            Op::MaxPool { n, h, w, c } => format!("({n}, {h}, {w}, {c}), 3x3 stride 2"),
            Op::Lrn { n, h, w, c } => format!("({n}, {h}, {w}, {c}), AlexNet's k=2 n=5 alpha=1e-4 beta=0.75"),
            Op::Matmul { m, k, n } => format!("({m}, {k}) x ({k}, {n})"),
        }
    }

    fn params(&self) -> Value {
        match *self {
            Op::Conv(s) => json!({
                "n": s.n, "h": s.h, "w": s.w, "c_in": s.c_in, "c_out": s.c_out,
                "kernel": s.kernel, "stride": s.stride, "pad": s.pad,
            }),
            Op::MaxPool { n, h, w, c } => json!({ "n": n, "h": h, "w": w, "c": c, "pool": 3, "stride": 2 }),
            Op::Lrn { n, h, w, c } => {
                let o = LrnOptions::alexnet();
                json!({
                    "n": n, "h": h, "w": w, "c": c,
                    "depth_radius": o.depth_radius, "bias": o.bias, "alpha": o.alpha, "beta": o.beta,
                })
            }
            Op::Matmul { m, k, n } => json!({ "m": m, "k": k, "n": n }),
        }
    }

    /// Random operands, the output gradient, and the op itself as a function of them.
    fn instantiate(&self, rng: &mut Rng) -> Result<(Vec<Tensor>, Tensor, OpFn)> {
        Ok(match *self {
            Op::Conv(s) => {
                let x = rng.uniform([s.n, s.h, s.w, s.c_in], -1.0, 1.0)?;
                let k = rng.uniform([s.kernel, s.kernel, s.c_in, s.c_out], -0.1, 0.1)?;
                let g = rng.uniform([s.n, s.out(s.h), s.out(s.w), s.c_out], -1.0, 1.0)?;
                let opts = Conv2dOptions { strides: [s.stride; 2], padding: [(s.pad, s.pad); 2], ..Default::default() };
                (vec![x, k], g, Box::new(move |t: &[Tensor]| t[0].conv2d(&t[1], &opts)))
            }
            Op::MaxPool { n, h, w, c } => {
                let x = rng.uniform([n, h, w, c], -1.0, 1.0)?;
                let opts = Pool2dOptions { pool_size: [3, 3], strides: [2, 2], padding: [(0, 0); 2] };
                let g = rng.uniform([n, (h - 3) / 2 + 1, (w - 3) / 2 + 1, c], -1.0, 1.0)?;
                (vec![x], g, Box::new(move |t: &[Tensor]| t[0].max_pool2d(&opts)))
            }
            Op::Lrn { n, h, w, c } => {
                let x = rng.uniform([n, h, w, c], -1.0, 1.0)?;
                let g = rng.uniform([n, h, w, c], -1.0, 1.0)?;
                (vec![x], g, Box::new(|t: &[Tensor]| t[0].local_response_norm(&LrnOptions::alexnet())))
            }
            Op::Matmul { m, k, n } => {
                let x = rng.uniform([m, k], -1.0, 1.0)?;
                let w = rng.uniform([k, n], -0.01, 0.01)?;
                let g = rng.uniform([m, n], -1.0, 1.0)?;
                (vec![x, w], g, Box::new(|t: &[Tensor]| t[0].matmul(&t[1])))
            }
        })
    }
}

/// Times `pass` of `f` on `inputs` (input first, weights second).
fn time_pass(
    pass: Pass,
    inputs: &[Tensor],
    grad_out: &Tensor,
    f: &(dyn Fn(&[Tensor]) -> Result<Tensor> + Sync),
    reps: usize,
) -> Result<Timing> {
    let tracks = |i: usize| match pass {
        Pass::Forward => false,
        Pass::GradInput => i == 0,
        Pass::GradKernel => i == 1,
        Pass::ForwardBackward => true,
    };
    let vars: Vec<Tensor> =
        inputs.iter().enumerate().map(|(i, t)| if tracks(i) { t.requires_grad() } else { t.clone() }).collect();
    const WARMUP: usize = 1;
    // The op runs on fovea's pool, as a model's layers do (Model::call and backward run
    // there), rather than paying a hand-off to the pool and back on each call.
    let op = |vars: &[Tensor]| fovea_core::on_pool(|| f(vars));
    match pass {
        Pass::Forward => time_reps(WARMUP, reps, || Ok(()), |()| op(&vars)),
        Pass::GradInput | Pass::GradKernel => time_reps(WARMUP, reps, || op(&vars), |y| y.backward_with_grad(grad_out)),
        Pass::ForwardBackward => time_reps(WARMUP, reps, || Ok(()), |()| op(&vars)?.backward_with_grad(grad_out)),
    }
}

fn select(spec: &str) -> std::result::Result<Vec<&'static Case>, String> {
    if spec.trim() == "all" {
        return Ok(CASES.iter().collect());
    }
    spec.split(',')
        .map(str::trim)
        .map(|name| {
            CASES.iter().find(|c| c.name == name).ok_or_else(|| {
                let known: Vec<&str> = CASES.iter().map(|c| c.name).collect();
                format!("bench conv: unknown shape '{name}'; known: {}, or all", known.join(", "))
            })
        })
        .collect()
}

/// Runs `fovea bench conv`.
pub fn run(args: &ConvArgs) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let cases = select(&args.shape)?;
    let wanted = Pass::parse_list(&args.passes)?;
    if args.reps == 0 {
        return Err("bench conv: --reps must be at least 1".into());
    }
    if args.list {
        let list: Vec<Value> = cases
            .iter()
            .map(|c| {
                let passes: Vec<&str> = c.op.passes().iter().map(|p| p.name()).collect();
                json!({ "name": c.name, "op": c.op.kind(), "desc": c.op.describe(),
                        "params": c.op.params(), "passes": passes })
            })
            .collect();
        if args.json {
            println!("{}", json!({ "cases": list }));
        } else {
            for c in &cases {
                println!("{:<16} {:<20} {}", c.name, c.op.kind(), c.op.describe());
            }
        }
        return Ok(());
    }
    let peak = fovea_core::bench::peak_gflops();
    if !args.json {
        println!(
            "fp32 peak ({}): {:.1} GFLOP/s on {} threads, {:.1} per core",
            peak.isa.name(),
            peak.gflops,
            peak.threads,
            peak.gflops_per_core
        );
        println!("{:<16} {:<17} {:>10} {:>10} {:>9} {:>7}", "case", "pass", "median ms", "min ms", "GFLOP/s", "% peak");
    }
    let mut rng = Rng::new(0);
    let mut results = Vec::new();
    for case in cases {
        let (inputs, grad_out, f) = case.op.instantiate(&mut rng)?;
        for &pass in case.op.passes().iter().filter(|p| wanted.contains(p)) {
            let t = time_pass(pass, &inputs, &grad_out, f.as_ref(), args.reps)?;
            let flops = case.op.flops(pass);
            let gflops = flops.map(|f| f / (t.median_ms * 1e-3) / 1e9);
            let pct = gflops.map(|g| 100.0 * g / peak.gflops);
            if !args.json {
                let show = |v: Option<f64>, prec: usize| v.map_or("-".to_string(), |v| format!("{v:.prec$}"));
                println!(
                    "{:<16} {:<17} {:>10.3} {:>10.3} {:>9} {:>7}",
                    case.name,
                    pass.name(),
                    t.median_ms,
                    t.min_ms,
                    show(gflops, 1),
                    show(pct, 1)
                );
            }
            results.push(json!({
                "name": case.name, "op": case.op.kind(), "desc": case.op.describe(),
                "params": case.op.params(), "pass": pass.name(),
                "median_ms": t.median_ms, "min_ms": t.min_ms, "reps": t.reps,
                "gflop": flops.map(|f| f / 1e9), "gflops": gflops, "pct_peak": pct,
            }));
        }
    }
    if args.json {
        println!(
            "{}",
            json!({
                "bench": "conv",
                "threads": fovea_core::num_threads(),
                "peak": { "isa": peak.isa.name(), "threads": peak.threads,
                          "gflops": peak.gflops, "gflops_per_core": peak.gflops_per_core },
                "results": results,
            })
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flops_follow_the_issue_formula() {
        // AlexNet conv1: 55x55 outputs, 2 * 8 * 55 * 55 * 96 * 3 * 11 * 11 flops.
        let conv1 = select("alexnet-conv1").unwrap()[0].op;
        assert_eq!(conv1.flops(Pass::Forward), Some(2.0 * 8.0 * 55.0 * 55.0 * 96.0 * 3.0 * 121.0));
        assert_eq!(conv1.flops(Pass::ForwardBackward), Some(3.0 * 2.0 * 8.0 * 55.0 * 55.0 * 96.0 * 3.0 * 121.0));
        let fc6 = select("fc6").unwrap()[0].op;
        assert_eq!(fc6.flops(Pass::GradKernel), Some(2.0 * 128.0 * 9216.0 * 4096.0));
        assert_eq!(select("alexnet-pool1").unwrap()[0].op.flops(Pass::Forward), None);
    }

    #[test]
    fn shapes_are_selected_by_name_list_or_all() {
        assert_eq!(select("all").unwrap().len(), CASES.len());
        let picked: Vec<&str> = select("mnist, fc6").unwrap().iter().map(|c| c.name).collect();
        assert_eq!(picked, ["mnist", "fc6"]);
        let err = select("mnist,vgg").unwrap_err();
        assert!(err.contains("unknown shape 'vgg'") && err.contains("alexnet-conv1"), "{err}");
        assert_eq!(Pass::parse_list("forward,forward_backward").unwrap(), [Pass::Forward, Pass::ForwardBackward]);
        assert!(Pass::parse_list("backward").unwrap_err().contains("unknown pass 'backward'"));
    }
}
