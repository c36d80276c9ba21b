//! fovea-keras: everything that knows Keras files and strings (`.keras` archives,
//! `config.json`, HDF5 weights). Lands with the Keras-import issue.

pub mod hdf5;
