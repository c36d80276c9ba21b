//! `fovea train`, `fovea evaluate`, `fovea predict`: LeNet on Fashion-MNIST (or any
//! folder of MNIST-format IDX files), end to end.
//!
//! A saved model is one safetensors checkpoint: weights named `<layer>/<weight>`,
//! the optimizer state, the epoch, and an architecture JSON naming the zoo network and
//! its options (general Keras-config architectures arrive with `.keras` export).

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use fovea_core::{Rng, Tensor};
use fovea_nn::data::{
    center_crop, fashion_mnist, load_digits_csv, load_mnist_dir, load_rgb, resize_shorter_side, Dataset,
};
use fovea_nn::data::{Loader, LoaderConfig, Pipeline, RandomFlip, RandomTranslation};
use fovea_nn::losses::SparseCategoricalCrossentropy;
use fovea_nn::metrics::accuracy;
use fovea_nn::optimizers::schedules::CosineDecay;
use fovea_nn::optimizers::{Adam, AdamConfig, OptimizerOptions, SGDConfig, SGD};
use fovea_nn::training::{CompiledModel, FitOptions};
use fovea_nn::{
    load_checkpoint, load_weights, plot_history, save_checkpoint, Checkpoint, LearningRate, Model, Optimizer,
};
use fovea_zoo::{lenet_with, LeNetConfig, LENET5_FILTERS, LENET5_UNITS};

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Fashion-MNIST's classes, in label order.
pub const FASHION_CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/// What `fovea train` trains.
#[derive(clap::Subcommand, Debug)]
pub enum TrainCommand {
    /// LeNet on Fashion-MNIST (or any folder of IDX files, or a digits CSV).
    Lenet(TrainArgs),
    /// The AlphaGo policy network on real Go games (SGF files, folders, the Tom kifu set).
    GoPolicy(crate::train_go::GoPolicyArgs),
    /// AlexNet's recipe on an image folder (DIR/{train,val}/<class>/), resumable.
    Alexnet(crate::train_alexnet::AlexNetArgs),
}

/// Runs `fovea train <network>`.
pub fn run(command: &TrainCommand) -> CliResult<()> {
    match command {
        TrainCommand::Lenet(args) => train(args),
        TrainCommand::GoPolicy(args) => crate::train_go::run(args),
        TrainCommand::Alexnet(args) => crate::train_alexnet::run(args),
    }
}

/// Options of `fovea train lenet`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// A folder of MNIST-format IDX files (train-images-idx3-ubyte[.gz], ...), or a digits
    /// CSV such as data/mnist_5k.csv.gz (every fifth sample held out for testing); default:
    /// Fashion-MNIST from Debian's dataset-fashion-mnist package.
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// adam or sgd (sgd uses momentum 0.9).
    #[arg(long, default_value = "adam")]
    optimizer: String,
    /// Learning rate (default: Adam 0.001, SGD 0.01).
    #[arg(long)]
    lr: Option<f32>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the model (model.safetensors) and the training curves (history.png) go.
    #[arg(long, default_value = "runs/lenet")]
    out: PathBuf,
    /// 0 silent, 1 progress bar, 2 one line per epoch (Keras's verbose).
    #[arg(long, default_value_t = 1)]
    verbose: u8,
    /// Augment training batches: none, flip (horizontal flips), shift (random shifts of
    /// up to 10%) or shift-flip. Default: flip on Fashion-MNIST (a mirrored garment is
    /// the same garment), none on any --data (a mirrored digit is not the same digit).
    #[arg(long)]
    augment: Option<String>,
    /// Decoupled weight decay of the optimizer (Keras's `weight_decay`), e.g. 1e-4.
    #[arg(long)]
    weight_decay: Option<f32>,
    /// Dropout rate after the two hidden dense layers (0 for none).
    #[arg(long, default_value_t = 0.1)]
    dropout: f32,
    /// Classic LeNet-5 convolutions (conv + ReLU) without batch normalisation.
    #[arg(long)]
    no_batch_norm: bool,
    /// Classic LeNet-5 `valid` padding in the second convolution (5x5x16 features).
    #[arg(long)]
    valid_padding: bool,
    /// Filters of the two convolutions (LeNet-5's are 6,16).
    #[arg(long, value_delimiter = ',', default_value = "16,32")]
    filters: Vec<usize>,
    /// Units of the two hidden dense layers, e.g. 120,84 (LeNet-5's).
    #[arg(long, value_delimiter = ',', default_value = "120,84")]
    units: Vec<usize>,
    /// Learning-rate schedule: cosine (Keras CosineDecay from --lr to 0 over all steps)
    /// or constant.
    #[arg(long, default_value = "cosine")]
    schedule: String,
}

