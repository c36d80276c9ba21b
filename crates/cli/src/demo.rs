//! `fovea demo`: a small CNN trained end to end on fovea-core's ops alone, to show the
//! engine working (convolution, pooling, matmul, log-softmax, autodiff, seeded RNG)
//! before the layer library exists. The task is generated, so it needs no download:
//! 16x16 grey images of a horizontal, vertical, diagonal or anti-diagonal stroke at a
//! random place, under Gaussian noise.

use std::time::Instant;

use clap::Args;
use fovea_core::ops::geometry::{axis_geometry, Padding};
use fovea_core::{no_grad, Conv2dOptions, Pool2dOptions, Result, Rng, Tensor};

const SIZE: usize = 16;
const CLASSES: usize = 4;
const CLASS_NAMES: [&str; CLASSES] = ["horizontal", "vertical", "diagonal", "anti-diagonal"];

/// Options of `fovea demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Passes over the training set.
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Training images (the test set is a quarter of this).
    #[arg(long, default_value_t = 4096)]
    train_size: usize,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// SGD learning rate.
    #[arg(long, default_value_t = 0.05)]
    lr: f32,
    /// SGD momentum (Keras's form: m = momentum * m - lr * g; w += m).
    #[arg(long, default_value_t = 0.9)]
    momentum: f32,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// Images (N, 16, 16, 1) and labels.
fn make_data(rng: &mut Rng, n: usize) -> Result<(Tensor, Vec<usize>)> {
    let noise = rng.normal([n, SIZE, SIZE, 1], 0.0, 0.35)?.to_vec_f32()?;
    let mut pixels = noise;
    let mut labels = Vec::with_capacity(n);
    for img in pixels.chunks_mut(SIZE * SIZE) {
        let class = (rng.next_u64() % CLASSES as u64) as usize;
        let len = 6 + (rng.next_u64() % 7) as usize;
        let r0 = (rng.next_u64() % (SIZE - len) as u64) as usize;
        let c0 = (rng.next_u64() % (SIZE - len) as u64) as usize;
        let fixed = (rng.next_u64() % SIZE as u64) as usize;
        for t in 0..len {
            let (r, c) = match class {
                0 => (fixed, c0 + t),
                1 => (r0 + t, fixed),
                2 => (r0 + t, c0 + t),
                _ => (r0 + t, c0 + len - 1 - t),
            };
            img[r * SIZE + c] += 1.0;
        }
        labels.push(class);
    }
    Ok((Tensor::from_vec(pixels, [n, SIZE, SIZE, 1])?, labels))
}

struct Params {
    k1: Tensor,
    b1: Tensor,
    k2: Tensor,
    b2: Tensor,
    w3: Tensor,
    b3: Tensor,
}

impl Params {
    fn init(rng: &mut Rng) -> Result<Self> {
        // He-normal: std = sqrt(2 / fan_in), fan_in counting the receptive field.
        let he = |rng: &mut Rng, shape: &[usize], fan_in: usize| -> Result<Tensor> {
            Ok(rng.normal(shape, 0.0, (2.0 / fan_in as f32).sqrt())?.requires_grad())
        };
        Ok(Params {
            k1: he(rng, &[3, 3, 1, 8], 9)?,
            b1: Tensor::zeros([8])?.requires_grad(),
            k2: he(rng, &[3, 3, 8, 16], 72)?,
            b2: Tensor::zeros([16])?.requires_grad(),
            w3: he(rng, &[4 * 4 * 16, CLASSES], 256)?,
            b3: Tensor::zeros([CLASSES])?.requires_grad(),
        })
    }

    fn all(&self) -> [&Tensor; 6] {
        [&self.k1, &self.b1, &self.k2, &self.b2, &self.w3, &self.b3]
    }
}

/// 'same' 3x3 convolution options from Keras's padding rule.
fn same_3x3(h: usize, w: usize) -> Result<Conv2dOptions> {
    let gh = axis_geometry("demo", h, 3, 1, 1, Padding::Same)?;
    let gw = axis_geometry("demo", w, 3, 1, 1, Padding::Same)?;
    Ok(Conv2dOptions { padding: [(gh.pad_before, gh.pad_after), (gw.pad_before, gw.pad_after)], ..Default::default() })
}

