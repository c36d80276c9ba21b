//! `fovea export MODEL -o OUT.keras`: a Keras model file (`.keras`, legacy `.h5`) or a
//! model saved by `fovea train`, written as a Keras 3 `.keras` archive that
//! `keras.saving.load_model` opens.

use std::path::PathBuf;

use clap::Args;

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Options of `fovea export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// A Keras model (.keras, .h5) or a model saved by `fovea train` (.safetensors).
    model: PathBuf,
    /// The .keras archive to write (atomically: a temporary file, then a rename).
    #[arg(short = 'o', long = "output", value_name = "OUT.keras")]
    output: PathBuf,
}

/// Loads the model and writes the archive.
pub fn run(args: &ExportArgs) -> CliResult<()> {
    let model = if crate::keras::is_keras_model(&args.model) {
        fovea_keras::load(&args.model)?
    } else {
        crate::train::load_model(&args.model)?
    };
    fovea_keras::save(&model, &args.output)?;
    println!(
        "wrote {} ({} layers, {} parameters)",
        args.output.display(),
        model.layers().count(),
        model.count_params()
    );
    Ok(())
}
