//! `fovea bench model`: whole networks from the zoo, a training step of the small MNIST
//! nets (where framework overhead shows) and inference of AlexNet and the AlphaGo
//! policy net, in ms per batch and images per second.
//!
//! A training step is timed as `fit` runs it (batch slicing, forward, loss, backward,
//! SGD update, running metrics), from one batch's end to the next through a callback,
//! so the numbers are what a user of `fit` gets, not an idealised loop.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use clap::Args;
use fovea_core::{no_grad, Rng, Tensor};
use fovea_nn::layers::{Conv2D, Dense, Dropout, Flatten, MaxPooling2D};
use fovea_nn::losses::SparseCategoricalCrossentropy;
use fovea_nn::optimizers::{SGDConfig, SGD};
use fovea_nn::training::{FitOptions, LambdaCallback};
use fovea_nn::{Activation, LearningRate, Model, Sequential};
use fovea_zoo::{alexnet, go::alphago_policy, lenet, AlexNetConfig};
use serde_json::{json, Value};

use crate::bench_timing::{time_reps, Timing};

/// Options of `fovea bench model`.
#[derive(Args, Debug)]
pub struct ModelArgs {
    /// Comma-separated model cases (lenet-train, mnist-cnn-train, alexnet-forward,
    /// alphago-b1, alphago-b16), or `all`.
    #[arg(long, default_value = "all")]
    model: String,
    /// Timed steps per case (default: 50 training steps, 5 AlexNet batches, 30 AlphaGo
    /// batches of 1, 10 of 16); the median counts.
    #[arg(long)]
    reps: Option<usize>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug)]
enum Net {
    /// A `fit` step of LeNet-5 on `(batch, 28, 28, 1)` images.
    LenetTrain,
    /// A `fit` step of Keras's MNIST convnet on `(batch, 28, 28, 1)` images.
    MnistCnnTrain,
    /// AlexNet inference (`training = false`, no gradients) on `(batch, 227, 227, 3)`.
    AlexnetForward,
    /// AlphaGo policy net (k = 192) inference on `(batch, 19, 19, 48)`.
    AlphagoForward,
}

impl Net {
    fn what(self) -> &'static str {
        match self {
            Net::LenetTrain | Net::MnistCnnTrain => "train_step",
            Net::AlexnetForward | Net::AlphagoForward => "inference",
        }
    }
}

#[derive(Debug)]
struct Case {
    name: &'static str,
    net: Net,
    batch: usize,
    default_reps: usize,
}

/// The names are the interface of bench/compare.py; renaming one is a change to both.
const CASES: &[Case] = &[
    Case { name: "lenet-train", net: Net::LenetTrain, batch: 64, default_reps: 50 },
    Case { name: "mnist-cnn-train", net: Net::MnistCnnTrain, batch: 64, default_reps: 50 },
    Case { name: "alexnet-forward", net: Net::AlexnetForward, batch: 8, default_reps: 5 },
    Case { name: "alphago-b1", net: Net::AlphagoForward, batch: 1, default_reps: 30 },
    Case { name: "alphago-b16", net: Net::AlphagoForward, batch: 16, default_reps: 10 },
];

/// Keras's "simple MNIST convnet" example: conv 32@3x3 relu, pool 2, conv 64@3x3 relu,
/// pool 2, flatten, dropout 0.5, dense 10 softmax (34,826 parameters).
fn mnist_cnn(rng: &mut Rng) -> fovea_nn::Result<Model> {
    Sequential::new(&[28, 28, 1])
        .name("mnist_cnn")
        .add(Conv2D::new(32, [3, 3]).activation(Activation::Relu))
        .add(MaxPooling2D::new([2, 2]))
        .add(Conv2D::new(64, [3, 3]).activation(Activation::Relu))
        .add(MaxPooling2D::new([2, 2]))
        .add(Flatten::new())
        .add(Dropout::new(0.5))
        .add(Dense::new(10).activation(Activation::Softmax))
        .build(rng)
}

/// Median time of `reps` `fit` steps of `net` (SGD lr 0.01 momentum 0.9, sparse
/// categorical cross-entropy) at `batch`, after 3 untimed steps.
fn time_train_step(net: Model, batch: usize, reps: usize, rng: &mut Rng) -> fovea_nn::Result<Timing> {
    const WARMUP: usize = 3;
    let optimizer =
        SGD::new(SGDConfig { learning_rate: LearningRate::Constant(0.01), momentum: 0.9, ..Default::default() })?;
    let mut compiled = net.compile(optimizer, SparseCategoricalCrossentropy::default(), ());
    let n = batch * (WARMUP + reps);
    let x = rng.uniform([n, 28, 28, 1], 0.0, 1.0)?;
    let y = Tensor::from_vec_i64((0..n).map(|i| (i % 10) as i64).collect(), [n])?;
    let stamps = Rc::new(RefCell::new(Vec::with_capacity(n / batch + 1)));
    let (at_start, at_batch) = (stamps.clone(), stamps.clone());
    let mut clock = LambdaCallback::new()
        .on_epoch_begin(move |_, _| {
            at_start.borrow_mut().push(Instant::now());
            Ok(())
        })
        .on_batch_end(move |_, _, _| {
            at_batch.borrow_mut().push(Instant::now());
            Ok(())
        });
    let options = FitOptions { batch_size: batch, epochs: 1, shuffle: false, verbose: 0, ..Default::default() };
    compiled.fit(&x, &y, &options, &mut [&mut clock])?;
    let stamps = stamps.borrow();
    let steps_ms: Vec<f64> = stamps.windows(2).map(|w| (w[1] - w[0]).as_secs_f64() * 1e3).skip(WARMUP).collect();
    Ok(Timing::from_samples(steps_ms))
}

