//! `fovea train alexnet`: AlexNet's recipe (Krizhevsky et al. 2012) on an image folder,
//! every piece an option, resumable epoch by epoch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use fovea_core::Rng;
use fovea_nn::data::{
    Augment, ImageFolder, Loader, LoaderConfig, Normalize, PcaColor, Pipeline, RandomCrop, RandomFlip,
};
use fovea_nn::losses::SparseCategoricalCrossentropy;
use fovea_nn::metrics::{accuracy, SparseTopKCategoricalAccuracy};
use fovea_nn::optimizers::{OptimizerOptions, SGDConfig, SGD};
use fovea_nn::training::{
    Callback, FitOptions, LambdaCallback, ReduceLROnPlateau, ReduceLROnPlateauConfig, TrainingControl,
};
use fovea_nn::{load_checkpoint, load_weights, named_weights, plot_history, save_checkpoint, Checkpoint, History};
use fovea_zoo::{alexnet, AlexNetConfig};

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Options of `fovea train alexnet`. Defaults are the paper's.
#[derive(Args, Debug)]
pub struct AlexNetArgs {
    /// An image folder: DIR/{train,val}/<class>/<image> (ImageNet's layout; `fovea data scenes` writes one).
    #[arg(long)]
    data: PathBuf,
    /// The network's input size (the paper's 224/227; 112 for 128-pixel images).
    #[arg(long, default_value_t = 227)]
    input_size: usize,
    /// Images are resized to this shorter side and centre-cropped square before the random
    /// crops (default: the paper's 256/224 of the input size).
    #[arg(long)]
    shorter_side: Option<usize>,
    /// Scales every layer's filters and units (0.25: a quarter-width AlexNet).
    #[arg(long, default_value_t = 1.0)]
    width: f32,
    /// 2: the paper's two-GPU layout (CONV2, CONV4, CONV5 in two groups).
    #[arg(long, default_value_t = 1)]
    groups: usize,
    #[arg(long, default_value_t = 90)]
    epochs: usize,
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Initial learning rate, divided by 10 when validation loss stops improving.
    #[arg(long, default_value_t = 0.01)]
    lr: f32,
    #[arg(long, default_value_t = 0.9)]
    momentum: f32,
    /// Weight decay (the paper's w -= lr * 5e-4 * w each step).
    #[arg(long, default_value_t = 5e-4)]
    weight_decay: f32,
    /// Epochs without improvement of val_loss before the rate is divided by 10.
    #[arg(long, default_value_t = 3)]
    patience: usize,
    /// Std of the PCA colour augmentation's alpha (the paper's 0.1; 0 turns it off).
    #[arg(long, default_value_t = 0.1)]
    pca_std: f32,
    /// Keras's default initialisation instead of the paper's N(0, 0.01) with biases 1.
    #[arg(long)]
    keras_init: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the run lives: checkpoint.safetensors (each epoch), model.safetensors, history.png.
    #[arg(long, default_value = "runs/alexnet")]
    out: PathBuf,
    /// Continue the run in --out from its checkpoint (starts it when there is none).
    #[arg(long)]
    resume: bool,
    /// 0 silent, 1 progress bar, 2 one line per epoch.
    #[arg(long, default_value_t = 1)]
    verbose: u8,
}

/// What `fovea evaluate` and `fovea predict` need to rebuild and feed the network.
fn architecture(config: &AlexNetConfig, classes: &[String], mean: [f32; 3], shorter_side: usize) -> String {
    serde_json::json!({
        "model": "alexnet", "num_classes": config.num_classes, "input_size": config.input_size,
        "groups": config.groups, "width": config.width, "classes": classes, "mean": mean,
        "shorter_side": shorter_side,
    })
    .to_string()
}

/// The per-channel mean of `(n, h, w, 3)` images (what AlexNet subtracts).
fn channel_mean(x: &fovea_core::Tensor) -> CliResult<[f32; 3]> {
    let m = x.mean(&[0, 1, 2], false)?.to_vec_f32()?;
    Ok([m[0], m[1], m[2]])
}

fn history_json(h: &History) -> String {
    serde_json::json!({"epochs": h.epochs, "history": h.history}).to_string()
}

