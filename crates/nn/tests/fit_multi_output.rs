//! fit / evaluate / predict on a two-input, two-output Functional model against real
//! Keras 3 (fixture written by tools/golden/fit_multi_output.py): losses per output with
//! weights, metrics per output, the log names Keras gives them, the running batch logs,
//! and the final weights. Also the errors and warnings of mistakes around them.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use fovea_core::{Rng, Tensor};
use fovea_nn::layers::{Concatenate, Dense};
use fovea_nn::losses::{MeanSquaredError, SparseCategoricalCrossentropy};
use fovea_nn::metrics::{accuracy, MeanAbsoluteError};
use fovea_nn::optimizers::SGD;
use fovea_nn::training::{
    Callback, EarlyStopping, EarlyStoppingConfig, FitOptions, LambdaCallback, Logs, Losses, Metrics, ModelCheckpoint,
    ModelCheckpointConfig, MonitorMode, ReduceLROnPlateau, ReduceLROnPlateauConfig, TrainingControl,
};
use fovea_nn::{Activation, Functional, Layer, Model, ShapeSpec};
use serde_json::Value;

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/train_fit_multi_output.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn dims(v: &Value) -> Vec<usize> {
    v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

fn floats(v: &Value) -> Vec<f32> {
    v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap() as f32).collect()
}

fn tensor(v: &Value) -> Tensor {
    Tensor::from_vec(floats(v), dims(v)).unwrap()
}

fn labels(v: &Value) -> Tensor {
    Tensor::from_vec_i64(v["data"].as_array().unwrap().iter().map(|d| d.as_i64().unwrap()).collect(), dims(v)).unwrap()
}

fn close(what: &str, got: f64, want: f64) {
    assert!((got - want).abs() <= 2e-6 + 2e-5 * want.abs(), "{what}: got {got}, want {want}");
}

/// `img` (4,) and `words` (3,), concatenated, `trunk` Dense(5, relu), then the heads
/// `(units, activation, name)`; weights as the fixture's `initial_weights` list them.
fn build(heads: &[(usize, Activation, Option<&str>)], weights: &Value) -> Model {
    let mut f = Functional::new("");
    let img = f.input_spec("img", ShapeSpec::batched(&[4]));
    let words = f.input_spec("words", ShapeSpec::batched(&[3]));
    let joined = f.apply(Concatenate::new(-1), &[img, words]).unwrap();
    let mut trunk = Dense::new(5).activation(Activation::Relu);
    trunk.set_name("trunk");
    let h = f.apply(trunk, &[joined]).unwrap();
    let outputs: Vec<_> = heads
        .iter()
        .map(|&(units, act, name)| {
            let mut d = Dense::new(units).activation(act);
            if let Some(n) = name {
                d.set_name(n);
            }
            f.apply(d, &[h]).unwrap()
        })
        .collect();
    let model = f.build(&outputs, &mut Rng::new(0)).unwrap();
    // The fixture names layers as the "named" case does; the others follow in order.
    let dense_layers: Vec<String> =
        model.layers().filter(|l| l.class_name() == "Dense").map(|l| l.name().to_string()).collect();
    for (w, layer) in weights.as_array().unwrap().iter().zip(&dense_layers) {
        model.set_layer_weights(layer, &[tensor(&w["kernel"]), tensor(&w["bias"])]).unwrap();
    }
    model
}

fn options(fx: &Value, validation: Option<(fovea_nn::training::Data, fovea_nn::training::Data)>) -> FitOptions {
    FitOptions {
        batch_size: fx["fit"]["batch_size"].as_u64().unwrap() as usize,
        epochs: fx["fit"]["epochs"].as_u64().unwrap() as usize,
        shuffle: false,
        verbose: 0,
        validation_data: validation,
        ..FitOptions::default()
    }
}

fn check_history(case: &str, h: &fovea_nn::History, want: &Value) {
    let keys: Vec<&str> = h.history.keys().map(String::as_str).collect();
    let want_keys: Vec<&str> = want.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, want_keys, "{case}: history keys");
    for (k, series) in want.as_object().unwrap() {
        for (e, v) in series.as_array().unwrap().iter().enumerate() {
            close(&format!("{case}: {k} epoch {e}"), h.history[k][e], v.as_f64().unwrap());
        }
    }
}