/// Options of `fovea evaluate`.
#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// A model saved by `fovea train` (model.safetensors).
    #[arg(required_unless_present = "ensemble")]
    model: Option<PathBuf>,
    /// IDX folder (default Fashion-MNIST; its test split is used), or for networks
    /// trained on image folders (`train alexnet`), the image folder.
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, default_value_t = 256)]
    batch_size: usize,
    /// Image folders: the split to score.
    #[arg(long, default_value = "test")]
    split: String,
    /// Image folders: average the paper's ten crops (corners, centre, and mirrors).
    #[arg(long)]
    ten_crop: bool,
    /// Image folders: average the softmax of several models (the paper's 5 and 7 CNNs).
    #[arg(long, num_args = 1.., conflicts_with = "model")]
    ensemble: Vec<PathBuf>,
    /// Print `{"images": N, "top1": x, "top5": y}` as the last line.
    #[arg(long)]
    json: bool,
}

/// Options of `fovea predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A model saved by `fovea train`, or a Keras model: a .keras archive or a legacy
    /// full-model .h5 file (told apart by the extension).
    model: PathBuf,
    /// fovea models: images of any size and format (PNG, JPEG, BMP, WebP), each prepared
    /// as the model's evaluation does (LeNet: grey, resized to 28x28; AlexNet: shorter
    /// side resized, centre crop, mean subtracted). Keras models: the input array, one
    /// .npy file (float32, float64 or integer) with the batch axis first.
    images: Vec<PathBuf>,
    /// How many classes to list (fovea models).
    #[arg(long, default_value_t = 3)]
    top: usize,
    /// Keras models: the output .npy file (float32). A model with several outputs
    /// writes one file per output beside it: OUTPUT's stem + `_<output name>.npy`,
    /// where the name is the output's layer name (`<layer>_<k>` for the k-th of several
    /// outputs from one layer).
    #[arg(short = 'o', long = "output", value_name = "OUTPUT.npy")]
    output: Option<PathBuf>,
    /// Keras models with several inputs: one NAME=FILE.npy per input (NAME is the
    /// Keras input layer's name).
    #[arg(long = "input", value_name = "NAME=FILE.npy")]
    inputs: Vec<String>,
}

/// Fashion-MNIST by default; a folder of IDX files; or a digits CSV file, whose every
/// fifth sample is held out for testing (the shipped CSV is sorted by digit, so a tail
/// split would test on nines only).
fn load_data(data: &Option<PathBuf>) -> CliResult<(Dataset, Dataset)> {
    Ok(match data {
        Some(path) if path.is_file() => {
            let all = load_digits_csv(path)?;
            let (test_idx, train_idx): (Vec<usize>, Vec<usize>) = (0..all.len()).partition(|i| i % 5 == 4);
            let part = |idx: &[usize]| -> CliResult<Dataset> {
                let (x, y) = all.take(idx)?;
                Ok(Dataset::new(x, y)?)
            };
            (part(&train_idx)?, part(&test_idx)?)
        }
        Some(dir) => load_mnist_dir(dir)?,
        None => fashion_mnist()?,
    })
}

