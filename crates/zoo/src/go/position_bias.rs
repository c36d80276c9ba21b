//! The AlphaGo policy network's last trick: after the 1x1 convolution to one plane,
//! every board point gets its own bias (the paper: "a different bias for each
//! position"), which a plain convolution's single per-filter bias cannot express.

use std::any::Any;

use fovea_core::{Rng, Tensor};
use fovea_nn::layer::{layer_error, single};
use fovea_nn::{CallContext, Initializer, Layer, Result, ShapeSpec, Variable};

/// Adds a learned bias of the input's per-sample shape (one value per position and
/// channel) to every sample.
///
/// # Shapes
/// Input `(batch, h, w, c)` (any rank >= 2), weight `bias` of shape `(h, w, c)`,
/// output same as input.
pub struct PositionBias {
    name: String,
    bias_initializer: Initializer,
    bias: Option<Variable>,
}

impl PositionBias {
    /// A position bias initialised to zeros.
    pub fn new() -> Self {
        PositionBias { name: String::new(), bias_initializer: Initializer::Zeros, bias: None }
    }
}

impl Default for PositionBias {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer for PositionBias {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "PositionBias"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let x = single(self, inputs)?;
        if x.rank() < 2 || x.dims()[1..].iter().any(|d| d.is_none()) {
            return Err(layer_error(self, format!("needs a known per-sample shape, got {x}")));
        }
        Ok(vec![x.clone()])
    }

    fn build(&mut self, inputs: &[ShapeSpec], rng: &mut Rng) -> Result<()> {
        self.output_shape(inputs)?;
        let shape: Vec<usize> = inputs[0].dims()[1..].iter().map(|d| d.unwrap_or(1)).collect();
        self.bias = Some(Variable::new("bias", self.bias_initializer.init(&shape, rng)?, true));
        Ok(())
    }

    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        let x = single(self, inputs)?;
        let b = self.bias.as_ref().ok_or_else(|| layer_error(self, "called before build"))?;
        if x.dims().get(1..) != Some(b.dims()) {
            return Err(layer_error(
                self,
                format!("expected samples of shape {:?}, got input {}", b.dims(), x.shape()),
            ));
        }
        Ok(vec![x.add(b.value())?])
    }

    fn weights(&self) -> Vec<&Variable> {
        self.bias.iter().collect()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