fn check_weights(case: &str, model: &Model, want: &Value) {
    let dense: Vec<_> = model.layers().filter(|l| l.class_name() == "Dense").collect();
    for (w, layer) in want.as_array().unwrap().iter().zip(dense) {
        let got = layer.weights();
        for (i, key) in ["kernel", "bias"].iter().enumerate() {
            let (g, e) = (got[i].value().to_vec_f32().unwrap(), floats(&w[key]));
            for (j, (a, b)) in g.iter().zip(&e).enumerate() {
                close(&format!("{case}: {} {key}[{j}]", layer.name()), *a as f64, *b as f64);
            }
        }
    }
}

/// Records every batch's logs.
fn batch_recorder() -> (LambdaCallback, Rc<RefCell<Vec<Logs>>>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let cb = LambdaCallback::new().on_batch_end(move |_, logs, _| {
        s.borrow_mut().push(logs.clone());
        Ok(())
    });
    (cb, seen)
}

fn check_batch_logs(case: &str, got: &[Logs], want: &Value) {
    let want = want.as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{case}: batches");
    for (g, w) in got.iter().zip(want) {
        for (k, v) in w.as_object().unwrap() {
            if k == "epoch" || k == "batch" {
                continue;
            }
            close(&format!("{case}: batch {} {k}", w["batch"]), g[k], v.as_f64().unwrap());
        }
    }
}

#[test]
fn named_inputs_outputs_losses_weights_and_metrics_match_keras() {
    let fx = fixture();
    let case = &fx["cases"][0];
    assert_eq!(case["name"], "named");
    let model = build(
        &[(3, Activation::Softmax, Some("class")), (1, Activation::Linear, Some("score"))],
        &fx["initial_weights"],
    );
    assert_eq!(model.output_names(), ["class", "score"]);
    let mut m = model.compile(
        SGD::with_learning_rate(0.1).unwrap(),
        Losses::per_output()
            .output("class", SparseCategoricalCrossentropy::default())
            .output("score", MeanSquaredError)
            .weight("class", 1.0)
            .weight("score", 0.5),
        Metrics::per_output()
            .output("class", accuracy())
            .output("score", MeanAbsoluteError::default().with_name("mae")),
    );
    let (tr, va) = (&fx["train"], &fx["val"]);
    let x = [("img", tensor(&tr["img"])), ("words", tensor(&tr["words"]))];
    let y = [("class", labels(&tr["class"])), ("score", tensor(&tr["score"]))];
    let xv = [("img", tensor(&va["img"])), ("words", tensor(&va["words"]))];
    let yv = [("class", labels(&va["class"])), ("score", tensor(&va["score"]))];
    let (mut rec, seen) = batch_recorder();
    let h = m.fit(x, y, &options(&fx, Some((xv.clone().into(), yv.clone().into()))), &mut [&mut rec]).unwrap();
    check_history("named", &h, &case["history"]);
    check_batch_logs("named", &seen.borrow(), &case["batch_logs"]);
    let logs = m.evaluate(xv.clone(), yv, 4).unwrap();
    assert_eq!(logs.len(), case["evaluate"].as_object().unwrap().len());
    for (k, v) in case["evaluate"].as_object().unwrap() {
        close(&format!("evaluate {k}"), logs[k], v.as_f64().unwrap());
    }
    let preds = m.predict_outputs(xv.clone(), 3).unwrap();
    for (p, name) in preds.iter().zip(["class", "score"]) {
        assert_eq!(p.dims(), dims(&case["predict"][name]).as_slice());
        for (a, b) in p.to_vec_f32().unwrap().iter().zip(floats(&case["predict"][name])) {
            close(&format!("predict {name}"), *a as f64, b as f64);
        }
    }
    let err = m.predict(xv, 3).unwrap_err().to_string();
    assert!(err.contains("has 2 outputs (class, score); use predict_outputs()"), "{err}");
    check_weights("named", m.model(), &case["final_weights"]);
}