fn architecture(config: &LeNetConfig) -> String {
    serde_json::json!({
        "format": "fovea-zoo",
        "model": "lenet",
        "num_classes": config.num_classes,
        "batch_norm": config.batch_norm,
        "dropout": config.dropout,
        "same_padding": config.same_padding,
        "filters": config.filters,
        "units": config.units,
    })
    .to_string()
}

/// A two-number architecture field (`filters`, `units`); `None` when absent (older
/// checkpoints, which hold LeNet-5's sizes).
fn pair(value: &serde_json::Value, field: &str, path: &Path) -> CliResult<Option<[usize; 2]>> {
    if value.is_null() {
        return Ok(None);
    }
    let numbers: Option<Vec<usize>> =
        value.as_array().and_then(|a| a.iter().map(|v| v.as_u64().map(|n| n as usize)).collect());
    match numbers.as_deref() {
        Some(&[a, b]) => Ok(Some([a, b])),
        _ => Err(format!("{}: the architecture's {field} is not two sizes: {value}", path.display()).into()),
    }
}

/// Rebuilds the network a checkpoint describes and loads its weights.
pub(crate) fn load_model(path: &Path) -> CliResult<Model> {
    let ckpt = load_checkpoint(path)?;
    let arch: serde_json::Value = serde_json::from_str(&ckpt.architecture)
        .map_err(|e| format!("{}: the architecture is not JSON: {e}", path.display()))?;
    let classes = arch["num_classes"].as_u64().filter(|&c| c > 0).ok_or_else(|| {
        format!("{}: the architecture has no positive num_classes: {}", path.display(), ckpt.architecture)
    })? as usize;
    let model = match arch["model"].as_str() {
        // Checkpoints from before the recipe options were recorded hold classic LeNet-5.
        Some("lenet") => {
            let config = LeNetConfig {
                num_classes: classes,
                batch_norm: arch["batch_norm"].as_bool().unwrap_or(false),
                dropout: arch["dropout"].as_f64().unwrap_or(0.0) as f32,
                same_padding: arch["same_padding"].as_bool().unwrap_or(false),
                filters: pair(&arch["filters"], "filters", path)?.unwrap_or(LENET5_FILTERS),
                units: pair(&arch["units"], "units", path)?.unwrap_or(LENET5_UNITS),
            };
            lenet_with(&config, &mut Rng::new(0))?
        }
        other => {
            return Err(format!("{}: unknown architecture {other:?} (this version knows lenet)", path.display()).into())
        }
    };
    load_weights(&model, path)?;
    Ok(model)
}

/// A two-number command-line option such as `--filters 6,16`; `option` names it in the
/// error (`train: --filters`).
pub(crate) fn two(values: &[usize], option: &str) -> CliResult<[usize; 2]> {
    match values {
        &[a, b] => Ok([a, b]),
        _ => Err(format!("{option} takes two sizes such as 6,16, got {values:?}").into()),
    }
}

/// The learning rate of `--schedule` starting at `initial` over `steps` training steps.
fn learning_rate(args: &TrainArgs, initial: f32, steps: u64) -> CliResult<LearningRate> {
    Ok(match args.schedule.as_str() {
        "constant" => LearningRate::Constant(initial),
        "cosine" => LearningRate::Schedule(Box::new(CosineDecay::new(initial, steps.max(1))?)),
        other => return Err(format!("train: unknown --schedule '{other}' (expected cosine or constant)").into()),
    })
}

fn optimizer(args: &TrainArgs, steps: u64) -> CliResult<Box<dyn Optimizer>> {
    Ok(match args.optimizer.as_str() {
        "adam" => Box::new(Adam::new(AdamConfig {
            learning_rate: learning_rate(args, args.lr.unwrap_or(0.001), steps)?,
            options: options(args),
            ..Default::default()
        })?),
        "sgd" => Box::new(SGD::new(SGDConfig {
            learning_rate: learning_rate(args, args.lr.unwrap_or(0.01), steps)?,
            momentum: 0.9,
            options: options(args),
            ..Default::default()
        })?),
        other => return Err(format!("train: unknown optimizer '{other}' (expected adam or sgd)").into()),
    })
}

