//! Reshaping layers: `Flatten`, `Reshape`, `Permute`. None has weights; all keep the
//! batch axis and move only the per-sample axes.

use std::any::Any;

use fovea_core::Tensor;

use crate::layer::{layer_error, single};
use crate::layers::common::DataFormat;
use crate::{CallContext, Layer, Result, ShapeSpec};

/// Flattens every axis after the batch into one: `(batch, d1, ..., dk)` ->
/// `(batch, d1 * ... * dk)`.
///
/// With [`DataFormat::ChannelsFirst`] the input is first transposed to channels-last
/// (`(batch, c, h, w)` -> `(batch, h, w, c)`), as Keras does, so the flattened order is
/// the same whichever format the layer was given; a following `Dense` sees the same
/// feature order in both.
///
/// # Shapes
/// Input of rank >= 1; output `(batch, prod(non-batch dims))`. A rank-1 input `(batch,)`
/// becomes `(batch, 1)`. The flattened size is unknown if any non-batch dim is.
pub struct Flatten {
    name: String,
    data_format: DataFormat,
}

impl Flatten {
    /// A flatten layer for channels-last input (Keras's default `data_format`).
    pub fn new() -> Self {
        Self::with_data_format(DataFormat::ChannelsLast)
    }

    /// A flatten layer for input in `data_format`.
    pub fn with_data_format(data_format: DataFormat) -> Self {
        Flatten { name: String::new(), data_format }
    }

    /// Keras's `data_format`.
    pub fn data_format(&self) -> DataFormat {
        self.data_format
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for Flatten {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Flatten"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        if x.rank() < 1 {
            return Err(layer_error(self, format!("expects an input of rank >= 1, got shape {x}")));
        }
        let flat = if x.rank() == 1 { Some(1) } else { x.sample_numel() };
        Ok(vec![ShapeSpec(vec![x.0[0], flat])])
    }

    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        let rank = x.rank();
        if rank < 1 {
            return Err(layer_error(self, format!("expects an input of rank >= 1, got shape {}", x.shape())));
        }
        let x = if self.data_format == DataFormat::ChannelsFirst && rank > 2 {
            // (batch, c, d1, ..., dk) -> (batch, d1, ..., dk, c)
            let mut perm = vec![0];
            perm.extend(2..rank);
            perm.push(1);
            x.permute(&perm)?
        } else {
            x.clone()
        };
        let batch = x.dims()[0];
        let flat = x.dims()[1..].iter().product::<usize>();
        Ok(vec![x.reshape([batch, flat])?])
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Reshapes each sample to `target_shape` (the batch axis is kept). One entry may be
/// `-1`: it is inferred from the sample size.
///
/// # Shapes
/// Input `(batch, ...)` with `n` elements per sample; output `(batch, *target_shape)`
/// where the product of `target_shape` (with `-1` resolved) equals `n`.
pub struct Reshape {
    name: String,
    target_shape: Vec<isize>,
}

impl Reshape {
    /// A reshape to `target_shape` (batch axis excluded; at most one `-1`).
    pub fn new(target_shape: &[isize]) -> Self {
        Reshape { name: String::new(), target_shape: target_shape.to_vec() }
    }

    /// Keras's `target_shape`.
    pub fn target_shape(&self) -> &[isize] {
        &self.target_shape
    }

    /// Keras's `validate_reshape_shape`: entries >= 0 or `-1`, at most one `-1`.
    fn validate(&self) -> Result<()> {
        let t = &self.target_shape;
        if t.iter().any(|&d| d < -1) {
            return Err(layer_error(
                self,
                format!(
                    "each dimension in target_shape must be a non-negative integer, or -1 for a single \
                     unknown dimension; received target_shape={t:?}"
                ),
            ));
        }
        if t.iter().filter(|&&d| d == -1).count() > 1 {
            return Err(layer_error(
                self,
                format!("there must be at most one unknown dimension (-1) in target_shape, received {t:?}"),
            ));
        }
        Ok(())
    }

