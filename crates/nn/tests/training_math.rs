//! Losses, metrics, optimizers and schedules against real Keras 3.15 (fixtures written by
//! tools/golden/training_math.py), plus argument and shape errors.

use std::path::PathBuf;

use fovea_core::Tensor;
use fovea_nn::losses::{
    BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};
use fovea_nn::metrics::{
    accuracy_for, Accuracy, BinaryAccuracy, CategoricalAccuracy, Mean, Metric, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy,
};
use fovea_nn::optimizers::schedules::{CosineDecay, ExponentialDecay, LearningRateSchedule, PiecewiseConstantDecay};
use fovea_nn::optimizers::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, LearningRate, Optimizer, OptimizerOptions, RmsProp,
    RmsPropConfig, Sgd, SgdConfig,
};
use fovea_nn::{Constraint, Variable};
use serde_json::Value;

fn load(family: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/train_{family}.json"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn dims(v: &Value) -> Vec<usize> {
    v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

fn tensor(v: &Value) -> Tensor {
    let data = v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap() as f32).collect();
    Tensor::from_vec(data, dims(v)).unwrap()
}

fn labels(v: &Value, int: bool) -> Tensor {
    if int {
        let data = v["data"].as_array().unwrap().iter().map(|d| d.as_i64().unwrap()).collect();
        Tensor::from_vec_i64(data, dims(v)).unwrap()
    } else {
        tensor(v)
    }
}

fn f(v: &Value) -> f32 {
    v.as_f64().unwrap() as f32
}

fn opt_f(v: &Value) -> Option<f32> {
    v.as_f64().map(|x| x as f32)
}

fn close(what: &str, got: f32, want: f32) {
    assert!((got - want).abs() <= 1e-6 + 1e-5 * want.abs(), "{what}: got {got}, want {want}");
}

fn close_all(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(&format!("{what}[{i}]"), *g, *w);
    }
}

fn make_loss(class: &str, c: &Value) -> Box<dyn Loss> {
    let from_logits = c["from_logits"].as_bool().unwrap_or(false);
    let label_smoothing = opt_f(&c["label_smoothing"]).unwrap_or(0.0);
    match class {
        "CategoricalCrossentropy" => {
            Box::new(CategoricalCrossentropy { from_logits, label_smoothing, axis: c["axis"].as_i64().unwrap() as isize })
        }
        "SparseCategoricalCrossentropy" => {
            Box::new(SparseCategoricalCrossentropy { from_logits, ignore_class: c["ignore_class"].as_i64() })
        }
        "BinaryCrossentropy" => Box::new(BinaryCrossentropy { from_logits, label_smoothing }),
        "MeanSquaredError" => Box::new(MeanSquaredError),
        "MeanAbsoluteError" => Box::new(MeanAbsoluteError),
        "Huber" => Box::new(Huber::new(f(&c["delta"])).unwrap()),
        other => panic!("unknown loss {other}"),
    }
}

#[test]
fn losses_match_keras_values_and_gradients() {
    let cases = load("losses");
    assert_eq!(cases.len(), 28);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let loss = make_loss(case["class"].as_str().unwrap(), &case["config"]);
        let y_true = labels(&case["y_true"], case["int_labels"].as_bool().unwrap());
        let y_pred = tensor(&case["y_pred"]).requires_grad();
        let value = loss.call(&y_true, &y_pred).unwrap();
        assert_eq!(value.rank(), 0, "{name}: loss must be a scalar");
        close(name, value.to_scalar().unwrap(), f(&case["loss"]));
        let grads = value.backward().unwrap();
        let g = grads.get(&y_pred).unwrap().to_vec_f32().unwrap();
        close_all(&format!("{name} grad"), &g, &tensor(&case["grad"]).to_vec_f32().unwrap());
    }
}

fn make_metric(class: &str, c: &Value) -> Box<dyn Metric> {
    match class {
        "Accuracy" => Box::new(Accuracy::default()),
        "BinaryAccuracy" => Box::new(BinaryAccuracy::new(f(&c["threshold"]))),
        "CategoricalAccuracy" => Box::new(CategoricalAccuracy::default()),
        "SparseCategoricalAccuracy" => Box::new(SparseCategoricalAccuracy::default()),
        "TopKCategoricalAccuracy" => {
            Box::new(TopKCategoricalAccuracy::new(c["k"].as_u64().unwrap() as usize))
        }
        "SparseTopKCategoricalAccuracy" => {
            Box::new(SparseTopKCategoricalAccuracy::new(c["k"].as_u64().unwrap() as usize))
        }
        "Mean" => Box::new(Mean::default()),
        other => panic!("unknown metric {other}"),
    }
}

#[test]
fn metrics_match_keras_running_results() {
    let cases = load("metrics");
    assert_eq!(cases.len(), 12);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let mut m = make_metric(case["class"].as_str().unwrap(), &case["config"]);
        let int = case["int_labels"].as_bool().unwrap();
        for (i, (b, want)) in case["batches"].as_array().unwrap().iter().zip(case["results"].as_array().unwrap()).enumerate() {
            m.update(&labels(&b["y_true"], int), &tensor(&b["y_pred"])).unwrap();
            close(&format!("{name} after batch {i}"), m.result() as f32, f(want));
        }
        m.reset();
        assert_eq!(m.result(), 0.0, "{name}: reset");
    }
}

