//! Merge layers: element-wise `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`,
//! `Minimum`, and `Concatenate`. None has weights.
//!
//! Element-wise merges follow Keras's `Merge` base class: the batch sizes must agree,
//! the per-sample shapes broadcast right-aligned (a size-1 axis stretches), and inputs
//! of lower rank get size-1 axes inserted after the batch axis until all ranks are
//! equal, so `(batch, 4)` merges with `(batch, 3, 4)` as `(batch, 1, 4)`.
//! Keras's masks (OR-ed across inputs) are not supported: fovea has no masks yet.

use std::any::Any;

use fovea_core::Tensor;

use crate::layer::layer_error;
use crate::{CallContext, Layer, Result, ShapeSpec};

fn list(shapes: &[ShapeSpec]) -> String {
    shapes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
}

fn specs(inputs: &[Tensor]) -> Vec<ShapeSpec> {
    inputs.iter().map(|t| ShapeSpec::of(t.shape())).collect()
}

/// The output shape of an element-wise merge of `inputs` (Keras's `Merge.build` and
/// `compute_output_shape`).
fn elementwise_shape(layer: &dyn Layer, inputs: &[ShapeSpec], exactly: Option<usize>) -> Result<ShapeSpec> {
    match exactly {
        Some(n) if inputs.len() != n => {
            return Err(layer_error(
                layer,
                format!("should be called on exactly {n} inputs, received {} (shapes: {})", inputs.len(), list(inputs)),
            ));
        }
        _ if inputs.is_empty() => {
            return Err(layer_error(layer, "should be called on a list of at least 1 input, received 0"));
        }
        _ => {}
    }
    if let Some(s) = inputs.iter().find(|s| s.rank() == 0) {
        return Err(layer_error(layer, format!("inputs need a batch axis, got shape {s} (shapes: {})", list(inputs))));
    }
    let mut batch = None;
    for s in inputs {
        match (batch, s.0[0]) {
            (Some(b), Some(d)) if b != d => {
                return Err(layer_error(
                    layer,
                    format!("cannot merge tensors with different batch sizes, received shapes {}", list(inputs)),
                ));
            }
            (None, Some(d)) => batch = Some(d),
            _ => {}
        }
    }
    // Per-sample dims, right-aligned (Keras's `_compute_elemwise_op_output_shape`).
    let mut out: Vec<Option<usize>> = inputs[0].0[1..].to_vec();
    for s in &inputs[1..] {
        let other = &s.0[1..];
        let (long, short) = if out.len() >= other.len() { (out.clone(), other) } else { (other.to_vec(), &out[..]) };
        let offset = long.len() - short.len();
        let mut merged = long[..offset].to_vec();
        for (&i, &j) in long[offset..].iter().zip(short) {
            merged.push(match (i, j) {
                (None, _) | (_, None) => None,
                (Some(1), j) => j,
                (i, Some(1)) => i,
                (Some(i), Some(j)) if i == j => Some(i),
                _ => {
                    return Err(layer_error(
                        layer,
                        format!("inputs have incompatible shapes, received shapes {}", list(inputs)),
                    ));
                }
            });
        }
        out = merged;
    }
    let mut dims = vec![batch];
    dims.extend(out);
    Ok(ShapeSpec(dims))
}

/// Checks the inputs and brings them to one rank by inserting size-1 axes at axis 1,
/// as Keras's `Merge.call` does when ranks differ.
fn aligned(layer: &dyn Layer, inputs: &[Tensor], exactly: Option<usize>) -> Result<Vec<Tensor>> {
    elementwise_shape(layer, &specs(inputs), exactly)?;
    let rank = inputs.iter().map(Tensor::rank).max().unwrap_or(0);
    inputs
        .iter()
        .map(|x| {
            let mut x = x.clone();
            while x.rank() < rank {
                x = x.unsqueeze(1)?;
            }
            Ok(x)
        })
        .collect()
}

/// Left fold of a binary op over the (aligned) inputs.
fn fold(
    layer: &dyn Layer,
    xs: &[Tensor],
    op: impl Fn(&Tensor, &Tensor) -> fovea_core::Result<Tensor>,
) -> Result<Tensor> {
    let (first, rest) = xs.split_first().ok_or_else(|| layer_error(layer, "received no inputs"))?;
    let mut y = first.clone();
    for x in rest {
        y = op(&y, x)?;
    }
    Ok(y)
}

/// Defines an element-wise merge layer: a struct with only a name, and its `Layer` impl.
macro_rules! elementwise_merge {
    ($(#[$doc:meta])* $ty:ident, $class:literal, $exactly:expr, |$this:ident, $xs:ident| $merge:expr) => {
        $(#[$doc])*
        #[derive(Default)]
        pub struct $ty {
            name: String,
        }

        impl $ty {
            #[doc = concat!("A `", $class, "` layer.")]
            pub fn new() -> Self {
                Self::default()
            }
        }

        impl Layer for $ty {
            fn name(&self) -> &str {
                &self.name
            }
            fn set_name(&mut self, name: &str) {
                self.name = name.to_string();
            }
            fn class_name(&self) -> &'static str {
                $class
            }
            fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
                Ok(vec![elementwise_shape(self, inputs, $exactly)?])
            }
            fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
                let $this: &dyn Layer = self;
                let $xs = aligned($this, inputs, $exactly)?;
                Ok(vec![$merge])
            }
            fn as_any(&self) -> &dyn Any {
                self
            }
        }
    };
}

