//! `Embedding`: a lookup table from integer ids to dense vectors.

use std::any::Any;

use fovea_core::{DType, Rng, Tensor};

use crate::layer::{layer_error, single};
use crate::layers::common::{activity_penalty, kernel_variable};
use crate::{CallContext, Constraint, Initializer, Layer, Regularizer, Result, ShapeSpec, Variable};

/// Keras's `Embedding` arguments, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingConfig {
    /// Vocabulary size: ids must lie in `0..input_dim`.
    pub input_dim: usize,
    /// Size of each embedding vector.
    pub output_dim: usize,
    /// Default Keras's `"uniform"`: `RandomUniform(-0.05, 0.05)`.
    pub embeddings_initializer: Initializer,
    /// Penalty on the table.
    pub embeddings_regularizer: Option<Regularizer>,
    /// Penalty on the output (Keras serializes it in `Embedding`'s config).
    pub activity_regularizer: Option<Regularizer>,
    /// Projection of the table after each update.
    pub embeddings_constraint: Option<Constraint>,
    /// Whether id 0 is padding to be masked downstream (default false). Stored for
    /// export only: fovea has no masks yet, so it does not change any computation.
    pub mask_zero: bool,
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        EmbeddingConfig {
            input_dim: 0,
            output_dim: 0,
            embeddings_initializer: Initializer::random_uniform(),
            embeddings_regularizer: None,
            activity_regularizer: None,
            embeddings_constraint: None,
            mask_zero: false,
        }
    }
}

/// Looks up row `id` of the `embeddings` table for every id of the input.
///
/// Ids are int64; float ids are truncated toward zero first, as Keras casts them to
/// int32. An id outside `0..input_dim` is an error (Keras's JAX backend would return
/// NaN rows for ids past the end and wrap negative ones; its documented contract is
/// non-negative ids below `input_dim`). The gradient of a row is the sum over every
/// place its id occurs.
///
/// # Shapes
/// Input ids of any shape `(batch, ...)`; table `(input_dim, output_dim)`; output
/// `(batch, ..., output_dim)`.
pub struct Embedding {
    name: String,
    config: EmbeddingConfig,
    embeddings: Option<Variable>,
}

impl Embedding {
    /// An embedding of `input_dim` ids into `output_dim` dimensions, with Keras's other
    /// defaults.
    pub fn new(input_dim: usize, output_dim: usize) -> Self {
        Self::with_config(EmbeddingConfig { input_dim, output_dim, ..Default::default() })
    }

    /// An embedding from a full configuration.
    pub fn with_config(config: EmbeddingConfig) -> Self {
        Embedding { name: String::new(), config, embeddings: None }
    }

    /// The configuration.
    pub fn config(&self) -> &EmbeddingConfig {
        &self.config
    }

    fn validate(&self) -> Result<()> {
        let c = &self.config;
        if c.input_dim == 0 {
            return Err(layer_error(self, "input_dim must be a positive integer, received input_dim=0"));
        }
        if c.output_dim == 0 {
            return Err(layer_error(self, "output_dim must be a positive integer, received output_dim=0"));
        }
        Ok(())
    }
}

impl Layer for Embedding {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Embedding"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.validate()?;
        let mut out = x.clone();
        out.0.push(Some(self.config.output_dim));
        Ok(vec![out])
    }

    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        self.output_shape(inputs)?;
        let c = &self.config;
        self.embeddings = Some(kernel_variable(
            "embeddings",
            &[c.input_dim, c.output_dim],
            &c.embeddings_initializer,
            c.embeddings_regularizer,
            &c.embeddings_constraint,
            rng,
        )?);
        Ok(())
    }

    fn call(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        let table = self.embeddings.as_ref().ok_or_else(|| layer_error(self, "called before build"))?;
        let ids = if x.dtype() == DType::I64 { x.clone() } else { x.to_dtype(DType::I64)? };
        let n = self.config.input_dim;
        if let Some(&bad) = ids.to_vec_i64()?.iter().find(|&&i| i < 0 || i >= n as i64) {
            return Err(layer_error(
                self,
                format!(
                    "id {bad} is out of range: ids must be in [0, {n}) for input_dim={n} (input shape {})",
                    x.shape()
                ),
            ));
        }
        let y = table.value().index_select(0, &ids)?;
        activity_penalty(&self.config.activity_regularizer, &y, ctx)?;
        Ok(vec![y])
    }

    fn weights(&self) -> Vec<&Variable> {
        self.embeddings.iter().collect()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
