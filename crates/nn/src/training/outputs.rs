//! Which loss, loss weight and metrics each model output gets (the `loss`,
//! `loss_weights` and `metrics` arguments of Keras's `compile`), and the names the logs
//! give them.

use std::sync::Arc;

use crate::losses::Loss;
use crate::metrics::Metric;
use crate::Model;

/// An output of a model, by position or by name (Keras's list index or dict key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputKey {
    /// The output at this position of [`Model::output_names`].
    Index(usize),
    /// The output of this name (its layer's name).
    Name(String),
}

impl From<usize> for OutputKey {
    fn from(i: usize) -> Self {
        OutputKey::Index(i)
    }
}

impl From<&str> for OutputKey {
    fn from(s: &str) -> Self {
        OutputKey::Name(s.to_string())
    }
}

impl From<String> for OutputKey {
    fn from(s: String) -> Self {
        OutputKey::Name(s)
    }
}

impl std::fmt::Display for OutputKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputKey::Index(i) => write!(f, "{i}"),
            OutputKey::Name(n) => write!(f, "'{n}'"),
        }
    }
}

/// The loss of each output: one loss for every output (any value implementing
/// [`Loss`] converts), or a loss per output with optional weights.
///
/// ```
/// use fovea_nn::losses::{MeanSquaredError, SparseCategoricalCrossentropy};
/// use fovea_nn::training::Losses;
/// // Keras: loss={"class": "sparse_categorical_crossentropy", "score": "mse"},
/// //        loss_weights={"class": 1.0, "score": 0.5}
/// let losses = Losses::per_output()
///     .output("class", SparseCategoricalCrossentropy::default())
///     .output("score", MeanSquaredError::default())
///     .weight("score", 0.5);
/// # let _ = losses;
/// ```
pub struct Losses {
    pub(crate) all: Option<Arc<dyn Loss>>,
    pub(crate) each: Vec<(OutputKey, Arc<dyn Loss>)>,
    pub(crate) weights: Vec<(OutputKey, f64)>,
}

impl Losses {
    /// No loss yet: add one per output with [`Losses::output`].
    pub fn per_output() -> Self {
        Losses { all: None, each: Vec::new(), weights: Vec::new() }
    }

    /// `loss` for the output `key`. Outputs without a loss take no part in the training
    /// loss (Keras's `None` entry) and need no target unless they have metrics.
    pub fn output(mut self, key: impl Into<OutputKey>, loss: impl Loss + 'static) -> Self {
        self.each.push((key.into(), Arc::new(loss)));
        self
    }

    /// Keras's `loss_weights`: the output's loss counts `weight` times in the total
    /// (default 1).
    pub fn weight(mut self, key: impl Into<OutputKey>, weight: f64) -> Self {
        self.weights.push((key.into(), weight));
        self
    }
}

impl<L: Loss + 'static> From<L> for Losses {
    /// One loss, applied to every output (as Keras does with a single loss).
    fn from(loss: L) -> Self {
        Losses { all: Some(Arc::new(loss)), each: Vec::new(), weights: Vec::new() }
    }
}

/// The metrics of each output: a list for a single-output model (`()`, one metric, a
/// tuple of metrics, or a `Vec<Box<dyn Metric>>`), or a list per output.
///
/// ```
/// use fovea_nn::metrics::{accuracy, MeanAbsoluteError};
/// use fovea_nn::training::Metrics;
/// // Keras: metrics={"class": ["accuracy"], "score": ["mae"]}
/// let metrics = Metrics::per_output()
///     .output("class", accuracy())
///     .output("score", MeanAbsoluteError::default());
/// # let _ = metrics;
/// ```
pub struct Metrics {
    pub(crate) flat: Vec<Box<dyn Metric>>,
    pub(crate) each: Vec<(OutputKey, Vec<Box<dyn Metric>>)>,
    per_output: bool,
}

impl Metrics {
    /// No metrics.
    pub fn none() -> Self {
        Metrics { flat: Vec::new(), each: Vec::new(), per_output: false }
    }

    /// No metrics yet: add a list per output with [`Metrics::output`].
    pub fn per_output() -> Self {
        Metrics { flat: Vec::new(), each: Vec::new(), per_output: true }
    }

    /// `metrics` (one, a tuple, or a list) for the output `key`.
    pub fn output(mut self, key: impl Into<OutputKey>, metrics: impl Into<Metrics>) -> Self {
        self.per_output = true;
        self.each.push((key.into(), metrics.into().flat));
        self
    }

    /// Adds a metric to the flat list (every metric of a single-output model).
    pub fn and(mut self, metric: impl Metric + 'static) -> Self {
        self.flat.push(Box::new(metric));
        self
    }
}