elementwise_merge!(
    /// Element-wise sum of one or more inputs.
    ///
    /// # Shapes
    /// Inputs `(batch, ...)` that broadcast together (see the module docs); output the
    /// broadcast shape.
    Add, "Add", None, |this, xs| fold(this, &xs, Tensor::add)?
);

elementwise_merge!(
    /// `inputs[0] - inputs[1]`; exactly two inputs.
    ///
    /// # Shapes
    /// Two inputs `(batch, ...)` that broadcast together; output the broadcast shape.
    Subtract, "Subtract", Some(2), |this, xs| xs[0].sub(&xs[1])?
);

elementwise_merge!(
    /// Element-wise product of one or more inputs.
    ///
    /// # Shapes
    /// Inputs `(batch, ...)` that broadcast together; output the broadcast shape.
    Multiply, "Multiply", None, |this, xs| fold(this, &xs, Tensor::mul)?
);

elementwise_merge!(
    /// Element-wise mean of one or more inputs (their sum divided by their count).
    ///
    /// # Shapes
    /// Inputs `(batch, ...)` that broadcast together; output the broadcast shape.
    Average, "Average", None, |this, xs| fold(this, &xs, Tensor::add)?.div(&Tensor::scalar(xs.len() as f32))?
);

elementwise_merge!(
    /// Element-wise maximum of one or more inputs. Where two inputs tie, the gradient
    /// goes to the earlier one (JAX would split it); ties are rare in float data.
    ///
    /// # Shapes
    /// Inputs `(batch, ...)` that broadcast together; output the broadcast shape.
    Maximum, "Maximum", None, |this, xs| fold(this, &xs, Tensor::maximum)?
);

elementwise_merge!(
    /// Element-wise minimum of one or more inputs (ties: as [`Maximum`]).
    ///
    /// # Shapes
    /// Inputs `(batch, ...)` that broadcast together; output the broadcast shape.
    Minimum, "Minimum", None, |this, xs| fold(this, &xs, Tensor::minimum)?
);

/// Joins one or more inputs along `axis` (default `-1`, Keras's).
///
/// # Shapes
/// Inputs of one rank whose dims agree except on `axis`; output has the sum of their
/// sizes on `axis` (unknown if any is unknown). `(batch, 2, 3)` and `(batch, 5, 3)` on
/// axis 1 give `(batch, 7, 3)`.
pub struct Concatenate {
    name: String,
    axis: isize,
}

impl Concatenate {
    /// Concatenation along `axis` (negative counts from the end; 0 is the batch axis).
    pub fn new(axis: isize) -> Self {
        Concatenate { name: String::new(), axis }
    }

    /// Keras's `axis`.
    pub fn axis(&self) -> isize {
        self.axis
    }
}

impl Default for Concatenate {
    fn default() -> Self {
        Self::new(-1)
    }
}

impl Layer for Concatenate {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        "Concatenate"
    }

    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let first = inputs
            .first()
            .ok_or_else(|| layer_error(self, "should be called on a list of at least 1 input, received 0"))?;
        let mismatch = || {
            layer_error(
                self,
                format!(
                    "requires inputs with matching shapes except for the concatenation axis (axis={}), received \
                     shapes {}",
                    self.axis,
                    list(inputs)
                ),
            )
        };
        let rank = first.rank();
        if inputs.iter().any(|s| s.rank() != rank) {
            return Err(mismatch());
        }
        let r = rank as isize;
        let a = if self.axis < 0 { self.axis + r } else { self.axis };
        if !(0..r).contains(&a) {
            return Err(layer_error(
                self,
                format!("axis={} is out of range for inputs of rank {rank} (shapes {})", self.axis, list(inputs)),
            ));
        }
        let a = a as usize;
        let mut out = first.0.clone();
        for s in &inputs[1..] {
            for (i, (o, &d)) in out.iter_mut().zip(&s.0).enumerate() {
                if i == a {
                    *o = o.zip(d).map(|(x, y)| x + y);
                } else {
                    match (*o, d) {
                        (Some(x), Some(y)) if x != y => return Err(mismatch()),
                        (None, d) => *o = d,
                        _ => {}
                    }
                }
            }
        }
        Ok(vec![ShapeSpec(out)])
    }

    fn call(&self, inputs: &[Tensor], _ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        self.output_shape(&specs(inputs))?;
        let refs: Vec<&Tensor> = inputs.iter().collect();
        Ok(vec![Tensor::concat(&refs, self.axis)?])
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