fn history_from_json(text: &str) -> History {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let mut h = History::default();
    let epochs: Vec<usize> = v["epochs"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e.as_u64()).map(|e| e as usize).collect())
        .unwrap_or_default();
    for (i, e) in epochs.iter().enumerate() {
        let logs: Vec<(String, f64)> = v["history"]
            .as_object()
            .map(|o| o.iter().filter_map(|(k, s)| s.get(i).and_then(|x| x.as_f64()).map(|x| (k.clone(), x))).collect())
            .unwrap_or_default();
        let refs: Vec<(&str, f64)> = logs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        h.record(*e, &refs);
    }
    h
}

pub fn run(args: &AlexNetArgs) -> CliResult<()> {
    let shorter_side = args.shorter_side.unwrap_or((args.input_size * 256).div_ceil(224));
    if shorter_side < args.input_size {
        return Err(
            format!("train alexnet: --shorter-side {shorter_side} is below --input-size {}", args.input_size).into()
        );
    }
    let folder = ImageFolder::open(&args.data)?;
    let start = Instant::now();
    let (train, train_report) = folder.load_split("train", shorter_side, shorter_side)?;
    let (val, val_report) = folder.load_split("val", args.input_size, shorter_side)?;
    println!(
        "fovea train alexnet: {} classes, {} train / {} val images ({} skipped) decoded in {:.1} s",
        folder.classes().len(),
        train_report.loaded,
        val_report.loaded,
        train_report.skipped.len() + val_report.skipped.len(),
        start.elapsed().as_secs_f64()
    );
    let config = AlexNetConfig {
        num_classes: folder.classes().len(),
        input_size: args.input_size,
        groups: args.groups,
        width: args.width,
        paper_init: !args.keras_init,
    };
    let model = alexnet(&config, &mut Rng::new(args.seed))?;
    let mean = channel_mean(train.features())?;
    let normalize = Normalize { mean: mean.to_vec(), std: vec![1.0; 3] };
    let mut rng = Rng::new(0);
    let val_x = normalize.apply(val.features(), &mut rng)?;

    let sgd = SGD::new(SGDConfig {
        learning_rate: args.lr.into(),
        momentum: args.momentum,
        options: OptimizerOptions { weight_decay: Some(args.weight_decay), ..Default::default() },
        ..Default::default()
    })?;
    let top5 = SparseTopKCategoricalAccuracy::new(5).with_name("top5");
    let mut compiled = model.compile(sgd, SparseCategoricalCrossentropy::default(), (accuracy(), top5));

    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: cannot create: {e}", args.out.display()))?;
    let ckpt_path = args.out.join("checkpoint.safetensors");
    let arch = architecture(&config, folder.classes(), mean, shorter_side);
    let mut history = History::default();
    let mut initial_epoch = 0;
    if args.resume && ckpt_path.exists() {
        let ckpt = load_checkpoint(&ckpt_path)?;
        if ckpt.architecture != arch {
            return Err(format!(
                "train alexnet: {} was made with other options or data ({}); start a new --out",
                ckpt_path.display(),
                ckpt.architecture
            )
            .into());
        }
        load_weights(compiled.model(), &ckpt_path)?;
        compiled.optimizer_mut().load_state(&ckpt.optimizer)?;
        initial_epoch = ckpt.epoch;
        history = ckpt.metadata.get("history").map(|h| history_from_json(h)).unwrap_or_default();
        println!("resuming {} after epoch {initial_epoch}", ckpt_path.display());
    }

    // Augmentation on the loader's prefetch thread: the paper's random crops and
    // mirrors, its PCA colour shifts, then the mean subtracted.
    let mut pipeline = Pipeline::new().then(RandomCrop { height: args.input_size, width: args.input_size, padding: 0 });
    pipeline = pipeline.then(RandomFlip);
    if args.pca_std > 0.0 {
        let mut pca = PcaColor::fit(&train.features().narrow(0, 0, train.len().min(2000))?)?;
        pca.std = args.pca_std;
        pipeline = pipeline.then(pca);
    }
    pipeline = pipeline.then(normalize);
    let loader = Loader::new(train, LoaderConfig { batch_size: args.batch, seed: args.seed, ..Default::default() })?
        .with_augment(pipeline);
    let loader_rate = loader_images_per_second(&loader)?;

    let mut plateau = ReduceLROnPlateau::new(ReduceLROnPlateauConfig {
        monitor: "val_loss".into(),
        factor: 0.1,
        patience: args.patience,
        verbose: 1,
        ..Default::default()
    })?;
    let mut saver = EpochCheckpoint { path: ckpt_path.clone(), architecture: arch.clone(), history };
    let options = FitOptions {
        batch_size: args.batch,
        epochs: args.epochs,
        initial_epoch,
        validation_data: Some((val_x.into(), val.labels().into())),
        seed: args.seed,
        verbose: args.verbose,
        ..Default::default()
    };
    let mut timer = epoch_timer();
    let fit_start = Instant::now();
    compiled.fit_loader(&loader, &options, &mut [&mut timer, &mut plateau, &mut saver])?;
    let seconds = fit_start.elapsed().as_secs_f64();
    let trained = args.epochs.saturating_sub(initial_epoch);
    let images = trained * loader.dataset().len();
    let model_rate = images as f64 / seconds.max(1e-9);
    println!(
        "trained {trained} epochs in {:.0} s ({:.0} images/s, {} threads); the loader alone prepares {:.0} images/s \
         on its prefetch thread, so with prefetching a step waits on it about {:.1}% of the time (an estimate)",
        seconds,
        model_rate,
        fovea_core::num_threads(),
        loader_rate,
        100.0 * (1.0 - loader_rate / model_rate).max(0.0)
    );
    let model_path = args.out.join("model.safetensors");
    let model = compiled.model();
    save_checkpoint(
        &model_path,
        &Checkpoint {
            architecture: arch,
            weights: named_weights(model),
            epoch: args.epochs,
            metadata: saver.metadata(),
            ..Default::default()
        },
    )?;
    let plot = args.out.join("history.png");
    plot_history(&saver.history, &plot)?;
    println!("saved {} and {}", model_path.display(), plot.display());
    Ok(())
}