fn options(args: &TrainArgs) -> OptimizerOptions {
    OptimizerOptions { weight_decay: args.weight_decay, ..Default::default() }
}

/// `fovea train lenet`: fit with a progress bar, evaluate on the test split, save the
/// model and its training curves.
pub fn train(args: &TrainArgs) -> CliResult<()> {
    if args.epochs == 0 || args.batch_size == 0 {
        return Err("train: --epochs and --batch-size must be at least 1".into());
    }
    let config = LeNetConfig {
        num_classes: 10,
        batch_norm: !args.no_batch_norm,
        dropout: args.dropout,
        same_padding: !args.valid_padding,
        filters: two(&args.filters, "train: --filters")?,
        units: two(&args.units, "train: --units")?,
    };
    // Options are checked before the data loads.
    let model = lenet_with(&config, &mut Rng::new(args.seed))?;
    let (train, test) = load_data(&args.data)?;
    let steps = (train.len().div_ceil(args.batch_size) * args.epochs) as u64;
    let mut compiled: CompiledModel =
        model.compile(optimizer(args, steps)?, SparseCategoricalCrossentropy::default(), accuracy());
    println!(
        "fovea train lenet: {} train / {} test images, {} epochs, batch {}, {} ({} threads)",
        train.len(),
        test.len(),
        args.epochs,
        args.batch_size,
        args.optimizer,
        fovea_core::num_threads()
    );
    let options = FitOptions {
        batch_size: args.batch_size,
        epochs: args.epochs,
        validation_data: Some((test.features().into(), test.labels().into())),
        seed: args.seed,
        verbose: args.verbose,
        ..Default::default()
    };
    // Batches are gathered (and augmented) on the loader's prefetch thread while the
    // model trains on the previous one.
    let loader_config = LoaderConfig { batch_size: args.batch_size, seed: args.seed, ..Default::default() };
    let mut loader = Loader::new(train, loader_config)?;
    let shift = RandomTranslation { height_factor: 0.1, width_factor: 0.1 };
    let default_augment = if args.data.is_none() { "flip" } else { "none" };
    match args.augment.as_deref().unwrap_or(default_augment) {
        "none" => {}
        "flip" => loader = loader.with_augment(Pipeline::new().then(RandomFlip)),
        "shift" => loader = loader.with_augment(Pipeline::new().then(shift)),
        "shift-flip" => loader = loader.with_augment(Pipeline::new().then(shift).then(RandomFlip)),
        other => {
            return Err(format!("train: unknown --augment '{other}' (expected none, flip, shift or shift-flip)").into())
        }
    }
    let start = Instant::now();
    let history = compiled.fit_loader(&loader, &options, &mut [])?;
    let seconds = start.elapsed().as_secs_f64();
    let logs = compiled.evaluate(test.features(), test.labels(), 256)?;
    let acc = logs.get("accuracy").copied().unwrap_or(f64::NAN);
    println!(
        "test accuracy: {:.4} (loss {:.4}); {:.1} s per epoch",
        acc,
        logs.get("loss").copied().unwrap_or(f64::NAN),
        seconds / args.epochs as f64
    );

    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: cannot create: {e}", args.out.display()))?;
    let model_path = args.out.join("model.safetensors");
    let model = compiled.model();
    let weights = fovea_nn::named_weights(model);
    let mut metadata = std::collections::BTreeMap::new();
    metadata.insert("test_accuracy".to_string(), format!("{acc:.6}"));
    save_checkpoint(
        &model_path,
        &Checkpoint {
            architecture: architecture(&config),
            weights,
            optimizer: compiled.optimizer().state()?,
            epoch: args.epochs,
            metadata,
        },
    )?;
    let plot_path = args.out.join("history.png");
    plot_history(&history, &plot_path)?;
    println!("saved {} and {}", model_path.display(), plot_path.display());
    Ok(())
}

