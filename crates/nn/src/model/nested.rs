//! A built [`Model`] used as a layer of another model (Keras's nested models: a
//! `Sequential` or `Functional` model called inside a bigger graph).
//!
//! The inner model is already built, so `build` only checks the shapes; its weights are
//! the outer model's weights too (in the inner model's order), so loading and
//! `summary()` see them.

use std::any::Any;

use fovea_core::{Rng, Tensor};

use super::{Model, ModelKind};
use crate::layer::layer_error;
use crate::{CallContext, Layer, Result, ShapeSpec, Variable};

impl Model {
    /// Whether `given` can flow into an input declared as `want`: same rank, equal
    /// where both are known.
    fn fits(want: &ShapeSpec, given: &ShapeSpec) -> bool {
        want.rank() == given.rank()
            && want.dims().iter().zip(given.dims()).all(|(w, g)| w.zip(*g).is_none_or(|(w, g)| w == g))
    }
}

impl Layer for Model {
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
    }
    fn class_name(&self) -> &'static str {
        match self.kind {
            ModelKind::Sequential => "Sequential",
            ModelKind::Functional => "Functional",
        }
    }

    /// The inner model's output specs, with the batch axis of the first input.
    fn output_shape(&self, inputs: &[ShapeSpec]) -> Result<Vec<ShapeSpec>> {
        let want = self.input_specs();
        if inputs.len() != want.len() {
            return Err(layer_error(self, format!("expects {} inputs, got {}", want.len(), inputs.len())));
        }
        for ((w, g), name) in want.iter().zip(inputs).zip(self.input_names()) {
            if !Self::fits(w, g) {
                return Err(layer_error(self, format!("input '{name}' expects shape {w}, got {g}")));
            }
        }
        let batch = inputs.first().and_then(|s| s.dims().first().copied()).flatten();
        Ok(self
            .output_specs()
            .into_iter()
            .map(|mut s| {
                if let Some(first) = s.0.first_mut() {
                    *first = first.or(batch);
                }
                s
            })
            .collect())
    }

    /// Already built: only checks that the shapes fit.
    fn build(&mut self, inputs: &[ShapeSpec], _rng: &mut Rng) -> Result<()> {
        self.output_shape(inputs).map(|_| ())
    }

    fn call(&self, inputs: &[Tensor], ctx: &mut CallContext) -> Result<Vec<Tensor>> {
        Model::call(self, inputs, ctx)
    }

    fn weights(&self) -> Vec<&Variable> {
        Model::weights(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use fovea_core::{Rng, Tensor};

    use crate::layers::Dense;
    use crate::model::{Functional, Sequential};
    use crate::{CallContext, Layer, Model};

    #[test]
    fn a_model_called_as_a_layer_computes_what_it_computes_alone() {
        let mut rng = Rng::new(3);
        let inner = Sequential::new(&[4]).name("inner").add(Dense::new(3)).build(&mut rng).unwrap();
        let x = Tensor::from_vec((0..8).map(|i| i as f32 * 0.25 - 1.0).collect(), [2, 4]).unwrap();
        let alone = inner.forward(&x, false, &mut rng).unwrap().to_vec_f32().unwrap();

        let mut f = Functional::new("outer");
        let i = f.input(&[4]);
        let id = f.add_boxed(Box::new(inner));
        let y = f.call(id, &[i]).unwrap()[0];
        let y = f.apply(Dense::new(2), &[y]).unwrap();
        let outer = f.build(&[y], &mut rng).unwrap();
        assert_eq!(outer.count_params(), 4 * 3 + 3 + 3 * 2 + 2);
        let nested = outer.layer("inner").unwrap();
        assert_eq!(nested.class_name(), "Sequential");
        let nested = nested.as_any().downcast_ref::<Model>().unwrap();
        let mut ctx = CallContext::new(false, &mut rng);
        let again = Layer::call(nested, std::slice::from_ref(&x), &mut ctx).unwrap()[0].to_vec_f32().unwrap();
        assert_eq!(alone, again);
        assert!(outer.summary().contains("inner (Sequential)"));
    }

    #[test]
    fn a_nested_model_rejects_an_input_of_the_wrong_shape() {
        let mut rng = Rng::new(3);
        let inner = Sequential::new(&[4]).name("inner").add(Dense::new(3)).build(&mut rng).unwrap();
        let mut f = Functional::new("outer");
        let i = f.input(&[5]);
        let id = f.add_boxed(Box::new(inner));
        let err = f.call(id, &[i]).unwrap_err().to_string();
        assert!(err.contains("inner (Sequential)") && err.contains("(None, 4)") && err.contains("(None, 5)"), "{err}");
    }
}
