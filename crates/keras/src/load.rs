//! The public entry points: a model from a config alone, or from a `.keras` archive or
//! a legacy `.h5` file with its weights.

use fovea_nn::Model;

use crate::build_model;
use crate::config::parse_config;
use crate::Result;

/// Builds the model a Keras config JSON describes (the `config.json` of a `.keras`
/// archive, or `model.to_json()`), with freshly initialised weights: Keras's
/// `model_from_json`.
pub fn model_from_json(json: &str) -> Result<Model> {
    build_model(&parse_config(json, None)?)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