impl From<()> for Metrics {
    fn from(_: ()) -> Self {
        Metrics::none()
    }
}

impl<M: Metric + 'static> From<M> for Metrics {
    fn from(m: M) -> Self {
        Metrics::none().and(m)
    }
}

impl From<Vec<Box<dyn Metric>>> for Metrics {
    fn from(flat: Vec<Box<dyn Metric>>) -> Self {
        Metrics { flat, each: Vec::new(), per_output: false }
    }
}

macro_rules! metrics_from_tuple {
    ($($t:ident),+) => {
        impl<$($t: Metric + 'static),+> From<($($t,)+)> for Metrics {
            #[allow(non_snake_case)]
            fn from(($($t,)+): ($($t,)+)) -> Self {
                Metrics::none()$(.and($t))+
            }
        }
    };
}
metrics_from_tuple!(A);
metrics_from_tuple!(A, B);
metrics_from_tuple!(A, B, C);
metrics_from_tuple!(A, B, C, D);
metrics_from_tuple!(A, B, C, D, E);

/// One model output as the training loop sees it.
pub(crate) struct Head {
    /// The output's name (its layer's), which prefixes its log entries.
    pub(crate) name: String,
    pub(crate) loss: Option<Arc<dyn Loss>>,
    pub(crate) weight: f64,
}

/// Each output's metrics, in output order.
pub(crate) type OutputMetrics = Vec<Vec<Box<dyn Metric>>>;

/// What compile's arguments resolve to for `model`: a head per output (in output
/// order) and each output's metrics, or the message of the first inconsistency (unknown
/// output, duplicate entry, a flat metric list on a multi-output model).
pub(crate) fn resolve(
    model: &Model,
    losses: Losses,
    metrics: Metrics,
) -> std::result::Result<(Vec<Head>, OutputMetrics), String> {
    let names = model.output_names();
    let n = names.len();
    let index = |arg: &str, key: &OutputKey| -> std::result::Result<usize, String> {
        match key {
            OutputKey::Index(i) if *i < n => Ok(*i),
            OutputKey::Index(i) => Err(format!(
                "In the `{arg}` argument, output index {i} is out of range: the model has {n} output{} ({})",
                if n == 1 { "" } else { "s" },
                names.join(", ")
            )),
            OutputKey::Name(s) => names.iter().position(|o| o == s).ok_or_else(|| {
                format!(
                    "In the `{arg}` argument, key '{s}' does not correspond to any model output. \
                     The model's outputs are: {}",
                    names.join(", ")
                )
            }),
        }
    };
    let mut heads: Vec<Head> =
        names.iter().map(|name| Head { name: name.clone(), loss: losses.all.clone(), weight: 1.0 }).collect();
    let mut seen = vec![false; n];
    for (key, loss) in losses.each {
        let i = index("loss", &key)?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(format!("In the `loss` argument, output {key} is given twice"));
        }
        heads[i].loss = Some(loss);
    }
    seen.fill(false);
    for (key, w) in losses.weights {
        let i = index("loss_weights", &key)?;
        if !w.is_finite() {
            return Err(format!("In the `loss_weights` argument, output {key} has weight {w}; it must be finite"));
        }
        if std::mem::replace(&mut seen[i], true) {
            return Err(format!("In the `loss_weights` argument, output {key} is given twice"));
        }
        heads[i].weight = w;
    }
    let mut per_output: Vec<Vec<Box<dyn Metric>>> = (0..n).map(|_| Vec::new()).collect();
    if metrics.per_output {
        seen.fill(false);
        for (key, list) in metrics.each {
            let i = index("metrics", &key)?;
            if std::mem::replace(&mut seen[i], true) {
                return Err(format!("In the `metrics` argument, output {key} is given twice"));
            }
            per_output[i] = list;
        }
    } else if !metrics.flat.is_empty() {
        if n != 1 {
            return Err(format!(
                "For a model with multiple outputs, give the metrics per output \
                 (Metrics::per_output().output(\"{}\", ...)); received a flat list of {} metric{} \
                 for a model with {n} outputs ({})",
                names[0],
                metrics.flat.len(),
                if metrics.flat.len() == 1 { "" } else { "s" },
                names.join(", ")
            ));
        }
        per_output[0] = metrics.flat;
    }
    Ok((heads, per_output))
}

/// The log name of an output's entry: Keras prefixes losses and metrics with the
/// output's name only when the model has several outputs (`class_loss`,
/// `class_accuracy`); a single-output model logs `loss` and `accuracy`.
pub(crate) fn log_name(heads: &[Head], output: usize, entry: &str) -> String {
    if heads.len() == 1 {
        entry.to_string()
    } else {
        format!("{}_{entry}", heads[output].name)
    }
}
