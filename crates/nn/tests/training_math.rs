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
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, LearningRate, Optimizer, OptimizerOptions, RMSprop,
    RMSpropConfig, SGDConfig, SGD,
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
        "CategoricalCrossentropy" => Box::new(CategoricalCrossentropy {
            from_logits,
            label_smoothing,
            axis: c["axis"].as_i64().unwrap() as isize,
        }),
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
        "TopKCategoricalAccuracy" => Box::new(TopKCategoricalAccuracy::new(c["k"].as_u64().unwrap() as usize)),
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
        for (i, (b, want)) in
            case["batches"].as_array().unwrap().iter().zip(case["results"].as_array().unwrap()).enumerate()
        {
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
            SGD::new(SGDConfig {
                learning_rate,
                momentum: f(&c["momentum"]),
                nesterov: c["nesterov"].as_bool().unwrap(),
                options,
            })
            .unwrap(),
        ),
        "Adam" => Box::new(Adam::new(adam(learning_rate, options)).unwrap()),
        "AdamW" => Box::new(
            AdamW::new(AdamWConfig { weight_decay: f(&c["weight_decay"]), adam: adam(learning_rate, options) })
                .unwrap(),
        ),
        "RMSprop" => Box::new(
            RMSprop::new(RMSpropConfig {
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
        for (i, ((g, after), lr)) in steps
            .iter()
            .zip(case["after"].as_array().unwrap())
            .zip(case["learning_rates"].as_array().unwrap())
            .enumerate()
        {
            close(&format!("{name} lr before step {i}"), opt.learning_rate(), f(lr));
            let g = g.as_array().unwrap();
            opt.apply_gradients(&[(tensor(&g[0]), &kernel), (tensor(&g[1]), &bias)]).unwrap();
            let after = after.as_array().unwrap();
            close_all(
                &format!("{name} kernel after step {i}"),
                &kernel.value().to_vec_f32().unwrap(),
                &tensor(&after[0]).to_vec_f32().unwrap(),
            );
            close_all(
                &format!("{name} bias after step {i}"),
                &bias.value().to_vec_f32().unwrap(),
                &tensor(&after[1]).to_vec_f32().unwrap(),
            );
        }
        assert_eq!(opt.iterations(), case["iterations"].as_u64().unwrap(), "{name}");
    }
}

fn err_text<T>(r: fovea_nn::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn optimizers_reject_bad_arguments() {
    let e = err_text(SGD::new(SGDConfig { learning_rate: LearningRate::Constant(-0.1), ..Default::default() }));
    assert!(e.starts_with("SGD: ") && e.contains("learning_rate=-0.1"), "{e}");
    let e = err_text(SGD::new(SGDConfig { momentum: 1.5, ..Default::default() }));
    assert!(e.contains("`momentum` must be a float between [0, 1]") && e.contains("momentum=1.5"), "{e}");
    let e = err_text(SGD::new(SGDConfig { momentum: -0.1, ..Default::default() }));
    assert!(e.contains("momentum=-0.1"), "{e}");
    let both = OptimizerOptions { clipnorm: Some(1.0), global_clipnorm: Some(2.0), ..Default::default() };
    let e = err_text(Adam::new(AdamConfig { options: both, ..Default::default() }));
    assert_eq!(
        e,
        "Adam: Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: clipnorm=1, clipvalue=None, global_clipnorm=2"
    );
    let e = err_text(RMSprop::new(RMSpropConfig { momentum: 2.0, ..Default::default() }));
    assert!(e.starts_with("RMSprop: ") && e.contains("momentum=2"), "{e}");
    let e = err_text(Adam::new(AdamConfig { beta_2: 1.0, ..Default::default() }));
    assert!(e.contains("beta_2=1"), "{e}");
    let e = err_text(Adagrad::new(AdagradConfig { initial_accumulator_value: -1.0, ..Default::default() }));
    assert!(e.contains("initial_accumulator_value"), "{e}");
}

#[test]
fn gradient_shape_must_match_its_variable() {
    let mut opt = SGD::new(SGDConfig::default()).unwrap();
    let v = Variable::new("kernel", Tensor::zeros([2, 3]).unwrap(), true);
    let e = err_text(opt.apply_gradients(&[(Tensor::zeros([3, 2]).unwrap(), &v)]));
    assert!(e.contains("[3, 2]") || e.contains("(3, 2)"), "{e}");
    assert!(e.contains("'kernel'"), "{e}");
    assert_eq!(opt.iterations(), 0);
    // An empty step is a no-op, as in Keras: the counter does not move.
    opt.apply_gradients(&[]).unwrap();
    assert_eq!(opt.iterations(), 0);
}

#[test]
fn scheduled_learning_rate_cannot_be_set_but_constant_can() {
    let sched = ExponentialDecay::new(0.1, 10, 0.5, false).unwrap();
    let mut opt =
        SGD::new(SGDConfig { learning_rate: LearningRate::Schedule(Box::new(sched)), ..Default::default() }).unwrap();
    assert!(err_text(opt.set_learning_rate(0.5)).contains("not settable"));
    let mut opt = Adam::new(AdamConfig::default()).unwrap();
    opt.set_learning_rate(0.5).unwrap();
    assert_eq!(opt.learning_rate(), 0.5);
    assert!(err_text(opt.set_learning_rate(f32::NAN)).contains("learning_rate=NaN"));
}

#[test]
fn schedules_reject_bad_arguments() {
    assert!(err_text(ExponentialDecay::new(0.1, 0, 0.5, false)).contains("decay_steps=0"));
    assert!(err_text(CosineDecay::new(0.1, 0)).contains("decay_steps=0"));
    let e = err_text(PiecewiseConstantDecay::new(vec![1, 2], vec![1.0, 0.5]));
    assert!(e.contains("of length 2") && e.contains("of length 2."), "{e}");
}

#[test]
fn optimizer_state_round_trips_and_resumes_identically() {
    let run = |opt: &mut dyn Optimizer, v: &Variable, steps: std::ops::Range<i32>| {
        for s in steps {
            let g = Tensor::from_vec(vec![0.5 * s as f32, -1.0, 2.0 - s as f32], [3]).unwrap();
            opt.apply_gradients(&[(g, v)]).unwrap();
        }
    };
    let config = || AdamConfig { amsgrad: true, learning_rate: LearningRate::Constant(0.1), ..Default::default() };
    let a = Variable::new("w", Tensor::from_vec(vec![1.0, 2.0, 3.0], [3]).unwrap(), true);
    let mut straight = Adam::new(config()).unwrap();
    run(&mut straight, &a, 0..4);

    let b = Variable::new("w", Tensor::from_vec(vec![1.0, 2.0, 3.0], [3]).unwrap(), true);
    let mut first = Adam::new(config()).unwrap();
    run(&mut first, &b, 0..2);
    let state = first.state().unwrap();
    let names: Vec<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["iterations", "learning_rate", "0/momentum", "0/velocity", "0/velocity_hat"]);
    let mut resumed = Adam::new(config()).unwrap();
    resumed.load_state(&state).unwrap();
    assert_eq!(resumed.iterations(), 2);
    run(&mut resumed, &b, 2..4);
    assert_eq!(a.value().to_vec_f32().unwrap(), b.value().to_vec_f32().unwrap());

    let missing: Vec<_> = state.iter().filter(|(n, _)| n != "0/velocity").cloned().collect();
    assert!(err_text(Adam::new(config()).unwrap().load_state(&missing)).contains("'0/velocity'"));
    let mut extra = state.clone();
    extra.push(("0/bogus".to_string(), Tensor::zeros([3]).unwrap()));
    assert!(err_text(Adam::new(config()).unwrap().load_state(&extra)).contains("0/bogus"));
}

#[test]
fn losses_name_mismatched_label_shapes() {
    let p = Tensor::zeros([4, 3]).unwrap().add_scalar(0.3).unwrap();
    let e = err_text(CategoricalCrossentropy::default().call(&Tensor::zeros([4, 2]).unwrap(), &p));
    assert!(
        e.starts_with("categorical_crossentropy: ")
            && e.contains("y_true.shape=(4, 2)")
            && e.contains("y_pred.shape=(4, 3)"),
        "{e}"
    );
    let e = err_text(SparseCategoricalCrossentropy::default().call(&Tensor::zeros([5]).unwrap(), &p));
    assert!(e.contains("y_true.shape=(5)") || e.contains("y_true.shape=(5,)"), "{e}");
    let e = err_text(
        SparseCategoricalCrossentropy::default().call(&Tensor::from_vec_i64(vec![0, 1, 3, 2], [4]).unwrap(), &p),
    );
    assert!(e.contains("label 3") && e.contains("[0, 3)"), "{e}");
    let e = err_text(BinaryCrossentropy::default().call(&Tensor::zeros([4, 2]).unwrap(), &p));
    assert!(e.starts_with("binary_crossentropy: ") && e.contains("(4, 2)"), "{e}");
    let e = err_text(MeanSquaredError.call(&Tensor::zeros([3, 3]).unwrap(), &p));
    assert!(e.starts_with("mean_squared_error: ") && e.contains("(3, 3)") && e.contains("(4, 3)"), "{e}");
    let e = err_text(SparseCategoricalAccuracy::default().update(&Tensor::zeros([2]).unwrap(), &p));
    assert!(e.starts_with("sparse_categorical_accuracy: ") && e.contains("(4, 3)"), "{e}");
    let e = err_text(CategoricalCrossentropy { label_smoothing: 1.5, ..Default::default() }.call(&p, &p));
    assert!(e.contains("label_smoothing"), "{e}");
}

#[test]
fn accuracy_resolves_like_keras_compile() {
    assert_eq!(accuracy_for("accuracy", &[8, 1], &[8, 1]).name(), "accuracy");
    let cases: [(&[usize], &[usize], f64); 4] = [
        // binary: y_pred's last axis is 1 -> 0.7 > 0.5 matches label 1
        (&[1, 1], &[1, 1], 1.0),
        // sparse: lower-rank labels -> label 2 is the arg-max
        (&[1], &[1, 3], 1.0),
        // sparse: labels (batch, 1) against 3 classes
        (&[1, 1], &[1, 3], 1.0),
        // categorical: one-hot [0, 0, 1] against arg-max 2
        (&[1, 3], &[1, 3], 1.0),
    ];
    for (t_shape, p_shape, want) in cases {
        let mut m = accuracy_for("acc", t_shape, p_shape);
        assert_eq!(m.name(), "acc");
        let y_pred = if p_shape[1] == 1 {
            Tensor::from_vec(vec![0.7], [1, 1]).unwrap()
        } else {
            Tensor::from_vec(vec![0.1, 0.2, 0.7], [1, 3]).unwrap()
        };
        let y_true = match (t_shape.len(), t_shape.last()) {
            (_, Some(3)) => Tensor::from_vec(vec![0.0, 0.0, 1.0], [1, 3]).unwrap(),
            (1, _) => Tensor::from_vec(vec![2.0], [1]).unwrap(),
            _ if p_shape[1] == 1 => Tensor::from_vec(vec![1.0], [1, 1]).unwrap(),
            _ => Tensor::from_vec(vec![2.0], [1, 1]).unwrap(),
        };
        m.update(&y_true, &y_pred).unwrap();
        assert_eq!(m.result(), want, "{t_shape:?} {p_shape:?}");
    }
}

#[test]
fn mean_weights_batches_like_the_keras_loss_tracker() {
    let mut m = Mean::new("loss");
    m.update_value(1.0, 4.0);
    m.update_value(2.0, 1.0);
    assert!((m.result() - 1.2).abs() < 1e-12);
    assert_eq!(m.name(), "loss");
}

#[test]
fn crossentropy_gradients_pass_a_finite_difference_check() {
    let y_true = Tensor::from_vec(vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0], [2, 3]).unwrap();
    let x = Tensor::from_vec(vec![0.3, -1.2, 0.8, 1.5, 0.1, -0.4], [2, 3]).unwrap();
    for from_logits in [true, false] {
        let loss = CategoricalCrossentropy { from_logits, label_smoothing: 0.1, ..Default::default() };
        let input = if from_logits { x.clone() } else { x.sigmoid().unwrap() };
        let checked = fovea_core::check_gradients(
            |xs| loss.call(&y_true, &xs[0]).map_err(|e| fovea_core::Error::Argument { op: "loss", msg: e.to_string() }),
            &[input],
            Default::default(),
        )
        .unwrap();
        assert!(checked > 0);
    }
}
