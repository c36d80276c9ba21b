//! `fovea data scenes`: writes the procedural scene world (`fovea_zoo::scenes`) as an
//! image folder with captions.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use fovea_zoo::scenes::{write_dataset, ScenesConfig, KINDS};

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Render the colour scene world: DIR/{train,val,test,novel}/<class>/*.png (25 classes:
    /// fruits, vegetables and things on tables, crates, grass and market stands) and
    /// DIR/dataset_scenes.json with five captions per image (Karpathy's layout).
    Scenes(ScenesArgs),
}

/// Options of `fovea data scenes`.
#[derive(Args, Debug)]
pub struct ScenesArgs {
    /// The folder to write.
    #[arg(long, default_value = "data/scenes")]
    out: PathBuf,
    /// Training images.
    #[arg(long, default_value_t = 20000)]
    train: usize,
    /// Validation images.
    #[arg(long, default_value_t = 2000)]
    val: usize,
    /// Test images.
    #[arg(long, default_value_t = 2000)]
    test: usize,
    /// Images of attribute-object pairs never shown in the other splits (yellow apples,
    /// green grapes, ...), for captioning.
    #[arg(long, default_value_t = 500)]
    novel: usize,
    /// Width and height in pixels (at least 32).
    #[arg(long, default_value_t = 128)]
    size: usize,
    /// The same seed writes the same files, whatever the thread count.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn run(command: &DataCommand) -> CliResult<()> {
    match command {
        DataCommand::Scenes(args) => {
            let config = ScenesConfig {
                out: args.out.clone(),
                train: args.train,
                val: args.val,
                test: args.test,
                novel: args.novel,
                size: args.size,
                seed: args.seed,
            };
            // fovea's pool sets the thread count (--threads, FOVEA_NUM_THREADS).
            let report = fovea_core::on_pool(|| write_dataset(&config))?;
            println!(
                "fovea data scenes: {} images ({} classes, {}x{}) and {} captions in {} ({:.1} s, {:.0} images/s, {} threads)",
                report.images,
                KINDS.len(),
                args.size,
                args.size,
                report.sentences,
                args.out.display(),
                report.seconds,
                report.images as f64 / report.seconds.max(1e-9),
                fovea_core::num_threads()
            );
            Ok(())
        }
    }
}