/// Log-probabilities (N, 4) for images (N, 16, 16, 1).
fn forward(p: &Params, x: &Tensor) -> Result<Tensor> {
    let pool = Pool2dOptions::new([2, 2]);
    let h = x.conv2d(&p.k1, &same_3x3(SIZE, SIZE)?)?.add(&p.b1)?.relu()?.max_pool2d(&pool)?; // (N, 8, 8, 8)
    let h = h.conv2d(&p.k2, &same_3x3(8, 8)?)?.add(&p.b2)?.relu()?.max_pool2d(&pool)?; // (N, 4, 4, 16)
    let n = h.dims()[0];
    let logits = h.reshape([n, 4 * 4 * 16])?.matmul(&p.w3)?.add(&p.b3)?; // (N, 4)
    logits.log_softmax(-1)
}

fn one_hot(labels: &[usize]) -> Result<Tensor> {
    let mut v = vec![0.0; labels.len() * CLASSES];
    for (i, &l) in labels.iter().enumerate() {
        v[i * CLASSES + l] = 1.0;
    }
    Tensor::from_vec(v, [labels.len(), CLASSES])
}

fn correct(logp: &Tensor, labels: &[usize]) -> Result<usize> {
    let pred = logp.argmax(-1, false)?.to_vec_i64()?;
    Ok(pred.iter().zip(labels).filter(|(&p, &l)| p as usize == l).count())
}

/// Rows `idx` of the image tensor.
fn batch(x: &Tensor, idx: &[usize]) -> Result<Tensor> {
    let ids = Tensor::from_vec_i64(idx.iter().map(|&i| i as i64).collect(), [idx.len()])?;
    x.index_select(0, &ids)
}

/// Runs the demo and prints its progress.
pub fn run(args: &DemoArgs) -> std::result::Result<(), Box<dyn std::error::Error>> {
    if args.epochs == 0 || args.batch_size == 0 || args.train_size < 8 {
        return Err(format!(
            "demo: need epochs >= 1, batch_size >= 1 and train_size >= 8 (got {}, {}, {})",
            args.epochs, args.batch_size, args.train_size
        )
        .into());
    }
    if !(args.lr.is_finite() && args.lr > 0.0 && (0.0..1.0).contains(&args.momentum)) {
        return Err(format!("demo: need lr > 0 and 0 <= momentum < 1 (got {}, {})", args.lr, args.momentum).into());
    }
    let mut rng = Rng::new(args.seed);
    let (train_x, train_y) = make_data(&mut rng, args.train_size)?;
    let (test_x, test_y) = make_data(&mut rng, args.train_size / 4)?;
    let params = Params::init(&mut rng)?;
    let count: usize = params.all().iter().map(|t| t.numel()).sum();
    println!(
        "fovea demo: conv3x3(8)-relu-maxpool-conv3x3(16)-relu-maxpool-dense({CLASSES}), {count} parameters, {} threads",
        fovea_core::num_threads()
    );
    println!("task: {} ({} train / {} test images, 16x16x1)", CLASS_NAMES.join(" | "), train_y.len(), test_y.len());

    let mut velocity: Vec<Vec<f32>> = params.all().iter().map(|t| vec![0.0; t.numel()]).collect();
    for epoch in 1..=args.epochs {
        let start = Instant::now();
        let order = rng.permutation(train_y.len());
        let (mut loss_sum, mut seen, mut right) = (0.0f64, 0usize, 0usize);
        for idx in order.chunks(args.batch_size) {
            let labels: Vec<usize> = idx.iter().map(|&i| train_y[i]).collect();
            let logp = forward(&params, &batch(&train_x, idx)?)?;
            // Cross-entropy: -mean over the batch of the true class's log-probability.
            let loss = logp.mul(&one_hot(&labels)?)?.sum_all()?.mul_scalar(-1.0 / idx.len() as f32)?;
            let grads = loss.backward()?;
            for (p, v) in params.all().into_iter().zip(velocity.iter_mut()) {
                let Some(g) = grads.get(p) else { continue };
                let g = g.to_vec_f32()?;
                p.update_f32(|w| {
                    for ((w, v), g) in w.iter_mut().zip(v.iter_mut()).zip(&g) {
                        *v = args.momentum * *v - args.lr * g;
                        *w += *v;
                    }
                })?;
            }
            loss_sum += loss.to_scalar()? as f64 * idx.len() as f64;
            seen += idx.len();
            right += correct(&logp, &labels)?;
        }
        let test_right = no_grad(|| correct(&forward(&params, &test_x)?, &test_y))?;
        println!(
            "epoch {epoch}/{}: loss {:.4}, accuracy {:.3}, test accuracy {:.3} ({:.2}s)",
            args.epochs,
            loss_sum / seen as f64,
            right as f64 / seen as f64,
            test_right as f64 / test_y.len() as f64,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