/// Median time of `reps` inference batches of `net` on random `(batch, ...)` input.
fn time_inference(net: &Model, input: &[usize], batch: usize, reps: usize, rng: &mut Rng) -> fovea_nn::Result<Timing> {
    let mut dims = vec![batch];
    dims.extend_from_slice(input);
    let x = rng.uniform(dims, 0.0, 1.0)?;
    let mut call_rng = Rng::new(1);
    Ok(time_reps(2, reps, || Ok(()), |()| no_grad(|| net.forward(&x, false, &mut call_rng)).map_err(core_error))?)
}

/// `time_reps` speaks fovea-core's error; a model call's error travels inside it as text.
fn core_error(e: fovea_nn::Error) -> fovea_core::Error {
    match e {
        fovea_nn::Error::Core(c) => c,
        other => fovea_core::Error::Argument { op: "bench model", msg: other.to_string() },
    }
}

fn select(spec: &str) -> Result<Vec<&'static Case>, String> {
    if spec.trim() == "all" {
        return Ok(CASES.iter().collect());
    }
    spec.split(',')
        .map(str::trim)
        .map(|name| {
            CASES.iter().find(|c| c.name == name).ok_or_else(|| {
                let known: Vec<&str> = CASES.iter().map(|c| c.name).collect();
                format!("bench model: unknown model '{name}'; known: {}, or all", known.join(", "))
            })
        })
        .collect()
}

fn run_case(case: &Case, reps: usize, rng: &mut Rng) -> fovea_nn::Result<Timing> {
    match case.net {
        Net::LenetTrain => time_train_step(lenet(10, rng)?, case.batch, reps, rng),
        Net::MnistCnnTrain => time_train_step(mnist_cnn(rng)?, case.batch, reps, rng),
        Net::AlexnetForward => {
            let net = alexnet(&AlexNetConfig::default(), rng)?;
            time_inference(&net, &[227, 227, 3], case.batch, reps, rng)
        }
        Net::AlphagoForward => {
            let net = alphago_policy(192, rng)?;
            time_inference(&net, &[19, 19, 48], case.batch, reps, rng)
        }
    }
}

/// Runs `fovea bench model`.
pub fn run(args: &ModelArgs) -> Result<(), Box<dyn std::error::Error>> {
    let cases = select(&args.model)?;
    if args.reps == Some(0) {
        return Err("bench model: --reps must be at least 1".into());
    }
    if !args.json {
        println!(
            "{:<16} {:<10} {:>5} {:>10} {:>10} {:>10}",
            "model", "what", "batch", "median ms", "min ms", "images/s"
        );
    }
    let mut rng = Rng::new(0);
    let mut results: Vec<Value> = Vec::new();
    for case in cases {
        let t = run_case(case, args.reps.unwrap_or(case.default_reps), &mut rng)?;
        let what = case.net.what();
        let ips = case.batch as f64 / (t.median_ms * 1e-3);
        if !args.json {
            println!(
                "{:<16} {:<10} {:>5} {:>10.3} {:>10.3} {:>10.0}",
                case.name, what, case.batch, t.median_ms, t.min_ms, ips
            );
        }
        results.push(json!({
            "name": case.name, "what": what, "batch": case.batch,
            "median_ms": t.median_ms, "min_ms": t.min_ms, "reps": t.reps, "images_per_s": ips,
        }));
    }
    if args.json {
        println!("{}", json!({ "bench": "model", "threads": fovea_core::num_threads(), "results": results }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnist_cnn_matches_the_keras_example() {
        let net = mnist_cnn(&mut Rng::new(0)).unwrap();
        assert!(net.summary().contains("Total params: 34,826"), "{}", net.summary());
    }

    #[test]
    fn unknown_models_are_named_in_the_error() {
        let err = select("lenet-train,resnet").unwrap_err();
        assert!(err.contains("unknown model 'resnet'") && err.contains("alphago-b16"), "{err}");
        assert_eq!(select("all").unwrap().len(), CASES.len());
    }
}