fn make_schedule(class: &str, c: &Value) -> Box<dyn LearningRateSchedule> {
    match class {
        "ExponentialDecay" => Box::new(
            ExponentialDecay::new(
                f(&c["initial_learning_rate"]),
                c["decay_steps"].as_u64().unwrap(),
                f(&c["decay_rate"]),
                c["staircase"].as_bool().unwrap(),
            )
            .unwrap(),
        ),
        "PiecewiseConstantDecay" => Box::new(
            PiecewiseConstantDecay::new(
                c["boundaries"].as_array().unwrap().iter().map(|b| b.as_u64().unwrap()).collect(),
                c["values"].as_array().unwrap().iter().map(f).collect(),
            )
            .unwrap(),
        ),
        "CosineDecay" => {
            let mut s = CosineDecay::new(f(&c["initial_learning_rate"]), c["decay_steps"].as_u64().unwrap()).unwrap();
            s.alpha = f(&c["alpha"]);
            s.warmup_target = opt_f(&c["warmup_target"]);
            s.warmup_steps = c["warmup_steps"].as_u64().unwrap();
            Box::new(s)
        }
        other => panic!("unknown schedule {other}"),
    }
}

#[test]
fn schedules_match_keras() {
    let cases = load("schedules");
    assert_eq!(cases.len(), 6);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let s = make_schedule(case["class"].as_str().unwrap(), &case["config"]);
        for (step, want) in case["steps"].as_array().unwrap().iter().zip(case["values"].as_array().unwrap()) {
            let step = step.as_u64().unwrap();
            close(&format!("{name} at step {step}"), s.value(step), f(want));
        }
    }
}

fn make_optimizer(class: &str, c: &Value) -> Box<dyn Optimizer> {
    let learning_rate = match &c["learning_rate"] {
        Value::Object(_) => LearningRate::Schedule(make_schedule("ExponentialDecay", &c["learning_rate"])),
        v => LearningRate::Constant(f(v)),
    };
    let options = OptimizerOptions {
        weight_decay: opt_f(&c["weight_decay"]),
        clipnorm: opt_f(&c["clipnorm"]),
        clipvalue: opt_f(&c["clipvalue"]),
        global_clipnorm: opt_f(&c["global_clipnorm"]),
    };
    let adam = |learning_rate, options| AdamConfig {
        learning_rate,
        beta_1: c["beta_1"].as_f64().unwrap(),
        beta_2: c["beta_2"].as_f64().unwrap(),
        epsilon: f(&c["epsilon"]),
        amsgrad: c["amsgrad"].as_bool().unwrap(),
        options,
    };
    match class {
        "SGD" => Box::new(
            Sgd::new(SgdConfig { learning_rate, momentum: f(&c["momentum"]), nesterov: c["nesterov"].as_bool().unwrap(), options })
                .unwrap(),
        ),
        "Adam" => Box::new(Adam::new(adam(learning_rate, options)).unwrap()),
        "AdamW" => Box::new(
            AdamW::new(AdamWConfig { weight_decay: f(&c["weight_decay"]), adam: adam(learning_rate, options) }).unwrap(),
        ),
        "RMSprop" => Box::new(
            RmsProp::new(RmsPropConfig {
                learning_rate,
                rho: c["rho"].as_f64().unwrap(),
                momentum: f(&c["momentum"]),
                epsilon: f(&c["epsilon"]),
                centered: c["centered"].as_bool().unwrap(),
                options,
            })
            .unwrap(),
        ),
        "Adagrad" => Box::new(
            Adagrad::new(AdagradConfig {
                learning_rate,
                initial_accumulator_value: f(&c["initial_accumulator_value"]),
                epsilon: f(&c["epsilon"]),
                options,
            })
            .unwrap(),
        ),
        other => panic!("unknown optimizer {other}"),
    }
}

#[test]
fn optimizers_match_keras_first_steps() {
    let cases = load("optimizers");
    assert_eq!(cases.len(), 24);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let mut opt = make_optimizer(case["class"].as_str().unwrap(), &case["config"]);
        assert_eq!(opt.name(), case["class"].as_str().unwrap());
        let init = case["initial"].as_array().unwrap();
        let mut kernel = Variable::new("kernel", tensor(&init[0]), true);
        if let Value::Object(c) = &case["max_norm"] {
            let axis = c["axis"].as_i64().unwrap() as isize;
            kernel.constraint = Some(Constraint::MaxNorm { max_value: f(&c["max_value"]), axis: vec![axis] });
        }
        let bias = Variable::new("bias", tensor(&init[1]), true);
        let steps = case["grads"].as_array().unwrap();
        for (i, ((g, after), lr)) in
            steps.iter().zip(case["after"].as_array().unwrap()).zip(case["learning_rates"].as_array().unwrap()).enumerate()
        {
            close(&format!("{name} lr before step {i}"), opt.learning_rate(), f(lr));
            let g = g.as_array().unwrap();
            opt.apply_gradients(&[(tensor(&g[0]), &kernel), (tensor(&g[1]), &bias)]).unwrap();
            let after = after.as_array().unwrap();
            close_all(&format!("{name} kernel after step {i}"), &kernel.value().to_vec_f32().unwrap(), &tensor(&after[0]).to_vec_f32().unwrap());
            close_all(&format!("{name} bias after step {i}"), &bias.value().to_vec_f32().unwrap(), &tensor(&after[1]).to_vec_f32().unwrap());
        }
        assert_eq!(opt.iterations(), case["iterations"].as_u64().unwrap(), "{name}");
    }
}