#[test]
fn positional_lists_log_under_default_output_names_like_keras() {
    let fx = fixture();
    let case = &fx["cases"][1];
    assert_eq!(case["name"], "positional");
    let model = build(&[(3, Activation::Softmax, None), (1, Activation::Linear, None)], &fx["initial_weights"]);
    assert_eq!(model.output_names(), ["dense", "dense_1"]);
    let mut m = model.compile(
        SGD::with_learning_rate(0.1).unwrap(),
        Losses::per_output()
            .output(0, SparseCategoricalCrossentropy::default())
            .output(1, MeanSquaredError)
            .weight(1, 0.5),
        Metrics::per_output().output(0, accuracy()).output(1, MeanAbsoluteError::default().with_name("mae")),
    );
    let (tr, va) = (&fx["train"], &fx["val"]);
    let x = vec![tensor(&tr["img"]), tensor(&tr["words"])];
    let y = vec![labels(&tr["class"]), tensor(&tr["score"])];
    let val = (
        vec![tensor(&va["img"]), tensor(&va["words"])].into(),
        vec![labels(&va["class"]), tensor(&va["score"])].into(),
    );
    let h = m.fit(x, y, &options(&fx, Some(val)), &mut []).unwrap();
    let want_keys: Vec<&str> = case["history_keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(h.history.keys().collect::<Vec<_>>(), want_keys);
    check_history("positional", &h, &case["history"]);
    check_weights("positional", m.model(), &case["final_weights"]);
}

#[test]
fn one_loss_applies_to_every_output_and_logs_each() {
    let fx = fixture();
    let case = &fx["single_loss_for_all"];
    let model =
        build(&[(1, Activation::Linear, Some("r1")), (2, Activation::Linear, Some("r2"))], &case["initial_weights"]);
    let mut m = model.compile(SGD::with_learning_rate(0.1).unwrap(), MeanSquaredError, ());
    let (tr, va) = (&fx["train"], &fx["val"]);
    let x = [&tensor(&tr["img"]), &tensor(&tr["words"])];
    let y = [("r1", tensor(&tr["score"])), ("r2", tensor(&tr["r2"]))];
    let val = (
        [tensor(&va["img"]), tensor(&va["words"])].into(),
        [("r1", tensor(&va["score"])), ("r2", tensor(&va["r2"]))].into(),
    );
    let (mut rec, seen) = batch_recorder();
    let h = m.fit(x, y, &options(&fx, Some(val)), &mut [&mut rec]).unwrap();
    check_history("single_loss_for_all", &h, &case["history"]);
    check_batch_logs("single_loss_for_all", &seen.borrow(), &case["batch_logs"]);
    check_weights("single_loss_for_all", m.model(), &case["final_weights"]);
}

#[test]
fn accuracy_on_one_softmax_output_logs_as_accuracy() {
    let fx = fixture();
    let case = &fx["single_output_accuracy"];
    let model = build(&[(3, Activation::Softmax, Some("class"))], &case["initial_weights"]);
    let mut m =
        model.compile(SGD::with_learning_rate(0.1).unwrap(), SparseCategoricalCrossentropy::default(), accuracy());
    let (tr, va) = (&fx["train"], &fx["val"]);
    let x = [&tensor(&tr["img"]), &tensor(&tr["words"])];
    let val = ([tensor(&va["img"]), tensor(&va["words"])].into(), labels(&va["class"]).into());
    let h = m.fit(x, labels(&tr["class"]), &options(&fx, Some(val)), &mut []).unwrap();
    check_history("single_output_accuracy", &h, &case["history"]);
    check_weights("single_output_accuracy", m.model(), &case["final_weights"]);
}

fn two_heads() -> Model {
    build(
        &[(3, Activation::Softmax, Some("class")), (1, Activation::Linear, Some("score"))],
        &fixture()["initial_weights"],
    )
}

/// Two tensors by name.
type Named2 = [(&'static str, Tensor); 2];

fn small_data() -> (Named2, Named2) {
    let fx = fixture();
    let tr = &fx["train"];
    (
        [("img", tensor(&tr["img"])), ("words", tensor(&tr["words"]))],
        [("class", labels(&tr["class"])), ("score", tensor(&tr["score"]))],
    )
}

fn fit_err(losses: Losses, metrics: Metrics, x: fovea_nn::training::Data, y: fovea_nn::training::Data) -> String {
    let mut m = two_heads().compile(SGD::default(), losses, metrics);
    m.fit(x, y, &FitOptions { verbose: 0, ..FitOptions::default() }, &mut []).unwrap_err().to_string()
}

#[test]
fn mistakes_in_multi_output_arguments_are_named() {
    let (x, y) = small_data();
    let per = || Losses::per_output().output("class", SparseCategoricalCrossentropy::default());
    let err = fit_err(
        Losses::per_output().output("clas", MeanSquaredError),
        Metrics::none(),
        x.clone().into(),
        y.clone().into(),
    );
    assert!(
        err.contains("key 'clas' does not correspond to any model output") && err.contains("class, score"),
        "{err}"
    );
    let err = fit_err(per(), MeanAbsoluteError::default().into(), x.clone().into(), y.clone().into());
    assert!(err.contains("For a model with multiple outputs, give the metrics per output"), "{err}");
    let err = fit_err(per().weight(5, 2.0), Metrics::none(), x.clone().into(), y.clone().into());
    assert!(err.contains("output index 5 is out of range: the model has 2 outputs"), "{err}");
    let err = fit_err(per(), Metrics::none(), x.clone().into(), [("score", y[1].1.clone())].into());
    assert!(err.contains("missing output 'class'"), "{err}");
    let err = fit_err(per(), Metrics::none(), [("image", x[0].1.clone())].into(), y.clone().into());
    assert!(err.contains("no input is named 'image'; the model's inputs are: img, words"), "{err}");
    let err = fit_err(per(), Metrics::none(), x[0].1.clone().into(), y.clone().into());
    assert!(err.contains("the model has 2 inputs (img, words) but one tensor was given"), "{err}");
    let short = [("img", x[0].1.narrow(0, 0, 7).unwrap()), ("words", x[1].1.clone())];
    let err = fit_err(per(), Metrics::none(), short.into(), y.clone().into());
    assert!(err.contains("Data cardinality is ambiguous") && err.contains("'x' sizes: 7 (shape (7, 4)), 10"), "{err}");
    // An output with no loss and no metrics needs no target.
    let mut m = two_heads().compile(SGD::default(), per(), ());
    let h =
        m.fit(x, [("class", y[0].1.clone())], &FitOptions { verbose: 0, ..FitOptions::default() }, &mut []).unwrap();
    assert_eq!(h.history.keys().collect::<Vec<_>>(), ["class_loss", "loss"]);
}

#[test]
fn a_monitor_that_is_never_logged_fails_before_training_and_names_the_logs() {
    let (x, y) = small_data();
    let compile = || {
        two_heads().compile(
            SGD::default(),
            Losses::per_output()
                .output("class", SparseCategoricalCrossentropy::default())
                .output("score", MeanSquaredError),
            Metrics::per_output().output("class", accuracy()),
        )
    };
    let opts = FitOptions { verbose: 0, epochs: 2, ..FitOptions::default() };
    let mut stop = EarlyStopping::new(EarlyStoppingConfig { monitor: "val_los".into(), ..Default::default() }).unwrap();
    let mut m = compile();
    let err = m.fit(x.clone(), y.clone(), &opts, &mut [&mut stop]).unwrap_err().to_string();
    assert!(
        err.contains("EarlyStopping monitors 'val_los', which this training never logs; it logs: loss, class_loss, score_loss, class_accuracy")
            && err.contains("validation_data"),
        "{err}"
    );
    assert_eq!(m.optimizer().iterations(), 0, "nothing trained");
    let mut plateau =
        ReduceLROnPlateau::new(ReduceLROnPlateauConfig { monitor: "class_acuracy".into(), ..Default::default() })
            .unwrap();
    let err = m.fit(x.clone(), y.clone(), &opts, &mut [&mut plateau]).unwrap_err().to_string();
    assert!(err.contains("Did you mean 'class_accuracy'?"), "{err}");
    // A callback that adds a log entry makes it monitorable.
    let mut plateau = ReduceLROnPlateau::new(ReduceLROnPlateauConfig {
        monitor: "learning_rate".into(),
        mode: MonitorMode::Min,
        ..Default::default()
    })
    .unwrap();
    m.fit(x.clone(), y.clone(), &opts, &mut [&mut plateau]).unwrap();
    // A misspelled checkpoint pattern fails at the start, naming what is logged.
    let dir = std::env::temp_dir().join(format!("fovea_multi_ckpt_{}", std::process::id()));
    let pattern = dir.join("w-{epoch:02d}-{val_los:.2f}.bin").display().to_string();
    let mut ckpt = ModelCheckpoint::new(&pattern, Box::new(|_, _| Ok(())), ModelCheckpointConfig::default()).unwrap();
    let err = m.fit(x.clone(), y.clone(), &opts, &mut [&mut ckpt]).unwrap_err().to_string();
    assert!(
        err.contains("Failed to format this callback filepath")
            && err.contains("'val_los'")
            && err.contains("the logged names are: loss"),
        "{err}"
    );
    let err = ModelCheckpoint::new("w-{epoch:02x}.bin", Box::new(|_, _| Ok(())), ModelCheckpointConfig::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("unsupported format spec '02x' for epoch"), "{err}");
}

#[test]
fn a_monitor_missing_from_an_epoch_warns_with_keras_text() {
    let fx = fixture();
    let mm = &fx["monitor_missing_key"];
    let keys: Vec<String> = mm["EarlyStopping"]["history_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let model = two_heads();
    let mut sgd = SGD::default();
    let mut ctl = TrainingControl::new(&model, &mut sgd);
    let logs = || -> Logs { keys.iter().map(|k| (k.clone(), 0.5)).collect() };
    let mut es = EarlyStopping::new(EarlyStoppingConfig {
        monitor: "val_los".into(),
        mode: MonitorMode::Min,
        ..Default::default()
    })
    .unwrap();
    let mut rl = ReduceLROnPlateau::new(ReduceLROnPlateauConfig {
        monitor: "val_los".into(),
        mode: MonitorMode::Min,
        ..Default::default()
    })
    .unwrap();
    let saved = Rc::new(RefCell::new(0));
    let s = saved.clone();
    let mut ck = ModelCheckpoint::new(
        "unused.bin",
        Box::new(move |_, _| {
            *s.borrow_mut() += 1;
            Ok(())
        }),
        ModelCheckpointConfig {
            monitor: "val_los".into(),
            save_best_only: true,
            mode: MonitorMode::Min,
            ..Default::default()
        },
    )
    .unwrap();
    for (cb, name) in
        [(&mut es as &mut dyn Callback, "EarlyStopping"), (&mut rl, "ReduceLROnPlateau"), (&mut ck, "ModelCheckpoint")]
    {
        cb.on_train_begin(&mut ctl).unwrap();
        cb.on_epoch_end(0, &mut logs(), &mut ctl).unwrap();
        let want = mm[name]["mode_min_warnings"][0].as_str().unwrap();
        assert_eq!(ctl.warnings().last().map(String::as_str), Some(want), "{name}");
    }
    // Keras's ModelCheckpoint saves anyway.
    assert_eq!(*saved.borrow(), 1);
}

#[test]
fn an_image_shaped_prediction_against_labels_suggests_flatten() {
    use fovea_nn::layers::Conv2D;
    let model = fovea_nn::Sequential::new(&[4, 4, 1])
        .add(Conv2D::new(3, 1).activation(Activation::Softmax))
        .build(&mut Rng::new(0))
        .unwrap();
    let mut m = model.compile(SGD::default(), SparseCategoricalCrossentropy::default(), accuracy());
    let x = Tensor::ones([6, 4, 4, 1]).unwrap();
    let y = Tensor::from_vec_i64(vec![0, 1, 2, 0, 1, 2], [6]).unwrap();
    let err = m.fit(&x, &y, &FitOptions { verbose: 0, ..FitOptions::default() }, &mut []).unwrap_err().to_string();
    assert!(
        err.contains("has shape (6, 4, 4, 3) but its targets have shape (6,)")
            && err.contains("did you forget a Flatten"),
        "{err}"
    );
}