/// The loader's own speed: images per second over a few batches of epoch 0, with no
/// training beside it.
fn loader_images_per_second(loader: &Loader) -> CliResult<f64> {
    let start = Instant::now();
    let mut images = 0;
    for batch in loader.epoch(0, true)?.take(8) {
        images += batch?.0.dims()[0];
    }
    Ok(images as f64 / start.elapsed().as_secs_f64().max(1e-9))
}

/// Writes the run's checkpoint (weights, optimizer state with the learning rate, epochs
/// done, the history so far) after every epoch, atomically, so `--resume` continues from
/// the last finished epoch. ReduceLROnPlateau's patience counter starts over on resume.
struct EpochCheckpoint {
    path: PathBuf,
    architecture: String,
    history: History,
}

impl EpochCheckpoint {
    fn metadata(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("history".to_string(), history_json(&self.history))])
    }

    fn save(&self, path: &Path, ctl: &TrainingControl, epoch: usize) -> fovea_nn::Result<()> {
        save_checkpoint(
            path,
            &Checkpoint {
                architecture: self.architecture.clone(),
                weights: named_weights(ctl.model()),
                optimizer: ctl.optimizer().state()?,
                epoch,
                metadata: self.metadata(),
            },
        )
    }
}

impl Callback for EpochCheckpoint {
    fn on_epoch_end(
        &mut self,
        epoch: usize,
        logs: &mut fovea_nn::training::Logs,
        ctl: &mut TrainingControl,
    ) -> fovea_nn::Result<()> {
        let entries: Vec<(&str, f64)> = logs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.history.record(epoch, &entries);
        self.save(&self.path, ctl, epoch + 1)
    }
}

/// Adds each epoch's wall time to its logs (`epoch_seconds`).
fn epoch_timer() -> LambdaCallback {
    let started = std::rc::Rc::new(std::cell::Cell::new(Instant::now()));
    let s = started.clone();
    LambdaCallback::new()
        .adds_logs(&["epoch_seconds"])
        .on_epoch_begin(move |_, _| {
            s.set(Instant::now());
            Ok(())
        })
        .on_epoch_end(move |_, logs, _| {
            logs.insert("epoch_seconds".into(), started.get().elapsed().as_secs_f64());
            Ok(())
        })
}
