//! `fovea bench`: throughput measurements for side-by-side comparisons
//! (bench/compare.py and bench/compare_lenet.py run these next to PyTorch and ONNX
//! Runtime). `conv` lives in bench_conv.rs, `model` in bench_model.rs, `go` in bench_go.rs; `train-step`,
//! the first of them, stays here.

use std::time::Instant;

use clap::{Args, Subcommand};
use fovea_core::{Rng, Tensor};
use fovea_nn::losses::SparseCategoricalCrossentropy;
use fovea_nn::optimizers::{Adam, AdamConfig, SGDConfig, SGD};
use fovea_nn::training::FitOptions;
use fovea_nn::{LearningRate, Optimizer};
use fovea_zoo::{lenet, lenet_with, LeNetConfig};

/// `fovea bench ...`
#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(Subcommand, Debug)]
enum BenchWhat {
    /// Convolution, pooling, LRN and matmul on the lecture networks' layer shapes:
    /// forward, grad-input, grad-kernel; median ms, GFLOP/s, % of the measured peak.
    Conv(crate::bench_conv::ConvArgs),
    /// Whole networks: LeNet and MNIST-CNN training steps, AlexNet and AlphaGo inference.
    Model(crate::bench_model::ModelArgs),
    /// Go on one thread: random playouts (19x19, 9x9) in moves/s and playouts/s, and the
    /// 48-plane feature encoding of 19x19 positions in positions/s.
    Go(crate::bench_go::GoArgs),
    /// Training steps per second of a zoo network (forward, backward, optimizer update).
    TrainStep {
        /// lenet (classic LeNet-5, SGD with momentum 0.9) or lenet-recipe (the network and
        /// Adam optimizer that `fovea train lenet` trains)
        #[arg(long, default_value = "lenet")]
        model: String,
        /// lenet-recipe's convolution filters (default: those of `fovea train lenet`).
        #[arg(long, value_delimiter = ',')]
        filters: Option<Vec<usize>>,
        #[arg(long, default_value_t = 64)]
        batch_size: usize,
        #[arg(long, default_value_t = 200)]
        steps: usize,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the benchmark and prints its result.
pub fn run(args: &BenchArgs) -> Result<(), Box<dyn std::error::Error>> {
    let (model, filters, batch_size, steps, json) = match &args.what {
        BenchWhat::Conv(a) => return crate::bench_conv::run(a),
        BenchWhat::Model(a) => return crate::bench_model::run(a),
        BenchWhat::Go(a) => return crate::bench_go::run(a),
        BenchWhat::TrainStep { model, filters, batch_size, steps, json } => (model, filters, batch_size, steps, json),
    };
    if *batch_size == 0 || *steps == 0 {
        return Err("bench: --batch-size and --steps must be at least 1".into());
    }
    let mut rng = Rng::new(0);
    let (net, optimizer): (_, Box<dyn Optimizer>) = match model.as_str() {
        "lenet" if filters.is_some() => {
            return Err("bench: --filters applies to lenet-recipe; lenet is LeNet-5 (6 and 16 filters)".into());
        }
        "lenet" => (
            lenet(10, &mut rng)?,
            Box::new(SGD::new(SGDConfig {
                learning_rate: LearningRate::Constant(0.01),
                momentum: 0.9,
                ..Default::default()
            })?),
        ),
        "lenet-recipe" => {
            let mut config = LeNetConfig::default();
            if let Some(f) = filters {
                config.filters = crate::train::two(f, "bench: --filters")?;
            }
            (lenet_with(&config, &mut rng)?, Box::new(Adam::new(AdamConfig::default())?))
        }
        other => {
            return Err(format!("bench: unknown model '{other}' (expected lenet or lenet-recipe)").into());
        }
    };
    let mut compiled = net.compile(optimizer, SparseCategoricalCrossentropy::default(), ());
    let n = batch_size * steps;
    let x = rng.uniform([n, 28, 28, 1], 0.0, 1.0)?;
    let labels: Vec<i64> = (0..n).map(|i| (i % 10) as i64).collect();
    let y = Tensor::from_vec_i64(labels, [n])?;
    let options = FitOptions { batch_size: *batch_size, epochs: 1, shuffle: false, verbose: 0, ..Default::default() };
    // Warm up: first-touch allocations and the thread pool.
    let warm = batch_size * 5.min(*steps);
    compiled.fit(&x.narrow(0, 0, warm)?, &y.narrow(0, 0, warm)?, &options, &mut [])?;
    let start = Instant::now();
    compiled.fit(&x, &y, &options, &mut [])?;
    let secs = start.elapsed().as_secs_f64();
    let ips = n as f64 / secs;
    if *json {
        println!(
            "{}",
            serde_json::json!({
                "model": model, "batch_size": batch_size, "steps": steps,
                "images_per_sec": ips, "ms_per_step": 1e3 * secs / *steps as f64,
                "threads": fovea_core::num_threads(),
            })
        );
    } else {
        println!(
            "{model} training step, batch {batch_size}: {ips:.0} images/s, {:.2} ms/step ({} threads)",
            1e3 * secs / *steps as f64,
            fovea_core::num_threads()
        );
    }
    Ok(())
}