/// `fovea evaluate MODEL`: loss and accuracy on the test split.
pub fn evaluate(args: &EvaluateArgs) -> CliResult<()> {
    let models: Vec<PathBuf> = args.model.iter().cloned().chain(args.ensemble.iter().cloned()).collect();
    if models.iter().any(|m| crate::evaluate_images::is_image_model(m)) {
        let data = args.data.as_ref().ok_or("evaluate: --data DIR (the image folder) is needed for this model")?;
        return crate::evaluate_images::run(&models, data, &args.split, args.ten_crop, args.json);
    }
    if models.len() != 1 || args.ten_crop {
        return Err("evaluate: --ensemble and --ten-crop apply to networks trained on image folders".into());
    }
    let model = load_model(&models[0])?;
    let (_, test) = load_data(&args.data)?;
    let compiled = model.compile(optimizer_for_eval()?, SparseCategoricalCrossentropy::default(), accuracy());
    let logs = compiled.evaluate(test.features(), test.labels(), args.batch_size.max(1))?;
    println!(
        "{}: test accuracy {:.4}, loss {:.4} ({} images)",
        models[0].display(),
        logs.get("accuracy").copied().unwrap_or(f64::NAN),
        logs.get("loss").copied().unwrap_or(f64::NAN),
        test.len()
    );
    Ok(())
}

/// Evaluation needs no optimizer; `compile` wants one, so give it an idle SGD.
fn optimizer_for_eval() -> CliResult<SGD> {
    Ok(SGD::default())
}

/// `fovea predict MODEL IMAGE`: the top classes with their probabilities.
/// Turns an image file into the model's input batch of one.
type Prepare = Box<dyn Fn(&Path) -> CliResult<Tensor>>;

pub fn predict(args: &PredictArgs) -> CliResult<()> {
    if crate::keras::is_keras_model(&args.model) {
        if args.images.len() > 1 {
            return Err(
                "predict: a Keras model takes one .npy input (use --input NAME=FILE.npy for several inputs)".into()
            );
        }
        return crate::keras::predict(
            &args.model,
            args.images.first().map(|p| p.as_path()),
            &args.inputs,
            args.output.as_deref(),
        );
    }
    if args.images.is_empty() {
        return Err("predict: missing IMAGE (one or more PNG, JPEG, BMP or WebP files)".into());
    }
    let image_model = crate::evaluate_images::is_image_model(&args.model);
    let (model, classes, prepare): (Model, Vec<String>, Prepare) = if image_model {
        let m = crate::evaluate_images::load_image_model(&args.model)?;
        let (size, side, mean) = (m.input_size, m.shorter_side, m.mean);
        let prepare =
            move |p: &Path| -> CliResult<Tensor> { Ok(crate::evaluate_images::prepare_image(p, size, side, mean)?.1) };
        (m.model, m.classes, Box::new(prepare))
    } else {
        let model = load_model(&args.model)?;
        let names = FASHION_CLASSES.iter().map(|s| s.to_string()).collect();
        // LeNet's evaluation: 28x28 grey in [0, 1] (ITU-R 601 luma, as Keras's
        // `load_img(color_mode="grayscale")`).
        let prepare = |p: &Path| -> CliResult<Tensor> {
            let img = center_crop(&resize_shorter_side(&load_rgb(p)?, 28)?, 28, 28)?;
            let grey: Vec<f32> = img
                .pixels()
                .map(|px| (0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32) / 255.0)
                .collect();
            Ok(Tensor::from_vec(grey, [1, 28, 28, 1])?)
        };
        (model, names, Box::new(prepare))
    };
    let top = if image_model && args.top == 3 { 5 } else { args.top.max(1) };
    for path in &args.images {
        let probs: Tensor = model.forward(&prepare(path)?, false, &mut Rng::new(0))?;
        let p = probs.to_vec_f32()?;
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
        if args.images.len() > 1 {
            println!("{}:", path.display());
        }
        for &k in order.iter().take(top) {
            let name = classes.get(k).map(String::as_str).unwrap_or("?");
            println!("{k} {name:<12} {:.4}", p[k]);
        }
    }
    Ok(())
}
