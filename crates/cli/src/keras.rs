//! `fovea predict MODEL.keras INPUT.npy -o OUTPUT.npy` and `fovea summary MODEL.keras`:
//! Keras models (`.keras` archives and legacy full-model `.h5` files) through
//! fovea-keras, independent of the zoo.

use std::path::{Path, PathBuf};

use fovea_core::{Rng, Tensor};
use fovea_keras::npy::{read_npy, write_npy_tensor};
use fovea_nn::CallContext;

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Whether `path` names a Keras model file (by extension: `.keras`, `.h5`, `.hdf5`).
pub fn is_keras_model(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "keras" | "h5" | "hdf5"))
}

/// Loads the model, printing weight warnings to stderr.
fn load(path: &Path) -> CliResult<fovea_keras::Loaded> {
    let loaded = fovea_keras::load_with_warnings(path)?;
    for w in &loaded.warnings {
        eprintln!("fovea: warning: {}: {w}", path.display());
    }
    Ok(loaded)
}

/// `fovea summary MODEL.keras`.
pub fn summary(path: &Path) -> CliResult<()> {
    print!("{}", load(path)?.model.summary());
    Ok(())
}

/// The files to write: `output` itself for one output; otherwise `output`'s stem +
/// `_<output name>.npy` beside it, one per output.
pub fn output_paths(output: &Path, names: &[String]) -> Vec<PathBuf> {
    if names.len() == 1 {
        return vec![output.to_path_buf()];
    }
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    names.iter().map(|n| output.with_file_name(format!("{stem}_{n}.npy"))).collect()
}

/// `fovea predict` for a Keras model: `input` is the positional array (single-input
/// models), `named` the `--input NAME=FILE.npy` pairs.
pub fn predict(model_path: &Path, input: Option<&Path>, named: &[String], output: Option<&Path>) -> CliResult<()> {
    let output = output.ok_or("predict: a Keras model needs -o OUTPUT.npy")?;
    let loaded = load(model_path)?;
    let model = &loaded.model;
    let names: Vec<String> = model.input_names().iter().map(|s| s.to_string()).collect();
    let mut files: Vec<Option<PathBuf>> = vec![None; names.len()];
    if let Some(p) = input {
        if names.len() != 1 {
            return Err(format!(
                "predict: the model has {} inputs ({}); give each as --input NAME=FILE.npy",
                names.len(),
                names.join(", ")
            )
            .into());
        }
        files[0] = Some(p.to_path_buf());
    }
    for pair in named {
        let (name, file) =
            pair.split_once('=').ok_or_else(|| format!("predict: --input expects NAME=FILE.npy, got '{pair}'"))?;
        // A single-input model also takes --input FILE.npy style pairs under its own name.
        let i = names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| format!("predict: the model has no input '{name}' (its inputs: {})", names.join(", ")))?;
        if files[i].is_some() {
            return Err(format!("predict: input '{name}' is given twice").into());
        }
        files[i] = Some(PathBuf::from(file));
    }
    let mut tensors = Vec::with_capacity(names.len());
    for (name, file) in names.iter().zip(&files) {
        let file = file.as_ref().ok_or_else(|| {
            format!("predict: no array for input '{name}' (give INPUT.npy, or --input {name}=FILE.npy)")
        })?;
        tensors.push(read_npy(file)?.to_tensor()?);
    }
    let mut rng = Rng::new(0);
    let mut ctx = CallContext::new(false, &mut rng);
    let outputs: Vec<Tensor> = model.call(&tensors, &mut ctx)?;
    for (path, (y, name)) in
        output_paths(output, &loaded.output_names).iter().zip(outputs.iter().zip(&loaded.output_names))
    {
        write_npy_tensor(path, y)?;
        println!("{name}: {:?} -> {}", y.dims(), path.display());
    }
    Ok(())
}
