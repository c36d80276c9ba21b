//! Six programs that use fovea the way a Keras or PyTorch user would, each beside its
//! Keras (or PyTorch) equivalent in a comment so that their lengths can be compared:
//!
//! | example | what it shows |
//! |---|---|
//! | `fit_with_callbacks` | a Sequential CNN on real digits with EarlyStopping, ReduceLROnPlateau, ModelCheckpoint |
//! | `functional_multi_io` | a Functional model with an image and a word input and two outputs, losses and metrics per output |
//! | `custom_training_loop` | forward, loss, `backward`, `optimizer.step` on tensors |
//! | `custom_layer` | a layer with its own weight, trained by `fit` |
//! | `save_load_export` | weights to safetensors and back, the model to a `.keras` file and back |
//! | `fine_tune_keras` | a model saved by Keras 3, its base frozen, its head trained |
//!
//! Run one with `cargo run --release -p fovea-examples --example fit_with_callbacks`;
//! `cargo test -p fovea-examples` runs them all.

/// A file shipped in the repository, by its path from the repository root.
pub fn repo_file(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}
