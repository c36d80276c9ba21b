//! The `fovea` command line.

mod bench;
mod bench_conv;
mod bench_go;
mod bench_model;
mod bench_timing;
mod data;
mod demo;
mod evaluate_images;
mod export;
mod go;
mod gtp;
mod keras;
mod summary;
mod train;
mod train_alexnet;
mod train_go;
mod visualize;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "fovea", version, about = "Convolutional networks in Rust, the Keras way")]
struct Cli {
    /// Kernel threads (default: FOVEA_NUM_THREADS, else all cores).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a small CNN written directly on fovea-core's ops (conv, pool, matmul,
    /// log-softmax, autodiff, SGD with momentum) on a generated 4-class image task.
    Demo(demo::DemoArgs),
    /// Print the Keras summary table of a zoo network (alexnet, alphago-policy, lenet).
    /// Also of a Keras model file: `fovea summary MODEL.keras` (or a legacy MODEL.h5).
    Summary(summary::SummaryArgs),
    /// Train a network: `train lenet` (Fashion-MNIST or a folder of IDX files; evaluates
    /// on the test split, saves the model and its curves) or `train go-policy` (the
    /// AlphaGo policy network on real games, resumable).
    #[command(subcommand)]
    Train(train::TrainCommand),
    /// Loss and accuracy of a saved model on the test split.
    Evaluate(train::EvaluateArgs),
    /// Top classes of an image under a saved model.
    /// Keras models (.keras, .h5) run on .npy arrays: `predict MODEL.keras INPUT.npy -o OUTPUT.npy`.
    Predict(train::PredictArgs),
    /// Throughput benchmarks: `bench conv`, `bench model`, `bench train-step` (`--json` for scripts).
    Bench(bench::BenchArgs),
    /// Write a Keras model or a model saved by `fovea train` as a Keras 3 .keras archive:
    /// `export MODEL -o OUT.keras`.
    Export(export::ExportArgs),
    /// Print the engine's configuration (threads, version).
    Info,
    /// Speak GTP (Go Text Protocol) on stdin/stdout with the Go policy network, for
    /// GoGui, Sabaki, gogui-twogtp and go servers.
    Gtp(gtp::GtpArgs),
    /// Go: `go match` against GTP engines, `go eval` move prediction on game records.
    #[command(subcommand)]
    Go(go::GoCommand),
    /// Data sets: `data scenes` renders the colour scene world with captions.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// The AlexNet paper's pictures for a network from `train alexnet`: `filters`,
    /// `predictions`, `neighbours`, `confusion`.
    #[command(subcommand)]
    Visualize(visualize::VisualizeCommand),
}

/// Keeps freed buffers in the process. A training step allocates and frees the same
/// few-megabyte activations every time; glibc's defaults serve those with mmap and
/// hand them back on free (or trim the heap top), so each step page-faults its whole
/// working set in again: on LeNet at batch 64 that was a third of the step on two
/// threads. Returns false where glibc refuses a value.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() -> bool {
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20) == 1 && libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30) == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() -> bool {
    true
}

fn main() -> ExitCode {
    let _ = keep_freed_memory();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fovea: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    // Validate the environment up front so a typo in FOVEA_NUM_THREADS or
    // FOVEA_DENORMALS is reported, not silently replaced by the default.
    let env_threads = fovea_core::num_threads_from_env()?;
    fovea_core::flush_denormals_from_env()?;
    if let Some(n) = cli.threads.or(env_threads) {
        fovea_core::set_num_threads(n)?;
    }
    match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Summary(args) => summary::run(&args),
        Command::Train(command) => train::run(&command),
        Command::Bench(args) => bench::run(&args),
        Command::Evaluate(args) => train::evaluate(&args),
        Command::Predict(args) => train::predict(&args),
        Command::Export(args) => export::run(&args),
        Command::Gtp(args) => gtp::run(&args),
        Command::Go(command) => go::run(&command),
        Command::Data(command) => data::run(&command),
        Command::Visualize(command) => visualize::run(&command),
        Command::Info => {
            println!("fovea {}", env!("CARGO_PKG_VERSION"));
            println!("threads: {}", fovea_core::num_threads());
            Ok(())
        }
    }
}
