//! What `fit`, `evaluate` and `predict` take as `x` and `y`: one tensor, several by
//! position, or several by name (Keras's single array, list, or dict).

use fovea_core::Tensor;

use super::compile::model_error;
use crate::{Model, Result};

/// Inputs or targets of a model: one tensor (single-input or single-output models),
/// tensors by position (in the model's input or output order), or tensors by name (input
/// layer names for `x`, output layer names for `y`), as Keras takes an array, a list or
/// a dict.
///
/// Conversions make call sites short: `&x`, `vec![a, b]`, `[&a, &b]`,
/// `[("image", &img), ("words", &words)]` all become `Data`.
///
/// ```
/// use fovea_core::Tensor;
/// use fovea_nn::training::Data;
/// let img = Tensor::zeros([4, 8])?;
/// let words = Tensor::zeros([4, 3])?;
/// let by_name: Data = [("img", &img), ("words", &words)].into();
/// let by_position: Data = [&img, &words].into();
/// assert_eq!((by_name.len(), by_position.len()), (2, 2));
/// # Ok::<(), fovea_nn::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Data {
    /// One tensor.
    One(Tensor),
    /// Tensors in the model's input (or output) order.
    List(Vec<Tensor>),
    /// Tensors by input (or output) name.
    Named(Vec<(String, Tensor)>),
}

impl Data {
    /// How many tensors this holds.
    pub fn len(&self) -> usize {
        match self {
            Data::One(_) => 1,
            Data::List(v) => v.len(),
            Data::Named(v) => v.len(),
        }
    }

    /// True when it holds no tensor.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tensors in the order of `names` (the model's inputs or its outputs that need a
    /// target). `what` says which (`input`, `target`) for error messages; `slots` is the
    /// number of positions a list must fill (all inputs, or all outputs).
    ///
    /// A single tensor fills a single slot; a list fills the slots in order (only those
    /// in `wanted`, which indexes into the slots); names must be among `names` and
    /// cover every wanted one.
    pub(crate) fn resolve(&self, model: &Model, what: &str, names: &[String], wanted: &[usize]) -> Result<Vec<Tensor>> {
        match self {
            Data::One(t) => {
                if names.len() != 1 {
                    return Err(model_error(
                        model,
                        format!(
                            "the model has {} {what}s ({}) but one tensor was given; pass a list or \
                             name them: [({:?}, ...), ...]",
                            names.len(),
                            names.join(", "),
                            names.first().map_or("", String::as_str)
                        ),
                    ));
                }
                Ok(wanted.iter().map(|_| t.clone()).collect())
            }
            Data::List(v) => {
                if v.len() != names.len() {
                    return Err(model_error(
                        model,
                        format!(
                            "expected {} {what} tensors ({}), got a list of {}",
                            names.len(),
                            names.join(", "),
                            v.len()
                        ),
                    ));
                }
                Ok(wanted.iter().map(|&i| v[i].clone()).collect())
            }
            Data::Named(v) => {
                for (name, _) in v {
                    if !names.contains(name) {
                        return Err(model_error(
                            model,
                            format!("no {what} is named '{name}'; the model's {what}s are: {}", names.join(", ")),
                        ));
                    }
                }
                wanted
                    .iter()
                    .map(|&i| {
                        v.iter().find(|(n, _)| *n == names[i]).map(|(_, t)| t.clone()).ok_or_else(|| {
                            model_error(
                                model,
                                format!(
                                    "missing {what} '{}' (given: {})",
                                    names[i],
                                    v.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                                ),
                            )
                        })
                    })
                    .collect()
            }
        }
    }
}

impl From<Tensor> for Data {
    fn from(t: Tensor) -> Self {
        Data::One(t)
    }
}

impl From<&Tensor> for Data {
    fn from(t: &Tensor) -> Self {
        Data::One(t.clone())
    }
}

impl From<Vec<Tensor>> for Data {
    fn from(v: Vec<Tensor>) -> Self {
        Data::List(v)
    }
}

impl From<&[Tensor]> for Data {
    fn from(v: &[Tensor]) -> Self {
        Data::List(v.to_vec())
    }
}

impl<const N: usize> From<[Tensor; N]> for Data {
    fn from(v: [Tensor; N]) -> Self {
        Data::List(v.into())
    }
}

impl<const N: usize> From<[&Tensor; N]> for Data {
    fn from(v: [&Tensor; N]) -> Self {
        Data::List(v.iter().map(|t| (*t).clone()).collect())
    }
}

impl<S: Into<String>> From<Vec<(S, Tensor)>> for Data {
    fn from(v: Vec<(S, Tensor)>) -> Self {
        Data::Named(v.into_iter().map(|(n, t)| (n.into(), t)).collect())
    }
}

impl<S: Into<String>, const N: usize> From<[(S, Tensor); N]> for Data {
    fn from(v: [(S, Tensor); N]) -> Self {
        Data::Named(v.into_iter().map(|(n, t)| (n.into(), t)).collect())
    }
}

impl<S: Into<String>, const N: usize> From<[(S, &Tensor); N]> for Data {
    fn from(v: [(S, &Tensor); N]) -> Self {
        Data::Named(v.into_iter().map(|(n, t)| (n.into(), t.clone())).collect())
    }
}
