//! fovea-keras: everything that knows Keras files and strings (`.keras` archives,
//! `config.json`, HDF5 weights). Lands with the Keras-import issue.
//!
//! ```no_run
//! let model = fovea_keras::load(std::path::Path::new("model.keras"))?;
//! print!("{}", model.summary());
//! # Ok::<(), fovea_keras::Error>(())
//! ```

#![warn(missing_docs)]

pub mod archive;
pub mod config;
mod error;
mod graph;
pub mod npy;
pub mod registry;

pub use error::{Error, Result};
pub use graph::build_model;
mod load;
pub mod weights;
pub use load::model_from_json;
mod load_files;
pub use load_files::{load, load_h5_bytes, load_keras_bytes, load_with_warnings, Loaded};
pub mod export;
pub mod hdf5;
pub use export::save;