    /// The per-sample output dims for an input of shape `input` (batch first), as Keras's
    /// `compute_reshape_output_shape` on the per-sample dims: `-1` resolved when the
    /// sample size is known.
    fn resolve(&self, input: &ShapeSpec) -> Result<Vec<Option<usize>>> {
        let sample = &input.0[1..];
        self.validate()?;
        let t = &self.target_shape;
        let as_spec = |fill: Option<usize>| t.iter().map(|&d| if d == -1 { fill } else { Some(d as usize) }).collect();
        let Some(size) = sample.iter().try_fold(1usize, |acc, d| d.map(|d| acc * d)) else {
            return Ok(as_spec(None));
        };
        let known: usize = t.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product();
        let has_unknown = t.contains(&-1);
        if !has_unknown {
            if known != size {
                return Err(layer_error(
                    self,
                    format!(
                        "the total size of the tensor must be unchanged: input shape {input} has {size} elements \
                         per sample, target_shape={t:?} has {known}"
                    ),
                ));
            }
            return Ok(as_spec(None));
        }
        if known == 0 || !size.is_multiple_of(known) {
            return Err(layer_error(
                self,
                format!(
                    "the total size of the tensor must be unchanged: {size} elements per sample (input shape \
                     {input}) cannot be divided by the specified dimensions in target_shape={t:?}"
                ),
            ));
        }
        Ok(as_spec(Some(size / known)))
    }
}

impl Layer for Reshape {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Reshape"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        if x.rank() < 1 {
            return Err(layer_error(self, "expects an input with a batch axis, got a scalar shape ()"));
        }
        let mut out = vec![x.0[0]];
        out.extend(self.resolve(x)?);
        Ok(vec![ShapeSpec(out)])
    }

    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        if x.rank() < 1 {
            return Err(layer_error(self, "expects an input with a batch axis, got a scalar"));
        }
        let mut dims = vec![x.dims()[0]];
        // With every input dim known, `resolve` fills the -1, so each entry is known.
        for d in self.resolve(&ShapeSpec::of(x.shape()))? {
            dims.push(d.ok_or_else(|| layer_error(self, "internal: unresolved target dimension"))?);
        }
        Ok(vec![x.reshape(dims)?])
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Permutes the per-sample axes: `dims` is 1-based and excludes the batch axis, as in
/// Keras, so `Permute::new(&[2, 1])` swaps the two axes after the batch.
///
/// # Shapes
/// Input of rank `dims.len() + 1`; output axis `i` (1-based, after the batch) is input
/// axis `dims[i - 1]`: `(batch, 10, 64)` with `[2, 1]` -> `(batch, 64, 10)`.
pub struct Permute {
    name: String,
    dims: Vec<usize>,
}

impl Permute {
    /// A permutation of the axes after the batch, 1-based (`[2, 1]`, `[3, 1, 2]`).
    pub fn new(dims: &[usize]) -> Self {
        Permute { name: String::new(), dims: dims.to_vec() }
    }

    /// Keras's `dims`.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    fn validate(&self, rank: usize, shape: &dyn std::fmt::Display) -> Result<()> {
        let mut sorted = self.dims.clone();
        sorted.sort_unstable();
        if sorted != (1..=self.dims.len()).collect::<Vec<_>>() {
            return Err(layer_error(
                self,
                format!(
                    "invalid permutation argument dims: the set of indices in dims must be consecutive and start \
                     from 1; received dims={:?}",
                    self.dims
                ),
            ));
        }
        if rank != self.dims.len() + 1 {
            return Err(layer_error(
                self,
                format!(
                    "expects an input of rank {} (dims={:?} plus the batch axis), got shape {shape}",
                    self.dims.len() + 1,
                    self.dims
                ),
            ));
        }
        Ok(())
    }
}

impl Layer for Permute {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Permute"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        self.validate(x.rank(), x)?;
        let mut out = vec![x.0[0]];
        out.extend(self.dims.iter().map(|&d| x.0[d]));
        Ok(vec![ShapeSpec(out)])
    }

    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        self.validate(x.rank(), x.shape())?;
        let mut perm = vec![0];
        perm.extend_from_slice(&self.dims);
        Ok(vec![x.permute(&perm)?])
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
